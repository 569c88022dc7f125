// JSON <-> domain model: the HTTP shapes of DESIGN.md and the stored documents (catalog rows,
// log entries), which are the same. Parsing is strict (unknown members, wrong types and bad values
// are errors naming the JSON pointer); output shapes are the ones DESIGN.md fixes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/json_util.h"
#include "engine/conversion.h"
#include "engine/grades.h"
#include "engine/model.h"
#include "engine/passbook.h"
#include "engine/recognition.h"

namespace lcb {

StatusOr<Institution> InstitutionFromJson(const json& doc, const std::string& id);
json InstitutionToJson(const Institution& inst);

StatusOr<Unit> UnitFromJson(const json& doc, const std::string& id);
json UnitToJson(const Unit& unit);

StatusOr<Program> ProgramFromJson(const json& doc, const std::string& id);
json ProgramToJson(const Program& program);

// {"kind": "numeric", "min", "max", "factor", "decimals", "pass_value"} or
// {"kind": "symbolic", "symbols": [{"symbol", "value"}...], "pass_value"}; numbers may have
// two decimals (min/max/factor), normalized values are 0..100.
StatusOr<GradeScale> GradeScaleFromJson(const json& doc, const std::string& id);
json GradeScaleToJson(const GradeScale& scale);

StatusOr<Ruleset> RulesetFromJson(const json& doc, const std::string& program);
json RulesetToJson(const Ruleset& ruleset);

// One posted record; `ptr` is its pointer ("/records/3" or "").
StatusOr<RecordInput> RecordInputFromJson(const json& doc, const std::string& ptr);
// The fast path for the common body {"records": [...]}: one SAX pass straight into
// RecordInputs, no JSON tree. Returns nullopt for anything that is not a fully valid batch of
// at most max_batch records with string grade values (a parse error, an unknown, duplicate,
// missing or ill-typed member, a number grade value, ...): the caller then takes the tree path,
// which accepts exactly the same batches and names the error. Tested against that path.
std::optional<std::vector<RecordInput>> ParseRecordBatchFast(std::string_view body,
                                                             size_t max_batch);
// Canonical form of what was posted: the idempotency fingerprint is its SHA-256.
json RecordInputToJson(const RecordInput& in);

// The log entry of a record (type "record"); bank fields included.
json RecordToEntry(const Record& r, const RecordInput& in, const std::string& recorded_at,
                   const std::string& salt_hex, const std::string& supersedes);
// The same two documents as canonical JSON (RFC 8785) bytes, written directly without a JSON
// tree: ingestion's hot path. Byte-for-byte equal to CanonicalJson(RecordInputToJson(in) plus
// "supersedes" when given) and CanonicalJson(RecordToEntry(...)) (tests/integration compare
// them on random records); InvalidArgument only for strings that are not UTF-8.
StatusOr<std::string> RecordInputCanonical(const RecordInput& in, const std::string& supersedes);
StatusOr<std::string> RecordEntryCanonical(const Record& r, const RecordInput& in,
                                           const std::string& recorded_at,
                                           const std::string& salt_hex,
                                           const std::string& supersedes);
// Back from a stored entry (status comes from elsewhere).
StatusOr<Record> RecordFromEntry(const json& entry);
// The same from the entry's text, read with simdjson (the statistics read every record posted:
// ~0.4 us for an entry as posted, against ~4 us by the tree path; codec/record_entry_fast.cc):
// the record RecordFromEntry(json::parse(bytes)) gives, or nullopt whenever that path must
// decide (not a record entry, malformed, any shape it does not expect).
std::optional<Record> RecordFromEntryFast(std::string_view bytes);

// GET /v1/learners/{id}/passbook's body: the passbook's fields added to `extra` (other fields of
// the answer), as JSON text. Its size grows with `expiring` (every record of the coming year),
// so that list is written directly rather than built as json values.
std::string PassbookJsonText(const std::string& learner, const Passbook& p,
                             json extra = json::object());

// A conversion result as POST /v1/conversions/evaluate answers it and as the "result" of a
// logged conversion entry.
json ConversionToJson(const ConversionResult& result, const std::string& learner);

}  // namespace lcb
