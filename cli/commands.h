// The creditbank subcommands. AddXCommand declares command X on the binary's CLI::App (its
// flags, help and callback; cli/cli_app.h); CmdX runs it on the words after its name, as
// `creditbank X args...` would. Exit codes: cli/exit_codes.h (0 success, 1 failure with the
// reason on stderr, 2 bad arguments).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace lcb {

using CommandArgs = std::vector<std::string>;

void AddServeCommand(CLI::App& parent, int* exit_code);
void AddKeygenCommand(CLI::App& parent, int* exit_code);
void AddTokenCommand(CLI::App& parent, int* exit_code);
void AddImportCommand(CLI::App& parent, int* exit_code);
void AddDemoCommand(CLI::App& parent, int* exit_code);
void AddVerifyCommand(CLI::App& parent, int* exit_code);
void AddAuditCommand(CLI::App& parent, int* exit_code);
void AddBackupCommand(CLI::App& parent, int* exit_code);
void AddRestoreCommand(CLI::App& parent, int* exit_code);
void AddWitnessCommand(CLI::App& parent, int* exit_code);
void AddMonitorCommand(CLI::App& parent, int* exit_code);
void AddCredentialCommand(CLI::App& parent, int* exit_code);

int CmdServe(const CommandArgs& args);
int CmdKeygen(const CommandArgs& args);
int CmdToken(const CommandArgs& args);
int CmdImport(const CommandArgs& args);
int CmdDemo(const CommandArgs& args);
int CmdVerify(const CommandArgs& args);
int CmdAudit(const CommandArgs& args);
int CmdBackup(const CommandArgs& args);
int CmdRestore(const CommandArgs& args);
int CmdWitness(const CommandArgs& args);
int CmdMonitor(const CommandArgs& args);
int CmdCredential(const CommandArgs& args);

}  // namespace lcb
