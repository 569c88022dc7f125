// The C++ side of the outside-verifier test (run_interop.sh):
//
//   credential_tool write DIR    the bank issues credentials into DIR for the node verifiers:
//                                di.json, jwt.txt, ob3-jwt.txt, ob3-jwt-kid.txt (active, index 7),
//                                revoked-di.json (index 42, set in status-list.json), clr.json,
//                                tampered-*.{json,txt}, and bank.json (DID, methods, JWKs)
//   credential_tool check FILE   FILE (written by issue_external.mjs) lists credentials an
//                                institution issued with the JS libraries, the institution's
//                                registered keys and the reason each must get; the C++ verifier
//                                must agree on every one (exit 1 otherwise)
//   credential_tool safe-mode DIR VERDICTS
//                                the C++ JSON-LD safe-mode checker on every DIR/*.json must
//                                accept or reject as jsonld.js did (VERDICTS, from safe_mode.mjs)
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "common/date.h"
#include "crypto/multikey.h"
#include "tests/vc/vc_fixture.h"
#include "vc/data_integrity.h"
#include "vc/keys.h"
#include "vc/open_badge.h"
#include "vc/safe_mode.h"
#include "vc/securing.h"
#include "vc/status_list.h"
#include "vc/verifier.h"

namespace {

using Json = nlohmann::json;
using namespace lcb;
using namespace lcb::vc;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

template <typename T>
T OrDie(StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::cerr << "credential_tool: " << what << ": " << v.status().ToString() << "\n";
    std::exit(2);
  }
  return std::move(v).value();
}

// One character of the base64url payload of a compact JWS changed.
std::string TamperJws(std::string jws) {
  const size_t at = jws.find('.') + 10;
  jws[at] = jws[at] == 'A' ? 'B' : 'A';
  return jws;
}

int WriteCredentials(const std::string& dir) {
  const Ed25519Key key = Ed25519Key::Generate();
  const RsaKey rsa = RsaKey::Generate();
  const std::string did = DidKeyFromEd25519(key.PublicKey());
  const std::string vm = DidKeyVerificationMethod(key.PublicKey());
  const std::string now = FormatDateTime(NowSeconds());

  RecordCredentialInput record = testing::SampleRecord();
  record.completed_on = TodayUtc() - 30;
  record.expires_on = AddYears(record.completed_on, 5);
  auto issue = [&](uint64_t index, const std::string& record_id) {
    RecordCredentialInput r = record;
    r.record_id = record_id;
    return OrDie(BuildOpenBadgeCredential(r, testing::SampleContext(did, index)), "build");
  };
  const Json active = issue(7, "rec_000000000000000000000007");
  const Json revoked = issue(42, "rec_000000000000000000000042");
  const Json di = OrDie(SecureDataIntegrity(active, key, vm, now), "di");
  const Json revoked_di = OrDie(SecureDataIntegrity(revoked, key, vm, now), "di");
  Write(dir + "/di.json", di.dump(2));
  Write(dir + "/revoked-di.json", revoked_di.dump(2));
  const std::string jwt = OrDie(SecureVcJwt(active, key, vm), "jwt");
  Write(dir + "/jwt.txt", jwt);
  const std::string ob3 = OrDie(SecureOb3Jwt(active, rsa, ""), "ob3");
  Write(dir + "/ob3-jwt.txt", ob3);
  const std::string rsa_kid = rsa.PublicKey().Thumbprint();
  Write(dir + "/ob3-jwt-kid.txt", OrDie(SecureOb3Jwt(active, rsa, rsa_kid), "ob3"));

  StatusBitstring bits;
  bits.Set(42, true);
  const std::string list_url = StatusListUrl(testing::kPublicUrl, "1");
  const Json list =
      OrDie(SecureDataIntegrity(BuildStatusListCredential(list_url, did, now, bits), key, vm, now),
            "list");
  Write(dir + "/status-list.json", list.dump(2));

  TranscriptInput transcript;
  transcript.learner_id = record.learner_id;
  transcript.valid_from = now;
  transcript.credentials = {di, revoked_di};
  const Json clr =
      OrDie(SecureDataIntegrity(
                OrDie(BuildClrCredential(transcript, testing::SampleContext(did, 0)), "clr"), key,
                vm, now),
            "clr");
  Write(dir + "/clr.json", clr.dump(2));
  // The unsigned credential, for the JSON-LD safe-mode expansion.
  Write(dir + "/unsigned.json", active.dump(2));

  Json tampered = di;
  tampered["credentialSubject"]["creditsEarned"] = 40;
  Write(dir + "/tampered-di.json", tampered.dump(2));
  Json tampered_clr = clr;
  tampered_clr["credentialSubject"]["verifiableCredential"][0]["name"] = "Something else";
  Write(dir + "/tampered-clr.json", tampered_clr.dump(2));
  Write(dir + "/tampered-jwt.txt", TamperJws(jwt));
  Write(dir + "/tampered-ob3-jwt.txt", TamperJws(ob3));

  const Json bank = {{"did", did},
                     {"verification_method", vm},
                     {"jwks",
                      {{"keys", Json::array({Ed25519PublicJwk(key.PublicKey(), vm),
                                             rsa.PublicKey().Jwk(rsa_kid)})}}},
                     {"status_list_url", list_url},
                     {"active_index", 7},
                     {"revoked_index", 42}};
  Write(dir + "/bank.json", bank.dump(2));
  std::cout << "credential_tool: wrote the bank's credentials to " << dir << "\n";
  return 0;
}

// The institution's registered keys, as the service would load them.
KeyRegistry InstitutionKeys(const Json& spec) {
  KeyRegistry keys;
  for (const Json& jwk : spec.value("jwks", Json::array())) {
    keys.Add({}, OrDie(VerificationKeyFromJwk(jwk, "institution"), "jwk"));
  }
  if (spec.contains("did")) {
    Status s = keys.AddDidKey(spec["did"].get<std::string>(), "institution");
    if (!s.ok()) {
      std::cerr << "credential_tool: did: " << s.ToString() << "\n";
      std::exit(2);
    }
  }
  return keys;
}

int CheckCases(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const Json spec = Json::parse(Read(path));
  const KeyRegistry keys = InstitutionKeys(spec["institution"]);
  VerifyOptions options;
  options.now = NowSeconds();

  // The status list is a credential too: verified before it is believed.
  std::map<std::string, DecodedStatusList> lists;
  const std::string list_text = Read(dir + "/" + spec["status_list"].get<std::string>());
  VerificationResult list_result = VerifyCredential(list_text, keys, options);
  if (!list_result.verified) {
    std::cerr << "FAIL status list: " << list_result.ToJson().dump() << "\n";
    return 1;
  }
  DecodedStatusList list = OrDie(DecodeStatusListCredential(list_result.credential), "list");
  lists[list.url] = std::move(list);

  options.status_lists = &lists;
  options.expected_subject = spec["subject"];
  std::vector<std::string> known = spec["achievements"];
  options.achievement_known = [known](std::string_view id) {
    return std::find(known.begin(), known.end(), id) != known.end();
  };
  int failures = 0;
  for (const Json& c : spec["cases"]) {
    const std::string file = c["file"];
    const std::string expect = c["expect"];
    VerificationResult r = VerifyCredential(Read(dir + "/" + file), keys, options);
    const bool ok = expect == "verified" ? r.verified : (!r.verified && r.HasReason(expect));
    std::cout << (ok ? "ok   " : "FAIL ") << file << ": expected " << expect << ", got "
              << r.ToJson().dump() << "\n";
    if (!ok) ++failures;
  }
  std::cout << failures << " failed of " << spec["cases"].size() << "\n";
  return failures == 0 ? 0 : 1;
}

// Seeds for tests/fuzz/fuzz_credential: credentials of the fuzz target's fixed key (seed 0x07 x
// 32).
int WriteFuzzSeeds(const std::string& dir) {
  const Ed25519Key key = Ed25519Key::FromSeed(std::string(32, '\x07')).value();
  const std::string did = DidKeyFromEd25519(key.PublicKey());
  const std::string vm = DidKeyVerificationMethod(key.PublicKey());
  const Json active = OrDie(
      BuildOpenBadgeCredential(testing::SampleRecord(), testing::SampleContext(did, 7)), "build");
  const Json revoked = OrDie(
      BuildOpenBadgeCredential(testing::SampleRecord(), testing::SampleContext(did, 42)), "build");
  Write(dir + "/di.json",
        OrDie(SecureDataIntegrity(active, key, vm, "2025-01-01T00:00:00Z"), "di").dump());
  Write(dir + "/di-revoked.json", OrDie(SecureDataIntegrity(revoked, key, vm, ""), "di").dump());
  Write(dir + "/jwt.txt", OrDie(SecureVcJwt(active, key, vm), "jwt"));
  Write(dir + "/ob3-jwt.txt", OrDie(SecureOb3Jwt(active, RsaKey::Generate(), ""), "ob3"));
  StatusBitstring bits;
  bits.Set(42, true);
  Write(dir + "/status-list.json",
        OrDie(SecureDataIntegrity(BuildStatusListCredential("https://bank.example/v1/status/1", did,
                                                            "2025-01-01T00:00:00Z", bits),
                                  key, vm, ""),
              "list")
            .dump());
  return 0;
}

int CompareSafeMode(const std::string& dir, const std::string& verdicts_path) {
  const Json verdicts = Json::parse(Read(verdicts_path));
  int failures = 0;
  for (auto it = verdicts.begin(); it != verdicts.end(); ++it) {
    const Status s = CheckJsonLdSafeMode(Json::parse(Read(dir + "/" + it.key())));
    const bool js_accepts = it.value() == "accept";
    const bool agree = s.ok() == js_accepts;
    std::cout << (agree ? "ok   " : "FAIL ") << it.key() << ": jsonld.js "
              << it.value().get<std::string>() << ", C++ "
              << (s.ok() ? std::string("accept") : "reject " + s.pointer() + " " + s.message())
              << "\n";
    if (!agree) ++failures;
  }
  std::cout << failures << " disagreements of " << verdicts.size() << " documents\n";
  return failures == 0 && !verdicts.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "write" && argc == 3) return WriteCredentials(argv[2]);
  if (cmd == "check" && argc == 3) return CheckCases(argv[2]);
  if (cmd == "fuzz-seeds" && argc == 3) return WriteFuzzSeeds(argv[2]);
  if (cmd == "safe-mode" && argc == 4) return CompareSafeMode(argv[2], argv[3]);
  std::cerr
      << "usage: credential_tool write DIR | check CASES.json | safe-mode DIR VERDICTS.json\n";
  return 2;
}
