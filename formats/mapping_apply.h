// Applying a column mapping (mapping.h) to a registrar's table (source_table.h): the result is
// a table in the bank's own CSV header (engine/recognition.h kRecordCsvColumns, so that
// RecordInputFromCsvRow and Recognize validate it as they validate any CSV upload), in which
// every row keeps its source line and every bank column remembers the source column(s) it came
// from, so that a later refusal of "grade_value" on a row still names "line 7, column F (成绩)".
//
// Rules (the semantics of DESIGN.md "Chinese registrar mapping" are those of cn-registrar):
//   header    the source header, or, when it lacks a required column, the first of the next
//             ten rows that has them all (export title rows above the header are skipped);
//             header texts are matched after trimming spaces (TrimCell); each declared column
//             at most once; an undeclared column is a problem unless "unknown_columns":
//             "ignore"; a column with an empty header is ignored when all its cells are empty
//   cells     trimmed; typed columns normalized (cell_values.h, full-width digits accepted);
//             a required column's cell must not be empty; "codes" and "max_chars" checked
//   fields    for each field, the first alternative rule whose columns are all in the header;
//             learner, unit, external_ref, grade and completed_on must not come out empty
//   learner   learner_by_national_id: every distinct national ID is looked up once
//             (RegistrarResolver::FindLearners); IDs with no account become `pending`
//             accounts (only those of rows without a problem), created only by
//             CreatePendingLearners, which a caller runs after the whole file (and whatever
//             else it checks) is free of problems
//   unit      unit_by_code: the importing institution's unit "<institution>:<code>";
//             unit_by_title: its only unit with that exact title (none or several is a problem)
//   grade     grade_cn: a number -> percent; 优秀/良好/中等/及格/不及格 -> five_level;
//             合格/不合格 -> pass_fail pass/fail
//   dates     month_end: YYYYMM -> the month's last day; date: any date form -> YYYY-MM-DD
// Every problem of every row is reported (CellProblem: line, column header and letter, the
// bank field, the reason); a table with any problem must not be stored.
//
// Not thread-safe (the resolver is called from the calling thread only).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv.h"
#include "common/status.h"
#include "formats/mapping.h"
#include "formats/source_table.h"

namespace lcb::formats {

struct NewLearner {
  std::string national_id;   // normalized (GB 11643 checked, uppercase X)
  std::string display_name;  // from the display_name column; may be empty
  std::string region;        // from the region column (GB/T 2260); empty: none given
  int first_line = 0;
};

// Catalog and learner look-ups a mapping needs, implemented by its caller: the CLI over HTTP
// (GET /v1/units?institution=, POST /v1/learners/lookup, POST /v1/learners), the server over
// its own services. Errors other than "not found" (which is a value) stop the mapping.
class RegistrarResolver {
 public:
  virtual ~RegistrarResolver() = default;
  // The id of the importing institution's unit whose code (after "<institution>:") is `code`.
  virtual StatusOr<std::optional<std::string>> UnitByCode(std::string_view code) = 0;
  // The ids of the importing institution's units titled exactly `title`.
  virtual StatusOr<std::vector<std::string>> UnitsByTitle(std::string_view title) = 0;
  // The learner id of each national ID, nullopt where no account has it. Called once per file.
  virtual StatusOr<std::vector<std::optional<std::string>>> FindLearners(
      const std::vector<std::string>& national_ids) = 0;
  // Creates (or finds: the bank keeps one account per national ID) each learner's account;
  // the ids in the same order.
  virtual StatusOr<std::vector<std::string>> CreateLearners(
      const std::vector<NewLearner>& learners) = 0;
};

// Where a bank column's values came from, for error messages.
struct FieldSource {
  std::string column;  // source header text(s): "成绩", or "学号, 课程名称, 获得时间"
  std::string letter;  // "F", or "A, E, K"
};

// A row the mapping refused (its problems are in the caller's list), as far as it mapped: so
// that the rest of the row can still be recognized and its other problems named with the
// mapping's (a 成绩 of "良" and a 获得时间 in the future on one line), never stored.
struct RefusedRow {
  CsvRow row;  // bank header; the fields of `refused` are empty
  // Bank columns whose cells the mapping refused (their problems are the mapping's own): a
  // recognition problem about one of them is the same problem said again ("is required").
  std::vector<std::string> refused;
  // Whether a problem at bank column `field` ("grade_value") is one of `refused` said again.
  bool Refuses(std::string_view field) const {
    return std::find(refused.begin(), refused.end(), field) != refused.end();
  }
  // The learner was read from its national ID (an account found or to be made): the row's
  // learner cell is empty, and a recognition check stands an account in for it.
  bool learner_by_national_id = false;
};

struct MappedTable {
  CsvTable table;                    // bank header; each row's line is its source line
  std::vector<FieldSource> sources;  // parallel to table.header ("" = not mapped)
  std::vector<NewLearner> pending;   // accounts to create before storing (learners of `table`)
  std::vector<int> pending_of_row;   // per row: index into `pending`, or -1
  size_t data_rows = 0;  // the source's rows below its header (title rows above it not counted)
  std::vector<RefusedRow> refused;  // rows with a problem, left out of `table`, in file order
};

// Maps `source` through `mapping`. Problems are appended to *problems. A problem of the header
// makes the result InvalidArgument with the first one's message. A row with problems (a bad
// cell, an XLSX cell without its value) is left out of the table and kept in
// MappedTable::refused; a short line below the header (its cells are not where the header
// says) is only named. Resolver failures are returned as they are (nothing appended).
StatusOr<MappedTable> ApplyMapping(const SourceTable& source, const Mapping& mapping,
                                   RegistrarResolver& resolver, std::vector<CellProblem>* problems);

// The rows of `source` below the header `mapping` finds in it (title rows above it not
// counted), also when the mapping then fails: for "N problems in M rows".
size_t DataRowsBelowHeader(const SourceTable& source, const Mapping& mapping);

// Finds the bank's own CSV header (learner, unit, ...) in `source`, as exports lay it out: its
// first row, or else the first of the next 10 rows whose names make a valid header (the title
// rows an export puts above its header are dropped with it). Header names are trimmed; columns
// with an empty header (a header that starts in column C, a blank separator column) are
// dropped. When no row is a valid header, the result is the first row's
// ValidateRecordCsvHeader status (pointer at the bad field). What is wrong with rows below the
// header (a short line, an XLSX cell without its value, a value in a column without a header)
// is appended to *row_problems, each naming its line (and letter), and is not a failure.
Status LocateBankHeader(SourceTable* source, std::vector<CellProblem>* row_problems);

// A file already in the bank's CSV header (no mapping): the header located and checked as
// LocateBankHeader does (a problem naming the column when it is not valid; the result is then
// InvalidArgument); cells are kept as they are. A row the file cannot give whole is a problem of
// that row (appended; the result is still the table): a short line is left out, a row with a
// cell without its value or a value in a column without a header is kept in `refused` (the
// cell's bank column refused), so that a caller checks the rest of the file too.
StatusOr<MappedTable> IdentityMapping(SourceTable source, std::vector<CellProblem>* problems);

// The rest of IdentityMapping, for a caller that located the header itself (LocateBankHeader
// with `row_problems`): the table with the rows in `row_problems` made refused rows (a short
// line left out) and those problems appended to *problems.
MappedTable BankHeaderTable(SourceTable located, std::vector<CellProblem> row_problems,
                            std::vector<CellProblem>* problems);

// Creates the pending accounts and fills their rows' learner cells; `pending` ends empty.
Status CreatePendingLearners(RegistrarResolver& resolver, MappedTable* table);

// A problem on `line` about bank field `field_or_pointer` ("grade_value", "/grade/value",
// "/records/3/credits" tail or ""), naming the source column it came from.
CellProblem ProblemForField(const MappedTable& table, int line, std::string_view field_or_pointer,
                            std::string reason);

// "/grade/value" -> "grade_value", "/grade" -> "grade_scale", "" -> "".
std::string BankFieldOfPointer(std::string_view pointer);

}  // namespace lcb::formats
