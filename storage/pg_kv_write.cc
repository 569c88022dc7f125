// PgKv::Write: one batch = one transaction = one pipeline (see pg_kv.h for the contract).
#include <algorithm>
#include <tuple>

#include "storage/pg_codec.h"
#include "storage/pg_kv.h"
#include "storage/pg_statements.h"

namespace lcb {

namespace {

// One table's rows of a planned batch. Parts are views into the batch.
struct TableRows {
  const pg::TableCodec* codec;
  std::vector<std::string_view> puts;     // key and value parts, row after row
  std::vector<std::string_view> deletes;  // key parts, row after row
  std::vector<std::pair<pg::Bound, pg::Bound>> range_deletes;  // [lower, upper), run first
};

}  // namespace

// A batch checked against the table grammars and reduced to the last operation on each key,
// grouped by table.
struct PgKv::Plan {
  std::vector<TableRows> tables;
  std::optional<WriteBatch::LogHeadMove> head;
  uint64_t epoch = 0;
  // Rows of log_append_only tables go as plain INSERTs (a batch that moves the head; cleared
  // for the one resend after a key was found to exist after all).
  bool plain_inserts = false;
};

namespace {

constexpr int kFenceStatement = 1;  // after BEGIN

bool SameKey(const WriteBatch::Op& a, const WriteBatch::Op& b) {
  return a.table == b.table && a.key == b.key;
}

// Queues the upserts (or plain inserts) of one table: chunks of kMaxRowsPerStatement rows, then
// the rest as chunks of decreasing powers of two, so each connection prepares at most ten
// shapes a table.
Status QueueUpserts(pg::Conn& conn, const TableRows& t, bool plain, pg::Params* params,
                    std::deque<std::string>* scratch) {
  const pg::TableCodec& codec = *t.codec;
  plain = plain && codec.log_append_only;
  const size_t width = codec.key.size() + codec.value.size();
  const size_t rows = t.puts.size() / width;
  std::vector<std::string_view> key, value;
  size_t row = 0;
  while (row < rows) {
    size_t n = PgKv::kMaxRowsPerStatement;
    while (n > rows - row) n /= 2;
    params->Clear();
    scratch->clear();
    for (size_t r = row; r < row + n; ++r) {
      auto first = t.puts.begin() + static_cast<long>(r * width);
      key.assign(first, first + static_cast<long>(codec.key.size()));
      value.assign(first + static_cast<long>(codec.key.size()), first + static_cast<long>(width));
      pg::Bind(codec.key, key, params, scratch);
      pg::Bind(codec.value, value, params, scratch);
    }
    LCB_RETURN_IF_ERROR(conn.Queue(plain ? pg::Insert(codec, n) : pg::Upsert(codec, n),
                                   pg::UpsertTypes(codec, n), *params));
    row += n;
  }
  return Status::Ok();
}

Status QueueDeletes(pg::Conn& conn, const TableRows& t, pg::Params* params,
                    std::deque<std::string>* scratch) {
  const pg::TableCodec& codec = *t.codec;
  for (const auto& [lower, upper] : t.range_deletes) {
    params->Clear();
    for (const std::string& p : lower.parts) params->Bytes(p);
    for (const std::string& p : upper.parts) params->Bytes(p);
    LCB_RETURN_IF_ERROR(conn.Queue(pg::DeleteRange(codec, lower, upper),
                                   pg::DeleteRangeTypes(codec, lower, upper), *params));
  }
  const size_t width = codec.key.size();
  std::vector<std::string_view> key;
  for (size_t r = 0; r * width < t.deletes.size(); ++r) {
    params->Clear();
    scratch->clear();
    auto first = t.deletes.begin() + static_cast<long>(r * width);
    key.assign(first, first + static_cast<long>(width));
    pg::Bind(codec.key, key, params, scratch);
    LCB_RETURN_IF_ERROR(conn.Queue(pg::DeleteOne(codec), pg::KeyTypes(codec), *params));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<PgKv::Plan> PgKv::MakePlan(const WriteBatch& batch) {
  Plan plan;
  plan.head = batch.log_head();
  plan.plain_inserts = plan.head.has_value();
  std::vector<WriteBatch::Op> all = batch.ops();
  // A range delete applies in its place: operations before it on keys in its range are void
  // (the range delete removes what they wrote), those after it run after it (deletes first).
  // (A batch holds thousands of operations and a handful of range deletes: each operation is
  // checked against the range deletes after it only.)
  std::vector<WriteBatch::Op> ops, ranges;
  std::vector<size_t> range_at;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].is_range_delete) range_at.push_back(i);
  }
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].is_range_delete) {
      ranges.push_back(all[i]);
      continue;
    }
    bool voided = false;
    for (auto j = std::upper_bound(range_at.begin(), range_at.end(), i);
         j != range_at.end() && !voided; ++j) {
      const WriteBatch::Op& r = all[*j];
      voided = r.table == all[i].table && all[i].key >= r.key && all[i].key < r.value;
    }
    if (!voided) ops.push_back(all[i]);
  }
  // Tables in enum order, keys in order within each (deletes first): two writers lock shared
  // rows in the same order, so they wait rather than deadlock, unless one deletes a key the
  // other writes (then 40P01, and a retry). Operations on one key keep the batch's order.
  std::stable_sort(ops.begin(), ops.end(), [](const WriteBatch::Op& a, const WriteBatch::Op& b) {
    return std::tie(a.table, a.key) < std::tie(b.table, b.key);
  });
  ops.insert(ops.end(), ranges.begin(), ranges.end());
  std::stable_sort(ops.begin(), ops.end(), [](const WriteBatch::Op& a, const WriteBatch::Op& b) {
    return a.table < b.table;  // the ranges join their table's group (already key-sorted)
  });
  std::vector<std::string_view> parts;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!ops[i].is_range_delete && i + 1 < ops.size() && SameKey(ops[i], ops[i + 1]) &&
        !ops[i + 1].is_range_delete) {
      continue;  // the last one wins
    }
    const WriteBatch::Op& op = ops[i];
    const pg::TableCodec& codec = pg::CodecOf(op.table);
    if (plan.tables.empty() || plan.tables.back().codec != &codec) {
      plan.tables.push_back(TableRows{&codec, {}, {}, {}});
    }
    TableRows& rows = plan.tables.back();
    if (op.is_range_delete) {
      LCB_ASSIGN_OR_RETURN(pg::Bound lower, pg::LowerBound(codec, op.key));
      LCB_ASSIGN_OR_RETURN(pg::Bound upper, pg::LowerBound(codec, op.value));
      rows.range_deletes.emplace_back(std::move(lower), std::move(upper));
      continue;
    }
    LCB_RETURN_IF_ERROR(pg::Split(codec, /*is_key=*/true, op.key, &parts));
    std::vector<std::string_view>& out = op.is_delete ? rows.deletes : rows.puts;
    out.insert(out.end(), parts.begin(), parts.end());
    if (!op.is_delete) {
      LCB_RETURN_IF_ERROR(pg::Split(codec, /*is_key=*/false, op.value, &parts));
      out.insert(out.end(), parts.begin(), parts.end());
    }
  }
  return plan;
}

// BEGIN; the fencing statement; deletes; inserts or upserts; COMMIT; Sync. `failed` is the position
// of the statement that failed (BEGIN is 0, the fencing statement 1), or -1.
Status PgKv::SendBatch(pg::Conn& conn, const Plan& plan, int* failed) {
  *failed = -1;
  LCB_RETURN_IF_ERROR(conn.BeginPipeline());
  pg::Params params;
  std::deque<std::string> scratch;
  Status queued = conn.Queue(begin_sql_, {}, params);
  if (queued.ok() && plan.head) {
    params.Int8(static_cast<int64_t>(plan.head->to));
    params.Int8(options_.log_id);
    params.Int8(static_cast<int64_t>(plan.epoch));
    params.Int8(static_cast<int64_t>(plan.head->from));
    queued =
        conn.Queue(pg::kMoveLogHead,
                   {pg::Type::kInt8, pg::Type::kInt8, pg::Type::kInt8, pg::Type::kInt8}, params);
  }
  for (const TableRows& t : plan.tables) {
    if (queued.ok()) queued = QueueDeletes(conn, t, &params, &scratch);
    if (queued.ok()) queued = QueueUpserts(conn, t, plan.plain_inserts, &params, &scratch);
  }
  params.Clear();
  if (queued.ok()) queued = conn.Queue("COMMIT", {}, params);
  if (!queued.ok()) return queued;  // the connection broke while sending: it is dropped
  std::vector<pg::Result> results;
  Status s = conn.Sync(&results, failed);
  if (!s.ok() && conn.failure() != pg::Failure::kConnection && !conn.Reusable()) {
    conn.Rollback();  // leave the failed transaction block
  }
  return s;
}

Status PgKv::Write(const WriteBatch& batch, bool sync) {
  (void)sync;  // every commit is durable when it returns (synchronous_commit stays on)
  if (batch.empty() && !batch.log_head()) return Status::Ok();
  LCB_ASSIGN_OR_RETURN(Plan plan, MakePlan(batch));
  plan.epoch = epoch_.load();
  if (plan.head && plan.epoch == 0) {
    fenced_++;
    return Status::Unavailable(
        "fenced: this node does not hold the log writer's lease; its commit group was not "
        "written");
  }
  for (int attempt = 1;; ++attempt) {
    StatusOr<pg::Pool::Lease> conn = pool_.Take();
    int failed = -1;
    Status s = conn.ok() ? SendBatch(**conn, plan, &failed) : conn.status();
    if (s.ok()) {
      writes_++;
      return s;
    }
    const pg::Failure failure = conn.ok() ? (*conn)->failure() : pg::Failure::kConnection;
    if (conn.ok() && plan.plain_inserts && failed > kFenceStatement &&
        (*conn)->sqlstate() == "23505") {
      // A row of an append-only table existed after all (nothing the Ledger writes does that;
      // a hand-repaired database might): the transaction rolled back whole, head included, so
      // the batch is sent again at once with upserts, which replace the row as RocksDB would.
      plain_insert_conflicts_++;
      plan.plain_inserts = false;
      --attempt;
      continue;
    }
    const bool head_stayed =
        conn.ok() && failed == kFenceStatement && (*conn)->sqlstate() == "22012";
    if (conn.ok() && failure == pg::Failure::kConnection) conn->Discard();
    if (plan.head && (head_stayed || (conn.ok() && failure == pg::Failure::kConnection))) {
      // The head did not move, or the outcome is unknown: the head row says which it was.
      if (!head_stayed) unknown_commits_++;
      bool committed = false, retry = false;
      LCB_RETURN_IF_ERROR(ResolveHead(*plan.head, plan.epoch, head_stayed, &committed, &retry));
      if (committed) {
        writes_++;
        return Status::Ok();
      }
      if (!retry) return Fenced(*plan.head, plan.epoch);
    } else if (failure == pg::Failure::kConnection && conn.ok()) {
      unknown_commits_++;  // sent again: a batch's blind writes are idempotent
    } else if (failure != pg::Failure::kRetryable && failure != pg::Failure::kConnection) {
      return s;
    }
    if (attempt >= options_.max_attempts) return s;
    retries_++;
    Backoff(attempt);
  }
}

// After the head did not move (`stayed`) or a commit's outcome was lost: the head at `to` under
// this epoch means an earlier attempt of this very batch committed (only this node moves the
// head under its epoch, one group at a time); at `from` under this epoch after a lost
// connection means nothing was committed and the batch may be sent again; anything else means
// another writer took over.
Status PgKv::ResolveHead(const WriteBatch::LogHeadMove& move, uint64_t epoch, bool stayed,
                         bool* committed, bool* retry) {
  *committed = *retry = false;
  int64_t head_epoch = 0, head_size = 0;
  LCB_RETURN_IF_ERROR(Run([&](pg::Conn& conn) {
    pg::Params p;
    p.Int8(options_.log_id);
    LCB_ASSIGN_OR_RETURN(pg::Result r, conn.Query(pg::kReadLogHead, {pg::Type::kInt8}, p));
    if (r.rows() != 1) return Status::Backend(StatusCode::kDataLoss, "postgres: the log head row is missing");
    head_epoch = r.Int8(0, 0);
    head_size = r.Int8(0, 1);
    return Status::Ok();
  }));
  const bool mine = static_cast<uint64_t>(head_epoch) == epoch;
  *committed = mine && static_cast<uint64_t>(head_size) == move.to;
  *retry = !stayed && mine && static_cast<uint64_t>(head_size) == move.from;
  return Status::Ok();
}

Status PgKv::Fenced(const WriteBatch::LogHeadMove& move, uint64_t epoch) {
  uint64_t expected = epoch;
  epoch_.compare_exchange_strong(expected, 0);  // step down (unless it already re-acquired)
  fenced_++;
  std::string now = "unknown";
  if (StatusOr<WriterLease> w = CurrentWriter(); w.ok()) {
    now = "held by '" + w->holder + "' with epoch " + std::to_string(w->epoch) +
          ", the log at size " + std::to_string(w->tree_size);
  }
  return Status::Unavailable("fenced: this node wrote under epoch " + std::to_string(epoch) +
                             " from size " + std::to_string(move.from) +
                             ", but the log writer's lease is " + now +
                             "; the commit group was not written and this node stepped down");
}

}  // namespace lcb
