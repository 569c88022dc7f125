// RocksDB implementation of Kv: one column family per Table, WAL synced on request.
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <tuple>

#include "storage/kv.h"

namespace lcb {

std::string_view TableName(Table t) {
  static constexpr std::array<std::string_view, kTableCount> kNames = {
      "default", "objects", "unique",   "learner_records", "log_leaves",
      "log_nodes", "checkpoints", "catalog", "rulesets", "tokens",
      "learners", "grants", "status", "admin_log", "conversions"};
  return kNames[static_cast<size_t>(t)];
}

namespace {

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  if (s.IsNoSpace() || s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() ||
      s.IsIncomplete() || s.IsAborted()) {
    return Status::Unavailable("storage: " + s.ToString());
  }
  if (s.IsCorruption()) return Status::DataLoss("storage: " + s.ToString());
  return Status::Internal("storage: " + s.ToString());
}

// RocksDB's per-thread perf context counts every operation unless told not to; nothing here
// reads it.
void NoPerfContext() {
  thread_local bool disabled = [] {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    return true;
  }();
  (void)disabled;
}

// The part of a two-part key (Key2: "a\0b") up to and including the NUL: the learner id of a
// kLearnerRecords row. A learner's rows arrive in leaf order, so RocksDB can insert each one
// next to that learner's previous row (memtable_insert_with_hint_prefix_extractor) instead of
// searching the skiplist from the top: the log writer's inserts are its largest cost.
class UpToNulTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "creditbank.UpToNul"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* nul = std::memchr(key.data(), '\0', key.size());
    return rocksdb::Slice(key.data(), static_cast<const char*>(nul) - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), '\0', key.size()) != nullptr;
  }
};

// One hint for a whole table: the log's leaves, nodes (keyed by post-order number) and
// checkpoints are only ever appended in increasing key order, so each insert lands right after
// the previous one.
class WholeTableTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "creditbank.WholeTable"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), 0);
  }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};

class RocksKv final : public Kv {
 public:
  RocksKv(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
          std::shared_ptr<rocksdb::Statistics> stats, std::string path, uint64_t min_free)
      : db_(std::move(db)), handles_(std::move(handles)), stats_(std::move(stats)),
        path_(std::move(path)), min_free_(min_free) {}

  ~RocksKv() override {
    rocksdb::FlushOptions fo;
    db_->Flush(fo, handles_).PermitUncheckedError();
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }

  Status Get(Table t, std::string_view key, std::string* value) override {
    NoPerfContext();
    return FromRocks(db_->Get(rocksdb::ReadOptions(), handle(t),
                              rocksdb::Slice(key.data(), key.size()), value));
  }

  Status Write(const WriteBatch& batch, bool sync) override {
    NoPerfContext();
    struct statvfs fs;
    if (min_free_ > 0 && ::statvfs(path_.c_str(), &fs) == 0) {
      uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
      if (free_bytes < min_free_) {
        return Status::Unavailable("disk nearly full: " + std::to_string(free_bytes >> 20) +
                                   " MiB free under " + path_ + ", writes need " +
                                   std::to_string(min_free_ >> 20) +
                                   " MiB; they resume when space returns");
      }
    }
    if (needs_resume_.load()) {
      // A failed write (disk full, I/O error) puts RocksDB in read-only mode until resumed;
      // try again now, so the bank recovers by itself once space returns.
      rocksdb::Status r = db_->Resume();
      if (!r.ok()) return FromRocks(r);
      needs_resume_ = false;
    }
    // Applied in (table, key) order: the batch is atomic, so the order of its operations is
    // invisible except between operations on one key, which a stable sort keeps. Sorted keys
    // make each memtable insert start next to the previous one instead of walking the
    // skiplist from the top (random keys, such as record ids, were the writer's largest cost).
    std::vector<WriteBatch::Op> ops = batch.ops();
    std::stable_sort(ops.begin(), ops.end(), [](const WriteBatch::Op& a, const WriteBatch::Op& b) {
      return std::tie(a.table, a.key) < std::tie(b.table, b.key);
    });
    rocksdb::WriteBatch wb(batch.bytes() + 16 * ops.size() + 64);  // sized once
    for (const WriteBatch::Op& op : ops) {
      const rocksdb::Slice key(op.key.data(), op.key.size());
      rocksdb::Status s =
          op.is_delete ? wb.Delete(handle(op.table), key)
                       : wb.Put(handle(op.table), key,
                                rocksdb::Slice(op.value.data(), op.value.size()));
      if (!s.ok()) return FromRocks(s);
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    rocksdb::Status s = db_->Write(wo, &wb);
    if (!s.ok() && !s.IsInvalidArgument() && !s.IsNotFound()) needs_resume_ = true;
    return FromRocks(s);
  }

  Status Scan(Table t, std::string_view start, std::string_view end, size_t limit,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    rocksdb::ReadOptions ro;
    ro.total_order_seek = true;  // tables with a prefix extractor (kUnique) scan in key order too
    std::string upper(end);
    rocksdb::Slice upper_slice(upper);
    if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle(t)));
    size_t n = 0;
    for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid() && n < limit;
         it->Next(), ++n) {
      rocksdb::Slice k = it->key(), v = it->value();
      if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
    }
    return FromRocks(it->status());
  }

  Status CreateCheckpoint(const std::string& dir) override {
    rocksdb::Checkpoint* raw = nullptr;
    LCB_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw)));
    std::unique_ptr<rocksdb::Checkpoint> cp(raw);
    // log_size_for_flush = 0: always flush memtables so the copy holds every acknowledged write.
    return FromRocks(cp->CreateCheckpoint(dir, 0));
  }

  std::map<std::string, double> Stats() override {
    std::map<std::string, double> out;
    uint64_t v = 0;
    auto prop = [&](const char* name, const char* key) {
      uint64_t total = 0;
      for (auto* h : handles_) {
        if (db_->GetIntProperty(h, name, &v)) total += v;
      }
      out[key] = static_cast<double>(total);
    };
    prop(rocksdb::DB::Properties::kEstimatePendingCompactionBytes.c_str(),
         "rocksdb_pending_compaction_bytes");
    prop(rocksdb::DB::Properties::kCurSizeAllMemTables.c_str(), "rocksdb_memtable_bytes");
    prop(rocksdb::DB::Properties::kLiveSstFilesSize.c_str(), "rocksdb_live_sst_bytes");
    prop(rocksdb::DB::Properties::kNumRunningCompactions.c_str(), "rocksdb_running_compactions");
    if (stats_) {
      double hit = static_cast<double>(stats_->getTickerCount(rocksdb::BLOCK_CACHE_HIT));
      double miss = static_cast<double>(stats_->getTickerCount(rocksdb::BLOCK_CACHE_MISS));
      out["rocksdb_block_cache_hits"] = hit;
      out["rocksdb_block_cache_misses"] = miss;
    }
    return out;
  }

 private:
  rocksdb::ColumnFamilyHandle* handle(Table t) const { return handles_[static_cast<size_t>(t)]; }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<rocksdb::Statistics> stats_;
  std::atomic<bool> needs_resume_{false};
  std::string path_;
  uint64_t min_free_;
};

}  // namespace

StatusOr<std::unique_ptr<Kv>> OpenRocksKv(const std::string& path, const KvOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  db_options.statistics = rocksdb::CreateDBStatistics();
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptTimers);
  db_options.paranoid_checks = true;

  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
  table_options.cache_index_and_filter_blocks = true;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  cf_options.compression = rocksdb::kLZ4Compression;
  // Flushes and the first compactions run beside ingestion on the same cores: L0 and L1 are
  // short-lived, so they are left uncompressed; LZ4 below, ZSTD at the bottom.
  cf_options.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression,
                                      rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                      rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                      rocksdb::kLZ4Compression};
  cf_options.bottommost_compression = rocksdb::kZSTD;
  // A Bloom filter over each memtable's keys: the log writer's idempotency lookup of every
  // posted record is almost always a miss, which then skips the skiplist walk (profiled as
  // the writer's largest cost before this).
  cf_options.memtable_whole_key_filtering = true;
  cf_options.memtable_prefix_bloom_size_ratio = 0.02;

  // Tables appended in key order and only read at keys that exist (the log's leaves, nodes and
  // checkpoints), or only scanned (a learner's records): Bloom filters, in memtables and in
  // files, would never reject a read, and cost a hash per insert and a filter per flush.
  rocksdb::BlockBasedTableOptions unfiltered_table = table_options;
  unfiltered_table.filter_policy.reset();
  rocksdb::ColumnFamilyOptions unfiltered = cf_options;
  unfiltered.table_factory.reset(rocksdb::NewBlockBasedTableFactory(unfiltered_table));
  unfiltered.memtable_whole_key_filtering = false;
  unfiltered.memtable_prefix_bloom_size_ratio = 0;

  // Tree nodes are random 32-byte hashes read one at a time by proofs: small blocks and no
  // compression (hashes do not compress) make each point read cheaper.
  rocksdb::BlockBasedTableOptions node_table = unfiltered_table;
  node_table.block_size = 1024;
  rocksdb::ColumnFamilyOptions node_options = unfiltered;
  node_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(node_table));
  node_options.compression = rocksdb::kNoCompression;
  node_options.compression_per_level.clear();
  node_options.bottommost_compression = rocksdb::kNoCompression;

  // Appended in key order (BigEndian64 leaf index, node post-order number, tree size): each
  // insert goes next to the previous one instead of down the skiplist from the top.
  auto append_only = std::make_shared<WholeTableTransform>();
  node_options.memtable_insert_with_hint_prefix_extractor = append_only;
  rocksdb::ColumnFamilyOptions append_options = unfiltered;
  append_options.memtable_insert_with_hint_prefix_extractor = append_only;

  rocksdb::ColumnFamilyOptions learner_options = unfiltered;
  learner_options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<UpToNulTransform>();

  // Idempotency rows are keyed by random ids (a record id is a hash) and only ever read by
  // exact key: a hashed memtable (buckets by the first 16 bytes, a small skiplist in each)
  // inserts each in about constant time, where one skiplist walked ~20 levels of cache misses
  // per insert (+14 % records/s in session 3's A/B; the sort moves to the flush thread, and a
  // later A/B against the plain skiplist was neutral). Scans still work: Scan() asks for total
  // order. The hashed memtable cannot take concurrent inserts; the log has one writer anyway.
  rocksdb::ColumnFamilyOptions unique_options = cf_options;
  unique_options.prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(16));
  unique_options.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(1 << 20));
  db_options.allow_concurrent_memtable_write = false;

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (int i = 0; i < kTableCount; ++i) {
    Table t = static_cast<Table>(i);
    cfs.emplace_back(std::string(TableName(t)),
                     t == Table::kLogNodes                                    ? node_options
                     : t == Table::kLogLeaves || t == Table::kCheckpoints ? append_options
                     : t == Table::kLearnerRecords                            ? learner_options
                     : t == Table::kUnique                                    ? unique_options
                                                                              : cf_options);
  }
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(db_options), path, cfs, &handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::FailedPrecondition("data directory " + path +
                                        " is in use by another process: " + s.ToString());
    }
    return FromRocks(s);
  }
  return std::unique_ptr<Kv>(
      std::make_unique<RocksKv>(std::unique_ptr<rocksdb::DB>(raw), std::move(handles),
                                db_options.statistics, path, options.min_free_bytes));
}

}  // namespace lcb
