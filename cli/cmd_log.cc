#include "cli/cmd_log.h"

#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

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
    "  Exit 0 valid, 1 invalid, 2 bad arguments.\n";

// Parsed "--name value" / "--name=value" arguments, each flag from an allowed set.
class Flags {
 public:
  // Returns false (with *error set) for an unknown flag, a missing value, a repeated
  // non-repeatable flag or a positional argument.
  bool Parse(const std::vector<std::string>& args, const std::set<std::string>& allowed,
             const std::set<std::string>& repeatable, std::string* error) {
    for (size_t i = 0; i < args.size(); ++i) {
      std::string_view arg = args[i];
      if (arg == "--help" || arg == "-h") {
        help_ = true;
        continue;
      }
      if (arg.substr(0, 2) != "--") {
        *error = "unexpected argument \"" + std::string(arg) + "\"";
        return false;
      }
      std::string name;
      std::string value;
      const size_t eq = arg.find('=');
      if (eq != std::string_view::npos) {
        name = std::string(arg.substr(2, eq - 2));
        value = std::string(arg.substr(eq + 1));
      } else {
        name = std::string(arg.substr(2));
        if (i + 1 >= args.size()) {
          *error = "--" + name + " needs a value";
          return false;
        }
        value = args[++i];
      }
      if (allowed.count(name) == 0) {
        *error = "unknown flag --" + name;
        return false;
      }
      if (values_.count(name) != 0 && repeatable.count(name) == 0) {
        *error = "--" + name + " given twice";
        return false;
      }
      values_[name].push_back(std::move(value));
    }
    return true;
  }

  bool help() const { return help_; }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  const std::string& get(const std::string& name) const { return values_.at(name).front(); }
  const std::vector<std::string>& all(const std::string& name) const {
    static const std::vector<std::string> kNone;
    auto it = values_.find(name);
    return it == values_.end() ? kNone : it->second;
  }

 private:
  bool help_ = false;
  std::map<std::string, std::vector<std::string>> values_;
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

}  // namespace

int CmdLogRoot(const std::vector<std::string>& args) {
  Flags flags;
  std::string error;
  if (!flags.Parse(args, {"leaves"}, {}, &error)) return Usage(kRootUsage, error);
  if (flags.help()) {
    std::cout << kRootUsage;
    return kExitValid;
  }
  if (!flags.has("leaves")) return Usage(kRootUsage, "--leaves is required");
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

int CmdLogVerifyInclusion(const std::vector<std::string>& args) {
  Flags flags;
  std::string error;
  if (!flags.Parse(args, {"index", "size", "leaf-hash", "leaf", "root", "proof"}, {}, &error)) {
    return Usage(kInclusionUsage, error);
  }
  if (flags.help()) {
    std::cout << kInclusionUsage;
    return kExitValid;
  }
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

int CmdLogVerifyConsistency(const std::vector<std::string>& args) {
  Flags flags;
  std::string error;
  if (!flags.Parse(args, {"first", "second", "first-root", "second-root", "proof"}, {}, &error)) {
    return Usage(kConsistencyUsage, error);
  }
  if (flags.help()) {
    std::cout << kConsistencyUsage;
    return kExitValid;
  }
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

int CmdNoteVerify(const std::vector<std::string>& args) {
  Flags flags;
  std::string error;
  if (!flags.Parse(args, {"key", "note"}, {"key"}, &error)) return Usage(kNoteUsage, error);
  if (flags.help()) {
    std::cout << kNoteUsage;
    return kExitValid;
  }
  if (!flags.has("key")) return Usage(kNoteUsage, "--key is required");
  if (!flags.has("note")) return Usage(kNoteUsage, "--note is required");
  std::vector<NoteVerifier> verifiers;
  for (const std::string& vkey : flags.all("key")) {
    StatusOr<NoteVerifier> v = ParseVerifierKey(vkey);
    if (!v.ok()) return Usage(kNoteUsage, "--key " + vkey + ": " + v.status().message());
    verifiers.push_back(std::move(*v));
  }
  const std::string& path = flags.get("note");
  std::optional<std::string> note = ReadInput(path);
  if (!note) return Usage(kNoteUsage, "cannot read " + path);
  StatusOr<VerifiedNote> opened = OpenNote(*note, verifiers);
  if (!opened.ok()) return Invalid(opened.status());
  std::cout << opened->text;
  return kExitValid;
}

}  // namespace lcb
