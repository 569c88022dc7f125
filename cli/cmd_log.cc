#include "cli/cmd_log.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>

#include "cli/cli_app.h"
#include "common/encoding.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"

namespace lcb {
namespace {

constexpr std::string_view kRootUsage =
    "usage: creditbank log root --leaves FILE\n"
    "  FILE holds hex-encoded leaf data, one leaf per line (\"-\" reads stdin).\n"
    "  Prints the tree size and the RFC 9162 root hash in hex.\n";

constexpr std::string_view kInclusionUsage =
    "usage: creditbank log verify-inclusion --index I --size N\n"
    "           (--leaf-hash HEX | --leaf HEX) --root HEX [--proof HEX,HEX,...]\n"
    "  Checks an RFC 9162 inclusion proof (hashes leaf to root). --leaf is hex leaf data,\n"
    "  hashed as SHA-256(0x00 || data). Exit 0 valid, 1 invalid, 2 bad arguments.\n";

constexpr std::string_view kConsistencyUsage =
    "usage: creditbank log verify-consistency --first M --second N [--first-root HEX]\n"
    "           --second-root HEX [--proof HEX,HEX,...]\n"
    "  Checks an RFC 9162 consistency proof. From size 0 the empty proof is valid and\n"
    "  --first-root defaults to SHA-256(\"\"). Exit 0 valid, 1 invalid, 2 bad arguments.\n";

constexpr std::string_view kNoteUsage =
    "usage: creditbank note verify --key VKEY [--key VKEY ...] --note FILE\n"
    "  Verifies a C2SP signed note (\"-\" reads stdin) against verifier keys of the form\n"
    "  name+hex8(keyid)+base64(0x01||ed25519 public key); prints the note text if valid.\n"
    "  A --key that names an existing file is read: one verifier key a line (as\n"
    "  GET /v1/log/key's verifier_key, or `creditbank keygen` prints it).\n"
    "  Exit 0 valid, 1 invalid, 2 bad arguments.\n";

// The help of a command: its usage text from the first indented description line on (CLI11
// writes the usage line itself).
std::string Help(std::string_view usage) {
  size_t at = 0;
  while ((at = usage.find("\n  ", at)) != std::string_view::npos && usage[at + 3] == ' ') ++at;
  std::string text(at == std::string_view::npos ? "" : usage.substr(at + 1));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// A command's "--name value" flags, declared on its CLI11 subcommand; a flag given twice is a
// CLI11 error (exit 2) unless repeatable. Values are checked after parsing, with the reasons
// below, so that the exit codes stay those of cmd_log.h.
class Flags {
 public:
  void Declare(CLI::App* cmd, const std::string& name, const std::string& type,
               const std::string& help, bool repeatable = false) {
    // A repeatable flag still takes one value per occurrence: "--key A B" leaves B over (an
    // error), as the hand-written parser did.
    CLI::Option* option =
        repeatable ? cmd->add_option("--" + name, multi_[name], help)->allow_extra_args(false)
                   : cmd->add_option("--" + name, single_[name], help)
                         ->multi_option_policy(CLI::MultiOptionPolicy::Throw);
    options_[name] = option->type_name(type);
  }

  bool has(const std::string& name) const { return options_.at(name)->count() > 0; }
  const std::string& get(const std::string& name) const { return single_.at(name); }
  const std::vector<std::string>& all(const std::string& name) const { return multi_.at(name); }

 private:
  std::map<std::string, std::string> single_;              // node-stable: CLI11 keeps pointers
  std::map<std::string, std::vector<std::string>> multi_;  // repeatable flags
  std::map<std::string, CLI::Option*> options_;
};

int Usage(std::string_view usage, const std::string& error) {
  std::cerr << "error: " << error << "\n" << usage;
  return kExitUsage;
}

int Invalid(const Status& status) {
  std::cerr << "invalid: " << status.message() << "\n";
  return kExitInvalid;
}

int Valid() {
  std::cout << "valid\n";
  return kExitValid;
}

std::optional<uint64_t> ParseUint(const std::string& text) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v, 10);
  if (text.empty() || text[0] < '0' || text[0] > '9' || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::vector<Hash>> ParseProof(const std::string& text) {
  std::vector<Hash> proof;
  if (text.empty()) return proof;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::optional<Hash> h = HashFromHex(std::string_view(text).substr(start, comma - start));
    if (!h) return std::nullopt;
    proof.push_back(*h);
    if (comma == std::string::npos) return proof;
    start = comma + 1;
  }
}

std::optional<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

// Reads a required "--name" decimal flag into *out; an error message otherwise.
bool RequireUint(const Flags& flags, const std::string& name, uint64_t* out, std::string* error) {
  if (!flags.has(name)) {
    *error = "--" + name + " is required";
    return false;
  }
  std::optional<uint64_t> v = ParseUint(flags.get(name));
  if (!v) {
    *error = "--" + name + " must be a decimal number below 2^64";
    return false;
  }
  *out = *v;
  return true;
}

bool RequireHash(const Flags& flags, const std::string& name, Hash* out, std::string* error) {
  if (!flags.has(name)) {
    *error = "--" + name + " is required";
    return false;
  }
  std::optional<Hash> h = HashFromHex(flags.get(name));
  if (!h) {
    *error = "--" + name + " must be 64 hex digits";
    return false;
  }
  *out = *h;
  return true;
}

bool OptionalProof(const Flags& flags, std::vector<Hash>* out, std::string* error) {
  if (!flags.has("proof")) return true;
  std::optional<std::vector<Hash>> proof = ParseProof(flags.get("proof"));
  if (!proof) {
    *error = "--proof must be comma-separated 64-digit hex hashes";
    return false;
  }
  *out = std::move(*proof);
  return true;
}

int RunLogRoot(const Flags& flags) {
  const std::string& path = flags.get("leaves");
  std::optional<std::string> text = ReadInput(path);
  if (!text) return Usage(kRootUsage, "cannot read " + path);

  Frontier frontier;
  size_t line_no = 0;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::optional<std::string> leaf = HexDecode(line);
    if (!leaf) {
      std::cerr << "invalid: line " << line_no << " of " << path << " is not hex\n";
      return kExitInvalid;
    }
    frontier.Append(LeafHash(*leaf), nullptr);
  }
  std::cout << "tree_size " << frontier.size() << "\nroot " << HashHex(frontier.Root()) << "\n";
  return kExitValid;
}

int RunLogVerifyInclusion(const Flags& flags) {
  std::string error;
  uint64_t index = 0;
  uint64_t size = 0;
  Hash root{};
  std::vector<Hash> proof;
  if (!RequireUint(flags, "index", &index, &error) || !RequireUint(flags, "size", &size, &error) ||
      !RequireHash(flags, "root", &root, &error) || !OptionalProof(flags, &proof, &error)) {
    return Usage(kInclusionUsage, error);
  }
  Hash leaf_hash{};
  if (flags.has("leaf-hash") == flags.has("leaf")) {
    return Usage(kInclusionUsage, "give exactly one of --leaf-hash and --leaf");
  }
  if (flags.has("leaf")) {
    std::optional<std::string> data = HexDecode(flags.get("leaf"));
    if (!data) return Usage(kInclusionUsage, "--leaf must be hex");
    leaf_hash = LeafHash(*data);
  } else if (!RequireHash(flags, "leaf-hash", &leaf_hash, &error)) {
    return Usage(kInclusionUsage, error);
  }
  Status status = VerifyInclusion(index, size, leaf_hash, proof, root);
  return status.ok() ? Valid() : Invalid(status);
}

int RunLogVerifyConsistency(const Flags& flags) {
  std::string error;
  uint64_t first = 0;
  uint64_t second = 0;
  Hash second_root{};
  std::vector<Hash> proof;
  if (!RequireUint(flags, "first", &first, &error) ||
      !RequireUint(flags, "second", &second, &error) ||
      !RequireHash(flags, "second-root", &second_root, &error) ||
      !OptionalProof(flags, &proof, &error)) {
    return Usage(kConsistencyUsage, error);
  }
  Hash first_root = EmptyRoot();
  if ((first != 0 || flags.has("first-root")) &&
      !RequireHash(flags, "first-root", &first_root, &error)) {
    return Usage(kConsistencyUsage, error);
  }
  Status status = VerifyConsistency(first, second, first_root, second_root, proof);
  return status.ok() ? Valid() : Invalid(status);
}

// The verifier keys a --key value gives: the value itself, or when it names an existing file,
// the file's non-empty lines (surrounding whitespace and CRs dropped).
std::optional<std::vector<std::string>> KeysOf(const std::string& arg) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(arg, ec)) return std::vector<std::string>{arg};
  std::optional<std::string> text = ReadInput(arg);
  if (!text) return std::nullopt;
  std::vector<std::string> keys;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    keys.push_back(line.substr(first, line.find_last_not_of(" \t\r") + 1 - first));
  }
  return keys;
}

int RunNoteVerify(const Flags& flags) {
  std::vector<NoteVerifier> verifiers;
  for (const std::string& arg : flags.all("key")) {
    std::optional<std::vector<std::string>> keys = KeysOf(arg);
    if (!keys) return Usage(kNoteUsage, "--key " + arg + ": cannot read the file");
    if (keys->empty()) return Usage(kNoteUsage, "--key " + arg + ": the file holds no key");
    for (const std::string& vkey : *keys) {
      StatusOr<NoteVerifier> v = ParseVerifierKey(vkey);
      if (!v.ok()) {
        return Usage(kNoteUsage, "--key " + (vkey == arg ? arg : arg + " (" + vkey + ")") + ": " +
                                     v.status().message());
      }
      verifiers.push_back(std::move(*v));
    }
  }
  const std::string& path = flags.get("note");
  std::optional<std::string> note = ReadInput(path);
  if (!note) return Usage(kNoteUsage, "cannot read " + path);
  StatusOr<VerifiedNote> opened = OpenNote(*note, verifiers);
  if (!opened.ok()) return Invalid(opened.status());
  std::cout << opened->text;
  return kExitValid;
}

// Adds `name` to `parent` with the flags `declare` gives it; runs `run` on them.
void AddFlagsCommand(CLI::App* parent, const char* name, const char* summary,
                     std::string_view usage, void (*declare)(CLI::App*, Flags*),
                     int (*run)(const Flags&), int* exit_code) {
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = parent->add_subcommand(name, summary);
  cmd->footer(Help(usage));
  declare(cmd, flags.get());
  cmd->callback([flags, run, exit_code] { *exit_code = run(*flags); });
}

void DeclareRoot(CLI::App* cmd, Flags* f) {
  f->Declare(cmd, "leaves", "FILE", "hex leaf data, one leaf per line (- reads stdin)");
  cmd->get_option("--leaves")->required();
}

void DeclareInclusion(CLI::App* cmd, Flags* f) {
  f->Declare(cmd, "index", "I", "the leaf's index");
  f->Declare(cmd, "size", "N", "the tree size");
  f->Declare(cmd, "leaf-hash", "HEX", "the leaf hash");
  f->Declare(cmd, "leaf", "HEX", "hex leaf data, hashed as a leaf (instead of --leaf-hash)");
  f->Declare(cmd, "root", "HEX", "the tree's root hash");
  f->Declare(cmd, "proof", "HEX,HEX,...", "the inclusion proof (empty for a one-leaf tree)");
}

void DeclareConsistency(CLI::App* cmd, Flags* f) {
  f->Declare(cmd, "first", "M", "the older tree size");
  f->Declare(cmd, "second", "N", "the newer tree size");
  f->Declare(cmd, "first-root", "HEX", "the older root (default for size 0: the empty root)");
  f->Declare(cmd, "second-root", "HEX", "the newer root");
  f->Declare(cmd, "proof", "HEX,HEX,...", "the consistency proof");
}

void DeclareNote(CLI::App* cmd, Flags* f) {
  f->Declare(cmd, "key", "VKEY", "a verifier key, or a file of them, one a line (repeatable)",
             /*repeatable=*/true);
  f->Declare(cmd, "note", "FILE", "the signed note (- reads stdin)");
  cmd->get_option("--key")->required();
  cmd->get_option("--note")->required();
}

std::vector<std::string> Prepend(const char* word, const std::vector<std::string>& args) {
  std::vector<std::string> out = {word};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

}  // namespace

void AddLogCommand(CLI::App& parent, int* exit_code) {
  CLI::App* log =
      parent.add_subcommand("log", "Merkle tree tools: root, verify-inclusion, verify-consistency");
  log->require_subcommand(1);
  AddFlagsCommand(log, "root", "the RFC 9162 root of a list of leaves", kRootUsage, DeclareRoot,
                  RunLogRoot, exit_code);
  AddFlagsCommand(log, "verify-inclusion", "check an RFC 9162 inclusion proof", kInclusionUsage,
                  DeclareInclusion, RunLogVerifyInclusion, exit_code);
  AddFlagsCommand(log, "verify-consistency", "check an RFC 9162 consistency proof",
                  kConsistencyUsage, DeclareConsistency, RunLogVerifyConsistency, exit_code);
}

void AddNoteCommand(CLI::App& parent, int* exit_code) {
  CLI::App* note = parent.add_subcommand("note", "signed-note tools: verify");
  note->require_subcommand(1);
  AddFlagsCommand(note, "verify", "verify a C2SP signed note", kNoteUsage, DeclareNote,
                  RunNoteVerify, exit_code);
}

int CmdLogRoot(const std::vector<std::string>& args) {
  return RunCommand(AddLogCommand, Prepend("root", args));
}
int CmdLogVerifyInclusion(const std::vector<std::string>& args) {
  return RunCommand(AddLogCommand, Prepend("verify-inclusion", args));
}
int CmdLogVerifyConsistency(const std::vector<std::string>& args) {
  return RunCommand(AddLogCommand, Prepend("verify-consistency", args));
}
int CmdNoteVerify(const std::vector<std::string>& args) {
  return RunCommand(AddNoteCommand, Prepend("verify", args));
}

}  // namespace lcb
