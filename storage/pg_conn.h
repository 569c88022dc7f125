// A small RAII wrapper over plain libpq, the client library of the PostgreSQL wire protocol.
// storage/pg_conn.cc is the only file that includes libpq-fe.h; nothing here exposes a libpq
// type, so the rest of the bank (and PgKv) sees connections, binary parameters, results and
// pipelines only.
//
// Everything travels in binary: parameters (int8 as 8 bytes big-endian, text and bytea as their
// bytes) and results. Statements are prepared once per connection (keyed by their SQL text) and
// reused. A pipeline (libpq pipeline mode) sends many statements and one Sync in one go and
// reads their results afterwards: a commit group is one round trip.
//
// Thread safety: a Conn is used by one thread at a time (Pool hands them out); Pool is
// thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace lcb::pg {

// The parameter types the bank binds (PostgreSQL type OIDs are chosen in pg_conn.cc); the
// arrays are one-dimensional, of the element type named, without NULLs.
enum class Type : uint8_t { kInt8, kText, kBytea, kInt8Array, kTextArray, kByteaArray };

// Binary parameters of one statement. Text and bytea values are views: the bytes must stay
// valid and unchanged until the statement is sent. Integers are copied.
class Params {
 public:
  void Bytes(std::string_view v) {
    values_.push_back(v.data() != nullptr ? v.data() : "");
    lengths_.push_back(static_cast<int>(v.size()));
  }
  // An int8 given as the 8 big-endian bytes PostgreSQL's binary format uses (a BE64 key part
  // is passed as is).
  void Int8BigEndian(std::string_view eight_bytes) { Bytes(eight_bytes.substr(0, 8)); }
  void Int8(int64_t v);
  // A one-dimensional array of `element` (kInt8: 8 big-endian bytes each; kText, kBytea) in
  // PostgreSQL's binary array format; bound as the matching array type. The bytes are copied.
  void Array(Type element, const std::vector<std::string_view>& elements);
  void Null() {
    values_.push_back(nullptr);
    lengths_.push_back(0);
  }
  size_t size() const { return values_.size(); }
  void Clear() {
    values_.clear();
    lengths_.clear();
    ints_.clear();
  }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }

 private:
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::deque<std::string> ints_;  // stable addresses for copied integers and arrays
};

// One statement's result, read in binary. Views returned by Bytes() live as long as the Result.
class Result {
 public:
  Result();
  Result(Result&&) noexcept;
  Result& operator=(Result&&) noexcept;
  ~Result();

  int rows() const;
  bool IsNull(int row, int col) const;
  std::string_view Bytes(int row, int col) const;
  int64_t Int8(int row, int col) const;  // an int8 column (0 for NULL or another width)
  // Rows inserted, updated or deleted by the statement (INSERT/UPDATE/DELETE), else 0.
  uint64_t Affected() const;

  struct Rep;

 private:
  explicit Result(Rep* rep);
  friend class Conn;
  Rep* rep_ = nullptr;
};

// Why the last call on a connection failed: a serialization failure or deadlock (SQLSTATE
// 40001 or 40P01: the transaction was rolled back and may be run again), a lost connection (the
// outcome of a statement in flight is unknown), or anything else (SQLSTATE in sqlstate()).
enum class Failure : uint8_t { kNone, kRetryable, kConnection, kOther };

class Conn {
 public:
  // `dsn`: a libpq connection string or postgresql:// URL. The DSN may hold a password: it is
  // never put in a Status message.
  static StatusOr<std::unique_ptr<Conn>> Open(const std::string& dsn);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Simple-protocol execution (text results): DDL, scripts of several statements, BEGIN.
  Status Exec(std::string_view sql);
  // Leaves a failed transaction block, keeping failure() and sqlstate() of what failed.
  void Rollback();
  // Prepares `sql` on first use (its parameters typed by `types`), then runs it with binary
  // parameters and binary results.
  StatusOr<Result> Query(std::string_view sql, const std::vector<Type>& types,
                         const Params& params);

  // Pipeline mode: Queue() sends statements (preparing each on first use) without waiting;
  // Sync() ends the pipeline and collects one Result per queued statement, in order. If a
  // statement failed, Sync returns its error, sets *failed_index to its position, and the
  // statements after it were not run (the server skips to the Sync).
  Status BeginPipeline();
  Status Queue(std::string_view sql, const std::vector<Type>& types, const Params& params);
  Status Sync(std::vector<Result>* results, int* failed_index);

  // Whether the connection still works, reading anything the server sent while it was idle
  // (a server shutting down says so before closing): false means nothing can be sent on it.
  bool Alive();
  // Whether the connection can go back to the pool: connected, outside any transaction, not in
  // pipeline mode.
  bool Reusable() const;
  Failure failure() const { return failure_; }
  const std::string& sqlstate() const { return sqlstate_; }
  // The server's version() string (engine detection: CockroachDB, YugabyteDB, PostgreSQL).
  const std::string& server_version() const { return server_version_; }

  struct Handle;

 private:
  Conn() = default;
  Status Fail(std::string what);  // from the connection's error message
  Status FailResult(const Result& r, std::string_view what);
  StatusOr<std::string> StatementName(std::string_view sql, const std::vector<Type>& types,
                                      bool in_pipeline, int* prepares);

  Handle* handle_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  std::vector<std::string> queued_prepares_;  // per pipeline entry: SQL text it prepares, or ""
  std::vector<int> formats_;                  // 1 (binary) for every parameter
  Failure failure_ = Failure::kNone;
  std::string sqlstate_;
  std::string server_version_;
};

// Connections to one database, opened on demand up to `max_size` and reused. Take() waits when
// all are in use (up to `wait`), reconnecting a connection found dead before handing it out.
class Pool {
 public:
  Pool(std::string dsn, size_t max_size) : dsn_(std::move(dsn)), max_size_(max_size) {}

  // A connection on loan: returned to the pool when this goes away, unless it broke.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(std::move(o.conn_)) { o.pool_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Conn* operator->() { return conn_.get(); }
    Conn& operator*() { return *conn_; }
    // Drops the connection instead of returning it (it failed in a way that leaves its state
    // unknown).
    void Discard() { conn_.reset(); }

   private:
    Pool* pool_;
    std::unique_ptr<Conn> conn_;
  };

  StatusOr<Lease> Take(std::chrono::milliseconds wait = std::chrono::seconds(30));
  size_t open() const;

 private:
  void Return(std::unique_ptr<Conn> conn);
  void Forget();

  const std::string dsn_;
  const size_t max_size_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  size_t open_ = 0;  // idle + on loan
};

}  // namespace lcb::pg
