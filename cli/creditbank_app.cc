// RunCreditbank: every command of the binary on one CLI11 App (cli/cli_app.h).
#include <cstdio>

#include "cli/cli_app.h"
#include "cli/cmd_log.h"
#include "cli/commands.h"

namespace lcb {

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
  AddCredentialCommand(app, &code);
  AddAuditCommand(app, &code);
  AddLogCommand(app, &code);
  AddBackupCommand(app, &code);
  AddRestoreCommand(app, &code);
  AddWitnessCommand(app, &code);
  AddMonitorCommand(app, &code);
  AddNoteCommand(app, &code);
  if (args.empty()) {
    std::fprintf(stderr, "%s", app.help().c_str());
    return kExitUsage;
  }
  if (args.size() == 1 && args[0] == "help") return ParseAndRun(app, {"--help"}, code);
  return ParseAndRun(app, args, code);
}

}  // namespace lcb
