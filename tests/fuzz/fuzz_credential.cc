// The credential verifier (vc/verifier.h) on arbitrary bytes, read as JSON (Data Integrity) or
// as a compact JWS (VC-JOSE, OB 3.0 JWT), with a key registry holding the fuzz key (seed
// 0x07 x 32, whose credentials are in the seed corpus) and a decoded status list. Properties:
// nothing escapes or crashes; a result is verified exactly when it has no error, and then its
// proof and issuer checks passed and its issuer's key is the fuzz key; every error carries a
// known reason code. JSON input also goes through the JSON-LD safe-mode checker (OK or
// InvalidArgument) and the status-list decoder (OK, InvalidArgument or ResourceExhausted).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "crypto/ijson.h"
#include "crypto/multikey.h"
#include "tests/fuzz/fuzz_util.h"
#include "vc/safe_mode.h"
#include "vc/status_list.h"
#include "vc/verifier.h"

namespace {

using namespace lcb;
using namespace lcb::vc;

struct Fixture {
  KeyRegistry keys;
  std::map<std::string, DecodedStatusList> lists;
  VerifyOptions options;
  std::string did;

  Fixture() {
    const Ed25519Key key = Ed25519Key::FromSeed(std::string(32, '\x07')).value();
    did = DidKeyFromEd25519(key.PublicKey());
    keys.Add({did}, Ed25519VerificationKey(DidKeyVerificationMethod(key.PublicKey()), "bank",
                                           key.PublicKey()));
    DecodedStatusList list;
    list.url = "https://bank.example/v1/status/1";
    list.issuer = did;
    list.purpose = "revocation";
    list.bits.Set(42, true);
    lists[list.url] = std::move(list);
    options.now = 1767225600;  // 2026-01-01T00:00:00Z
    options.status_lists = &lists;
    options.max_input_bytes = 1 << 16;
  }
};

const std::set<std::string> kReasons = {
    std::string(reason::kBadSignature),    std::string(reason::kUnknownIssuer),
    std::string(reason::kRevoked),         std::string(reason::kExpired),
    std::string(reason::kSubjectMismatch), std::string(reason::kUnknownAchievement),
    std::string(reason::kNotYetValid),     std::string(reason::kMalformed)};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lcb::fuzz;
  static const Fixture* fixture = new Fixture();
  const std::string_view input = AsText(data, size);

  VerificationResult r = VerifyCredential(input, fixture->keys, fixture->options);
  LCB_FUZZ_CHECK(r.verified == r.errors.empty(), r.ToJson().dump());
  for (const VerifyError& e : r.errors) {
    LCB_FUZZ_CHECK(kReasons.count(e.reason) == 1, "unknown reason " + e.reason);
  }
  if (r.verified) {
    const auto has = [&](const char* c) {
      return std::find(r.checks.begin(), r.checks.end(), c) != r.checks.end();
    };
    LCB_FUZZ_CHECK(has("proof") && has("issuer"), r.ToJson().dump());
    LCB_FUZZ_CHECK(r.issuer == fixture->did && r.key_owner == "bank", r.ToJson().dump());
    LCB_FUZZ_CHECK(r.status != CredentialState::kRevoked, r.ToJson().dump());
  }
  (void)r.ToJson().dump();  // must serialize whatever was read

  StatusOr<nlohmann::json> json = ParseIJson(input);
  if (json.ok()) {
    const Status safe = CheckJsonLdSafeMode(*json);
    LCB_FUZZ_CHECK(safe.ok() || safe.code() == StatusCode::kInvalidArgument, safe.ToString());
    StatusOr<DecodedStatusList> list = DecodeStatusListCredential(*json);
    LCB_FUZZ_CHECK(list.ok() || CodeIn(list.status(), {StatusCode::kInvalidArgument,
                                                       StatusCode::kResourceExhausted}),
                   list.status().ToString());
  }
  return 0;
}
