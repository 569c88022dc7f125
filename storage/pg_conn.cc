// The only file that includes libpq-fe.h (see pg_conn.h).
#include "storage/pg_conn.h"

#include <libpq-fe.h>

#include <cstdio>
#include <cstring>
#include <string_view>

#include "common/encoding.h"

namespace lcb::pg {
namespace {

// PostgreSQL type OIDs (src/include/catalog/pg_type.dat): stable across versions and engines.
constexpr Oid kOidInt8 = 20;
constexpr Oid kOidText = 25;
constexpr Oid kOidBytea = 17;
constexpr Oid kOidInt8Array = 1016;
constexpr Oid kOidTextArray = 1009;
constexpr Oid kOidByteaArray = 1001;

Oid OidOf(Type t) {
  switch (t) {
    case Type::kInt8:
      return kOidInt8;
    case Type::kText:
      return kOidText;
    case Type::kBytea:
      return kOidBytea;
    case Type::kInt8Array:
      return kOidInt8Array;
    case Type::kTextArray:
      return kOidTextArray;
    case Type::kByteaArray:
      return kOidByteaArray;
  }
  return 0;
}

std::vector<Oid> Oids(const std::vector<Type>& types) {
  std::vector<Oid> out;
  out.reserve(types.size());
  for (Type t : types) out.push_back(OidOf(t));
  return out;
}

// libpq messages end with a newline; the first line is enough for a Status.
std::string FirstLine(const char* message) {
  std::string s = message ? message : "";
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

bool IsConnectionState(std::string_view sqlstate) {
  // Class 08: connection exception; 57P01-57P03: the server is shutting down or starting.
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

}  // namespace

struct Result::Rep {
  PGresult* res;
};

struct Conn::Handle {
  PGconn* conn;
};

void Params::Int8(int64_t v) {
  ints_.push_back(BigEndian64(static_cast<uint64_t>(v)));
  Bytes(ints_.back());
}

// array_send's layout: ndim, has-nulls flag, element type, then per dimension its length and
// lower bound (1), then each element as a 4-byte length and its bytes (all big-endian).
void Params::Array(Type element, const std::vector<std::string_view>& elements) {
  auto be32 = [](std::string* out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
  };
  std::string out;
  size_t bytes = 20;
  for (std::string_view e : elements) bytes += 4 + e.size();
  out.reserve(bytes);
  be32(&out, 1);
  be32(&out, 0);
  be32(&out, OidOf(element));
  be32(&out, static_cast<uint32_t>(elements.size()));
  be32(&out, 1);
  for (std::string_view e : elements) {
    be32(&out, static_cast<uint32_t>(e.size()));
    out.append(e);
  }
  ints_.push_back(std::move(out));
  Bytes(ints_.back());
}

Result::Result() = default;
Result::Result(Rep* rep) : rep_(rep) {}
Result::Result(Result&& o) noexcept : rep_(o.rep_) { o.rep_ = nullptr; }
Result& Result::operator=(Result&& o) noexcept {
  if (this != &o) {
    if (rep_) {
      PQclear(rep_->res);
      delete rep_;
    }
    rep_ = o.rep_;
    o.rep_ = nullptr;
  }
  return *this;
}
Result::~Result() {
  if (rep_) {
    PQclear(rep_->res);
    delete rep_;
  }
}

int Result::rows() const { return rep_ ? PQntuples(rep_->res) : 0; }

bool Result::IsNull(int row, int col) const {
  return !rep_ || PQgetisnull(rep_->res, row, col) != 0;
}

std::string_view Result::Bytes(int row, int col) const {
  if (IsNull(row, col)) return {};
  return std::string_view(PQgetvalue(rep_->res, row, col),
                          static_cast<size_t>(PQgetlength(rep_->res, row, col)));
}

int64_t Result::Int8(int row, int col) const {
  std::string_view v = Bytes(row, col);
  return v.size() == 8 ? static_cast<int64_t>(GetBigEndian64(v)) : 0;
}

uint64_t Result::Affected() const {
  if (!rep_) return 0;
  const char* n = PQcmdTuples(rep_->res);
  return n && *n ? std::strtoull(n, nullptr, 10) : 0;
}

namespace {

// libpq prints the server's notices raw on stderr, which breaks the server's one-JSON-object
// per line log ("NOTICE: relation ... already exists, skipping" on every start). Routine ones
// (DEBUG, LOG, INFO, NOTICE) are dropped; a WARNING is logged as a JSON line.
void OnNotice(void*, const char* message) {
  std::string_view m(message ? message : "");
  for (std::string_view quiet : {"DEBUG", "LOG", "INFO", "NOTICE"}) {
    if (m.starts_with(quiet)) return;
  }
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.remove_suffix(1);
  std::string line = "{\"level\":\"warn\",\"msg\":\"postgres notice\",\"notice\":\"";
  for (char c : m) {
    if (c == '"' || c == '\\') {
      line += '\\';
      line += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      line += ' ';
    } else {
      line += c;
    }
  }
  line += "\"}\n";
  std::fputs(line.c_str(), stderr);
}

}  // namespace

StatusOr<std::unique_ptr<Conn>> Conn::Open(const std::string& dsn) {
  std::unique_ptr<Conn> c(new Conn());
  PGconn* raw = PQconnectdb(dsn.c_str());
  if (raw == nullptr) return Status::Backend(StatusCode::kUnavailable, "postgres: out of memory opening a connection");
  c->handle_ = new Handle{raw};
  PQsetNoticeProcessor(raw, OnNotice, nullptr);
  if (PQstatus(raw) != CONNECTION_OK) {
    return Status::Backend(StatusCode::kUnavailable, "postgres: cannot connect: " + FirstLine(PQerrorMessage(raw)));
  }
  LCB_RETURN_IF_ERROR(c->Exec("SET client_encoding TO 'UTF8'"));
  // Values over ~2 KB (the entry bundles, ~100 KB; hash tiles, 8 KB) are compressed by
  // PostgreSQL when stored; its default, pglz, compressing and decompressing them was ~9 % of
  // PostgreSQL's CPU in a profile of benchmarks/pg/nodes.sh's ingestion. LZ4 (PostgreSQL 14+,
  // when the server was built with it, as Debian's is) costs a fraction of that. Engines that
  // do not have the setting (CockroachDB and YugabyteDB report older versions) keep theirs;
  // a server without LZ4 refuses the value and keeps pglz.
  if (PQserverVersion(raw) >= 140000 && !c->Exec("SET default_toast_compression = 'lz4'").ok()) {
    c->failure_ = Failure::kNone;  // refused: the connection is fine and pglz stays
  }
  auto version = c->Query("SELECT version()", {}, Params());
  LCB_RETURN_IF_ERROR(version.status());
  c->server_version_ = std::string(version->Bytes(0, 0));
  return c;
}

Conn::~Conn() {
  if (handle_) {
    PQfinish(handle_->conn);
    delete handle_;
  }
}

Status Conn::Fail(std::string what) {
  PGconn* conn = handle_->conn;
  failure_ = PQstatus(conn) == CONNECTION_BAD ? Failure::kConnection : Failure::kOther;
  sqlstate_.clear();
  return Status::Backend(StatusCode::kUnavailable, "postgres: " + what + ": " + FirstLine(PQerrorMessage(conn)));
}

Status Conn::FailResult(const Result& r, std::string_view what) {
  PGresult* res = r.rep_ ? r.rep_->res : nullptr;
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  sqlstate_ = state ? state : "";
  std::string message =
      res ? FirstLine(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) : std::string();
  if (message.empty()) message = FirstLine(PQerrorMessage(handle_->conn));
  if (sqlstate_ == "40001" || sqlstate_ == "40P01") {
    failure_ = Failure::kRetryable;
  } else if (PQstatus(handle_->conn) == CONNECTION_BAD || IsConnectionState(sqlstate_)) {
    failure_ = Failure::kConnection;
  } else {
    failure_ = Failure::kOther;
  }
  std::string text = "postgres: " + std::string(what) + ": " + message;
  if (!sqlstate_.empty()) text += " (SQLSTATE " + sqlstate_ + ")";
  // Constraint and data errors are the caller's doing; everything else may pass with a retry.
  if (sqlstate_.starts_with("22") || sqlstate_.starts_with("23") || sqlstate_.starts_with("42")) {
    return Status::Backend(StatusCode::kInternal, text);
  }
  return Status::Backend(StatusCode::kUnavailable, text);
}

Status Conn::Exec(std::string_view sql) {
  failure_ = Failure::kNone;
  Result r(new Result::Rep{PQexec(handle_->conn, std::string(sql).c_str())});
  ExecStatusType st = PQresultStatus(r.rep_->res);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
    return Status::Ok();
  }
  return FailResult(r, "statement failed");
}

void Conn::Rollback() {
  if (PQstatus(handle_->conn) == CONNECTION_OK) PQclear(PQexec(handle_->conn, "ROLLBACK"));
}

StatusOr<std::string> Conn::StatementName(std::string_view sql, const std::vector<Type>& types,
                                          bool in_pipeline, int* prepares) {
  std::string key(sql);
  if (auto it = prepared_.find(key); it != prepared_.end()) return it->second;
  std::string name = "lcb" + std::to_string(prepared_.size() + 1);
  std::vector<Oid> oids = Oids(types);
  if (in_pipeline) {
    if (!PQsendPrepare(handle_->conn, name.c_str(), key.c_str(), static_cast<int>(oids.size()),
                       oids.data())) {
      return Fail("cannot queue a statement");
    }
    queued_prepares_.push_back(key);
    ++*prepares;
  } else {
    Result r(new Result::Rep{PQprepare(handle_->conn, name.c_str(), key.c_str(),
                                       static_cast<int>(oids.size()), oids.data())});
    if (PQresultStatus(r.rep_->res) != PGRES_COMMAND_OK) return FailResult(r, "prepare failed");
  }
  prepared_.emplace(std::move(key), name);
  return name;
}

StatusOr<Result> Conn::Query(std::string_view sql, const std::vector<Type>& types,
                             const Params& params) {
  failure_ = Failure::kNone;
  int prepares = 0;
  LCB_ASSIGN_OR_RETURN(std::string name, StatementName(sql, types, false, &prepares));
  if (formats_.size() < params.size()) formats_.resize(params.size(), 1);
  Result r(new Result::Rep{PQexecPrepared(handle_->conn, name.c_str(),
                                          static_cast<int>(params.size()), params.values(),
                                          params.lengths(), formats_.data(), /*binary=*/1)});
  ExecStatusType st = PQresultStatus(r.rep_->res);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
  return FailResult(r, "query failed");
}

Status Conn::BeginPipeline() {
  failure_ = Failure::kNone;
  queued_prepares_.clear();
  if (!PQenterPipelineMode(handle_->conn)) return Fail("cannot enter pipeline mode");
  return Status::Ok();
}

Status Conn::Queue(std::string_view sql, const std::vector<Type>& types, const Params& params) {
  int prepares = 0;
  LCB_ASSIGN_OR_RETURN(std::string name, StatementName(sql, types, true, &prepares));
  if (formats_.size() < params.size()) formats_.resize(params.size(), 1);
  if (!PQsendQueryPrepared(handle_->conn, name.c_str(), static_cast<int>(params.size()),
                           params.values(), params.lengths(), formats_.data(), /*binary=*/1)) {
    return Fail("cannot queue a statement");
  }
  queued_prepares_.push_back(std::string());
  return Status::Ok();
}

Status Conn::Sync(std::vector<Result>* results, int* failed_index) {
  PGconn* conn = handle_->conn;
  results->clear();
  *failed_index = -1;
  if (!PQpipelineSync(conn)) return Fail("cannot send the pipeline");
  Status first_error;
  int statement = 0;
  for (const std::string& prepare : queued_prepares_) {
    PGresult* raw = PQgetResult(conn);
    if (raw == nullptr) {
      failure_ = Failure::kConnection;
      return Status::Backend(StatusCode::kUnavailable, "postgres: connection lost in a pipeline: " +
                                 FirstLine(PQerrorMessage(conn)));
    }
    Result r(new Result::Rep{raw});
    while (PGresult* extra = PQgetResult(conn)) PQclear(extra);  // up to the entry's NULL
    ExecStatusType st = PQresultStatus(raw);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!prepare.empty()) {
      if (!ok) prepared_.erase(prepare);  // not prepared after all: prepare again next time
    } else {
      if (ok) results->push_back(std::move(r));
      ++statement;
    }
    if (!ok && st != PGRES_PIPELINE_ABORTED && first_error.ok()) {
      first_error = FailResult(r, "pipelined statement failed");
      *failed_index = prepare.empty() ? statement - 1 : statement;
    }
    if (PQstatus(conn) == CONNECTION_BAD) {
      failure_ = Failure::kConnection;
      return first_error.ok() ? Fail("connection lost in a pipeline") : first_error;
    }
  }
  queued_prepares_.clear();
  for (;;) {
    PGresult* raw = PQgetResult(conn);
    if (raw == nullptr) {
      Status lost = Fail("the pipeline's Sync never came back");
      failure_ = Failure::kConnection;  // its state is unknown: the caller drops it
      return lost;
    }
    ExecStatusType st = PQresultStatus(raw);
    PQclear(raw);
    if (st == PGRES_PIPELINE_SYNC) break;
  }
  if (!PQexitPipelineMode(conn)) return Fail("cannot leave pipeline mode");
  return first_error;
}

bool Conn::Alive() {
  PGconn* conn = handle_->conn;
  if (PQstatus(conn) != CONNECTION_OK) return false;
  if (!PQconsumeInput(conn)) return false;
  return PQstatus(conn) == CONNECTION_OK;
}

bool Conn::Reusable() const {
  PGconn* conn = handle_->conn;
  return PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE &&
         PQpipelineStatus(conn) == PQ_PIPELINE_OFF;
}

Pool::Lease::~Lease() {
  if (pool_ == nullptr) return;
  if (conn_ && conn_->Reusable()) {
    pool_->Return(std::move(conn_));
  } else {
    conn_.reset();  // broken, or discarded by its user: its slot is free
    pool_->Forget();
  }
}

StatusOr<Pool::Lease> Pool::Take(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<Conn> c = std::move(idle_.back());
      idle_.pop_back();
      if (c->Alive()) return Lease(this, std::move(c));
      --open_;  // dead while idle (the server restarted or dropped it): open a new one
    }
    if (open_ < max_size_) break;
    if (!cv_.wait_for(lock, wait, [&] { return !idle_.empty() || open_ < max_size_; })) {
      return Status::Backend(StatusCode::kUnavailable, "postgres: all " + std::to_string(max_size_) +
                                 " database connections are busy");
    }
  }
  ++open_;
  lock.unlock();
  auto conn = Conn::Open(dsn_);
  if (!conn.ok()) {
    Forget();
    return conn.status();
  }
  return Lease(this, std::move(conn).value());
}

void Pool::Return(std::unique_ptr<Conn> conn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

void Pool::Forget() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
  }
  cv_.notify_one();
}

size_t Pool::open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

}  // namespace lcb::pg
