// The creditbank subcommands. Each takes the arguments after its name and returns the exit
// code: 0 success, 1 failure (reason on stderr), 2 bad arguments (usage on stderr).
#pragma once

#include <string>
#include <vector>

namespace lcb {

using CommandArgs = std::vector<std::string>;

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
