#include "engine/recognition.h"

#include <algorithm>
#include <charconv>
#include <type_traits>
#include <utility>

#include "engine/catalog_validation.h"
#include "engine/regimes.h"

namespace lcb {
namespace {

constexpr Centi kMaxRecordCredits = kMaxUnitCredits;
constexpr Centi kMaxRecordHours = kMaxUnitHours;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Status CheckIssuerMayPost(const Unit& unit, const Institution& issuer) {
  if (unit.institution == issuer.id) return Status::Ok();
  const bool certifies =
      std::any_of(issuer.certifies.begin(), issuer.certifies.end(),
                  [&](const std::string& p) { return !p.empty() && StartsWith(unit.id, p); });
  if (certifies) return Status::Ok();
  return Status::PermissionDenied(Field("/unit"), "unit belongs to " + unit.institution +
                                                      "; issuer " + issuer.id +
                                                      " is not registered to certify it");
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Where Recognize puts its problems: the first is what it returns; with a list (the caller's
// `problems`), every independent one is also appended there. Without a list the first problem
// ends the checks (Add returns false and `more` turns false), as it always has.
class Problems {
 public:
  explicit Problems(std::vector<Status>* all) : all_(all) {}

  // True when `s` is Ok; otherwise records it and returns false.
  bool Add(const Status& s) {
    if (s.ok()) [[likely]]
      return true;
    if (first_.ok()) first_ = s;
    if (all_ != nullptr) all_->push_back(s);
    return false;
  }
  // Whether the next independent check is worth making: none failed yet, or all are wanted.
  bool more() const { return first_.ok() || all_ != nullptr; }
  bool any() const { return !first_.ok(); }
  const Status& first() const { return first_; }

 private:
  Status first_;
  std::vector<Status>* all_;
};

// Credits and hours as posted -> resolved credits (and the hours to keep). A bad /hours and a
// bad /credits are both reported; whether they agree is asked only of two valid amounts.
void ResolveCredits(const RecordInput& input, const Unit& unit, const Institution& issuer,
                    Record* out, Problems& problems) {
  bool ok = true;
  if (input.hours) {
    if (*input.hours < 0 || *input.hours > kMaxRecordHours) {
      ok = problems.Add(Status::InvalidArgument(Field("/hours"), "must be 0 to 100000 hours"));
    } else if (issuer.hours_per_credit <= 0) {
      ok = problems.Add(
          Status::FailedPrecondition("issuer " + issuer.id + " has no hours_per_credit"));
    }
    if (!problems.more()) return;
  }
  if (input.credits && (*input.credits < 0 || *input.credits > kMaxRecordCredits)) {
    ok = problems.Add(Status::InvalidArgument(Field("/credits"), "must be 0 to 1000 credits"));
  }
  if (!ok) return;
  if (input.hours) {
    const Centi derived = CreditsFromHours(*input.hours, issuer.hours_per_credit);
    if (input.credits && *input.credits != derived) {
      problems.Add(Status::InvalidArgument(
          Field("/credits"), "credits " + CentiToString(*input.credits) + " do not match hours " +
                                 CentiToString(*input.hours) + " at " +
                                 CentiToString(issuer.hours_per_credit) + " hours per credit (" +
                                 CentiToString(derived) + " credits)"));
      return;
    }
    if (derived > kMaxRecordCredits) {
      problems.Add(Status::InvalidArgument(Field("/hours"), "amounts to more than 1000 credits"));
      return;
    }
    out->credits = derived;
    out->hours = *input.hours;
  } else if (input.credits) {
    out->credits = *input.credits;
  } else {
    out->credits = unit.credits;
    if (unit.hours > 0) out->hours = unit.hours;
  }
}

// /level in 1..10 and in the issuer's framework; common_level from it.
void ResolveLevel(const RecordInput& input, const Unit& unit, const Institution& issuer,
                  Record* record, Problems& problems) {
  record->level = input.level.value_or(unit.level);
  if (record->level < kMinLevel || record->level > kMaxLevel) {
    problems.Add(Status::InvalidArgument(Field("/level"), "must be a level from 1 to 10"));
    return;
  }
  // The level stays as posted; the common (EQF) level is what min_level compares against.
  problems.Add(ResolveCommonLevel(issuer, record));
}

// /completed_on: a date, not after today; expires_on from it.
void ResolveCompletedOn(const RecordInput& input, const Unit& unit, Days today, Record* record,
                        Problems& problems) {
  if (input.completed_on.empty()) {
    problems.Add(Status::InvalidArgument(Field("/completed_on"), "is required"));
    return;
  }
  StatusOr<Days> date = ParseDate(input.completed_on, "/completed_on");
  if (!date.ok()) {
    problems.Add(date.status());
    return;
  }
  record->completed_on = *date;
  if (record->completed_on > today) {
    problems.Add(Status::InvalidArgument(Field("/completed_on"),
                                         "is in the future (today is " + FormatDate(today) + ")"));
    return;
  }
  if (unit.validity_years > 0) {
    record->expires_on = AddYears(record->completed_on, unit.validity_years);
  }
}

int ColumnIndex(std::string_view name) {
  for (size_t i = 0; i < std::size(kRecordCsvColumns); ++i) {
    if (kRecordCsvColumns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

constexpr std::string_view kRequiredColumns[] = {"learner",     "unit",        "external_ref",
                                                 "grade_scale", "grade_value", "completed_on"};

StatusOr<int> ParseLevelCell(std::string_view cell) {
  int value = 0;
  const char* end = cell.data() + cell.size();
  auto [ptr, ec] = std::from_chars(cell.data(), end, value);
  if (ec != std::errc() || ptr != end || cell[0] == '-' || cell[0] == '+') {
    return Status::InvalidArgument(Field("/level"), "must be a whole number from 1 to 10");
  }
  return value;
}

// The checks of a record's own fields against its unit, each reported: grade, amounts, level,
// date, the optional fields. `unit_known` false: the unit is not in the catalog, so nothing of
// it stands in (no amounts, level or validity), and a level is checked only as posted.
void CheckFields(const RecordInput& input, const Unit& unit, const Institution& issuer,
                 const GradeScales& scales, Days today, bool unit_known, Record* record,
                 Problems& found) {
  if (found.more()) {
    StatusOr<int> grade = scales.Normalize(input.grade_scale, input.grade_value);
    if (grade.ok()) {
      record->grade = *grade;
      record->passing = scales.IsPassing(input.grade_scale, *grade);
    } else {
      found.Add(grade.status());
    }
    record->grade_scale = input.grade_scale;
    record->grade_value = input.grade_value;
  }
  if (found.more()) ResolveCredits(input, unit, issuer, record, found);
  if (found.more() && (unit_known || input.level)) ResolveLevel(input, unit, issuer, record, found);
  if (found.more()) ResolveCompletedOn(input, unit, today, record, found);
  if (input.attendance && found.more() &&
      found.Add(ValidateText(*input.attendance, "/attendance", kMaxAttendanceChars))) {
    record->attendance = *input.attendance;
  }
  if (input.evidence_sha256 && found.more()) {
    if (IsLowerHex64(*input.evidence_sha256)) {
      record->evidence_sha256 = *input.evidence_sha256;
    } else {
      found.Add(Status::InvalidArgument(Field("/evidence_sha256"),
                                        "must be a SHA-256 digest as 64 lowercase hex digits"));
    }
  }
}

}  // namespace

Centi CreditsFromHours(Centi hours, Centi hours_per_credit) {
  // credits (hundredths) = hours * 100 / hours_per_credit, rounded half up.
  return (2 * hours * kCentiPerCredit + hours_per_credit) / (2 * hours_per_credit);
}

StatusOr<Record> Recognize(const RecordInput& input, const Unit& unit, const Institution& issuer,
                           const GradeScales& scales, Days today, std::vector<Status>* problems) {
  Problems found(problems);
  // The record's identity. A unit that is not the one looked up, or that the issuer may not
  // post for, ends the checks: every other check is against that unit.
  found.Add(ValidateText(input.learner, "/learner", kMaxLearnerChars));
  if (!found.more()) return found.first();
  if (input.unit.empty()) {
    found.Add(Status::InvalidArgument(Field("/unit"), "is required"));
    return found.first();
  }
  if (input.unit != unit.id) {
    found.Add(Status::InvalidArgument(Field("/unit"), "does not name unit " + unit.id));
    return found.first();
  }
  // A unit the issuer may not post for is still this unit: with a list, its checks go on.
  found.Add(CheckIssuerMayPost(unit, issuer));
  if (!found.more()) return found.first();
  found.Add(ValidateText(input.external_ref, "/external_ref", kMaxExternalRefChars));

  Record record;
  record.learner = input.learner;
  record.unit = unit.id;
  record.issuer = issuer.id;
  record.external_ref = input.external_ref;
  record.kind = unit.kind;
  record.field = unit.field;

  CheckFields(input, unit, issuer, scales, today, /*unit_known=*/true, &record, found);
  if (found.any()) return found.first();
  record.source = input.source;
  return record;
}

void CheckWithoutUnit(const RecordInput& input, const Institution& issuer,
                      const GradeScales& scales, Days today, std::vector<Status>* problems) {
  Problems found(problems);
  found.Add(ValidateText(input.learner, "/learner", kMaxLearnerChars));
  found.Add(ValidateText(input.external_ref, "/external_ref", kMaxExternalRefChars));
  Unit none;
  none.id = input.unit;
  Record record;
  CheckFields(input, none, issuer, scales, today, /*unit_known=*/false, &record, found);
}

Status ValidateRecordCsvHeader(const std::vector<std::string>& header) {
  bool seen[std::size(kRecordCsvColumns)] = {};
  for (const std::string& name : header) {
    const int idx = ColumnIndex(name);
    if (idx < 0) {
      std::string known;
      for (std::string_view column : kRecordCsvColumns) {
        if (!known.empty()) known += ", ";
        known += column;
      }
      std::string shown = ValidateText(name, "", 64).ok() ? "\"" + name + "\"" : "a column";
      return Status::InvalidArgument(Field("/" + JsonPointerEscape(name)),
                                     "unknown CSV column " + shown + "; columns are " + known);
    }
    if (seen[idx]) {
      return Status::InvalidArgument(Field("/" + name), "CSV column " + name + " appears twice");
    }
    seen[idx] = true;
  }
  for (std::string_view required : kRequiredColumns) {
    if (!seen[ColumnIndex(required)]) {
      return Status::InvalidArgument(
          Field("/" + std::string(required)),
          "CSV header lacks the required column " + std::string(required));
    }
  }
  return Status::Ok();
}

namespace {

// Column positions in kRecordCsvColumns.
enum CsvColumn : int {
  kLearnerCol,
  kUnitCol,
  kExternalRefCol,
  kCreditsCol,
  kHoursCol,
  kLevelCol,
  kGradeScaleCol,
  kGradeValueCol,
  kCompletedOnCol,
  kAttendanceCol,
  kEvidenceCol,
};
static_assert(kRecordCsvColumns[kLearnerCol] == "learner" &&
              kRecordCsvColumns[kCreditsCol] == "credits" &&
              kRecordCsvColumns[kGradeScaleCol] == "grade_scale" &&
              kRecordCsvColumns[kCompletedOnCol] == "completed_on" &&
              kRecordCsvColumns[kEvidenceCol] == "evidence_sha256" &&
              std::size(kRecordCsvColumns) == kEvidenceCol + 1);

// Copies or moves the cells of `row` (a const or non-const vector) into a RecordInput.
template <typename Row>
StatusOr<RecordInput> MapCsvRow(const std::vector<std::string>& header, Row& row,
                                std::vector<Status>* cell_problems) {
  LCB_RETURN_IF_ERROR(ValidateRecordCsvHeader(header));
  if (row.size() != header.size()) {
    return Status::InvalidArgument(Field(""), "row has " + std::to_string(row.size()) +
                                                  " cells but the header has " +
                                                  std::to_string(header.size()));
  }
  constexpr bool kMove = !std::is_const_v<Row>;
  auto take = [](auto& cell) -> std::string {
    if constexpr (kMove) {
      return std::move(cell);
    } else {
      return cell;
    }
  };
  // A cell that does not read: the row's error, or with `cell_problems` one of them.
  auto unread = [cell_problems](Status s) {
    if (cell_problems == nullptr) return s;
    cell_problems->push_back(std::move(s));
    return Status::Ok();
  };
  RecordInput input;
  for (size_t col_idx = 0; col_idx < header.size(); ++col_idx) {
    auto& cell = row[col_idx];
    if (cell.empty()) continue;
    switch (ColumnIndex(header[col_idx])) {
      case kLearnerCol:
        input.learner = take(cell);
        break;
      case kUnitCol:
        input.unit = take(cell);
        break;
      case kExternalRefCol:
        input.external_ref = take(cell);
        break;
      case kCreditsCol: {
        auto value = CentiFromString(cell, "/credits");
        if (value.ok()) {
          input.credits = *value;
        } else {
          LCB_RETURN_IF_ERROR(unread(value.status()));
        }
        break;
      }
      case kHoursCol: {
        auto value = CentiFromString(cell, "/hours");
        if (value.ok()) {
          input.hours = *value;
        } else {
          LCB_RETURN_IF_ERROR(unread(value.status()));
        }
        break;
      }
      case kLevelCol: {
        auto value = ParseLevelCell(cell);
        if (value.ok()) {
          input.level = *value;
        } else {
          LCB_RETURN_IF_ERROR(unread(value.status()));
        }
        break;
      }
      case kGradeScaleCol:
        input.grade_scale = take(cell);
        break;
      case kGradeValueCol:
        input.grade_value = take(cell);
        break;
      case kCompletedOnCol:
        input.completed_on = take(cell);
        break;
      case kAttendanceCol:
        input.attendance = take(cell);
        break;
      case kEvidenceCol:
        input.evidence_sha256 = take(cell);
        break;
      default:
        break;  // unreachable: the header was validated
    }
  }
  return input;
}

}  // namespace

StatusOr<RecordInput> RecordInputFromCsvRow(const std::vector<std::string>& header,
                                            const std::vector<std::string>& row,
                                            std::vector<Status>* cell_problems) {
  return MapCsvRow(header, row, cell_problems);
}

StatusOr<RecordInput> RecordInputFromCsvRow(const std::vector<std::string>& header,
                                            std::vector<std::string>&& row,
                                            std::vector<Status>* cell_problems) {
  return MapCsvRow(header, row, cell_problems);
}

}  // namespace lcb
