#include "crypto/jws.h"

#include <gtest/gtest.h>

#include "tests/crypto/test_util.h"

namespace lcb {
namespace {


class Rfc8037 : public ::testing::Test {
 protected:
  void SetUp() override {
    LCB_LOAD_VECTORS_OR_SKIP(v_, "rfc8037_jws_ed25519.json");
    StatusOr<Ed25519Jwk> jwk = ParseEd25519Jwk(v_["public_jwk"]);
    ASSERT_TRUE(jwk.ok()) << jwk.status().ToString();
    public_key_ = jwk->public_key;
    std::optional<std::string> d = Base64UrlDecode(v_["private_jwk"]["d"].get<std::string>());
    ASSERT_TRUE(d.has_value());
    StatusOr<Ed25519Key> key = Ed25519Key::FromSeed(*d);
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<Ed25519Key>(std::move(*key));
  }
  JwsKeyLookup Lookup(std::string kid) const {
    return [kid, pk = public_key_](std::string_view asked) -> std::optional<std::string> {
      if (asked == kid) return pk;
      return std::nullopt;
    };
  }
  nlohmann::json v_;
  std::string public_key_;
  std::unique_ptr<Ed25519Key> key_;
};

TEST_F(Rfc8037, KeyAndThumbprint) {
  EXPECT_EQ(key_->PublicKey(), public_key_);
  EXPECT_EQ(JwkThumbprint(public_key_), v_["jwk_thumbprint_sha256_b64url"].get<std::string>());
  EXPECT_EQ(Ed25519PublicJwk(public_key_, ""), v_["public_jwk"]);
  EXPECT_EQ(ParseEd25519Jwk(Ed25519PublicJwk(public_key_, "k1"))->kid, "k1");
}

TEST_F(Rfc8037, AttachedCompactJws) {
  const std::string compact = v_["compact_jws"];
  std::string payload;
  StatusOr<JwsHeader> header = VerifyCompactJws(compact, Lookup(""), &payload);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->alg, "EdDSA");
  EXPECT_EQ(header->kid, "");
  EXPECT_EQ(payload, v_["payload_utf8"].get<std::string>());
  // Ed25519 is deterministic: signing the RFC's input reproduces the RFC's signature.
  EXPECT_EQ(Base64UrlEncode(key_->Sign(v_["signing_input"].get<std::string>())),
            v_["signature_b64url"].get<std::string>());

  std::string tampered = compact;
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_EQ(VerifyCompactJws(tampered, Lookup(""), nullptr).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(Rfc8037, DetachedPayloadWithTheRfcKey) {
  const std::string body = R"({"records":[{"learner":"L1","unit":"tsinghua:CS101"}]})";
  const std::string jws = SignDetachedJws(body, "tsinghua-2024", *key_);
  ASSERT_NE(jws.find(".."), std::string::npos);
  StatusOr<JwsHeader> header = VerifyDetachedJws(jws, body, Lookup("tsinghua-2024"));
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->kid, "tsinghua-2024");

  // The RFC's own JWS with its payload detached verifies through the same core, given a kid
  // lookup that accepts the header's (absent) kid; but detached mode insists on a kid.
  const std::string compact = v_["compact_jws"];
  const size_t d1 = compact.find('.');
  const size_t d2 = compact.find('.', d1 + 1);
  const std::string detached = compact.substr(0, d1) + ".." + compact.substr(d2 + 1);
  Status s =
      VerifyDetachedJws(detached, v_["payload_utf8"].get<std::string>(), Lookup("")).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no kid"), std::string::npos) << s.message();
}

TEST_F(Rfc8037, DetachedErrors) {
  const std::string body = "exact body bytes";
  const std::string jws = SignDetachedJws(body, "k1", *key_);

  Status s = VerifyDetachedJws(jws, body + " ", Lookup("k1")).status();
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "JWS signature does not verify");

  s = VerifyDetachedJws(jws, body, Lookup("other")).status();
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "JWS kid \"k1\" is not a known key");

  const Ed25519Key stranger = Ed25519Key::Generate();
  s = VerifyDetachedJws(SignDetachedJws(body, "k1", stranger), body, Lookup("k1")).status();
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);

  // An attached JWS is not accepted where a detached one is required.
  const size_t dots = jws.find("..");
  const std::string attached =
      jws.substr(0, dots) + "." + Base64UrlEncode(body) + jws.substr(dots + 1);
  EXPECT_EQ(VerifyDetachedJws(attached, body, Lookup("k1")).status().code(),
            StatusCode::kInvalidArgument);

  const auto header_b64 = [](const std::string& json) { return Base64UrlEncode(json); };
  const std::string sig = jws.substr(dots + 2);
  const auto verify_with_header = [&](const std::string& header_json) {
    return VerifyDetachedJws(header_b64(header_json) + ".." + sig, body, Lookup("k1")).status();
  };
  s = verify_with_header(R"({"alg":"HS256","kid":"k1"})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "bad JWS: alg must be EdDSA, got HS256");
  EXPECT_EQ(verify_with_header(R"({"kid":"k1"})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(verify_with_header(R"({"alg":"EdDSA","kid":7})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(verify_with_header(R"({"alg":"EdDSA","kid":"k1","crit":["exp"]})").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(verify_with_header(R"({"alg":"EdDSA","kid":"k1","b64":false})").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(verify_with_header("not json").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(verify_with_header("[1]").code(), StatusCode::kInvalidArgument);

  for (const std::string& bad :
       {std::string(""), std::string(".."), std::string("a.b"), std::string("a..b..c"),
        "***" + jws.substr(jws.find('.')), jws.substr(0, dots) + "..AAAA"}) {
    EXPECT_EQ(VerifyDetachedJws(bad, body, Lookup("k1")).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(Jwk, ParseErrors) {
  const std::string x = Base64UrlEncode(std::string(32, 'k'));
  using Json = nlohmann::json;
  EXPECT_TRUE(ParseEd25519Jwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x}}).ok());
  EXPECT_EQ(ParseEd25519Jwk({{"kty", "EC"}, {"crv", "Ed25519"}, {"x", x}}).status().pointer(),
            "/kty");
  EXPECT_EQ(ParseEd25519Jwk({{"kty", "OKP"}, {"crv", "X25519"}, {"x", x}}).status().pointer(),
            "/crv");
  EXPECT_EQ(
      ParseEd25519Jwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x + "AA"}}).status().pointer(),
      "/x");
  EXPECT_EQ(
      ParseEd25519Jwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x}, {"d", x}}).status().pointer(),
      "/d");
  EXPECT_EQ(ParseEd25519Jwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x}, {"kid", 1}})
                .status()
                .pointer(),
            "/kid");
  EXPECT_FALSE(ParseEd25519Jwk(Json::array()).ok());
  // Padded base64url is not JOSE's encoding.
  EXPECT_FALSE(ParseEd25519Jwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x + "="}}).ok());
}

}  // namespace
}  // namespace lcb
