// Storage benchmarks: inclusion and consistency proofs from a warm RocksDB store holding a
// large log (issue 5: <= 50 us median for a 10,000,000-leaf log), and the group-commit ledger.
//
// The log is built once into $LCB_BENCH_DIR (default /tmp/creditbank-bench-log-v3) with
// $LCB_BENCH_LEAVES leaves (default 10,000,000) and reused by later runs.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>

#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"
#include "crypto/tiles.h"
#include "storage/kv.h"
#include "storage/ledger.h"
#include "storage/ledger_layout.h"

namespace lcb {
namespace {

constexpr char kOrigin[] = "bench.creditbank/log";

uint64_t Leaves() {
  const char* env = std::getenv("LCB_BENCH_LEAVES");
  return env ? std::strtoull(env, nullptr, 10) : 10'000'000;
}

std::string Dir() {
  const char* env = std::getenv("LCB_BENCH_DIR");
  return env ? env : "/tmp/creditbank-bench-log-v3";  // v3: C2SP tiles
}

struct Store {
  std::unique_ptr<Kv> kv;
  std::unique_ptr<Ledger> ledger;
};

// Writes the log the way the Ledger stores it (storage/ledger.h): entry bundles and hash tiles
// of the full tiles, the partial tile's entries as one run, tree size, layout and a signed
// checkpoint; without sync (a benchmark fixture, not a durability path).
void BuildTiledLog(Kv* kv, const Ed25519Key& key, uint64_t n) {
  namespace layout = ledger_layout;
  TileEdge edge;
  std::vector<FullTile> full;
  std::string bundle;
  WriteBatch batch;
  std::string entry(400, 'e');
  for (uint64_t i = 0; i < n; ++i) {
    std::memcpy(entry.data(), &i, sizeof i);
    edge.Append(LeafHash(entry), nullptr, &full);
    (void)AppendBundleEntry(entry, &bundle);
    layout::AddFullTileRows(full, &bundle, &batch);
    if (batch.size() >= 100'000) {
      (void)kv->Write(batch, false);
      batch.Clear();
    }
  }
  if (!bundle.empty()) {
    batch.Put(Table::kLogLeaves, layout::LeafKey(FullTiles(0, n) * kTileWidth), bundle);
  }
  batch.Put(Table::kMeta, layout::kMetaTreeSize, BigEndian64(n));
  batch.Put(Table::kMeta, layout::kMetaLayout, layout::kLayoutRuns);
  batch.Put(Table::kMeta, layout::kMetaCheckpoint,
            SignNote(FormatCheckpointBody({kOrigin, n, edge.Root(), {}}), kOrigin, key));
  (void)kv->Write(batch, true);
}

Store& Open() {
  static Store* store = [] {
    auto* s = new Store;
    std::string dir = Dir();
    bool fresh = !std::filesystem::exists(dir + "/db");
    std::filesystem::create_directories(dir);
    s->kv = std::move(OpenRocksKv(dir + "/db")).value();
    std::string key_path = dir + "/key.pem";
    if (!std::filesystem::exists(key_path)) (void)Ed25519Key::Generate().SavePem(key_path);
    auto key = std::make_shared<const Ed25519Key>(std::move(Ed25519Key::LoadPem(key_path)).value());
    if (fresh) BuildTiledLog(s->kv.get(), *key, Leaves());
    s->ledger = std::move(Ledger::Open(s->kv.get(), key, kOrigin)).value();
    return s;
  }();
  return *store;
}

void BM_InclusionProofFromStore(benchmark::State& state) {
  Store& s = Open();
  uint64_t n = s.ledger->Size();
  std::mt19937_64 rng(42);
  // Warm the block cache: the figure is for a warm store.
  for (int i = 0; i < 20000; ++i) (void)s.ledger->InclusionProof(rng() % n, n);
  for (auto _ : state) {
    auto proof = s.ledger->InclusionProof(rng() % n, n);
    benchmark::DoNotOptimize(proof);
  }
  state.counters["tree_size"] = static_cast<double>(n);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProofFromStore)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProofFromStore(benchmark::State& state) {
  Store& s = Open();
  uint64_t n = s.ledger->Size();
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    auto proof = s.ledger->ConsistencyProof(1 + rng() % (n - 1), n);
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProofFromStore)->Unit(benchmark::kMicrosecond);

// A full hash tile as GET /log/tile/0/<N> serves it (8 KB), from a warm store.
void BM_FullTileFromStore(benchmark::State& state) {
  Store& s = Open();
  const uint64_t tiles = FullTiles(0, s.ledger->Size());
  std::mt19937_64 rng(9);
  for (int i = 0; i < 20000; ++i) (void)s.ledger->Tile(0, rng() % tiles, kTileWidth);
  for (auto _ : state) {
    auto tile = s.ledger->Tile(0, rng() % tiles, kTileWidth);
    benchmark::DoNotOptimize(tile);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FullTileFromStore)->Unit(benchmark::kMicrosecond);

// One entry read through its bundle and checked against its leaf hash (Ledger::Entry: records
// read by id), random leaves of the warm store.
void BM_EntryFromStore(benchmark::State& state) {
  Store& s = Open();
  const uint64_t n = s.ledger->Size();
  std::mt19937_64 rng(13);
  for (int i = 0; i < 20000; ++i) (void)s.ledger->Entry(rng() % n);
  for (auto _ : state) {
    auto entry = s.ledger->Entry(rng() % n);
    benchmark::DoNotOptimize(entry);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EntryFromStore)->Unit(benchmark::kMicrosecond);

// A new, empty store in Dir() + suffix, opened once per process and kept for the run.
Store& FreshStore(const std::string& suffix) {
  static std::map<std::string, Store> stores;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto [it, inserted] = stores.try_emplace(suffix);
  if (inserted) {
    std::string dir = Dir() + suffix;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    it->second.kv = std::move(OpenRocksKv(dir + "/db")).value();
    auto key = std::make_shared<const Ed25519Key>(Ed25519Key::Generate());
    it->second.ledger = std::move(Ledger::Open(it->second.kv.get(), key, kOrigin)).value();
  }
  return it->second;
}

// The ledger's group commit without fsync cost: entries/s the single writer sustains when
// requests of `range(0)` entries arrive from 4 threads (sync on, as in production).
void BM_LedgerAppendSync(benchmark::State& state) {
  static Store& store = FreshStore("-append");
  Ledger* ledger = store.ledger.get();
  const int per_request = static_cast<int>(state.range(0));
  uint64_t seq = static_cast<uint64_t>(state.thread_index()) << 40;
  for (auto _ : state) {
    std::vector<LogEntry> entries(per_request);
    for (auto& e : entries) {
      e.bytes = std::string(600, 'r') + std::to_string(++seq);
      e.id = "rec_" + std::to_string(seq);
    }
    auto r = ledger->AppendSync(std::move(entries));
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * per_request);
}
BENCHMARK(BM_LedgerAppendSync)->Arg(100)->Threads(8)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same with the rows a posted record really carries (as Bank::BuildRecordEntry makes
// them): a 24-hex record id, an idempotency key per (issuer, external_ref), a fingerprint, and
// the learner index row; learners drawn from 200 (as in benchmarks/load). This is the log
// writer's share of HTTP ingestion.
void BM_LedgerAppendRecords(benchmark::State& state) {
  static Store& store = FreshStore("-records");
  Ledger* ledger = store.ledger.get();
  const int per_request = static_cast<int>(state.range(0));
  std::mt19937_64 rng(static_cast<uint64_t>(state.thread_index()) + 1);
  uint64_t seq = static_cast<uint64_t>(state.thread_index()) << 40;
  for (auto _ : state) {
    std::vector<LogEntry> entries(per_request);
    for (auto& e : entries) {
      ++seq;
      std::string ref = "r" + std::to_string(state.thread_index()) + "-" + std::to_string(seq);
      Hash h = Sha256(ref);
      e.id = "rec_" + HashHex(h).substr(0, 24);
      e.bytes = std::string(560, 'r') + ref;
      e.unique_key = e.id;  // as Bank does for records
      e.fingerprint = std::string(reinterpret_cast<const char*>(h.data()), 32);
      std::string learner = "lrn_" + HashHex(Sha256(std::to_string(rng() % 200))).substr(0, 16);
      e.index_rows = [learner, id = e.id](uint64_t leaf, WriteBatch* batch) {
        batch->Put(Table::kLearnerRecords, learner + std::string(1, '\0') + BigEndian64(leaf), id);
      };
    }
    auto r = ledger->AppendSync(std::move(entries));
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * per_request);
}
BENCHMARK(BM_LedgerAppendRecords)->Arg(100)->Threads(8)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lcb

BENCHMARK_MAIN();
