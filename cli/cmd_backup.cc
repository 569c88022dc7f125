// backup (online, through a running server) and restore (offline, into a new data dir).
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/views.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/rest_client.h"
#include "service/backup.h"

namespace lcb {

// A checkpoint of a large store is copied (hard-linked where it can) before the answer.
constexpr int kBackupTimeoutMs = 3'600'000;

int CmdBackup(const CommandArgs& argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argv, {"server", "token", "to", "ca"}, {"help", "insecure"}, &args, &error) ||
      args.Has("help") || !args.Has("server") || !args.Has("to")) {
    if (!error.empty()) std::fprintf(stderr, "creditbank backup: %s\n", error.c_str());
    std::fprintf(args.Has("help") ? stdout : stderr,
                 "usage: creditbank backup --server URL --token ADMIN_TOKEN --to DIR\n"
                 "Asks the running server for an online backup into DIR (a new directory on the\n"
                 "server's machine): a RocksDB checkpoint plus the log key and national-ID\n"
                 "secret, checked against the signed log. Records may keep arriving meanwhile.\n"
                 "The token may also come from CREDITBANK_TOKEN.\n");
    return args.Has("help") ? 0 : 2;
  }
  std::string token = args.Get("token");
  if (token.empty()) {
    if (const char* env = std::getenv("CREDITBANK_TOKEN")) token = env;
  }
  std::string to = std::filesystem::absolute(args.Get("to")).lexically_normal().string();
  auto client = RestClient::Connect(args.Get("server"), args.Get("ca"), args.Has("insecure"));
  if (!client.ok()) {
    std::fprintf(stderr, "creditbank backup: %s\n", client.status().message().c_str());
    return 1;
  }
  (*client)->set_timeout_ms(kBackupTimeoutMs);
  auto r = (*client)->Send("POST", "/v1/admin/backup", token, nlohmann::json{{"to", to}}.dump());
  if (!r.ok()) {
    std::fprintf(stderr, "creditbank backup: %s\n", r.status().message().c_str());
    return 1;
  }
  if (r->status != 201) {
    std::fprintf(stderr, "creditbank backup: server answered %d: %s\n", r->status, r->body.c_str());
    return 1;
  }
  auto m = nlohmann::json::parse(r->body, nullptr, false);
  std::printf("backup written to %s: log %s at tree size %s\n", to.c_str(),
              m.value("origin", "?").c_str(), m.contains("tree_size") ? m["tree_size"].dump().c_str() : "?");
  return 0;
}

int CmdRestore(const CommandArgs& argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argv, {"from", "data", "origin"}, {"help"}, &args, &error) || args.Has("help") ||
      !args.Has("from") || !args.Has("data")) {
    if (!error.empty()) std::fprintf(stderr, "creditbank restore: %s\n", error.c_str());
    std::fprintf(args.Has("help") ? stdout : stderr,
                 "usage: creditbank restore --from BACKUP_DIR --data NEW_DATA_DIR [--origin NAME]\n"
                 "Copies a backup into a new data directory and verifies the whole log (every\n"
                 "entry against its leaf hash, the root against the signed checkpoint). Then\n"
                 "start it with: creditbank serve --data NEW_DATA_DIR (the admin token file is\n"
                 "not part of a backup: create one with creditbank token create --data ...).\n");
    return args.Has("help") ? 0 : 2;
  }
  auto r = RestoreBackup(args.Get("from"), args.Get("data"), args.Get("origin"));
  if (!r.ok()) {
    std::fprintf(stderr, "creditbank restore: %s\n", r.status().ToString().c_str());
    return 1;
  }
  std::printf("restored into %s: %s\n", args.Get("data").c_str(),
              BackupManifestJson(*r).dump().c_str());
  return 0;
}

}  // namespace lcb
