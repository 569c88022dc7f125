// What `creditbank import` prints while it works: problems by file line, and a progress bar.
// Every print takes PrintMutex(), so that lines from the sending threads do not interleave.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "cli/import_options.h"
#include "formats/mapping_apply.h"

namespace lcb::import_cli {

// Serializes stderr output between the sending threads.
std::mutex& PrintMutex();

// "line 7: 成绩: <reason> (column F)": the line, the column as the file names it, the reason.
// (The "line N: <field>: <reason>" form is what earlier versions printed for bank CSVs.)
void PrintProblem(const formats::CellProblem& p, const char* suffix = "");
void PrintAll(const std::vector<formats::CellProblem>& problems, const char* suffix = "");

bool StderrIsTty();

// A bar redrawn in place when stderr is a terminal; a plain line every few seconds otherwise
// (logs, CI). Clear() before printing anything else on a terminal. Thread-safe.
class Progress {
 public:
  Progress(std::string what, size_t total, bool tty)
      : what_(std::move(what)), total_(total), tty_(tty), start_(Clock::now()) {}

  void Update(size_t done, bool final = false);
  void Clear();

 private:
  std::string what_;
  size_t total_;
  bool tty_;
  Clock::time_point start_;
  Clock::time_point last_{};
  bool drawn_ = false;
  bool finished_ = false;
  size_t last_done_ = 0;
};

}  // namespace lcb::import_cli
