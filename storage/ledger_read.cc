// The Ledger's reads: entries, leaf hashes, proofs and tiles, all from one published tree (its
// partial tiles in memory, its full tiles in the store).
#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "storage/ledger.h"
#include "storage/ledger_internal.h"
#include "storage/ledger_layout.h"

namespace lcb {

using namespace ledger_layout;  // NOLINT: the layout's keys and helpers, internal to the Ledger

// Complete-subtree hashes of one published tree: nodes in full tiles from the store (the last
// tile read is kept, so a proof reads each tile once), the others from the published edge.
class Ledger::TileReader final : public NodeReader {
 public:
  TileReader(Ledger* ledger, std::shared_ptr<const Published> pub)
      : ledger_(ledger), pub_(std::move(pub)) {}
  StatusOr<Hash> Node(int level, uint64_t index) override {
    const int t = level / kTileHeight;
    const int r = level % kTileHeight;
    const int shift = kTileHeight - r;
    const uint64_t tile = index >> shift;
    if (tile >= FullTiles(t, pub_->size)) return pub_->edge.NodeAt(pub_->size, level, index);
    if (!tile_ || tile_level_ != t || tile_index_ != tile) {
      LCB_ASSIGN_OR_RETURN(std::string stored, ledger_->StoredTile(t, tile));
      tile_ = std::make_shared<const std::string>(std::move(stored));
      tile_level_ = t;
      tile_index_ = tile;
    }
    return StoredTileNode(*tile_, r, static_cast<uint32_t>(index - (tile << shift)));
  }

 private:
  Ledger* ledger_;
  std::shared_ptr<const Published> pub_;
  std::shared_ptr<const std::string> tile_;
  int tile_level_ = -1;
  uint64_t tile_index_ = 0;
};

// A full hash tile in its stored form; tiles of level >= 1 through the cache.
StatusOr<std::string> Ledger::StoredTile(int level, uint64_t index) {
  if (level > 0) {
    if (auto cached = tile_cache_->Get(level, index)) return *cached;
  }
  std::string stored;
  Status s = kv_->Get(Table::kLogTiles, TileKey(level, index), &stored);
  if (s.code() == StatusCode::kNotFound) {
    return Status::DataLoss("hash tile " + std::to_string(level) + "/" + std::to_string(index) +
                            " is missing from the store");
  }
  LCB_RETURN_IF_ERROR(s);
  if (stored.size() != kStoredTileBytes)
    return Status::DataLoss("stored hash tile has a wrong size");
  if (level > 0) tile_cache_->Put(level, index, std::make_shared<const std::string>(stored));
  return stored;
}

StatusOr<std::shared_ptr<const std::string>> Ledger::FullBundle(uint64_t index) {
  if (auto cached = bundle_cache_->Get(index)) return cached;
  std::string bytes;
  LCB_RETURN_IF_ERROR(kv_->Get(Table::kLogBundles, BundleKey(index), &bytes));
  auto bundle = std::make_shared<const std::string>(std::move(bytes));
  bundle_cache_->Put(index, bundle);
  return bundle;
}

StatusOr<Hash> Ledger::LeafHashAt(uint64_t index) {
  auto pub = Snapshot();
  if (index >= pub->size) return Status::NotFound("leaf index beyond the tree size");
  TileReader reader(this, std::move(pub));
  return reader.Node(0, index);
}

StatusOr<std::string> Ledger::Entry(uint64_t index) {
  auto pub = Snapshot();
  if (index >= pub->size) return Status::NotFound("leaf index beyond the tree size");
  const uint64_t tile = index / kTileWidth;
  std::string bytes;
  auto take = [&](std::string_view bundle) -> Status {
    LCB_ASSIGN_OR_RETURN(std::string_view entry,
                         BundleEntry(bundle, static_cast<uint32_t>(index % kTileWidth)));
    bytes.assign(entry.data(), entry.size());
    return Status::Ok();
  };
  if (tile < FullTiles(0, pub->size)) {
    // One entry of a full tile: from the newest bundles kept in memory, else read in place and
    // not kept, so a lookup of an old record neither copies its ~160 KB bundle nor pushes the
    // newest bundles (which the sequential readers share, EntryBundle) out of the cache.
    if (auto cached = bundle_cache_->Get(tile)) {
      LCB_RETURN_IF_ERROR(take(*cached));
    } else {
      Status inner;
      Status s = kv_->View(Table::kLogBundles, BundleKey(tile),
                           [&](std::string_view bundle) { inner = take(bundle); });
      if (s.code() == StatusCode::kNotFound) {
        return Status::DataLoss("entry bundle " + std::to_string(tile) + " is missing");
      }
      LCB_RETURN_IF_ERROR(s);
      LCB_RETURN_IF_ERROR(inner);
    }
  } else {
    // The partial tile is in the snapshot itself.
    LCB_RETURN_IF_ERROR(take(*pub->partial));
  }
  TileReader reader(this, std::move(pub));
  LCB_ASSIGN_OR_RETURN(Hash stored, reader.Node(0, index));
  if (LeafHash(bytes) != stored) {
    return Status::DataLoss("log entry " + std::to_string(index) +
                            " does not match its leaf hash: the store was altered");
  }
  return bytes;
}

StatusOr<std::vector<Hash>> Ledger::InclusionProof(uint64_t index, uint64_t size) {
  auto pub = Snapshot();
  if (size > pub->size)
    return Status::InvalidArgument(Field("/size"), "beyond the current tree size");
  if (index >= size) return Status::InvalidArgument(Field("/index"), "must be less than size");
  TileReader reader(this, std::move(pub));
  return ::lcb::InclusionProof(index, size, reader);
}

StatusOr<std::vector<Hash>> Ledger::ConsistencyProof(uint64_t first, uint64_t second) {
  auto pub = Snapshot();
  if (second > pub->size) {
    return Status::InvalidArgument(Field("/second"), "beyond the current tree size");
  }
  if (first > second) return Status::InvalidArgument(Field("/first"), "must not exceed second");
  TileReader reader(this, std::move(pub));
  return ::lcb::ConsistencyProof(first, second, reader);
}

StatusOr<Hash> Ledger::RootAt(uint64_t size) {
  auto pub = Snapshot();
  if (size > pub->size)
    return Status::InvalidArgument(Field("/size"), "beyond the current tree size");
  TileReader reader(this, std::move(pub));
  return ::lcb::RootAt(size, reader);
}

StatusOr<std::string> Ledger::CheckpointAt(uint64_t size) {
  std::string note;
  Status s = kv_->Get(Table::kCheckpoints, BigEndian64(size), &note);
  if (s.code() == StatusCode::kNotFound) {
    if (size == 0) return empty_checkpoint_;
    return Status::NotFound("no checkpoint was signed at size " + std::to_string(size));
  }
  LCB_RETURN_IF_ERROR(s);
  return note;
}

StatusOr<uint64_t> Ledger::ObjectIndex(std::string_view id) {
  std::string value;
  // Entries whose unique key is their id (records) are found through their kUnique row.
  Status unique = kv_->Get(Table::kUnique, id, &value);
  if (unique.ok() && value.size() >= 40 && UniqueRowId(id, value) == id) {
    return GetBigEndian64(value);
  }
  if (!unique.ok() && unique.code() != StatusCode::kNotFound) return unique;
  LCB_RETURN_IF_ERROR(kv_->Get(Table::kObjects, id, &value));
  if (value.size() != 8) return Status::DataLoss("object index row is corrupt");
  return GetBigEndian64(value);
}

StatusOr<std::string> Ledger::Tile(int level, uint64_t index, uint32_t width) {
  auto pub = Snapshot();
  const uint32_t have = TileWidthAt(level, index, pub->size);
  if (width == 0 || width > kTileWidth || have < width) {
    return Status::NotFound("the log (size " + std::to_string(pub->size) + ") has no " +
                            TilePath(level, index, width));
  }
  if (have < kTileWidth) return pub->edge.PartialTile(level).substr(0, width * sizeof(Hash));
  LCB_ASSIGN_OR_RETURN(std::string stored, StoredTile(level, index));
  stored.resize(width * sizeof(Hash));
  return stored;
}

StatusOr<std::string> Ledger::EntryBundle(uint64_t index, uint32_t width) {
  auto pub = Snapshot();
  const uint32_t have = TileWidthAt(0, index, pub->size);
  if (width == 0 || width > kTileWidth || have < width) {
    return Status::NotFound("the log (size " + std::to_string(pub->size) + ") has no " +
                            EntryBundlePath(index, width));
  }
  std::shared_ptr<const std::string> whole = pub->partial;  // the partial tile: in the snapshot
  if (have == kTileWidth) {
    LCB_ASSIGN_OR_RETURN(whole, FullBundle(index));
  }
  const std::string_view v = *whole;
  if (width == have) return std::string(v);
  // A prefix: up to the end of entry width-1.
  LCB_ASSIGN_OR_RETURN(std::string_view last, BundleEntry(v, width - 1));
  return std::string(v.data(), static_cast<size_t>(last.data() + last.size() - v.data()));
}

// Recomputes the whole tree from the stored entries with a fresh edge: every tile it fills
// must equal the stored one, and its root the latest checkpoint's.
Status Ledger::VerifyAll() {
  auto pub = Snapshot();
  const uint64_t size = pub->size;
  TileEdge tree;
  std::vector<FullTile> full;
  auto append = [&](std::string_view entry) -> Status {
    tree.Append(LeafHash(entry), nullptr, &full);
    for (const FullTile& tile : full) {
      LCB_ASSIGN_OR_RETURN(std::string stored, StoredTile(tile.level, tile.index));
      if (stored != tile.stored) {
        return Status::DataLoss("hash tile " + std::to_string(tile.level) + "/" +
                                std::to_string(tile.index) + " does not match the log entries");
      }
    }
    full.clear();
    return Status::Ok();
  };
  for (uint64_t n = 0; n < FullTiles(0, size); ++n) {
    Status inner;
    LCB_RETURN_IF_ERROR(kv_->View(Table::kLogBundles, BundleKey(n), [&](std::string_view bundle) {
      auto entries = SplitBundle(bundle);
      inner = entries.status();
      if (inner.ok() && entries->size() != kTileWidth) {
        inner =
            Status::DataLoss("entry bundle " + std::to_string(n) + " does not hold 256 entries");
      }
      for (size_t i = 0; inner.ok() && i < entries->size(); ++i) inner = append((*entries)[i]);
    }));
    LCB_RETURN_IF_ERROR(inner);
  }
  for (uint64_t i = FullTiles(0, size) * kTileWidth; i < size; ++i) {
    LCB_ASSIGN_OR_RETURN(std::string entry, Entry(i));  // folded meanwhile: from its bundle
    LCB_RETURN_IF_ERROR(append(entry));
  }
  const std::string& note = pub->checkpoint;
  Hash signed_root = EmptyRoot();
  if (size > 0) {
    LCB_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointBody(note.substr(0, note.find("\n\n") + 1)));
    signed_root = cp.root;
  }
  if (tree.Root() != signed_root)
    return Status::DataLoss("log entries do not match the signed tree");
  return Status::Ok();
}

}  // namespace lcb
