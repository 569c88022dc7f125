// The Ledger and PgKv on a real PostgreSQL (issue 18), beside the limits measured in the same
// run by benchmarks/pg/run.sh: pg_limit (the same rows from a minimal libpq program) for
// appends, `pgbench -S` for point reads.
//
// $LCB_PG_DSN names an empty database (run.sh makes one); without it every benchmark is skipped
// with a message. The appends also leave the rows the read benchmarks read.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>

#include "common/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "storage/ledger.h"
#include "storage/pg_kv.h"

namespace lcb {
namespace {

// Attribution only (BM_LedgerAppendPgNoLookup): the same store, with the Ledger's idempotency
// lookups (one Get per posted entry) answered "not found" from memory, which is right for the
// fresh keys the benchmark posts. It shows what those round trips cost: a batched lookup
// (Kv::MultiGet) would save it.
class NoUniqueLookupKv final : public Kv {
 public:
  explicit NoUniqueLookupKv(Kv* inner) : inner_(inner) {}
  Status Get(Table t, std::string_view key, std::string* value) override {
    if (t == Table::kUnique) return Status::NotFound("not looked up");
    return inner_->Get(t, key, value);
  }
  Status Write(const WriteBatch& batch, bool sync) override { return inner_->Write(batch, sync); }
  Status Scan(Table t, std::string_view start, std::string_view end, size_t limit,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return inner_->Scan(t, start, end, limit, fn);
  }
  Status CreateCheckpoint(const std::string& dir) override { return inner_->CreateCheckpoint(dir); }
  std::map<std::string, double> Stats() override { return inner_->Stats(); }

 private:
  Kv* inner_;
};

struct Store {
  std::unique_ptr<PgKv> kv;
  std::unique_ptr<Kv> no_lookup;
  std::unique_ptr<Ledger> ledger;
  std::string error;
};

// One store per process: the two append benchmarks must run in separate processes on separate
// databases (each takes the log writer's lease).
Store& Open(bool skip_unique_lookups = false) {
  static Store store;
  static std::once_flag once;
  std::call_once(once, [skip_unique_lookups] {
    const char* dsn = std::getenv("LCB_PG_DSN");
    if (dsn == nullptr || *dsn == '\0') {
      store.error = "set LCB_PG_DSN to an empty database (benchmarks/pg/run.sh does)";
      return;
    }
    PgKvOptions options;
    options.dsn = dsn;
    options.pool_size = 12;
    auto kv = PgKv::Open(options);
    if (!kv.ok()) {
      store.error = kv.status().ToString();
      return;
    }
    store.kv = std::move(kv).value();
    if (auto lease = store.kv->AcquireWriter("pg_bench", std::chrono::minutes(30)); !lease.ok()) {
      store.error = lease.status().ToString();
      return;
    }
    Kv* kv_for_ledger = store.kv.get();
    if (skip_unique_lookups) {
      store.no_lookup = std::make_unique<NoUniqueLookupKv>(store.kv.get());
      kv_for_ledger = store.no_lookup.get();
    }
    auto ledger = Ledger::Open(kv_for_ledger,
                               std::make_shared<const Ed25519Key>(Ed25519Key::Generate()),
                               "bench.creditbank/log");
    if (!ledger.ok()) {
      store.error = ledger.status().ToString();
      return;
    }
    store.ledger = std::move(ledger).value();
  });
  return store;
}

// A record entry as the bank logs it (service/records.cc): canonical JSON of ~385 bytes with a
// random id and salt, posted for 200 learners in turn as benchmarks/load/ingest.lua posts them,
// so that the runs and bundles compress in PostgreSQL as the bank's do (entries of one repeated
// byte made both this benchmark and pg_limit several times faster). Unique key = id, a
// fingerprint, and the learner index row.
LogEntry Record(uint64_t seq) {
  LogEntry e;
  e.id = "rec_" + HashHex(Sha256(std::to_string(seq))).substr(0, 24);
  e.unique_key = e.id;
  const std::string salt = HashHex(Sha256("salt/" + std::to_string(seq))).substr(0, 32);
  const std::string learner =
      "lrn_" + HashHex(Sha256("learner/" + std::to_string(seq % 200))).substr(0, 16);
  char json[512];
  const int n = std::snprintf(
      json, sizeof json,
      R"({"completed_on":"2024-06-%02d","credits":3,"external_ref":"bench-%llu","field":"0613",)"
      R"("grade":{"normalized":%d,"scale":"percent","value":"%d"},"id":"%s","issuer":"benchuni",)"
      R"("kind":"degree_course","learner":"%s","level":6,"recorded_at":"2026-12-05T17:%02d:%02d.%03dZ",)"
      R"("salt":"%s","type":"record","unit":"benchuni:C1"})",
      static_cast<int>(1 + seq % 28), static_cast<unsigned long long>(seq),
      static_cast<int>(60 + seq % 40), static_cast<int>(60 + seq % 40), e.id.c_str(),
      learner.c_str(), static_cast<int>(seq / 3000000 % 60), static_cast<int>(seq / 50000 % 60),
      static_cast<int>(seq / 50 % 1000), salt.c_str());
  e.bytes.assign(json, static_cast<size_t>(n));
  Hash fp = Sha256(e.bytes);
  e.fingerprint.assign(reinterpret_cast<const char*>(fp.data()), fp.size());
  e.index_rows = [key = learner + std::string(1, '\0'), id = e.id](uint64_t leaf,
                                                                   WriteBatch* batch) {
    batch->Put(Table::kLearnerRecords, key + BigEndian64(leaf), id);
  };
  return e;
}

// Records/s the Ledger commits through PgKv: requests of range(0) entries from several threads,
// each group one fenced transaction (compare with pg_limit's records/s).
void LedgerAppend(benchmark::State& state, bool skip_unique_lookups) {
  Store& s = Open(skip_unique_lookups);
  if (!s.error.empty()) {
    state.SkipWithError(s.error.c_str());
    return;
  }
  static std::atomic<uint64_t> seq{0};
  const size_t per_request = static_cast<size_t>(state.range(0));
  const LedgerStats before = s.ledger->Stats();
  for (auto _ : state) {
    std::vector<LogEntry> entries;
    entries.reserve(per_request);
    for (size_t i = 0; i < per_request; ++i) entries.push_back(Record(seq++));
    auto r = s.ledger->AppendSync(std::move(entries));
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(per_request));
  if (state.thread_index() == 0) {
    const LedgerStats after = s.ledger->Stats();
    const double groups = static_cast<double>(after.groups - before.groups);
    state.counters["entries_per_group"] =
        groups > 0 ? static_cast<double>(after.entries - before.entries) / groups : 0;
  }
}
void BM_LedgerAppendPg(benchmark::State& state) { LedgerAppend(state, false); }
BENCHMARK(BM_LedgerAppendPg)
    ->Arg(1000)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5);
void BM_LedgerAppendPgNoLookup(benchmark::State& state) { LedgerAppend(state, true); }
BENCHMARK(BM_LedgerAppendPgNoLookup)
    ->Arg(1000)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5);

// Point reads through PgKv (one prepared SELECT by primary key): the idempotency row of a record
// appended above, by its id, the row GET /v1/records/{id} starts with (the leaves themselves are
// in entry bundles of 256 since the log is kept as tiles), from 8 threads, as pgbench -S runs 8
// clients.
void BM_PgKvGetRecordId(benchmark::State& state) {
  Store& s = Open();
  const uint64_t size = s.error.empty() ? s.ledger->Size() : 0;
  if (size == 0) {
    state.SkipWithError(s.error.empty() ? "no leaves yet: run BM_LedgerAppendPg first"
                                        : s.error.c_str());
    return;
  }
  std::mt19937_64 rng(static_cast<uint64_t>(state.thread_index()) + 1);
  std::string value;
  for (auto _ : state) {
    Status st = s.kv->Get(Table::kUnique, Record(rng() % size).id, &value);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PgKvGetRecordId)->Threads(8)->UseRealTime()->MinTime(5);

// Inclusion proofs from the store through PgKv (each reads O(log n) node rows below the
// Ledger's cached levels), from 8 threads.
void BM_InclusionProofPg(benchmark::State& state) {
  Store& s = Open();
  const uint64_t size = s.error.empty() ? s.ledger->Size() : 0;
  if (size == 0) {
    state.SkipWithError(s.error.empty() ? "no leaves yet" : s.error.c_str());
    return;
  }
  std::mt19937_64 rng(static_cast<uint64_t>(state.thread_index()) + 7);
  for (auto _ : state) {
    auto proof = s.ledger->InclusionProof(rng() % size, size);
    if (!proof.ok()) {
      state.SkipWithError(proof.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProofPg)->Threads(8)->UseRealTime()->MinTime(5);

}  // namespace
}  // namespace lcb

BENCHMARK_MAIN();
