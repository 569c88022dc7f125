// Checkpoints and signed notes as an auditor receives them (crypto/checkpoint.h,
// crypto/signed_note.h): ParseCheckpointBody, ParseVerifierKey and OpenNote against fixed
// verifiers, all on the whole input.
//
// Known verifiers: the two keys of the C2SP signed-note and Go sumdb note examples and a key
// from a fixed seed (the seed corpus holds notes signed by each, so the fuzzer starts inside
// the signature checks).
//
// Properties:
//   - errors are InvalidArgument (malformed) or DataLoss (a known key's signature fails, or
//     no known key signed);
//   - the checkpoint grammar is strict: a parsed body formats back to the same bytes;
//   - a parsed verifier key re-encodes to a key that parses to the same verifier;
//   - an opened note: its text is a prefix of the note, valid note text, verified by at least
//     one known key and only by known keys; re-signed with the fixed key it opens again to the
//     same text;
//   - any input that is valid note text signs and opens back to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/ed25519.h"
#include "crypto/signed_note.h"
#include "tests/fuzz/fuzz_util.h"

namespace lcb::fuzz {
namespace {

constexpr char kFuzzKeyName[] = "creditbank.localhost/log";
// RFC 8032 secret of the fixed key: bytes 0x01..0x20.
std::string FuzzSeed() {
  std::string seed;
  for (int i = 1; i <= 32; ++i) seed.push_back(static_cast<char>(i));
  return seed;
}

struct Keys {
  Ed25519Key key = std::move(Ed25519Key::FromSeed(FuzzSeed())).value();
  std::vector<NoteVerifier> known;
  Keys() {
    for (const char* vkey :
         {"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
          "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"}) {
      known.push_back(std::move(ParseVerifierKey(vkey)).value());
    }
    known.push_back(
        std::move(ParseVerifierKey(VerifierKeyString(kFuzzKeyName, key.PublicKey()))).value());
  }
};

const Keys& GetKeys() {
  static const Keys* keys = new Keys();
  return *keys;
}

bool SameVerifier(const NoteVerifier& a, const NoteVerifier& b) {
  return a.name == b.name && a.key_id == b.key_id && a.public_key == b.public_key;
}

void CheckOpens(std::string_view note, std::string_view text) {
  auto opened = OpenNote(note, GetKeys().known);
  LCB_FUZZ_CHECK(opened.ok(), opened.status().ToString());
  LCB_FUZZ_CHECK(opened->text == text, "signed text differs after opening");
}

}  // namespace
}  // namespace lcb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lcb;
  using namespace lcb::fuzz;
  const std::string_view input = AsText(data, size);
  const Keys& keys = GetKeys();

  auto cp = ParseCheckpointBody(input);
  if (cp.ok()) {
    LCB_FUZZ_CHECK(FormatCheckpointBody(*cp) == input, "checkpoint does not format back");
  } else {
    LCB_FUZZ_CHECK(cp.status().code() == StatusCode::kInvalidArgument, cp.status().ToString());
  }

  auto vkey = ParseVerifierKey(input);
  if (vkey.ok()) {
    LCB_FUZZ_CHECK(IsValidNoteKeyName(vkey->name), vkey->name);
    auto again = ParseVerifierKey(VerifierKeyString(vkey->name, vkey->public_key));
    LCB_FUZZ_CHECK(again.ok() && SameVerifier(*again, *vkey), "verifier key does not re-encode");
  } else {
    LCB_FUZZ_CHECK(vkey.status().code() == StatusCode::kInvalidArgument, vkey.status().ToString());
  }

  auto note = OpenNote(input, keys.known);
  if (note.ok()) {
    LCB_FUZZ_CHECK(input.starts_with(note->text), "text is not a prefix of the note");
    LCB_FUZZ_CHECK(ValidateNoteText(note->text).ok(), "opened text is not valid note text");
    LCB_FUZZ_CHECK(!note->verified_by.empty(), "opened without a verified signature");
    for (const NoteVerifier& v : note->verified_by) {
      bool known = false;
      for (const NoteVerifier& k : keys.known) known = known || SameVerifier(k, v);
      LCB_FUZZ_CHECK(known, "verified by an unknown key " + v.name);
    }
    CheckOpens(SignNote(note->text, kFuzzKeyName, keys.key), note->text);
    if (auto body = ParseCheckpointBody(note->text); body.ok()) {
      LCB_FUZZ_CHECK(FormatCheckpointBody(*body) == note->text, "checkpoint does not format back");
    }
  } else {
    LCB_FUZZ_CHECK(CodeIn(note.status(), {StatusCode::kInvalidArgument, StatusCode::kDataLoss}),
                   note.status().ToString());
  }

  if (ValidateNoteText(input).ok()) CheckOpens(SignNote(input, kFuzzKeyName, keys.key), input);
  return 0;
}
