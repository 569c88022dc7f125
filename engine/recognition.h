// Recognition: turns an outcome record as an institution posts it into the Record the bank
// stores, checking it against the unit it names and the issuer posting it.
//
// Rules, checked in this order (pointers are relative to the posted record, api/ prefixes
// "/records/<i>" for batches). The error returned is the first failure; with a `problems`
// list, every independent failure is also appended to it, in this order, so that a registrar
// meets all of a row's problems at once. A /unit failure ends the checks (the rest are against
// that unit); so does a failure of /hours or /credits for the checks of the two together, of
// /level for its framework, and of /completed_on's date for "not after today".
//
//   /learner          required, at most 128 characters, no control characters
//   /unit             required, equals unit.id; the issuer owns the unit
//                     (unit.institution == issuer.id) or certifies it (unit.id starts with one
//                     of issuer.certifies) -- else kPermissionDenied at "/unit" (403: the
//                     issuer is authenticated but may not post for that unit; the pointer is
//                     kept so the batch error still names the record and field)
//   /external_ref     required, at most 128 characters, no control characters
//   /grade/scale      a registered scale
//   /grade/value      valid in that scale; stored as posted plus the normalized 0..100 value
//   /hours            0..100000 hours (hundredths; rejected if negative)
//   /credits          0..1000 credits. With hours and credits both given, credits must equal
//                     hours / issuer.hours_per_credit rounded half up to hundredths; with only
//                     hours, credits are that quotient; with neither, the unit's credits
//   /level            1..10; default the unit's level
//                     and, when the issuer has a regime, a level of its framework;
//                     common_level is set from it (engine/regimes.h)
//   /completed_on     a YYYY-MM-DD calendar date, not after `today`
//   /attendance       optional, at most 64 characters, no control characters
//   /evidence_sha256  optional, exactly 64 lowercase hex digits
//
// kind and field always come from the unit; expires_on = AddYears(completed_on,
// unit.validity_years) when validity_years > 0 (an outcome may be recognized after it has
// already expired; it is then stored but never counts). A failing grade (below the scale's
// pass_value) is recognized too, with `passing` false: stored and shown, never counted.
// Recognize sets `issuer` to issuer.id;
// id, recorded_at and salt are the caller's (api/) to set.
//
// Thread-safe: pure functions over const inputs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/credits.h"
#include "common/date.h"
#include "common/status.h"
#include "engine/grades.h"
#include "engine/limits.h"
#include "engine/model.h"

namespace lcb {


// A record as posted, before the bank adds its fields. Empty/unset optionals take the unit's
// values.
struct RecordInput {
  std::string learner;
  std::string unit;
  std::string external_ref;
  std::optional<Centi> credits;
  std::optional<Centi> hours;  // hundredths of an hour
  std::optional<int> level;
  std::string grade_scale;
  std::string grade_value;
  std::string completed_on;  // YYYY-MM-DD
  std::optional<std::string> attendance;
  std::optional<std::string> evidence_sha256;
  // Set by the bank, never read from a posted body: kCredential for a record made from a
  // verified credential (service/credential_input.h).
  RecordSource source = RecordSource::kPost;
  friend bool operator==(const RecordInput&, const RecordInput&) = default;
};

// `unit` is the catalog unit named by input.unit (the caller looked it up; an unknown unit is
// the caller's kNotFound); `issuer` is the institution of the posting token. `problems`, when
// given, receives every problem found (the first is also the error returned); nothing is
// appended for a record that recognizes, and a valid record costs the same either way.
StatusOr<Record> Recognize(const RecordInput& input, const Unit& unit, const Institution& issuer,
                           const GradeScales& scales, Days today,
                           std::vector<Status>* problems = nullptr);

// The checks of Recognize that need no unit, for a record whose unit is missing or not in the
// catalog (the caller reports that): the learner's and external_ref's text, the grade, credits
// and hours as posted, a posted level, the date, attendance and evidence. Appends every problem
// to *problems, so that an unknown unit hides none of the record's other problems.
void CheckWithoutUnit(const RecordInput& input, const Institution& issuer,
                      const GradeScales& scales, Days today, std::vector<Status>* problems);

// credits = hours / hours_per_credit, both in hundredths, rounded half up to hundredths.
// hours_per_credit must be > 0.
Centi CreditsFromHours(Centi hours, Centi hours_per_credit);

// The CSV column names, in the order DESIGN.md lists them.
inline constexpr std::string_view kRecordCsvColumns[] = {
    "learner",     "unit",        "external_ref", "credits",    "hours",          "level",
    "grade_scale", "grade_value", "completed_on", "attendance", "evidence_sha256"};

// Maps one CSV data row to a RecordInput. `header` names the columns (any order, each at most
// once, every name one of kRecordCsvColumns); learner, unit, external_ref, grade_scale,
// grade_value and completed_on must be present. An empty cell leaves the field unset (empty
// for the string fields, which Recognize then reports as required). Errors are
// kInvalidArgument pointing at the column's field: "/credits" for a bad number, "/weight" for
// an unknown column, "/learner" for a missing required column. Cells are not trimmed.
// With `cell_problems`, every cell that does not read (a bad number) is appended there instead
// and its field left unset (the unit's value stands in, so that Recognize can still check the
// row's other cells), and the rest of the row is returned; a bad header or a short row is still
// the error returned.
StatusOr<RecordInput> RecordInputFromCsvRow(const std::vector<std::string>& header,
                                            const std::vector<std::string>& row,
                                            std::vector<Status>* cell_problems = nullptr);
// Same, moving the cells out of `row`.
StatusOr<RecordInput> RecordInputFromCsvRow(const std::vector<std::string>& header,
                                            std::vector<std::string>&& row,
                                            std::vector<Status>* cell_problems = nullptr);

// The header check alone, so that api/ can reject a file once instead of once per row.
Status ValidateRecordCsvHeader(const std::vector<std::string>& header);

}  // namespace lcb
