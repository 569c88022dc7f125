// eddsa-jcs-2022: the W3C vc-di-eddsa vector reproduced byte for byte (proof config with the
// document's @context, hash data, proofValue), and the verification rules.
#include "vc/data_integrity.h"

#include <gtest/gtest.h>

#include "crypto/base58.h"
#include "crypto/jcs.h"
#include "crypto/multikey.h"
#include "tests/crypto/test_util.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

class W3cVector : public ::testing::Test {
 protected:
  void SetUp() override {
    Json kp;
    LCB_LOAD_VECTORS_OR_SKIP(kp, "w3c-vc-di-eddsa/keyPair.json");
    unsigned_ = lcb::testing::LoadVectors("w3c-vc-di-eddsa/unsigned.json");
    signed_ = lcb::testing::LoadVectors("w3c-vc-di-eddsa/eddsa-jcs-2022/signedJCS.json");
    config_ = lcb::testing::LoadVectors("w3c-vc-di-eddsa/eddsa-jcs-2022/proofConfigJCS.json");
    const std::string dir = lcb::testing::VectorsDir() + "/w3c-vc-di-eddsa/eddsa-jcs-2022/";
    combined_hex_ = lcb::testing::ReadFile(dir + "combinedHashJCS.txt");
    while (!combined_hex_.empty() && combined_hex_.back() == '\n') combined_hex_.pop_back();
    const std::string priv = kp["privateKeyMultibase"];
    std::optional<std::string> bytes = Base58BtcDecode(priv.substr(1));
    ASSERT_TRUE(bytes.has_value() && bytes->size() == 34);
    key_ = std::make_unique<Ed25519Key>(Ed25519Key::FromSeed(bytes->substr(2)).value());
    public_key_ = Ed25519FromMultikey(kp["publicKeyMultibase"].get<std::string>()).value();
  }
  Json unsigned_, signed_, config_;
  std::string combined_hex_;
  std::unique_ptr<Ed25519Key> key_;
  std::string public_key_;
};

TEST_F(W3cVector, HashDataMatches) {
  StatusOr<std::string> hash = EddsaJcs2022HashData(unsigned_, config_);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(HexEncode(*hash), combined_hex_);
}

TEST_F(W3cVector, SigningReproducesTheSignedDocumentByteForByte) {
  ProofOptions options;
  options.verification_method = config_["verificationMethod"];
  options.created = config_["created"];
  StatusOr<Json> secured = AddEddsaJcs2022Proof(unsigned_, options, *key_);
  ASSERT_TRUE(secured.ok()) << secured.status().ToString();
  // The proof config carries a copy of the document's @context, and it is signed.
  EXPECT_EQ((*secured)["proof"]["@context"], unsigned_["@context"]);
  EXPECT_EQ((*secured)["proof"]["proofValue"], signed_["proof"]["proofValue"]);
  EXPECT_EQ(CanonicalJson(*secured).value(), CanonicalJson(signed_).value());
}

TEST_F(W3cVector, VerifiesAndTamperingFails) {
  StatusOr<PendingProof> proof = ReadEddsaJcs2022Proof(signed_);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  EXPECT_EQ(HexEncode(proof->hash_data), combined_hex_);
  EXPECT_EQ(proof->verification_method, config_["verificationMethod"]);
  EXPECT_TRUE(VerifyPendingProof(*proof, public_key_));

  Json tampered = signed_;
  tampered["credentialSubject"]["alumniOf"] = "The School of Forgery";
  EXPECT_FALSE(VerifyPendingProof(ReadEddsaJcs2022Proof(tampered).value(), public_key_));
  tampered = signed_;
  tampered["proof"]["created"] = "2023-02-24T23:36:39Z";
  EXPECT_FALSE(VerifyPendingProof(ReadEddsaJcs2022Proof(tampered).value(), public_key_));
  // The proof's @context must be a prefix of the document's.
  tampered = signed_;
  tampered["proof"]["@context"] = Json::array({"https://www.w3.org/ns/credentials/v2", "x"});
  EXPECT_EQ(ReadEddsaJcs2022Proof(tampered).status().pointer(), "/proof/@context");
}

TEST(DataIntegrity, ProofFormRules) {
  const Ed25519Key key = Ed25519Key::Generate();
  ProofOptions options;
  options.verification_method = "did:example:1#k";
  const Json doc = {{"@context", "https://www.w3.org/ns/credentials/v2"}, {"x", 1}};
  Json secured = AddEddsaJcs2022Proof(doc, options, key).value();
  EXPECT_FALSE(secured["proof"].contains("created"));
  EXPECT_TRUE(VerifyPendingProof(ReadEddsaJcs2022Proof(secured).value(), key.PublicKey()));
  EXPECT_EQ(AddEddsaJcs2022Proof(secured, options, key).status().pointer(), "/proof");
  EXPECT_EQ(AddEddsaJcs2022Proof(Json::array(), options, key).status().code(),
            StatusCode::kInvalidArgument);

  // One proof in an array is read like the bare object.
  Json as_array = secured;
  as_array["proof"] = Json::array({secured["proof"]});
  EXPECT_TRUE(VerifyPendingProof(ReadEddsaJcs2022Proof(as_array).value(), key.PublicKey()));

  const std::pair<const char*, Json> bad[] = {{"/proof/type", "Ed25519Signature2020"},
                                              {"/proof/cryptosuite", "eddsa-rdfc-2022"},
                                              {"/proof/proofValue", "zzz"},
                                              {"/proof/proofValue", "u" + std::string(86, 'A')},
                                              {"/proof/verificationMethod", 5},
                                              {"/proof/created", "yesterday"}};
  for (const auto& [pointer, value] : bad) {
    Json j = secured;
    j["proof"][std::string(pointer).substr(7)] = value;
    EXPECT_EQ(ReadEddsaJcs2022Proof(j).status().pointer(), pointer) << value;
  }
  Json no_proof = doc;
  EXPECT_EQ(ReadEddsaJcs2022Proof(no_proof).status().pointer(), "/proof");
  Json two = secured;
  two["proof"] = Json::array({secured["proof"], secured["proof"]});
  EXPECT_EQ(ReadEddsaJcs2022Proof(two).status().pointer(), "/proof");
}

}  // namespace
}  // namespace lcb::vc
