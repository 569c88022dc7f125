#include "crypto/signed_note.h"

#include <gtest/gtest.h>

#include "crypto/checkpoint.h"
#include "crypto/merkle.h"
#include "tests/crypto/test_util.h"

namespace lcb {
namespace {

using testing::Unhex;

constexpr std::string_view kEmDash = "\xE2\x80\x94";

NoteVerifier VerifierOf(const std::string& vkey) {
  StatusOr<NoteVerifier> v = ParseVerifierKey(vkey);
  EXPECT_TRUE(v.ok()) << vkey << ": " << v.status().ToString();
  return v.ok() ? *v : NoteVerifier{};
}

TEST(SignedNote, AllVectorCases) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "signed_note_ed25519.json");
  int valid = 0;
  int invalid = 0;
  for (const auto& c : v["cases"]) {
    const NoteVerifier verifier = VerifierOf(c["vkey"]);
    if (c.contains("key_name")) {
      EXPECT_EQ(verifier.name, c["key_name"].get<std::string>());
      EXPECT_EQ(HexEncode(verifier.public_key), c["public_key_hex"].get<std::string>());
      char id[9];
      std::snprintf(id, sizeof(id), "%08x", verifier.key_id);
      EXPECT_EQ(id, c["key_id_hex"].get<std::string>());
      EXPECT_EQ(NoteKeyId(verifier.name, verifier.public_key), verifier.key_id);
      EXPECT_EQ(VerifierKeyString(verifier.name, verifier.public_key), c["vkey"]);
    }
    StatusOr<VerifiedNote> opened = OpenNote(c["note_utf8"].get<std::string>(), {verifier});
    if (c["expect"] == "valid") {
      ASSERT_TRUE(opened.ok()) << c["name"] << ": " << opened.status().ToString();
      EXPECT_EQ(opened->text, c["signed_text_utf8"].get<std::string>());
      ASSERT_EQ(opened->verified_by.size(), 1u);
      EXPECT_EQ(opened->verified_by[0].name, verifier.name);
      EXPECT_TRUE(Ed25519Verify(verifier.public_key, opened->text, Unhex(c["signature_hex"])));
      ++valid;
    } else {
      ASSERT_FALSE(opened.ok()) << c["name"];
      EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
      ++invalid;
    }
  }
  EXPECT_EQ(valid, 2);
  EXPECT_EQ(invalid, 1);
}

TEST(SignedNote, SignsTheGoExampleByteForByte) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "signed_note_ed25519.json");
  const auto& go = v["cases"][1];
  ASSERT_TRUE(go.contains("seed_hex"));
  StatusOr<Ed25519Key> key = Ed25519Key::FromSeed(Unhex(go["seed_hex"]));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(HexEncode(key->PublicKey()), go["public_key_hex"].get<std::string>());
  // The Go private key string carries base64(0x01 || seed).
  const std::string skey = go["skey"];
  const std::string skey_prefix = "PRIVATE+KEY+" + go["key_name"].get<std::string>() + "+" +
                                  go["key_id_hex"].get<std::string>() + "+";
  ASSERT_EQ(skey.rfind(skey_prefix, 0), 0u);
  EXPECT_EQ(skey.substr(skey_prefix.size()), Base64Encode("\x01" + Unhex(go["seed_hex"])));
  EXPECT_EQ(
      SignNote(go["signed_text_utf8"].get<std::string>(), go["key_name"].get<std::string>(), *key),
      go["note_utf8"].get<std::string>());
}

class NoteFixture : public ::testing::Test {
 protected:
  NoteFixture()
      : key_(Ed25519Key::Generate()),
        verifier_(VerifierOf(VerifierKeyString("bank.example/log", key_.PublicKey()))) {}
  Ed25519Key key_;
  NoteVerifier verifier_;
  const std::string text_ = "bank.example/log\n42\nAAAA\n";
};

TEST_F(NoteFixture, RoundTrip) {
  const std::string note = SignNote(text_, "bank.example/log", key_);
  EXPECT_EQ(note.find(text_ + "\n" + std::string(kEmDash) + " bank.example/log "), 0u);
  StatusOr<VerifiedNote> opened = OpenNote(note, {verifier_});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, text_);
}

TEST_F(NoteFixture, TextMayContainBlankLines) {
  const std::string text = "a\n\nb\n\n";
  StatusOr<VerifiedNote> opened =
      OpenNote(SignNote(text, "n", key_), {VerifierOf(VerifierKeyString("n", key_.PublicKey()))});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, text);
}

TEST_F(NoteFixture, RejectsWrongKey) {
  const Ed25519Key other = Ed25519Key::Generate();
  const std::string note = SignNote(text_, "bank.example/log", other);
  StatusOr<VerifiedNote> opened = OpenNote(note, {verifier_});
  EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(opened.status().message(), "note has no signature from a known key");
}

TEST_F(NoteFixture, RejectsWrongName) {
  const std::string note = SignNote(text_, "evil.example/log", key_);
  EXPECT_EQ(OpenNote(note, {verifier_}).status().message(),
            "note has no signature from a known key");
}

TEST_F(NoteFixture, RejectsAlteredBody) {
  std::string note = SignNote(text_, "bank.example/log", key_);
  note[note.find("42")] = '3';
  StatusOr<VerifiedNote> opened = OpenNote(note, {verifier_});
  EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(opened.status().message().find("does not verify"), std::string::npos);
}

TEST_F(NoteFixture, KnownNameAndIdWithBadSignatureIsAnError) {
  // Same name and key id as the signer, different public key: must verify, and fail.
  NoteVerifier impostor = verifier_;
  impostor.public_key = Ed25519Key::Generate().PublicKey();
  const std::string note = SignNote(text_, "bank.example/log", key_);
  StatusOr<VerifiedNote> opened = OpenNote(note, {impostor, verifier_});
  EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
}

TEST_F(NoteFixture, RejectsMissingFinalNewline) {
  std::string note = SignNote(text_, "bank.example/log", key_);
  note.pop_back();
  EXPECT_EQ(OpenNote(note, {verifier_}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ValidateNoteText("no newline").ok());
  EXPECT_FALSE(ValidateNoteText("").ok());
  EXPECT_FALSE(ValidateNoteText("tab\there\n").ok());
  EXPECT_TRUE(ValidateNoteText("fine\n").ok());
}

TEST_F(NoteFixture, UnknownSignaturesAreIgnored) {
  const Ed25519Key witness = Ed25519Key::Generate();
  std::string note = SignNote(text_, "bank.example/log", key_);
  const std::string witness_note = SignNote(text_, "witness.example", witness);
  note += witness_note.substr(text_.size() + 1);  // append the witness's signature line
  StatusOr<VerifiedNote> opened = OpenNote(note, {verifier_});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_EQ(opened->verified_by.size(), 1u);

  const NoteVerifier w = VerifierOf(VerifierKeyString("witness.example", witness.PublicKey()));
  opened = OpenNote(note, {verifier_, w});
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->verified_by.size(), 2u);
  // Known only to the witness: still fine.
  EXPECT_TRUE(OpenNote(note, {w}).ok());
}

TEST_F(NoteFixture, MalformedNotes) {
  const std::string good = SignNote(text_, "bank.example/log", key_);
  const auto code = [&](const std::string& note) {
    return OpenNote(note, {verifier_}).status().code();
  };
  const std::string sig_block = good.substr(text_.size() + 1);
  EXPECT_EQ(code(text_ + sig_block), StatusCode::kInvalidArgument);  // no blank line
  EXPECT_EQ(code(text_ + "\n"), StatusCode::kInvalidArgument);       // no signatures
  EXPECT_EQ(code(text_ + "\n- bank.example/log AAAA\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(text_ + "\n" + std::string(kEmDash) + " bank.example/log !!!\n"),
            StatusCode::kInvalidArgument);  // bad base64
  EXPECT_EQ(code(text_ + "\n" + std::string(kEmDash) + " bank.example/log AAAA\n"),
            StatusCode::kInvalidArgument);  // < 5 bytes
  EXPECT_EQ(code(text_ + "\n" + std::string(kEmDash) + " bank.example/log\n"),
            StatusCode::kInvalidArgument);  // no signature
  EXPECT_EQ(code("x\ry\n" + good.substr(text_.size())), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(std::string("\xff\n") + good.substr(text_.size())), StatusCode::kInvalidArgument);
  std::string many = good;
  for (int i = 0; i < 100; ++i) many += sig_block;
  EXPECT_EQ(code(many), StatusCode::kInvalidArgument);
  std::string sixteen = good;
  for (int i = 0; i < 15; ++i) sixteen += sig_block;
  EXPECT_TRUE(OpenNote(sixteen, {verifier_}).ok());
}

TEST(VerifierKey, ParseErrors) {
  const Ed25519Key key = Ed25519Key::Generate();
  const std::string vkey = VerifierKeyString("log.example", key.PublicKey());
  ASSERT_TRUE(ParseVerifierKey(vkey).ok());
  const size_t p1 = vkey.find('+');
  const size_t p2 = vkey.find('+', p1 + 1);
  const std::string b64 = vkey.substr(p2 + 1);
  EXPECT_FALSE(ParseVerifierKey("log.example+" + vkey.substr(p1 + 1, 7) + "+" + b64).ok());
  EXPECT_FALSE(ParseVerifierKey("other.example" + vkey.substr(p1)).ok());  // id mismatch
  EXPECT_FALSE(ParseVerifierKey("log example" + vkey.substr(p1)).ok());    // space in name
  EXPECT_FALSE(ParseVerifierKey(vkey + "+x").ok());
  EXPECT_FALSE(ParseVerifierKey("log.example").ok());
  std::string wrong_type = Base64Encode("\x02" + key.PublicKey());
  EXPECT_FALSE(ParseVerifierKey(vkey.substr(0, p2 + 1) + wrong_type).ok());
  EXPECT_FALSE(IsValidNoteKeyName(""));
  EXPECT_FALSE(IsValidNoteKeyName("a+b"));
  EXPECT_FALSE(
      IsValidNoteKeyName("a\xC2\xA0"
                         "b"));  // NO-BREAK SPACE
  EXPECT_TRUE(IsValidNoteKeyName("学分银行.example/log"));
}

// --- Checkpoints -------------------------------------------------------------------------

TEST(Checkpoint, GoTreeNoteBody) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "signed_note_ed25519.json");
  const auto& ex = v["checkpoint_body_example"];
  const std::string text = ex["text_utf8"];
  StatusOr<Checkpoint> cp = ParseCheckpointBody(text);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->origin, "go.sum database tree");
  EXPECT_EQ(cp->size, ex["size"].get<uint64_t>());
  EXPECT_EQ(HashHex(cp->root), ex["root_hex"].get<std::string>());
  EXPECT_EQ(cp->root, LeafHash("hello world"));
  EXPECT_TRUE(cp->extensions.empty());
  EXPECT_EQ(FormatCheckpointBody(*cp), text);
}

TEST(Checkpoint, C2spExample) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "signed_note_ed25519.json");
  const auto& ex = v["c2sp_checkpoint_example_unverifiable"];
  const std::string text = ex["text_utf8"];
  StatusOr<Checkpoint> cp = ParseCheckpointBody(text);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(cp->size, 20852163u);
  EXPECT_EQ(Base64Encode(HashBytes(cp->root)), "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  EXPECT_EQ(FormatCheckpointBody(*cp), text);
  // The cosignature message is not a checkpoint body: its second line is not a size.
  EXPECT_FALSE(ParseCheckpointBody(ex["cosigned_message_example_utf8"].get<std::string>()).ok());
}

TEST(Checkpoint, ExtensionsAndEmptyTree) {
  Checkpoint cp{"bank.example/log", 0, EmptyRoot(), {"ext one", "ext two"}};
  const std::string body = FormatCheckpointBody(cp);
  EXPECT_EQ(
      body,
      "bank.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\next two\n");
  StatusOr<Checkpoint> parsed = ParseCheckpointBody(body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size, 0u);
  EXPECT_EQ(parsed->root, EmptyRoot());
  EXPECT_EQ(parsed->extensions, cp.extensions);
}

TEST(Checkpoint, RejectsMalformedBodies) {
  const std::string root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  for (const std::string& bad : std::vector<std::string>{
           "o\n1\n" + root,                            // no final newline
           "o\n1\n",                                   // too few lines
           "\n1\n" + root + "\n",                      // empty origin
           "o\n01\n" + root + "\n",                    // leading zero
           "o\n-1\n" + root + "\n",                    // sign
           "o\n+1\n" + root + "\n",                    // sign
           "o\n1 \n" + root + "\n",                    // trailing space
           "o\n18446744073709551616\n" + root + "\n",  // 2^64
           "o\n1\n" + root.substr(4) + "\n",           // short root
           "o\n1\n" + root.substr(0, 43) + "V\n",      // bad padding
           "o\n1\n" + root + "\n\next\n",              // empty extension line
       }) {
    EXPECT_EQ(ParseCheckpointBody(bad).status().code(), StatusCode::kInvalidArgument)
        << ::testing::PrintToString(bad);
  }
  EXPECT_TRUE(ParseCheckpointBody("o\n18446744073709551615\n" + root + "\n").ok());
}

TEST(Checkpoint, SignedCheckpointEndToEnd) {
  const Ed25519Key key = Ed25519Key::Generate();
  MemoryTree tree;
  for (int i = 0; i < 10; ++i) tree.Append(LeafHash("record " + std::to_string(i)));
  const Checkpoint cp{"bank.example/log", tree.size(), tree.Root(), {}};
  const std::string note = SignNote(FormatCheckpointBody(cp), cp.origin, key);
  const NoteVerifier v = *ParseVerifierKey(VerifierKeyString(cp.origin, key.PublicKey()));
  StatusOr<VerifiedNote> opened = OpenNote(note, {v});
  ASSERT_TRUE(opened.ok());
  StatusOr<Checkpoint> parsed = ParseCheckpointBody(opened->text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size, 10u);
  EXPECT_EQ(parsed->root, tree.Root());
}

}  // namespace
}  // namespace lcb
