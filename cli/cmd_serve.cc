// serve, keygen and token.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/bank_server.h"
#include "api/logging.h"
#include "cli/cli_app.h"
#include "cli/commands.h"
#include "cli/rest_client.h"
#include "config/config.h"
#include "crypto/cosignature.h"
#include "crypto/ed25519.h"
#include "crypto/signed_note.h"
#include "service/files.h"

namespace lcb {
namespace {

// Flags of `serve`: every configuration key as --key-name, or by its own name where it has one
// (DESIGN.md's --storage, --postgres-dsn): flag -> configuration key.
std::vector<std::pair<std::string, std::string>> ConfigFlags() {
  std::vector<std::pair<std::string, std::string>> flags;
  for (const auto& k : ConfigKeys()) flags.emplace_back(ConfigFlagName(k), k.key);
  return flags;
}

std::string ServeFooter() {
  std::string out =
      "Configuration keys (file key / CREDITBANK_<KEY> env var / --key-name flag; flags\n"
      "override env vars, env vars override the file):\n";
  for (const auto& k : ConfigKeys()) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-18s %-7s %s\n", k.key, k.type, k.help);
    out += line;
    if (k.flag) out += "      --" + ConfigFlagName(k) + ", " + ConfigEnvName(k) + "\n";
  }
  return out;
}

struct ServeOptions {
  std::string config;
  std::string port_file;
  std::map<std::string, std::string> flags;  // configuration key -> value
};

// What the "listening" line says where no admin token file exists: how to mint a token.
std::string AdminTokenHint(const Config& config, const std::string& url) {
  return "no admin token file (" + config.admin_token_file +
         "): mint one with `creditbank token create --role admin --server " + url +
         " --token ADMIN_TOKEN`, or with this server stopped `creditbank token create --role "
         "admin --data " +
         config.data_dir +
         (config.storage_backend == "postgres" ? " --config FILE` (this node's configuration)"
                                               : "`");
}

int RunServe(const ServeOptions& o) {
  auto config = LoadConfig(o.config, ProcessEnvironment(), o.flags);
  if (!config.ok()) {
    std::fprintf(stderr, "creditbank serve: %s\n", config.status().message().c_str());
    return kExitUsage;
  }
  SetLogLevel(config->log_level);

  // Signals are handled by this thread with sigwait; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  std::string admin_token;
  auto server = BankServer::Open(*config, &admin_token);
  if (!server.ok()) {
    LogJson(LogLevel::kError, "cannot open the bank",
            {{"error", server.status().ToString()}, {"data_dir", config->data_dir}});
    return 1;
  }
  if (!admin_token.empty()) {
    LogJson(LogLevel::kInfo, "first start: admin token written",
            {{"admin_token_file", config->admin_token_file}});
  }
  Status started = (*server)->Start();
  if (!started.ok()) {
    LogJson(LogLevel::kError, "cannot start the server", {{"error", started.ToString()}});
    return 1;
  }
  const uint16_t port = (*server)->port();
  nlohmann::json listening = {{"url", (*server)->url()},
                              {"port", port},
                              {"data_dir", config->data_dir},
                              {"log_size", (*server)->services().log().Size()},
                              {"origin", config->origin}};
  // Only the first start of a bank writes the file: a restored bank, a second PostgreSQL node
  // or an operator who moved the file has none, and naming it would send them to look for it.
  if (FileExists(config->admin_token_file)) {
    listening["admin_token_file"] = config->admin_token_file;
  } else {
    listening["admin_token"] = AdminTokenHint(*config, (*server)->url());
  }
  LogJson(LogLevel::kInfo, "listening", std::move(listening));
  if (!o.port_file.empty()) std::ofstream(o.port_file) << port << "\n";

  int sig = 0;
  sigwait(&signals, &sig);
  LogJson(LogLevel::kInfo, "shutting down",
          {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
           {"grace_ms", config->shutdown_grace_ms}});
  (*server)->Stop(config->shutdown_grace_ms);
  server->reset();
  LogJson(LogLevel::kInfo, "stopped");
  return 0;
}

struct KeygenOptions {
  std::string out = "var/log_key.pem";  // the key `serve` signs with under its default --data
  std::string name = "creditbank.localhost/log";
};

int RunKeygen(const KeygenOptions& o) {
  Ed25519Key key = Ed25519Key::Generate();
  // The default's directory (./var) may not exist yet: made as `serve` makes it.
  const std::filesystem::path dir = std::filesystem::path(o.out).parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (!ec) std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  Status s = key.SavePem(o.out);
  if (!s.ok()) {
    std::fprintf(stderr, "creditbank keygen: %s\n", s.ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "creditbank keygen: wrote %s (mode 0600)%s\n", o.out.c_str(),
               o.out == KeygenOptions{}.out
                   ? ": the log key `creditbank serve` signs with under its default --data ./var"
                   : "");
  const std::string& name = o.name;
  std::printf("%s", key.PublicKeyPem().c_str());
  std::printf("verifier_key: %s\n", VerifierKeyString(name, key.PublicKey()).c_str());
  // The same key as a C2SP witness (`creditbank witness --name NAME`) signs cosignatures with.
  std::printf("cosigner_vkey: %s\n", CosignerKeyString(name, key.PublicKey()).c_str());
  return 0;
}

struct TokenOptions : ServerFlags {
  std::string action;  // create, revoke or list
  std::string role;
  std::string expires_at;
  std::string data;
  std::string config_file;
  std::string origin;
  std::string storage;
  std::string postgres_dsn;
  std::string id;
};

// Whether `c` names a bank that `serve` (or `restore`) made: the embedded store's RocksDB
// CURRENT file, or for a PostgreSQL-wire engine the log key a node's data directory holds.
bool HoldsBank(const Config& c) {
  if (c.storage_backend == "postgres") return FileExists(c.key_file);
  return FileExists(c.data_dir + "/db/CURRENT");
}

// `list --role R`: R is a whole role ("institution:tsinghua") or a kind ("institution" lists
// every institution's tokens).
bool RoleMatches(const std::string& filter, const std::string& role) {
  if (filter.empty() || role == filter) return true;
  return filter.find(':') == std::string::npos && role.rfind(filter + ":", 0) == 0;
}

int RunToken(const TokenOptions& o) {
  const std::string& action = o.action;
  if (!o.server.empty()) {
    const std::string& admin = o.token;
    auto client = RestClient::Connect(o.server, o.ca, o.insecure);
    if (!client.ok()) {
      std::fprintf(stderr, "creditbank token: %s\n", client.status().ToString().c_str());
      return 1;
    }
    StatusOr<ClientResponse> r = Status::Internal("unreachable");
    if (action == "create") {
      nlohmann::json body = {{"role", o.role}};
      if (!o.expires_at.empty()) body["expires_at"] = o.expires_at;
      r = (*client)->Send("POST", "/v1/tokens", admin, body.dump());
    } else if (action == "revoke") {
      r = (*client)->Send("DELETE", "/v1/tokens/" + PathSegment(o.id), admin);
    } else {
      r = (*client)->Send("GET", "/v1/tokens", admin);
    }
    if (!r.ok()) {
      std::fprintf(stderr, "creditbank token: %s\n", r.status().ToString().c_str());
      return 1;
    }
    if (action == "list" && !o.role.empty() && r->status == 200) {
      nlohmann::json body = nlohmann::json::parse(r->body, nullptr, false);
      if (body.is_object() && body.contains("tokens") && body["tokens"].is_array()) {
        nlohmann::json kept = nlohmann::json::array();
        for (const auto& t : body["tokens"]) {
          if (t.is_object() && RoleMatches(o.role, t.value("role", ""))) kept.push_back(t);
        }
        body["tokens"] = std::move(kept);
        r->body = body.dump();
      }
    }
    std::printf("%s\n", r->body.c_str());
    return r->status < 300 ? 0 : 1;
  }
  std::map<std::string, std::string> flags;
  if (!o.data.empty()) flags["data_dir"] = o.data;
  if (!o.storage.empty()) flags["storage.backend"] = o.storage;
  if (!o.postgres_dsn.empty()) flags["storage.postgres.dsn"] = o.postgres_dsn;
  if (!o.origin.empty()) flags["origin"] = o.origin;
  auto config = LoadConfig(o.config_file, ProcessEnvironment(), flags);
  if (!config.ok()) {
    std::fprintf(stderr, "creditbank token: %s\n", config.status().message().c_str());
    return 2;
  }
  // Opening the store creates a bank where there is none (keys, an empty log), and a token
  // for it would look valid to whoever gets it. Only `serve` and `restore` make a bank.
  if (!HoldsBank(*config)) {
    std::fprintf(stderr,
                 "creditbank token: no bank at %s (pass --data DIR of an existing bank, or "
                 "--server URL)\n",
                 config->data_dir.c_str());
    return kExitUsage;
  }
  // Opening the bank without its log key would make a new key and publish it, retiring the
  // bank's (a rotation nobody asked for): the key file must be where the configuration says.
  if (!FileExists(config->key_file)) {
    std::fprintf(stderr,
                 "creditbank token: no log key at %s: pass the bank's --config (its key_file), "
                 "or use --server URL --token ADMIN_TOKEN\n",
                 config->key_file.c_str());
    return kExitUsage;
  }
  auto services = Services::Open(*config);
  if (!services.ok()) {
    std::fprintf(stderr, "creditbank token: %s\n", services.status().ToString().c_str());
    if (services.status().message().find("origin") != std::string::npos) {
      std::fprintf(stderr, "(pass the bank's --origin, or its --config file)\n");
    } else if (services.status().code() == StatusCode::kFailedPrecondition) {
      std::fprintf(stderr, "(is the server running? use --server URL --token ADMIN_TOKEN)\n");
    }
    return 1;
  }
  TokenService& tokens = (*services)->tokens();
  AdminLog& admin_log = (*services)->admin_log();
  Principal cli;
  cli.kind = RoleKind::kAdmin;
  cli.token_id = "cli";
  if (action == "create") {
    auto t = tokens.Create(o.role, o.expires_at);
    if (!t.ok()) {
      std::fprintf(stderr, "creditbank token: %s\n", t.status().ToString().c_str());
      return 1;
    }
    admin_log.Record(cli, "create_token", t->id + " " + t->role);
    nlohmann::json out = {{"id", t->id}, {"token", t->token}, {"role", t->role}};
    if (!t->expires_at.empty()) out["expires_at"] = t->expires_at;
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  if (action == "revoke") {
    Status s = tokens.Revoke(o.id);
    if (!s.ok()) {
      std::fprintf(stderr, "creditbank token: %s\n", s.ToString().c_str());
      return 1;
    }
    admin_log.Record(cli, "revoke_token", o.id);
    std::printf("%s\n", nlohmann::json({{"id", o.id}, {"revoked", true}}).dump().c_str());
    return 0;
  }
  auto list = tokens.List(100000);
  if (!list.ok()) {
    std::fprintf(stderr, "creditbank token: %s\n", list.status().ToString().c_str());
    return 1;
  }
  for (const auto& t : *list) {
    if (!RoleMatches(o.role, t.role)) continue;
    std::printf("%s\t%s\t%s%s\n", t.id.c_str(), t.role.c_str(), t.created_at.c_str(),
                t.revoked ? "\trevoked" : "");
  }
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd =
      parent.add_subcommand("serve", "run the HTTP server (./var, 127.0.0.1:8080 by default)");
  cmd->footer(ServeFooter());
  cmd->add_option("--config", o->config, "a JSON configuration file")->type_name("FILE");
  cmd->add_option("--port-file", o->port_file, "write the bound port here (for --listen HOST:0)")
      ->type_name("FILE");
  auto set = [o](const std::string& key) {
    return [o, key](const CLI::results_t& values) {
      o->flags[key] = values.back();
      return true;
    };
  };
  cmd->add_option("--data", CLI::callback_t(set("data_dir")), "the data directory (= --data-dir)")
      ->type_name("DIR");
  for (const auto& [flag, key] : ConfigFlags()) {
    cmd->add_option("--" + flag, CLI::callback_t(set(key)), "configuration key " + key)
        ->type_name("VALUE");
  }
  cmd->callback([o, exit_code] { *exit_code = RunServe(*o); });
}

void AddKeygenCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<KeygenOptions>();
  CLI::App* cmd = parent.add_subcommand("keygen", "create an Ed25519 signing key (PEM, mode 0600)");
  cmd->footer(
      "Writes a new Ed25519 private key (PKCS#8 PEM, mode 0600) and prints its public key and\n"
      "signed-note verifier key. Refuses to overwrite a file.");
  cmd->add_option("--out", o->out, "the new key file")->type_name("FILE")->capture_default_str();
  cmd->add_option("--name", o->name, "the log origin (or witness name) the key signs as")
      ->type_name("ORIGIN")
      ->capture_default_str();
  cmd->callback([o, exit_code] { *exit_code = RunKeygen(*o); });
}

void AddTokenCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<TokenOptions>();
  CLI::App* cmd = parent.add_subcommand("token", "create, list or revoke API tokens");
  cmd->require_subcommand(1);
  cmd->footer(
      "ROLE is admin, auditor, institution:<id>, learner:<id> or regulator:<region>, the\n"
      "region a GB/T 2260 prefix (31, 3101, 310101; 310000 is 31). With --data (default ./var)\n"
      "the store of an existing bank is opened directly, the server of that directory stopped\n"
      "(a PostgreSQL bank: a node's data directory, holding the bank's keys, with --storage\n"
      "postgres --postgres-dsn URL or --config). A directory without a bank is refused,\n"
      "never created. With --server the running server is asked, with an admin token.\n"
      "`list --role ROLE` lists only that role's\n"
      "tokens; a kind alone (institution, learner) lists every token of that kind.");
  const std::pair<const char*, const char*> actions[] = {
      {"create", "create a token (its secret is printed once)"},
      {"revoke", "revoke a token by id"},
      {"list", "list the tokens"}};
  for (const auto& [name, summary] : actions) {
    CLI::App* sub = cmd->add_subcommand(name, summary);
    CLI::Option* role =
        sub->add_option("--role", o->role,
                        "admin, auditor, institution:<id>, learner:<id> or regulator:<region>")
            ->type_name("ROLE");
    sub->add_option("--expires-at", o->expires_at, "when the token expires")->type_name("RFC3339");
    sub->add_option("--data", o->data, "open this data directory (the server stopped)")
        ->type_name("DIR");
    sub->add_option("--config", o->config_file,
                    "with --data: the bank's config file (origin, key and secret files, storage)")
        ->type_name("FILE");
    sub->add_option("--origin", o->origin, "with --data: the log's origin, when not the default")
        ->type_name("NAME")
        ->envname("CREDITBANK_ORIGIN");
    sub->add_option("--storage", o->storage,
                    "with --data: rocksdb (the default) or postgres (with --postgres-dsn)")
        ->type_name("BACKEND");
    sub->add_option("--postgres-dsn", o->postgres_dsn, "with --storage postgres: the database")
        ->type_name("URL");
    CLI::Option* id = sub->add_option("--id", o->id, "the token's id")->type_name("TOKEN_ID");
    AddServerFlags(sub, o.get(), /*server_required=*/false, "an admin token (with --server)");
    if (std::string(name) == "create") role->required();
    if (std::string(name) == "revoke") id->required();
    sub->callback([o, exit_code, action = std::string(name)] {
      o->action = action;
      *exit_code = RunToken(*o);
    });
  }
}

int CmdServe(const CommandArgs& args) { return RunCommand(AddServeCommand, args); }
int CmdKeygen(const CommandArgs& args) { return RunCommand(AddKeygenCommand, args); }
int CmdToken(const CommandArgs& args) { return RunCommand(AddTokenCommand, args); }

}  // namespace lcb
