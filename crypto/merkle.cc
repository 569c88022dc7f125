#include "crypto/merkle.h"

#include <algorithm>
#include <bit>
#include <string>
#include <unordered_map>

namespace lcb {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;
constexpr int kMaxLevels = 64;

// Hashing the leaves and nodes of a log is the hot path of ingestion: one reused context
// per thread, no allocation per hash.
Sha256Hasher& ThreadHasher() {
  thread_local Sha256Hasher hasher;
  return hasher;
}

// Largest power of two strictly below n (n >= 2): the split point k of RFC 9162 §2.1.1.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// MTH(D[begin:end]) for a range that is a node of some RFC 9162 tree (begin is aligned to the
// smallest power of two >= end - begin), from one complete subtree per set bit of the width:
// the largest leftmost, folded right to left as MTH's recursion does.
template <typename ReadNode>
StatusOr<Hash> RangeHash(uint64_t begin, uint64_t end, ReadNode&& read_node) {
  Hash parts[kMaxLevels];
  int count = 0;
  const uint64_t width = end - begin;
  uint64_t pos = begin;
  for (int level = kMaxLevels - 1; level >= 0; --level) {
    const uint64_t span = uint64_t{1} << level;
    if ((width & span) == 0) continue;
    LCB_ASSIGN_OR_RETURN(parts[count], read_node(level, pos >> level));
    ++count;
    pos += span;
  }
  Hash acc = parts[count - 1];
  for (int i = count - 2; i >= 0; --i) acc = NodeHash(parts[i], acc);
  return acc;
}

// Walks RFC 9162's PATH(m, D[n]) from the root down, calling emit(begin, end) for the range
// of each proof element. The walk visits them root-first; proofs list them leaf-first.
template <typename Emit>
Status WalkInclusion(uint64_t index, uint64_t size, Emit&& emit) {
  uint64_t begin = 0;
  uint64_t len = size;
  uint64_t m = index;
  while (len > 1) {
    const uint64_t k = SplitPoint(len);
    if (m < k) {
      LCB_RETURN_IF_ERROR(emit(begin + k, begin + len));
      len = k;
    } else {
      LCB_RETURN_IF_ERROR(emit(begin, begin + k));
      begin += k;
      len -= k;
      m -= k;
    }
  }
  return Status::Ok();
}

// Walks RFC 9162's SUBPROOF(m, D[n], true) for 0 < m < n the same way. The element emitted
// last (the old tree's own subtree, when it is not the whole old tree) comes first in the
// proof.
template <typename Emit>
Status WalkConsistency(uint64_t first, uint64_t second, Emit&& emit) {
  uint64_t begin = 0;
  uint64_t len = second;
  uint64_t m = first;
  bool whole_old_tree = true;  // the b flag of SUBPROOF
  while (m != len) {
    const uint64_t k = SplitPoint(len);
    if (m <= k) {
      LCB_RETURN_IF_ERROR(emit(begin + k, begin + len));
      len = k;
    } else {
      LCB_RETURN_IF_ERROR(emit(begin, begin + k));
      begin += k;
      len -= k;
      m -= k;
      whole_old_tree = false;
    }
  }
  if (!whole_old_tree) LCB_RETURN_IF_ERROR(emit(begin, begin + len));
  return Status::Ok();
}

size_t InclusionProofLength(uint64_t index, uint64_t size) {
  size_t count = 0;
  (void)WalkInclusion(index, size, [&](uint64_t, uint64_t) {
    ++count;
    return Status::Ok();
  });
  return count;
}

size_t ConsistencyProofLength(uint64_t first, uint64_t second) {
  size_t count = 0;
  (void)WalkConsistency(first, second, [&](uint64_t, uint64_t) {
    ++count;
    return Status::Ok();
  });
  return count;
}

Status LengthMismatch(size_t got, size_t expected) {
  return Status::DataLoss("proof has " + std::to_string(got) + " hashes, expected " +
                          std::to_string(expected));
}

bool Lsb(uint64_t v) { return (v & 1) != 0; }

}  // namespace

Hash LeafHash(std::string_view entry) {
  Sha256Hasher& h = ThreadHasher();
  h.Update(&kLeafPrefix, 1);
  h.Update(entry);
  return h.Final();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  uint8_t buf[1 + 2 * sizeof(Hash)];
  buf[0] = kNodePrefix;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 1 + sizeof(Hash));
  Sha256Hasher& h = ThreadHasher();
  h.Update(buf, sizeof(buf));
  return h.Final();
}

Hash EmptyRoot() {
  static const Hash kEmpty = Sha256("");
  return kEmpty;
}

StatusOr<Hash> RootAt(uint64_t size, NodeReader& reader) {
  if (size == 0) return EmptyRoot();
  return RangeHash(0, size, [&](int level, uint64_t index) { return reader.Node(level, index); });
}

StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size, NodeReader& reader) {
  LCB_ASSIGN_OR_RETURN(std::vector<std::vector<Hash>> proofs,
                       InclusionProofs(std::vector<uint64_t>{index}, size, reader));
  return std::move(proofs.front());
}

StatusOr<std::vector<std::vector<Hash>>> InclusionProofs(const std::vector<uint64_t>& indexes,
                                                         uint64_t size, NodeReader& reader) {
  std::unordered_map<uint64_t, std::unordered_map<uint64_t, Hash>> edge;  // begin -> end -> hash
  auto read = [&](int level, uint64_t i) { return reader.Node(level, i); };
  std::vector<std::vector<Hash>> proofs;
  proofs.reserve(indexes.size());
  for (uint64_t index : indexes) {
    if (index >= size) {
      return Status::InvalidArgument(Field(""), "leaf index " + std::to_string(index) +
                                                    " is not below tree size " +
                                                    std::to_string(size));
    }
    std::vector<Hash> proof;
    LCB_RETURN_IF_ERROR(WalkInclusion(index, size, [&](uint64_t begin, uint64_t end) -> Status {
      // A complete subtree is one node read; with one proof there is nothing to share (and
      // the cache's allocations would be the single proof's largest cost in memory).
      if (std::has_single_bit(end - begin) || indexes.size() == 1) {
        LCB_ASSIGN_OR_RETURN(Hash h, RangeHash(begin, end, read));
        proof.push_back(h);
        return Status::Ok();
      }
      auto& by_end = edge[begin];
      if (auto it = by_end.find(end); it != by_end.end()) {
        proof.push_back(it->second);
        return Status::Ok();
      }
      LCB_ASSIGN_OR_RETURN(Hash h, RangeHash(begin, end, read));
      by_end.emplace(end, h);
      proof.push_back(h);
      return Status::Ok();
    }));
    std::reverse(proof.begin(), proof.end());
    proofs.push_back(std::move(proof));
  }
  return proofs;
}

StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second, NodeReader& reader) {
  if (first > second) {
    return Status::InvalidArgument(Field(""), "first tree size " + std::to_string(first) +
                                                  " is larger than second tree size " +
                                                  std::to_string(second));
  }
  std::vector<Hash> proof;
  if (first == 0 || first == second) return proof;
  LCB_RETURN_IF_ERROR(WalkConsistency(first, second, [&](uint64_t begin, uint64_t end) -> Status {
    LCB_ASSIGN_OR_RETURN(Hash h, RangeHash(begin, end, [&](int level, uint64_t i) {
                           return reader.Node(level, i);
                         }));
    proof.push_back(h);
    return Status::Ok();
  }));
  std::reverse(proof.begin(), proof.end());
  return proof;
}

Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                       const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) {
    return Status::InvalidArgument(
        Field(""),
        "leaf index " + std::to_string(index) + " is not below tree size " + std::to_string(size));
  }
  const size_t expected = InclusionProofLength(index, size);
  if (proof.size() != expected) return LengthMismatch(proof.size(), expected);

  // RFC 9162 §2.1.3.2, steps 2-6. With the length checked, sn reaches 0 exactly at the end.
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (Lsb(fn) || fn == sn) {
      r = NodeHash(p, r);
      while (!Lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return LengthMismatch(proof.size(), expected);  // unreachable; belt and braces
  if (r != root) return Status::DataLoss("root mismatch");
  return Status::Ok();
}

Status VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root,
                         const Hash& second_root, const std::vector<Hash>& proof) {
  if (first > second) {
    return Status::InvalidArgument(Field(""), "first tree size " + std::to_string(first) +
                                                  " is larger than second tree size " +
                                                  std::to_string(second));
  }
  if (first == second || first == 0) {
    if (!proof.empty()) return LengthMismatch(proof.size(), 0);
    // An empty tree has exactly one root; accepting any other would let a forged
    // "size 0" checkpoint pass.
    if (first == 0 && first_root != EmptyRoot()) return Status::DataLoss("first root mismatch");
    if (first == second && first_root != second_root) {
      return Status::DataLoss("root mismatch");
    }
    return Status::Ok();
  }
  const size_t expected = ConsistencyProofLength(first, second);
  if (proof.size() != expected) return LengthMismatch(proof.size(), expected);

  // RFC 9162 §2.1.4.2. When `first` is a power of two the old root is itself a node of the
  // new tree and is not sent; it starts the path instead.
  size_t next = 0;
  Hash start;
  if (std::has_single_bit(first)) {
    start = first_root;
  } else {
    start = proof[next++];
  }
  uint64_t fn = first - 1;
  uint64_t sn = second - 1;
  while (Lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = start;
  Hash sr = start;
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) return LengthMismatch(proof.size(), expected);  // unreachable after the check
    if (Lsb(fn) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while (!Lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return LengthMismatch(proof.size(), expected);
  if (fr != first_root) return Status::DataLoss("first root mismatch");
  if (sr != second_root) return Status::DataLoss("second root mismatch");
  return Status::Ok();
}

StatusOr<Frontier> Frontier::Load(uint64_t size, NodeReader& reader) {
  Frontier f;
  uint64_t pos = 0;
  for (int level = kMaxLevels - 1; level >= 0; --level) {
    const uint64_t span = uint64_t{1} << level;
    if ((size & span) == 0) continue;
    LCB_ASSIGN_OR_RETURN(Hash h, reader.Node(level, pos >> level));
    f.right_edge_.push_back(h);
    pos += span;
  }
  f.size_ = size;
  return f;
}

void Frontier::Append(const Hash& leaf_hash, std::vector<StoredNode>* completed) {
  if (completed != nullptr) completed->push_back(StoredNode{0, size_, leaf_hash});
  Hash acc = leaf_hash;
  int level = 0;
  uint64_t index = size_;
  // Each trailing one bit of size_ is a complete left sibling that this leaf now completes.
  while (level < kMaxLevels && ((size_ >> level) & 1) != 0) {
    acc = NodeHash(right_edge_.back(), acc);
    right_edge_.pop_back();
    ++level;
    index >>= 1;
    if (completed != nullptr) completed->push_back(StoredNode{level, index, acc});
  }
  right_edge_.push_back(acc);
  ++size_;
}

Hash Frontier::Root() const {
  if (right_edge_.empty()) return EmptyRoot();
  Hash acc = right_edge_.back();
  for (size_t i = right_edge_.size() - 1; i-- > 0;) acc = NodeHash(right_edge_[i], acc);
  return acc;
}

void MemoryTree::Append(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // A level with an even count just finished a pair: its parent is complete too.
  for (size_t level = 0; levels_[level].size() % 2 == 0; ++level) {
    if (levels_.size() == level + 1) levels_.emplace_back();
    const std::vector<Hash>& row = levels_[level];
    levels_[level + 1].push_back(NodeHash(row[row.size() - 2], row[row.size() - 1]));
  }
}

Hash MemoryTree::Root() const {
  const uint64_t n = size();
  if (n == 0) return EmptyRoot();
  // Reads from levels_ cannot fail: every complete subtree of the current size is present.
  StatusOr<Hash> root = RangeHash(0, n, [&](int level, uint64_t index) -> StatusOr<Hash> {
    return levels_[static_cast<size_t>(level)][index];
  });
  return *root;
}

StatusOr<Hash> MemoryTree::Node(int level, uint64_t index) {
  if (level < 0 || static_cast<size_t>(level) >= levels_.size() ||
      index >= levels_[static_cast<size_t>(level)].size()) {
    return Status::NotFound("no complete subtree at level " + std::to_string(level) + ", index " +
                            std::to_string(index) + " in a tree of size " + std::to_string(size()));
  }
  return levels_[static_cast<size_t>(level)][index];
}

}  // namespace lcb

namespace lcb {

std::vector<StoredNode> Frontier::Nodes() const {
  std::vector<StoredNode> out;
  out.reserve(right_edge_.size());
  uint64_t start = 0;
  size_t k = 0;
  for (int level = 63; level >= 0; --level) {
    if ((size_ >> level & 1) == 0) continue;
    out.push_back(StoredNode{level, start >> level, right_edge_[k++]});
    start += uint64_t{1} << level;
  }
  return out;
}

}  // namespace lcb
