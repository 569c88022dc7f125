// creditbank monitor: follows the log by tiles and reports any rewritten history (cli/monitor.h).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "cli/cli_app.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/monitor.h"

namespace lcb {
namespace {

constexpr long kMaxIntervalMs = 3'600'000;

struct MonitorFlags : ServerFlags {
  std::string state;
  std::string log_vkey;
  long interval_ms = 1000;
  bool once = false;
};

int RunMonitor(const MonitorFlags& f) {
  MonitorOptions o{f.server, f.state, f.token, f.log_vkey, f.ca, f.insecure};
  const long interval_ms = f.interval_ms;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto monitor = Monitor::Open(o);
  if (!monitor.ok()) {
    std::fprintf(stderr, "creditbank monitor: %s\n", monitor.status().ToString().c_str());
    // The first connection is made here: a server that cannot be reached is not a finding.
    return monitor.status().code() == StatusCode::kUnavailable ? kExitUnavailable : kExitFailure;
  }
  while (true) {
    auto poll = (*monitor)->Poll();
    if (!poll.ok() && !(*monitor)->rewrite_json().empty()) {
      std::printf("%s\n", (*monitor)->rewrite_json().c_str());
      std::fflush(stdout);
      return kExitInvalid;
    }
    if (!poll.ok()) {
      std::fprintf(stderr, "creditbank monitor: %s\n", poll.status().ToString().c_str());
      // A key that never verified the log is a bad argument, not a reason to keep polling.
      if (poll.status().code() == StatusCode::kFailedPrecondition) return kExitUsage;
      // Unreachable or 5xx: nothing was judged (exit 3); without --once, polled again.
      if (f.once) {
        return poll.status().code() == StatusCode::kUnavailable ? kExitUnavailable : kExitFailure;
      }
    } else if (poll->new_entries > 0 || f.once) {
      nlohmann::json line = {{"event", "checked"},
                             {"size", poll->size},
                             {"new_entries", poll->new_entries},
                             {"counts", (*monitor)->counts()}};
      std::printf("%s\n", line.dump().c_str());
      std::fflush(stdout);
    }
    if (f.once) return 0;
    timespec wait{interval_ms / 1000, (interval_ms % 1000) * 1'000'000};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) return 0;
  }
}

}  // namespace

void AddMonitorCommand(CLI::App& parent, int* exit_code) {
  auto f = std::make_shared<MonitorFlags>();
  CLI::App* cmd =
      parent.add_subcommand("monitor", "follow the log by tiles and report any rewritten history");
  cmd->footer(
      "Follows the log through its tiles: checks every entry against its leaf hash and every\n"
      "checkpoint's consistency with the last one seen (state in DIR), and keeps\n"
      "per-institution entry counts. Prints one JSON line per poll that found new entries.\n"
      "On a rewrite prints {\"event\":\"rewrite\",...} with the contradicting signed\n"
      "checkpoint and the one in DIR (the evidence), and exits 1. A checkpoint not signed by\n"
      "the pinned key is {\"event\":\"key_changed\"} when the log lists that key as retired\n"
      "(a rotation: run again with --log-vkey set to the new key, which replaces the pinned\n"
      "one; the tree must still extend the one in DIR), else {\"event\":\"bad_signature\"};\n"
      "both exit 1 and neither says history was rewritten. Without --log-vkey the\n"
      "log's key is trusted on first use and pinned in DIR. A --log-vkey that does not verify\n"
      "the log's first checkpoint is a bad argument (exit 2), not a rewrite. A log that\n"
      "cannot be reached or read (network error, timeout, HTTP 5xx, after retries) is\n"
      "exit 3, nothing judged: at start, or on the poll of --once; a long-running monitor\n"
      "reports it on stderr and polls again.\n"
      "Exit 0 ok; 1 a rewrite (or another failure); 2 bad arguments; 3 unavailable.");
  AddServerFlags(cmd, f.get(), /*server_required=*/true,
                 "an auditor's token (entry bundles need one)");
  cmd->add_option("--state", f->state, "the monitor's state directory (created if missing)")
      ->type_name("DIR")
      ->required();
  cmd->add_option("--log-vkey", f->log_vkey,
                  "the log's verifier key (default: pinned on first use)")
      ->type_name("VKEY");
  cmd->add_option("--interval-ms", f->interval_ms, "time between polls")
      ->type_name("N")
      ->check(CLI::Range(1L, kMaxIntervalMs))
      ->capture_default_str();
  cmd->add_flag("--once", f->once, "poll once and exit");
  cmd->callback([f, exit_code] { *exit_code = RunMonitor(*f); });
}

int CmdMonitor(const CommandArgs& args) { return RunCommand(AddMonitorCommand, args); }

}  // namespace lcb
