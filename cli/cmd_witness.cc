// creditbank witness: a C2SP tlog-witness server (service/witness.h, api/witness_server.h).
#include <signal.h>

#include <cstdio>
#include <fstream>

#include "api/logging.h"
#include "api/server.h"
#include "api/witness_server.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "crypto/signed_note.h"
#include "service/witness.h"

namespace lcb {
namespace {

void WitnessUsage(FILE* out) {
  std::fprintf(out,
               "usage: creditbank witness --listen HOST:PORT --key PEM --name NAME "
               "--log-vkey VKEY[,VKEY...] --state DIR [--port-file FILE]\n"
               "Runs a C2SP tlog-witness: POST /add-checkpoint cosigns a checkpoint of a log\n"
               "whose verifier key (GET /v1/log/key, verifier_key) is given, once it is\n"
               "consistent with the last one cosigned for that log (kept in DIR). KEY is from\n"
               "`creditbank keygen`; the witness prints its cosigner vkey, which the bank's\n"
               "`witnesses` config and `creditbank audit --witness-vkey` take.\n");
}

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

}  // namespace

int CmdWitness(const CommandArgs& argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argv, {"listen", "key", "name", "log-vkey", "state", "port-file"}, {"help"}, &args,
                 &error) ||
      args.Has("help") || !args.Has("listen") || !args.Has("key") || !args.Has("name") ||
      !args.Has("log-vkey") || !args.Has("state")) {
    if (!error.empty()) std::fprintf(stderr, "creditbank witness: %s\n", error.c_str());
    WitnessUsage(args.Has("help") ? stdout : stderr);
    return args.Has("help") ? 0 : 2;
  }
  const std::string listen = args.Get("listen");
  const size_t colon = listen.rfind(':');
  char* end = nullptr;
  const unsigned long port =
      colon == std::string::npos ? 70000 : std::strtoul(listen.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || colon == 0 || *end != '\0' || port > 65535) {
    std::fprintf(stderr, "creditbank witness: --listen must be HOST:PORT\n");
    return 2;
  }
  auto logs = LogKeys(args.Get("log-vkey"));
  if (!logs.ok()) {
    std::fprintf(stderr, "creditbank witness: %s\n", logs.status().message().c_str());
    return 2;
  }
  auto key = Ed25519Key::LoadPem(args.Get("key"));
  if (!key.ok()) {
    std::fprintf(stderr, "creditbank witness: --key: %s\n", key.status().ToString().c_str());
    return 1;
  }
  auto witness = Witness::Open(args.Get("name"), std::move(key).value(), std::move(logs).value(),
                               args.Get("state"));
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
  LogJson(
      LogLevel::kInfo, "witness listening",
      {{"port", (*server)->port()}, {"vkey", (*witness)->vkey()}, {"state", args.Get("state")}});
  if (args.Has("port-file")) std::ofstream(args.Get("port-file")) << (*server)->port() << "\n";
  std::printf("%s\n", (*witness)->vkey().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  (*server)->Shutdown(2000);
  return 0;
}

}  // namespace lcb
