// The JSON-LD safe-mode checker on the documents of tests/credentials/safe_mode/: each file's
// name says what jsonld.js in safe mode answers (accept_* / reject_*; the interop test checks
// jsonld.js itself still agrees), and the bank's own credentials pass.
#include "vc/safe_mode.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/crypto/test_util.h"
#include "tests/vc/vc_fixture.h"
#include "vc/securing.h"
#include "vc/status_list.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

TEST(SafeMode, AgreesWithJsonLdJsOnTheCorpus) {
  const std::filesystem::path dir =
      std::filesystem::path(LCB_SOURCE_DIR) / "tests/credentials/safe_mode";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json") continue;
    ++files;
    const Json doc = Json::parse(lcb::testing::ReadFile(entry.path().string()));
    const Status s = CheckJsonLdSafeMode(doc);
    if (name.rfind("accept_", 0) == 0) {
      EXPECT_TRUE(s.ok()) << name << ": " << s.ToString();
    } else {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    }
  }
  EXPECT_GE(files, 40);
}

TEST(SafeMode, NamesTheOffendingMember) {
  Json vc = {{"@context", {"https://www.w3.org/ns/credentials/v2"}},
             {"type", {"VerifiableCredential"}},
             {"issuer", "did:example:1"},
             {"credentialSubject", {{"id", "did:example:2"}, {"favorite/Color", "blue"}}}};
  Status s = CheckJsonLdSafeMode(vc);
  EXPECT_EQ(s.pointer(), "/credentialSubject/favorite~1Color") << s.ToString();
  vc["credentialSubject"].erase("favorite/Color");
  EXPECT_TRUE(CheckJsonLdSafeMode(vc).ok());
  vc["type"].push_back("AlumniCredential");
  EXPECT_EQ(CheckJsonLdSafeMode(vc).pointer(), "/type/1");
}

TEST(SafeMode, TheBanksCredentialsPass) {
  const Ed25519Key key = Ed25519Key::Generate();
  const Json vc =
      BuildOpenBadgeCredential(testing::SampleRecord(), testing::SampleContext("did:key:zB", 1))
          .value();
  EXPECT_TRUE(CheckJsonLdSafeMode(vc).ok()) << CheckJsonLdSafeMode(vc).ToString();
  const Json secured =
      SecureDataIntegrity(vc, key, "did:key:zB#zB", "2025-01-01T00:00:00Z").value();
  EXPECT_TRUE(CheckJsonLdSafeMode(secured).ok()) << CheckJsonLdSafeMode(secured).ToString();
  const Json list = BuildStatusListCredential("https://bank.example/v1/status/1", "did:key:zB",
                                              "2025-01-01T00:00:00Z", StatusBitstring());
  EXPECT_TRUE(CheckJsonLdSafeMode(list).ok()) << CheckJsonLdSafeMode(list).ToString();
}

TEST(SafeMode, KnowsTheContextsOfDesignMd) {
  const std::vector<std::string_view> urls = KnownContextUrls();
  for (const char* url :
       {"https://www.w3.org/2018/credentials/v1", "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://w3id.org/security/data-integrity/v2",
        "https://www.w3.org/ns/credentials/status/v1"}) {
    EXPECT_NE(std::find(urls.begin(), urls.end(), url), urls.end()) << url;
  }
}

}  // namespace
}  // namespace lcb::vc
