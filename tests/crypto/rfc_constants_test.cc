// Known answers printed in the RFCs themselves, written here as constants so that a clone
// without the third-party vector folder (tests/crypto/test_util.h) still checks the
// algorithms. The fuller sets (Wycheproof, every RFC 6962 proof, C2SP notes) run from
// LCB_VECTORS_DIR when it is present.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/jws.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "tests/crypto/test_util.h"

namespace lcb {
namespace {

using testing::HashOf;
using testing::Unhex;

// RFC 8032 §7.1, TEST 1, TEST 2 and TEST 3 (Ed25519).
struct Rfc8032Case {
  const char* name;
  const char* secret_key;
  const char* public_key;
  const char* message;
  const char* signature;
};
constexpr Rfc8032Case kRfc8032[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(Rfc8032Section7_1, SignAndVerify) {
  for (const Rfc8032Case& c : kRfc8032) {
    StatusOr<Ed25519Key> key = Ed25519Key::FromSeed(Unhex(c.secret_key));
    ASSERT_TRUE(key.ok()) << c.name;
    EXPECT_EQ(HexEncode(key->PublicKey()), c.public_key) << c.name;
    const std::string message = Unhex(c.message);
    const std::string signature = key->Sign(message);
    EXPECT_EQ(HexEncode(signature), c.signature) << c.name;
    EXPECT_TRUE(Ed25519Verify(key->PublicKey(), message, signature)) << c.name;
    // Any flipped bit of the message or the signature fails.
    std::string bad_sig = signature;
    bad_sig[5] ^= 0x01;
    EXPECT_FALSE(Ed25519Verify(key->PublicKey(), message, bad_sig)) << c.name;
    std::string bad_msg = message + "x";
    EXPECT_FALSE(Ed25519Verify(key->PublicKey(), bad_msg, signature)) << c.name;
  }
}

// RFC 8037 Appendix A.1-A.4: the Ed25519 JWK (the key of RFC 8032 TEST 1), its RFC 7638
// thumbprint, and the compact JWS of "Example of Ed25519 signing".
constexpr char kRfc8037D[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr char kRfc8037X[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr char kRfc8037Thumbprint[] = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
constexpr char kRfc8037Payload[] = "Example of Ed25519 signing";
constexpr char kRfc8037Jws[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

TEST(Rfc8037AppendixA, JwkThumbprintAndCompactJws) {
  StatusOr<Ed25519Key> key = Ed25519Key::FromSeed(*Base64UrlDecode(kRfc8037D));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(Base64UrlEncode(key->PublicKey()), kRfc8037X);
  EXPECT_EQ(JwkThumbprint(key->PublicKey()), kRfc8037Thumbprint);

  const std::string jws = kRfc8037Jws;
  const std::string signing_input = jws.substr(0, jws.rfind('.'));
  EXPECT_EQ(jws.substr(jws.rfind('.') + 1), Base64UrlEncode(key->Sign(signing_input)));

  const std::string public_key = key->PublicKey();
  auto lookup = [&](std::string_view) -> std::optional<std::string> { return public_key; };
  std::string payload;
  StatusOr<JwsHeader> header = VerifyCompactJws(jws, lookup, &payload);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->alg, "EdDSA");
  EXPECT_EQ(payload, kRfc8037Payload);
  std::string tampered = jws;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyCompactJws(tampered, lookup, nullptr).ok());
}

// RFC 6962 §2.1's hashing over the reference tree of the RFC's reference implementation
// (certificate-transparency merkle_tree_test.cc, kInputs and kSHA256Roots; the same
// constants are in transparency-dev/merkle testonly/constants.go): the root of every prefix.
constexpr const char* kReferenceLeaves[] = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f"};
constexpr const char* kReferenceRoots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
// The inclusion proof of leaf 0 and the consistency proof 1 -> 8 in the 8-leaf tree
// (kSHA256Paths / kSHA256Proofs there).
constexpr const char* kLeaf0Proof[] = {
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};

TEST(Rfc6962ReferenceTree, RootOfEveryPrefixAndTwoProofs) {
  EXPECT_EQ(EmptyRoot(), HashOf(kReferenceRoots[0]));
  Frontier frontier;
  std::vector<Hash> leaves;
  for (size_t i = 0; i < 8; ++i) {
    leaves.push_back(LeafHash(Unhex(kReferenceLeaves[i])));
    frontier.Append(leaves.back(), nullptr);
    EXPECT_EQ(frontier.Root(), HashOf(kReferenceRoots[i + 1])) << "size " << i + 1;
  }
  std::vector<Hash> proof;
  for (const char* hex : kLeaf0Proof) proof.push_back(HashOf(hex));
  const Hash root8 = HashOf(kReferenceRoots[8]);
  EXPECT_TRUE(VerifyInclusion(0, 8, leaves[0], proof, root8).ok());
  EXPECT_FALSE(VerifyInclusion(1, 8, leaves[0], proof, root8).ok());
  EXPECT_TRUE(VerifyConsistency(1, 8, HashOf(kReferenceRoots[1]), root8, proof).ok());
  EXPECT_FALSE(VerifyConsistency(1, 8, HashOf(kReferenceRoots[2]), root8, proof).ok());
}

}  // namespace
}  // namespace lcb
