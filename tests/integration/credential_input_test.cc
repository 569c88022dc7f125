// Credentials as input (POST /v1/learners/{id}/credentials) on a real server: an Open Badges
// 3.0 credential signed here with an Ed25519 key registered as an institution's public_key is
// stored once as that institution's record with source "credential"; every refusal is a 422
// with its reason code and stores nothing.
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/jcs.h"
#include "crypto/jws.h"
#include "crypto/multikey.h"
#include "crypto/rsa.h"
#include "crypto/sha256.h"
#include "tests/integration/scripted_server.h"
#include "tests/integration/test_server.h"
#include "vc/open_badge.h"
#include "vc/securing.h"
#include "vc/status_list.h"
#include "vc/time.h"

namespace lcb::testing {
namespace {

constexpr char kKid[] = "tsinghua-badges-2026";
constexpr char kIssuerUrl[] = "https://badges.tsinghua.example/issuer";
constexpr char kPython[] = "https://badges.tsinghua.example/achievements/python";

class CredentialInputTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(dir_.path()); }
  void Start(const std::string& dir, std::map<std::string, std::string> config = {}) {
    server_ = std::make_unique<TestServer>(dir, std::move(config));
    cat_ = Catalog();
    cat_.Load(*server_);
    const std::string& admin = server_->admin_token();
    server_->CallJson("PUT", "/v1/institutions/tsinghua", admin,
                      {{"name", "清华大学"},
                       {"kind", "university"},
                       {"public_keys", json::array({Ed25519PublicJwk(key_.PublicKey(), kKid)})}},
                      200);
    server_->CallJson("PUT", "/v1/units/tsinghua:PY1", admin,
                      {{"title", "Python 程序设计"},
                       {"kind", "skill_certificate"},
                       {"credits", 2},
                       {"level", 5},
                       {"field", "0613"},
                       {"aligned_achievements", json::array({kPython})}},
                      200);
  }

  // An unsigned OpenBadgeCredential for `learner` and `achievement`.
  json Badge(const std::string& learner, const std::string& achievement = kPython,
             const std::string& valid_until = "") const {
    json c = {{"@context", {vc::kVcV2Context, vc::kOb303Context}},
              {"id", "urn:uuid:" + HexEncode(RandomBytes(16))},
              {"type", {"VerifiableCredential", "OpenBadgeCredential"}},
              {"issuer", {{"id", kIssuerUrl}, {"type", {"Profile"}}, {"name", "清华大学"}}},
              {"name", "Python"},
              {"validFrom", "2025-06-30T08:00:00Z"},
              {"credentialSubject",
               {{"id", "urn:creditbank:learner:" + learner},
                {"type", {"AchievementSubject"}},
                {"achievement",
                 {{"id", achievement},
                  {"type", {"Achievement"}},
                  {"name", "Python"},
                  {"description", "Python programming"},
                  {"criteria", {{"narrative", "Passed the final exam"}}}}}}}};
    if (!valid_until.empty()) c["validUntil"] = valid_until;
    return c;
  }

  std::string SignDi(const json& credential, const Ed25519Key& key,
                     const std::string& kid = kKid) const {
    auto secured = vc::SecureDataIntegrity(credential, key, std::string(kIssuerUrl) + "#" + kid,
                                           "2025-06-30T08:00:00Z");
    EXPECT_TRUE(secured.ok()) << secured.status().ToString();
    return secured->dump();
  }
  std::string Di(const json& credential) const { return SignDi(credential, key_); }

  // The OB 3.0 JWT profile signed EdDSA: the credential plus iss/jti/sub/nbf claims.
  std::string Ob3Jwt(const json& credential) const {
    json payload = credential;
    payload["iss"] = kIssuerUrl;
    payload["jti"] = credential["id"];
    payload["sub"] = credential["credentialSubject"]["id"];
    payload["nbf"] = 1751270400;  // 2025-06-30T08:00:00Z
    return SignCompactJws(json{{"typ", "JWT"}, {"kid", kKid}}, payload.dump(), key_);
  }

  ClientResponse Present(const std::string& learner, const std::string& token,
                         const std::string& body) {
    return server_->Call("POST", "/v1/learners/" + learner + "/credentials", token, body);
  }
  size_t RecordCount(const std::string& learner) {
    json r = server_->CallJson(
        "GET", "/v1/learners/" + learner + "/records",
        cat_.learner_a == learner ? cat_.learner_a_token : cat_.learner_b_token, nullptr, 200);
    return r["records"].size();
  }
  // 422 with `reason`, and nothing stored for either learner nor appended to the log.
  void ExpectRefused(const std::string& body, const std::string& reason) {
    const uint64_t size = server_->ledger().Size();
    const size_t a = RecordCount(cat_.learner_a), b = RecordCount(cat_.learner_b);
    ClientResponse r = Present(cat_.learner_a, cat_.learner_a_token, body);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json");
    EXPECT_EQ(json::parse(r.body, nullptr, false).value("reason", ""), reason) << r.body;
    EXPECT_EQ(server_->ledger().Size(), size);
    EXPECT_EQ(RecordCount(cat_.learner_a), a);
    EXPECT_EQ(RecordCount(cat_.learner_b), b);
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
  Ed25519Key key_ = Ed25519Key::Generate();
};

TEST_F(CredentialInputTest, AcceptedOnceAsTheInstitutionsRecordAndCountsInThePassbook) {
  const std::string body = Di(Badge(cat_.learner_a));
  ClientResponse r = Present(cat_.learner_a, cat_.learner_a_token, body);
  ASSERT_EQ(r.status, 201) << r.body;
  json out = json::parse(r.body);
  EXPECT_EQ(out["issuer"], "tsinghua");
  EXPECT_EQ(out["unit"], "tsinghua:PY1");
  EXPECT_EQ(out["source"], "credential");
  EXPECT_EQ(out["format"], "di");
  EXPECT_EQ(out["status"], "created");
  const std::string sha = HashHex(Sha256(body));
  EXPECT_EQ(out["evidence_sha256"], sha);
  const std::string id = out["id"];

  json view = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(view["source"], "credential");
  EXPECT_EQ(view["record"]["source"], "credential");
  EXPECT_EQ(view["record"]["issuer"], "tsinghua");
  EXPECT_EQ(view["record"]["learner"], cat_.learner_a);
  EXPECT_EQ(view["record"]["evidence_sha256"], sha);
  // external_ref names the credential as signed (its canonical JSON), not these bytes.
  const std::string canonical = HashHex(Sha256(CanonicalJson(json::parse(body)).value()));
  EXPECT_EQ(view["record"]["external_ref"], "cred:" + canonical.substr(0, 32));
  EXPECT_EQ(view["record"]["completed_on"], "2025-06-30");
  EXPECT_EQ(view["record"]["credits"], 2);
  json passbook = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook",
                                    cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(passbook["total_credits"], 2);
  EXPECT_EQ(passbook["by_issuer"]["tsinghua"], 2);
  json list = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/records",
                                cat_.learner_a_token, nullptr, 200);
  ASSERT_EQ(list["records"].size(), 1u);
  EXPECT_EQ(list["records"][0]["source"], "credential");

  // The same bytes again: the same record, nothing appended.
  const uint64_t size = server_->ledger().Size();
  ClientResponse again = Present(cat_.learner_a, cat_.learner_a_token, body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["id"], id);
  EXPECT_EQ(json::parse(again.body)["status"], "existing");
  EXPECT_EQ(server_->ledger().Size(), size);
  EXPECT_EQ(RecordCount(cat_.learner_a), 1u);
}

// The same credential in other bytes (re-indented JSON, its members in another order; a JWS
// with white space around it) is the same record, which keeps the first bytes' evidence.
TEST_F(CredentialInputTest, ACopyInOtherBytesIsTheSameRecord) {
  const json badge = json::parse(Di(Badge(cat_.learner_a)));
  const std::string compact = badge.dump();
  ClientResponse first = Present(cat_.learner_a, cat_.learner_a_token, compact);
  ASSERT_EQ(first.status, 201) << first.body;
  const json created = json::parse(first.body);
  const uint64_t size = server_->ledger().Size();

  const std::string indented = badge.dump(2);
  // The same members in reverse order: still the same canonical form.
  std::string reversed = "{";
  std::vector<std::pair<std::string, json>> members;
  for (const auto& [name, value] : badge.items()) members.emplace_back(name, value);
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (reversed.size() > 1) reversed += ",";
    reversed += json(it->first).dump() + ":" + it->second.dump();
  }
  reversed += "}";
  ASSERT_NE(reversed, compact);
  for (const std::string& copy : {indented, "\n " + compact + "\n", reversed}) {
    ClientResponse r = Present(cat_.learner_a, cat_.learner_a_token, copy);
    ASSERT_EQ(r.status, 200) << r.body;
    const json out = json::parse(r.body);
    EXPECT_EQ(out["status"], "existing");
    EXPECT_EQ(out["id"], created["id"]);
    EXPECT_EQ(out["evidence_sha256"], HashHex(Sha256(compact)));
  }
  EXPECT_EQ(server_->ledger().Size(), size);
  EXPECT_EQ(RecordCount(cat_.learner_a), 1u);

  // A compact JWS: white space around the token is not part of it.
  const std::string ob3 = Ob3Jwt(Badge(cat_.learner_a));
  ClientResponse jws = Present(cat_.learner_a, cat_.learner_a_token, ob3);
  ASSERT_EQ(jws.status, 201) << jws.body;
  ClientResponse jws_again = Present(cat_.learner_a, cat_.learner_a_token, "  " + ob3 + "\r\n");
  ASSERT_EQ(jws_again.status, 200) << jws_again.body;
  EXPECT_EQ(json::parse(jws_again.body)["id"], json::parse(jws.body)["id"]);
  EXPECT_EQ(RecordCount(cat_.learner_a), 2u);
}

TEST_F(CredentialInputTest, JwsFormsAreAcceptedToo) {
  auto vc_jwt = vc::SecureVcJwt(Badge(cat_.learner_a), key_, kKid);
  ASSERT_TRUE(vc_jwt.ok()) << vc_jwt.status().ToString();
  ClientResponse r = Present(cat_.learner_a, cat_.learner_a_token, *vc_jwt);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["format"], "jwt");
  const std::string ob3 = Ob3Jwt(Badge(cat_.learner_a));
  r = Present(cat_.learner_a, cat_.learner_a_token, ob3 + "\n");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["format"], "ob3-jwt");
  EXPECT_EQ(json::parse(r.body)["evidence_sha256"], HashHex(Sha256(ob3 + "\n")));
  EXPECT_EQ(RecordCount(cat_.learner_a), 2u);
}

TEST_F(CredentialInputTest, WhoMayPresent) {
  const std::string body = Di(Badge(cat_.learner_a));
  const std::string path = "/v1/learners/" + cat_.learner_a + "/credentials";
  EXPECT_EQ(server_->Call("POST", path, server_->admin_token(), body).status, 403);
  EXPECT_EQ(server_->Call("POST", path, cat_.auditor_token, body).status, 403);
  EXPECT_EQ(server_->Call("POST", path, cat_.ouchn_token, body).status, 404);  // no grant
  EXPECT_EQ(server_->Call("POST", path, cat_.learner_b_token, body).status, 404);
  EXPECT_EQ(RecordCount(cat_.learner_a), 0u);
  server_->CallJson("POST", "/v1/learners/" + cat_.learner_a + "/grants", cat_.learner_a_token,
                    {{"institution", "ouchn"}}, 201);
  ClientResponse r = server_->Call("POST", path, cat_.ouchn_token, body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["issuer"], "tsinghua");  // the signer's, not the presenter's
}

TEST_F(CredentialInputTest, TamperedIsBadSignature) {
  std::string body = Di(Badge(cat_.learner_a));
  const size_t at = body.find("Python programming");
  ASSERT_NE(at, std::string::npos);
  body[at] = 'J';
  ExpectRefused(body, "bad_signature");
  // A registered kid with another key's signature.
  ExpectRefused(SignDi(Badge(cat_.learner_a), Ed25519Key::Generate()), "bad_signature");
  std::string jwt = *vc::SecureVcJwt(Badge(cat_.learner_a), key_, kKid);
  jwt[jwt.size() - 5] = jwt[jwt.size() - 5] == 'A' ? 'B' : 'A';
  ExpectRefused(jwt, "bad_signature");
}

TEST_F(CredentialInputTest, UnregisteredKeyIsUnknownIssuer) {
  ExpectRefused(SignDi(Badge(cat_.learner_a), Ed25519Key::Generate(), "not-registered"),
                "unknown_issuer");
  Ed25519Key other = Ed25519Key::Generate();
  ExpectRefused(*vc::SecureVcJwt(Badge(cat_.learner_a), other, "not-registered"), "unknown_issuer");
}

// An institution that issues as a did:key registers that DID (`did`) instead of a JWK: its
// credentials, signed by the did:key's one verification method, are its records. A did:web
// is kept as given (its keys are public_keys). A DID of another kind, or a did:key that is not
// an Ed25519 key, is refused at /did.
TEST_F(CredentialInputTest, AnInstitutionsDidKeyVerifiesItsCredentials) {
  const std::string& admin = server_->admin_token();
  const Ed25519Key key = Ed25519Key::Generate();
  const std::string did = DidKeyFromEd25519(key.PublicKey());
  const std::string method = DidKeyVerificationMethod(key.PublicKey());
  const std::string achievement = "https://badges.openu.example/achievements/data";
  json institution = {{"name", "Open Badges University"}, {"kind", "open_university"}};
  server_->CallJson("PUT", "/v1/institutions/obu", admin, institution, 200);
  server_->CallJson("PUT", "/v1/units/obu:DATA1", admin,
                    {{"title", "Data literacy"},
                     {"kind", "mooc"},
                     {"credits", 1.5},
                     {"level", 5},
                     {"field", "0613"},
                     {"aligned_achievements", json::array({achievement})}},
                    200);
  json badge = Badge(cat_.learner_a, achievement);
  badge["issuer"]["id"] = did;
  auto di = vc::SecureDataIntegrity(badge, key, method, "2025-06-30T08:00:00Z");
  ASSERT_TRUE(di.ok()) << di.status().ToString();
  auto jwt = vc::SecureVcJwt(badge, key, method);
  ASSERT_TRUE(jwt.ok()) << jwt.status().ToString();
  // Before the DID is registered, nobody's key signed it.
  ExpectRefused(di->dump(), "unknown_issuer");

  institution["did"] = did;
  json stored = server_->CallJson("PUT", "/v1/institutions/obu", admin, institution, 200);
  EXPECT_EQ(stored["did"], did);
  EXPECT_EQ(server_->CallJson("GET", "/v1/institutions/obu", "", nullptr, 200)["did"], did);
  ClientResponse r = Present(cat_.learner_a, cat_.learner_a_token, di->dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["issuer"], "obu");
  EXPECT_EQ(json::parse(r.body)["unit"], "obu:DATA1");
  // As a VC-JWT (kid = the verification method) it verifies too: another secured form, so
  // another record (as JwsFormsAreAcceptedToo), the same issuer.
  r = Present(cat_.learner_a, cat_.learner_a_token, *jwt);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["issuer"], "obu");
  EXPECT_EQ(json::parse(r.body)["format"], "jwt") << r.body;
  // Signed by another key under the same DID's method name: bad signature, nothing stored.
  ExpectRefused(
      vc::SecureDataIntegrity(badge, Ed25519Key::Generate(), method, "2025-06-30T08:00:00Z")
          ->dump(),
      "bad_signature");

  // One DID, one institution: another may not take it (409); nor another's key, under any kid.
  json other = {{"name", "Another"}, {"kind", "university"}, {"did", did}};
  json taken = server_->CallJson("PUT", "/v1/institutions/another", admin, other, 409);
  EXPECT_EQ(taken["pointer"], "/did") << taken;
  other.erase("did");
  other["public_keys"] = json::array({Ed25519PublicJwk(Ed25519Key::Generate().PublicKey(), "own"),
                                      Ed25519PublicJwk(key_.PublicKey(), "borrowed")});
  taken = server_->CallJson("PUT", "/v1/institutions/another", admin, other, 409);
  EXPECT_EQ(taken["pointer"], "/public_keys/1") << taken;
  EXPECT_NE(taken["detail"].get<std::string>().find("institution 'tsinghua'"), std::string::npos)
      << taken;
  EXPECT_EQ(server_->Call("GET", "/v1/institutions/another", "").status, 404);
  server_->CallJson("PUT", "/v1/institutions/obu", admin, institution, 200);  // itself: fine

  for (const std::string bad :
       {std::string("did:example:123"), std::string("did:key:zNotAKey"), did + "#" + did.substr(8),
        std::string("did:web:"), std::string("did:web:host/with/slash"), std::string("did:web:%zz"),
        std::string("did:web:registrar.example.edu:")}) {
    institution["did"] = bad;
    json p = server_->CallJson("PUT", "/v1/institutions/obu", admin, institution, 400);
    EXPECT_EQ(p["pointer"], "/did") << bad << p;
  }
  institution["did"] = "did:web:registrar.example.edu:badges";
  EXPECT_EQ(server_->CallJson("PUT", "/v1/institutions/obu", admin, institution, 200)["did"],
            "did:web:registrar.example.edu:badges");
}

// The Open Badges 3.0 JWT profile signs with RS256: an institution registers an RSA JWK among
// its public_keys, and its RS256 OB3 JWTs are its records. The RSA key verifies credentials
// only, never a submission's X-JWS-Signature (EdDSA); a JWK with a private member or under
// 2048 bits is refused at its member.
TEST_F(CredentialInputTest, AnRs256Ob3JwtVerifiesWithARegisteredRsaKey) {
  const std::string& admin = server_->admin_token();
  const RsaKey rsa = RsaKey::Generate();
  json institution = {{"name", "清华大学"},
                      {"kind", "university"},
                      {"public_keys", json::array({Ed25519PublicJwk(key_.PublicKey(), kKid),
                                                   rsa.PublicKey().Jwk("tsinghua-rs256")})}};
  json stored = server_->CallJson("PUT", "/v1/institutions/tsinghua", admin, institution, 200);
  ASSERT_EQ(stored["public_keys"].size(), 2u);
  EXPECT_EQ(stored["public_keys"][1]["kty"], "RSA");
  EXPECT_EQ(stored["public_keys"][1]["n"], Base64UrlEncode(rsa.PublicKey().modulus()));

  json payload = Badge(cat_.learner_a);
  payload["iss"] = kIssuerUrl;
  payload["jti"] = payload["id"];
  payload["sub"] = payload["credentialSubject"]["id"];
  payload["nbf"] = 1751270400;
  const std::string signing_input =
      Base64UrlEncode(json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "tsinghua-rs256"}}.dump()) +
      "." + Base64UrlEncode(payload.dump());
  const std::string jwt = signing_input + "." + Base64UrlEncode(rsa.SignRs256(signing_input));
  ClientResponse r = Present(cat_.learner_a, cat_.learner_a_token, jwt);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["issuer"], "tsinghua");
  EXPECT_EQ(json::parse(r.body)["format"], "ob3-jwt");
  // Another RSA key's signature under the same kid: bad signature.
  const RsaKey other = RsaKey::Generate();
  json forged_payload = payload;
  forged_payload["id"] = "urn:uuid:" + HexEncode(RandomBytes(16));
  forged_payload["jti"] = forged_payload["id"];
  const std::string forged_input =
      Base64UrlEncode(json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "tsinghua-rs256"}}.dump()) +
      "." + Base64UrlEncode(forged_payload.dump());
  ExpectRefused(forged_input + "." + Base64UrlEncode(other.SignRs256(forged_input)),
                "bad_signature");

  // Submissions are EdDSA: an RSA key listed first under the same kid as the Ed25519 key does
  // not hide the Ed25519 one from an X-JWS-Signature.
  institution["public_keys"] =
      json::array({rsa.PublicKey().Jwk(kKid), Ed25519PublicJwk(key_.PublicKey(), kKid)});
  server_->CallJson("PUT", "/v1/institutions/tsinghua", admin, institution, 200);
  const std::string body =
      json{{"records", {cat_.Record(cat_.learner_a, "tsinghua:CS101", "RSA-1")}}}.dump();
  ClientResponse post = server_->Call("POST", "/v1/records", cat_.tsinghua_token, body,
                                      {{"X-JWS-Signature", SignDetachedJws(body, kKid, key_)}});
  EXPECT_EQ(post.status, 201) << post.body;

  // Private members and short keys are refused at their member.
  json with_private = rsa.PublicKey().Jwk("k");
  with_private["d"] = "AQAB";
  institution["public_keys"] = json::array({with_private});
  json p = server_->CallJson("PUT", "/v1/institutions/tsinghua", admin, institution, 400);
  EXPECT_EQ(p["pointer"].get<std::string>().rfind("/public_keys/0", 0), 0u) << p;
  json no_kid = rsa.PublicKey().Jwk("");
  institution["public_keys"] = json::array({no_kid});
  p = server_->CallJson("PUT", "/v1/institutions/tsinghua", admin, institution, 400);
  EXPECT_EQ(p["pointer"], "/public_keys/0/kid") << p;
  // A 1024-bit modulus is too weak to accept.
  std::string modulus = RandomBytes(128);
  modulus.front() = static_cast<char>(0xC1);
  modulus.back() = static_cast<char>(modulus.back() | 1);
  institution["public_keys"] = json::array(
      {{{"kty", "RSA"}, {"n", Base64UrlEncode(modulus)}, {"e", "AQAB"}, {"kid", "short"}}});
  p = server_->CallJson("PUT", "/v1/institutions/tsinghua", admin, institution, 400);
  EXPECT_EQ(p["pointer"].get<std::string>().rfind("/public_keys/0", 0), 0u) << p;
  EXPECT_NE(p["detail"].get<std::string>().find("2048"), std::string::npos) << p;
}

TEST_F(CredentialInputTest, ExpiredIsExpired) {
  ExpectRefused(Di(Badge(cat_.learner_a, kPython, "2025-12-31T00:00:00Z")), "expired");
  json future = Badge(cat_.learner_a);
  future["validFrom"] = vc::FormatDateTime(vc::NowSeconds() + 86400 * 30);
  ExpectRefused(Di(future), "expired");  // not valid yet: outside the validity period
}

TEST_F(CredentialInputTest, AnotherLearnersCredentialIsSubjectMismatch) {
  ExpectRefused(Di(Badge(cat_.learner_b)), "subject_mismatch");
  json did_subject = Badge(cat_.learner_a);
  did_subject["credentialSubject"]["id"] = "did:example:someone";
  ExpectRefused(Di(did_subject), "subject_mismatch");
}

TEST_F(CredentialInputTest, AchievementNoUnitAlignsIsUnknownAchievement) {
  ExpectRefused(Di(Badge(cat_.learner_a, "https://badges.tsinghua.example/achievements/rust")),
                "unknown_achievement");
  // Aligned by another institution's unit: tsinghua's signature does not make it ouchn's.
  server_->CallJson("PUT", "/v1/units/ouchn:RUST", server_->admin_token(),
                    {{"title", "Rust"},
                     {"kind", "mooc"},
                     {"credits", 1},
                     {"level", 5},
                     {"field", "0613"},
                     {"aligned_achievements", json::array({"https://ouchn.example/rust"})}},
                    200);
  ExpectRefused(Di(Badge(cat_.learner_a, "https://ouchn.example/rust")), "unknown_achievement");
}

// Without the list in the envelope, the bank fetches it from the URL the credential names —
// only from a host listed in credential_status_hosts (a real loopback HTTP server here), once
// per minute per URL; a list elsewhere is never requested and the status stays unknown.
TEST_F(CredentialInputTest, AStatusListOnAnAllowedHostIsFetched) {
  ScriptedServer lists;
  Start(dir_.sub("fetching"), {{"credential_status_hosts", "example.org," + lists.host()}});
  const std::string list_url = lists.url() + "/status/1";
  vc::StatusBitstring bits;
  bits.Set(13, true);
  lists.Push(Answer(
      200, SignDi(vc::BuildStatusListCredential(list_url, kIssuerUrl, "2025-01-01T00:00:00Z", bits),
                  key_)));
  auto badge = [&](int index, const std::string& url) {
    json b = Badge(cat_.learner_a);
    b["credentialStatus"] = {{"id", url + "#" + std::to_string(index)},
                             {"type", "BitstringStatusListEntry"},
                             {"statusPurpose", "revocation"},
                             {"statusListIndex", std::to_string(index)},
                             {"statusListCredential", url}};
    return b;
  };
  ExpectRefused(Di(badge(13, list_url)), "revoked");
  ASSERT_EQ(lists.requests().size(), 1u);
  EXPECT_TRUE(lists.requests()[0].starts_with("GET /status/1 HTTP/1.1")) << lists.requests()[0];
  // Bit 12 is clear: accepted, from the list kept since (no second request).
  EXPECT_EQ(Present(cat_.learner_a, cat_.learner_a_token, Di(badge(12, list_url))).status, 201);
  EXPECT_EQ(lists.requests().size(), 1u);
  // A list on a host nobody listed (the same server under another name) is not fetched: the
  // status is unknown, which does not refuse the credential.
  const std::string elsewhere = "http://localhost:" + lists.host().substr(10) + "/status/1";
  json other = Badge(cat_.learner_a, kPython);
  other["name"] = "Python (again)";
  other["credentialStatus"] = badge(13, elsewhere)["credentialStatus"];
  EXPECT_EQ(Present(cat_.learner_a, cat_.learner_a_token, Di(other)).status, 201);
  EXPECT_EQ(lists.requests().size(), 1u);
}

// The institution's status list comes with the credential, in the envelope
// {"credential", "status_lists"}: a set bit is `revoked`, a clear one is accepted, and a list
// that is not the issuer's, or not signed by a registered key, refuses the presentation.
TEST_F(CredentialInputTest, AStatusListBroughtAlongDecidesRevocation) {
  constexpr char kList[] = "https://badges.tsinghua.example/status/1";
  vc::StatusBitstring bits;
  bits.Set(13, true);
  auto list_of = [&](const std::string& issuer, const Ed25519Key& key) {
    return json::parse(SignDi(vc::BuildStatusListCredential(kList, issuer, "2025-01-01T00:00:00Z",
                                                            bits),
                              key));
  };
  const json list = list_of(kIssuerUrl, key_);
  auto badge = [&](int index) {
    json b = Badge(cat_.learner_a);
    b["credentialStatus"] = {{"id", std::string(kList) + "#" + std::to_string(index)},
                             {"type", "BitstringStatusListEntry"},
                             {"statusPurpose", "revocation"},
                             {"statusListIndex", std::to_string(index)},
                             {"statusListCredential", kList}};
    return b;
  };
  auto envelope = [](const json& credential, const json& lists) {
    return json{{"credential", credential}, {"status_lists", lists}}.dump();
  };

  // Revoked (bit 13), in each form: the credential as an object or as a compact JWS.
  ExpectRefused(envelope(json::parse(Di(badge(13))), json::array({list})), "revoked");
  ExpectRefused(envelope(Ob3Jwt(badge(13)), json::array({list})), "revoked");
  // A list signed by a key nobody registered, or by the issuer's kid with another key.
  ExpectRefused(envelope(json::parse(Di(badge(12))),
                         json::array({json::parse(SignDi(
                             vc::BuildStatusListCredential(kList, kIssuerUrl,
                                                           "2025-01-01T00:00:00Z", bits),
                             Ed25519Key::Generate(), "not-registered"))})),
                "unknown_issuer");
  ExpectRefused(envelope(json::parse(Di(badge(12))),
                         json::array({list_of(kIssuerUrl, Ed25519Key::Generate())})),
                "bad_signature");
  // Another institution's registered key does not speak for tsinghua's lists: a list of all
  // zeros under tsinghua's URL and issuer id, signed by it, does not clear bit 13.
  const Ed25519Key other_key = Ed25519Key::Generate();
  server_->CallJson(
      "PUT", "/v1/institutions/pku", server_->admin_token(),
      {{"name", "北京大学"},
       {"kind", "university"},
       {"public_keys", json::array({Ed25519PublicJwk(other_key.PublicKey(), "pku-k")})}},
      200);
  ExpectRefused(envelope(json::parse(Di(badge(13))),
                         json::array({json::parse(SignDi(
                             vc::BuildStatusListCredential(
                                 kList, kIssuerUrl, "2025-01-01T00:00:00Z", vc::StatusBitstring()),
                             other_key, "pku-k"))})),
                "unknown_issuer");
  // A list another issuer published does not speak for this one's credentials: malformed.
  ClientResponse foreign = Present(
      cat_.learner_a, cat_.learner_a_token,
      envelope(json::parse(Di(badge(12))), json::array({list_of("https://other.example/i", key_)})));
  EXPECT_EQ(foreign.status, 400) << foreign.body;
  // Bad envelopes name the member.
  for (const auto& [body, pointer] : std::vector<std::pair<json, std::string>>{
           {{{"credential", 7}}, "/credential"},
           {{{"credential", Di(badge(12))}, {"status_lists", "x"}}, "/status_lists"},
           {{{"credential", Di(badge(12))}, {"status_lists", {1}}}, "/status_lists/0"},
           {{{"credential", Di(badge(12))}, {"extra", 1}}, "/extra"}}) {
    ClientResponse r = Present(cat_.learner_a, cat_.learner_a_token, body.dump());
    EXPECT_EQ(r.status, 400) << body.dump() << ": " << r.body;
    EXPECT_NE(r.body.find(pointer), std::string::npos) << r.body;
  }
  EXPECT_EQ(RecordCount(cat_.learner_a), 0u);

  // Bit 12 is clear: accepted, once; without the list its status is unknown and it is accepted.
  ClientResponse ok = Present(cat_.learner_a, cat_.learner_a_token,
                              envelope(json::parse(Di(badge(12))), json::array({list})));
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["issuer"], "tsinghua");
  ClientResponse unknown = Present(cat_.learner_a, cat_.learner_a_token, Di(badge(14)));
  EXPECT_EQ(unknown.status, 201) << unknown.body;
  EXPECT_EQ(RecordCount(cat_.learner_a), 2u);
}

TEST_F(CredentialInputTest, MalformedInputIs400AndStoresNothing) {
  const uint64_t size = server_->ledger().Size();
  for (const std::string& body : {std::string(""), std::string("hello"), std::string("{\"a\":1}"),
                                 std::string("{\"a\":1,\"a\":2}"), std::string("a.b.c")}) {
    ClientResponse r = Present(cat_.learner_a, cat_.learner_a_token, body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
  }
  EXPECT_EQ(server_->ledger().Size(), size);
}

TEST_F(CredentialInputTest, AlignedAchievementsAreValidatedAndRoundTrip) {
  const std::string& admin = server_->admin_token();
  json unit = server_->CallJson("GET", "/v1/units/tsinghua:PY1", admin, nullptr, 200);
  EXPECT_EQ(unit["aligned_achievements"], json::array({kPython}));
  json doc = {{"title", "X"}, {"kind", "mooc"}, {"credits", 1}, {"level", 5}, {"field", "0613"}};
  auto put = [&](json ids) {
    json d = doc;
    d["aligned_achievements"] = std::move(ids);
    return server_->Call("PUT", "/v1/units/tsinghua:X1", admin, d.dump());
  };
  json seventeen = json::array();
  for (int i = 0; i < 17; ++i) seventeen.push_back("https://a.example/" + std::to_string(i));
  for (const json& bad : {seventeen, json::array({"not a uri"}), json::array({"no-scheme"}),
                          json::array({"https://a.example/" + std::string(600, 'x')}),
                          json::array({"urn:x:1", "urn:x:1"}), json::array({1}), json("urn:x:1")}) {
    ClientResponse r = put(bad);
    EXPECT_EQ(r.status, 400) << bad.dump() << ": " << r.body;
    EXPECT_NE(r.body.find("/aligned_achievements"), std::string::npos) << r.body;
  }
  seventeen.erase(16);
  EXPECT_EQ(put(seventeen).status / 100, 2);
}

}  // namespace
}  // namespace lcb::testing
