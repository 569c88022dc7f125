// A real server for integration tests: a fresh RocksDB in a temp dir, the real App and
// HttpServer on an ephemeral loopback port, and a real HTTP client. No mocks.
//
// Both backends: a test executable added with lcb_test(... BOTH_BACKENDS) runs every test twice
// under ctest, the second time as postgres/<test> with LCB_TEST_STORAGE=postgres. There each bank
// directory gets its own database on the ctest fixture's PostgreSQL 15 (tests/pg/pg_server.h),
// kept until the process ends, so a server reopened on the same directory finds its data again.
// Tests that reach behind the server use OpenBankStore and RestoreArgs, which follow the backend.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/bank_server.h"
#include "api/http_client.h"
#include "common/encoding.h"
#include "config/config.h"
#include "crypto/sha256.h"
#include "storage/kv.h"
#include "storage/pg_kv.h"
#ifdef LCB_TEST_BOTH_BACKENDS
#include "tests/pg/pg_server.h"
#endif

namespace lcb::testing {

using json = nlohmann::json;

// True in the postgres/ run of a BOTH_BACKENDS executable.
inline bool TestOnPostgres() {
#ifdef LCB_TEST_BOTH_BACKENDS
  const char* s = std::getenv("LCB_TEST_STORAGE");
  return s && std::string(s) == "postgres";
#else
  return false;
#endif
}

#ifdef LCB_TEST_BOTH_BACKENDS
// The database of each bank directory in the postgres/ run.
inline std::map<std::string, std::unique_ptr<PgDatabase>>& PgDatabasesByDir() {
  static std::map<std::string, std::unique_ptr<PgDatabase>> databases;
  return databases;
}

// In the postgres/ run: no PostgreSQL here skips every test (fails them under
// LCB_REQUIRE_POSTGRES=1); at the end the databases are dropped while the server is still up.
class BackendEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!TestOnPostgres()) return;
    std::string why;
    if (PgServer::ForTests(&why) == nullptr) {
      if (PostgresRequired()) FAIL() << "PostgreSQL is required (LCB_REQUIRE_POSTGRES=1) but: " << why;
      GTEST_SKIP() << "PostgreSQL is not available: " << why;
    }
  }
  void TearDown() override { PgDatabasesByDir().clear(); }
};
inline ::testing::Environment* const kBackendEnvironment =
    ::testing::AddGlobalTestEnvironment(new BackendEnvironment);
#endif

// The database of the bank in `dir` in the postgres/ run, made on first use; "" otherwise.
inline std::string BackendDsn(const std::string& dir) {
#ifdef LCB_TEST_BOTH_BACKENDS
  if (!TestOnPostgres()) return "";
  auto& db = PgDatabasesByDir()[dir];
  if (!db) {
    db = std::make_unique<PgDatabase>();
    if (!db->Create()) ADD_FAILURE() << "no PostgreSQL database: " << db->why();
  }
  return db->dsn();
#else
  return "";
#endif
}

// The storage flags of the backend under test for the bank in `dir` (none for RocksDB).
inline void AddBackendFlags(const std::string& dir, std::map<std::string, std::string>& flags) {
  if (!TestOnPostgres() || flags.count("storage.backend")) return;
  flags["storage.backend"] = "postgres";
  flags["storage.postgres.dsn"] = BackendDsn(dir);
}

// The store of the (stopped) bank in `dir`, opened directly on the backend under test: for
// tests that alter what is stored behind the server's back.
inline StatusOr<std::unique_ptr<Kv>> OpenBankStore(const std::string& dir) {
  if (!TestOnPostgres()) {
    std::filesystem::create_directories(dir);
    return OpenRocksKv(dir + "/db");
  }
  PgKvOptions options;
  options.dsn = BackendDsn(dir);
  return OpenPgKv(options);
}

// `creditbank restore` arguments that restore `from` into the bank `dir` on the backend under
// test.
inline std::vector<std::string> RestoreArgs(const std::string& from, const std::string& dir) {
  std::vector<std::string> args = {"--from", from, "--data", dir};
  if (TestOnPostgres()) {
    for (const char* a : {"--storage", "postgres", "--postgres-dsn"}) args.push_back(a);
    args.push_back(BackendDsn(dir));
  }
  return args;
}

class TestServer {
 public:
  // Opens (or reopens) the bank in `dir` and starts the server on 127.0.0.1:0, through the
  // same BankServer as `creditbank serve`.
  explicit TestServer(const std::string& dir, std::map<std::string, std::string> flags = {}) {
    flags["data_dir"] = dir;
    AddBackendFlags(dir, flags);
    if (!flags.count("listen")) flags["listen"] = "127.0.0.1:0";
    if (!flags.count("log_level")) flags["log_level"] = "error";
    if (!flags.count("threads")) flags["threads"] = "2";
    auto config = LoadConfig("", {}, flags);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    auto server = BankServer::Open(config_, &first_admin_token_);
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    Status s = server_->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    admin_token_ = first_admin_token_;
    if (admin_token_.empty()) {
      auto t = services().tokens().Create("admin", "");
      admin_token_ = t->token;
    }
  }

  ~TestServer() { server_->Stop(1000); }

  std::string url() const { return server_->url(); }
  uint16_t port() const { return server_->port(); }
  Services& services() { return server_->services(); }
  Ledger& ledger() { return server_->services().log().ledger(); }
  App& app() { return server_->app(); }
  const std::string& admin_token() const { return admin_token_; }

  std::unique_ptr<HttpClient> Client() {
    auto c = HttpClient::Connect(url(), "", /*insecure=*/true);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(c).value();
  }

  // One request on a fresh connection. `token` empty = no Authorization header.
  ClientResponse Call(const std::string& method, const std::string& target,
                      const std::string& token = "", const std::string& body = "",
                      std::map<std::string, std::string> headers = {}) {
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    auto r = Client()->Request(method, target, body, headers);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ClientResponse{};
  }
  json CallJson(const std::string& method, const std::string& target, const std::string& token,
                const json& body, int expect_status) {
    ClientResponse r = Call(method, target, token, body.is_null() ? "" : body.dump());
    EXPECT_EQ(r.status, expect_status) << method << " " << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  std::string NewToken(const std::string& role) {
    json t = CallJson("POST", "/v1/tokens", admin_token_, {{"role", role}}, 201);
    return t.value("token", "");
  }

 private:
  Config config_;
  std::string first_admin_token_;
  std::string admin_token_;
  std::unique_ptr<BankServer> server_;
};

// A temp dir removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("creditbank_test_" + HexEncode(RandomBytes(6)));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A small catalog most tests start from: institutions "tsinghua" and "ouchn", a few units,
// tokens for both institutions, two learners with their own tokens.
struct Catalog {
  std::string tsinghua_token, ouchn_token, auditor_token;
  std::string learner_a, learner_b, learner_a_token, learner_b_token;

  void Load(TestServer& s) {
    const std::string& admin = s.admin_token();
    s.CallJson("PUT", "/v1/institutions/tsinghua", admin,
               {{"name", "清华大学"}, {"kind", "university"}}, 200);
    s.CallJson("PUT", "/v1/institutions/ouchn", admin,
               {{"name", "国家开放大学"}, {"kind", "open_university"}, {"hours_per_credit", 18}},
               200);
    s.CallJson("PUT", "/v1/units/tsinghua:CS101", admin,
               {{"title", "程序设计基础"}, {"kind", "degree_course"}, {"credits", 4}, {"level", 6},
                {"field", "0613"}},
               200);
    s.CallJson("PUT", "/v1/units/tsinghua:MA101", admin,
               {{"title", "微积分"}, {"kind", "degree_course"}, {"credits", 5}, {"level", 6},
                {"field", "0541"}},
               200);
    s.CallJson("PUT", "/v1/units/ouchn:ENG1", admin,
               {{"title", "English I"}, {"kind", "non_degree_course"}, {"credits", 2.5},
                {"level", 5}, {"field", "0231"}, {"validity_years", 5}},
               200);
    tsinghua_token = s.NewToken("institution:tsinghua");
    ouchn_token = s.NewToken("institution:ouchn");
    auditor_token = s.NewToken("auditor");
    learner_a = s.CallJson("POST", "/v1/learners", tsinghua_token,
                           {{"national_id", "110101199003070011"}, {"display_name", "张三"}}, 201)
                    .value("id", "");
    learner_b = s.CallJson("POST", "/v1/learners", tsinghua_token, {{"display_name", "李四"}}, 201)
                    .value("id", "");
    learner_a_token = s.NewToken("learner:" + learner_a);
    learner_b_token = s.NewToken("learner:" + learner_b);
  }

  json Record(const std::string& learner, const std::string& unit, const std::string& ref,
              const std::string& grade = "90", const std::string& date = "2024-06-30") const {
    return {{"learner", learner},
            {"unit", unit},
            {"external_ref", ref},
            {"grade", {{"scale", "percent"}, {"value", grade}}},
            {"completed_on", date}};
  }
};

}  // namespace lcb::testing
