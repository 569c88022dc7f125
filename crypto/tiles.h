// C2SP tlog-tiles (https://c2sp.org/tlog-tiles) math over RFC 9162 trees, independent of
// storage: tile coordinates and paths, entry bundles, the stored form of a full hash tile,
// and `TileEdge`, the right edge of a tiled tree held in memory.
//
// Terms. A tile at level t holds up to 256 consecutive hashes of tree height 8t: at level 0
// leaf hashes, at level t > 0 the roots of full tiles of level t-1. The n-th tile of level t
// covers leaves [n * 256^(t+1), (n+1) * 256^(t+1)); it is *full* once the tree has them all
// and *partial* (width 1..255) while it is the rightmost tile of its level. A tree node of
// height h = 8t + r (0 <= r < 8) and index i lies inside tile (t, i >> (8 - r)); nodes of
// height 8(t+1) are the base hashes of level t+1.
//
// Stored hash tile (what a store keeps for a full tile, 16,320 bytes):
//   stored_tile = base interior
//   base        = 256 * hash          ; the C2SP tile itself (8,192 bytes): served as is
//   interior    = 128 * hash 64 * hash 32 * hash 16 * hash 8 * hash 4 * hash 2 * hash
//                                     ; the tile's subtree levels r = 1..7, left to right
//   hash        = 32 bytes (SHA-256)
// so that a proof reads one row per tile level instead of hashing up to 255 nodes.
//
// Entry bundle (C2SP): bundle = *(uint16-BE length, entry bytes); a full bundle has 256
// entries, a partial one as many as its tile's width. An entry is at most 65,535 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/merkle.h"

namespace lcb {

constexpr int kTileHeight = 8;
constexpr uint32_t kTileWidth = 256;
constexpr size_t kTileBytes = kTileWidth * sizeof(Hash);  // 8,192: a full C2SP tile
constexpr size_t kStoredTileHashes = 510;                 // 256 + 128 + ... + 2
constexpr size_t kStoredTileBytes = kStoredTileHashes * sizeof(Hash);
constexpr size_t kMaxBundledEntryBytes = 65535;
constexpr int kMaxTileLevel = 7;  // 256^8 = 2^64 leaves

// Width of tile (level, index) in a tree of `size` leaves: 256 when full, 1..255 when
// partial, 0 when the tile does not exist (yet).
uint32_t TileWidthAt(int level, uint64_t index, uint64_t size);
// Full tiles at `level` in a tree of `size` leaves.
inline uint64_t FullTiles(int level, uint64_t size) {
  return level >= kMaxTileLevel ? 0 : size >> (kTileHeight * (level + 1));
}

// C2SP path of a tile index: 1234067 -> "x001/x234/067", 5 -> "005".
std::string TileIndexPath(uint64_t index);
// "tile/<L>/<N>[.p/<W>]"; width 256 is a full tile (no suffix).
std::string TilePath(int level, uint64_t index, uint32_t width);
// "tile/entries/<N>[.p/<W>]".
std::string EntryBundlePath(uint64_t index, uint32_t width);

// A parsed request path below "tile/": level -1 means an entry bundle.
struct TileRef {
  int level = 0;
  uint64_t index = 0;
  uint32_t width = kTileWidth;  // 256 = full
  bool entries() const { return level < 0; }
};
// Parses what follows "tile/" ("0/x001/x234/067.p/8", "entries/005") strictly as the spec
// writes paths: no leading zeroes in L and W, 3-digit groups with "x" on all but the last,
// no leading "x000" group, W in 1..255. InvalidArgument naming the part otherwise.
StatusOr<TileRef> ParseTilePath(std::string_view path);

// Appends one entry to a bundle: InvalidArgument when it exceeds 65,535 bytes.
Status AppendBundleEntry(std::string_view entry, std::string* bundle);
// The entries of a bundle, as views into it; DataLoss when it does not parse.
StatusOr<std::vector<std::string_view>> SplitBundle(std::string_view bundle);
// Entry `k` of a bundle without splitting the rest (walks the length prefixes).
StatusOr<std::string_view> BundleEntry(std::string_view bundle, uint32_t k);

// Node at subtree level r (0 = base hash) and position j of a stored tile; the caller checks
// the size (kStoredTileBytes).
Hash StoredTileNode(std::string_view stored, int r, uint32_t j);
// The tile's root (its hash at the level above).
Hash StoredTileRoot(std::string_view stored);
// Stored form of a full tile from its 256 base hashes (computes the interior).
std::string StoredTileFromBase(const std::vector<Hash>& base);

// A full tile, as TileEdge::Append emits it for a store to persist once.
struct FullTile {
  int level;
  uint64_t index;
  std::string stored;  // kStoredTileBytes
};

// The right edge of a tiled tree: the rightmost (partial) tile of every level with all of its
// complete subtree nodes, plus the RFC 9162 frontier. Every node of the tree that is not in
// a full tile is here, so with the full tiles of a store it answers any node read. Memory:
// at most ~16 KB per level. Copyable (a writer snapshots it before a group and restores it if
// the group fails). Not thread-safe.
class TileEdge final : public NodeReader {
 public:
  TileEdge() = default;

  // Rebuilds the edge of a tree of `size` leaves from the base hashes of its partial tiles:
  // `bases[t]` must hold exactly TileWidthAt(t, FullTiles(t, size), size) hashes (leaf hashes
  // for t = 0, roots of full tiles of level t-1 above). InvalidArgument otherwise.
  static StatusOr<TileEdge> Restore(uint64_t size, const std::vector<std::vector<Hash>>& bases);

  // Appends a leaf hash. `completed` (if not null) gets the nodes this leaf completed as
  // Frontier::Append gives them; `full` (if not null) gets each tile that became full, lowest
  // level first.
  void Append(const Hash& leaf_hash, std::vector<StoredNode>* completed,
              std::vector<FullTile>* full);

  uint64_t size() const { return frontier_.size(); }
  Hash Root() const { return frontier_.Root(); }
  const Frontier& frontier() const { return frontier_; }
  // The partial tile of `level` (its base hashes, width * 32 bytes; empty when none).
  std::string PartialTile(int level) const;
  // A complete-subtree node that lies in a partial tile; NotFound for any other.
  StatusOr<Hash> Node(int level, uint64_t index) override { return NodeAt(size(), level, index); }
  // The same for a tree of `size` leaves whose partial tiles this edge holds (const).
  StatusOr<Hash> NodeAt(uint64_t size, int level, uint64_t index) const;

 private:
  // levels_[t][r]: complete nodes of subtree level r of the partial tile at level t.
  using Partial = std::array<std::vector<Hash>, kTileHeight>;
  std::vector<Partial> levels_;
  Frontier frontier_;
};

}  // namespace lcb
