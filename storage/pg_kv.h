// PgKv: the Kv interface (storage/kv.h) on a PostgreSQL-wire engine (PostgreSQL 15 tested;
// CockroachDB and YugabyteDB from their documentation), selected by `--storage postgres
// --postgres-dsn URL`. Several `creditbank serve` nodes share one database; one of them at a
// time writes the log, fenced by an epoch (below).
//
// Storage: each Table is a typed SQL table (storage/pg_codec.h: the grammar of each key becomes
// typed columns whose SQL order is the keys' byte order); the schema is created or migrated
// when PgKv opens (storage/pg_schema.h).
//
// Kv semantics on SQL:
// - Get: one prepared SELECT. A key outside its table's grammar cannot exist: NotFound.
//   MultiGet: one statement per 512 keys, the keys as an array (one-column keys: unnest and a
//   LATERAL primary-key probe each, pg_statements.h SelectMany); a pipeline of point SELECTs
//   for composite keys, or when the engine refuses that statement.
// - Write: ONE transaction, sent as one pipeline (BEGIN, the fencing statement when the batch
//   moves the log head, multi-row upserts of up to kMaxRowsPerStatement rows and deletes per
//   table, COMMIT, Sync): one round trip. In a batch that moves the log head, the rows of the
//   tables that such a batch only ever adds to (pg_codec.h log_append_only: leaves, tiles,
//   checkpoints, idempotency keys, leaf-keyed indexes) go as plain INSERTs: an upsert costs
//   PostgreSQL a speculative insertion and one more WAL record a row (measured: the writer's
//   INSERTs were most of its backend's time). Should such a row exist after all (23505), the
//   transaction rolled back whole and the batch is sent again at once with upserts. The last
//   operation on a key wins, as in RocksDB. A key or value outside its table's grammar refuses
//   the whole batch (InvalidArgument) before anything is sent. Commits are durable when they
//   return (synchronous_commit on; `sync` is always honoured). Retried on serialization failures
//   and deadlocks (40001, 40P01). On a lost connection: a connection found dead before sending
//   is replaced (nothing was sent); a connection lost after sending leaves the outcome unknown,
//   and then a batch that moves the log head is resolved from the head row (moved to `to` under
//   this epoch = committed; still at `from` = not committed, sent again), and any other batch is
//   sent again (its puts and deletes set final values, so applying it twice leaves what applying
//   it once would).
// - Scan: key order by ORDER BY on the primary key, bounds translated exactly (pg_codec.h), in
//   pages of keyset queries. `fn` runs between pages with no connection held, so it may call
//   the Kv. Each page is a consistent snapshot; rows committed between two pages may appear in
//   the later one (RocksDB's iterator sees one snapshot; the log's rows are immutable anyway).
// - CreateCheckpoint(dir): a logical export, in one REPEATABLE READ READ ONLY transaction (a
//   consistent snapshot), of every table into a new RocksDB store at `dir`: the same layout an
//   embedded bank has, so `creditbank restore` and every RocksDB tool read it. For a large
//   database use the engine's own backup (pg_basebackup and WAL archiving, CockroachDB BACKUP,
//   YugabyteDB snapshots): see docs/scale-out.md.
//
// The log writer (DESIGN.md "One log writer at a time"): table log_lease holds, per log, the
// writer's address, a fencing epoch and an expiry in the database's clock; table log_head holds
// the epoch and the tree size. AcquireWriter takes an expired lease (or this holder's own) and
// bumps the epoch in both rows in one statement; every Write that moves the log head runs
// `UPDATE log_head SET tree_size = to WHERE epoch = mine AND tree_size = from` first in its
// transaction, and 0 rows abort it: a writer that lost the lease, even one paused past its
// expiry that has not noticed, can never commit a group after a new writer took over. A fenced
// PgKv stops being the writer at once (IsWriter() false) until it acquires the lease again,
// after which its Ledger must be reopened (the tree moved on without it).
//
// Thread safety: every method may be called concurrently (a pool of connections).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "storage/kv.h"
#include "storage/pg_conn.h"
#include "storage/pg_schema.h"

namespace lcb {

struct PgKvOptions {
  std::string dsn;       // libpq connection string or postgresql:// URL (may hold a password)
  size_t pool_size = 8;  // connections at most
  // Isolation of Write transactions: "read committed" (PostgreSQL's default and enough: every
  // write is blind, and the fencing UPDATE re-checks its row after waiting for it),
  // "repeatable read" or "serializable". CockroachDB runs SERIALIZABLE whatever is asked.
  std::string isolation = "read committed";
  int max_attempts = 8;  // tries per call on 40001, 40P01 and lost connections
  uint32_t log_id = 0;   // the log whose lease and head this node uses
};

// The lease as the database sees it.
struct WriterLease {
  std::string holder;        // the writer's address ("" before the first writer)
  uint64_t epoch = 0;        // fencing epoch, bumped by every acquisition
  int64_t remaining_ms = 0;  // time left by the database's clock; <= 0: expired
  uint64_t tree_size = 0;    // the log head
};

class PgKv final : public Kv {
 public:
  // Connects, detects the engine, creates or migrates the schema, checks it.
  static StatusOr<std::unique_ptr<PgKv>> Open(const PgKvOptions& options);
  ~PgKv() override;

  Status Get(Table t, std::string_view key, std::string* value) override;
  // Per kMaxRowsPerStatement keys, one round trip: one SelectMany statement for a table with a
  // one-column key, a pipeline of point SELECTs otherwise.
  Status MultiGet(Table t, const std::vector<std::string>& keys,
                  std::vector<std::optional<std::string>>* values) override;
  bool BatchesReads() const override { return true; }
  Status Write(const WriteBatch& batch, bool sync) override;
  Status Scan(Table t, std::string_view start, std::string_view end, size_t limit,
              const std::function<bool(std::string_view, std::string_view)>& fn) override;
  Status CreateCheckpoint(const std::string& dir) override;
  std::map<std::string, double> Stats() override;
  Status Ping() override;

  // Takes the writer's lease for `ttl` when it has expired or `holder` already holds it (a
  // restarted node takes its own lease back at once, fencing its previous incarnation), with a
  // new epoch. FailedPrecondition naming the holder and the time left otherwise.
  StatusOr<WriterLease> AcquireWriter(const std::string& holder, std::chrono::milliseconds ttl);
  // Extends this node's lease by `ttl` from now. Unavailable "fenced" when it was lost (another
  // node took it, or it was given up): this node is then no longer the writer.
  StatusOr<WriterLease> RenewWriter(std::chrono::milliseconds ttl);
  // Gives the lease up at once (it expires now): another node may take it without waiting.
  Status StepDown();
  // The lease and head rows: who writes the log (forward appends there), and its size.
  StatusOr<WriterLease> CurrentWriter();
  bool IsWriter() const { return epoch_.load() != 0; }
  uint64_t writer_epoch() const { return epoch_.load(); }

  pg::Engine engine() const { return engine_; }
  // Most rows one INSERT carries (a commit group of 1,000 records is a handful of statements).
  static constexpr size_t kMaxRowsPerStatement = 512;

 private:
  struct Plan;
  explicit PgKv(const PgKvOptions& options);
  // Runs `fn` on a pooled connection, again on a new connection after a lost one or a
  // serialization failure, up to max_attempts: for reads and idempotent writes only.
  Status Run(const std::function<Status(pg::Conn&)>& fn);
  StatusOr<Plan> MakePlan(const WriteBatch& batch);
  Status SendBatch(pg::Conn& conn, const Plan& plan, int* failed);
  Status ResolveHead(const WriteBatch::LogHeadMove& move, uint64_t epoch, bool stayed,
                     bool* committed, bool* retry);
  Status Fenced(const WriteBatch::LogHeadMove& move, uint64_t epoch);
  Status ScanPages(pg::Conn* pinned, Table t, std::string_view start, std::string_view end,
                   size_t limit, const std::function<bool(std::string_view, std::string_view)>& fn);
  void Backoff(int attempt);

  const PgKvOptions options_;
  pg::Engine engine_ = pg::Engine::kPostgres;
  std::string begin_sql_;  // BEGIN with the isolation level
  pg::Pool pool_;

  std::mutex writer_mu_;  // guards holder_
  std::string holder_;
  std::atomic<uint64_t> epoch_{0};  // 0: not the writer

  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> fenced_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> unknown_commits_{0};
  std::atomic<uint64_t> plain_insert_conflicts_{0};
  std::atomic<bool> array_reads_{true};  // MultiGet's one-statement form (cleared if refused)
};

// The same, as the Kv the rest of the bank holds.
StatusOr<std::unique_ptr<Kv>> OpenPgKv(const PgKvOptions& options);

}  // namespace lcb
