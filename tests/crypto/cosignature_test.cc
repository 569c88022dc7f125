#include "crypto/cosignature.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"
#include "tests/crypto/test_util.h"

namespace lcb {
namespace {

using testing::Unhex;

// The checkpoint body and the cosignature line printed in C2SP tlog-cosignature.md; the spec
// does not publish the witness's key, so the line can be parsed but not verified.
constexpr std::string_view kSpecBody =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr std::string_view kSpecMessage =
    "cosignature/v1\ntime 1679315147\n"
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr std::string_view kSpecCosigLine =
    "\xE2\x80\x94 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZC"
    "B9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

// RFC 8032 §7.1 TEST 1.
constexpr std::string_view kSeedHex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

Ed25519Key TestKey() { return std::move(Ed25519Key::FromSeed(Unhex(std::string(kSeedHex)))).value(); }

TEST(Cosignature, MessageIsTheSpecExample) {
  EXPECT_EQ(CosignedMessage(kSpecBody, 1679315147), kSpecMessage);
}

TEST(Cosignature, MessageMatchesTheVectorFile) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "signed_note_ed25519.json");
  const auto& ex = v["c2sp_checkpoint_example_unverifiable"];
  EXPECT_EQ(CosignedMessage(ex["text_utf8"].get<std::string>(), 1679315147),
            ex["cosigned_message_example_utf8"].get<std::string>());
}

TEST(Cosignature, SpecLineCarriesItsKeyIdAndTimestamp) {
  // keyid(4) || timestamp(8) || signature(64): the example's timestamp is the message's.
  const std::string_view b64 = kSpecCosigLine.substr(kSpecCosigLine.find(' ', 4) + 1);
  std::optional<std::string> blob = Base64Decode(b64.substr(0, b64.size() - 1));
  ASSERT_TRUE(blob.has_value());
  ASSERT_EQ(blob->size(), 76u);
  uint64_t t = 0;
  for (int i = 4; i < 12; ++i) t = (t << 8) | static_cast<uint8_t>((*blob)[i]);
  EXPECT_EQ(t, 1679315147u);
  // A verifier configured with that name and key id treats the line as its own and, with a
  // key that did not make it, refuses it rather than ignoring it.
  Cosigner c{"witness.example.com/w1", 0x8d66cf3f, TestKey().PublicKey()};
  std::string note = std::string(kSpecBody) + "\n" + std::string(kSpecCosigLine);
  auto r = VerifyCosignatures(note, {c});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  c.key_id ^= 1;  // another key id: the line is someone else's and is ignored
  auto ignored = VerifyCosignatures(note, {c});
  ASSERT_TRUE(ignored.ok()) << ignored.status().ToString();
  EXPECT_TRUE(ignored->empty());
}

TEST(Cosignature, KeyIdIsSha256OfNameNewlineType4Key) {
  const Ed25519Key key = TestKey();
  const std::string name = "witness.example/w1";
  const std::string digest =
      std::string(HashBytes(Sha256(name + "\n\x04" + key.PublicKey()))).substr(0, 4);
  const uint32_t expected = (uint32_t{uint8_t(digest[0])} << 24) |
                            (uint32_t{uint8_t(digest[1])} << 16) |
                            (uint32_t{uint8_t(digest[2])} << 8) | uint8_t(digest[3]);
  EXPECT_EQ(CosignerKeyId(name, key.PublicKey()), expected);
  EXPECT_NE(CosignerKeyId(name, key.PublicKey()), NoteKeyId(name, key.PublicKey()));
  const std::string vkey = CosignerKeyString(name, key.PublicKey());
  EXPECT_EQ(vkey, name + "+" + HexEncode(digest) + "+" +
                      Base64Encode(std::string("\x04", 1) + key.PublicKey()));
  auto parsed = ParseCosignerKey(vkey);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->name, name);
  EXPECT_EQ(parsed->key_id, expected);
  EXPECT_EQ(parsed->public_key, key.PublicKey());
}

TEST(Cosignature, ParseKeyRefusesNoteKeysAndBadIds) {
  const Ed25519Key key = TestKey();
  auto note_key = ParseCosignerKey(VerifierKeyString("w", key.PublicKey()));
  ASSERT_FALSE(note_key.ok());
  EXPECT_NE(note_key.status().message().find("type 1"), std::string::npos);
  std::string vkey = CosignerKeyString("w", key.PublicKey());
  vkey[2] = vkey[2] == '0' ? '1' : '0';
  EXPECT_FALSE(ParseCosignerKey(vkey).ok());
  EXPECT_FALSE(ParseCosignerKey("w+deadbeef").ok());
  EXPECT_FALSE(ParseCosignerKey("bad name+00000000+BA==").ok());
}

TEST(Cosignature, SignsAndVerifiesBesideTheLogSignature) {
  const Ed25519Key log_key = Ed25519Key::Generate();
  const Ed25519Key witness = TestKey();
  const std::string body(kSpecBody);
  const std::string note = SignNote(body, "example.com/behind-the-sofa", log_key);
  const std::string line = CosignatureLine(body, "witness.example/w1", witness, 1679315147);
  const std::string cosigned = note + line;
  const Cosigner c = *ParseCosignerKey(CosignerKeyString("witness.example/w1", witness.PublicKey()));

  auto verified = VerifyCosignatures(cosigned, {c});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  ASSERT_EQ(verified->size(), 1u);
  EXPECT_EQ((*verified)[0].timestamp, 1679315147u);
  EXPECT_EQ((*verified)[0].line, line);
  auto one = VerifyCosignatureLine(line, body, c);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 1679315147u);
  // The log's own signature still opens the note: cosignature lines are ignored by it.
  auto opened = OpenNote(cosigned, {*ParseVerifierKey(VerifierKeyString(
                                        "example.com/behind-the-sofa", log_key.PublicKey()))});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  // The signature covers the exact message: another time or body fails.
  std::string tampered = body;
  tampered[body.find("20852163")] = '3';
  EXPECT_EQ(VerifyCosignatureLine(line, tampered, c).status().code(), StatusCode::kDataLoss);
  std::string other_time = CosignatureLine(body, "witness.example/w1", witness, 1679315148);
  EXPECT_NE(other_time, line);
  EXPECT_TRUE(VerifyCosignatureLine(other_time, body, c).ok());
  // A note signature (type 0x01) by the same key is not a cosignature.
  const std::string plain = SignNote(body, "witness.example/w1", witness);
  auto none = VerifyCosignatures(plain, {c});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(Cosignature, UnknownCosignersAreIgnoredAndDuplicatesCountOnce) {
  const Ed25519Key a = Ed25519Key::Generate();
  const Ed25519Key b = Ed25519Key::Generate();
  const std::string body(kSpecBody);
  const std::string note = SignNote(body, "example.com/behind-the-sofa", a) +
                           CosignatureLine(body, "w/a", a, 1) + CosignatureLine(body, "w/a", a, 2) +
                           CosignatureLine(body, "w/b", b, 3);
  const Cosigner ca = *ParseCosignerKey(CosignerKeyString("w/a", a.PublicKey()));
  auto got = VerifyCosignatures(note, {ca});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].timestamp, 1u);
  EXPECT_FALSE(VerifyCosignatures("no blank line\n", {ca}).ok());
}

// The timestamp is POSIX seconds of when the witness cosigned: one more than
// kMaxCosignatureFutureSkewSeconds ahead of the verifier's clock is refused with that reason,
// however well it verifies; one within the skew is accepted.
TEST(Cosignature, AFarFutureTimestampIsRefused) {
  const Ed25519Key log_key = Ed25519Key::Generate();
  const Ed25519Key witness = TestKey();
  const std::string body(kSpecBody);
  const std::string note = SignNote(body, "example.com/behind-the-sofa", log_key);
  const Cosigner c =
      *ParseCosignerKey(CosignerKeyString("witness.example/w1", witness.PublicKey()));
  const uint64_t now = 1'800'000'000;
  const uint64_t skew = kMaxCosignatureFutureSkewSeconds;
  EXPECT_EQ(skew, 600u);

  const std::string ahead = CosignatureLine(body, "witness.example/w1", witness, now + skew + 1);
  auto one = VerifyCosignatureLine(ahead, body, c, now);
  ASSERT_EQ(one.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(one.status().message().find("after this verifier's clock"), std::string::npos)
      << one.status().message();
  EXPECT_NE(one.status().message().find("witness.example/w1"), std::string::npos);
  // In a note it is not counted, and says why, but does not fail the note: another witness's
  // cosignature still counts toward a quorum.
  const Ed25519Key other = Ed25519Key::Generate();
  const Cosigner c2 = *ParseCosignerKey(CosignerKeyString("witness.example/w2", other.PublicKey()));
  const std::string fine = CosignatureLine(body, "witness.example/w2", other, now - 5);
  std::vector<std::string> skipped;
  auto all = VerifyCosignatures(note + ahead + fine, {c, c2}, now, &skipped);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "witness.example/w2");
  EXPECT_EQ((*all)[0].timestamp, now - 5);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0], one.status().message());
  EXPECT_EQ(VerifyCosignatures(note + ahead, {c}, now)->size(), 0u);
  // A bad signature of a known witness still fails the note (the spec's rule), dated or not.
  std::string forged = fine;
  forged[forged.size() - 10] = forged[forged.size() - 10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(VerifyCosignatures(note + ahead + forged, {c, c2}, now).status().code(),
            StatusCode::kDataLoss);
  // A year ahead of the system clock: refused by the default clock too.
  const std::string next_year =
      CosignatureLine(body, "witness.example/w1", witness, CosignatureClockNow() + 365 * 86400);
  EXPECT_EQ(VerifyCosignatureLine(next_year, body, c).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(VerifyCosignatures(note + next_year, {c})->size(), 0u);

  // Within the skew, or in the past: accepted.
  const std::string edge = CosignatureLine(body, "witness.example/w1", witness, now + skew);
  EXPECT_EQ(VerifyCosignatureLine(edge, body, c, now).value(), now + skew);
  EXPECT_EQ(VerifyCosignatures(note + edge, {c}, now)->size(), 1u);
  const std::string past = CosignatureLine(body, "witness.example/w1", witness, 1);
  EXPECT_TRUE(VerifyCosignatureLine(past, body, c, now).ok());
  // A verifier clock near the top of the range does not wrap.
  EXPECT_TRUE(VerifyCosignatureLine(past, body, c, kMaxCosignatureTime).ok());
}

}  // namespace
}  // namespace lcb
