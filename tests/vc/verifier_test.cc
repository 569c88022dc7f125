// The verifier on the bank's three formats and on credentials of others: signature, issuer key
// (current, rotated, retired, did:key, pinned did:web, registered JWKs), validity dates,
// status, subject and achievement, each failure with its reason code.
#include "vc/verifier.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/multikey.h"
#include "tests/vc/vc_fixture.h"
#include "vc/securing.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;
using testing::SampleContext;
using testing::SampleRecord;

const RsaKey& BankRsa() {
  static const RsaKey* key = new RsaKey(RsaKey::Generate());
  return *key;
}

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest()
      : key_(Ed25519Key::Generate()),
        did_(DidKeyFromEd25519(key_.PublicKey())),
        vm_(DidKeyVerificationMethod(key_.PublicKey())) {
    keys_.Add({did_}, Ed25519VerificationKey(vm_, "bank", key_.PublicKey()));
    keys_.Add({did_}, RsaVerificationKey("rsa-1", "bank", BankRsa().PublicKey()));
    options_.now = ParseDateTimeStamp("2025-06-01T00:00:00Z", "").value();
  }

  Json Credential(uint64_t status_index = 7) const {
    return BuildOpenBadgeCredential(SampleRecord(), SampleContext(did_, status_index)).value();
  }
  std::string Di(const Json& cred, std::string created = "2025-01-02T03:04:05Z") const {
    return SecureDataIntegrity(cred, key_, vm_, created).value().dump();
  }
  std::string Jwt(const Json& cred) const { return SecureVcJwt(cred, key_, vm_).value(); }
  std::string Ob3(const Json& cred, std::string_view kid = "rsa-1") const {
    return SecureOb3Jwt(cred, BankRsa(), kid).value();
  }
  VerificationResult Verify(std::string_view input) const {
    return VerifyCredential(input, keys_, options_);
  }
  static std::string Reasons(const VerificationResult& r) { return r.ToJson().dump(); }

  Ed25519Key key_;
  std::string did_;
  std::string vm_;
  KeyRegistry keys_;
  VerifyOptions options_;
};

TEST_F(VerifierTest, AllThreeFormatsVerify) {
  for (const std::string& input :
       {Di(Credential()), Jwt(Credential()), Ob3(Credential()), Ob3(Credential(), "")}) {
    VerificationResult r = Verify(input);
    EXPECT_TRUE(r.verified) << Reasons(r);
    EXPECT_EQ(r.issuer, did_);
    EXPECT_EQ(r.key_owner, "bank");
    EXPECT_EQ(r.subject_id, "urn:creditbank:learner:lrn_7f3a9c");
    EXPECT_EQ(r.achievement_id, "https://bank.example/v1/units/tsinghua:CS101");
    EXPECT_EQ(r.status, CredentialState::kUnknown);  // has a status entry, no list given
    EXPECT_EQ(r.missing_status_lists,
              std::vector<std::string>{"https://bank.example/v1/status/1"});  // named for a fetch
    EXPECT_EQ(r.credential["name"], "程序设计基础");
    EXPECT_FALSE(r.credential.contains("iss"));  // the JWT claims are not the credential
  }
  EXPECT_EQ(Verify(Di(Credential())).format, CredentialFormat::kDataIntegrity);
  EXPECT_EQ(Verify(Jwt(Credential())).format, CredentialFormat::kVcJwt);
  EXPECT_EQ(Verify(Ob3(Credential())).format, CredentialFormat::kOb3Jwt);
  EXPECT_EQ(Verify(Ob3(Credential())).ToJson()["checks"],
            Json::array({"issuer", "proof", "validity"}));
}

TEST_F(VerifierTest, AnyChangedByteFails) {
  const std::string di = Di(Credential());
  const std::string jwt = Jwt(Credential());
  // Every 13th byte of each form, changed to another character of the same class.
  for (const std::string& input : {di, jwt}) {
    for (size_t i = 0; i < input.size(); i += 13) {
      std::string bad = input;
      const char c = bad[i];
      if (c == '.' || c == '"' || c == '{' || c == '}' || c == ':' || c == ',' || c == '[' ||
          c == ']' || c == '\\' || (c & 0x80)) {
        continue;
      }
      bad[i] = c == 'A' ? 'B' : (c == '1' ? '2' : 'A');
      VerificationResult r = Verify(bad);
      EXPECT_FALSE(r.verified) << i << " " << bad.substr(i > 20 ? i - 20 : 0, 40);
    }
  }
}

TEST_F(VerifierTest, TamperedContentIsBadSignature) {
  Json secured = SecureDataIntegrity(Credential(), key_, vm_, "").value();
  secured["credentialSubject"]["creditsEarned"] = 40;
  VerificationResult r = Verify(secured.dump());
  EXPECT_FALSE(r.verified);
  EXPECT_TRUE(r.HasReason(reason::kBadSignature)) << Reasons(r);

  const std::string jwt = Ob3(Credential());
  const size_t d1 = jwt.find('.'), d2 = jwt.rfind('.');
  Json payload = Json::parse(Base64UrlDecode(jwt.substr(d1 + 1, d2 - d1 - 1)).value());
  payload["credentialSubject"]["creditsEarned"] = 40;
  r = Verify(jwt.substr(0, d1 + 1) + Base64UrlEncode(payload.dump()) + jwt.substr(d2));
  EXPECT_TRUE(r.HasReason(reason::kBadSignature)) << Reasons(r);
}

TEST_F(VerifierTest, RotatedKeyStillVerifiesWhatItSignedBefore) {
  // The bank rotates: key_ retired at 2025-03-01, a new key from then on.
  KeyRegistry rotated;
  VerificationKey old = Ed25519VerificationKey(vm_, "bank", key_.PublicKey());
  old.valid_until = ParseDateTimeStamp("2025-03-01T00:00:00Z", "").value();
  rotated.Add({did_}, old);
  const Ed25519Key fresh = Ed25519Key::Generate();
  rotated.Add({did_}, Ed25519VerificationKey(did_ + "#key-2", "bank", fresh.PublicKey()));

  VerificationResult r =
      VerifyCredential(Di(Credential(), "2025-01-02T00:00:00Z"), rotated, options_);
  EXPECT_TRUE(r.verified) << Reasons(r);
  r = VerifyCredential(Di(Credential(), "2025-04-02T00:00:00Z"), rotated, options_);
  EXPECT_TRUE(r.HasReason(reason::kBadSignature)) << Reasons(r);
  const std::string by_new =
      SecureDataIntegrity(Credential(), fresh, did_ + "#key-2", "2025-04-02T00:00:00Z")
          .value()
          .dump();
  r = VerifyCredential(by_new, rotated, options_);
  EXPECT_TRUE(r.verified) << Reasons(r);
}

TEST_F(VerifierTest, ValidityDates) {
  options_.now = ParseDateTimeStamp("2030-01-01T00:00:00Z", "").value();
  for (const std::string& input : {Di(Credential()), Jwt(Credential()), Ob3(Credential())}) {
    VerificationResult r = Verify(input);
    EXPECT_FALSE(r.verified);
    EXPECT_TRUE(r.HasReason(reason::kExpired)) << Reasons(r);
  }
  options_.now = ParseDateTimeStamp("2024-12-19T23:59:59Z", "").value();
  for (const std::string& input : {Di(Credential()), Jwt(Credential()), Ob3(Credential())}) {
    VerificationResult r = Verify(input);
    EXPECT_TRUE(r.HasReason(reason::kNotYetValid)) << Reasons(r);
    EXPECT_FALSE(r.HasReason(reason::kBadSignature)) << Reasons(r);
  }
  options_.now = ParseDateTimeStamp("2024-12-20T00:00:00Z", "").value();
  EXPECT_TRUE(Verify(Di(Credential())).verified);
}

TEST_F(VerifierTest, StatusFromADecodedList) {
  std::map<std::string, DecodedStatusList> lists;
  DecodedStatusList list;
  list.url = "https://bank.example/v1/status/1";
  list.issuer = did_;
  list.purpose = "revocation";
  list.bits.Set(8, true);
  lists[list.url] = list;
  options_.status_lists = &lists;

  VerificationResult active = Verify(Di(Credential(7)));
  EXPECT_TRUE(active.verified) << Reasons(active);
  EXPECT_EQ(active.status, CredentialState::kActive);
  EXPECT_TRUE(active.missing_status_lists.empty());
  VerificationResult revoked = Verify(Jwt(Credential(8)));
  EXPECT_FALSE(revoked.verified);
  EXPECT_EQ(revoked.status, CredentialState::kRevoked);
  EXPECT_TRUE(revoked.HasReason(reason::kRevoked));
  EXPECT_EQ(revoked.ToJson()["status"], "revoked");

  // A list of another issuer cannot speak for the bank's credentials.
  lists[list.url].issuer = "did:key:z6MkSomeoneElse";
  VerificationResult foreign = Verify(Di(Credential(8)));
  EXPECT_FALSE(foreign.verified);
  EXPECT_NE(foreign.status, CredentialState::kRevoked);
}

TEST_F(VerifierTest, SubjectAndAchievement) {
  options_.expected_subject = "urn:creditbank:learner:lrn_other";
  VerificationResult r = Verify(Di(Credential()));
  EXPECT_TRUE(r.HasReason(reason::kSubjectMismatch)) << Reasons(r);
  options_.expected_subject = "urn:creditbank:learner:lrn_7f3a9c";
  options_.achievement_known = [](std::string_view id) {
    return id.find("CS102") != std::string_view::npos;
  };
  r = Verify(Di(Credential()));
  EXPECT_FALSE(r.HasReason(reason::kSubjectMismatch));
  EXPECT_TRUE(r.HasReason(reason::kUnknownAchievement)) << Reasons(r);
  options_.achievement_known = [](std::string_view id) {
    return id.find("CS101") != std::string_view::npos;
  };
  r = Verify(Di(Credential()));
  EXPECT_TRUE(r.verified) << Reasons(r);
  EXPECT_EQ(r.checks.back(), "achievement");
}

TEST_F(VerifierTest, UnknownIssuer) {
  const Ed25519Key stranger = Ed25519Key::Generate();
  const std::string sdid = DidKeyFromEd25519(stranger.PublicKey());
  const std::string svm = DidKeyVerificationMethod(stranger.PublicKey());
  const Json cred = BuildOpenBadgeCredential(SampleRecord(), SampleContext(sdid, 1)).value();
  const std::string di = SecureDataIntegrity(cred, stranger, svm, "").value().dump();
  VerificationResult r = Verify(di);
  EXPECT_TRUE(r.HasReason(reason::kUnknownIssuer)) << Reasons(r);
  r = Verify(SecureVcJwt(cred, stranger, svm).value());
  EXPECT_TRUE(r.HasReason(reason::kUnknownIssuer)) << Reasons(r);
  // An RSA key embedded in the header is not trusted for being there.
  const RsaKey other = RsaKey::Generate();
  r = Verify(SecureOb3Jwt(Credential(), other, "").value());
  EXPECT_TRUE(r.HasReason(reason::kUnknownIssuer)) << Reasons(r);
  // The bank's key used under another issuer's name is no proof of that issuer.
  const Json forged = BuildOpenBadgeCredential(SampleRecord(), SampleContext(sdid, 1)).value();
  r = Verify(SecureDataIntegrity(forged, key_, vm_, "").value().dump());
  EXPECT_TRUE(r.HasReason(reason::kUnknownIssuer)) << Reasons(r);

  // The public verifier resolves any did:key offline.
  keys_.set_accept_any_did_key(true);
  r = Verify(di);
  EXPECT_TRUE(r.verified) << Reasons(r);
  EXPECT_EQ(r.key_owner, sdid);
  r = Verify(SecureDataIntegrity(forged, key_, vm_, "").value().dump());
  EXPECT_TRUE(r.HasReason(reason::kUnknownIssuer)) << Reasons(r);  // vm's DID != issuer
}

TEST_F(VerifierTest, InstitutionJwksAndPinnedDidWeb) {
  // An institution registered an RSA JWK (kid "k1") and an Ed25519 JWK (kid "e1").
  const Ed25519Key inst_ed = Ed25519Key::Generate();
  KeyRegistry inst;
  inst.Add({}, VerificationKeyFromJwk(BankRsa().PublicKey().Jwk("k1"), "tsinghua").value());
  inst.Add({},
           VerificationKeyFromJwk(Ed25519PublicJwk(inst_ed.PublicKey(), "e1"), "tsinghua").value());
  Json cred = Credential();
  cred["issuer"] = {
      {"id", "https://www.tsinghua.edu.cn/issuers/1"}, {"type", {"Profile"}}, {"name", "x"}};
  VerificationResult r =
      VerifyCredential(SecureOb3Jwt(cred, BankRsa(), "k1").value(), inst, options_);
  EXPECT_TRUE(r.verified) << Reasons(r);
  EXPECT_EQ(r.key_owner, "tsinghua");
  r = VerifyCredential(SecureOb3Jwt(cred, BankRsa(), "").value(), inst, options_);  // by thumbprint
  EXPECT_TRUE(r.verified) << Reasons(r);
  const std::string di =
      SecureDataIntegrity(cred, inst_ed, "https://www.tsinghua.edu.cn/issuers/1#e1", "")
          .value()
          .dump();
  r = VerifyCredential(di, inst, options_);
  EXPECT_TRUE(r.verified) << Reasons(r);

  // did:web only from a pinned document.
  const std::string web = "did:web:bank.example";
  Json webcred = Credential();
  webcred["issuer"]["id"] = web;
  const std::string signed_web =
      SecureDataIntegrity(webcred, key_, web + "#key-1", "").value().dump();
  KeyRegistry none;
  none.set_accept_any_did_key(true);
  EXPECT_TRUE(VerifyCredential(signed_web, none, options_).HasReason(reason::kUnknownIssuer));
  KeyRegistry pinned;
  ASSERT_TRUE(
      pinned.PinDidDocument(DidWebDocument(web, {{"key-1", key_.PublicKey()}}), "bank").ok());
  r = VerifyCredential(signed_web, pinned, options_);
  EXPECT_TRUE(r.verified) << Reasons(r);
  Json doc = DidWebDocument(web, {{"key-1", key_.PublicKey()}});
  doc["assertionMethod"] = Json::array({"did:web:evil.example#key-1"});
  EXPECT_FALSE(KeyRegistry().PinDidDocument(doc, "x").ok());
}

TEST_F(VerifierTest, MalformedInputNamesTheProblem) {
  for (
      const std::string& bad :
      {std::string(""), std::string("{"), std::string("[]"), std::string("{}"),
       std::string("a.b.c"), std::string("not a credential"),
       std::string(
           R"({"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x","credentialSubject":{},"credentialSubject":{}})")}) {
    VerificationResult r = Verify(bad);
    EXPECT_FALSE(r.verified) << bad;
    EXPECT_TRUE(r.HasReason(reason::kMalformed)) << bad << " " << Reasons(r);
  }
  Json c = Credential();
  c["validFrom"] = "2024-12-20";
  VerificationResult r = Verify(SecureDataIntegrity(c, key_, vm_, "").value().dump());
  EXPECT_TRUE(r.HasReason(reason::kMalformed));
  EXPECT_EQ(r.errors[0].pointer, "/validFrom") << Reasons(r);
  options_.max_input_bytes = 100;
  EXPECT_TRUE(Verify(Di(Credential())).HasReason(reason::kMalformed));
}

// A parser's message quotes the bytes it stopped at; the result must still write as JSON
// (found by fuzz_credential).
TEST_F(VerifierTest, InvalidUtf8InTheInputStillGivesAJsonResult) {
  const VerificationResult r = Verify("{\"id\":\"htt\x8b\xe5\xba\x8f\"}");
  EXPECT_TRUE(r.HasReason(reason::kMalformed));
  EXPECT_NO_THROW(r.ToJson().dump());
  const VerificationResult jws = Verify("eyJhbGciOiJFZERTQSJ9.\xff\xfe.c2ln");
  EXPECT_NO_THROW(jws.ToJson().dump());
}

// did:web method-specific ids (W3C did:web §3.2): the port's ':' percent-encoded, path
// segments ':'-separated after the host.
TEST(DidWebFromUrlTest, HostPortAndPath) {
  EXPECT_EQ(*DidWebFromUrl("https://bank.example"), "did:web:bank.example");
  EXPECT_EQ(*DidWebFromUrl("https://bank.example/"), "did:web:bank.example");
  EXPECT_EQ(*DidWebFromUrl("https://h.example:8443/cb"), "did:web:h.example%3A8443:cb");
  EXPECT_EQ(*DidWebFromUrl("https://h.example/a/b"), "did:web:h.example:a:b");
  EXPECT_EQ(DidWebFromUrl("http://h.example").status().pointer(), "/public_url");
  EXPECT_EQ(DidWebFromUrl("https:///x").status().pointer(), "/public_url");
}

}  // namespace
}  // namespace lcb::vc
