#include "service/backup.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/date.h"
#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/ed25519.h"
#include "crypto/rsa.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"
#include "service/credential_keys.h"
#include "service/files.h"
#include "storage/ledger.h"
#include "storage/pg_kv.h"

namespace lcb {
namespace {

namespace fs = std::filesystem;

Status CopySecret(const std::string& from, const std::string& to) {
  LCB_ASSIGN_OR_RETURN(std::string bytes, ReadSecretFile(from));
  return WriteSecretFile(to, bytes);
}

// The credential keys live in the data directory under fixed names; a bank restored without
// them would make new ones, under a new issuer DID that no verifier knows.
constexpr const char* kCredentialKeyFiles[] = {kCredentialKeyFile, kCredentialRsaKeyFile};

// Opens the store in `dir`/db with the key in `dir` and checks the tree against the signed
// checkpoint (Ledger::Open does); with `full`, every entry too.
StatusOr<BackupManifest> CheckStore(const std::string& dir, const std::string& origin, bool full) {
  LCB_ASSIGN_OR_RETURN(std::unique_ptr<Kv> kv, OpenRocksKv(dir + "/db"));
  LCB_ASSIGN_OR_RETURN(Ed25519Key key, Ed25519Key::LoadPem(dir + "/log_key.pem"));
  auto shared = std::make_shared<const Ed25519Key>(std::move(key));
  LCB_ASSIGN_OR_RETURN(std::unique_ptr<Ledger> ledger, Ledger::Open(kv.get(), shared, origin));
  if (full) LCB_RETURN_IF_ERROR(ledger->VerifyAll());
  BackupManifest out;
  out.origin = origin;
  out.tree_size = ledger->Size();
  out.checkpoint = ledger->LatestCheckpoint();
  ledger->Stop();
  return out;
}

// What a restore must hold to carry on the same log: the store's latest checkpoint signed by
// the backup's log_key.pem (a key of another bank, or one this bank retired, would be taken for
// a rotation on the first start: every auditor pinning the log's key would then fail), and,
// when the backup has a MANIFEST.json, the checkpoint and size it names.
Status CheckRestoredLog(const BackupManifest& restored, const std::string& from,
                        const nlohmann::json& manifest) {
  LCB_ASSIGN_OR_RETURN(Ed25519Key key, Ed25519Key::LoadPem(from + "/log_key.pem"));
  const std::string vkey = VerifierKeyString(restored.origin, key.PublicKey());
  LCB_ASSIGN_OR_RETURN(NoteVerifier verifier, ParseVerifierKey(vkey));
  if (!OpenNote(restored.checkpoint, {verifier}).ok()) {
    return Status::InvalidArgument(
        Field("--from"), from + "/log_key.pem (" + vkey +
                             ") did not sign the backup's latest checkpoint: it is not the key "
                             "this log is signed with, so the restored bank would carry on "
                             "under another key; restore with the log's own key file");
  }
  if (!manifest.is_object()) return Status::Ok();
  const auto size = manifest.find("tree_size");
  const auto checkpoint = manifest.find("checkpoint");
  if ((size != manifest.end() &&
       (!size->is_number_unsigned() || size->get<uint64_t>() != restored.tree_size)) ||
      (checkpoint != manifest.end() &&
       (!checkpoint->is_string() || checkpoint->get<std::string>() != restored.checkpoint))) {
    return Status::InvalidArgument(
        Field("--from"), from +
                             "/MANIFEST.json does not describe the store beside it (the store "
                             "ends at tree size " +
                             std::to_string(restored.tree_size) +
                             " and its own checkpoint): the backup was altered or mixed with "
                             "another; restore from an untouched backup");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<BackupManifest> CreateBackup(Kv& kv, const Config& c, const std::string& dir) {
  if (dir.empty() || dir[0] != '/') {
    return Status::InvalidArgument(Field("/to"), "must be an absolute path on the server");
  }
  if (fs::exists(dir)) return Status::AlreadyExists(Field("/to"), dir + " already exists");
  // A path that cannot be made (no such parent, no permission, a read-only file system) is the
  // request's fault, not a passing outage: 400 at /to, not a 503 that clients retry.
  if (Status made = MakeDirs(dir); !made.ok()) {
    return Status::InvalidArgument(Field("/to"), made.message());
  }
  std::vector<std::string> files = {"log_key.pem", "national_id.secret"};
  Status s = kv.CreateCheckpoint(dir + "/db");
  if (s.ok()) s = CopySecret(c.key_file, dir + "/log_key.pem");
  if (s.ok()) s = CopySecret(c.secret_file, dir + "/national_id.secret");
  // A running bank has made both credential keys on its first start.
  for (const char* name : kCredentialKeyFiles) {
    if (s.ok()) s = CopySecret(c.data_dir + "/" + name, dir + "/" + name);
    files.push_back(name);
  }
  if (!s.ok()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    return s;
  }
  auto manifest = CheckStore(dir, c.origin, /*full=*/false);
  if (!manifest.ok()) return manifest.status();
  manifest->created_at = NowRfc3339();
  manifest->files = files;
  nlohmann::json doc = {{"origin", manifest->origin},
                        {"tree_size", manifest->tree_size},
                        {"checkpoint", manifest->checkpoint},
                        {"created_at", manifest->created_at},
                        {"files", manifest->files}};
  LCB_RETURN_IF_ERROR(WriteFileReplacing(dir + "/MANIFEST.json", doc.dump(2) + "\n"));
  return manifest;
}

// Copies and checks the backup `from` in `work` (a new directory beside `data_dir`, renamed to
// it once all is well); `m` is its MANIFEST.json or null.
StatusOr<BackupManifest> RestoreInto(const std::string& from, const std::string& work,
                                     const std::string& data_dir,
                                     const std::string& effective_origin, const nlohmann::json& m) {
  LCB_RETURN_IF_ERROR(MakeDirs(work));
  std::error_code ec;
  fs::copy(from + "/db", work + "/db", fs::copy_options::recursive, ec);
  if (ec) return Status::Unavailable("cannot copy the store: " + ec.message());
  std::vector<std::string> files;
  LCB_RETURN_IF_ERROR(CopySecret(from + "/log_key.pem", work + "/log_key.pem"));
  files.push_back("log_key.pem");
  if (fs::exists(from + "/national_id.secret")) {
    LCB_RETURN_IF_ERROR(CopySecret(from + "/national_id.secret", work + "/national_id.secret"));
    files.push_back("national_id.secret");
  }
  // A backup taken before backups held the credential keys still restores: new keys are made
  // here (not by the bank's first start, which on a shared store refuses to make keys once the
  // bank has some: every node must get copies of the same ones), and the operator is told that
  // the issuer changes.
  std::string missing;
  for (const char* name : kCredentialKeyFiles) {
    const std::string to = work + "/" + name;
    if (fs::exists(from + "/" + name)) {
      LCB_RETURN_IF_ERROR(CopySecret(from + "/" + name, to));
    } else {
      missing += (missing.empty() ? "" : ", ") + std::string(name);
      LCB_RETURN_IF_ERROR(std::string_view(name) == kCredentialKeyFile
                              ? Ed25519Key::Generate().SavePem(to)
                              : RsaKey::Generate().SavePem(to));
    }
    files.push_back(name);
  }
  std::vector<std::string> warnings;
  if (!missing.empty()) {
    warnings.push_back("the credential keys were not in the backup (" + missing +
                       "): new ones were made in " + data_dir +
                       "; the restored bank signs under a new issuer DID, and credentials "
                       "issued before verify only with the old keys");
  }
  auto checked = CheckStore(work, effective_origin, /*full=*/true);
  if (!checked.ok()) {
    return Status(
        checked.status().code(),
        "the backup's store " + from + "/db cannot be restored: " + checked.status().message());
  }
  BackupManifest result = std::move(checked).value();
  LCB_RETURN_IF_ERROR(CheckRestoredLog(result, from, m));
  result.verified = "every entry matches its leaf hash and the root matches the signed checkpoint";
  result.files = std::move(files);
  result.warnings = std::move(warnings);
  return result;
}

StatusOr<BackupManifest> RestoreBackup(const std::string& from, const std::string& data_dir,
                                       const std::string& origin) {
  if (!fs::exists(from + "/db") || !fs::exists(from + "/log_key.pem")) {
    return Status::InvalidArgument(Field("--from"),
                                   from + " is not a creditbank backup (no db/ or log_key.pem)");
  }
  if (fs::exists(data_dir) && !fs::is_empty(data_dir)) {
    return Status::AlreadyExists(
        Field("--data"), data_dir + " exists and is not empty; restore into a new directory");
  }
  std::string effective_origin = origin;
  nlohmann::json m;  // null without a MANIFEST.json (backups copied by hand)
  std::ifstream manifest_in(from + "/MANIFEST.json");
  if (manifest_in) {
    std::stringstream ss;
    ss << manifest_in.rdbuf();
    m = nlohmann::json::parse(ss.str(), nullptr, false);
    if (!m.is_object()) {
      return Status::InvalidArgument(Field("--from"), from + "/MANIFEST.json is not a JSON object");
    }
    if (m.contains("origin") && m["origin"].is_string() && effective_origin.empty()) {
      effective_origin = m["origin"];
    }
  }
  if (effective_origin.empty())
    return Status::InvalidArgument(Field("--origin"), "the log origin is unknown");
  // Everything is restored into a directory beside data_dir and renamed into place at the end:
  // a restore that fails (a copy, a key, the log's check) leaves nothing to start from, not a
  // half-copied bank.
  std::string target = fs::absolute(data_dir).string();
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  const std::string work = target + ".restoring-" + HexEncode(RandomBytes(4));
  auto restored = RestoreInto(from, work, data_dir, effective_origin, m);
  std::error_code ec;
  if (restored.ok()) {
    if (fs::exists(target)) fs::remove(target, ec);  // empty (checked above)
    fs::rename(work, target, ec);
    if (ec)
      restored = Status::Unavailable("cannot move " + work + " to " + target + ": " + ec.message());
  }
  if (!restored.ok()) fs::remove_all(work, ec);
  return restored;
}

StatusOr<BackupManifest> RestoreBackupToPostgres(
    const std::string& from, const std::string& data_dir, const std::string& origin,
    const PgKvOptions& pg,
    const std::function<void(std::string_view table, uint64_t rows, bool done)>& progress) {
  // Checked before the local copy is made, so that a wrong database costs nothing.
  LCB_ASSIGN_OR_RETURN(std::unique_ptr<PgKv> db, PgKv::Open(pg));
  for (int i = 0; i < kTableCount; ++i) {
    const Table t = static_cast<Table>(i);
    bool any = false;
    LCB_RETURN_IF_ERROR(db->Scan(t, "", "", 1, [&](std::string_view, std::string_view) {
      any = true;
      return false;
    }));
    if (any) {
      return Status::AlreadyExists(Field("--postgres-dsn"),
                                   "the database already holds a bank (table " +
                                       std::string(TableName(t)) +
                                       " has rows); restore into an empty database");
    }
  }
  LCB_ASSIGN_OR_RETURN(BackupManifest local, RestoreBackup(from, data_dir, origin));

  // The writer's lease for the copy: a node started on the database meanwhile waits (it cannot
  // take a live lease), and one already running makes this fail here, before any row.
  constexpr auto kLease = std::chrono::seconds(60);
  const std::string holder = "restore@" + data_dir;
  LCB_RETURN_IF_ERROR(db->AcquireWriter(holder, kLease).status());
  auto renewed = std::chrono::steady_clock::now();
  Status copied = [&]() -> Status {
    LCB_ASSIGN_OR_RETURN(std::unique_ptr<Kv> kv, OpenRocksKv(data_dir + "/db"));
    constexpr size_t kRowsPerBatch = 2'000;
    constexpr size_t kBytesPerBatch = 8 << 20;
    for (int i = 0; i < kTableCount; ++i) {
      const Table t = static_cast<Table>(i);
      WriteBatch batch;
      size_t rows = 0, bytes = 0;
      uint64_t total = 0;
      Status failed;
      auto flush = [&]() -> Status {
        if (rows == 0) return Status::Ok();
        LCB_RETURN_IF_ERROR(db->Write(batch, true));
        total += rows;
        batch = WriteBatch();
        rows = bytes = 0;
        if (progress) progress(TableName(t), total, false);
        if (std::chrono::steady_clock::now() - renewed > kLease / 4) {
          LCB_RETURN_IF_ERROR(db->RenewWriter(kLease).status());
          renewed = std::chrono::steady_clock::now();
        }
        return Status::Ok();
      };
      LCB_RETURN_IF_ERROR(
          kv->Scan(t, "", "", SIZE_MAX, [&](std::string_view key, std::string_view value) {
            batch.Put(t, std::string(key), std::string(value));
            ++rows;
            bytes += key.size() + value.size();
            if (rows < kRowsPerBatch && bytes < kBytesPerBatch) {
              return true;
            }
            failed = flush();
            return failed.ok();
          }));
      LCB_RETURN_IF_ERROR(failed);
      LCB_RETURN_IF_ERROR(flush());
      if (progress) progress(TableName(t), total, true);
    }
    // Last: the head names the tree the rows hold (fenced like every commit group).
    WriteBatch head;
    head.MoveLogHead(0, local.tree_size);
    return db->Write(head, true);
  }();
  Status stepped = db->StepDown();
  LCB_RETURN_IF_ERROR(copied);
  LCB_RETURN_IF_ERROR(stepped);

  // The whole log again, read back from the database.
  LCB_ASSIGN_OR_RETURN(Ed25519Key key, Ed25519Key::LoadPem(data_dir + "/log_key.pem"));
  LCB_ASSIGN_OR_RETURN(
      std::unique_ptr<Ledger> ledger,
      Ledger::Open(db.get(), std::make_shared<const Ed25519Key>(std::move(key)), local.origin));
  Status verified = ledger->VerifyAll();
  const uint64_t size = ledger->Size();
  const std::string checkpoint = ledger->LatestCheckpoint();
  ledger->Stop();
  LCB_RETURN_IF_ERROR(verified);
  if (size != local.tree_size || checkpoint != local.checkpoint) {
    return Status::DataLoss("the database holds a log of " + std::to_string(size) +
                            " entries after the copy, not the backup's " +
                            std::to_string(local.tree_size));
  }
  local.verified =
      "every entry matches its leaf hash and the root matches the signed checkpoint, in the "
      "local copy and again as read back from the database";
  return local;
}

}  // namespace lcb
