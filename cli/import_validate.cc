#include "cli/import_validate.h"

#include <algorithm>
#include <iterator>
#include <unordered_set>

#include "cli/import_remote.h"
#include "codec/json_util.h"
#include "codec/mapping.h"
#include "common/csv.h"
#include "common/date.h"
#include "engine/grades.h"
#include "engine/limits.h"
#include "engine/recognition.h"
#include "formats/mapping.h"

namespace lcb::import_cli {
namespace {

using formats::CellProblem;
using formats::MappedTable;

// Byte limits POST /v1/records applies to JSON strings (codec/mapping.cc RecordInputFromJson,
// bounds from engine/limits.h).
// Recognize counts code points instead, so a long Chinese attendance note can pass the CSV
// route and fail the JSON one; checking here keeps such a file from failing half-way.
struct ByteLimit {
  const char* field;
  size_t max_bytes;
};
constexpr ByteLimit kLearnerBytes{"learner", kMaxLearnerChars};
constexpr ByteLimit kUnitBytes{"unit", kMaxUnitIdChars};
constexpr ByteLimit kExternalRefBytes{"external_ref", kMaxExternalRefChars};
constexpr ByteLimit kScaleBytes{"grade_scale", kMaxGradeScaleChars};
constexpr ByteLimit kValueBytes{"grade_value", kMaxGradeValueChars};
constexpr ByteLimit kAttendanceBytes{"attendance", kMaxAttendanceChars};

std::optional<std::string> CheckBytes(const ByteLimit& limit, std::string_view value) {
  if (value.size() <= limit.max_bytes) return std::nullopt;
  return "longer than " + std::to_string(limit.max_bytes) +
         " bytes (the limit of POST /v1/records)";
}

// Fetches every distinct unit named in `rows` that `units` lacks. Unknown units map to
// nullopt; any other failure (the server is down, answers 500) is returned.
Status FetchUnits(RestClient& remote, const std::string& token, const std::vector<Row>& rows,
                  std::unordered_map<std::string, std::optional<Unit>>* units) {
  for (const Row& row : rows) {
    const std::string& id = row.input.unit;
    if (id.empty() || id.size() > kUnitBytes.max_bytes || units->count(id)) continue;
    LCB_ASSIGN_OR_RETURN(ClientResponse r,
                         remote.Send("GET", "/v1/units/" + PathSegment(id), token));
    if (r.status == 404 || r.status == 400) {
      units->emplace(id, std::nullopt);
      continue;
    }
    if (r.status != 200) {
      return Status::Unavailable("GET /v1/units/" + id + " answered " + std::to_string(r.status) +
                                 ": " + ProblemDetail(r));
    }
    json doc = json::parse(r.body, nullptr, false);
    if (doc.is_discarded()) return Status::Internal("GET /v1/units/" + id + ": not JSON");
    LCB_ASSIGN_OR_RETURN(Unit unit, UnitFromServer(doc));
    units->emplace(id, std::move(unit));
  }
  return Status::Ok();
}

using FieldProblem = std::pair<std::string, std::string>;  // bank field, reason

// Every problem of one row as POST /v1/records would see it (none: the row is valid), in the
// order of the server's checks: the row's fields as engine/recognition.h lists them. A field
// over its byte limit is not also checked by Recognize; an unknown unit hides no other problem
// (CheckWithoutUnit).
std::vector<FieldProblem> CheckRow(
    const Row& row, const std::unordered_map<std::string, std::optional<Unit>>& units,
    const Institution& issuer, const GradeScales& scales, Days today) {
  const RecordInput& in = row.input;
  const std::pair<ByteLimit, std::string_view> sized[] = {
      {kLearnerBytes, in.learner},
      {kUnitBytes, in.unit},
      {kExternalRefBytes, in.external_ref},
      {kScaleBytes, in.grade_scale},
      {kValueBytes, in.grade_value},
      {kAttendanceBytes, in.attendance ? std::string_view(*in.attendance) : ""}};
  std::vector<FieldProblem> out;
  for (const auto& [limit, value] : sized) {
    if (auto why = CheckBytes(limit, value)) out.emplace_back(limit.field, std::move(*why));
  }
  const Unit* unit = nullptr;  // none: the row's unit is missing or not in the catalog
  if (in.unit.empty()) {
    out.emplace_back("unit", "is required");
  } else if (auto it = units.find(in.unit); it == units.end() || !it->second) {
    if (out.empty() || out.back().first != "unit") {
      out.emplace_back("unit", "no unit '" + in.unit + "' in the catalog");
    }
  } else {
    unit = &*it->second;
  }
  // A learner account the import will create is checked like any other id.
  RecordInput copy;
  const RecordInput* checked = &in;
  if (row.pending >= 0) {
    copy = in;
    copy.learner = "lrn_pending";
    checked = &copy;
  }
  std::vector<Status> problems;
  if (unit == nullptr) {
    CheckWithoutUnit(*checked, issuer, scales, today, &problems);
  } else if (Recognize(*checked, *unit, issuer, scales, today, &problems).ok() && out.empty()) {
    return out;
  }
  const size_t too_long = out.size();
  for (const Status& p : problems) {
    std::string field = formats::BankFieldOfPointer(p.pointer());
    const bool reported = std::any_of(out.begin(), out.begin() + too_long,
                                      [&](const FieldProblem& f) { return f.first == field; });
    if (!reported) out.emplace_back(std::move(field), p.message());
  }
  // The server's order: byte limits are checked as the JSON is read, but both lists follow the
  // fields' order, so that a line's problems read left to right as Recognize checks them.
  static constexpr std::string_view kFieldOrder[] = {
      "learner", "unit",  "external_ref", "grade_scale", "grade_value",    "hours",
      "credits", "level", "completed_on", "attendance",  "evidence_sha256"};
  auto rank = [](const FieldProblem& p) {
    return std::find(std::begin(kFieldOrder), std::end(kFieldOrder), p.first) -
           std::begin(kFieldOrder);
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const FieldProblem& a, const FieldProblem& b) { return rank(a) < rank(b); });
  return out;
}

}  // namespace

Status Validate(MappedTable& table, const Institution& issuer, RestClient& remote,
                const std::string& token,
                std::unordered_map<std::string, std::optional<Unit>> units, Validated* out) {
  out->data_rows = table.table.rows.size();
  std::vector<Row> mapped;
  mapped.reserve(table.table.rows.size());
  // Rows with cells that did not read (a bad number): their other cells are still checked, so
  // that every problem of the line is listed, but they are never valid.
  std::unordered_set<size_t> unread_rows;
  std::vector<Status> cells;
  for (size_t r = 0; r < table.table.rows.size(); ++r) {
    CsvRow& csv_row = table.table.rows[r];
    cells.clear();
    auto in = RecordInputFromCsvRow(table.table.header, csv_row.fields, &cells);
    if (!in.ok()) {
      out->problems.push_back(formats::ProblemForField(table, csv_row.line, in.status().pointer(),
                                                       in.status().message()));
      ++out->invalid_rows;
      continue;
    }
    for (const Status& cell : cells) {
      out->problems.push_back(
          formats::ProblemForField(table, csv_row.line, cell.pointer(), cell.message()));
    }
    if (!cells.empty()) unread_rows.insert(mapped.size());
    mapped.push_back(Row{csv_row.line, std::move(in).value(), r, table.pending_of_row[r]});
  }
  // The rows the mapping refused (their lines already counted as left out, their problems the
  // mapping's) are checked too, as far as they mapped, so that the report names every problem
  // of such a line; `table_row` is the index into table.refused.
  std::vector<Row> refused_rows;
  for (size_t r = 0; r < table.refused.size(); ++r) {
    const formats::RefusedRow& refused = table.refused[r];
    cells.clear();
    auto in = RecordInputFromCsvRow(table.table.header, refused.row.fields, &cells);
    if (!in.ok()) continue;
    refused_rows.push_back(
        Row{refused.row.line, std::move(in).value(), r, refused.learner_by_national_id ? 0 : -1});
  }
  LCB_RETURN_IF_ERROR(FetchUnits(remote, token, mapped, &units));
  LCB_RETURN_IF_ERROR(FetchUnits(remote, token, refused_rows, &units));

  const GradeScales scales;
  const Days today = TodayUtc();
  std::unordered_map<std::string, int> first_line_of_ref;
  out->valid.reserve(mapped.size());
  for (size_t i = 0; i < mapped.size(); ++i) {
    Row& row = mapped[i];
    std::vector<FieldProblem> problems = CheckRow(row, units, issuer, scales, today);
    const bool unread = unread_rows.count(i) > 0;
    if (!unread && problems.empty()) {
      auto [it, inserted] = first_line_of_ref.emplace(row.input.external_ref, row.line);
      if (!inserted) {
        problems.emplace_back("external_ref", "'" + row.input.external_ref + "' is also on line " +
                                                  std::to_string(it->second) +
                                                  " (one record per external_ref)");
      }
    }
    if (unread || !problems.empty()) {
      for (auto& [field, reason] : problems) {
        out->problems.push_back(
            formats::ProblemForField(table, row.line, field, std::move(reason)));
      }
      ++out->invalid_rows;
      out->invalid.push_back(std::move(row));
      continue;
    }
    out->valid.push_back(std::move(row));
  }
  // Of a refused row, what is not said again of the cells the mapping refused (an empty grade
  // "is required" after "良" is not a grade).
  for (const Row& row : refused_rows) {
    const formats::RefusedRow& refused = table.refused[row.table_row];
    for (auto& [field, reason] : CheckRow(row, units, issuer, scales, today)) {
      if (refused.Refuses(field)) continue;
      out->problems.push_back(formats::ProblemForField(table, row.line, field, std::move(reason)));
    }
  }
  formats::SortProblems(&out->problems);
  return Status::Ok();
}

}  // namespace lcb::import_cli
