// Benchmarks of the crypto hot paths: log appends (leaf hashing + frontier), proofs,
// Ed25519, SHA-256 and JCS. Figures go into benchmarks/README.md.
#include <benchmark/benchmark.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "crypto/ed25519.h"
#include "crypto/jcs.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

// A log entry is the JCS form of a record: about 400 bytes.
constexpr size_t kEntrySize = 400;
// The storage module benchmarks proofs over 10,000,000 persisted leaves; in memory 1,000,000
// (about 64 MB of node hashes, built in about a second) shows the O(log n) cost well enough.
constexpr uint64_t kProofTreeSize = 1'000'000;

std::string Entry() {
  std::string e(kEntrySize, 'x');
  for (size_t i = 0; i < e.size(); ++i) e[i] = static_cast<char>('a' + i % 26);
  return e;
}

void BM_Sha256(benchmark::State& state) {
  const std::string entry = Entry();
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(entry));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(entry.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sha256);

void BM_LeafHash(benchmark::State& state) {
  const std::string entry = Entry();
  for (auto _ : state) benchmark::DoNotOptimize(LeafHash(entry));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeafHash);

void BM_NodeHash(benchmark::State& state) {
  Hash a = Sha256("a");
  const Hash b = Sha256("b");
  for (auto _ : state) {
    a = NodeHash(a, b);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NodeHash);

// Leaves per second appended to the log: hashing the 400-byte entry, the frontier update
// and collecting the complete subtrees a store would persist.
void BM_FrontierAppend(benchmark::State& state) {
  std::string entry = Entry();
  Frontier frontier;
  std::vector<StoredNode> nodes;
  uint64_t n = 0;
  for (auto _ : state) {
    std::memcpy(entry.data(), &n, sizeof(n));  // every entry distinct
    ++n;
    nodes.clear();
    frontier.Append(LeafHash(entry), &nodes);
    benchmark::DoNotOptimize(nodes.data());
  }
  benchmark::DoNotOptimize(frontier.Root());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FrontierAppend);

MemoryTree& ProofTree() {
  static MemoryTree* tree = [] {
    auto* t = new MemoryTree();  // benchmark-lifetime fixture, deliberately not freed
    std::string entry = Entry();
    for (uint64_t i = 0; i < kProofTreeSize; ++i) {
      std::memcpy(entry.data(), &i, sizeof(i));
      t->Append(LeafHash(entry));
    }
    return t;
  }();
  return *tree;
}

void BM_InclusionProof(benchmark::State& state) {
  MemoryTree& tree = ProofTree();
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<uint64_t> index(0, kProofTreeSize - 1);
  for (auto _ : state) {
    StatusOr<std::vector<Hash>> proof = InclusionProof(index(rng), kProofTreeSize, tree);
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProof);

void BM_ConsistencyProof(benchmark::State& state) {
  MemoryTree& tree = ProofTree();
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<uint64_t> first(1, kProofTreeSize - 1);
  for (auto _ : state) {
    StatusOr<std::vector<Hash>> proof = ConsistencyProof(first(rng), kProofTreeSize, tree);
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProof);

void BM_VerifyInclusion(benchmark::State& state) {
  MemoryTree& tree = ProofTree();
  const uint64_t index = 123'457;
  const Hash leaf = *tree.Node(0, index);
  const std::vector<Hash> proof = *InclusionProof(index, kProofTreeSize, tree);
  const Hash root = tree.Root();
  for (auto _ : state)
    benchmark::DoNotOptimize(VerifyInclusion(index, kProofTreeSize, leaf, proof, root));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyInclusion);

void BM_Ed25519Sign(benchmark::State& state) {
  const Ed25519Key key = Ed25519Key::Generate();
  const std::string msg =
      "bank.example/log\n123456\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
  for (auto _ : state) benchmark::DoNotOptimize(key.Sign(msg));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
  const Ed25519Key key = Ed25519Key::Generate();
  const std::string msg =
      "bank.example/log\n123456\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
  const std::string sig = key.Sign(msg);
  const std::string& pub = key.PublicKey();
  for (auto _ : state) {
    const bool ok = Ed25519Verify(pub, msg, sig);
    if (!ok) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify);

// A typical outcome record (15 fields) as it is canonicalized into a log entry.
void BM_CanonicalJson(benchmark::State& state) {
  const nlohmann::json record = {
      {"type", "record"},
      {"id", "rec_01J8Z3K4Q7M2V9X5T6W8Y0A1B2"},
      {"institution", "tsinghua"},
      {"learner", "lrn_7f3c9a2e51d84b06"},
      {"unit", "tsinghua:CS101"},
      {"external_ref", "2024-FALL-CS101-0042"},
      {"credits", 4},
      {"hours", 64},
      {"level", 6},
      {"field", "0613"},
      {"grade", {{"scale", "percent"}, {"value", 91.5}}},
      {"completed_on", "2024-12-20"},
      {"attendance", "in_person"},
      {"evidence_sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
      {"salt", "q3T0vX2mB8yL5nR1cZ7wKg"},
  };
  size_t bytes = 0;
  for (auto _ : state) {
    StatusOr<std::string> out = CanonicalJson(record);
    bytes = out->size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["entry_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CanonicalJson);

}  // namespace
}  // namespace lcb

BENCHMARK_MAIN();
