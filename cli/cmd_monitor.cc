// creditbank monitor: follows the log by tiles and reports any rewritten history (cli/monitor.h).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/monitor.h"

namespace lcb {
namespace {

void MonitorUsage(FILE* out) {
  std::fprintf(out,
               "usage: creditbank monitor --server URL --state DIR [--token TOKEN] "
               "[--log-vkey VKEY] [--interval-ms N] [--once] [--ca PEM] [--insecure]\n"
               "Follows the log through its tiles: checks every entry against its leaf hash\n"
               "and every checkpoint's consistency with the last one seen (state in DIR),\n"
               "and keeps per-institution entry counts. Entry bundles need an auditor's token\n"
               "(--token or CREDITBANK_TOKEN). Prints one JSON line per poll that found new\n"
               "entries. On a rewrite prints {\"event\":\"rewrite\",...} and exits 1; --once\n"
               "polls once. Without --log-vkey the log's key is trusted on first use and\n"
               "pinned in DIR.\n");
}

}  // namespace

int CmdMonitor(const CommandArgs& argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argv, {"server", "state", "token", "log-vkey", "interval-ms", "ca"},
                 {"help", "once", "insecure"}, &args, &error) ||
      args.Has("help") || !args.Has("server") || !args.Has("state")) {
    if (!error.empty()) std::fprintf(stderr, "creditbank monitor: %s\n", error.c_str());
    MonitorUsage(args.Has("help") ? stdout : stderr);
    return args.Has("help") ? 0 : 2;
  }
  const char* env_token = std::getenv("CREDITBANK_TOKEN");
  MonitorOptions o{args.Get("server"),
                   args.Get("state"),
                   args.Get("token", env_token != nullptr ? env_token : ""),
                   args.Get("log-vkey"),
                   args.Get("ca"),
                   args.Has("insecure")};
  const long interval_ms = std::strtol(args.Get("interval-ms", "1000").c_str(), nullptr, 10);
  if (interval_ms < 1 || interval_ms > 3'600'000) {
    std::fprintf(stderr, "creditbank monitor: --interval-ms must be 1..3600000\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto monitor = Monitor::Open(o);
  if (!monitor.ok()) {
    std::fprintf(stderr, "creditbank monitor: %s\n", monitor.status().ToString().c_str());
    return 1;
  }
  while (true) {
    auto poll = (*monitor)->Poll();
    if (!poll.ok() && !(*monitor)->rewrite_json().empty()) {
      std::printf("%s\n", (*monitor)->rewrite_json().c_str());
      std::fflush(stdout);
      return 1;
    }
    if (!poll.ok()) {
      std::fprintf(stderr, "creditbank monitor: %s\n", poll.status().ToString().c_str());
      if (args.Has("once")) return 1;
    } else if (poll->new_entries > 0 || args.Has("once")) {
      nlohmann::json line = {{"event", "checked"},
                             {"size", poll->size},
                             {"new_entries", poll->new_entries},
                             {"counts", (*monitor)->counts()}};
      std::printf("%s\n", line.dump().c_str());
      std::fflush(stdout);
    }
    if (args.Has("once")) return 0;
    timespec wait{interval_ms / 1000, (interval_ms % 1000) * 1'000'000};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) return 0;
  }
}

}  // namespace lcb
