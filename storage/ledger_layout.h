// Internal to the Ledger (storage/ledger*.cc): the keys of the tiled log layout, loading the
// right edge from a store, and the migration from the layout before tiles. docs/formats.md
// has the grammars.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/tiles.h"
#include "storage/kv.h"

namespace lcb::ledger_layout {

constexpr std::string_view kMetaTreeSize = "tree_size";
constexpr std::string_view kMetaCheckpoint = "checkpoint";
// "tiles/1" once the store holds the tiled layout; absent in stores written before it.
constexpr std::string_view kMetaLayout = "log_layout";
constexpr std::string_view kLayoutTiles = "tiles/1";
// Progress of an interrupted migration: BE64(number of level-0 tiles already folded).
constexpr std::string_view kMetaMigratedTiles = "log_migrated_tiles";

std::string LeafKey(uint64_t leaf);              // kLogLeaves: BE64(leaf)
std::string BundleKey(uint64_t index);           // kLogBundles: BE64(index)
std::string TileKey(int level, uint64_t index);  // kLogTiles: level(1) BE64(index)

StatusOr<uint64_t> ReadTreeSize(Kv* kv);

// The log's right edge as the preparer keeps it: the partial tiles (and frontier) of a tree of
// `size` leaves, and the partial entry bundle (the entries after the last full tile).
struct Edge {
  TileEdge tree;
  std::string bundle;
};
// Reads the edge of the stored tree of `size` leaves: the kLogLeaves rows after the last full
// tile, and the roots of the full tiles that the upper partial tiles hold. DataLoss when a row
// is missing or malformed.
StatusOr<Edge> LoadEdge(Kv* kv, uint64_t size);

// Adds to `batch` the rows of the tiles that `tree.Append` just completed: each hash tile, and
// for a level-0 tile the entry bundle (taken from `bundle`, which is then emptied) and the
// range delete of its kLogLeaves rows.
void AddFullTileRows(std::vector<FullTile>& full, std::string* bundle, WriteBatch* batch);

// Converts a store written before tiles (every leaf in kLogLeaves, every complete subtree in
// kLogNodes) to the tiled layout, in batches that each fold whole tiles, so an interrupted
// migration resumes where it stopped. The root of the converted tree must equal the latest
// signed checkpoint's before the old nodes are dropped. A no-op on tiled or empty stores.
Status MigrateToTiles(Kv* kv);

}  // namespace lcb::ledger_layout
