// creditbank: one binary, many subcommands (DESIGN.md "Command line").
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "cli/cmd_log.h"
#include "cli/commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  std::function<int(const std::vector<std::string>&)> run;
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"serve", "run the HTTP server (./var, 127.0.0.1:8080 by default)", lcb::CmdServe},
      {"keygen", "create an Ed25519 signing key (PEM, mode 0600)", lcb::CmdKeygen},
      {"token", "create, list or revoke API tokens", lcb::CmdToken},
      {"import", "post a registrar's CSV of records in batches (validated first)", lcb::CmdImport},
      {"demo", "load a realistic demo catalog, programs and learners via the API", lcb::CmdDemo},
      {"verify", "verify a record bundle offline with the log's public key", lcb::CmdVerify},
      {"credential", "verify a portable credential offline (di, jwt, ob3-jwt)", lcb::CmdCredential},
      {"audit", "check the log was only appended to since a saved checkpoint", lcb::CmdAudit},
      {"log", "Merkle tree tools: root, verify-inclusion, verify-consistency",
       [](const std::vector<std::string>& a) {
         if (a.empty() || a[0] == "--help" || a[0] == "-h") {
           std::fprintf(stderr,
                        "usage: creditbank log root|verify-inclusion|verify-consistency ...\n"
                        "  creditbank log root --leaves FILE\n"
                        "  creditbank log verify-inclusion --index I --size N --leaf-hash HEX "
                        "--root HEX --proof HEX,HEX,...\n"
                        "  creditbank log verify-consistency --first M --second N --first-root "
                        "HEX --second-root HEX --proof HEX,...\n");
           return a.empty() ? 2 : 0;
         }
         std::vector<std::string> rest(a.begin() + 1, a.end());
         if (a[0] == "root") return lcb::CmdLogRoot(rest);
         if (a[0] == "verify-inclusion") return lcb::CmdLogVerifyInclusion(rest);
         if (a[0] == "verify-consistency") return lcb::CmdLogVerifyConsistency(rest);
         std::fprintf(stderr, "unknown log command '%s'\n", a[0].c_str());
         return 2;
       }},
      {"backup", "take an online, log-consistent backup of a running server", lcb::CmdBackup},
      {"restore", "restore a backup into a new data directory and verify it", lcb::CmdRestore},
      {"witness", "run a C2SP tlog-witness that cosigns a log's checkpoints", lcb::CmdWitness},
      {"monitor", "follow the log by tiles and report any rewritten history", lcb::CmdMonitor},
      {"note", "signed-note tools: verify",
       [](const std::vector<std::string>& a) {
         if (a.empty() || a[0] != "verify") {
           std::fprintf(stderr, "usage: creditbank note verify --key VKEY --note FILE\n");
           return (!a.empty() && (a[0] == "--help" || a[0] == "-h")) ? 0 : 2;
         }
         return lcb::CmdNoteVerify(std::vector<std::string>(a.begin() + 1, a.end()));
       }},
  };
  return kCommands;
}

void Usage(FILE* out) {
  std::fprintf(out,
               "creditbank: a learning-credit bank with a signed transparency log\n\n"
               "usage: creditbank <command> [options]   (creditbank <command> --help)\n\n"
               "commands:\n");
  for (const auto& c : Commands()) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    Usage(stderr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    Usage(stdout);
    return 0;
  }
  if (args[0] == "--version") {
    std::printf("creditbank 0.1.0\n");
    return 0;
  }
  for (const auto& c : Commands()) {
    if (args[0] == c.name) return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  std::fprintf(stderr, "unknown command '%s'\n\n", args[0].c_str());
  Usage(stderr);
  return 2;
}
