// creditbank witness: a C2SP tlog-witness server (service/witness.h, api/witness_server.h).
#include <signal.h>

#include <cstdio>
#include <fstream>

#include "api/logging.h"
#include "api/server.h"
#include "api/witness_server.h"
#include "cli/cli_app.h"
#include "cli/commands.h"
#include "crypto/signed_note.h"
#include "service/witness.h"

namespace lcb {
namespace {

struct WitnessOptions {
  std::string listen;
  std::string key;
  std::string name;
  std::string log_vkey;
  std::string state;
  std::string port_file;
};

StatusOr<std::vector<NoteVerifier>> LogKeys(const std::string& list) {
  std::vector<NoteVerifier> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const std::string one = list.substr(start, comma - start);
    if (!one.empty()) {
      auto v = ParseVerifierKey(one);
      if (!v.ok()) return Status::InvalidArgument(Field("--log-vkey"), v.status().message());
      out.push_back(std::move(v).value());
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int RunWitness(const WitnessOptions& o) {
  const std::string& listen = o.listen;
  const size_t colon = listen.rfind(':');
  char* end = nullptr;
  const unsigned long port =
      colon == std::string::npos ? 70000 : std::strtoul(listen.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || colon == 0 || *end != '\0' || port > 65535) {
    std::fprintf(stderr, "creditbank witness: --listen must be HOST:PORT\n");
    return 2;
  }
  auto logs = LogKeys(o.log_vkey);
  if (!logs.ok()) {
    std::fprintf(stderr, "creditbank witness: %s\n", logs.status().message().c_str());
    return 2;
  }
  auto key = Ed25519Key::LoadPem(o.key);
  if (!key.ok()) {
    std::fprintf(stderr, "creditbank witness: --key: %s\n", key.status().ToString().c_str());
    return 1;
  }
  auto witness = Witness::Open(o.name, std::move(key).value(), std::move(logs).value(), o.state);
  if (!witness.ok()) {
    std::fprintf(stderr, "creditbank witness: %s\n", witness.status().ToString().c_str());
    return 1;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  ServerOptions options;
  options.host = listen.substr(0, colon);
  options.port = static_cast<uint16_t>(port);
  options.threads = 2;
  options.max_body_bytes = kMaxAddCheckpointBytes;
  auto server = HttpServer::Create(options, WitnessDispatcher(**witness));
  Status started = server.ok() ? (*server)->Start() : server.status();
  if (!started.ok()) {
    std::fprintf(stderr, "creditbank witness: %s\n", started.ToString().c_str());
    return 1;
  }
  LogJson(LogLevel::kInfo, "witness listening",
          {{"port", (*server)->port()}, {"vkey", (*witness)->vkey()}, {"state", o.state}});
  if (!o.port_file.empty()) std::ofstream(o.port_file) << (*server)->port() << "\n";
  std::printf("%s\n", (*witness)->vkey().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  (*server)->Shutdown(2000);
  return 0;
}

}  // namespace

void AddWitnessCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<WitnessOptions>();
  CLI::App* cmd =
      parent.add_subcommand("witness", "run a C2SP tlog-witness that cosigns a log's checkpoints");
  cmd->footer(
      "Runs a C2SP tlog-witness: POST /add-checkpoint cosigns a checkpoint of a log whose\n"
      "verifier key (GET /v1/log/key, verifier_key) is given, once it is consistent with the\n"
      "last one cosigned for that log (kept in DIR). KEY is from `creditbank keygen`; the\n"
      "witness prints its cosigner vkey, which the bank's `witnesses` config and\n"
      "`creditbank audit --witness-vkey` take.");
  cmd->add_option("--listen", o->listen, "where to listen")->type_name("HOST:PORT")->required();
  cmd->add_option("--key", o->key, "the witness's signing key")->type_name("PEM")->required();
  cmd->add_option("--name", o->name, "the witness's name")->type_name("NAME")->required();
  cmd->add_option("--log-vkey", o->log_vkey, "the verifier keys of the logs it witnesses")
      ->type_name("VKEY[,VKEY...]")
      ->required();
  cmd->add_option("--state", o->state, "where cosigned checkpoints are kept")
      ->type_name("DIR")
      ->required();
  cmd->add_option("--port-file", o->port_file, "write the bound port here")->type_name("FILE");
  cmd->callback([o, exit_code] { *exit_code = RunWitness(*o); });
}

int CmdWitness(const CommandArgs& args) { return RunCommand(AddWitnessCommand, args); }

}  // namespace lcb
