// serve, keygen and token.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/bank_server.h"
#include "api/logging.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/rest_client.h"
#include "config/config.h"
#include "crypto/cosignature.h"
#include "crypto/ed25519.h"
#include "crypto/signed_note.h"

namespace lcb {
namespace {

// Flags of `serve`: every configuration key as --key-name, plus the DESIGN.md short forms.
std::set<std::string> ConfigFlagNames() {
  std::set<std::string> names = {"config", "data", "port-file"};
  for (const auto& k : ConfigKeys()) {
    std::string flag = k.key;
    for (char& c : flag) c = c == '_' ? '-' : c;
    names.insert(flag);
  }
  return names;
}

std::map<std::string, std::string> ConfigFlags(const Args& args) {
  std::map<std::string, std::string> flags;
  for (const auto& [name, value] : args.flags) {
    if (name == "config" || name == "port-file") continue;
    std::string key = name == "data" ? "data_dir" : name;
    for (char& c : key) c = c == '-' ? '_' : c;
    flags[key] = value;
  }
  return flags;
}

void ServeUsage(FILE* out) {
  std::fprintf(out,
               "usage: creditbank serve [--data DIR] [--listen HOST:PORT] [--config FILE] "
               "[--port-file FILE] [--<key> VALUE ...]\n\n"
               "Configuration keys (file key / CREDITBANK_<KEY> env var / --key-name flag;\n"
               "flags override env vars, env vars override the file):\n");
  for (const auto& k : ConfigKeys()) {
    std::fprintf(out, "  %-18s %-7s %s\n", k.key, k.type, k.help);
  }
}

}  // namespace

int CmdServe(const CommandArgs& argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argv, ConfigFlagNames(), {"help"}, &args, &error)) {
    std::fprintf(stderr, "creditbank serve: %s\n\n", error.c_str());
    ServeUsage(stderr);
    return 2;
  }
  if (args.Has("help")) {
    ServeUsage(stdout);
    return 0;
  }
  auto config = LoadConfig(args.Get("config"), ProcessEnvironment(), ConfigFlags(args));
  if (!config.ok()) {
    std::fprintf(stderr, "creditbank serve: %s\n", config.status().message().c_str());
    return 2;
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
  LogJson(LogLevel::kInfo, "listening",
          {{"url", (*server)->url()},
           {"port", port},
           {"data_dir", config->data_dir},
           {"admin_token_file", config->admin_token_file},
           {"log_size", (*server)->services().log().Size()},
           {"origin", config->origin}});
  if (args.Has("port-file")) {
    std::ofstream(args.Get("port-file")) << port << "\n";
  }

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

int CmdKeygen(const CommandArgs& argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argv, {"out", "name"}, {"help"}, &args, &error) || args.Has("help") ||
      !args.Has("out")) {
    FILE* out = args.Has("help") ? stdout : stderr;
    if (!error.empty()) std::fprintf(stderr, "creditbank keygen: %s\n", error.c_str());
    std::fprintf(out,
                 "usage: creditbank keygen --out FILE [--name ORIGIN]\n"
                 "Writes a new Ed25519 private key (PKCS#8 PEM, mode 0600) and prints its\n"
                 "public key and signed-note verifier key. Refuses to overwrite a file.\n");
    return args.Has("help") ? 0 : 2;
  }
  Ed25519Key key = Ed25519Key::Generate();
  Status s = key.SavePem(args.Get("out"));
  if (!s.ok()) {
    std::fprintf(stderr, "creditbank keygen: %s\n", s.ToString().c_str());
    return 1;
  }
  std::string name = args.Get("name", "creditbank.localhost/log");
  std::printf("%s", key.PublicKeyPem().c_str());
  std::printf("verifier_key: %s\n", VerifierKeyString(name, key.PublicKey()).c_str());
  // The same key as a C2SP witness (`creditbank witness --name NAME`) signs cosignatures with.
  std::printf("cosigner_vkey: %s\n", CosignerKeyString(name, key.PublicKey()).c_str());
  return 0;
}

int CmdToken(const CommandArgs& argv) {
  auto usage = [](FILE* out) {
    std::fprintf(out,
                 "usage:\n"
                 "  creditbank token create --role ROLE [--expires-at RFC3339] "
                 "[--data DIR | --server URL --token ADMIN_TOKEN]\n"
                 "  creditbank token revoke --id TOKEN_ID [--data DIR | --server URL --token T]\n"
                 "  creditbank token list [--data DIR | --server URL --token T]\n"
                 "ROLE is admin, auditor, institution:<id> or learner:<id>. With --data the\n"
                 "store is opened directly (the server must be stopped); with --server the\n"
                 "running server is asked, with an admin token.\n");
  };
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    usage(argv.empty() ? stderr : stdout);
    return argv.empty() ? 2 : 0;
  }
  std::string action = argv[0];
  Args args;
  std::string error;
  if (!ParseArgs(CommandArgs(argv.begin() + 1, argv.end()),
                 {"role", "expires-at", "data", "server", "token", "id", "ca"},
                 {"help", "insecure"}, &args, &error)) {
    std::fprintf(stderr, "creditbank token: %s\n", error.c_str());
    usage(stderr);
    return 2;
  }
  if (action != "create" && action != "revoke" && action != "list") {
    usage(stderr);
    return 2;
  }
  if ((action == "create" && !args.Has("role")) || (action == "revoke" && !args.Has("id"))) {
    usage(stderr);
    return 2;
  }
  if (args.Has("server")) {
    std::string admin = args.Get("token");
    if (admin.empty()) {
      if (const char* env = std::getenv("CREDITBANK_TOKEN")) admin = env;
    }
    auto client = RestClient::Connect(args.Get("server"), args.Get("ca"), args.Has("insecure"));
    if (!client.ok()) {
      std::fprintf(stderr, "creditbank token: %s\n", client.status().ToString().c_str());
      return 1;
    }
    StatusOr<ClientResponse> r = Status::Internal("unreachable");
    if (action == "create") {
      nlohmann::json body = {{"role", args.Get("role")}};
      if (args.Has("expires-at")) body["expires_at"] = args.Get("expires-at");
      r = (*client)->Send("POST", "/v1/tokens", admin, body.dump());
    } else if (action == "revoke") {
      r = (*client)->Send("DELETE", "/v1/tokens/" + PathSegment(args.Get("id")), admin);
    } else {
      r = (*client)->Send("GET", "/v1/tokens", admin);
    }
    if (!r.ok()) {
      std::fprintf(stderr, "creditbank token: %s\n", r.status().ToString().c_str());
      return 1;
    }
    std::printf("%s\n", r->body.c_str());
    return r->status < 300 ? 0 : 1;
  }
  std::map<std::string, std::string> flags;
  if (args.Has("data")) flags["data_dir"] = args.Get("data");
  auto config = LoadConfig("", ProcessEnvironment(), flags);
  if (!config.ok()) {
    std::fprintf(stderr, "creditbank token: %s\n", config.status().message().c_str());
    return 2;
  }
  auto services = Services::Open(*config);
  if (!services.ok()) {
    std::fprintf(stderr, "creditbank token: %s\n", services.status().ToString().c_str());
    if (services.status().code() == StatusCode::kFailedPrecondition) {
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
    auto t = tokens.Create(args.Get("role"), args.Get("expires-at"));
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
    Status s = tokens.Revoke(args.Get("id"));
    if (!s.ok()) {
      std::fprintf(stderr, "creditbank token: %s\n", s.ToString().c_str());
      return 1;
    }
    admin_log.Record(cli, "revoke_token", args.Get("id"));
    std::printf("{\"id\":\"%s\",\"revoked\":true}\n", args.Get("id").c_str());
    return 0;
  }
  auto list = tokens.List(100000);
  if (!list.ok()) {
    std::fprintf(stderr, "creditbank token: %s\n", list.status().ToString().c_str());
    return 1;
  }
  for (const auto& t : *list) {
    std::printf("%s\t%s\t%s%s\n", t.id.c_str(), t.role.c_str(), t.created_at.c_str(),
                t.revoked ? "\trevoked" : "");
  }
  return 0;
}

}  // namespace lcb
