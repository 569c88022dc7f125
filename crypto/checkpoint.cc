#include "crypto/checkpoint.h"

#include <charconv>

#include "common/encoding.h"

namespace lcb {
namespace {

Status Bad(std::string why) {
  return Status::InvalidArgument(Field(""), "malformed checkpoint: " + std::move(why));
}

}  // namespace

std::string FormatCheckpointBody(const Checkpoint& checkpoint) {
  std::string out = checkpoint.origin;
  out += '\n';
  out += std::to_string(checkpoint.size);
  out += '\n';
  out += Base64Encode(HashBytes(checkpoint.root));
  out += '\n';
  for (const std::string& ext : checkpoint.extensions) {
    out += ext;
    out += '\n';
  }
  return out;
}

StatusOr<Checkpoint> ParseCheckpointBody(std::string_view body) {
  if (body.empty() || body.back() != '\n') return Bad("does not end with a newline");
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < body.size();) {
    const size_t eol = body.find('\n', start);
    lines.push_back(body.substr(start, eol - start));
    start = eol + 1;
  }
  if (lines.size() < 3) return Bad("fewer than 3 lines");
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) return Bad("line " + std::to_string(i + 1) + " is empty");
  }

  Checkpoint cp;
  cp.origin = std::string(lines[0]);

  const std::string_view size = lines[1];
  if (size.size() > 1 && size[0] == '0') return Bad("tree size has a leading zero");
  const char* end = size.data() + size.size();
  auto [ptr, ec] = std::from_chars(size.data(), end, cp.size, 10);
  // from_chars accepts a leading '-' for unsigned types on some libraries; digits only here.
  if (ec != std::errc() || ptr != end || size[0] < '0' || size[0] > '9') {
    return Bad("tree size is not a decimal number below 2^64");
  }

  std::optional<std::string> root = Base64Decode(lines[2]);
  std::optional<Hash> hash = root ? HashFromBytes(*root) : std::nullopt;
  if (!hash) return Bad("root hash is not base64 of 32 bytes");
  cp.root = *hash;

  for (size_t i = 3; i < lines.size(); ++i) cp.extensions.emplace_back(lines[i]);
  return cp;
}

}  // namespace lcb
