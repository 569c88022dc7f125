// backup (online, through a running server) and restore (offline, into a new data dir).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/views.h"
#include "cli/cli_app.h"
#include "cli/commands.h"
#include "cli/rest_client.h"
#include "service/backup.h"

namespace lcb {
namespace {

// A checkpoint of a large store is copied (hard-linked where it can) before the answer.
constexpr int kBackupTimeoutMs = 3'600'000;

struct BackupOptions : ServerFlags {
  std::string to;
};

int RunBackup(const BackupOptions& o) {
  std::string to = std::filesystem::absolute(o.to).lexically_normal().string();
  auto client = RestClient::Connect(o.server, o.ca, o.insecure);
  if (!client.ok()) {
    std::fprintf(stderr, "creditbank backup: %s\n", client.status().message().c_str());
    return kExitFailure;
  }
  (*client)->set_timeout_ms(kBackupTimeoutMs);
  auto r = (*client)->Send("POST", "/v1/admin/backup", o.token, nlohmann::json{{"to", to}}.dump());
  if (!r.ok()) {
    std::fprintf(stderr, "creditbank backup: %s\n", r.status().message().c_str());
    return kExitFailure;
  }
  if (r->status != 201) {
    std::fprintf(stderr, "creditbank backup: server answered %d: %s\n", r->status, r->body.c_str());
    return kExitFailure;
  }
  auto m = nlohmann::json::parse(r->body, nullptr, false);
  std::printf("backup written to %s: log %s at tree size %s\n", to.c_str(),
              m.value("origin", "?").c_str(),
              m.contains("tree_size") ? m["tree_size"].dump().c_str() : "?");
  return kExitOk;
}

struct RestoreOptions {
  std::string from;
  std::string data;
  std::string origin;
  std::string storage = "rocksdb";
  std::string postgres_dsn;
};

int RunRestore(const RestoreOptions& o) {
  if (o.storage == "postgres" && o.postgres_dsn.empty()) {
    std::fprintf(stderr,
                 "creditbank restore: --postgres-dsn is required with --storage postgres\n");
    return kExitUsage;
  }
  auto restore = [&]() -> StatusOr<BackupManifest> {
    if (o.storage != "postgres") return RestoreBackup(o.from, o.data, o.origin);
    PgKvOptions pg;
    pg.dsn = o.postgres_dsn;
    return RestoreBackupToPostgres(
        o.from, o.data, o.origin, pg, [](std::string_view table, uint64_t rows, bool done) {
          std::fprintf(stderr, "\r  %-16.*s %12llu rows%s", static_cast<int>(table.size()),
                       table.data(), static_cast<unsigned long long>(rows), done ? "\n" : "");
        });
  };
  StatusOr<BackupManifest> r = restore();
  if (!r.ok()) {
    std::fprintf(stderr, "creditbank restore: %s\n", r.status().ToString().c_str());
    return kExitFailure;
  }
  for (const std::string& warning : r->warnings) {
    std::fprintf(stderr, "creditbank restore: note: %s\n", warning.c_str());
  }
  std::printf("restored into %s: %s\n", o.data.c_str(), BackupManifestJson(*r).dump().c_str());
  // The log's origin is the backup's (or --origin): a start without it would be refused.
  if (o.storage == "postgres") {
    std::fprintf(
        stderr,
        "start the nodes with: creditbank serve --data NODE_DIR --origin %s --storage "
        "postgres --postgres-dsn URL --key-file %s/log_key.pem --secret-file "
        "%s/national_id.secret, with credential_key.pem and credential_rsa_key.pem of %s copied "
        "into each NODE_DIR\n",
        r->origin.c_str(), o.data.c_str(), o.data.c_str(), o.data.c_str());
  } else {
    std::fprintf(stderr, "start it with: creditbank serve --data %s --origin %s\n", o.data.c_str(),
                 r->origin.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddBackupCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<BackupOptions>();
  CLI::App* cmd =
      parent.add_subcommand("backup", "take an online, log-consistent backup of a running server");
  cmd->footer(
      "Asks the running server for an online backup into DIR (a new directory on the\n"
      "server's machine): a RocksDB checkpoint plus the log key, the national-ID secret and\n"
      "the credential keys, checked against the signed log. Records may keep arriving\n"
      "meanwhile. On several nodes (PostgreSQL) a backup is a write: a node that does not\n"
      "write the log forwards it, so DIR is made on the writer's machine.");
  AddServerFlags(cmd, o.get(), /*server_required=*/true, "an admin token");
  cmd->add_option("--to", o->to, "the new backup directory (on the server's machine)")
      ->type_name("DIR")
      ->required();
  cmd->callback([o, exit_code] { *exit_code = RunBackup(*o); });
}

void AddRestoreCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<RestoreOptions>();
  CLI::App* cmd =
      parent.add_subcommand("restore", "restore a backup into a new data directory and verify it");
  cmd->footer(
      "Copies a backup into a new data directory and verifies the whole log (every entry\n"
      "against its leaf hash, the root against the signed checkpoint). Then start it with:\n"
      "creditbank serve --data NEW_DATA_DIR --origin ORIGIN (the backup's origin, printed when\n"
      "it is done; the admin token file is not part of a backup: create one with\n"
      "CREDITBANK_ORIGIN=ORIGIN creditbank token create --data ...).\n"
      "With --storage postgres the bank moves onto a PostgreSQL-wire engine: every table is\n"
      "also copied into the empty database of --postgres-dsn (while holding the log writer's\n"
      "lease) and the log verified again as read back from it; then start the nodes with\n"
      "--origin ORIGIN --storage postgres --postgres-dsn URL --key-file NEW_DATA_DIR/log_key.pem\n"
      "--secret-file NEW_DATA_DIR/national_id.secret (docs/scale-out.md).");
  cmd->add_option("--from", o->from, "the backup directory")->type_name("BACKUP_DIR")->required();
  cmd->add_option("--data", o->data, "the new data directory")
      ->type_name("NEW_DATA_DIR")
      ->required();
  cmd->add_option("--origin", o->origin, "the log's origin line, when not the backup's")
      ->type_name("NAME");
  cmd->add_option("--storage", o->storage,
                  "where the bank is restored: rocksdb (the new data directory) or postgres "
                  "(also copied into the empty database of --postgres-dsn)")
      ->check(CLI::IsMember({"rocksdb", "postgres"}))
      ->envname("CREDITBANK_STORAGE")
      ->capture_default_str();
  cmd->add_option("--postgres-dsn", o->postgres_dsn,
                  "the PostgreSQL-wire database (libpq DSN or postgresql:// URL) for --storage "
                  "postgres; it must be empty")
      ->type_name("URL")
      ->envname("CREDITBANK_POSTGRES_DSN");
  cmd->callback([o, exit_code] { *exit_code = RunRestore(*o); });
}

int CmdBackup(const CommandArgs& args) { return RunCommand(AddBackupCommand, args); }
int CmdRestore(const CommandArgs& args) { return RunCommand(AddRestoreCommand, args); }

}  // namespace lcb
