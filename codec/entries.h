// The log entries other than records (codec/mapping.h writes those), and the stored catalog
// documents, as the services need them: typed in, canonical bytes out, and back.
// docs/formats.md gives their grammars.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/conversion.h"
#include "engine/grades.h"
#include "engine/model.h"
#include "engine/recognition.h"

namespace lcb {

// type "revocation": {id, record, issuer, reason, recorded_at, salt?, superseded_by?}.
struct RevocationEntry {
  std::string id;
  std::string record;
  std::string issuer;
  std::string reason;
  std::string recorded_at;
  std::string superseded_by;  // a correction's replacement, or empty
  // 32 hex digits (16 random bytes), as a record's: without it, the leaf hash of a revocation of
  // a guessable record id (its issuer and external_ref), with the default reason, is found by
  // trying each millisecond. Empty in entries written before 2026-12-07 (then not written).
  std::string salt_hex;
};
std::string RevocationEntryBytes(const RevocationEntry& e);
// The idempotency fingerprint's document: what a retry must repeat ({reason, superseded_by?}).
std::string RevocationFingerprintBytes(const RevocationEntry& e);
// A revocation entry read back: DataLoss when the bytes are not the revocation entry `id`.
StatusOr<RevocationEntry> ParseRevocationEntry(std::string_view bytes, const std::string& id);

// type "ruleset": {id, program, version, published_by, published_at, program_snapshot, rules}.
struct RulesetEntry {
  int version = 0;
  std::string published_by;
  std::string published_at;
  Program program_snapshot;
  Ruleset ruleset;  // version filled in; sha256_hex left to the caller (hash of the bytes)
};
StatusOr<std::string> RulesetEntryBytes(const RulesetEntry& e);
std::string RulesetEntryId(std::string_view program, int version);
// DataLoss when the bytes are not a ruleset entry of `program`.
StatusOr<RulesetEntry> ParseRulesetEntry(std::string_view bytes, const std::string& program);

// type "conversion": {id, learner, program, program_sha256, program_snapshot?, decided_by,
// decided_at, result} (the snapshot left out when it would not fit an entry);
// `result` is what evaluate answers less `unused`, with `unused_count` (docs/formats.md).
StatusOr<std::string> ConversionEntryBytes(const std::string& id, const std::string& learner,
                                           const Program& program, const std::string& decided_by,
                                           const std::string& decided_at,
                                           const ConversionResult& result);

// A record's entry with the signed submission it came in ({"submission": {jws, body_sha256}});
// RecordEntryCanonical (codec/mapping.h) writes the unsigned ones.
StatusOr<std::string> SignedRecordEntryBytes(const Record& r, const RecordInput& in,
                                             const std::string& recorded_at,
                                             const std::string& salt_hex,
                                             const std::string& supersedes, const std::string& jws,
                                             const std::string& body_sha256);

// A record entry read back: NotFound when the entry holds another object with this id,
// DataLoss when it does not hold the record it should.
StatusOr<Record> ParseRecordEntry(std::string_view bytes, const std::string& id,
                                  uint64_t leaf_index);

// Catalog documents as stored: the object's JSON plus "updated_at".
std::string StoredInstitution(const Institution& v, const std::string& updated_at);
std::string StoredUnit(const Unit& v, const std::string& updated_at);
std::string StoredProgram(const Program& v, const std::string& updated_at);
StatusOr<Institution> ParseStoredInstitution(std::string_view text, const std::string& id,
                                             std::string* updated_at);
StatusOr<Unit> ParseStoredUnit(std::string_view text, const std::string& id,
                               std::string* updated_at);
StatusOr<Program> ParseStoredProgram(std::string_view text, const std::string& id,
                                     std::string* updated_at);
std::string StoredGradeScale(const GradeScale& scale);
StatusOr<GradeScale> ParseStoredGradeScale(std::string_view text, const std::string& id);

}  // namespace lcb
