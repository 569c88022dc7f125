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
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <tuple>

#include "storage/kv.h"

namespace lcb {

std::string_view TableName(Table t) {
  static constexpr std::array<std::string_view, kTableCount> kNames = {
      "default",     "objects",   "unique",      "learner_records", "log_leaves", "log_nodes",
      "checkpoints", "catalog",   "rulesets",    "tokens",          "learners",   "grants",
      "status",      "admin_log", "conversions", "log_tiles",       "log_bundles"};
  return kNames[static_cast<size_t>(t)];
}

namespace {

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  if (s.IsNoSpace() || s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() ||
      s.IsIncomplete() || s.IsAborted()) {
    return Status::Backend(StatusCode::kUnavailable, "storage: " + s.ToString());
  }
  if (s.IsCorruption()) return Status::Backend(StatusCode::kDataLoss, "storage: " + s.ToString());
  return Status::Backend(StatusCode::kInternal, "storage: " + s.ToString());
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
    // The memtables are flushed so that the next start replays no WAL, but only when the disk
    // has room for them: a flush into a full disk fails, and RocksDB then aborts on an assertion
    // in its file writer as it closes (seen at SIGTERM with the disk filled from outside).
    // Skipping it loses nothing: every acknowledged write is in the synced WAL.
    if (!needs_resume_.load() && RoomToFlush()) {
      rocksdb::FlushOptions fo;
      db_->Flush(fo, handles_).PermitUncheckedError();
    }
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }

  // Free space for the memtables twice over (a flush writes them, compressed or not, beside
  // the WAL), and for the disk guard.
  bool RoomToFlush() {
    struct statvfs fs;
    if (::statvfs(path_.c_str(), &fs) != 0) return true;
    const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    uint64_t memtables = 0;
    db_->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &memtables);
    return free_bytes > std::max<uint64_t>(min_free_, 2 * memtables + (1 << 20));
  }

  Status Get(Table t, std::string_view key, std::string* value) override {
    NoPerfContext();
    return FromRocks(db_->Get(rocksdb::ReadOptions(), handle(t),
                              rocksdb::Slice(key.data(), key.size()), value));
  }

  Status View(Table t, std::string_view key,
              const std::function<void(std::string_view)>& fn) override {
    NoPerfContext();
    rocksdb::PinnableSlice value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), handle(t), rocksdb::Slice(key.data(), key.size()), &value);
    if (!s.ok()) return FromRocks(s);
    fn(std::string_view(value.data(), value.size()));
    return Status::Ok();
  }

  std::optional<DiskSpace> Disk() override {
    struct statvfs fs;
    if (::statvfs(path_.c_str(), &fs) != 0) return std::nullopt;
    const DiskSpace disk{static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize, min_free_};
    // Transitions only: the first caller to see the guard's state change tells the listener.
    // The lock orders the exchange with the call, so "refusing" and "clear" never swap.
    const bool refusing = disk.refusing();
    if (refusing_.load(std::memory_order_relaxed) != refusing) {
      std::lock_guard<std::mutex> lock(listener_mu_);
      if (refusing_.exchange(refusing) != refusing && listener_) listener_(disk);
    }
    return disk;
  }

  void SetDiskGuardListener(DiskGuardListener listener) override {
    std::lock_guard<std::mutex> lock(listener_mu_);
    listener_ = std::move(listener);
    // A guard already refusing (a start on a full disk) is told to the new listener at the
    // next look, as a change.
    refusing_ = false;
  }

  Status Write(const WriteBatch& batch, bool sync) override {
    NoPerfContext();
    if (min_free_ > 0) {
      const std::optional<DiskSpace> disk = Disk();
      if (disk && disk->refusing()) {
        return Status::Unavailable("disk nearly full: " + std::to_string(disk->free_bytes) +
                                   " bytes free under " + path_ + ", writes need " +
                                   std::to_string(min_free_) +
                                   " (min_free_disk_bytes); they resume when space returns");
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
    // A range delete stays in its place: only the operations between two of them are sorted.
    std::vector<WriteBatch::Op> ops = batch.ops();
    auto by_key = [](const WriteBatch::Op& a, const WriteBatch::Op& b) {
      return std::tie(a.table, a.key) < std::tie(b.table, b.key);
    };
    for (auto begin = ops.begin(); begin != ops.end();) {
      auto end = std::find_if(begin, ops.end(),
                              [](const WriteBatch::Op& op) { return op.is_range_delete; });
      std::stable_sort(begin, end, by_key);
      begin = end == ops.end() ? end : end + 1;
    }
    rocksdb::WriteBatch wb(batch.bytes() + 16 * ops.size() + 64);  // sized once
    for (const WriteBatch::Op& op : ops) {
      const rocksdb::Slice key(op.key.data(), op.key.size());
      const rocksdb::Slice value(op.value.data(), op.value.size());
      rocksdb::Status s = op.is_range_delete ? wb.DeleteRange(handle(op.table), key, value)
                          : op.is_delete     ? wb.Delete(handle(op.table), key)
                                             : wb.Put(handle(op.table), key, value);
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

  Status CompactAll() {
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    co.change_level = true;
    for (auto* h : handles_) {
      LCB_RETURN_IF_ERROR(FromRocks(db_->CompactRange(co, h, nullptr, nullptr)));
    }
    return Status::Ok();
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
    // Rows (versions) in the memtables not yet flushed, of every table: what each write adds.
    prop(rocksdb::DB::Properties::kNumEntriesActiveMemTable.c_str(), "rocksdb_memtable_entries");
    prop(rocksdb::DB::Properties::kNumEntriesImmMemTables.c_str(), "rocksdb_imm_memtable_entries");
    if (stats_) {
      auto ticker = [&](rocksdb::Tickers t, const char* key) {
        out[key] = static_cast<double>(stats_->getTickerCount(t));
      };
      ticker(rocksdb::BLOCK_CACHE_HIT, "rocksdb_block_cache_hits");
      ticker(rocksdb::BLOCK_CACHE_MISS, "rocksdb_block_cache_misses");
      // Write stalls and the compaction work behind them (the soak benchmark reads these).
      ticker(rocksdb::STALL_MICROS, "rocksdb_stall_micros");
      ticker(rocksdb::COMPACT_READ_BYTES, "rocksdb_compaction_read_bytes");
      ticker(rocksdb::COMPACT_WRITE_BYTES, "rocksdb_compaction_write_bytes");
      ticker(rocksdb::FLUSH_WRITE_BYTES, "rocksdb_flush_write_bytes");
      ticker(rocksdb::WAL_FILE_BYTES, "rocksdb_wal_bytes");
    }
    if (db_->GetIntProperty(rocksdb::DB::Properties::kActualDelayedWriteRate, &v)) {
      out["rocksdb_delayed_write_rate"] = static_cast<double>(v);
    }
    if (db_->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &v)) {
      out["rocksdb_write_stopped"] = static_cast<double>(v);
    }
    AddTableStats(&out);
    return out;
  }

 private:
  rocksdb::ColumnFamilyHandle* handle(Table t) const { return handles_[static_cast<size_t>(t)]; }

  // Per table written with every record: what compaction costs and whether it stalls writes,
  // so a soak can tell which table's layout makes the debt (rocksdb_<table>_...).
  void AddTableStats(std::map<std::string, double>* out) {
    for (Table t : {Table::kUnique, Table::kLearnerRecords, Table::kLogLeaves, Table::kLogBundles,
                    Table::kLogTiles}) {
      const std::string prefix = "rocksdb_" + std::string(TableName(t)) + "_";
      rocksdb::ColumnFamilyHandle* h = handle(t);
      uint64_t v = 0;
      if (db_->GetIntProperty(h, rocksdb::DB::Properties::kEstimatePendingCompactionBytes, &v)) {
        (*out)[prefix + "pending_compaction_bytes"] = static_cast<double>(v);
      }
      if (db_->GetIntProperty(h, rocksdb::DB::Properties::kLiveSstFilesSize, &v)) {
        (*out)[prefix + "live_sst_bytes"] = static_cast<double>(v);
      }
      std::string l0;
      if (db_->GetProperty(h, rocksdb::DB::Properties::kNumFilesAtLevelPrefix + "0", &l0)) {
        (*out)[prefix + "l0_files"] = std::strtod(l0.c_str(), nullptr);
      }
      std::map<std::string, std::string> cf;
      if (db_->GetMapProperty(h, rocksdb::DB::Properties::kCFStats, &cf)) {
        auto get = [&](const char* name) {
          auto it = cf.find(name);
          return it == cf.end() ? 0.0 : std::strtod(it->second.c_str(), nullptr);
        };
        // Flushes count as writes to L0; WriteGB is in GiB.
        (*out)[prefix + "compaction_write_bytes"] = get("compaction.Sum.WriteGB") * (1u << 30);
        (*out)[prefix + "compaction_seconds"] = get("compaction.Sum.CompSec");
        (*out)[prefix + "stalls"] = get("io_stalls.total_stop") + get("io_stalls.total_slowdown");
      }
    }
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<rocksdb::Statistics> stats_;
  std::atomic<bool> needs_resume_{false};
  std::atomic<bool> refusing_{false};  // the disk guard's state when Disk() last looked
  std::mutex listener_mu_;
  DiskGuardListener listener_;
  std::string path_;
  uint64_t min_free_;
};

// RocksDB's info log (DATA/db/LOG) through stdio, whose write errors are ignored. RocksDB's own
// file logger writes through its WritableFileWriter, which, once a write to a full disk has
// failed, aborts the process on an assertion at its next line (as the close writes one): a bank
// stopped on a full disk died instead of stopping. A line lost to a full disk is acceptable.
class StdioLogger final : public rocksdb::Logger {
 public:
  explicit StdioLogger(const std::string& file)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {
    std::error_code ec;
    // One earlier file is kept, as RocksDB kept a few: LOG.old.
    if (std::filesystem::file_size(file, ec) > (uint64_t{16} << 20) && !ec) {
      std::filesystem::rename(file, file + ".old", ec);
    }
    f_ = std::fopen(file.c_str(), "a");
  }
  ~StdioLogger() override {
    if (f_) std::fclose(f_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (!f_) return;
    std::lock_guard<std::mutex> lock(mu_);
    std::vfprintf(f_, format, ap);
    std::fputc('\n', f_);
    std::fflush(f_);
  }

 private:
  std::mutex mu_;
  std::FILE* f_ = nullptr;
};

// The database-wide options.
rocksdb::Options DatabaseOptions(const KvOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  db_options.statistics = rocksdb::CreateDBStatistics();
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptTimers);
  db_options.paranoid_checks = true;
  // Flushes and compactions write tables of up to ~140 MB; without this their pages stay dirty
  // until the file is closed and synced at once, and the log's fdatasync of the WAL (one per
  // commit group) waits behind that writeback: batches of 300-500 ms in the soak. Synced every
  // MB instead, the writeback is spread out.
  db_options.bytes_per_sync = 1 << 20;
  // A WAL file is deleted only once every table with rows in it has flushed them. Tables that
  // take a few small rows per commit group (meta, checkpoints) or a burst and then nothing
  // (learners, admin_log: the soak creates its learners first) keep rows in a 64 MB memtable
  // for a long time, so by default (4x the memtables' total, ~8.7 GB for 17 tables) the WAL
  // grew to ~900 B a record and, at ~10M records, one forced flush and the deletion of ~8 GB
  // of WAL at once gave the soak's last window p99 266-352 ms. Meta and checkpoints now flush
  // their own small memtables (TableOptions); past 2 GB the idle tables are flushed. (A 1 GB
  // limit also cut log_tiles' memtables short: smaller files, more compaction, stalls.)
  db_options.max_total_wal_size = uint64_t{2} << 30;

  // kUnique's hashed memtable (TableOptions) cannot take concurrent inserts; the log has one
  // writer anyway.
  db_options.allow_concurrent_memtable_write = false;
  return db_options;
}

// Each table's column family options; MakeTableOptions says why each differs from `standard`.
struct TableOptions {
  rocksdb::ColumnFamilyOptions standard, meta, nodes, leaves, checkpoints, tiles, bundles,
      learner_records, unique;

  const rocksdb::ColumnFamilyOptions& For(Table t) const {
    switch (t) {
      case Table::kMeta:
        return meta;
      case Table::kLogNodes: return nodes;
      case Table::kLogLeaves: return leaves;
      case Table::kCheckpoints: return checkpoints;
      case Table::kLogTiles: return tiles;
      case Table::kLogBundles: return bundles;
      case Table::kLearnerRecords: return learner_records;
      case Table::kUnique: return unique;
      default: return standard;
    }
  }
};

TableOptions MakeTableOptions(size_t block_cache_bytes) {
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(block_cache_bytes);
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

  // Hashes do not compress: log_tiles (16 KB tiles of them) and log_nodes (the layout before
  // tiles: 32-byte rows read one at a time, hence the small blocks) are stored uncompressed.
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
  rocksdb::ColumnFamilyOptions append_options = unfiltered;
  append_options.memtable_insert_with_hint_prefix_extractor = append_only;

  // The tiled log (storage/ledger.h): full hash tiles (16 KB of random hashes: compression
  // cannot help) and full entry bundles (~115 KB of JSON, ZSTD from the first flush, since rows
  // written in key order reach the bottom by trivial moves and are never rewritten), both
  // appended in key order. Leaf rows (kLogLeaves) live only until their tile fills: most are
  // range-deleted before their memtable is flushed.
  // No insert hint for a table that takes range deletes (the leaf rows; log_nodes, emptied by
  // the migration): RocksDB keeps one hint per prefix for a memtable and shares it between the
  // table and its range-deletion table, so a range delete after hinted inserts (or the other
  // way round) starts from a node of the other skiplist (an assertion in RocksDB's debug
  // checks, memory corruption without them).
  rocksdb::ColumnFamilyOptions leaf_options = unfiltered;
  rocksdb::ColumnFamilyOptions tile_options = node_options;  // keys grow per level only: no hint
  // Bundles are compressed with ZSTD from their first flush: they reach the bottom by trivial
  // moves, so this is their only compression. (LZ4 at the flush and ZSTD at the bottom, as
  // before, rewrote each bundle once more: 1,600 MiB written for 10M records against 519 MiB
  // now, 21-24 s of compaction against 15 s, and 688 against 519 MiB on disk; soak, 2026-12-04.)
  rocksdb::ColumnFamilyOptions bundle_options = append_options;
  bundle_options.compression_per_level.clear();
  bundle_options.compression = rocksdb::kZSTD;
  bundle_options.bottommost_compression = rocksdb::kZSTD;

  rocksdb::ColumnFamilyOptions learner_options = unfiltered;
  learner_options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<UpToNulTransform>();

  // Idempotency rows are keyed by random ids (a record id is a hash) and only ever read by
  // exact key: a hashed memtable (buckets by the first 16 bytes, a small skiplist in each)
  // inserts each in about constant time, where one skiplist walked ~20 levels of cache misses
  // per insert (+14 % records/s in session 3's A/B; the sort moves to the flush thread, and a
  // later A/B against the plain skiplist was neutral). Scans still work: Scan() asks for total
  // order. The hashed memtable cannot take concurrent inserts; the log has one writer anyway.
  // Level compaction, measured against universal over a 10M-record soak: universal keeps the
  // table in a few huge sorted runs whose filter blocks (MBs) do not fit a block-cache shard,
  // so every idempotency lookup re-read and checksummed one (2.8k records/s by 3M records,
  // against ~30k with level compaction).
  // Its files' filters and indexes are partitioned (blocks of 4 KB found through a small top
  // level, pinned in the cache): a whole filter of a 138 MB file is 3.4 MB, near a cache
  // shard's 4 MB, and once two such filters shared a shard each lookup re-read and checksummed
  // one from the page cache (the soak of 2026-12-03 fell from 30k to 8k records/s by 5M records
  // with the preparer thread at 67 % in that read). A lookup now reads one filter partition.
  rocksdb::BlockBasedTableOptions unique_table = table_options;
  unique_table.partition_filters = true;
  unique_table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  unique_table.metadata_block_size = 4096;
  unique_table.cache_index_and_filter_blocks_with_high_priority = true;
  unique_table.pin_top_level_index_and_filter = true;
  rocksdb::ColumnFamilyOptions unique_options = cf_options;
  unique_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(unique_table));
  unique_options.prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(16));
  unique_options.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(1 << 20));

  // A few hundred bytes a commit group (the latest checkpoint, the tree size; one signed
  // checkpoint row): 1 MB memtables flush every ~30 s under load, so that these tables never
  // keep old WAL files alive (DatabaseOptions, max_total_wal_size).
  rocksdb::ColumnFamilyOptions meta_options = cf_options;
  meta_options.write_buffer_size = 1 << 20;
  rocksdb::ColumnFamilyOptions checkpoint_options = append_options;
  checkpoint_options.write_buffer_size = 1 << 20;

  return TableOptions{cf_options,     meta_options,       node_options,
                      leaf_options,   checkpoint_options, tile_options,
                      bundle_options, learner_options,    unique_options};
}

}  // namespace

StatusOr<std::unique_ptr<Kv>> OpenRocksKv(const std::string& path, const KvOptions& options) {
  rocksdb::Options db_options = DatabaseOptions(options);
  if (options.create_if_missing || std::filesystem::exists(path)) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (!ec) db_options.info_log = std::make_shared<StdioLogger>(path + "/LOG");
  }
  const TableOptions tables = MakeTableOptions(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (int i = 0; i < kTableCount; ++i) {
    Table t = static_cast<Table>(i);
    cfs.emplace_back(std::string(TableName(t)), tables.For(t));
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

Status CompactRocksKv(const std::string& path) {
  KvOptions options;
  options.create_if_missing = false;
  LCB_ASSIGN_OR_RETURN(std::unique_ptr<Kv> kv, OpenRocksKv(path, options));
  return static_cast<RocksKv*>(kv.get())->CompactAll();
}

}  // namespace lcb
