#include "crypto/ed25519.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/crypto/test_util.h"

namespace lcb {
namespace {

using testing::Unhex;

// RFC 8032 §7.1 TEST 1's secret key, for tests that need a fixed key.
constexpr char kRfc8032Test1Seed[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

TEST(Ed25519, Rfc8032SignFromSeedAndVerify) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "rfc8032_ed25519.json");
  int checked = 0;
  for (const auto& c : v["vectors"]) {
    StatusOr<Ed25519Key> key = Ed25519Key::FromSeed(Unhex(c["seed_hex"]));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->PublicKey(), Unhex(c["public_key_hex"])) << c["name"];
    const std::string msg = Unhex(c["message_hex"]);
    const std::string sig = key->Sign(msg);
    EXPECT_EQ(HexEncode(sig), c["signature_hex"].get<std::string>()) << c["name"];
    EXPECT_TRUE(Ed25519Verify(key->PublicKey(), msg, sig)) << c["name"];
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

TEST(Ed25519, Rfc8032Negatives) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "rfc8032_ed25519.json");
  int checked = 0;
  for (const auto& c : v["negative_vectors"]) {
    ASSERT_EQ(c["expect"], "invalid");
    EXPECT_FALSE(Ed25519Verify(Unhex(c["public_key_hex"]), Unhex(c["message_hex"]),
                               Unhex(c["signature_hex"])))
        << c["name"];
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

TEST(Ed25519, WycheproofAllCases) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "wycheproof_ed25519_test.json");
  int processed = 0;
  int valid = 0;
  int invalid = 0;
  for (const auto& group : v["testGroups"]) {
    const std::string pk = Unhex(group["publicKey"]["pk"]);
    for (const auto& t : group["tests"]) {
      const std::string result = t["result"];
      ASSERT_TRUE(result == "valid" || result == "invalid") << result;
      const bool ok = Ed25519Verify(pk, Unhex(t["msg"]), Unhex(t["sig"]));
      EXPECT_EQ(ok, result == "valid") << "tcId " << t["tcId"] << " " << t["comment"];
      ++processed;
      (ok ? valid : invalid) += 1;
    }
  }
  EXPECT_EQ(processed, 151);
  EXPECT_EQ(v["numberOfTests"], 151);
  EXPECT_EQ(valid, 88);
  EXPECT_EQ(invalid, 63);
}

TEST(Ed25519, VerifyRejectsWrongSizes) {
  const Ed25519Key key = Ed25519Key::Generate();
  const std::string sig = key.Sign("m");
  EXPECT_TRUE(Ed25519Verify(key.PublicKey(), "m", sig));
  EXPECT_FALSE(Ed25519Verify(key.PublicKey().substr(1), "m", sig));
  EXPECT_FALSE(Ed25519Verify(key.PublicKey(), "m", sig.substr(1)));
  EXPECT_FALSE(Ed25519Verify(key.PublicKey(), "m", sig + "x"));
  EXPECT_FALSE(Ed25519Verify("", "m", ""));
  EXPECT_FALSE(Ed25519Key::FromSeed("short").ok());
  EXPECT_NE(Ed25519Key::Generate().PublicKey(), key.PublicKey());
}

class Ed25519Pem : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lcb-ed25519-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(Ed25519Pem, SaveLoadRoundTripWithMode0600) {
  StatusOr<Ed25519Key> key = Ed25519Key::FromSeed(Unhex(kRfc8032Test1Seed));
  ASSERT_TRUE(key.ok());
  const std::string path = Path("bank.pem");
  ASSERT_TRUE(key->SavePem(path).ok());

  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  const std::string pem = testing::ReadFile(path);
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << pem;
  // No temporary file is left beside the key.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);

  StatusOr<Ed25519Key> loaded = Ed25519Key::LoadPem(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->PublicKey(), key->PublicKey());
  // RFC 8032 §7.1 TEST 1's signature of the empty message.
  EXPECT_EQ(HexEncode(loaded->Sign("")),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
            "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

  // RFC 8410 §7: PKCS#8 OneAsymmetricKey = fixed 16-byte prefix + the 32-byte seed.
  const std::string der = Unhex("302e020100300506032b657004220420") + Unhex(kRfc8032Test1Seed);
  EXPECT_NE(pem.find(Base64Encode(der)), std::string::npos);
}

TEST_F(Ed25519Pem, RefusesToOverwrite) {
  const Ed25519Key a = Ed25519Key::Generate();
  const Ed25519Key b = Ed25519Key::Generate();
  const std::string path = Path("k.pem");
  ASSERT_TRUE(a.SavePem(path).ok());
  Status s = b.SavePem(path);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Ed25519Key::LoadPem(path)->PublicKey(), a.PublicKey());
}

TEST_F(Ed25519Pem, RefusesGroupOrWorldReadableKey) {
  const Ed25519Key key = Ed25519Key::Generate();
  const std::string path = Path("open.pem");
  ASSERT_TRUE(key.SavePem(path).ok());
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    StatusOr<Ed25519Key> loaded = Ed25519Key::LoadPem(path);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);
    const std::string msg = loaded.status().message();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    char mode_text[8];
    std::snprintf(mode_text, sizeof(mode_text), "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(msg.find(mode_text), std::string::npos) << msg;
  }
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(Ed25519Key::LoadPem(path).ok());
}

TEST_F(Ed25519Pem, LoadErrors) {
  EXPECT_EQ(Ed25519Key::LoadPem(Path("missing.pem")).status().code(), StatusCode::kNotFound);
  const std::string junk = Path("junk.pem");
  {
    std::FILE* f = std::fopen(junk.c_str(), "w");
    std::fputs("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", f);
    std::fclose(f);
  }
  ASSERT_EQ(::chmod(junk.c_str(), 0600), 0);
  EXPECT_EQ(Ed25519Key::LoadPem(junk).status().code(), StatusCode::kInvalidArgument);
}

TEST(Ed25519PublicPem, RoundTrip) {
  StatusOr<Ed25519Key> key = Ed25519Key::FromSeed(Unhex(kRfc8032Test1Seed));
  ASSERT_TRUE(key.ok());
  const std::string pem = key->PublicKeyPem();
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
  // RFC 8410 §4: SubjectPublicKeyInfo = fixed 12-byte prefix (id-Ed25519) + the raw key.
  const std::string spki = Unhex("302a300506032b6570032100") + key->PublicKey();
  EXPECT_NE(pem.find(Base64Encode(spki)), std::string::npos);
  StatusOr<std::string> raw = PublicKeyFromPem(pem);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, key->PublicKey());
  EXPECT_EQ(PublicKeyFromPem("not a pem").status().code(), StatusCode::kInvalidArgument);
  // From the raw key back to the same PEM.
  StatusOr<std::string> written = PublicKeyToPem(key->PublicKey());
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, pem);
  EXPECT_EQ(PublicKeyToPem("short").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lcb
