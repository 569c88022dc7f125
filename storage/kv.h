// The narrow storage interface the rest of the bank sees. Two implementations: RocksDB
// (storage/rocks_kv.cc, the default) and a PostgreSQL-wire engine (storage/pg_kv.h, DESIGN.md
// "Where one machine is not enough").
//
// Thread safety: every method may be called concurrently. A Write is atomic: all of its
// operations become visible together or none do, and with `sync` it is durable (WAL fsynced)
// before it returns OK.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lcb {

// Logical tables; each is a RocksDB column family.
enum class Table : uint8_t {
  kMeta = 0,        // small named values: "tree_size", "checkpoint", "origin", ...
  kObjects,         // object id (conversion, ruleset, revocation) -> BE64 leaf index
  kUnique,          // idempotency key (a record's id, "revoke/<id>", ...) -> outcome
  kLearnerRecords,  // <learner>\0<BE64 leaf index> -> record id or revocation id (events)
  kLogLeaves,       // BE64 leaf index -> exact entry bytes, for leaves not yet in a bundle
  kLogNodes,        // (layout before tiles, emptied by the migration) BE64 post-order node
                    // number -> 32-byte hash of a complete subtree
  kCheckpoints,     // BE64 tree size -> signed checkpoint note
  kCatalog,         // "inst/<id>", "unit/<id>", "prog/<id>", "scale/<id>" -> JSON document
  kRulesets,        // <program>\0<BE32 version> -> BE64 leaf index of the publication entry
  kTokens,          // "h/<sha256 hex>" -> token JSON; "i/<id>" -> sha256 hex
  kLearners,        // "l/<id>" learner JSON; "n/<hmac hex>" learner id; "p/<id>" passbook totals
  kGrants,          // <learner>\0<institution> -> grant JSON
  kStatus,          // record id -> id of the entry that revoked it
  kAdminLog,        // BE64 sequence -> admin action JSON
  kConversions,     // <learner>\0<BE64 leaf index> -> conversion id
  kLogTiles,        // level(1) BE64 tile index -> full hash tile with its interior nodes
  kLogBundles,      // BE64 tile index -> full C2SP entry bundle (256 entries)
};
constexpr int kTableCount = 17;
std::string_view TableName(Table t);

// An ordered set of writes applied atomically by Kv::Write. Keys and values are copied into
// one buffer (a commit group holds thousands of rows: one allocation per row showed up in the
// log writer's profile).
class WriteBatch {
 public:
  struct Op {
    Table table;
    bool is_delete;
    std::string_view key;    // views into the batch: valid while it lives unchanged
    std::string_view value;  // for a range delete: the end of the range (exclusive)
    // A range delete: every key in [key, value) of `table` (is_delete is also set). A backend
    // must apply it in its place in the batch: after the operations added before it.
    bool is_range_delete = false;
  };
  void Put(Table t, std::string_view key, std::string_view value) { Add(t, false, key, value); }
  void Delete(Table t, std::string_view key) { Add(t, true, key, {}); }
  // Deletes every key in [begin, end). The log uses it to drop a tile's 256 leaf rows in the
  // batch that writes the tile's bundle (one tombstone instead of 256).
  void DeleteRange(Table t, std::string_view begin, std::string_view end) {
    Add(t, true, begin, end);
    rows_.back().is_range_delete = true;
  }
  // The operations in the order they were added.
  std::vector<Op> ops() const {
    std::vector<Op> out;
    out.reserve(rows_.size());
    for (const Row& r : rows_) {
      out.push_back(Op{r.table, r.is_delete, std::string_view(data_).substr(r.key, r.key_size),
                       std::string_view(data_).substr(r.key + r.key_size, r.value_size),
                       r.is_range_delete});
    }
    return out;
  }
  bool empty() const { return rows_.empty(); }
  size_t size() const { return rows_.size(); }
  size_t bytes() const { return data_.size(); }  // keys and values
  void Clear() {
    rows_.clear();
    data_.clear();
    log_head_.reset();
  }

  // The fencing precondition of a log commit group (DESIGN.md "One log writer at a time"): the
  // batch is written only if the log head is at `from` tree size and this process is the log's
  // writer; the head then moves to `to` in the same atomic write. See Kv::Write.
  struct LogHeadMove {
    uint64_t from;
    uint64_t to;
  };
  void MoveLogHead(uint64_t from, uint64_t to) { log_head_ = LogHeadMove{from, to}; }
  const std::optional<LogHeadMove>& log_head() const { return log_head_; }

 private:
  struct Row {
    Table table;
    bool is_delete;
    size_t key;  // offset in data_; the value follows the key
    size_t key_size;
    size_t value_size;
    bool is_range_delete = false;
  };
  void Add(Table t, bool is_delete, std::string_view key, std::string_view value) {
    rows_.push_back(Row{t, is_delete, data_.size(), key.size(), value.size()});
    data_.append(key);
    data_.append(value);
  }
  std::vector<Row> rows_;
  std::string data_;
  std::optional<LogHeadMove> log_head_;
};

struct KvOptions {
  bool create_if_missing = true;
  size_t block_cache_bytes = 256u << 20;
  // Writes are refused (Unavailable) while the store's filesystem has less free space than
  // this, so a full disk never reaches RocksDB's write path: nothing half-written, no
  // read-only mode, and writes resume by themselves when space returns.
  uint64_t min_free_bytes = 256ull << 20;
};

// The disk guard's view of the store's filesystem (KvOptions::min_free_bytes).
struct DiskSpace {
  uint64_t free_bytes = 0;      // available to this process (statvfs f_bavail)
  uint64_t min_free_bytes = 0;  // the floor: writes are refused below it (0 = no guard)
  bool refusing() const { return min_free_bytes > 0 && free_bytes < min_free_bytes; }
};

class Kv {
 public:
  virtual ~Kv() = default;
  // NotFound when absent.
  virtual Status Get(Table t, std::string_view key, std::string* value) = 0;
  // Calls `fn` with the value of `key` (NotFound when absent), without a copy where the
  // backend can: the log reads one entry or a few hashes out of 115 KB bundles and 16 KB
  // tiles. The view is valid only during the call.
  virtual Status View(Table t, std::string_view key,
                      const std::function<void(std::string_view)>& fn) {
    std::string value;
    LCB_RETURN_IF_ERROR(Get(t, key, &value));
    fn(value);
    return Status::Ok();
  }
  // Several keys of one table at once: (*values)[i] is the value of keys[i], or nullopt when
  // absent. One by one here; a store across a network sends them together (PgKv: one
  // pipeline), so the Ledger's idempotency checks of a commit group cost one round trip.
  virtual Status MultiGet(Table t, const std::vector<std::string>& keys,
                          std::vector<std::optional<std::string>>* values) {
    values->assign(keys.size(), std::nullopt);
    std::string value;
    for (size_t i = 0; i < keys.size(); ++i) {
      Status s = Get(t, keys[i], &value);
      if (s.ok()) {
        (*values)[i] = value;
      } else if (s.code() != StatusCode::kNotFound) {
        return s;
      }
    }
    return Status::Ok();
  }
  // Whether MultiGet costs less than the same Gets one by one (worth gathering keys for).
  virtual bool BatchesReads() const { return false; }
  // A batch with a log-head move (WriteBatch::MoveLogHead) is written only while this process is
  // the log's writer and the head is at its `from` size; otherwise nothing of it is written and
  // the result is Unavailable with a message starting "fenced". RocksKv satisfies this by
  // construction: its LOCK file makes one process the only writer, and that process's Ledger is
  // the head's only mover. PgKv checks it in the batch's transaction (storage/pg_kv.h).
  virtual Status Write(const WriteBatch& batch, bool sync) = 0;
  // Calls `fn(key, value)` for keys in [start, end) in order (end empty = to the table's end)
  // until it returns false or `limit` rows were visited.
  virtual Status Scan(Table t, std::string_view start, std::string_view end, size_t limit,
                      const std::function<bool(std::string_view, std::string_view)>& fn) = 0;
  // A consistent, openable copy of the whole store in `dir` (must not exist).
  virtual Status CreateCheckpoint(const std::string& dir) = 0;
  // Figures for /metrics: name -> value.
  virtual std::map<std::string, double> Stats() = 0;
  // Whether the store answers now, for GET /readyz: an embedded store always does; a store
  // across a network makes one round trip (PgKv: SELECT 1 on a pooled connection, a fresh one
  // when the pooled one broke), without the retries of reads and writes.
  virtual Status Ping() { return Status::Ok(); }
  // The free space of the store's own disk now, for /readyz and /metrics; nullopt for a store
  // that keeps no data on a local disk (PgKv) or whose disk cannot be read. Like a Write, it
  // reports a change of the guard's state to the listener.
  virtual std::optional<DiskSpace> Disk() { return std::nullopt; }
  // Called once each time the disk guard starts refusing writes and once when it stops (not
  // per refused write), from whichever thread saw the change (a writer, or a Disk() caller).
  // Set before the store is shared; a null listener clears it.
  using DiskGuardListener = std::function<void(const DiskSpace&)>;
  virtual void SetDiskGuardListener(DiskGuardListener listener) {}
};

StatusOr<std::unique_ptr<Kv>> OpenRocksKv(const std::string& path, const KvOptions& options = {});
// Compacts every table of the RocksDB store at `path` (not open elsewhere) down to its last
// level with the store's own options, so its size on disk is what the data needs: the soak
// benchmark reports bytes per record after this.
Status CompactRocksKv(const std::string& path);

}  // namespace lcb
