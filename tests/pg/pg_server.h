// A real, throwaway PostgreSQL for tests and benchmarks: Debian's `postgresql` package, a temp
// directory, an unprivileged user (as root: `runuser -u postgres`), a free loopback port; stopped
// and removed at the end. No mocks.
//
// Two ways to get one:
// - ctest starts one server for the whole run (the fixture tests pg_cluster_start and
//   pg_cluster_stop, tests/pg/CMakeLists.txt) and hands its address to every test process in
//   $LCB_PG_SERVER_FILE; each test then makes its own database on it (fast: no initdb per test).
// - A test binary run by hand starts its own server on first use and stops it at exit.
//
// When PostgreSQL cannot be started here (not installed, no unprivileged user), tests skip and
// say why, except under LCB_REQUIRE_POSTGRES=1 (scripts/test.sh sets it when CI=true), where they
// fail: CI must never skip them silently. LCB_SKIP_POSTGRES=1 (scripts/test.sh asan) makes them
// skip on purpose: the sanitizer run does not run the PostgreSQL suite a second time.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace lcb::testing {

struct PgServerOptions {
  bool fsync = false;  // tests do not need durability across a machine crash; benchmarks do
  // More server settings, "name=value" each (letters, digits, '_', '.'), after the defaults
  // (benchmarks: e.g. shared_buffers=4GB; settings a reload cannot change).
  std::vector<std::string> settings;
};

class PgServer {
 public:
  // Starts a server in a new temp directory (initdb, pg_ctl start). FailedPrecondition with the
  // reason when PostgreSQL cannot run here.
  static StatusOr<std::unique_ptr<PgServer>> Start(const PgServerOptions& options = {});
  // A server started by someone else (the ctest fixture): not stopped by this object.
  static std::unique_ptr<PgServer> Attach(uint16_t port, std::string dir);
  ~PgServer();  // stops and removes the server it started

  // The server of this test process (see the header comment), or nullptr with the reason.
  static PgServer* ForTests(std::string* why);

  // A new, empty UTF-8 database; its DSN. DropDatabase removes it (closing its sessions).
  StatusOr<std::string> CreateDatabase();
  Status DropDatabase(const std::string& dsn);

  std::string Dsn(const std::string& database) const;
  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // Stops the server and removes its directory (also done by the destructor when owned).
  Status Stop();
  // Leaves the server running when this object goes (the ctest fixture's start).
  void Detach() { owned_ = false; }
  // A database that goes away and comes back: Pause stops the server as an operator would
  // (pg_ctl stop -m fast) and keeps its data; Resume starts it again on the same port.
  // Only for a server this object started.
  Status Pause();
  Status Resume();

 private:
  PgServer() = default;
  uint16_t port_ = 0;
  std::string dir_;
  std::string bindir_;
  std::string settings_;  // pg_ctl -o, for Resume
  bool owned_ = false;
};

// True when PostgreSQL tests must not skip (LCB_REQUIRE_POSTGRES=1).
bool PostgresRequired();

// A fresh database on the test server for one test, dropped at the end. In SetUp:
//   LCB_PG_DATABASE_OR_SKIP(db_);
class PgDatabase {
 public:
  PgDatabase() = default;
  ~PgDatabase();
  // False (with why()) when no server is available.
  bool Create();
  const std::string& dsn() const { return dsn_; }
  const std::string& why() const { return why_; }

 private:
  PgServer* server_ = nullptr;
  std::string dsn_;
  std::string why_;
};

}  // namespace lcb::testing

// Creates `db` (a PgDatabase) or skips the test, naming the reason; fails instead when
// PostgreSQL tests are required.
#define LCB_PG_DATABASE_OR_SKIP(db)                                                      \
  do {                                                                                   \
    if (!(db).Create()) {                                                                \
      if (::lcb::testing::PostgresRequired()) {                                          \
        FAIL() << "PostgreSQL is required (LCB_REQUIRE_POSTGRES=1) but: " << (db).why(); \
      }                                                                                  \
      GTEST_SKIP() << "PostgreSQL is not available: " << (db).why();                     \
    }                                                                                    \
  } while (0)
