// Every storage key the bank writes, one section per table of storage/kv.h, as a grammar, with
// the functions that build and read them. Nothing else in the code spells a key by hand.
//
//   BE64(n), BE32(n)  n as 8 / 4 bytes, big-endian (so keys sort in numeric order)
//   0x00              a NUL byte (ids never contain one: they are validated slugs / UTF-8 text
//                     without control characters)
//
//   kMeta            name                          -> value
//                      "admin_bootstrapped"        -> id of the first admin token
//                      "log_keys"                  -> JSON list of log verifier keys with validity
//                      "credential_keys"           -> JSON list of the credential keys with
//                                                     validity (service/credential_keys.h)
//                      "witness_cosignatures"      -> the witnesses' cosignatures kept across
//                                                     restarts (codec/rows.h CosignedNoteRow)
//                      (the Ledger's own names: storage/ledger.h)
//   kCatalog         "inst/" institution-id        -> institution JSON (codec/mapping.h)
//                    "unit/" unit-id               -> unit JSON
//                    "prog/" program-id            -> program JSON
//                    "scale/" grade-scale-id       -> registered grade scale JSON
//                    "posted/" institution-id      -> "" once the institution posted a record
//                                                     (written with every record entry; its
//                                                     regime may not change afterwards)
//   kRulesets        program-id 0x00 BE32(version) -> BE64(leaf of the publication entry)
//   kTokens          "h/" hex(SHA-256(token))      -> token JSON {id, role, created_at, ...}
//                    "i/" token-id                 -> hex(SHA-256(token))
//   kLearners        "l/" learner-id               -> learner JSON {id, created_at, ...}
//                    "n/" hex(HMAC(national id))   -> learner-id
//                    "p/" learner-id               -> the learner's passbook totals (a cache:
//                                                     codec/rows.h EncodePassbookRow)
//                    "t/" hex(SHA-256(code))       -> what a transcript held (codec/rows.h
//                                                     EncodeTranscriptRow); the verification
//                                                     code itself is never stored
//   kGrants          learner-id 0x00 institution   -> grant JSON
//   kLearnerRecords  learner-id 0x00 BE64(leaf)    -> record-id ("rec_...") of a record entry,
//                                                     or revocation-id ("rev_...") of the entry
//                                                     revoking one of the learner's records:
//                                                     the learner's events in log order
//                                                     (written with the entry)
//   kConversions     learner-id 0x00 BE64(leaf)    -> conversion-id  (written with the entry)
//   kStatus          record-id                     -> id of the entry that revoked it
//   kAdminLog        BE64(sequence)                -> admin action JSON
//   kUnique          idempotency key               -> BE64(leaf) fingerprint(32) object-id
//                      (object-id "=": the same as the key, for records)
//                      key = record-id | "revoke/" record-id | "ruleset/" program "/" version
//   kObjects         object-id                     -> BE64(leaf)
//   kLogLeaves, kLogNodes, kCheckpoints            -> written only by the Ledger (ledger.h)
//
// Record ids are "rec_" + hex(SHA-256("record" 0x00 issuer 0x00 external_ref))[:24], so a
// retried posting names the same record (RecordId below).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lcb::keys {

enum class CatalogKind { kInstitution, kUnit, kProgram, kGradeScale };
std::string_view CatalogPrefix(CatalogKind kind);  // "inst/", "unit/", "prog/", "scale/"
std::string Catalog(CatalogKind kind, std::string_view id);
// The first key after every key of `kind` (the scan end).
std::string CatalogEnd(CatalogKind kind);

// kCatalog "posted/" institution-id: the institution has posted records.
std::string InstitutionPosted(std::string_view institution);

inline constexpr std::string_view kMetaAdminBootstrapped = "admin_bootstrapped";
inline constexpr std::string_view kMetaLogKeys = "log_keys";
inline constexpr std::string_view kMetaCredentialKeys = "credential_keys";
// Hex HMAC-SHA256(national-ID secret, "creditbank national-id secret check v1"): tells whether
// a node's secret is the one the store's learners were made with, revealing nothing of it.
inline constexpr std::string_view kMetaNationalIdSecretCheck = "national_id_secret_check";
inline constexpr std::string_view kMetaWitnessCosignatures = "witness_cosignatures";
// Several nodes on one store: "node/" + a node's lease holder name -> the URL it takes
// forwarded writes at (Services::AdvertiseNode).
inline constexpr std::string_view kMetaNodePrefix = "node/";

// `owner` 0x00 BE64(leaf): kLearnerRecords and kConversions.
std::string OwnerLeaf(std::string_view owner, uint64_t leaf);
// Every key of `owner` in those tables lies in [OwnerBegin, OwnerEnd).
std::string OwnerBegin(std::string_view owner);
std::string OwnerEnd(std::string_view owner);
// The leaf of an OwnerLeaf key.
uint64_t LeafOfOwnerKey(std::string_view key);

std::string Grant(std::string_view learner, std::string_view institution);

std::string Ruleset(std::string_view program, uint32_t version);
uint32_t VersionOfRulesetKey(std::string_view key);
// The program of any kRulesets key.
std::string_view ProgramOfRulesetKey(std::string_view key);

std::string TokenByHash(std::string_view sha256_hex);
std::string TokenById(std::string_view token_id);
inline constexpr std::string_view kTokenHashPrefix = "h/";
inline constexpr std::string_view kTokenHashEnd = "h0";

std::string Learner(std::string_view learner_id);
std::string LearnerPassbook(std::string_view learner_id);
std::string LearnerByNationalId(std::string_view hmac_hex);
std::string TranscriptByCodeHash(std::string_view sha256_hex);

std::string AdminAction(uint64_t sequence);

// A revocation's id names the record it revokes: "rev_" + the record id after "rec_".
std::string RevocationId(std::string_view record_id);
std::string RecordOfRevocation(std::string_view revocation_id);
bool IsRevocationId(std::string_view id);

// Idempotency keys of kUnique for entries other than records (a record's is its id).
std::string RevocationUnique(std::string_view record_id);
std::string RulesetUnique(std::string_view program, uint32_t version);

std::string RecordId(std::string_view issuer, std::string_view external_ref);

}  // namespace lcb::keys
