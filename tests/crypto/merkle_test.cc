#include "crypto/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "tests/crypto/test_util.h"

namespace lcb {
namespace {

using testing::HashOf;
using testing::Unhex;

std::vector<Hash> HashesOf(const nlohmann::json& hex_list) {
  std::vector<Hash> out;
  for (const auto& h : hex_list) out.push_back(HashOf(h.get<std::string>()));
  return out;
}

// The oracle: RFC 9162 §2.1.1 MTH, §2.1.3.1 PATH and §2.1.4.1 SUBPROOF written as the
// recursive definitions, hashing with plain SHA-256 (not the library's LeafHash/NodeHash).
// MTH results are memoized so that proofs over 10,000 leaves stay fast; the recursion is
// otherwise the RFC's.
class Oracle {
 public:
  explicit Oracle(std::vector<std::string> entries) {
    for (const std::string& e : entries) leaves_.push_back(Sha256(std::string(1, '\0') + e));
  }
  const std::vector<Hash>& leaves() const { return leaves_; }

  Hash Mth(uint64_t begin, uint64_t end) {
    const uint64_t n = end - begin;
    if (n == 0) return Sha256("");
    if (n == 1) return leaves_[begin];
    auto memo = memo_.find({begin, end});
    if (memo != memo_.end()) return memo->second;
    const uint64_t k = Split(n);
    const Hash left = Mth(begin, begin + k);
    const Hash right = Mth(begin + k, end);
    const Hash h = Sha256("\x01" + std::string(HashBytes(left)) + std::string(HashBytes(right)));
    memo_[{begin, end}] = h;
    return h;
  }

  std::vector<Hash> Path(uint64_t m, uint64_t begin, uint64_t end) {
    const uint64_t n = end - begin;
    if (n == 1) return {};
    const uint64_t k = Split(n);
    std::vector<Hash> p;
    if (m < k) {
      p = Path(m, begin, begin + k);
      p.push_back(Mth(begin + k, end));
    } else {
      p = Path(m - k, begin + k, end);
      p.push_back(Mth(begin, begin + k));
    }
    return p;
  }

  std::vector<Hash> Subproof(uint64_t m, uint64_t begin, uint64_t end, bool b) {
    const uint64_t n = end - begin;
    if (m == n) {
      if (b) return {};
      return {Mth(begin, end)};
    }
    const uint64_t k = Split(n);
    std::vector<Hash> p;
    if (m <= k) {
      p = Subproof(m, begin, begin + k, b);
      p.push_back(Mth(begin + k, end));
    } else {
      p = Subproof(m - k, begin + k, end, false);
      p.push_back(Mth(begin, begin + k));
    }
    return p;
  }

  std::vector<Hash> Consistency(uint64_t m, uint64_t n) {
    if (m == 0 || m == n) return {};
    return Subproof(m, 0, n, true);
  }

 private:
  // The largest power of two smaller than n, by the definition (not by bit tricks).
  static uint64_t Split(uint64_t n) {
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }

  std::vector<Hash> leaves_;
  std::map<std::pair<uint64_t, uint64_t>, Hash> memo_;
};

// Serves a MemoryTree's nodes while checking that a computation for tree `size` only asks
// for complete subtrees of that size, and counting the reads.
class CheckedReader final : public NodeReader {
 public:
  CheckedReader(MemoryTree* tree, uint64_t size) : tree_(tree), size_(size) {}
  StatusOr<Hash> Node(int level, uint64_t index) override {
    ++reads;
    EXPECT_LE((index + 1) << level, size_) << "read of incomplete node " << level << "/" << index;
    return tree_->Node(level, index);
  }
  int reads = 0;

 private:
  MemoryTree* tree_;
  uint64_t size_;
};

std::vector<std::string> Entries(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back("entry " + std::to_string(i));
  return out;
}

MemoryTree TreeOf(const std::vector<Hash>& leaves) {
  MemoryTree tree;
  for (const Hash& h : leaves) tree.Append(h);
  return tree;
}

// --- Hashing ---------------------------------------------------------------------------

TEST(MerkleHasher, TransparencyDevVectors) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "merkle_rfc6962.json");
  int checked = 0;
  for (const auto& c : v["hasher_vectors"]["cases"]) {
    const std::string op = c["op"];
    const Hash expect = HashOf(c["expect_hex"]);
    if (op == "empty_root") {
      EXPECT_EQ(EmptyRoot(), expect);
    } else if (op == "hash_leaf") {
      EXPECT_EQ(LeafHash(Unhex(c["input_hex"])), expect) << c["desc"];
    } else if (op == "hash_children") {
      // The vector's children are 4-byte strings, not hashes, so it pins the 0x01 prefix
      // convention; NodeHash itself is checked against the reference tree below.
      Sha256Hasher h;
      h.Update(std::string("\x01") + Unhex(c["left_hex"]) + Unhex(c["right_hex"]));
      EXPECT_EQ(h.Final(), expect) << c["desc"];
    } else {
      ADD_FAILURE() << "unknown op " << op;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

TEST(MerkleHasher, NodeHashIsPrefixedConcatenation) {
  const Hash l = Sha256("left");
  const Hash r = Sha256("right");
  EXPECT_EQ(NodeHash(l, r), Sha256("\x01" + std::string(HashBytes(l)) + std::string(HashBytes(r))));
  EXPECT_NE(NodeHash(l, r), NodeHash(r, l));
}

// --- The RFC 6962 reference tree -------------------------------------------------------

class ReferenceTree : public ::testing::Test {
 protected:
  void SetUp() override {
    LCB_LOAD_VECTORS_OR_SKIP(vectors_, "merkle_rfc6962.json");
    for (const auto& hex : vectors_["reference_tree"]["leaves_hex"]) {
      tree_.Append(LeafHash(Unhex(hex)));
    }
    ASSERT_EQ(tree_.size(), 8u);
  }
  nlohmann::json vectors_;
  MemoryTree tree_;
};

TEST_F(ReferenceTree, RootsForEverySize) {
  const auto& roots = vectors_["reference_tree"]["roots_by_size_hex"];
  ASSERT_EQ(roots.size(), 9u);
  MemoryTree growing;
  Frontier frontier;
  EXPECT_EQ(frontier.Root(), HashOf(roots[0]));
  EXPECT_EQ(growing.Root(), HashOf(roots[0]));
  for (uint64_t size = 0; size <= 8; ++size) {
    CheckedReader reader(&tree_, size);
    StatusOr<Hash> root = RootAt(size, reader);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(*root, HashOf(roots[size])) << "size " << size;
    EXPECT_LE(reader.reads, std::popcount(size));
    if (size > 0) {
      const Hash leaf = *tree_.Node(0, size - 1);
      growing.Append(leaf);
      frontier.Append(leaf, nullptr);
      EXPECT_EQ(growing.Root(), HashOf(roots[size]));
      EXPECT_EQ(frontier.Root(), HashOf(roots[size]));
    }
  }
}

TEST_F(ReferenceTree, NodeHashes) {
  const auto& levels = vectors_["reference_tree"]["node_hashes_hex"];
  int checked = 0;
  for (size_t level = 0; level < levels.size(); ++level) {
    for (size_t i = 0; i < levels[level].size(); ++i) {
      StatusOr<Hash> node = tree_.Node(static_cast<int>(level), i);
      ASSERT_TRUE(node.ok());
      EXPECT_EQ(*node, HashOf(levels[level][i])) << level << "/" << i;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 8 + 4 + 2 + 1);
  EXPECT_EQ(tree_.Node(0, 8).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tree_.Node(4, 0).status().code(), StatusCode::kNotFound);
}

TEST_F(ReferenceTree, PublishedInclusionProofs) {
  int checked = 0;
  for (const auto& c : vectors_["inclusion_proofs"]) {
    const uint64_t index = c["leaf_index"];
    const uint64_t size = c["tree_size"];
    CheckedReader reader(&tree_, size);
    StatusOr<std::vector<Hash>> proof = InclusionProof(index, size, reader);
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(*proof, HashesOf(c["proof_hex"])) << index << " in " << size;
    EXPECT_EQ(LeafHash(Unhex(c["leaf_data_hex"])), HashOf(c["leaf_hash_hex"]));
    EXPECT_TRUE(
        VerifyInclusion(index, size, HashOf(c["leaf_hash_hex"]), *proof, HashOf(c["root_hex"]))
            .ok());
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

TEST_F(ReferenceTree, PublishedConsistencyProofs) {
  int checked = 0;
  for (const auto& c : vectors_["consistency_proofs"]) {
    const uint64_t m = c["size1"];
    const uint64_t n = c["size2"];
    CheckedReader reader(&tree_, n);
    StatusOr<std::vector<Hash>> proof = ConsistencyProof(m, n, reader);
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(*proof, HashesOf(c["proof_hex"])) << m << " -> " << n;
    EXPECT_TRUE(
        VerifyConsistency(m, n, HashOf(c["root1_hex"]), HashOf(c["root2_hex"]), *proof).ok());
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

TEST_F(ReferenceTree, EveryProofOfTheEightLeafTree) {
  nlohmann::json all;
  LCB_LOAD_VECTORS_OR_SKIP(all, "merkle_rfc6962_derived_all_proofs.json");
  std::set<std::pair<uint64_t, uint64_t>> inclusion_seen;
  for (const auto& c : all["inclusion"]) {
    const uint64_t index = c["leaf_index"];
    const uint64_t size = c["tree_size"];
    CheckedReader reader(&tree_, size);
    StatusOr<std::vector<Hash>> proof = InclusionProof(index, size, reader);
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(*proof, HashesOf(c["proof_hex"])) << index << " in " << size;
    EXPECT_TRUE(
        VerifyInclusion(index, size, HashOf(c["leaf_hash_hex"]), *proof, HashOf(c["root_hex"]))
            .ok());
    inclusion_seen.insert({index, size});
  }
  std::set<std::pair<uint64_t, uint64_t>> consistency_seen;
  for (const auto& c : all["consistency"]) {
    const uint64_t m = c["size1"];
    const uint64_t n = c["size2"];
    CheckedReader reader(&tree_, n);
    StatusOr<std::vector<Hash>> proof = ConsistencyProof(m, n, reader);
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(*proof, HashesOf(c["proof_hex"])) << m << " -> " << n;
    EXPECT_TRUE(
        VerifyConsistency(m, n, HashOf(c["root1_hex"]), HashOf(c["root2_hex"]), *proof).ok());
    consistency_seen.insert({m, n});
  }
  // Every 0 <= i < n <= 8 and every 1 <= m <= n <= 8.
  EXPECT_EQ(inclusion_seen.size(), 36u);
  EXPECT_EQ(consistency_seen.size(), 36u);
}

// Upstream probes: happy paths and many corruptions of them. Upstream takes hashes as byte
// strings of any length; here a hash is a 32-byte Hash, so a probe with a leaf, root or proof
// element of another length cannot be expressed and counts as rejected (the CLI rejects it
// as a bad argument). Exactly one upstream-valid probe is of that kind: equal sizes with
// equal 12-byte "roots", which upstream accepts by comparing opaque bytes.
std::optional<std::vector<Hash>> ProbeHashes(const nlohmann::json& hex_list) {
  std::vector<Hash> out;
  for (const auto& h : hex_list) {
    std::optional<Hash> hash = HashFromHex(h.get<std::string>());
    if (!hash) return std::nullopt;
    out.push_back(*hash);
  }
  return out;
}

bool UpstreamOnlyValid(const nlohmann::json& probe) {
  return probe["file"] ==
         "testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json";
}

TEST(MerkleProbes, Inclusion) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "merkle_rfc6962.json");
  int processed = 0;
  int valid = 0;
  for (const auto& p : v["probes"]["inclusion"]) {
    const std::optional<Hash> leaf = HashFromHex(p["leaf_hash_hex"].get<std::string>());
    const std::optional<Hash> root = HashFromHex(p["root_hex"].get<std::string>());
    const std::optional<std::vector<Hash>> proof = ProbeHashes(p["proof_hex"]);
    bool ok = false;
    if (leaf && root && proof) {
      ok = VerifyInclusion(p["leaf_index"], p["tree_size"], *leaf, *proof, *root).ok();
    }
    EXPECT_EQ(ok, p["expect_valid"].get<bool>()) << p["file"];
    ++processed;
    valid += ok;
  }
  EXPECT_EQ(processed, 98);
  EXPECT_EQ(valid, 6);
}

TEST(MerkleProbes, Consistency) {
  nlohmann::json v;
  LCB_LOAD_VECTORS_OR_SKIP(v, "merkle_rfc6962.json");
  int processed = 0;
  int valid = 0;
  for (const auto& p : v["probes"]["consistency"]) {
    const std::optional<Hash> root1 = HashFromHex(p["root1_hex"].get<std::string>());
    const std::optional<Hash> root2 = HashFromHex(p["root2_hex"].get<std::string>());
    const std::optional<std::vector<Hash>> proof = ProbeHashes(p["proof_hex"]);
    bool ok = false;
    if (root1 && root2 && proof) {
      ok = VerifyConsistency(p["size1"], p["size2"], *root1, *root2, *proof).ok();
    }
    // Upstream rejects every size1 == 0 probe; under the C2SP witness convention an empty
    // proof from the empty tree is valid, but every size1 == 0 probe here also carries a
    // non-empty proof or a root that is not 32 bytes, so the expectations still hold.
    const bool expect = p["expect_valid"].get<bool>() && !UpstreamOnlyValid(p);
    EXPECT_EQ(ok, expect) << p["file"];
    ++processed;
    valid += ok;
  }
  EXPECT_EQ(processed, 98);
  EXPECT_EQ(valid, 5);
}

// --- Verification edge cases and messages ---------------------------------------------

class SmallTree : public ::testing::Test {
 protected:
  void SetUp() override {
    oracle_ = std::make_unique<Oracle>(Entries(13));
    tree_ = TreeOf(oracle_->leaves());
  }
  std::unique_ptr<Oracle> oracle_;
  MemoryTree tree_;
};

TEST_F(SmallTree, InclusionMessages) {
  const Hash root = oracle_->Mth(0, 13);
  const Hash leaf = oracle_->leaves()[5];
  std::vector<Hash> proof = *InclusionProof(5, 13, tree_);
  ASSERT_EQ(proof.size(), 4u);
  EXPECT_TRUE(VerifyInclusion(5, 13, leaf, proof, root).ok());

  std::vector<Hash> short_proof(proof.begin(), proof.end() - 1);
  Status s = VerifyInclusion(5, 13, leaf, short_proof, root);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "proof has 3 hashes, expected 4");

  std::vector<Hash> long_proof = proof;
  long_proof.push_back(root);
  EXPECT_EQ(VerifyInclusion(5, 13, leaf, long_proof, root).message(),
            "proof has 5 hashes, expected 4");

  std::vector<Hash> bent = proof;
  bent[2][7] ^= 0x10;
  s = VerifyInclusion(5, 13, leaf, bent, root);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "root mismatch");

  EXPECT_EQ(VerifyInclusion(6, 13, leaf, proof, root).message(), "root mismatch");
  s = VerifyInclusion(13, 13, leaf, proof, root);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "leaf index 13 is not below tree size 13");
  EXPECT_EQ(InclusionProof(13, 13, tree_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(0, 0, tree_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SmallTree, ConsistencyMessages) {
  const Hash r7 = oracle_->Mth(0, 7);
  const Hash r13 = oracle_->Mth(0, 13);
  std::vector<Hash> proof = *ConsistencyProof(7, 13, tree_);
  EXPECT_TRUE(VerifyConsistency(7, 13, r7, r13, proof).ok());

  Status s = VerifyConsistency(7, 13, r13, r13, proof);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "first root mismatch");
  EXPECT_EQ(VerifyConsistency(7, 13, r7, r7, proof).message(), "second root mismatch");
  std::vector<Hash> short_proof(proof.begin() + 1, proof.end());
  EXPECT_EQ(VerifyConsistency(7, 13, r7, r13, short_proof).message(),
            "proof has " + std::to_string(proof.size() - 1) + " hashes, expected " +
                std::to_string(proof.size()));

  s = VerifyConsistency(13, 7, r13, r7, {});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(13, 7, tree_).status().code(), StatusCode::kInvalidArgument);

  // Equal sizes: equal roots and an empty proof, nothing else.
  EXPECT_TRUE(VerifyConsistency(13, 13, r13, r13, {}).ok());
  EXPECT_EQ(VerifyConsistency(13, 13, r13, r7, {}).message(), "root mismatch");
  EXPECT_EQ(VerifyConsistency(13, 13, r13, r13, {r13}).message(), "proof has 1 hashes, expected 0");
}

TEST_F(SmallTree, ConsistencyFromTheEmptyTree) {
  const Hash r13 = oracle_->Mth(0, 13);
  EXPECT_TRUE(ConsistencyProof(0, 13, tree_)->empty());
  EXPECT_TRUE(VerifyConsistency(0, 13, EmptyRoot(), r13, {}).ok());
  EXPECT_TRUE(VerifyConsistency(0, 0, EmptyRoot(), EmptyRoot(), {}).ok());
  EXPECT_EQ(VerifyConsistency(0, 13, r13, r13, {}).message(), "first root mismatch");
  EXPECT_EQ(VerifyConsistency(0, 13, EmptyRoot(), r13, {r13}).message(),
            "proof has 1 hashes, expected 0");
}

// --- Against the oracle ------------------------------------------------------------------

TEST(MerkleOracle, EveryProofUpTo64Leaves) {
  Oracle oracle(Entries(64));
  MemoryTree tree = TreeOf(oracle.leaves());
  for (uint64_t n = 1; n <= 64; ++n) {
    const Hash root = oracle.Mth(0, n);
    CheckedReader root_reader(&tree, n);
    ASSERT_EQ(*RootAt(n, root_reader), root);
    for (uint64_t i = 0; i < n; ++i) {
      CheckedReader reader(&tree, n);
      std::vector<Hash> proof = *InclusionProof(i, n, reader);
      ASSERT_EQ(proof, oracle.Path(i, 0, n)) << i << " in " << n;
      ASSERT_TRUE(VerifyInclusion(i, n, oracle.leaves()[i], proof, root).ok());
    }
    for (uint64_t m = 0; m <= n; ++m) {
      CheckedReader reader(&tree, n);
      std::vector<Hash> proof = *ConsistencyProof(m, n, reader);
      ASSERT_EQ(proof, oracle.Consistency(m, n)) << m << " -> " << n;
      ASSERT_TRUE(VerifyConsistency(m, n, oracle.Mth(0, m), root, proof).ok()) << m << "->" << n;
    }
  }
}

TEST(MerkleOracle, RandomPairsUpTo10000Leaves) {
  constexpr uint64_t kMaxSize = 10000;
  Oracle oracle(Entries(kMaxSize));
  MemoryTree tree = TreeOf(oracle.leaves());
  std::mt19937_64 rng(20240917);
  const auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  for (int round = 0; round < 300; ++round) {
    const uint64_t n = uniform(1, kMaxSize);
    const uint64_t i = uniform(0, n - 1);
    const Hash root = oracle.Mth(0, n);
    CheckedReader reader(&tree, n);
    std::vector<Hash> proof = *InclusionProof(i, n, reader);
    ASSERT_EQ(proof, oracle.Path(i, 0, n)) << i << " in " << n;
    EXPECT_LE(reader.reads, 2 * std::bit_width(n));
    ASSERT_TRUE(VerifyInclusion(i, n, oracle.leaves()[i], proof, root).ok());
    if (!proof.empty()) {
      std::vector<Hash> bent = proof;
      bent[uniform(0, bent.size() - 1)][uniform(0, 31)] ^= 1;
      EXPECT_FALSE(VerifyInclusion(i, n, oracle.leaves()[i], bent, root).ok());
    }
    CheckedReader root_reader(&tree, n);
    EXPECT_EQ(*RootAt(n, root_reader), root);
  }
  for (int round = 0; round < 300; ++round) {
    const uint64_t n = uniform(1, kMaxSize);
    const uint64_t m = uniform(0, n);
    CheckedReader reader(&tree, n);
    std::vector<Hash> proof = *ConsistencyProof(m, n, reader);
    ASSERT_EQ(proof, oracle.Consistency(m, n)) << m << " -> " << n;
    EXPECT_LE(reader.reads, 2 * std::bit_width(n));
    const Hash old_root = oracle.Mth(0, m);
    const Hash new_root = oracle.Mth(0, n);
    ASSERT_TRUE(VerifyConsistency(m, n, old_root, new_root, proof).ok()) << m << " -> " << n;
    if (!proof.empty()) {
      std::vector<Hash> bent = proof;
      bent[uniform(0, bent.size() - 1)][uniform(0, 31)] ^= 1;
      EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, bent).ok());
    }
  }
}

// InclusionProofs (a commit group's receipts, right-edge ranges computed once) against the
// brute-force oracle, for runs of consecutive leaves at the end of random trees and for
// scattered leaves; an index beyond the tree fails as InclusionProof does.
TEST(MerkleOracle, BatchedProofsEqualTheOracle) {
  constexpr uint64_t kMaxSize = 3000;
  Oracle oracle(Entries(kMaxSize));
  MemoryTree tree = TreeOf(oracle.leaves());
  std::mt19937_64 rng(20261129);
  for (int round = 0; round < 60; ++round) {
    const uint64_t n = 1 + rng() % kMaxSize;
    std::vector<uint64_t> indexes;
    const uint64_t group = 1 + rng() % std::min<uint64_t>(n, 500);
    for (uint64_t i = n - group; i < n; ++i) indexes.push_back(i);  // a group at the edge
    for (int k = 0; k < 20; ++k) indexes.push_back(rng() % n);       // and anywhere
    CheckedReader reader(&tree, n);
    auto proofs = InclusionProofs(indexes, n, reader);
    ASSERT_TRUE(proofs.ok()) << proofs.status().ToString();
    ASSERT_EQ(proofs->size(), indexes.size());
    for (size_t k = 0; k < indexes.size(); ++k) {
      ASSERT_EQ((*proofs)[k], oracle.Path(indexes[k], 0, n)) << indexes[k] << " in " << n;
    }
  }
  CheckedReader reader(&tree, 10);
  EXPECT_FALSE(InclusionProofs({3, 10}, 10, reader).ok());
}

// --- Frontier ------------------------------------------------------------------------------

TEST(Frontier, EmitsExactlyTheCompleteSubtrees) {
  constexpr uint64_t kSize = 1000;
  Oracle oracle(Entries(kSize));
  MemoryTree tree = TreeOf(oracle.leaves());
  Frontier frontier;
  std::vector<StoredNode> emitted;
  for (uint64_t t = 0; t < kSize; ++t) {
    const size_t before = emitted.size();
    frontier.Append(oracle.leaves()[t], &emitted);
    ASSERT_EQ(emitted[before], (StoredNode{0, t, oracle.leaves()[t]}));
    // Leaf t completes one subtree per trailing one bit of t.
    ASSERT_EQ(emitted.size() - before, 1u + std::countr_one(t));
    ASSERT_EQ(frontier.size(), t + 1);
    if (t < 300) {
      ASSERT_EQ(frontier.Root(), oracle.Mth(0, t + 1)) << t + 1;
    }
  }
  std::set<std::pair<int, uint64_t>> seen;
  for (const StoredNode& node : emitted) {
    EXPECT_TRUE(seen.insert({node.level, node.index}).second) << "duplicate node";
    EXPECT_EQ(node.hash, *tree.Node(node.level, node.index));
    EXPECT_EQ(node.hash, oracle.Mth(node.index << node.level, (node.index + 1) << node.level));
  }
  std::set<std::pair<int, uint64_t>> all_complete;
  for (int level = 0; (uint64_t{1} << level) <= kSize; ++level) {
    for (uint64_t i = 0; (i + 1) << level <= kSize; ++i) all_complete.insert({level, i});
  }
  EXPECT_EQ(seen, all_complete);
}

TEST(Frontier, LoadAfterAppendsGivesTheSameRoot) {
  constexpr uint64_t kSize = 600;
  Oracle oracle(Entries(kSize));
  MemoryTree tree = TreeOf(oracle.leaves());
  Frontier appended;
  for (uint64_t size = 0; size <= kSize; ++size) {
    CheckedReader reader(&tree, size);
    StatusOr<Frontier> loaded = Frontier::Load(size, reader);
    ASSERT_TRUE(loaded.ok());
    EXPECT_LE(reader.reads, std::popcount(size));
    ASSERT_EQ(loaded->size(), size);
    ASSERT_EQ(loaded->Root(), appended.Root()) << size;
    ASSERT_EQ(loaded->Root(), oracle.Mth(0, size)) << size;
    if (size < kSize) {
      // A loaded frontier keeps growing correctly too.
      Frontier next = *loaded;
      std::vector<StoredNode> a;
      std::vector<StoredNode> b;
      next.Append(oracle.leaves()[size], &a);
      appended.Append(oracle.leaves()[size], &b);
      ASSERT_EQ(a, b);
      ASSERT_EQ(next.Root(), appended.Root());
    }
  }
}

TEST(Frontier, LoadPropagatesReaderErrors) {
  MemoryTree empty;
  StatusOr<Frontier> f = Frontier::Load(5, empty);
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(RootAt(5, empty).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(InclusionProof(1, 5, empty).status().code(), StatusCode::kNotFound);
}

TEST(Frontier, SnapshotAndRestore) {
  Frontier f;
  for (int i = 0; i < 11; ++i) f.Append(LeafHash(std::to_string(i)), nullptr);
  const Frontier before = f;
  f.Append(LeafHash("x"), nullptr);
  EXPECT_NE(f.Root(), before.Root());
  f = before;
  EXPECT_EQ(f.size(), 11u);
  EXPECT_EQ(f.Root(), before.Root());
}

}  // namespace
}  // namespace lcb
