// Online backup and restore.
//
// A backup directory holds:
//   db/                 a RocksDB checkpoint (hard links where possible): a consistent
//                       snapshot; log entries, tree nodes and the signed checkpoint are always
//                       written in one batch, so any snapshot is log-consistent
//   log_key.pem         the log signing key (0600), so the restored bank signs the same log
//   national_id.secret  the national-ID HMAC secret (0600), so lookups keep working
//   MANIFEST.json       origin, tree size and the signed checkpoint the backup ends at
// The directory is created 0700. Backups hold secrets: store them like the keys themselves.
#pragma once

#include <string>

#include "api/bank.h"
#include "api/json_util.h"

namespace lcb {

// Takes a backup of a running bank into `dir` (must not exist) and checks it: the snapshot's
// stored tree must match its signed checkpoint. Returns the manifest.
StatusOr<json> CreateBackup(Bank& bank, const std::string& dir);

// Restores `from` into `data_dir` (must not exist or be empty) and verifies the whole log
// (every entry against its leaf hash, the root against the signed checkpoint). Returns the
// manifest plus what was verified.
StatusOr<json> RestoreBackup(const std::string& from, const std::string& data_dir,
                             const std::string& origin);

}  // namespace lcb
