// RSA keys for the OB 3.0 JWT profile: files (0600, no overwrite, refused when readable by
// others), RS256, JWKs and the RFC 7638 thumbprint example.
#include "crypto/rsa.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("lcb-rsa-" + HexEncode(RandomBytes(6)));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// One key for the whole suite: generating RSA keys takes tens of milliseconds.
const RsaKey& TestKey() {
  static const RsaKey* key = new RsaKey(RsaKey::Generate());
  return *key;
}

TEST(Rsa, Rfc7638ThumbprintExample) {
  // RFC 7638 §3.1.
  const nlohmann::json jwk = {
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
       "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
       "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
       "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
       "kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  StatusOr<RsaPublicKey> key = RsaPublicKey::FromJwk(jwk);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->Thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(key->bits(), 2048);
  EXPECT_EQ(key->Jwk("2011-04-29")["n"], jwk["n"]);
  EXPECT_EQ(key->Jwk("")["e"], "AQAB");
  EXPECT_FALSE(key->Jwk("").contains("kid"));
}

TEST(Rsa, SignVerifyAndTamper) {
  const RsaKey& key = TestKey();
  const std::string sig = key.SignRs256("payload");
  EXPECT_EQ(sig.size(), 256u);
  EXPECT_EQ(sig, key.SignRs256("payload"));  // PKCS#1 v1.5 is deterministic
  EXPECT_TRUE(key.PublicKey().VerifyRs256("payload", sig));
  EXPECT_FALSE(key.PublicKey().VerifyRs256("payloaD", sig));
  std::string bad = sig;
  bad[100] ^= 0x01;
  EXPECT_FALSE(key.PublicKey().VerifyRs256("payload", bad));
  EXPECT_FALSE(key.PublicKey().VerifyRs256("payload", sig.substr(1)));
  EXPECT_FALSE(key.PublicKey().VerifyRs256("payload", ""));
  // A copy of the public key (through its JWK) verifies the same signature.
  StatusOr<RsaPublicKey> again = RsaPublicKey::FromJwk(key.PublicKey().Jwk("k"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->VerifyRs256("payload", sig));
  EXPECT_EQ(again->Thumbprint(), key.PublicKey().Thumbprint());
  RsaPublicKey copy = *again;
  EXPECT_TRUE(copy.VerifyRs256("payload", sig));
}

TEST(Rsa, JwkRefusals) {
  const nlohmann::json good = TestKey().PublicKey().Jwk("");
  auto with = [&](const char* member, nlohmann::json value) {
    nlohmann::json j = good;
    j[member] = std::move(value);
    return RsaPublicKey::FromJwk(j).status();
  };
  EXPECT_EQ(with("kty", "OKP").pointer(), "/kty");
  EXPECT_EQ(with("d", "AQAB").pointer(), "/d");
  EXPECT_EQ(with("p", "AQAB").pointer(), "/p");
  EXPECT_EQ(with("n", 5).pointer(), "/n");
  EXPECT_EQ(with("n", "AAEC").pointer(), "/n");  // leading zero byte
  EXPECT_EQ(with("e", "AQAB=").pointer(), "/e");
  EXPECT_EQ(with("e", "AQ").pointer(), "/e");  // e = 1
  // 1024-bit modulus: too weak to accept.
  EXPECT_EQ(with("n", Base64UrlEncode("\xc1" + std::string(127, '\x01'))).pointer(), "/n");
  EXPECT_EQ(RsaPublicKey::FromJwk(nlohmann::json::array()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Rsa, PemFileRules) {
  TempDir dir;
  const std::string path = dir.file("rsa.pem");
  ASSERT_TRUE(TestKey().SavePem(path).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(TestKey().SavePem(path).code(), StatusCode::kAlreadyExists);

  StatusOr<RsaKey> loaded = RsaKey::LoadPem(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->PublicKey().modulus(), TestKey().PublicKey().modulus());
  EXPECT_TRUE(TestKey().PublicKey().VerifyRs256("m", loaded->SignRs256("m")));

  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  Status refused = RsaKey::LoadPem(path).status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("0640"), std::string::npos) << refused.message();

  EXPECT_EQ(RsaKey::LoadPem(dir.file("absent.pem")).status().code(), StatusCode::kNotFound);

  // An Ed25519 key file is not an RSA key.
  const std::string ed = dir.file("ed.pem");
  ASSERT_TRUE(Ed25519Key::Generate().SavePem(ed).ok());
  Status wrong = RsaKey::LoadPem(ed).status();
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.message().find("not RSA"), std::string::npos) << wrong.message();

  const std::string junk = dir.file("junk.pem");
  { std::ofstream(junk) << "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"; }
  ASSERT_EQ(::chmod(junk.c_str(), 0600), 0);
  EXPECT_EQ(RsaKey::LoadPem(junk).status().code(), StatusCode::kInvalidArgument);
}

TEST(Rsa, PublicKeyPemRoundTripAndRefusals) {
  const RsaPublicKey& pub = TestKey().PublicKey();
  const std::string pem = pub.Pem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PUBLIC KEY-----\n")) << pem;
  StatusOr<RsaPublicKey> back = RsaPublicKey::FromPem(pem);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->modulus(), pub.modulus());
  EXPECT_EQ(back->exponent(), pub.exponent());
  EXPECT_TRUE(back->VerifyRs256("m", TestKey().SignRs256("m")));
  // The same key through its JWK writes the same PEM (SPKI DER is canonical).
  EXPECT_EQ(RsaPublicKey::FromJwk(pub.Jwk(""))->Pem(), pem);

  Status ed = RsaPublicKey::FromPem(Ed25519Key::Generate().PublicKeyPem()).status();
  EXPECT_EQ(ed.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ed.message().find("ED25519 key, not RSA"), std::string::npos) << ed.message();
  EXPECT_EQ(RsaPublicKey::FromPem("not a pem").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RsaPublicKey::FromPem(std::string(70000, 'A')).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lcb
