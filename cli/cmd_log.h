// Offline log and note verification commands of the `creditbank` binary:
//   creditbank log root --leaves FILE
//   creditbank log verify-inclusion --index I --size N (--leaf-hash HEX | --leaf HEX)
//                                   --root HEX [--proof HEX,HEX,...]
//   creditbank log verify-consistency --first M --second N [--first-root HEX]
//                                     --second-root HEX [--proof HEX,HEX,...]
//   creditbank note verify --key VKEY [--key VKEY ...] --note FILE
// `args` are the arguments after the subcommand words; "--flag value" and "--flag=value"
// are both accepted (CLI11), FILE may be "-" for stdin. Each prints its usage for --help.
//
// Exit codes (for scripts and interop with other C2SP / RFC 9162 implementations):
//   0 valid (or, for `log root`, computed), 1 invalid (the exact reason on stderr),
//   2 bad arguments (usage on stderr).
#pragma once

#include <string>
#include <vector>

#include "cli/exit_codes.h"

namespace CLI {
class App;
}  // namespace CLI

namespace lcb {

// Declare `log` (root, verify-inclusion, verify-consistency) and `note` (verify) on the
// binary's CLI11 App (cli/cli_app.h).
void AddLogCommand(CLI::App& parent, int* exit_code);
void AddNoteCommand(CLI::App& parent, int* exit_code);

// Reads hex-encoded leaf data, one leaf per line (an empty line is an empty leaf; a final
// newline does not start another leaf) and prints "tree_size N" and "root HEX".
int CmdLogRoot(const std::vector<std::string>& args);
// Checks an RFC 9162 inclusion proof; --leaf gives hex leaf data to hash as a leaf instead
// of --leaf-hash. The proof may be omitted (or empty) for a one-leaf tree.
int CmdLogVerifyInclusion(const std::vector<std::string>& args);
// Checks an RFC 9162 consistency proof. --first-root defaults to the empty tree's root when
// --first is 0 (the empty proof from size 0 is valid).
int CmdLogVerifyConsistency(const std::vector<std::string>& args);
// Opens a C2SP signed note with the given verifier keys; prints the note text on success.
int CmdNoteVerify(const std::vector<std::string>& args);

}  // namespace lcb
