// The stores the storage tests run against, one test parameter each: "rocksdb" (a real RocksDB
// in a temp dir) and "postgres" (PgKv on a fresh database of a real PostgreSQL, see
// tests/pg/pg_server.h). The Kv conformance suite (kv_test.cc) and the Ledger suite
// (ledger_test.cc) are instantiated over both.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/encoding.h"
#include "crypto/sha256.h"
#include "storage/kv.h"
#include "storage/pg_kv.h"
#include "tests/pg/pg_server.h"

namespace lcb::testing {

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("creditbank_storage_" + HexEncode(RandomBytes(6)));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The name of a test instance's backend, for INSTANTIATE_TEST_SUITE_P.
inline std::string BackendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

class StoreUnderTest {
 public:
  explicit StoreUnderTest(std::string backend) : backend_(std::move(backend)) {}

  // Makes the store's place (a directory or a database); false with why() when PostgreSQL is
  // not available.
  bool Prepare() {
    if (backend_ != "postgres") return true;
    return db_.Create();
  }
  const std::string& why() const { return db_.why(); }
  const std::string& backend() const { return backend_; }
  const std::string& dsn() const { return db_.dsn(); }

  // Opens the store (again: the same data). A PgKv also takes the log writer's lease as
  // `node`, as a server's single node would; reopening takes it back at once (same holder).
  StatusOr<std::unique_ptr<Kv>> Open(const std::string& node = "test-node") {
    if (backend_ == "rocksdb") return OpenRocksKv(dir_.sub("db"));
    PgKvOptions options;
    options.dsn = db_.dsn();
    options.pool_size = 4;
    LCB_ASSIGN_OR_RETURN(std::unique_ptr<PgKv> kv, PgKv::Open(options));
    LCB_RETURN_IF_ERROR(kv->AcquireWriter(node, std::chrono::minutes(5)).status());
    return std::unique_ptr<Kv>(std::move(kv));
  }
  std::string Sub(const std::string& name) const { return dir_.sub(name); }

 private:
  std::string backend_;
  TempDir dir_;
  PgDatabase db_;
};

}  // namespace lcb::testing

// In SetUp: prepares `store` or skips naming the reason (fails under LCB_REQUIRE_POSTGRES=1).
#define LCB_STORE_OR_SKIP(store)                                                            \
  do {                                                                                      \
    if (!(store).Prepare()) {                                                               \
      if (::lcb::testing::PostgresRequired()) {                                             \
        FAIL() << "PostgreSQL is required (LCB_REQUIRE_POSTGRES=1) but: " << (store).why(); \
      }                                                                                     \
      GTEST_SKIP() << "PostgreSQL is not available: " << (store).why();                     \
    }                                                                                       \
  } while (0)
