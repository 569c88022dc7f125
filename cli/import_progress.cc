#include "cli/import_progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace lcb::import_cli {
namespace {

using formats::CellProblem;

constexpr auto kTtyRedrawEvery = std::chrono::milliseconds(100);
constexpr auto kPlainLineEvery = std::chrono::seconds(5);
constexpr int kBarWidth = 30;

}  // namespace

std::mutex& PrintMutex() {
  static std::mutex mu;
  return mu;
}

// "line 7: 成绩: <reason> (column F)": the line, the column as the file names it, the reason.
// (The "line N: <field>: <reason>" form is what earlier versions printed for bank CSVs.)
void PrintProblem(const CellProblem& p, const char* suffix) {
  std::lock_guard<std::mutex> lock(PrintMutex());
  std::string where = p.column.empty() ? p.field : p.column;
  if (!where.empty()) where += ": ";
  std::string letter = p.letter.empty() ? "" : " (column " + p.letter + ")";
  if (p.line > 0) {
    std::fprintf(stderr, "line %d: %s%s%s%s\n", p.line, where.c_str(), p.reason.c_str(),
                 letter.c_str(), suffix);
  } else {
    std::fprintf(stderr, "file: %s%s\n", p.reason.c_str(), suffix);
  }
}

void PrintAll(const std::vector<CellProblem>& problems, const char* suffix) {
  for (const CellProblem& p : problems) PrintProblem(p, suffix);
}

bool StderrIsTty() { return ::isatty(::fileno(stderr)) == 1; }

void Progress::Update(size_t done, bool final) {
  std::lock_guard<std::mutex> lock(PrintMutex());
  if (finished_) return;  // the final line is printed once, whoever reports it
  auto now = Clock::now();
  // In a log (no terminal) the first line comes after kPlainLineEvery, not at row 1: a phase
  // that ends sooner prints only its final line, with its figures.
  const Clock::time_point since = tty_ || last_ != Clock::time_point{} ? last_ : start_;
  if (!final &&
      now - since < (tty_ ? Clock::duration(kTtyRedrawEvery) : Clock::duration(kPlainLineEvery))) {
    return;
  }
  // A final line that a periodic one just printed with the same figures is not printed again.
  if (final && !tty_ && done == last_done_ && last_ != Clock::time_point{}) {
    finished_ = true;
    return;
  }
  last_ = now;
  last_done_ = done;
  finished_ = final;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  double eta = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : 0;
  int percent = total_ == 0 ? 100 : static_cast<int>(done * 100 / total_);
  if (tty_) {
    int filled = total_ == 0 ? kBarWidth : static_cast<int>(done * kBarWidth / total_);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kBarWidth, '.');
    std::fprintf(stderr, "\r%-8s [%s] %zu/%zu %3d%%  %.0f rows/s  ETA %.0f s\x1b[K%s",
                 what_.c_str(), bar.c_str(), done, total_, percent, rate, eta, final ? "\n" : "");
    drawn_ = !final;
  } else if (!final || done > 0) {
    std::fprintf(stderr, "import: %s %zu/%zu rows (%d%%), %.0f rows/s, ETA %.0f s\n", what_.c_str(),
                 done, total_, percent, rate, eta);
  }
  std::fflush(stderr);
}

void Progress::Clear() {
  std::lock_guard<std::mutex> lock(PrintMutex());
  if (tty_ && drawn_) std::fprintf(stderr, "\r\x1b[K");
  drawn_ = false;
}

}  // namespace lcb::import_cli
