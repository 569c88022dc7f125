// Typed forms of the small JSON rows the services store (storage/keys.h names their keys).
// Stored rows are JSON so that an operator can read a dump; the services see only these
// structs. Decoders return DataLoss for a row that is not what this code wrote.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/passbook.h"

namespace lcb {

struct TokenRow {
  std::string id;
  std::string role;
  std::string created_at;
  std::string expires_at;  // RFC 3339 or empty
  bool revoked = false;
  std::string revoked_at;
};
std::string EncodeTokenRow(const TokenRow& row);
StatusOr<TokenRow> DecodeTokenRow(std::string_view text);

struct LearnerRow {
  std::string id;
  std::string created_at;
  std::string created_by;  // the role that created it
  std::optional<std::string> display_name;
  std::optional<std::string> national_id_hmac;  // hex; the national ID itself is never stored
  std::optional<std::string> region;            // GB/T 2260 six-digit code
  // The log's size read before the row was written (rows since 2026-12-04): every record of the
  // learner lies at this leaf or above, which lets the statistics take a new account without
  // replaying the log (service/stats.cc).
  std::optional<uint64_t> logged_before;
};
std::string EncodeLearnerRow(const LearnerRow& row);
StatusOr<LearnerRow> DecodeLearnerRow(std::string_view text);

struct GrantRow {
  std::string learner;
  std::string institution;
  std::string granted_at;
  std::string expires_at;  // RFC 3339 or empty
};
std::string EncodeGrantRow(const GrantRow& row);
StatusOr<GrantRow> DecodeGrantRow(std::string_view text);

struct AdminActionRow {
  uint64_t seq = 0;
  std::string at;
  std::string by;        // role
  std::string token_id;  // never the token
  std::string action;
  std::string object;
};
std::string EncodeAdminActionRow(const AdminActionRow& row);
StatusOr<AdminActionRow> DecodeAdminActionRow(std::string_view text);

// A log signing key as published: the newest has no valid_until.
struct LogKeyRow {
  std::string verifier_key;  // "<origin>+<hex key id>+<base64(0x01 || key)>"
  std::string public_key_pem;
  std::string key_id;
  std::string valid_from;
  std::string valid_until;  // empty for the current key
};
std::string EncodeLogKeyRows(const std::vector<LogKeyRow>& rows);
StatusOr<std::vector<LogKeyRow>> DecodeLogKeyRows(std::string_view text);

// A learner's passbook totals and the last leaf they include (storage/keys.h "p/"). Binary:
//   "PBT3" BE64(watermark) tallies revoked_count:i64 failed_count:i64 count:u32 day*
//   tallies  = tally(total) tally(kind)*9 map(level:int) map(field) map(issuer) map(year:int)
//   map      = count:u32 (key tally)*     key = len:u32 bytes, or an i64 for int keys
//   tally    = credits:i64 records:i64
//   day      = expires_on:i64 tallies count:u32 (record:bytes credits:i64 unit:bytes)*
// (integers big-endian). A row this code cannot read (an older magic: "PBT2" rows counted
// failing grades) is DataLoss: the caller rebuilds it from the learner's records.
std::string EncodePassbookRow(uint64_t watermark, const PassbookTotals& totals);
StatusOr<PassbookTotals> DecodePassbookRow(std::string_view bytes, uint64_t* watermark);

// What a transcript held (storage/keys.h kLearners "t/"), JSON:
//   {"learner", "generated_at", "checkpoint": {"origin", "tree_size", "root_hash"},
//    "records": [record-id…], "credits": hundredths}
struct TranscriptRow {
  std::string learner;
  std::string generated_at;
  std::string origin;
  uint64_t tree_size = 0;
  std::string root_hash_hex;
  std::vector<std::string> records;  // in the order printed
  int64_t total_centi = 0;
};
std::string EncodeTranscriptRow(const TranscriptRow& row);
StatusOr<TranscriptRow> DecodeTranscriptRow(std::string_view text);

// The witnesses' cosignatures the bank keeps (storage/keys.h kMeta "witness_cosignatures"),
// so that a restarted bank serves its checkpoint with them at once. JSON, oldest first:
//   [{"note": signed_note, "cosignatures": {witness-name: cosig_line, ...}}, ...]
//   signed_note = the log's checkpoint note exactly as the Ledger signed it (kCheckpoints)
//   cosig_line  = the witness's C2SP tlog-cosignature line over that note's text, with its LF
// A row this code cannot read is DataLoss.
struct CosignedNoteRow {
  std::string note;
  std::map<std::string, std::string> lines;  // witness name -> cosignature line
};
std::string EncodeCosignedNoteRows(const std::vector<CosignedNoteRow>& rows);
StatusOr<std::vector<CosignedNoteRow>> DecodeCosignedNoteRows(std::string_view text);

}  // namespace lcb
