#include "cli/cli_app.h"

#include <cstdio>
#include <cstdlib>

#include "cli/cmd_log.h"
#include "cli/commands.h"

namespace lcb {
namespace {

constexpr const char* kVersion = "creditbank 0.1.0";
constexpr size_t kHelpColumn = 26;

// `creditbank log root|verify-inclusion|verify-consistency ...` (cli/cmd_log.h parses them).
int RunLog(const std::vector<std::string>& a) {
  if (a.empty() || a[0] == "--help" || a[0] == "-h") {
    std::fprintf(a.empty() ? stderr : stdout,
                 "usage: creditbank log root|verify-inclusion|verify-consistency ...\n"
                 "  creditbank log root --leaves FILE\n"
                 "  creditbank log verify-inclusion --index I --size N --leaf-hash HEX "
                 "--root HEX --proof HEX,HEX,...\n"
                 "  creditbank log verify-consistency --first M --second N --first-root "
                 "HEX --second-root HEX --proof HEX,...\n");
    return a.empty() ? kExitUsage : kExitOk;
  }
  std::vector<std::string> rest(a.begin() + 1, a.end());
  if (a[0] == "root") return CmdLogRoot(rest);
  if (a[0] == "verify-inclusion") return CmdLogVerifyInclusion(rest);
  if (a[0] == "verify-consistency") return CmdLogVerifyConsistency(rest);
  std::fprintf(stderr, "unknown log command '%s'\n", a[0].c_str());
  return kExitUsage;
}

// `creditbank note verify ...`.
int RunNote(const std::vector<std::string>& a) {
  if (a.empty() || a[0] != "verify") {
    const bool help = !a.empty() && (a[0] == "--help" || a[0] == "-h");
    std::fprintf(help ? stdout : stderr, "usage: creditbank note verify --key VKEY --note FILE\n");
    return help ? kExitOk : kExitUsage;
  }
  return CmdNoteVerify(std::vector<std::string>(a.begin() + 1, a.end()));
}

}  // namespace

void AddServerFlags(CLI::App* cmd, ServerFlags* flags, bool server_required,
                    const std::string& token_help) {
  CLI::Option* server =
      cmd->add_option("--server", flags->server, "the bank's URL, http://HOST:PORT or https://...")
          ->type_name("URL");
  if (server_required) server->required();
  cmd->add_option("--token", flags->token, token_help)
      ->type_name("TOKEN")
      ->envname("CREDITBANK_TOKEN");
  cmd->add_option("--ca", flags->ca, "PEM trust anchor for https")->type_name("FILE");
  cmd->add_flag("--insecure", flags->insecure, "https without certificate verification (tests)");
}

void ConfigureApp(CLI::App& app) {
  app.name("creditbank");
  app.description("creditbank: a learning-credit bank with a signed transparency log");
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);
  app.get_formatter()->label("Usage", "usage");
  app.get_formatter()->column_width(kHelpColumn);
}

int ParseAndRun(CLI::App& app, const std::vector<std::string>& args, const int& exit_code) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return exit_code;
}

int RunCommand(AddCommandFn add, const std::vector<std::string>& args) {
  CLI::App app;
  ConfigureApp(app);
  int code = kExitUsage;
  add(app, &code);
  std::vector<std::string> full = {app.get_subcommand(0)->get_name()};
  full.insert(full.end(), args.begin(), args.end());
  return ParseAndRun(app, full, code);
}

void AddRawCommand(CLI::App& parent, const std::string& name, const std::string& summary,
                   int (*run)(const std::vector<std::string>&), int* exit_code) {
  CLI::App* cmd = parent.add_subcommand(name, summary);
  cmd->set_help_flag();  // --help is the command's own
  cmd->prefix_command();
  cmd->callback([cmd, run, exit_code] { *exit_code = run(cmd->remaining()); });
}

int RunCreditbank(const std::vector<std::string>& args) {
  CLI::App app;
  ConfigureApp(app);
  int code = kExitUsage;
  AddServeCommand(app, &code);
  AddKeygenCommand(app, &code);
  AddTokenCommand(app, &code);
  AddImportCommand(app, &code);
  AddDemoCommand(app, &code);
  AddVerifyCommand(app, &code);
  // credential verify parses its own flags (cli/args.h) until it moves onto CLI11 too.
  AddRawCommand(app, "credential", "verify a portable credential offline (di, jwt, ob3-jwt)",
                CmdCredential, &code);
  AddAuditCommand(app, &code);
  AddRawCommand(app, "log", "Merkle tree tools: root, verify-inclusion, verify-consistency", RunLog,
                &code);
  AddBackupCommand(app, &code);
  AddRestoreCommand(app, &code);
  AddWitnessCommand(app, &code);
  AddMonitorCommand(app, &code);
  AddRawCommand(app, "note", "signed-note tools: verify", RunNote, &code);
  if (args.empty()) {
    std::fprintf(stderr, "%s", app.help().c_str());
    return kExitUsage;
  }
  if (args.size() == 1 && args[0] == "help") return ParseAndRun(app, {"--help"}, code);
  return ParseAndRun(app, args, code);
}

}  // namespace lcb
