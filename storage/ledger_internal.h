// Internal to the Ledger (storage/ledger*.cc): what the writer publishes to readers, and the
// cache of upper-level tiles.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crypto/tiles.h"
#include "storage/ledger.h"

namespace lcb {

// The id part of a kUnique row (after leaf and fingerprint) when the entry's id is its unique
// key (records): the id is not repeated.
inline constexpr std::string_view kUniqueIdIsKey = "=";

// The entry id a kUnique row of `key` names: the key itself for kUniqueIdIsKey, else what the
// row holds (rows written before kUniqueIdIsKey hold a record's id in full).
inline std::string UniqueRowId(std::string_view key, std::string_view value) {
  const std::string_view id = value.size() >= 40 ? value.substr(40) : std::string_view();
  return std::string(id == kUniqueIdIsKey ? key : id);
}

// The latest written tree as readers see it. Immutable once published: a reader holds a
// shared_ptr and answers from one consistent tree while the writer moves on.
struct Ledger::Published {
  uint64_t size = 0;
  std::string checkpoint;
  TileEdge edge;  // partial tiles of `size`; full tiles are in the store
  // The entries of the partial level-0 tile, as its bundle will hold them: readers of those
  // entries never touch the store (whose runs are deleted when the tile fills).
  std::shared_ptr<const std::string> partial = std::make_shared<const std::string>();
};

// Full hash tiles of level >= 1 in memory once read (they never change): one per 65,536
// leaves, 16 KB each, so 10M leaves keep ~2.5 MB here. Bounded by kMaxBytes; beyond it tiles
// are read from the store each time.
class Ledger::TileCache {
 public:
  static constexpr size_t kMaxBytes = 64u << 20;
  std::shared_ptr<const std::string> Get(int level, uint64_t index) {
    std::shared_lock lock(mu_);
    auto it = tiles_.find(Key(level, index));
    return it == tiles_.end() ? nullptr : it->second;
  }
  void Put(int level, uint64_t index, std::shared_ptr<const std::string> tile) {
    std::unique_lock lock(mu_);
    if (bytes_ + tile->size() > kMaxBytes) return;
    bytes_ += tile->size();
    tiles_.emplace(Key(level, index), std::move(tile));
  }

 private:
  static uint64_t Key(int level, uint64_t index) {
    return (static_cast<uint64_t>(level) << 58) | index;
  }
  std::shared_mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<const std::string>> tiles_;
  size_t bytes_ = 0;
};

// The newest full entry bundles written or read (they never change once written). The readers
// that follow the log (the statistics' keepers, a PostgreSQL follower marking the learners of
// new entries) each read the newest bundles in pieces; without this every piece fetched the
// whole bundle again (~160 KB, decompressed by the store): 23,496 bundle reads for 2,191
// bundles written in a 20 s run of benchmarks/pg/nodes.sh, 30 % of PostgreSQL's statement time.
// The writer puts the bundles it writes here, so its own keepers read none. 64 bundles (16,384
// entries, ~10 MB) let a keeper that fell behind still find them.
class Ledger::BundleCache {
 public:
  static constexpr size_t kBundles = 64;
  std::shared_ptr<const std::string> Get(uint64_t index) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [i, bundle] : recent_) {
      if (i == index) return bundle;
    }
    return nullptr;
  }
  void Put(uint64_t index, std::shared_ptr<const std::string> bundle) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [i, b] : recent_) {
      if (i == index) return;
    }
    if (recent_.size() == kBundles) recent_.erase(recent_.begin());  // the oldest put
    recent_.emplace_back(index, std::move(bundle));
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<uint64_t, std::shared_ptr<const std::string>>> recent_;
};

}  // namespace lcb
