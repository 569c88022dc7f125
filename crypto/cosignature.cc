#include "crypto/cosignature.h"

#include <cassert>
#include <chrono>
#include <cstdio>

#include "common/encoding.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"

namespace lcb {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, SPACE
constexpr size_t kKeyIdSize = 4;
constexpr size_t kTimestampSize = 8;
constexpr size_t kCosigBytes = kKeyIdSize + kTimestampSize + kEd25519SignatureSize;

uint64_t ReadBigEndian(std::string_view b, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

std::string BigEndian(uint64_t v, size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[n - 1 - i] = static_cast<char>(v >> (8 * i));
  return out;
}

std::string KeyIdHex(uint32_t id) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", id);
  return buf;
}

Status BadKey(std::string why) { return Status::InvalidArgument(Field("/vkey"), std::move(why)); }

// A parsed (unverified) line: name and the decoded keyid || timestamp || signature.
struct RawLine {
  std::string_view name;
  std::string blob;
};

StatusOr<RawLine> ParseLine(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
    return Status::InvalidArgument(Field(""), "signature line does not start with \"— \"");
  }
  line.remove_prefix(kSigPrefix.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos || !IsValidNoteKeyName(line.substr(0, space))) {
    return Status::InvalidArgument(Field(""), "signature line has no valid key name");
  }
  std::optional<std::string> blob = Base64Decode(line.substr(space + 1));
  if (!blob) return Status::InvalidArgument(Field(""), "signature line is not base64");
  return RawLine{line.substr(0, space), std::move(*blob)};
}

// Checks a parsed line that names `c` (name and key id already matched) at the verifier's
// time `now`; `*future_dated` says when the line verified but is dated too far ahead.
StatusOr<uint64_t> CheckBlob(const RawLine& raw, std::string_view body, const Cosigner& c,
                             uint64_t now, bool* future_dated = nullptr) {
  if (raw.blob.size() != kCosigBytes) {
    return Status::DataLoss("cosignature by " + c.name + " has " +
                            std::to_string(raw.blob.size()) + " bytes, expected 76");
  }
  const uint64_t timestamp = ReadBigEndian(std::string_view(raw.blob).substr(kKeyIdSize), 8);
  if (timestamp > kMaxCosignatureTime) {
    return Status::DataLoss("cosignature by " + c.name + " has a timestamp above 2^63-1");
  }
  const std::string_view sig = std::string_view(raw.blob).substr(kKeyIdSize + kTimestampSize);
  if (!Ed25519Verify(c.public_key, CosignedMessage(body, timestamp), sig)) {
    return Status::DataLoss("cosignature by " + c.name + "+" + KeyIdHex(c.key_id) +
                            " does not verify");
  }
  // After the signature: only the witness's own statement is worth a reason about its clock.
  if (now <= kMaxCosignatureTime - kMaxCosignatureFutureSkewSeconds &&
      timestamp > now + kMaxCosignatureFutureSkewSeconds) {
    if (future_dated) *future_dated = true;
    return Status::DataLoss("cosignature by " + c.name + " is dated " + std::to_string(timestamp) +
                            " (POSIX seconds), " + std::to_string(timestamp - now) +
                            " s after this verifier's clock; at most " +
                            std::to_string(kMaxCosignatureFutureSkewSeconds) +
                            " s ahead is accepted (is the witness's clock or this one wrong?)");
  }
  return timestamp;
}

}  // namespace

uint32_t CosignerKeyId(std::string_view name, std::string_view pubkey32) {
  Sha256Hasher h;
  h.Update(name);
  const uint8_t sep[2] = {'\n', kCosignatureSigType};
  h.Update(sep, sizeof(sep));
  h.Update(pubkey32);
  return static_cast<uint32_t>(ReadBigEndian(HashBytes(h.Final()), kKeyIdSize));
}

std::string CosignerKeyString(std::string_view name, std::string_view pubkey32) {
  std::string key(1, static_cast<char>(kCosignatureSigType));
  key.append(pubkey32);
  return std::string(name) + "+" + KeyIdHex(CosignerKeyId(name, pubkey32)) + "+" +
         Base64Encode(key);
}

StatusOr<Cosigner> ParseCosignerKey(std::string_view vkey) {
  const size_t p1 = vkey.find('+');
  const size_t p2 = p1 == std::string_view::npos ? p1 : vkey.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return BadKey("cosigner key must be name+keyid+key");
  Cosigner c;
  c.name = std::string(vkey.substr(0, p1));
  if (!IsValidNoteKeyName(c.name)) return BadKey("cosigner key has an invalid name");
  const std::string_view id_hex = vkey.substr(p1 + 1, p2 - p1 - 1);
  std::optional<std::string> id = id_hex.size() == 8 ? HexDecode(id_hex) : std::nullopt;
  if (!id) return BadKey("cosigner key id must be 8 hex digits");
  c.key_id = static_cast<uint32_t>(ReadBigEndian(*id, kKeyIdSize));
  std::optional<std::string> key = Base64Decode(vkey.substr(p2 + 1));
  if (!key || key->empty()) return BadKey("cosigner key is not valid base64");
  if (static_cast<uint8_t>((*key)[0]) != kCosignatureSigType) {
    return BadKey("cosigner key has signature type " +
                  std::to_string(static_cast<uint8_t>((*key)[0])) +
                  ", expected 4 (Ed25519 cosignature/v1)");
  }
  if (key->size() != 1 + kEd25519PublicKeySize) {
    return BadKey("cosigner key has " + std::to_string(key->size() - 1) +
                  " key bytes, expected 32");
  }
  c.public_key = key->substr(1);
  if (CosignerKeyId(c.name, c.public_key) != c.key_id) {
    return BadKey("cosigner key id does not match its name and key");
  }
  return c;
}

std::string CosignedMessage(std::string_view body, uint64_t timestamp) {
  std::string msg = "cosignature/v1\ntime " + std::to_string(timestamp) + "\n";
  msg.append(body);
  return msg;
}

std::string CosignatureLine(std::string_view body, std::string_view name, const Ed25519Key& key,
                            uint64_t timestamp) {
  assert(timestamp <= kMaxCosignatureTime);
  std::string blob = BigEndian(CosignerKeyId(name, key.PublicKey()), kKeyIdSize);
  blob += BigEndian(timestamp, kTimestampSize);
  blob += key.Sign(CosignedMessage(body, timestamp));
  std::string line(kSigPrefix);
  line.append(name);
  line += ' ';
  line += Base64Encode(blob);
  line += '\n';
  return line;
}

StatusOr<NoteParts> SplitNote(std::string_view note) {
  if (note.empty() || note.back() != '\n') {
    return Status::InvalidArgument(Field(""), "note does not end with a newline");
  }
  const size_t blank = note.rfind("\n\n");
  if (blank == std::string_view::npos) {
    return Status::InvalidArgument(Field(""), "note has no blank line before its signatures");
  }
  NoteParts parts;
  parts.text = std::string(note.substr(0, blank + 1));
  std::string_view sigs = note.substr(blank + 2);
  while (!sigs.empty()) {
    const size_t eol = sigs.find('\n');
    parts.lines.emplace_back(sigs.substr(0, eol + 1));
    sigs.remove_prefix(eol + 1);
  }
  if (parts.lines.size() > kMaxNoteSignatures) {
    return Status::InvalidArgument(Field(""), "note has more than 100 signatures");
  }
  return parts;
}

uint64_t CosignatureClockNow() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

StatusOr<std::vector<Cosignature>> VerifyCosignatures(std::string_view note,
                                                      const std::vector<Cosigner>& known,
                                                      uint64_t now,
                                                      std::vector<std::string>* skipped) {
  LCB_ASSIGN_OR_RETURN(NoteParts parts, SplitNote(note));
  std::vector<Cosignature> out;
  for (const std::string& line : parts.lines) {
    LCB_ASSIGN_OR_RETURN(RawLine raw, ParseLine(line));
    if (raw.blob.size() < kKeyIdSize) continue;
    const uint32_t id = static_cast<uint32_t>(ReadBigEndian(raw.blob, kKeyIdSize));
    for (const Cosigner& c : known) {
      if (c.name != raw.name || c.key_id != id) continue;
      bool future_dated = false;
      StatusOr<uint64_t> checked = CheckBlob(raw, parts.text, c, now, &future_dated);
      if (future_dated) {
        if (skipped) skipped->push_back(checked.status().message());
        continue;
      }
      LCB_ASSIGN_OR_RETURN(uint64_t timestamp, std::move(checked));
      bool seen = false;
      for (const Cosignature& s : out) seen = seen || s.name == c.name;
      if (!seen) out.push_back({c.name, timestamp, line});
    }
  }
  return out;
}

StatusOr<uint64_t> VerifyCosignatureLine(std::string_view line, std::string_view body,
                                         const Cosigner& cosigner, uint64_t now) {
  auto raw = ParseLine(line);
  if (!raw.ok()) return Status::DataLoss("not a cosignature line: " + raw.status().message());
  if (raw->name != cosigner.name || raw->blob.size() < kKeyIdSize ||
      ReadBigEndian(raw->blob, kKeyIdSize) != cosigner.key_id) {
    return Status::DataLoss("cosignature line is not from " + cosigner.name);
  }
  return CheckBlob(*raw, body, cosigner, now);
}

}  // namespace lcb
