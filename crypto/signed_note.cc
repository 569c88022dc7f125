#include "crypto/signed_note.h"

#include <cassert>
#include <cstdio>

#include "common/encoding.h"
#include "crypto/internal/utf8.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

constexpr uint8_t kSigTypeEd25519 = 0x01;
constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, SPACE
constexpr size_t kKeyIdSize = 4;

// Unicode White_Space (what the reference implementation's unicode.IsSpace accepts).
bool IsUnicodeSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Valid UTF-8 with no ASCII control character other than LF.
bool IsCleanText(std::string_view s) {
  size_t pos = 0;
  uint32_t cp;
  while (pos < s.size()) {
    if (!internal::NextCodePoint(s, &pos, &cp)) return false;
    if (cp < 0x20 && cp != '\n') return false;
  }
  return true;
}

std::string KeyIdHex(uint32_t id) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", id);
  return buf;
}

std::string KeyIdBytes(uint32_t id) {
  return {static_cast<char>(id >> 24), static_cast<char>(id >> 16), static_cast<char>(id >> 8),
          static_cast<char>(id)};
}

uint32_t ReadKeyId(std::string_view b) {
  return (uint32_t{static_cast<uint8_t>(b[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(b[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(b[2])} << 8) | uint32_t{static_cast<uint8_t>(b[3])};
}

Status Malformed(std::string why) {
  return Status::InvalidArgument(Field(""), "malformed note: " + std::move(why));
}

}  // namespace

uint32_t NoteKeyId(std::string_view name, std::string_view pubkey32) {
  Sha256Hasher h;
  h.Update(name);
  const uint8_t sep[2] = {'\n', kSigTypeEd25519};
  h.Update(sep, sizeof(sep));
  h.Update(pubkey32);
  const Hash digest = h.Final();
  return ReadKeyId(HashBytes(digest));
}

std::string VerifierKeyString(std::string_view name, std::string_view pubkey32) {
  std::string key(1, static_cast<char>(kSigTypeEd25519));
  key.append(pubkey32);
  std::string out(name);
  out += '+';
  out += KeyIdHex(NoteKeyId(name, pubkey32));
  out += '+';
  out += Base64Encode(key);
  return out;
}

bool IsValidNoteKeyName(std::string_view name) {
  if (name.empty()) return false;
  size_t pos = 0;
  uint32_t cp;
  while (pos < name.size()) {
    if (!internal::NextCodePoint(name, &pos, &cp)) return false;
    if (cp < 0x20 || cp == '+' || IsUnicodeSpace(cp)) return false;
  }
  return true;
}

Status ValidateNoteText(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument(Field(""), "note text must end with a newline");
  }
  if (!IsCleanText(text)) {
    return Status::InvalidArgument(
        Field(""), "note text must be UTF-8 without control characters other than newline");
  }
  return Status::Ok();
}

StatusOr<NoteVerifier> ParseVerifierKey(std::string_view vkey) {
  // Names never contain '+', key ids are hex: the first two '+' split the fields (the
  // base64 key itself may contain '+').
  const size_t p1 = vkey.find('+');
  const size_t p2 = p1 == std::string_view::npos ? p1 : vkey.find('+', p1 + 1);
  if (p2 == std::string_view::npos) {
    return Status::InvalidArgument(Field(""), "verifier key must be name+keyid+key");
  }
  NoteVerifier v;
  v.name = std::string(vkey.substr(0, p1));
  const std::string_view id_hex = vkey.substr(p1 + 1, p2 - p1 - 1);
  const std::string_view key_b64 = vkey.substr(p2 + 1);
  if (!IsValidNoteKeyName(v.name)) {
    return Status::InvalidArgument(Field(""), "verifier key has an invalid key name");
  }
  std::optional<std::string> id =
      id_hex.size() == 2 * kKeyIdSize ? HexDecode(id_hex) : std::nullopt;
  if (!id) return Status::InvalidArgument(Field(""), "verifier key id must be 8 hex digits");
  v.key_id = ReadKeyId(*id);
  std::optional<std::string> key = Base64Decode(key_b64);
  if (!key || key->empty()) {
    return Status::InvalidArgument(Field(""), "verifier key is not valid base64");
  }
  if (static_cast<uint8_t>((*key)[0]) != kSigTypeEd25519) {
    return Status::InvalidArgument(Field(""), "verifier key has unsupported signature type " +
                                                  std::to_string(static_cast<uint8_t>((*key)[0])) +
                                                  " (only 1, Ed25519)");
  }
  if (key->size() != 1 + kEd25519PublicKeySize) {
    return Status::InvalidArgument(
        Field(""),
        "verifier key has " + std::to_string(key->size() - 1) + " key bytes, expected 32");
  }
  v.public_key = key->substr(1);
  if (NoteKeyId(v.name, v.public_key) != v.key_id) {
    return Status::InvalidArgument(Field(""), "verifier key id does not match its name and key");
  }
  return v;
}

std::string SignNote(std::string_view text, std::string_view name, const Ed25519Key& key) {
  assert(ValidateNoteText(text).ok());
  assert(IsValidNoteKeyName(name));
  std::string sig = KeyIdBytes(NoteKeyId(name, key.PublicKey()));
  sig += key.Sign(text);
  std::string out(text);
  out += '\n';
  out += kSigPrefix;
  out += name;
  out += ' ';
  out += Base64Encode(sig);
  out += '\n';
  return out;
}

StatusOr<VerifiedNote> OpenNote(std::string_view note, const std::vector<NoteVerifier>& known) {
  if (note.size() > kMaxNoteSize) return Malformed("larger than 1 MiB");
  if (!IsCleanText(note)) {
    return Malformed("not UTF-8, or has control characters other than newline");
  }
  if (note.empty() || note.back() != '\n') return Malformed("does not end with a newline");
  const size_t blank = note.rfind("\n\n");
  if (blank == std::string_view::npos) return Malformed("no blank line before signatures");
  VerifiedNote result;
  result.text = std::string(note.substr(0, blank + 1));
  std::string_view sigs = note.substr(blank + 2);
  if (sigs.empty()) return Malformed("no signature lines");

  size_t count = 0;
  bool any_known = false;
  while (!sigs.empty()) {
    const size_t eol = sigs.find('\n');  // present: the note ends with LF
    std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    if (++count > kMaxNoteSignatures) return Malformed("more than 100 signatures");
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return Malformed("signature line " + std::to_string(count) + " does not start with \"— \"");
    }
    line.remove_prefix(kSigPrefix.size());
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) {
      return Malformed("signature line " + std::to_string(count) + " has no signature");
    }
    const std::string_view name = line.substr(0, space);
    if (!IsValidNoteKeyName(name)) {
      return Malformed("signature line " + std::to_string(count) + " has an invalid key name");
    }
    std::optional<std::string> sig = Base64Decode(line.substr(space + 1));
    if (!sig || sig->size() <= kKeyIdSize) {
      return Malformed("signature line " + std::to_string(count) + " has a bad signature encoding");
    }
    const uint32_t id = ReadKeyId(*sig);
    for (const NoteVerifier& v : known) {
      if (v.name != name || v.key_id != id) continue;
      any_known = true;
      if (!Ed25519Verify(v.public_key, result.text, std::string_view(*sig).substr(kKeyIdSize))) {
        return Status::DataLoss("note signature by " + v.name + "+" + KeyIdHex(id) +
                                " does not verify");
      }
      bool listed = false;
      for (const NoteVerifier& seen : result.verified_by) {
        listed = listed || (seen.name == v.name && seen.key_id == v.key_id &&
                            seen.public_key == v.public_key);
      }
      if (!listed) result.verified_by.push_back(v);
    }
  }
  if (!any_known) return Status::DataLoss("note has no signature from a known key");
  return result;
}

}  // namespace lcb
