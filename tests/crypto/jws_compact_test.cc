// Compact JWS with a caller-given protected header (EdDSA and RS256): the RFC 8037 example,
// round trips, tampering, and the header rules on untrusted input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/jws.h"
#include "tests/crypto/test_util.h"

namespace lcb {
namespace {

using Json = nlohmann::json;

const RsaKey& TestRsaKey() {
  static const RsaKey* key = new RsaKey(RsaKey::Generate());
  return *key;
}

std::string B64(const std::string& s) { return Base64UrlEncode(s); }

TEST(CompactJws, Rfc8037ExampleDecodesAndVerifies) {
  Json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "rfc8037_jws_ed25519.json");
  StatusOr<DecodedJws> jws = DecodeCompactJws(v["compact_jws"].get<std::string>(), 1 << 20);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_EQ(jws->alg, JwsAlgorithm::kEdDSA);
  EXPECT_EQ(jws->payload, v["payload_utf8"].get<std::string>());
  StatusOr<ParsedPublicJwk> jwk = ParsePublicJwk(v["public_jwk"]);
  ASSERT_TRUE(jwk.ok());
  EXPECT_EQ(jwk->thumbprint, v["jwk_thumbprint_sha256_b64url"].get<std::string>());
  EXPECT_TRUE(VerifyJwsSignature(*jws, jwk->ed25519));
}

TEST(CompactJws, EdDsaWithHeaderRoundTrip) {
  const Ed25519Key key = Ed25519Key::Generate();
  const Json header = {{"typ", "vc+jwt"}, {"cty", "vc"}, {"kid", "did:key:z#z"}, {"alg", "none"}};
  const std::string compact = SignCompactJws(header, R"({"a":1})", key);
  StatusOr<DecodedJws> jws = DecodeCompactJws(compact, 100);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_EQ(jws->header["alg"], "EdDSA");  // the signer names the algorithm, not the caller
  EXPECT_EQ(jws->header["typ"], "vc+jwt");
  EXPECT_EQ(jws->kid, "did:key:z#z");
  EXPECT_EQ(jws->payload, R"({"a":1})");
  EXPECT_TRUE(VerifyJwsSignature(*jws, key.PublicKey()));
  EXPECT_FALSE(VerifyJwsSignature(*jws, Ed25519Key::Generate().PublicKey()));
  EXPECT_FALSE(VerifyJwsSignature(*jws, TestRsaKey().PublicKey()));  // alg/key mismatch

  // Any changed byte of the payload or signature fails.
  for (size_t i = 0; i < compact.size(); i += 7) {
    if (compact[i] == '.') continue;
    std::string bad = compact;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    StatusOr<DecodedJws> d = DecodeCompactJws(bad, 100);
    if (d.ok()) {
      EXPECT_FALSE(VerifyJwsSignature(*d, key.PublicKey())) << i;
    }
  }
}

TEST(CompactJws, Rs256RoundTrip) {
  const RsaKey& key = TestRsaKey();
  const Json header = {{"typ", "JWT"}, {"jwk", key.PublicKey().Jwk("")}};
  const std::string compact = SignCompactJws(header, R"({"iss":"x"})", key);
  StatusOr<DecodedJws> jws = DecodeCompactJws(compact, 100);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_EQ(jws->alg, JwsAlgorithm::kRS256);
  StatusOr<ParsedPublicJwk> embedded = ParsePublicJwk(jws->header["jwk"]);
  ASSERT_TRUE(embedded.ok());
  ASSERT_TRUE(embedded->rsa.has_value());
  EXPECT_EQ(embedded->thumbprint, key.PublicKey().Thumbprint());
  EXPECT_TRUE(VerifyJwsSignature(*jws, *embedded->rsa));
  EXPECT_FALSE(VerifyJwsSignature(*jws, Ed25519Key::Generate().PublicKey()));
  std::string bad = compact;
  bad[bad.find('.') + 2] ^= 1;
  StatusOr<DecodedJws> tampered = DecodeCompactJws(bad, 100);
  if (tampered.ok()) {
    EXPECT_FALSE(VerifyJwsSignature(*tampered, key.PublicKey()));
  }
}

TEST(CompactJws, HeaderRulesOnUntrustedInput) {
  const std::string sig = "." + B64("x") + "." + B64(std::string(64, 's'));
  auto decode = [&](const std::string& header_json) {
    return DecodeCompactJws(B64(header_json) + sig, 100).status();
  };
  EXPECT_TRUE(decode(R"({"alg":"EdDSA"})").ok());
  EXPECT_TRUE(decode(R"({"alg":"RS256","kid":"k"})").ok());
  EXPECT_TRUE(decode(R"({"alg":"EdDSA","b64":true})").ok());
  for (const char* bad :
       {R"({"alg":"none"})", R"({"alg":"HS256"})", R"({"alg":"ES256"})", R"({})", R"([])",
        R"({"alg":5})", R"({"alg":"EdDSA","kid":1})", R"({"alg":"EdDSA","crit":["x"]})",
        R"({"alg":"EdDSA","b64":false})", R"({"alg":"EdDSA","alg":"EdDSA"})", "not json"}) {
    EXPECT_EQ(decode(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  const std::string h = B64(R"({"alg":"EdDSA"})");
  for (const std::string& bad :
       {h, h + ".", h + "..", h + "." + B64("x"), h + ".!." + B64("s"), h + "." + B64("x") + ".",
        "." + B64("x") + "." + B64("s"), h + "." + B64("x") + "." + B64("s") + ".x"}) {
    EXPECT_EQ(DecodeCompactJws(bad, 100).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(
      DecodeCompactJws(h + "." + B64(std::string(101, 'p')) + "." + B64("s"), 100).status().code(),
      StatusCode::kResourceExhausted);
  EXPECT_EQ(DecodeCompactJws(B64(std::string(kMaxJwsHeaderSize, 'h')) + sig, 100).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CompactJws, ParsePublicJwkDispatches) {
  EXPECT_EQ(ParsePublicJwk(Json{{"kty", "EC"}}).status().pointer(), "/kty");
  EXPECT_EQ(ParsePublicJwk(Json::object()).status().pointer(), "/kty");
  const std::string pub = Ed25519Key::Generate().PublicKey();
  StatusOr<ParsedPublicJwk> ed = ParsePublicJwk(Ed25519PublicJwk(pub, "k1"));
  ASSERT_TRUE(ed.ok());
  EXPECT_EQ(ed->alg, JwsAlgorithm::kEdDSA);
  EXPECT_EQ(ed->kid, "k1");
  EXPECT_EQ(ed->thumbprint, JwkThumbprint(pub));
  StatusOr<ParsedPublicJwk> rsa = ParsePublicJwk(TestRsaKey().PublicKey().Jwk("r1"));
  ASSERT_TRUE(rsa.ok());
  EXPECT_EQ(rsa->alg, JwsAlgorithm::kRS256);
  EXPECT_EQ(rsa->kid, "r1");
}

}  // namespace
}  // namespace lcb
