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
// The layout of the log's rows; absent in stores written before tiles.
//   "tiles/1": bundles and hash tiles of the full tiles, and one kLogLeaves row per leaf of the
//              partial tile (BE64(i) -> entry i).
//   "tiles/2": the same, except that the partial tile's entries are kept as runs, one kLogLeaves
//              row per commit group: BE64(first leaf) -> its entries in the bundle form
//              (BE16 length || bytes each), never across a tile's end.
constexpr std::string_view kMetaLayout = "log_layout";
constexpr std::string_view kLayoutTiles = "tiles/1";
constexpr std::string_view kLayoutRuns = "tiles/2";
// Progress of an interrupted migration: BE64(number of level-0 tiles already folded).
constexpr std::string_view kMetaMigratedTiles = "log_migrated_tiles";

std::string LeafKey(uint64_t leaf);              // kLogLeaves: BE64(first leaf of a run)
std::string BundleKey(uint64_t index);           // kLogBundles: BE64(index)
std::string TileKey(int level, uint64_t index);  // kLogTiles: level(1) BE64(index)

StatusOr<uint64_t> ReadTreeSize(Kv* kv);

// The log's right edge as the preparer keeps it: the partial tiles (and frontier) of a tree of
// `size` leaves, and the partial entry bundle (the entries after the last full tile).
struct Edge {
  TileEdge tree;
  std::string bundle;
};
// Reads the edge of the stored tree of `size` leaves: the kLogLeaves runs after the last full
// tile, and the roots of the full tiles that the upper partial tiles hold. DataLoss when a row
// is missing or malformed. `runs` false reads the partial tile of the "tiles/1" layout (one row
// per leaf; the migration only).
StatusOr<Edge> LoadEdge(Kv* kv, uint64_t size, bool runs = true);

// Adds to `batch` the rows of the tiles that `tree.Append` just completed: each hash tile, and
// for a level-0 tile the entry bundle (taken from `bundle`, which is then emptied) and the
// range delete of its kLogLeaves runs.
void AddFullTileRows(std::vector<FullTile>& full, std::string* bundle, WriteBatch* batch);

// Converts a store written before tiles (every leaf in kLogLeaves, every complete subtree in
// kLogNodes) to the tiled layout, in batches that each fold whole tiles, so an interrupted
// migration resumes where it stopped. The root of the converted tree must equal the latest
// signed checkpoint's before the old nodes are dropped (that batch fenced as MigrateToRuns's).
// A no-op on tiled stores; an empty store is marked with the newest layout.
Status MigrateToTiles(Kv* kv);

// Converts a "tiles/1" store (written by MigrateToTiles or by a version before runs) to
// "tiles/2": the partial tile's leaf rows become one run, in one synced batch, after the edge
// rebuilt from them matched the latest signed checkpoint. The batch moves the log head from
// its size to itself, so on a shared store only the writer converts, and only while nothing
// was appended since: another node gets Unavailable. A no-op on "tiles/2" stores.
Status MigrateToRuns(Kv* kv);

}  // namespace lcb::ledger_layout
