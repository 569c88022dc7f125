// RFC 9162 (and RFC 6962) Merkle tree math over SHA-256, independent of storage.
//
// Terms. A tree of size n holds leaves 0..n-1; its root is MTH(D[n]) of RFC 9162 §2.1.1.
// The *complete subtree* (level L, index i) is the perfect subtree over leaves
// [i·2^L, (i+1)·2^L). It belongs to every tree of size >= (i+1)·2^L and never changes once
// it exists, so a store persists it exactly once, keyed by (L, i). Every node of every tree
// is either a complete subtree or a right-edge node that folds at most 64 complete subtrees,
// which is why roots and proofs below cost O(log n) reads of a NodeReader.
//
// Hashes: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), and the
// empty tree's root is SHA-256("").
//
// Status codes: a request that makes no sense (leaf index >= tree size, first > second) is
// kInvalidArgument; a proof that does not verify is kDataLoss (it, or the root it is checked
// against, is forged or corrupt). An API layer checking a client's proof may remap the latter.
// Messages are exact ("proof has 3 hashes, expected 4", "root mismatch").
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/sha256.h"

namespace lcb {

Hash LeafHash(std::string_view entry);
Hash NodeHash(const Hash& left, const Hash& right);
Hash EmptyRoot();

// Read access to persisted complete subtrees. Implementations return the hash of the complete
// subtree at `level` covering leaves [index << level, (index + 1) << level), or an error
// (typically DataLoss when a node that must exist is missing). Callers only ask for complete
// subtrees of the tree size they were given.
class NodeReader {
 public:
  virtual ~NodeReader() = default;
  virtual StatusOr<Hash> Node(int level, uint64_t index) = 0;
};

// One complete subtree, as emitted by Frontier::Append for a store to persist.
struct StoredNode {
  int level;
  uint64_t index;
  Hash hash;
  friend bool operator==(const StoredNode&, const StoredNode&) = default;
};

// MTH of the first `size` leaves (EmptyRoot() for 0). At most popcount(size) reads.
StatusOr<Hash> RootAt(uint64_t size, NodeReader& reader);

// Audit path for leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1), ordered from
// the leaf's sibling up to the root's child. O(log n) reads.
StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size, NodeReader& reader);
// Proofs for many leaves of one tree (a commit group's receipts): equal to calling
// InclusionProof for each, but the hash of a range that is not a complete subtree (the right
// edge, shared by neighbouring leaves) is computed once.
StatusOr<std::vector<std::vector<Hash>>> InclusionProofs(const std::vector<uint64_t>& indexes,
                                                         uint64_t size, NodeReader& reader);

// Consistency proof between the trees of `first` and `second` leaves (RFC 9162 §2.1.4.1).
// Empty when first == 0 or first == second. O(log n) reads.
StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second, NodeReader& reader);

// RFC 9162 §2.1.3.2. The proof must have exactly the length the tree shape implies.
Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                       const std::vector<Hash>& proof, const Hash& root);

// RFC 9162 §2.1.4.2, extended as in the C2SP witness protocol: from size 0 the empty proof
// is valid (first_root must then be EmptyRoot()). first == second requires equal roots and
// an empty proof.
Status VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root,
                         const Hash& second_root, const std::vector<Hash>& proof);

// The right edge of a growing tree: one hash per set bit of size() (the complete subtrees
// that a future leaf can still be combined with), largest first. O(log n) memory; copyable,
// so a writer can snapshot it before a group and restore it if the group fails to commit.
// Not thread-safe.
class Frontier {
 public:
  Frontier() = default;

  // Rebuilds the frontier of a tree of `size` leaves from its stored complete subtrees
  // (popcount(size) reads), e.g. after a restart.
  static StatusOr<Frontier> Load(uint64_t size, NodeReader& reader);

  // Appends a leaf hash. If `completed` is non-null, appends to it (without clearing) the
  // leaf itself as (0, size()) followed by every complete subtree this leaf finished, lowest
  // level first: exactly the rows a store must add to keep every complete subtree persisted.
  void Append(const Hash& leaf_hash, std::vector<StoredNode>* completed);

  // Root of the current tree (EmptyRoot() when empty). Hashes popcount(size()) - 1 nodes.
  Hash Root() const;
  uint64_t size() const { return size_; }
  // The complete subtrees the frontier holds (the binary decomposition of size()), highest
  // level first, with their positions: what proofs into a tree of this size need from its
  // left part.
  std::vector<StoredNode> Nodes() const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> right_edge_;  // complete subtrees for the set bits of size_, high to low
};

// An in-memory tree holding every complete subtree (about 2n hashes), for tests and offline
// tools (`creditbank log root`). Not thread-safe.
class MemoryTree final : public NodeReader {
 public:
  void Append(const Hash& leaf_hash);
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  Hash Root() const;
  // Complete subtrees of the current tree; NotFound for any other (level, index).
  StatusOr<Hash> Node(int level, uint64_t index) override;

 private:
  std::vector<std::vector<Hash>> levels_;  // levels_[L][i] = complete subtree (L, i)
};

}  // namespace lcb
