// C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), version cosignature/v1 with
// Ed25519: a witness's timestamped statement that a checkpoint is the largest consistent tree
// it has seen for the log. A cosignature is a signed-note signature line on the checkpoint.
//
// Grammar:
//   cosig_line = U+2014 SP name SP base64( keyid(4) || timestamp(8, big-endian) || sig(64) ) LF
//   message    = "cosignature/v1" LF "time" SP decimal(timestamp) LF body
//   body       = the whole checkpoint note text, final LF included, no signature lines
//   keyid      = SHA-256(name || 0x0A || 0x04 || pubkey32)[0:4]
//   vkey       = name "+" hex8(keyid) "+" base64(0x04 || pubkey32)
// `sig` is the Ed25519 signature of `message`; the timestamp is POSIX seconds, < 2^63, no
// leading zeroes in the decimal. The key id's type byte (0x04, not a note's 0x01) keeps
// cosignature lines apart from the log's own note signatures: OpenNote ignores them.
//
// Thread safety: free functions, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/ed25519.h"

namespace lcb {

inline constexpr uint8_t kCosignatureSigType = 0x04;
inline constexpr uint64_t kMaxCosignatureTime = (uint64_t{1} << 63) - 1;
// How far ahead of the verifier's clock a cosignature's timestamp may be. The timestamp says
// when the witness saw the checkpoint; one from the future is a witness clock gone wrong (or a
// line made to look fresh for longer), and a monitor judging freshness by it would be misled.
// Ten minutes covers clocks that NTP keeps in step, and a witness's reply on its way.
inline constexpr uint64_t kMaxCosignatureFutureSkewSeconds = 10 * 60;

// A witness's public identity, as parsed from its vkey.
struct Cosigner {
  std::string name;
  uint32_t key_id = 0;
  std::string public_key;  // 32 raw Ed25519 bytes
};

// One verified cosignature.
struct Cosignature {
  std::string name;
  uint64_t timestamp = 0;
  std::string line;  // the signature line, "— name base64(...)\n"
};

uint32_t CosignerKeyId(std::string_view name, std::string_view pubkey32);
// "name+hex8(keyid)+base64(0x04||pubkey)".
std::string CosignerKeyString(std::string_view name, std::string_view pubkey32);
// InvalidArgument (field "/vkey") for a bad name, a type other than 0x04, a key of the wrong
// size or a key id that does not match.
StatusOr<Cosigner> ParseCosignerKey(std::string_view vkey);

// The signed message for `body` (note text ending in LF) at `timestamp`.
std::string CosignedMessage(std::string_view body, uint64_t timestamp);

// The cosignature line of `name` with `key` over `body` at `timestamp`. Preconditions: body is
// valid note text, name a valid key name, timestamp <= kMaxCosignatureTime.
std::string CosignatureLine(std::string_view body, std::string_view name, const Ed25519Key& key,
                            uint64_t timestamp);

// Splits a signed note into its text (final LF included) and its signature lines (each with
// its LF). InvalidArgument when there is no blank line before the signatures.
struct NoteParts {
  std::string text;
  std::vector<std::string> lines;
};
StatusOr<NoteParts> SplitNote(std::string_view note);

// The verifier's clock: POSIX seconds now (the system clock).
uint64_t CosignatureClockNow();

// The cosignatures in `note` from `known` cosigners that verify over the note's text, at most
// one per cosigner. Lines of unknown names or key ids are ignored (the spec's rule); a line of
// a known cosigner that fails to verify is DataLoss naming it. A line that verifies but is
// dated more than kMaxCosignatureFutureSkewSeconds after `now` (POSIX seconds) is not counted
// and does not fail the note (a witness's clock gone wrong must not veto cosignatures that the
// others made): its reason goes to `skipped` when given. InvalidArgument for a malformed note.
StatusOr<std::vector<Cosignature>> VerifyCosignatures(std::string_view note,
                                                      const std::vector<Cosigner>& known,
                                                      uint64_t now = CosignatureClockNow(),
                                                      std::vector<std::string>* skipped = nullptr);

// Checks one line (as a witness returns it) against `cosigner` over `body`; the timestamp on
// success. DataLoss when it is not a valid cosignature by that cosigner, or is dated more than
// kMaxCosignatureFutureSkewSeconds after `now`.
StatusOr<uint64_t> VerifyCosignatureLine(std::string_view line, std::string_view body,
                                         const Cosigner& cosigner,
                                         uint64_t now = CosignatureClockNow());

}  // namespace lcb
