// The table a registrar's file becomes, whatever it was (CSV in any supported encoding, or an
// XLSX sheet), and the problems found in it, each naming the line and column a registrar has
// to fix.
//
// A SourceTable keeps the CsvTable the bank already validates (common/csv.h: header, rows,
// each row with its 1-based line) and, for every column, the letter a spreadsheet shows for it
// (A, B, ..., Z, AA, ...): for a CSV file the letter Excel gives the column when it opens the
// file, for an XLSX sheet the cell reference's column. `line` is the CSV's physical line or the
// XLSX row number.
//
// Thread-safe: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/csv.h"

namespace lcb::formats {

// One bad line (or the whole file, line 0), as the registrar sees it:
//   "line 7, column F (成绩): ..." / "line 7: ..." / "file: ...".
struct CellProblem {
  int line = 0;        // 0 = the file as a whole
  std::string column;  // the column's header text ("成绩"); empty = the row as a whole
  std::string letter;  // "F"; empty when `column` is
  std::string field;   // the bank field it feeds ("grade_value"), when known
  std::string reason;
};

enum class SourceKind { kCsv, kXlsx };

struct SourceTable {
  SourceKind kind = SourceKind::kCsv;
  std::string sheet;     // XLSX: the sheet read; CSV: empty
  std::string encoding;  // CSV: "utf-8" or "gb18030"/"gbk" (what was decoded); XLSX: empty
  CsvTable table;        // header and rows; every row as wide as the header
  std::vector<std::string> letters;  // one per header column
  // XLSX cells whose value the file does not hold (a formula's result its writer never
  // computed), read as empty: a problem only where they lie below the header and in a column
  // that is read (CheckRowsBelowHeader), so a =TODAY() in a title row costs nothing.
  std::vector<CellProblem> unread;
};

std::string FormatProblem(const CellProblem& p);

// Problems in line order (stable: a line's problems keep the order they were found in).
void SortProblems(std::vector<CellProblem>* problems);

// 0 -> "A", 25 -> "Z", 26 -> "AA", 16383 -> "XFD".
std::string ColumnLetter(size_t column_index);

// "AB" -> 27 (0-based); -1 unless 1-3 uppercase letters within XFD.
int ColumnIndexFromLetters(std::string_view letters);

// Letters for a header of `n` columns.
std::vector<std::string> ColumnLetters(size_t n);

}  // namespace lcb::formats
