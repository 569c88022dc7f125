// PgKv: opening, reads (Get, Scan), the export behind CreateCheckpoint, and figures. Writes are
// in pg_kv_write.cc, the writer's lease in pg_lease.cc.
#include "storage/pg_kv.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <thread>
#include <unordered_map>

#include "storage/pg_codec.h"
#include "storage/pg_statements.h"

namespace lcb {
namespace {

constexpr size_t kFirstScanPage = 256;  // most scans want a few rows (a page of records)
constexpr size_t kScanPage = 2048;
constexpr size_t kExportBatchRows = 10000;

Status CheckOptions(const PgKvOptions& o) {
  if (o.dsn.empty()) {
    return Status::InvalidArgument(Field("storage.postgres.dsn"),
                                   "the PostgreSQL connection string is empty");
  }
  if (o.pool_size < 1) return Status::InvalidArgument(Field("pool_size"), "must be at least 1");
  if (o.max_attempts < 1) return Status::InvalidArgument(Field("max_attempts"), "must be >= 1");
  if (o.isolation != "read committed" && o.isolation != "repeatable read" &&
      o.isolation != "serializable") {
    return Status::InvalidArgument(Field("isolation"),
                                   "must be read committed, repeatable read or serializable");
  }
  return Status::Ok();
}

}  // namespace

PgKv::PgKv(const PgKvOptions& options)
    : options_(options),
      begin_sql_("BEGIN ISOLATION LEVEL " + options.isolation),
      pool_(options.dsn, options.pool_size) {
  for (char& c : begin_sql_) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

PgKv::~PgKv() = default;

StatusOr<std::unique_ptr<PgKv>> PgKv::Open(const PgKvOptions& options) {
  LCB_RETURN_IF_ERROR(CheckOptions(options));
  std::unique_ptr<PgKv> kv(new PgKv(options));
  Status s = kv->Run([&](pg::Conn& conn) {
    kv->engine_ = pg::DetectEngine(conn.server_version());
    LCB_RETURN_IF_ERROR(pg::MigrateSchema(conn, kv->engine_));
    // This log's lease and head rows (log 0's come with the schema).
    pg::Params p;
    p.Int8(options.log_id);
    LCB_RETURN_IF_ERROR(
        conn.Query("INSERT INTO log_lease VALUES ($1, '', 0, '1970-01-01T00:00:00Z') "
                   "ON CONFLICT DO NOTHING",
                   {pg::Type::kInt8}, p)
            .status());
    return conn
        .Query("INSERT INTO log_head VALUES ($1, 0, 0) ON CONFLICT DO NOTHING", {pg::Type::kInt8},
               p)
        .status();
  });
  LCB_RETURN_IF_ERROR(s);
  return kv;
}

StatusOr<std::unique_ptr<Kv>> OpenPgKv(const PgKvOptions& options) {
  LCB_ASSIGN_OR_RETURN(std::unique_ptr<PgKv> kv, PgKv::Open(options));
  return std::unique_ptr<Kv>(std::move(kv));
}

void PgKv::Backoff(int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  const int base = std::min(1000, 5 << std::min(attempt, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(base / 2 + rng() % (base / 2 + 1)));
}

Status PgKv::Run(const std::function<Status(pg::Conn&)>& fn) {
  for (int attempt = 1;; ++attempt) {
    StatusOr<pg::Pool::Lease> conn = pool_.Take();
    Status s = conn.ok() ? fn(**conn) : conn.status();
    if (s.ok()) return s;
    // Connecting failed (the database restarting), the connection broke (the statement's
    // outcome is unknown: every caller of Run is a read or an idempotent write), or a
    // serialization failure rolled the transaction back: try again.
    bool again = !conn.ok() || (*conn)->failure() == pg::Failure::kRetryable ||
                 (*conn)->failure() == pg::Failure::kConnection;
    if (conn.ok() && (*conn)->failure() == pg::Failure::kConnection) conn->Discard();
    if (!again || attempt >= options_.max_attempts) return s;
    retries_++;
    Backoff(attempt);
  }
}

Status PgKv::Ping() {
  Status s;
  // Twice at most: a connection pooled before the database restarted fails once, then a new
  // one tells whether it is back.
  for (int attempt = 0; attempt < 2; ++attempt) {
    StatusOr<pg::Pool::Lease> conn = pool_.Take(std::chrono::seconds(1));
    if (!conn.ok()) return conn.status();
    s = (*conn)->Exec("SELECT 1");
    if (s.ok() || (*conn)->failure() != pg::Failure::kConnection) return s;
    conn->Discard();
  }
  return s;
}

Status PgKv::Get(Table t, std::string_view key, std::string* value) {
  const pg::TableCodec& codec = pg::CodecOf(t);
  std::vector<std::string_view> parts;
  Status valid = pg::Split(codec, /*is_key=*/true, key, &parts);
  if (!valid.ok()) return Status::NotFound("no such key: " + valid.message());
  pg::Params params;
  std::deque<std::string> scratch;
  pg::Bind(codec.key, parts, &params, &scratch);
  bool found = false;
  LCB_RETURN_IF_ERROR(Run([&](pg::Conn& conn) {
    LCB_ASSIGN_OR_RETURN(pg::Result r,
                         conn.Query(pg::SelectOne(codec), pg::KeyTypes(codec), params));
    found = r.rows() > 0;
    if (found) {
      value->clear();
      pg::Join(codec.value, r, 0, 0, value);
    }
    return Status::Ok();
  }));
  if (!found) return Status::NotFound("no such key in " + std::string(codec.sql_name));
  return Status::Ok();
}

Status PgKv::MultiGet(Table t, const std::vector<std::string>& keys,
                      std::vector<std::optional<std::string>>* values) {
  const pg::TableCodec& codec = pg::CodecOf(t);
  values->assign(keys.size(), std::nullopt);
  for (size_t first = 0; first < keys.size(); first += kMaxRowsPerStatement) {
    const size_t last = std::min(keys.size(), first + kMaxRowsPerStatement);
    // A key outside its table's grammar cannot exist: it is not asked.
    std::vector<size_t> asked;
    std::vector<pg::Params> params;
    std::deque<std::string> scratch;
    for (size_t i = first; i < last; ++i) {
      std::vector<std::string_view> parts;
      if (!pg::Split(codec, /*is_key=*/true, keys[i], &parts).ok()) continue;
      params.emplace_back();
      pg::Bind(codec.key, parts, &params.back(), &scratch);
      asked.push_back(i);
    }
    if (asked.empty()) continue;
    if (codec.key.size() == 1 && array_reads_.load()) {
      // One statement, the keys as an array: a point SELECT each (a pipeline of them) cost
      // PostgreSQL twice the CPU for the log's idempotency lookups. An engine that refuses the
      // statement (unnest and LATERAL are PostgreSQL 9.3+) gets the pipeline from then on.
      std::vector<std::string_view> elements;
      std::unordered_map<std::string_view, std::vector<size_t>> where;
      for (size_t k = 0; k < asked.size(); ++k) {
        elements.emplace_back(params[k].values()[0], static_cast<size_t>(params[k].lengths()[0]));
        where[keys[asked[k]]].push_back(asked[k]);
      }
      pg::Params array;
      array.Array(pg::KeyTypes(codec)[0], elements);
      bool refused = false;
      LCB_RETURN_IF_ERROR(Run([&](pg::Conn& conn) {
        StatusOr<pg::Result> answer =
            conn.Query(pg::SelectMany(codec), {pg::KeyArrayType(codec)}, array);
        if (!answer.ok() && conn.failure() == pg::Failure::kOther) {
          refused = true;
          return Status::Ok();
        }
        LCB_ASSIGN_OR_RETURN(pg::Result r, std::move(answer));
        for (int row = 0; row < r.rows(); ++row) {
          std::string key, value;
          pg::Join(codec.key, r, row, 0, &key);
          pg::Join(codec.value, r, row, static_cast<int>(codec.key.size()), &value);
          auto it = where.find(key);
          if (it == where.end()) {
            return Status::Backend(StatusCode::kInternal, "postgres: a read of many keys answered a key not asked");
          }
          for (size_t i : it->second) (*values)[i] = value;
        }
        return Status::Ok();
      }));
      if (!refused) continue;
      array_reads_ = false;
    }
    LCB_RETURN_IF_ERROR(Run([&](pg::Conn& conn) {
      LCB_RETURN_IF_ERROR(conn.BeginPipeline());
      for (const pg::Params& p : params) {
        LCB_RETURN_IF_ERROR(conn.Queue(pg::SelectOne(codec), pg::KeyTypes(codec), p));
      }
      std::vector<pg::Result> results;
      int failed = -1;
      LCB_RETURN_IF_ERROR(conn.Sync(&results, &failed));
      if (results.size() != asked.size()) {
        return Status::Backend(StatusCode::kInternal, "postgres: a pipeline of reads answered " +
                                std::to_string(results.size()) + " of " +
                                std::to_string(asked.size()));
      }
      for (size_t k = 0; k < asked.size(); ++k) {
        if (results[k].rows() == 0) continue;
        std::string value;
        pg::Join(codec.value, results[k], 0, 0, &value);
        (*values)[asked[k]] = std::move(value);
      }
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

Status PgKv::Scan(Table t, std::string_view start, std::string_view end, size_t limit,
                  const std::function<bool(std::string_view, std::string_view)>& fn) {
  return ScanPages(nullptr, t, start, end, limit, fn);
}

// Keyset pagination: each page starts strictly after the last key of the one before.
Status PgKv::ScanPages(pg::Conn* pinned, Table t, std::string_view start, std::string_view end,
                       size_t limit,
                       const std::function<bool(std::string_view, std::string_view)>& fn) {
  const pg::TableCodec& codec = pg::CodecOf(t);
  LCB_ASSIGN_OR_RETURN(pg::Bound lower, pg::LowerBound(codec, start));
  if (lower.parts.empty() && lower.strict) return Status::Ok();  // above every key
  std::optional<pg::Bound> upper;
  if (!end.empty()) {
    LCB_ASSIGN_OR_RETURN(upper, pg::LowerBound(codec, end));
    if (upper->parts.empty()) {
      if (!upper->strict) return Status::Ok();  // nothing is below it
      upper.reset();                            // everything is below it
    }
  }
  const pg::Bound* up = upper ? &*upper : nullptr;
  const int key_columns = static_cast<int>(codec.key.size());
  size_t visited = 0, page = kFirstScanPage;
  std::string key, value;
  while (visited < limit) {
    const size_t want = std::min(limit - visited, page);
    pg::Params params;
    for (const std::string& part : lower.parts) params.Bytes(part);
    if (up) {
      for (const std::string& part : up->parts) params.Bytes(part);
    }
    params.Int8(static_cast<int64_t>(want));
    const std::string sql = pg::ScanPage(codec, lower, up);
    const std::vector<pg::Type> types = pg::ScanTypes(codec, lower, up);
    pg::Result rows;
    auto query = [&](pg::Conn& conn) -> Status {
      LCB_ASSIGN_OR_RETURN(rows, conn.Query(sql, types, params));
      return Status::Ok();
    };
    LCB_RETURN_IF_ERROR(pinned ? query(*pinned) : Run(query));
    for (int row = 0; row < rows.rows(); ++row) {
      key.clear();
      value.clear();
      pg::Join(codec.key, rows, row, 0, &key);
      pg::Join(codec.value, rows, row, key_columns, &value);
      ++visited;
      if (!fn(key, value)) return Status::Ok();
    }
    if (static_cast<size_t>(rows.rows()) < want) break;
    lower.parts.clear();
    for (int c = 0; c < key_columns; ++c) {
      lower.parts.emplace_back(rows.Bytes(rows.rows() - 1, c));
    }
    lower.strict = true;
    page = kScanPage;
  }
  return Status::Ok();
}

// A consistent logical copy of every table into a new RocksDB store (see pg_kv.h).
Status PgKv::CreateCheckpoint(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    return Status::FailedPrecondition("backup directory " + dir + " already exists");
  }
  LCB_ASSIGN_OR_RETURN(pg::Pool::Lease conn, pool_.Take());
  LCB_RETURN_IF_ERROR(conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  auto out = OpenRocksKv(dir);
  if (!out.ok()) return out.status();
  Status status;
  WriteBatch batch;
  for (int i = 0; i < kTableCount && status.ok(); ++i) {
    const Table t = static_cast<Table>(i);
    Status scan =
        ScanPages(&*conn, t, "", "", SIZE_MAX, [&](std::string_view k, std::string_view v) {
          batch.Put(t, k, v);
          if (batch.size() >= kExportBatchRows) {
            status = (*out)->Write(batch, false);
            batch.Clear();
          }
          return status.ok();
        });
    if (status.ok()) status = scan;
  }
  if (status.ok()) status = (*out)->Write(batch, /*sync=*/true);
  Status end = conn->Exec(status.ok() ? "COMMIT" : "ROLLBACK");
  if (status.ok()) status = end;
  out->reset();
  if (!status.ok()) std::filesystem::remove_all(dir, ec);  // no half-made backup
  return status;
}

std::map<std::string, double> PgKv::Stats() {
  return {
      {"postgres_connections", static_cast<double>(pool_.open())},
      {"postgres_retries_total", static_cast<double>(retries_.load())},
      {"postgres_writes_total", static_cast<double>(writes_.load())},
      {"postgres_fenced_writes_total", static_cast<double>(fenced_.load())},
      {"postgres_unknown_commits_total", static_cast<double>(unknown_commits_.load())},
      {"postgres_plain_insert_conflicts_total",
       static_cast<double>(plain_insert_conflicts_.load())},
      {"postgres_log_writer", IsWriter() ? 1.0 : 0.0},
      {"postgres_log_writer_epoch", static_cast<double>(epoch_.load())},
  };
}

}  // namespace lcb
