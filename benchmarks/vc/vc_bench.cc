// Issue 15's performance targets, in-process on one core:
//   BM_IssueDi        a record's `di` credential (build + eddsa-jcs-2022 + JSON text) >= 5,000/s
//   BM_VerifyDi       verify it from its text (parse, proof, key, dates, status)      >= 3,000/s
//   BM_StatusList1M   regenerate and sign a 1,048,576-entry status list               <= 50 ms
// plus the JWT forms for comparison. benchmarks/vc/run.sh runs the digitalbazaar stack on the
// same credential in the same run (benchmarks/vc/js_bench.mjs) and prints the ratios.
#include <benchmark/benchmark.h>

#include <random>

#include "crypto/multikey.h"
#include "tests/vc/vc_fixture.h"
#include "vc/securing.h"
#include "vc/status_list.h"
#include "vc/verifier.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

struct Bank {
  Ed25519Key key = Ed25519Key::Generate();
  RsaKey rsa = RsaKey::Generate();
  std::string did = DidKeyFromEd25519(key.PublicKey());
  std::string vm = DidKeyVerificationMethod(key.PublicKey());
  KeyRegistry keys;
  Bank() {
    keys.Add({did}, Ed25519VerificationKey(vm, "bank", key.PublicKey()));
    keys.Add({did}, RsaVerificationKey("rsa-1", "bank", rsa.PublicKey()));
  }
};
const Bank& TheBank() {
  static const Bank* bank = new Bank();
  return *bank;
}

// What the service does per request: typed record -> credential -> signed text.
std::string IssueDi(const Bank& bank, uint64_t index) {
  RecordCredentialInput r = testing::SampleRecord();
  const Json cred = BuildOpenBadgeCredential(r, testing::SampleContext(bank.did, index)).value();
  return SecureDataIntegrity(cred, bank.key, bank.vm, "2025-01-02T03:04:05Z").value().dump();
}

void BM_IssueDi(benchmark::State& state) {
  const Bank& bank = TheBank();
  uint64_t index = 0;
  for (auto _ : state) benchmark::DoNotOptimize(IssueDi(bank, ++index % 131072));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IssueDi);

void BM_IssueVcJwt(benchmark::State& state) {
  const Bank& bank = TheBank();
  const Json cred =
      BuildOpenBadgeCredential(testing::SampleRecord(), testing::SampleContext(bank.did, 7))
          .value();
  for (auto _ : state) benchmark::DoNotOptimize(SecureVcJwt(cred, bank.key, bank.vm).value());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IssueVcJwt);

VerifyOptions Options() {
  VerifyOptions o;
  o.now = ParseDateTimeStamp("2025-06-01T00:00:00Z", "").value();
  return o;
}

void BM_VerifyDi(benchmark::State& state) {
  const Bank& bank = TheBank();
  const std::string text = IssueDi(bank, 7);
  const VerifyOptions options = Options();
  for (auto _ : state) {
    VerificationResult r = VerifyCredential(text, bank.keys, options);
    if (!r.verified) state.SkipWithError("did not verify");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyDi);

void BM_VerifyOb3Jwt(benchmark::State& state) {
  const Bank& bank = TheBank();
  const Json cred =
      BuildOpenBadgeCredential(testing::SampleRecord(), testing::SampleContext(bank.did, 7))
          .value();
  const std::string jwt = SecureOb3Jwt(cred, bank.rsa, "rsa-1").value();
  const VerifyOptions options = Options();
  for (auto _ : state) {
    VerificationResult r = VerifyCredential(jwt, bank.keys, options);
    if (!r.verified) state.SkipWithError("did not verify");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyOb3Jwt);

// A 1M-entry list with `revoked_per_mille` of its bits set at random, regenerated (encoded),
// wrapped in its credential, signed and serialized: what a revocation costs the service.
void BM_StatusList1M(benchmark::State& state) {
  const Bank& bank = TheBank();
  StatusBitstring bits(1 << 20);
  std::mt19937_64 rng(15);
  const size_t revoked = bits.size() * static_cast<size_t>(state.range(0)) / 1000;
  for (size_t i = 0; i < revoked; ++i) bits.Set(rng() % bits.size(), true);
  const std::string url = StatusListUrl(testing::kPublicUrl, "1");
  size_t bytes = 0;
  for (auto _ : state) {
    bits.Set(rng() % bits.size(), true);  // the revocation that triggers the regeneration
    const Json list = BuildStatusListCredential(url, bank.did, "2025-06-01T00:00:00Z", bits);
    const std::string text = SecureDataIntegrity(list, bank.key, bank.vm, "").value().dump();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["list_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_StatusList1M)->Arg(0)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lcb::vc

BENCHMARK_MAIN();
