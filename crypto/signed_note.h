// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures (type 0x01).
//
// Grammar (UTF-8, no ASCII control characters other than LF anywhere):
//   note      = text LF 1*sigline          ; the LAST blank line separates text from sigs
//   text      = *( *char LF )              ; non-empty, ends with LF (the LF is signed)
//   sigline   = U+2014 SP keyname SP base64( keyid(4, big-endian) || signature ) LF
//   keyname   = 1*( any char except Unicode white space and "+" )
// The signature covers `text` exactly. For Ed25519:
//   keyid     = SHA-256(keyname || 0x0A || 0x01 || pubkey32)[0:4]
//   vkey      = keyname "+" hex8(keyid) "+" base64(0x01 || pubkey32)
//
// Verification (OpenNote) follows the spec: signatures from unknown keys (name and id not
// both matching a known verifier) are ignored; a signature from a known key that fails is an
// error; and at least one known signature must verify.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/ed25519.h"

namespace lcb {

// Verifiers accept at least 16 signatures per note (spec minimum); more is refused.
inline constexpr size_t kMaxNoteSignatures = 100;
inline constexpr size_t kMaxNoteSize = 1 << 20;

struct NoteVerifier {
  std::string name;
  uint32_t key_id = 0;
  std::string public_key;  // 32 raw Ed25519 bytes
};

struct VerifiedNote {
  std::string text;                       // the signed text, including its final LF
  std::vector<NoteVerifier> verified_by;  // known verifiers whose signature verified
};

uint32_t NoteKeyId(std::string_view name, std::string_view pubkey32);
// "name+hex8(keyid)+base64(0x01||pubkey)".
std::string VerifierKeyString(std::string_view name, std::string_view pubkey32);
// Parses a verifier key string; InvalidArgument for a bad name, an unknown signature type,
// a key of the wrong size or a key id that does not match the name and key.
StatusOr<NoteVerifier> ParseVerifierKey(std::string_view vkey);

// Non-empty, valid UTF-8, no Unicode white space, no "+", no control characters.
bool IsValidNoteKeyName(std::string_view name);
// OK if `text` can be signed: non-empty, ends with LF, valid UTF-8, no control characters
// other than LF.
Status ValidateNoteText(std::string_view text);

// Returns text + LF + "— name base64(keyid||sig)" + LF.
// Preconditions (checked with ValidateNoteText / IsValidNoteKeyName by whoever accepts
// these from outside, e.g. config validating the log origin): `text` is valid note text and
// `name` a valid key name. Violations are a bug; in release builds the note produced would
// fail to verify rather than sign something ambiguous.
std::string SignNote(std::string_view text, std::string_view name, const Ed25519Key& key);

// Parses `note` strictly and verifies it against `known`. InvalidArgument for a malformed
// note; DataLoss when a known key's signature fails or no known key signed it.
StatusOr<VerifiedNote> OpenNote(std::string_view note, const std::vector<NoteVerifier>& known);

}  // namespace lcb
