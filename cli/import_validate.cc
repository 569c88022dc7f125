#include "cli/import_validate.h"

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

// The first problem of one row as POST /v1/records would see it, or nullopt.
std::optional<std::pair<std::string, std::string>> CheckRow(
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
  for (const auto& [limit, value] : sized) {
    if (auto why = CheckBytes(limit, value)) return std::pair{std::string(limit.field), *why};
  }
  static const Unit kNoUnit;  // for rows without a unit: Recognize reports "/unit is required"
  const Unit* unit = &kNoUnit;
  if (!in.unit.empty()) {
    auto it = units.find(in.unit);
    if (it == units.end() || !it->second) {
      return std::pair{std::string("unit"), "no unit '" + in.unit + "' in the catalog"};
    }
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
  auto rec = Recognize(*checked, *unit, issuer, scales, today);
  if (!rec.ok()) {
    return std::pair{formats::BankFieldOfPointer(rec.status().pointer()), rec.status().message()};
  }
  return std::nullopt;
}

}  // namespace

Status Validate(MappedTable& table, const Institution& issuer, RestClient& remote,
                const std::string& token,
                std::unordered_map<std::string, std::optional<Unit>> units, Validated* out) {
  out->data_rows = table.table.rows.size();
  std::vector<Row> mapped;
  mapped.reserve(table.table.rows.size());
  for (size_t r = 0; r < table.table.rows.size(); ++r) {
    CsvRow& csv_row = table.table.rows[r];
    auto in = RecordInputFromCsvRow(table.table.header, csv_row.fields);
    if (!in.ok()) {
      out->problems.push_back(formats::ProblemForField(table, csv_row.line, in.status().pointer(),
                                                       in.status().message()));
      continue;
    }
    mapped.push_back(Row{csv_row.line, std::move(in).value(), r, table.pending_of_row[r]});
  }
  LCB_RETURN_IF_ERROR(FetchUnits(remote, token, mapped, &units));

  const GradeScales scales;
  const Days today = TodayUtc();
  std::unordered_map<std::string, int> first_line_of_ref;
  out->valid.reserve(mapped.size());
  for (Row& row : mapped) {
    auto problem = CheckRow(row, units, issuer, scales, today);
    if (!problem) {
      auto [it, inserted] = first_line_of_ref.emplace(row.input.external_ref, row.line);
      if (!inserted) {
        problem = std::pair{std::string("external_ref"),
                            "'" + row.input.external_ref + "' is also on line " +
                                std::to_string(it->second) + " (one record per external_ref)"};
      }
    }
    if (problem) {
      out->problems.push_back(
          formats::ProblemForField(table, row.line, problem->first, std::move(problem->second)));
      continue;
    }
    out->valid.push_back(std::move(row));
  }
  formats::SortProblems(&out->problems);
  return Status::Ok();
}

}  // namespace lcb::import_cli
