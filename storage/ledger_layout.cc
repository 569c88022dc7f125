#include "storage/ledger_layout.h"

#include <algorithm>

#include "common/encoding.h"
#include "crypto/checkpoint.h"

namespace lcb::ledger_layout {
namespace {

// Tiles folded per migration batch: 64 x 256 entries (~7 MB) per synced write.
constexpr uint64_t kMigrateTilesPerBatch = 64;

// Reads the stored rows [first, first + count) of kLogLeaves into `edge` (bundle, leaf hashes)
// or fails naming the first missing leaf.
Status ReadLeafRows(Kv* kv, uint64_t first, uint64_t count, std::string* bundle,
                    std::vector<Hash>* hashes) {
  uint64_t next = first;
  Status bad;
  LCB_RETURN_IF_ERROR(kv->Scan(Table::kLogLeaves, LeafKey(first), LeafKey(first + count), count,
                               [&](std::string_view key, std::string_view value) {
                                 if (key != LeafKey(next)) return false;
                                 bad = AppendBundleEntry(value, bundle);
                                 if (!bad.ok()) return false;
                                 hashes->push_back(LeafHash(value));
                                 ++next;
                                 return true;
                               }));
  if (!bad.ok()) {
    return Status::FailedPrecondition("log entry " + std::to_string(next) +
                                      " cannot be kept in a C2SP entry bundle: " + bad.message());
  }
  if (next != first + count) {
    return Status::DataLoss("log entry " + std::to_string(next) + " is missing from the store");
  }
  return Status::Ok();
}

// Reads the runs holding entries [first, first + count) of one level-0 tile ("tiles/2") into
// `bundle` and `hashes`. Every run starts where the one before it ended; a run that reaches past
// `first + count` (there is none: each run is written with the tree size at its end) would add
// only its first entries.
Status ReadRuns(Kv* kv, uint64_t first, uint64_t count, std::string* bundle,
                std::vector<Hash>* hashes) {
  if (count == 0) return Status::Ok();
  uint64_t next = first;
  Status bad;
  LCB_RETURN_IF_ERROR(kv->Scan(
      Table::kLogLeaves, LeafKey(first), LeafKey(first + count), count,
      [&](std::string_view key, std::string_view value) {
        if (key != LeafKey(next)) return false;
        auto entries = SplitBundle(value);
        if (!entries.ok() || entries->empty()) {
          bad = Status::DataLoss("the run of log entries at " + std::to_string(next) +
                                 " is malformed");
          return false;
        }
        for (std::string_view e : *entries) {
          if (next == first + count) break;
          (void)AppendBundleEntry(e, bundle);  // it came out of a bundle, so it fits
          hashes->push_back(LeafHash(e));
          ++next;
        }
        return next < first + count;
      }));
  LCB_RETURN_IF_ERROR(bad);
  if (next != first + count) {
    return Status::DataLoss("log entry " + std::to_string(next) + " is missing from the store");
  }
  return Status::Ok();
}

// The roots of the stored full tiles (level, [first, first + count)).
Status ReadTileRoots(Kv* kv, int level, uint64_t first, uint64_t count, std::vector<Hash>* roots) {
  uint64_t next = first;
  Status bad;
  LCB_RETURN_IF_ERROR(
      kv->Scan(Table::kLogTiles, TileKey(level, first), TileKey(level, first + count), count,
               [&](std::string_view key, std::string_view value) {
                 if (key != TileKey(level, next) || value.size() != kStoredTileBytes) {
                   return false;
                 }
                 roots->push_back(StoredTileRoot(value));
                 ++next;
                 return true;
               }));
  if (next != first + count) {
    return Status::DataLoss("hash tile " + std::to_string(level) + "/" + std::to_string(next) +
                            " is missing from the store or malformed");
  }
  return Status::Ok();
}

StatusOr<Checkpoint> StoredCheckpoint(Kv* kv) {
  std::string note;
  LCB_RETURN_IF_ERROR(kv->Get(Table::kMeta, kMetaCheckpoint, &note));
  return ParseCheckpointBody(note.substr(0, note.find("\n\n") + 1));
}

// Folds level-0 tiles [first, last) of an old-layout store into bundles and tiles.
Status FoldTiles(Kv* kv, uint64_t first, uint64_t last, Edge* edge) {
  WriteBatch batch;
  std::vector<FullTile> full;
  std::vector<Hash> hashes;
  std::string all;  // every entry of these tiles, length-prefixed
  LCB_RETURN_IF_ERROR(
      ReadLeafRows(kv, first * kTileWidth, (last - first) * kTileWidth, &all, &hashes));
  auto entries = SplitBundle(all);
  LCB_RETURN_IF_ERROR(entries.status());
  for (size_t i = 0; i < hashes.size(); ++i) {
    LCB_RETURN_IF_ERROR(AppendBundleEntry((*entries)[i], &edge->bundle));
    edge->tree.Append(hashes[i], nullptr, &full);
    AddFullTileRows(full, &edge->bundle, &batch);
  }
  batch.Put(Table::kMeta, kMetaMigratedTiles, BigEndian64(last));
  return kv->Write(batch, /*sync=*/true);
}

}  // namespace

std::string LeafKey(uint64_t leaf) { return BigEndian64(leaf); }
std::string BundleKey(uint64_t index) { return BigEndian64(index); }
std::string TileKey(int level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  PutBigEndian64(&key, index);
  return key;
}

StatusOr<uint64_t> ReadTreeSize(Kv* kv) {
  std::string value;
  Status s = kv->Get(Table::kMeta, kMetaTreeSize, &value);
  if (s.code() == StatusCode::kNotFound) return uint64_t{0};
  LCB_RETURN_IF_ERROR(s);
  if (value.size() != 8) return Status::DataLoss("stored tree size is corrupt");
  return GetBigEndian64(value);
}

StatusOr<Edge> LoadEdge(Kv* kv, uint64_t size, bool runs) {
  Edge edge;
  std::vector<std::vector<Hash>> bases(static_cast<size_t>(kMaxTileLevel) + 1);
  const uint64_t first = FullTiles(0, size) * kTileWidth;
  const uint64_t width = TileWidthAt(0, FullTiles(0, size), size);
  LCB_RETURN_IF_ERROR(runs ? ReadRuns(kv, first, width, &edge.bundle, &bases[0])
                           : ReadLeafRows(kv, first, width, &edge.bundle, &bases[0]));
  for (int t = 1; t <= kMaxTileLevel; ++t) {
    const uint64_t partial = FullTiles(t, size);
    LCB_RETURN_IF_ERROR(ReadTileRoots(kv, t - 1, partial * kTileWidth,
                                      TileWidthAt(t, partial, size),
                                      &bases[static_cast<size_t>(t)]));
  }
  auto tree = TileEdge::Restore(size, bases);
  if (!tree.ok()) return Status::DataLoss("log edge does not rebuild: " + tree.status().message());
  edge.tree = std::move(tree).value();
  return edge;
}

void AddFullTileRows(std::vector<FullTile>& full, std::string* bundle, WriteBatch* batch) {
  for (const FullTile& tile : full) {
    batch->Put(Table::kLogTiles, TileKey(tile.level, tile.index), tile.stored);
    if (tile.level != 0) continue;
    batch->Put(Table::kLogBundles, BundleKey(tile.index), *bundle);
    bundle->clear();
    batch->DeleteRange(Table::kLogLeaves, LeafKey(tile.index * kTileWidth),
                       LeafKey((tile.index + 1) * kTileWidth));
  }
  full.clear();
}

Status MigrateToTiles(Kv* kv) {
  std::string layout;
  Status s = kv->Get(Table::kMeta, kMetaLayout, &layout);
  if (s.ok()) {
    if (layout == kLayoutTiles || layout == kLayoutRuns) return Status::Ok();
    return Status::FailedPrecondition("the store's log layout '" + layout +
                                      "' is unknown to this version");
  }
  if (s.code() != StatusCode::kNotFound) return s;
  LCB_ASSIGN_OR_RETURN(uint64_t size, ReadTreeSize(kv));
  if (size > 0) {
    std::string progress;
    uint64_t done = 0;
    Status p = kv->Get(Table::kMeta, kMetaMigratedTiles, &progress);
    if (p.ok() && progress.size() == 8) done = GetBigEndian64(progress);
    if (!p.ok() && p.code() != StatusCode::kNotFound) return p;
    LCB_ASSIGN_OR_RETURN(Edge edge, LoadEdge(kv, done * kTileWidth, /*runs=*/false));
    for (uint64_t n = done; n < FullTiles(0, size);) {
      const uint64_t last = std::min(FullTiles(0, size), n + kMigrateTilesPerBatch);
      LCB_RETURN_IF_ERROR(FoldTiles(kv, n, last, &edge));
      n = last;
    }
    // The converted tree must be the signed one before the old nodes go.
    LCB_ASSIGN_OR_RETURN(Edge converted, LoadEdge(kv, size, /*runs=*/false));
    LCB_ASSIGN_OR_RETURN(Checkpoint cp, StoredCheckpoint(kv));
    if (cp.size != size || cp.root != converted.tree.Root()) {
      return Status::DataLoss(
          "the log converted to tiles does not match the latest signed checkpoint");
    }
  }
  WriteBatch batch;
  batch.DeleteRange(Table::kLogNodes, "", std::string(9, '\xff'));
  batch.Delete(Table::kMeta, kMetaMigratedTiles);
  // An empty store starts with the newest layout. A converted one goes on to MigrateToRuns;
  // on a shared store only the writer may convert (MigrateToRuns says why).
  batch.Put(Table::kMeta, kMetaLayout, size == 0 ? kLayoutRuns : kLayoutTiles);
  if (size > 0) batch.MoveLogHead(size, size);
  return kv->Write(batch, /*sync=*/true);
}

Status MigrateToRuns(Kv* kv) {
  std::string layout;
  LCB_RETURN_IF_ERROR(kv->Get(Table::kMeta, kMetaLayout, &layout));
  if (layout == kLayoutRuns) return Status::Ok();
  if (layout != kLayoutTiles) {
    return Status::FailedPrecondition("the store's log layout '" + layout +
                                      "' is unknown to this version");
  }
  WriteBatch batch;
  LCB_ASSIGN_OR_RETURN(uint64_t size, ReadTreeSize(kv));
  const uint64_t first = FullTiles(0, size) * kTileWidth;
  if (size > first) {
    LCB_ASSIGN_OR_RETURN(Edge edge, LoadEdge(kv, size, /*runs=*/false));
    LCB_ASSIGN_OR_RETURN(Checkpoint cp, StoredCheckpoint(kv));
    if (cp.size != size || cp.root != edge.tree.Root()) {
      return Status::DataLoss("the log's partial tile does not match the latest signed checkpoint");
    }
    batch.DeleteRange(Table::kLogLeaves, LeafKey(first), LeafKey(first + kTileWidth));
    batch.Put(Table::kLogLeaves, LeafKey(first), edge.bundle);
    // Written only while the log's head is still at `size` and, on a shared store, by the node
    // holding the writer's lease: a node converting rows the writer has since appended to
    // (or folded) would delete entries.
    batch.MoveLogHead(size, size);
  }
  batch.Put(Table::kMeta, kMetaLayout, kLayoutRuns);
  Status written = kv->Write(batch, /*sync=*/true);
  if (written.code() == StatusCode::kUnavailable && written.message().rfind("fenced", 0) == 0) {
    return Status::Unavailable(
        "the log's partial tile is stored in the layout 'tiles/1', which the node holding the "
        "log writer's lease converts when it starts: start that node first (" +
        written.message() + ")");
  }
  return written;
}

}  // namespace lcb::ledger_layout
