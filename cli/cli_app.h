// The creditbank command line on CLI11 (Debian libcli11-dev): one CLI::App with a subcommand
// per command, each declaring its flags, their descriptions, which are required and which
// environment variable may stand in, so that `--help` is generated from the same declarations
// that parse. Exit codes are those of cli/exit_codes.h: CLI11's errors (unknown flag, bad or
// missing value) print CLI11's message naming the flag and exit kExitUsage.
//
// A command module exposes `void AddXCommand(CLI::App& parent, int* exit_code)`: it adds its
// subcommand to `parent`, with a callback that runs the command and stores its exit code.
// `CmdX(args)` (commands.h) runs the same declaration on the words after the command name.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/exit_codes.h"

namespace lcb {

using AddCommandFn = void (*)(CLI::App& parent, int* exit_code);

// The options of a command that talks to a running server through RestClient.
struct ServerFlags {
  std::string server;
  std::string token;
  std::string ca;
  bool insecure = false;
};

// --server URL (required when `server_required`), --token (or env CREDITBANK_TOKEN), --ca FILE,
// --insecure. `token_help` says which token the command needs.
void AddServerFlags(CLI::App* cmd, ServerFlags* flags, bool server_required,
                    const std::string& token_help);

// A top-level App named "creditbank" with the house's help format; subcommands are added to it.
void ConfigureApp(CLI::App& app);

// Parses `args` (the words after the program name) and runs the selected subcommand, whose
// callback leaves its exit code in `exit_code`. --help: help on stdout, kExitOk; a parse
// error: CLI11's message on stderr, kExitUsage. Words no option or subcommand claimed (an
// unknown flag or subcommand) are named before a missing required option.
int ParseAndRun(CLI::App& app, const std::vector<std::string>& args, const int& exit_code);

// `creditbank <name> args...` for the one command `add` declares (tests, and callers holding
// the words after the command name).
int RunCommand(AddCommandFn add, const std::vector<std::string>& args);

// The whole command line: every command of the binary (main.cc).
int RunCreditbank(const std::vector<std::string>& args);

}  // namespace lcb
