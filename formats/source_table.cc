#include "formats/source_table.h"

#include <algorithm>

namespace lcb::formats {

// Excel's last column, XFD.
constexpr int kMaxExcelColumns = 16384;

std::string FormatProblem(const CellProblem& p) {
  std::string out = p.line > 0 ? "line " + std::to_string(p.line) : std::string("file");
  if (!p.letter.empty()) {
    out += ", column " + p.letter;
    if (!p.column.empty()) out += " (" + p.column + ")";
  } else if (!p.column.empty()) {
    out += ", column " + p.column;
  }
  out += ": ";
  out += p.reason;
  return out;
}

void SortProblems(std::vector<CellProblem>* problems) {
  std::stable_sort(problems->begin(), problems->end(),
                   [](const CellProblem& a, const CellProblem& b) { return a.line < b.line; });
}

std::string ColumnLetter(size_t column_index) {
  std::string out;
  size_t n = column_index + 1;
  while (n > 0) {
    --n;
    out.insert(out.begin(), static_cast<char>('A' + n % 26));
    n /= 26;
  }
  return out;
}

int ColumnIndexFromLetters(std::string_view letters) {
  if (letters.empty() || letters.size() > 3) return -1;
  int n = 0;
  for (char c : letters) {
    if (c < 'A' || c > 'Z') return -1;
    n = n * 26 + (c - 'A' + 1);
  }
  return n <= kMaxExcelColumns ? n - 1 : -1;
}

std::vector<std::string> ColumnLetters(size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(ColumnLetter(i));
  return out;
}

}  // namespace lcb::formats
