// Online backup and restore.
//
// A backup directory holds:
//   db/                 a RocksDB checkpoint (hard links where possible): a consistent
//                       snapshot; log entries, tree nodes and the signed checkpoint are always
//                       written in one batch, so any snapshot is log-consistent
//   log_key.pem         the log signing key (0600), so the restored bank signs the same log
//   national_id.secret  the national-ID HMAC secret (0600), so lookups keep working
//   credential_key.pem, credential_rsa_key.pem
//                       the credential keys (0600; service/credential_keys.h), so the restored
//                       bank keeps its issuer DID and JWKS and what it signed keeps verifying
//   MANIFEST.json       origin, tree size, the signed checkpoint the backup ends at, and
//                       "files": the key and secret files above that the backup holds
// The directory is created 0700. Backups hold secrets: store them like the keys themselves.
// A backup taken before the credential keys were part of one still restores; the restored
// bank then makes new credential keys on its first start.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "storage/kv.h"
#include "storage/pg_kv.h"

namespace lcb {

struct BackupManifest {
  std::string origin;
  uint64_t tree_size = 0;
  std::string checkpoint;  // the signed checkpoint the backup ends at
  std::string created_at;  // backups only
  std::string verified;    // restores only: what was verified
  // Backups: the key and secret files copied beside db/. Restores: the ones restored.
  std::vector<std::string> files;
  // Restores only: what the operator should know, e.g. that the backup lacked the credential
  // keys and the restored bank will make new ones.
  std::vector<std::string> warnings;
};

// Takes a backup of a running bank's store `kv` into `dir` (must not exist) and checks it:
// the snapshot's stored tree must match its signed checkpoint. Writes MANIFEST.json.
StatusOr<BackupManifest> CreateBackup(Kv& kv, const Config& config, const std::string& dir);

// Restores `from` into `data_dir` (must not exist or be empty) and verifies the whole log
// (every entry against its leaf hash, the root against the signed checkpoint).
StatusOr<BackupManifest> RestoreBackup(const std::string& from, const std::string& data_dir,
                                       const std::string& origin);

// Moves a bank onto a PostgreSQL-wire engine (docs/scale-out.md "Moving an embedded bank"):
// restores `from` into `data_dir` as RestoreBackup does (the log key and national-ID secret
// land there, for the nodes' --key-file and --secret-file; the verified local copy stays as
// a fallback), then copies every table into the database of `pg`, which must hold no rows
// and no live writer's lease, and moves its log head to the backup's tree size while holding
// the lease (so no node can write meanwhile), and verifies the whole log as the database now
// holds it. `progress` is told each table's rows as they are copied. A failure midway leaves
// rows behind: empty the database (drop and create it) before trying again.
StatusOr<BackupManifest> RestoreBackupToPostgres(
    const std::string& from, const std::string& data_dir, const std::string& origin,
    const PgKvOptions& pg,
    const std::function<void(std::string_view table, uint64_t rows, bool done)>& progress);

}  // namespace lcb
