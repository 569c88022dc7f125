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

#include "config/config.h"
#include "storage/kv.h"

namespace lcb {

struct BackupManifest {
  std::string origin;
  uint64_t tree_size = 0;
  std::string checkpoint;  // the signed checkpoint the backup ends at
  std::string created_at;  // backups only
  std::string verified;    // restores only: what was verified
};

// Takes a backup of a running bank's store `kv` into `dir` (must not exist) and checks it:
// the snapshot's stored tree must match its signed checkpoint. Writes MANIFEST.json.
StatusOr<BackupManifest> CreateBackup(Kv& kv, const Config& config, const std::string& dir);

// Restores `from` into `data_dir` (must not exist or be empty) and verifies the whole log
// (every entry against its leaf hash, the root against the signed checkpoint).
StatusOr<BackupManifest> RestoreBackup(const std::string& from, const std::string& data_dir,
                                       const std::string& origin);

}  // namespace lcb
