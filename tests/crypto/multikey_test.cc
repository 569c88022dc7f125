// Base58btc, Multikey and did:key: published encodings (base58 examples checked with the npm
// package base58-universal; the W3C vc-di-eddsa key pair from the vectors folder).
#include "crypto/multikey.h"

#include <gtest/gtest.h>

#include "crypto/base58.h"
#include "crypto/ed25519.h"
#include "tests/crypto/test_util.h"

namespace lcb {
namespace {

using testing::Unhex;

TEST(Base58, KnownEncodings) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},
      {"00", "1"},
      {"000000", "111"},
      {"61", "2g"},
      {"ff", "5Q"},
      {"00ff", "15Q"},
      {"0000287fb4cd", "11233QC4"},
      {"48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U"},  // "Hello World!"
      {"54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f672e",
       "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"},
  };
  for (const auto& [hex, text] : cases) {
    const std::string bytes = Unhex(hex);
    EXPECT_EQ(Base58BtcEncode(bytes), text) << hex;
    std::optional<std::string> back = Base58BtcDecode(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, bytes) << text;
  }
}

TEST(Base58, RoundTripsRandomBytesWithLeadingZeros) {
  for (size_t len = 0; len < 80; ++len) {
    std::string bytes = RandomBytes(len);
    for (size_t z = 0; z < len && z < len % 4; ++z) bytes[z] = '\0';
    const std::string text = Base58BtcEncode(bytes);
    EXPECT_EQ(Base58BtcDecode(text), bytes) << len;
  }
}

TEST(Base58, RefusesOtherAlphabetsAndLongText) {
  for (const char* bad : {"0", "O", "I", "l", "+", "2g ", "abc=", "\xff"}) {
    EXPECT_FALSE(Base58BtcDecode(bad).has_value()) << bad;
  }
  EXPECT_FALSE(Base58BtcDecode(std::string(kMaxBase58Text + 1, '2')).has_value());
  EXPECT_TRUE(Base58BtcDecode(std::string(kMaxBase58Text, '2')).has_value());
}

TEST(Multikey, RoundTripAndShape) {
  const Ed25519Key key = Ed25519Key::Generate();
  const std::string mk = Ed25519Multikey(key.PublicKey());
  EXPECT_EQ(mk.substr(0, 4), "z6Mk");  // every Ed25519 Multikey starts so (0xed01 prefix)
  EXPECT_EQ(mk.size(), 48u);
  EXPECT_EQ(Ed25519FromMultikey(mk).value(), key.PublicKey());
  EXPECT_EQ(DidKeyFromEd25519(key.PublicKey()), "did:key:" + mk);
  EXPECT_EQ(DidKeyVerificationMethod(key.PublicKey()), "did:key:" + mk + "#" + mk);
  EXPECT_EQ(Ed25519FromDidKey("did:key:" + mk).value(), key.PublicKey());
  EXPECT_EQ(Ed25519FromDidKey("did:key:" + mk + "#" + mk).value(), key.PublicKey());
}

TEST(Multikey, RefusesOtherKeysAndForms) {
  const std::string pub(32, '\x07');
  const std::string mk = Ed25519Multikey(pub);
  // Another multicodec (0x1200 p256-pub style prefix), truncated key, other multibase.
  const std::string other = "z" + Base58BtcEncode(std::string("\x80\x24", 2) + pub);
  const std::string shorter = "z" + Base58BtcEncode(std::string("\xed\x01", 2) + pub.substr(1));
  for (const std::string& bad : {std::string(""), std::string("z"), other, shorter,
                                 "u" + mk.substr(1), mk.substr(1), mk + "0"}) {
    EXPECT_EQ(Ed25519FromMultikey(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  for (const std::string& bad :
       {std::string("did:web:example.com"), std::string("did:key:"), "did:key:" + mk + "#key-1",
        "did:key:" + mk + "#", "did:key:" + other, "DID:KEY:" + mk}) {
    EXPECT_EQ(Ed25519FromDidKey(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

// The W3C vc-di-eddsa key pair: privateKeyMultibase is 0x8026 || seed, publicKeyMultibase the
// Multikey of the key that seed derives.
TEST(Multikey, W3cVectorKeyPair) {
  nlohmann::json kp;
  LCB_LOAD_VECTORS_OR_SKIP(kp, "w3c-vc-di-eddsa/keyPair.json");
  const std::string priv = kp["privateKeyMultibase"];
  ASSERT_EQ(priv[0], 'z');
  std::optional<std::string> bytes = Base58BtcDecode(priv.substr(1));
  ASSERT_TRUE(bytes.has_value());
  ASSERT_EQ(bytes->size(), 34u);
  EXPECT_EQ(bytes->substr(0, 2), std::string("\x80\x26", 2));
  StatusOr<Ed25519Key> key = Ed25519Key::FromSeed(bytes->substr(2));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(Ed25519Multikey(key->PublicKey()), kp["publicKeyMultibase"].get<std::string>());
}

}  // namespace
}  // namespace lcb
