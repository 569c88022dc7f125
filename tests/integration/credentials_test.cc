// Portable credentials over HTTP, end to end on a real server: the issuer keys and documents,
// a record's credential in three forms verified by vc/verifier against the keys the server
// publishes (not the server's own registry), status lists that follow revocations, the
// verification endpoints, and the CLR transcript.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "crypto/ed25519.h"
#include "crypto/jws.h"
#include "tests/integration/test_server.h"
#include "vc/keys.h"
#include "vc/status_list.h"
#include "vc/time.h"
#include "vc/verifier.h"

namespace lcb::testing {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(dir_.path());
    cat_.Load(*server_);
  }

  std::string PostRecord(const std::string& learner, const std::string& unit,
                         const std::string& ref, uint64_t* leaf = nullptr) {
    json r = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                               cat_.Record(learner, unit, ref), 201);
    if (leaf) *leaf = r["records"][0]["leaf_index"];
    return r["records"][0].value("id", "");
  }

  // The keys a verifier learns from the server's public documents alone.
  vc::KeyRegistry PublishedKeys() {
    json issuer = server_->CallJson("GET", "/v1/credentials/issuer", "", nullptr, 200);
    vc::KeyRegistry keys;
    EXPECT_TRUE(keys.AddDidKey(issuer["id"].get<std::string>(), "bank").ok());
    json jwks = json::parse(server_->Call("GET", "/.well-known/jwks.json").body);
    for (const json& jwk : jwks["keys"]) {
      if (jwk["kty"] != "RSA") continue;
      auto key = vc::VerificationKeyFromJwk(jwk, "bank");
      EXPECT_TRUE(key.ok()) << key.status().ToString();
      keys.Add({issuer["id"].get<std::string>()}, *key);
    }
    return keys;
  }

  // GET /v1/status/0, its proof checked with `keys`, decoded.
  vc::DecodedStatusList FetchStatusList(const vc::KeyRegistry& keys) {
    ClientResponse r = server_->Call("GET", "/v1/status/0");
    EXPECT_EQ(r.status, 200) << r.body;
    vc::VerifyOptions options;
    options.now = vc::NowSeconds();
    vc::VerificationResult v = vc::VerifyCredential(r.body, keys, options);
    EXPECT_TRUE(v.verified) << v.ToJson().dump();
    auto decoded = vc::DecodeStatusListCredential(json::parse(r.body));
    EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
    return std::move(decoded).value();
  }

  vc::VerificationResult VerifyOffline(const std::string& credential, const vc::KeyRegistry& keys) {
    std::map<std::string, vc::DecodedStatusList> lists;
    vc::DecodedStatusList list = FetchStatusList(keys);
    lists.emplace(list.url, list);
    vc::VerifyOptions options;
    options.now = vc::NowSeconds();
    options.status_lists = &lists;
    return vc::VerifyCredential(credential, keys, options);
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
};

TEST_F(CredentialsTest, IssuerKeysAreCreatedOnceWith0600AndPublished) {
  json issuer = server_->CallJson("GET", "/v1/credentials/issuer", "", nullptr, 200);
  const std::string did = issuer["id"];
  EXPECT_TRUE(did.starts_with("did:key:z6Mk")) << did;
  EXPECT_EQ(issuer["verification_method"], did + "#" + did.substr(8));
  EXPECT_EQ(issuer["did_document"]["id"], did);
  EXPECT_EQ(issuer["keys"].size(), 1u);
  for (const char* file : {"/credential_key.pem", "/credential_rsa_key.pem"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir_.path() + file).c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
  }
  // The credential key is not the log key.
  json log_key = server_->CallJson("GET", "/v1/log/key", "", nullptr, 200);
  EXPECT_EQ(log_key.dump().find(issuer["public_key_multibase"].get<std::string>()),
            std::string::npos);
  ClientResponse jwks = server_->Call("GET", "/.well-known/jwks.json");
  EXPECT_EQ(jwks.status, 200);
  EXPECT_EQ(jwks.headers["content-type"], "application/jwk-set+json");
  EXPECT_EQ(json::parse(jwks.body), issuer["jwks"]);
  std::set<std::string> kty;
  for (const json& k : issuer["jwks"]["keys"]) kty.insert(k["kty"].get<std::string>());
  EXPECT_EQ(kty, (std::set<std::string>{"OKP", "RSA"}));
  // No public_url: no did:web.
  EXPECT_EQ(server_->Call("GET", "/.well-known/did.json").status, 404);

  // A restart loads the same keys; with an https public_url the did:web document lists them.
  server_.reset();
  server_ = std::make_unique<TestServer>(
      dir_.path(),
      std::map<std::string, std::string>{{"public_url", "https://bank.example:8443/cb"}});
  json again = server_->CallJson("GET", "/v1/credentials/issuer", "", nullptr, 200);
  EXPECT_EQ(again["id"], did);
  EXPECT_EQ(again["keys"].size(), 1u);
  EXPECT_EQ(again["did_web"], "did:web:bank.example%3A8443:cb");
  ClientResponse web = server_->Call("GET", "/.well-known/did.json");
  ASSERT_EQ(web.status, 200) << web.body;
  json doc = json::parse(web.body);
  EXPECT_EQ(doc["id"], "did:web:bank.example%3A8443:cb");
  EXPECT_EQ(doc["verificationMethod"][0]["publicKeyMultibase"], again["public_key_multibase"]);
}

TEST_F(CredentialsTest, RecordCredentialInEveryFormVerifiesAgainstPublishedKeys) {
  uint64_t leaf = 0;
  const std::string id = PostRecord(cat_.learner_a, "tsinghua:CS101", "CRED-1", &leaf);
  const vc::KeyRegistry keys = PublishedKeys();
  const std::string base = "/v1/records/" + id + "/credential";

  ClientResponse di = server_->Call("GET", base, cat_.learner_a_token);
  ASSERT_EQ(di.status, 200) << di.body;
  EXPECT_EQ(di.headers["content-type"], "application/vc");
  json cred = json::parse(di.body);
  EXPECT_EQ(cred["type"], json::array({"VerifiableCredential", "OpenBadgeCredential"}));
  EXPECT_EQ(cred["credentialSubject"]["id"], "urn:creditbank:learner:" + cat_.learner_a);
  EXPECT_EQ(cred["credentialSubject"]["creditsEarned"], 4);
  EXPECT_EQ(cred["credentialSubject"]["achievement"]["name"], "程序设计基础");
  EXPECT_EQ(cred["validFrom"], "2024-06-30T00:00:00Z");
  EXPECT_EQ(cred["credentialStatus"]["statusListIndex"], std::to_string(leaf));
  EXPECT_EQ(cred["credentialStatus"]["statusListCredential"], server_->url() + "/v1/status/0");
  EXPECT_EQ(cred["proof"]["cryptosuite"], "eddsa-jcs-2022");
  vc::VerificationResult v = VerifyOffline(di.body, keys);
  EXPECT_TRUE(v.verified) << v.ToJson().dump();
  EXPECT_EQ(v.status, vc::CredentialState::kActive);

  struct Case {
    std::string format, media_type;
    vc::CredentialFormat parsed;
  };
  for (const Case& c : {Case{"jwt", "application/vc+jwt", vc::CredentialFormat::kVcJwt},
                        Case{"ob3-jwt", "application/jwt", vc::CredentialFormat::kOb3Jwt}}) {
    ClientResponse r = server_->Call("GET", base + "?format=" + c.format, cat_.tsinghua_token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["content-type"], c.media_type);
    vc::VerificationResult jv = VerifyOffline(r.body, keys);
    EXPECT_TRUE(jv.verified) << c.format << ": " << jv.ToJson().dump();
    EXPECT_EQ(jv.format, c.parsed);
    EXPECT_EQ(jv.credential["credentialSubject"]["creditsEarned"], 4);
    // One byte changed in the payload: the signature fails.
    std::string tampered = r.body;
    const size_t at = tampered.find('.') + 12;
    tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(VerifyOffline(tampered, keys).verified) << c.format;
  }

  // A holder DID becomes the subject.
  json held = json::parse(
      server_->Call("GET", base + "?holder=did:example:holder-1", cat_.learner_a_token).body);
  EXPECT_EQ(held["credentialSubject"]["id"], "did:example:holder-1");
}

// A record's credential is signed once and then served as it is (the same bytes, whoever asks),
// until the catalog changes what it says of the record; revoking the record changes its status
// list, not its credential.
TEST_F(CredentialsTest, ACredentialIsKeptUntilTheCatalogChanges) {
  const std::string id = PostRecord(cat_.learner_a, "tsinghua:CS101", "KEPT-1");
  const vc::KeyRegistry keys = PublishedKeys();
  const std::string base = "/v1/records/" + id + "/credential";
  ClientResponse first = server_->Call("GET", base, cat_.learner_a_token);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(server_->Call("GET", base, cat_.learner_a_token).body, first.body);
  EXPECT_EQ(server_->Call("GET", base, cat_.tsinghua_token).body, first.body);
  // Another form or another holder is its own credential.
  ClientResponse held = server_->Call("GET", base + "?holder=did:example:h", cat_.learner_a_token);
  EXPECT_NE(held.body, first.body);
  EXPECT_EQ(json::parse(held.body)["credentialSubject"]["id"], "did:example:h");
  EXPECT_NE(server_->Call("GET", base + "?format=jwt", cat_.learner_a_token).body, first.body);
  // Those who may not read the record still may not.
  EXPECT_EQ(server_->Call("GET", base, cat_.learner_b_token).status, 404);

  // The unit is renamed: the next credential says so, and verifies.
  server_->CallJson("PUT", "/v1/units/tsinghua:CS101", server_->admin_token(),
                    {{"title", "程序设计基础（第二版）"}, {"kind", "degree_course"}, {"credits", 4},
                     {"level", 6}, {"field", "0613"}},
                    200);
  ClientResponse renamed = server_->Call("GET", base, cat_.learner_a_token);
  ASSERT_EQ(renamed.status, 200);
  EXPECT_EQ(json::parse(renamed.body)["credentialSubject"]["achievement"]["name"],
            "程序设计基础（第二版）");
  EXPECT_TRUE(VerifyOffline(renamed.body, keys).verified);

  // Revoked: the kept credential is the same, and now verifies as revoked.
  server_->CallJson("POST", "/v1/records/" + id + "/revoke", cat_.tsinghua_token,
                    {{"reason", "entered twice"}}, 200);
  ClientResponse after = server_->Call("GET", base, cat_.learner_a_token);
  EXPECT_EQ(after.body, renamed.body);
  vc::VerificationResult v = VerifyOffline(after.body, keys);
  EXPECT_EQ(v.status, vc::CredentialState::kRevoked) << v.ToJson().dump();
}

// A credential bound to a holder DID says the DID's controller is the learner. An outside review
// had an auditor (and an issuer) get bank-signed credentials naming a DID of its own choosing; now
// only the learner names a holder, and everyone else who may read the record gets it unbound.
TEST_F(CredentialsTest, OnlyTheLearnerBindsACredentialToAHolder) {
  const std::string id = PostRecord(cat_.learner_a, "tsinghua:CS101", "CRED-HOLDER");
  const std::string a = cat_.learner_a;
  // Granted, so that the issuer reads the transcript too.
  server_->CallJson("POST", "/v1/learners/" + a + "/grants", cat_.learner_a_token,
                    {{"institution", "tsinghua"}}, 201);
  for (const std::string& target :
       {"/v1/records/" + id + "/credential?holder=did:example:mine",
        "/v1/records/" + id + "/credential?format=jwt&holder=did:example:mine",
        "/v1/learners/" + a + "/transcript?format=clr&holder=did:example:mine"}) {
    for (const std::string* token : {&cat_.auditor_token, &cat_.tsinghua_token}) {
      ClientResponse r = server_->Call("GET", target, *token);
      EXPECT_EQ(r.status, 403) << target << ": " << r.body;
      EXPECT_EQ(json::parse(r.body).value("pointer", ""), "/holder") << target;
    }
    EXPECT_EQ(server_->Call("GET", target, cat_.learner_a_token).status, 200) << target;
  }
  // Without a holder the auditor still reads the record's credential.
  EXPECT_EQ(server_->Call("GET", "/v1/records/" + id + "/credential", cat_.auditor_token).status,
            200);
}

TEST_F(CredentialsTest, BadRequestsNameTheField) {
  const std::string id = PostRecord(cat_.learner_a, "tsinghua:CS101", "CRED-BAD");
  const std::string base = "/v1/records/" + id + "/credential";
  for (const auto& [query, pointer] :
       std::vector<std::pair<std::string, std::string>>{{"?format=xml", "/format"},
                                                        {"?format=", "/format"},
                                                        {"?holder=not-a-did", "/holder"},
                                                        {"?holder=did:example:", "/holder"},
                                                        {"?holder=did:Ex:1", "/holder"},
                                                        {"?holder=did:example:a%20b", "/holder"}}) {
    ClientResponse r = server_->Call("GET", base + query, cat_.learner_a_token);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json");
    EXPECT_EQ(json::parse(r.body).value("pointer", ""), pointer) << query;
  }
  EXPECT_EQ(server_->Call("GET", "/v1/records/rec_nope/credential", cat_.learner_a_token).status,
            404);
  EXPECT_EQ(server_->Call("GET", base, cat_.learner_b_token).status, 404);
  for (const char* list : {"/v1/status/1", "/v1/status/abc", "/v1/status/00", "/v1/status/-1",
                           "/v1/status/99999999999999999999"}) {
    EXPECT_EQ(server_->Call("GET", list).status, 404) << list;
  }
  ClientResponse empty = server_->Call("POST", "/v1/credentials/verify", "", "  ");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(json::parse(empty.body).value("pointer", ""), "/body");
  for (const auto& [body, pointer] : std::vector<std::pair<std::string, std::string>>{
           {R"({})", "/verifiableCredential"},
           {R"({"verifiableCredential": 5})", "/verifiableCredential"},
           {R"({"verifiableCredential": {}, "extra": 1})", "/extra"},
           {R"({"verifiableCredential": {}, "options": []})", "/options"},
           {R"({"verifiableCredential": {}, "options": {"checks": [1]}})", "/options/checks/0"}}) {
    ClientResponse r = server_->Call("POST", "/vc-api/credentials/verify", "", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json") << body;
    EXPECT_EQ(json::parse(r.body).value("pointer", ""), pointer) << body;
  }
}

TEST_F(CredentialsTest, StatusListFollowsRevocationsAndIndexesNeverMove) {
  uint64_t leaf = 0;
  const std::string id = PostRecord(cat_.learner_a, "tsinghua:CS101", "CRED-REV", &leaf);
  const vc::KeyRegistry keys = PublishedKeys();
  const std::string di =
      server_->Call("GET", "/v1/records/" + id + "/credential", cat_.learner_a_token).body;
  EXPECT_FALSE(FetchStatusList(keys).bits.Get(leaf));
  ClientResponse before = server_->Call("GET", "/v1/status/0");
  EXPECT_EQ(before.headers["cache-control"], "public, max-age=60");
  const std::string etag = before.headers["etag"];
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(server_->Call("GET", "/v1/status/0", "", "", {{"If-None-Match", etag}}).status, 304);

  // More records, then the revocation: the list shows it at once, the index is the same.
  PostRecord(cat_.learner_a, "tsinghua:MA101", "CRED-REV-2");
  server_->CallJson("POST", "/v1/records/" + id + "/revoke", cat_.tsinghua_token,
                    {{"reason", "test"}}, 200);
  vc::DecodedStatusList after = FetchStatusList(keys);
  EXPECT_TRUE(after.bits.Get(leaf));
  size_t set = 0;
  for (size_t i = 0; i < after.bits.size(); ++i) set += after.bits.Get(i);
  EXPECT_EQ(set, 1u);
  ClientResponse changed = server_->Call("GET", "/v1/status/0", "", "", {{"If-None-Match", etag}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(changed.headers["etag"], etag);

  // The credential issued before the revocation now verifies as revoked, here and offline.
  vc::VerificationResult offline = VerifyOffline(di, keys);
  EXPECT_FALSE(offline.verified);
  EXPECT_EQ(offline.status, vc::CredentialState::kRevoked);
  json served = server_->CallJson("POST", "/v1/credentials/verify", "", json::parse(di), 200);
  EXPECT_EQ(served["verified"], false);
  EXPECT_EQ(served["status"], "revoked");
  json reissued = json::parse(
      server_->Call("GET", "/v1/records/" + id + "/credential", cat_.learner_a_token).body);
  EXPECT_EQ(reissued["credentialStatus"]["statusListIndex"], std::to_string(leaf));
}

TEST_F(CredentialsTest, VerifyEndpointsCheckProofIssuerAndStatus) {
  const std::string id = PostRecord(cat_.learner_a, "tsinghua:CS101", "CRED-VER");
  const std::string base = "/v1/records/" + id + "/credential";
  const std::string di = server_->Call("GET", base, cat_.learner_a_token).body;
  json ok = server_->CallJson("POST", "/v1/credentials/verify", "", json::parse(di), 200);
  EXPECT_EQ(ok["verified"], true) << ok.dump();
  EXPECT_EQ(ok["format"], "di");
  EXPECT_EQ(ok["status"], "active");
  const std::string jwt = server_->Call("GET", base + "?format=ob3-jwt", cat_.learner_a_token).body;
  json ok_jwt = json::parse(server_->Call("POST", "/v1/credentials/verify", "", jwt).body);
  EXPECT_EQ(ok_jwt["verified"], true) << ok_jwt.dump();
  EXPECT_EQ(ok_jwt["format"], "ob3-jwt");

  json tampered = json::parse(di);
  tampered["credentialSubject"]["creditsEarned"] = 40;
  json bad = server_->CallJson("POST", "/v1/credentials/verify", "", tampered, 200);
  EXPECT_EQ(bad["verified"], false);
  EXPECT_EQ(bad["errors"][0]["reason"], "bad_signature") << bad.dump();

  json vcapi = server_->CallJson(
      "POST", "/vc-api/credentials/verify", "",
      {{"verifiableCredential", json::parse(di)}, {"options", {{"checks", {"proof"}}}}}, 200);
  EXPECT_EQ(vcapi["verified"], true);
  EXPECT_TRUE(vcapi["warnings"].is_array());
  json vcapi_bad = server_->CallJson("POST", "/vc-api/credentials/verify", "",
                                     {{"verifiableCredential", tampered}}, 400);
  EXPECT_EQ(vcapi_bad["verified"], false);
  // An undefined term is what a JSON-LD processor in safe mode rejects.
  json undefined = json::parse(di);
  undefined["credentialSubject"]["favoriteColor"] = "blue";
  json vcapi_undefined = server_->CallJson("POST", "/vc-api/credentials/verify", "",
                                           {{"verifiableCredential", undefined}}, 400);
  bool pointed = false;
  for (const json& e : vcapi_undefined["errors"]) {
    pointed |= e.value("pointer", "") == "/credentialSubject/favoriteColor";
  }
  EXPECT_TRUE(pointed) << vcapi_undefined.dump();
}

TEST_F(CredentialsTest, ClrTranscriptEmbedsEveryActiveRecord) {
  const std::string r1 = PostRecord(cat_.learner_a, "tsinghua:CS101", "CLR-1");
  const std::string r2 = PostRecord(cat_.learner_a, "tsinghua:MA101", "CLR-2");
  const std::string r3 = PostRecord(cat_.learner_a, "tsinghua:MA101", "CLR-3");
  server_->CallJson("POST", "/v1/records/" + r3 + "/revoke", cat_.tsinghua_token, json::object(),
                    200);
  // A failing grade achieved nothing: not in the CLR, and its own credential earns 0 credits.
  const std::string r4 = server_->CallJson(
      "POST", "/v1/records", cat_.tsinghua_token,
      cat_.Record(cat_.learner_a, "tsinghua:MA101", "CLR-4", "40"), 201)["records"][0]["id"];
  json failed = server_->CallJson("GET", "/v1/records/" + r4 + "/credential", cat_.learner_a_token,
                                  nullptr, 200);
  EXPECT_EQ(failed["credentialSubject"]["creditsEarned"], 0) << failed.dump();
  json passed = server_->CallJson("GET", "/v1/records/" + r2 + "/credential", cat_.learner_a_token,
                                  nullptr, 200);
  EXPECT_EQ(passed["credentialSubject"]["creditsEarned"], 5);
  const std::string path = "/v1/learners/" + cat_.learner_a + "/transcript?format=clr";
  ClientResponse r = server_->Call("GET", path, cat_.learner_a_token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/vc");
  json clr = json::parse(r.body);
  EXPECT_EQ(clr["type"], json::array({"VerifiableCredential", "ClrCredential"}));
  std::set<std::string> embedded;
  for (const json& c : clr["credentialSubject"]["verifiableCredential"]) {
    embedded.insert(c["id"].get<std::string>());
  }
  EXPECT_EQ(embedded,
            (std::set<std::string>{server_->url() + "/v1/records/" + r1 + "/credential",
                                   server_->url() + "/v1/records/" + r2 + "/credential"}));
  const vc::KeyRegistry keys = PublishedKeys();
  vc::VerifyOptions options;
  options.now = vc::NowSeconds();
  vc::VerificationResult v = vc::VerifyCredential(r.body, keys, options);
  EXPECT_TRUE(v.verified) << v.ToJson().dump();
  for (const json& c : clr["credentialSubject"]["verifiableCredential"]) {
    EXPECT_TRUE(VerifyOffline(c.dump(), keys).verified);
  }
  EXPECT_EQ(server_->Call("GET", path, cat_.auditor_token).status, 200);
  EXPECT_EQ(server_->Call("GET", path, cat_.learner_b_token).status, 404);
  EXPECT_EQ(server_
                ->Call("GET", "/v1/learners/" + cat_.learner_b + "/transcript?format=clr",
                       cat_.learner_b_token)
                .status,
            404);  // no active record
  ClientResponse bad = server_->Call(
      "GET", "/v1/learners/" + cat_.learner_a + "/transcript?format=docx", cat_.learner_a_token);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body).value("pointer", ""), "/format");
}

// Replacing the key file rotates the credential key: a new did:key signs from then on, the
// old key stays in the history with its validity closed, and what it signed still verifies
// (status included: the bank's lists cover its older identifiers).
TEST_F(CredentialsTest, RotatedKeyKeepsVerifyingWhatItSigned) {
  // A stable public_url: status list URLs must not change with the ephemeral port.
  const std::map<std::string, std::string> flags = {{"public_url", "http://bank.test"}};
  server_.reset();
  server_ = std::make_unique<TestServer>(dir_.path(), flags);
  const std::string id = PostRecord(cat_.learner_a, "tsinghua:CS101", "CRED-ROT");
  const std::string path = "/v1/records/" + id + "/credential";
  const std::string old_di = server_->Call("GET", path, cat_.learner_a_token).body;
  const std::string old_jwt = server_->Call("GET", path + "?format=jwt", cat_.learner_a_token).body;
  const std::string old_did =
      server_->CallJson("GET", "/v1/credentials/issuer", "", nullptr, 200)["id"];
  server_.reset();
  ASSERT_TRUE(std::filesystem::remove(dir_.path() + "/credential_key.pem"));
  if (TestOnPostgres()) {
    // On a shared store a node never makes a key once the bank has one: the operator puts the
    // new key in place.
    ASSERT_TRUE(Ed25519Key::Generate().SavePem(dir_.path() + "/credential_key.pem").ok());
  }
  server_ = std::make_unique<TestServer>(dir_.path(), flags);
  json issuer = server_->CallJson("GET", "/v1/credentials/issuer", "", nullptr, 200);
  EXPECT_NE(issuer["id"], old_did);
  ASSERT_EQ(issuer["keys"].size(), 2u);
  EXPECT_EQ("did:key:" + issuer["keys"][0]["multikey"].get<std::string>(), old_did);
  EXPECT_TRUE(issuer["keys"][0].contains("valid_until"));
  EXPECT_FALSE(issuer["keys"][1].contains("valid_until"));
  for (const std::string& old : {old_di, old_jwt}) {
    json v = json::parse(server_->Call("POST", "/v1/credentials/verify", "", old).body);
    EXPECT_EQ(v["verified"], true) << v.dump();
    EXPECT_EQ(v["status"], "active") << v.dump();
  }
  json fresh = json::parse(server_->Call("GET", path, cat_.learner_a_token).body);
  EXPECT_EQ(fresh["issuer"]["id"], issuer["id"]);
}

TEST_F(CredentialsTest, VcApiIssueSignsOnlyTheBanksCredentialsWhenEnabled) {
  const std::string did =
      server_->CallJson("GET", "/v1/credentials/issuer", "", nullptr, 200)["id"];
  const json v2 = {{"@context", {"https://www.w3.org/ns/credentials/v2"}},
                   {"type", {"VerifiableCredential"}},
                   {"issuer", did},
                   {"credentialSubject", {{"id", "did:example:subject"}}}};
  // Disabled by default: the endpoint does not exist for anyone.
  server_->CallJson("POST", "/vc-api/credentials/issue", server_->admin_token(),
                    {{"credential", v2}}, 404);
  server_.reset();
  server_ = std::make_unique<TestServer>(
      dir_.path(), std::map<std::string, std::string>{{"vc_api_issue", "true"}});
  const std::string admin = server_->admin_token();
  json issued = server_->CallJson("POST", "/vc-api/credentials/issue", admin,
                                  {{"credential", v2}, {"options", json::object()}}, 201);
  const json& signed_vc = issued["verifiableCredential"];
  EXPECT_EQ(signed_vc["proof"]["cryptosuite"], "eddsa-jcs-2022");
  EXPECT_EQ(signed_vc["proof"]["verificationMethod"], did + "#" + did.substr(8));
  json verified = server_->CallJson("POST", "/vc-api/credentials/verify", "",
                                    {{"verifiableCredential", signed_vc}}, 200);
  EXPECT_EQ(verified["verified"], true) << verified.dump();
  // VC 1.1, issuer as an object.
  json v1 = {{"@context", {"https://www.w3.org/2018/credentials/v1"}},
             {"type", {"VerifiableCredential"}},
             {"issuer", {{"id", did}}},
             {"issuanceDate", "2024-01-01T00:00:00Z"},
             {"credentialSubject", {{"id", "did:example:subject"}}}};
  server_->CallJson("POST", "/vc-api/credentials/issue", admin, {{"credential", v1}}, 201);

  json other = v2;
  other["issuer"] = "did:example:someone-else";
  json refused =
      server_->CallJson("POST", "/vc-api/credentials/issue", admin, {{"credential", other}}, 422);
  EXPECT_EQ(refused.value("pointer", ""), "/credential/issuer");
  json undefined = v2;
  undefined["credentialSubject"]["favoriteColor"] = "blue";
  json unsafe = server_->CallJson("POST", "/vc-api/credentials/issue", admin,
                                  {{"credential", undefined}}, 400);
  EXPECT_EQ(unsafe.value("pointer", ""), "/credential/credentialSubject/favoriteColor");
  for (const auto& [body, pointer] :
       std::vector<std::pair<json, std::string>>{{{{"credential", signed_vc}}, "/credential/proof"},
                                                 {{{"credential", "text"}}, "/credential"},
                                                 {json::object(), "/credential"},
                                                 {{{"credential", v2}, {"options", 1}}, "/options"},
                                                 {{{"credential", v2}, {"extra", 1}}, "/extra"}}) {
    json p = server_->CallJson("POST", "/vc-api/credentials/issue", admin, body, 400);
    EXPECT_EQ(p.value("pointer", ""), pointer) << body.dump();
  }
  server_->CallJson("POST", "/vc-api/credentials/issue", server_->NewToken("auditor"),
                    {{"credential", v2}}, 403);
}

}  // namespace
}  // namespace lcb::testing
