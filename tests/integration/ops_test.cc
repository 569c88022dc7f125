// Operations: online backup under load, restore elsewhere, metrics that move.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <thread>

#include "api/problem.h"
#include "cli/commands.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

// What a storage engine says names the data directory's files or the database's host and
// user: it goes to the operator's log with the request id, and the client gets a reason.
TEST(ProblemTest, AStorageEnginesMessageGoesToTheLogNotToTheClient) {
  const std::string rocks =
      "storage: IO error: No space left on device: While appending to file: /srv/cb/db/000042.log";
  ::testing::internal::CaptureStderr();
  HttpResponse r = ProblemResponse(Status::Backend(StatusCode::kUnavailable, rocks), "req-17");
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.content_type, "application/problem+json");
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["detail"],
            "the database does not answer; try again later (the server's log has the reason)");
  EXPECT_EQ(doc["request_id"], "req-17");
  EXPECT_EQ(r.body.find("/srv/cb"), std::string::npos) << r.body;
  EXPECT_NE(log.find("000042.log"), std::string::npos) << log;
  EXPECT_NE(log.find("req-17"), std::string::npos) << log;

  const std::string pg = "postgres: statement failed: could not extend file (SQLSTATE 53100)";
  ::testing::internal::CaptureStderr();
  r = ProblemResponse(Status::Backend(StatusCode::kInternal, pg), "req-18");
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("53100"), std::string::npos);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(json::parse(r.body)["detail"], "the database failed (the server's log has the reason)");

  // The bank's own reasons are the answer, whatever words they begin with.
  for (const std::string& own : {std::string("the disk is nearly full; writes resume when space is freed"),
                                 std::string("postgres: this node is not the log writer")}) {
    r = ProblemResponse(Status::Unavailable(own), "req-19");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(json::parse(r.body)["detail"], own);
  }
}

double MetricValue(const std::string& text, const std::string& series) {
  size_t pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + series.size() + 2));
}

TEST(OpsTest, BackupWhilePostingThenRestoreElsewhere) {
  TempDir dir;
  auto server = std::make_unique<TestServer>(dir.sub("bank"));
  Catalog cat;
  cat.Load(*server);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::pair<std::string, uint64_t>> acked;
  std::thread loader([&] {
    auto client = server->Client();
    for (int i = 0; !stop && i < 2000; ++i) {
      json batch = {{"records", json::array()}};
      for (int k = 0; k < 10; ++k) {
        batch["records"].push_back(cat.Record(cat.learner_a, "tsinghua:CS101",
                                              "BK-" + std::to_string(i) + "-" + std::to_string(k)));
      }
      auto r = client->Request("POST", "/v1/records", batch.dump(),
                               {{"Authorization", "Bearer " + cat.tsinghua_token}});
      if (!r.ok() || r->status != 201) continue;
      json body = json::parse(r->body);
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& rec : body["records"]) acked.emplace_back(rec["id"], rec["leaf_index"]);
    }
  });
  while (true) {
    std::lock_guard<std::mutex> lock(mu);
    if (acked.size() >= 100) break;
  }
  std::string backup_dir = dir.sub("backup");
  ASSERT_EQ(CmdBackup({"--server", server->url(), "--token", server->admin_token(), "--to",
                       backup_dir}),
            0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  loader.join();
  // The backup's own checkpoint fixes what it must hold.
  std::ifstream manifest_in(backup_dir + "/MANIFEST.json");
  json manifest = json::parse(manifest_in);
  uint64_t backup_size = manifest["tree_size"];
  EXPECT_GT(backup_size, 0u);
  EXPECT_EQ(CmdBackup({"--server", server->url(), "--token", cat.tsinghua_token, "--to",
                       dir.sub("backup2")}),
            1);  // institutions may not take backups
  // A directory that cannot be made is the request's fault: 400 at /to, not a 503 retried.
  ClientResponse nowhere = server->Call("POST", "/v1/admin/backup", server->admin_token(),
                                        json{{"to", "/proc/nowhere/backup"}}.dump());
  EXPECT_EQ(nowhere.status, 400) << nowhere.body;
  EXPECT_EQ(json::parse(nowhere.body).value("pointer", ""), "/to");
  server.reset();

  std::string restored = dir.sub("restored");
  ASSERT_EQ(CmdRestore(RestoreArgs(backup_dir, restored)), 0);
  EXPECT_EQ(CmdRestore(RestoreArgs(backup_dir, restored)), 1);  // not empty
  TestServer again(restored);
  EXPECT_EQ(again.ledger().Size(), backup_size);
  EXPECT_EQ(again.ledger().LatestCheckpoint(), manifest["checkpoint"]);
  size_t checked = 0;
  for (const auto& [id, leaf] : acked) {
    if (leaf >= backup_size) continue;
    json got = again.CallJson("GET", "/v1/records/" + id, cat.learner_a_token, nullptr, 200);
    EXPECT_EQ(got["receipt"]["leaf_index"], leaf);
    ++checked;
  }
  EXPECT_GE(checked, 100u);
  // The restored bank keeps its log going, consistent with the backup's checkpoint.
  std::string cp_path = dir.sub("cp.txt");
  std::ofstream(cp_path) << manifest["checkpoint"].get<std::string>();
  again.CallJson("POST", "/v1/records", cat.tsinghua_token,
                 cat.Record(cat.learner_a, "tsinghua:MA101", "after-restore"), 201);
  json key = again.CallJson("GET", "/v1/log/key", "", nullptr, 200);
  EXPECT_EQ(CmdAudit({"--server", again.url(), "--from", cp_path, "--key", key["verifier_key"]}), 0);
}

// A restore carries on the same log: a backup whose log_key.pem is another key (another bank's,
// or a key the bank had retired) or whose MANIFEST.json names another checkpoint or size is
// refused, naming what is wrong, and leaves nothing to start from (nor does a store that cannot be
// opened); the untouched backup restores.
TEST(OpsTest, RestoreRefusesAnotherKeyOrAnAlteredManifest) {
  TempDir dir;
  auto server = std::make_unique<TestServer>(dir.sub("bank"));
  Catalog cat;
  cat.Load(*server);
  server->CallJson("POST", "/v1/records", cat.tsinghua_token,
                   cat.Record(cat.learner_a, "tsinghua:CS101", "KEY-BK"), 201);
  const std::string backup_dir = dir.sub("backup");
  ASSERT_EQ(
      CmdBackup({"--server", server->url(), "--token", server->admin_token(), "--to", backup_dir}),
      0);
  server.reset();
  TestServer other(dir.sub("other"));  // another bank, with a key of its own
  const json other_key = other.CallJson("GET", "/v1/log/key", "", nullptr, 200);

  auto refused = [&](const std::string& name, const std::function<void(const std::string&)>& edit,
                     const std::string& says) {
    const std::string copy = dir.sub(name);
    std::filesystem::copy(backup_dir, copy, std::filesystem::copy_options::recursive);
    edit(copy);
    const std::string target = dir.sub(name + "-restored");
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(CmdRestore(RestoreArgs(copy, target)), 1) << name;
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find(says), std::string::npos) << name << ": " << err;
    // Nothing is left: not the target, not the directory it was restored in beside it.
    EXPECT_FALSE(std::filesystem::exists(target)) << name;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      EXPECT_EQ(entry.path().filename().string().find(".restoring-"), std::string::npos)
          << name << ": " << entry.path();
    }
  };
  // A store that cannot be opened (its CURRENT file lost) is found only once copied: the copy
  // is removed again.
  refused(
      "broken-store",
      [&](const std::string& copy) { std::filesystem::remove(copy + "/db/CURRENT"); },
      "/db cannot be restored: ");
  refused(
      "foreign-key",
      [&](const std::string& copy) {
        std::filesystem::copy_file(dir.sub("other") + "/log_key.pem", copy + "/log_key.pem",
                                   std::filesystem::copy_options::overwrite_existing);
      },
      "did not sign the backup's latest checkpoint");
  std::ifstream manifest_in(backup_dir + "/MANIFEST.json");
  const json manifest = json::parse(manifest_in);
  refused(
      "older-size",
      [&](const std::string& copy) {
        json m = manifest;
        m["tree_size"] = manifest["tree_size"].get<uint64_t>() - 1;
        std::ofstream(copy + "/MANIFEST.json") << m.dump(2);
      },
      "MANIFEST.json does not describe the store beside it");
  refused(
      "other-checkpoint",
      [&](const std::string& copy) {
        json m = manifest;
        m["checkpoint"] = other.ledger().LatestCheckpoint();
        std::ofstream(copy + "/MANIFEST.json") << m.dump(2);
      },
      "MANIFEST.json does not describe the store beside it");

  const std::string restored = dir.sub("restored");
  ASSERT_EQ(CmdRestore(RestoreArgs(backup_dir, restored)), 0);
  TestServer again(restored);
  EXPECT_NE(again.CallJson("GET", "/v1/log/key", "", nullptr, 200)["verifier_key"],
            other_key["verifier_key"]);
  EXPECT_EQ(again.ledger().LatestCheckpoint(), manifest["checkpoint"]);
}

// The set of key ids of GET /.well-known/jwks.json.
std::set<std::string> JwksKids(TestServer& server) {
  std::set<std::string> kids;
  const json jwks = json::parse(server.Call("GET", "/.well-known/jwks.json").body);
  for (const json& jwk : jwks["keys"]) {
    kids.insert(jwk.value("kid", ""));
  }
  return kids;
}

std::filesystem::perms ModeOf(const std::string& path) {
  return std::filesystem::status(path).permissions() & std::filesystem::perms::all;
}

// A restored bank is the same issuer: its DID and JWKS are the backed-up bank's, and what that
// bank signed verifies on it. A backup from before the credential keys were part of one still
// restores, with a note that new keys will be made.
TEST(OpsTest, BackupCarriesTheCredentialKeys) {
  TempDir dir;
  auto server = std::make_unique<TestServer>(dir.sub("bank"));
  Catalog cat;
  cat.Load(*server);
  json posted = server->CallJson("POST", "/v1/records", cat.tsinghua_token,
                                 cat.Record(cat.learner_a, "tsinghua:CS101", "CRED-BK"), 201);
  const std::string base =
      "/v1/records/" + posted["records"][0]["id"].get<std::string>() + "/credential";
  const std::string di = server->Call("GET", base, cat.learner_a_token).body;
  const std::string jwt = server->Call("GET", base + "?format=ob3-jwt", cat.learner_a_token).body;
  const std::string did = server->CallJson("GET", "/v1/credentials/issuer", "", nullptr, 200)["id"];
  const std::set<std::string> kids = JwksKids(*server);
  ASSERT_EQ(kids.size(), 2u);

  const std::string backup_dir = dir.sub("backup");
  ASSERT_EQ(
      CmdBackup({"--server", server->url(), "--token", server->admin_token(), "--to", backup_dir}),
      0);
  server.reset();
  std::ifstream manifest_in(backup_dir + "/MANIFEST.json");
  const json manifest = json::parse(manifest_in);
  for (const char* name : {"credential_key.pem", "credential_rsa_key.pem"}) {
    EXPECT_EQ(ModeOf(backup_dir + "/" + name),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << name;
    EXPECT_NE(std::find(manifest["files"].begin(), manifest["files"].end(), name),
              manifest["files"].end())
        << manifest.dump();
  }

  const std::string restored = dir.sub("restored");
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(CmdRestore(RestoreArgs(backup_dir, restored)), 0);
  EXPECT_EQ(::testing::internal::GetCapturedStderr().find("credential keys"), std::string::npos);
  for (const char* name : {"credential_key.pem", "credential_rsa_key.pem"}) {
    EXPECT_EQ(ModeOf(restored + "/" + name),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << name;
  }
  {
    TestServer again(restored);
    EXPECT_EQ(again.CallJson("GET", "/v1/credentials/issuer", "", nullptr, 200)["id"], did);
    EXPECT_EQ(JwksKids(again), kids);
    json v = again.CallJson("POST", "/v1/credentials/verify", "", json::parse(di), 200);
    EXPECT_EQ(v["verified"], true) << v.dump();
    json v_jwt = json::parse(again.Call("POST", "/v1/credentials/verify", "", jwt).body);
    EXPECT_EQ(v_jwt["verified"], true) << v_jwt.dump();
  }

  // A backup as taken before: no credential keys, a manifest without "files".
  const std::string old_backup = dir.sub("old-backup");
  std::filesystem::copy(backup_dir, old_backup, std::filesystem::copy_options::recursive);
  std::filesystem::remove(old_backup + "/credential_key.pem");
  std::filesystem::remove(old_backup + "/credential_rsa_key.pem");
  json old_manifest = manifest;
  old_manifest.erase("files");
  std::ofstream(old_backup + "/MANIFEST.json", std::ios::trunc) << old_manifest.dump(2);
  const std::string restored_old = dir.sub("restored-old");
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(CmdRestore(RestoreArgs(old_backup, restored_old)), 0);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("the credential keys were not in the backup"), std::string::npos) << err;
  EXPECT_NE(err.find("new ones were made in " + restored_old), std::string::npos) << err;
  for (const char* name : {"credential_key.pem", "credential_rsa_key.pem"}) {
    EXPECT_EQ(ModeOf(restored_old + "/" + name),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << name;
  }
  TestServer fresh(restored_old);
  EXPECT_NE(fresh.CallJson("GET", "/v1/credentials/issuer", "", nullptr, 200)["id"], did);
}

TEST(OpsTest, MetricsMove) {
  TempDir dir;
  TestServer server(dir.path());
  Catalog cat;
  cat.Load(server);
  ClientResponse before = server.Call("GET", "/metrics");
  ASSERT_EQ(before.status, 200);
  EXPECT_NE(before.headers["content-type"].find("text/plain"), std::string::npos);
  double ingested0 = MetricValue(before.body, "creditbank_records_ingested_total");
  double log0 = MetricValue(before.body, "creditbank_log_size");
  ASSERT_GE(ingested0, 0);
  for (int i = 0; i < 3; ++i) {
    server.CallJson("POST", "/v1/records", cat.tsinghua_token,
                    cat.Record(cat.learner_a, "tsinghua:CS101", "MX-" + std::to_string(i)), 201);
  }
  server.Call("POST", "/v1/records", cat.tsinghua_token, "{bad");
  ClientResponse after = server.Call("GET", "/metrics");
  EXPECT_EQ(MetricValue(after.body, "creditbank_records_ingested_total"), ingested0 + 3);
  EXPECT_EQ(MetricValue(after.body, "creditbank_log_size"), log0 + 3);
  EXPECT_NE(after.body.find("creditbank_http_requests_total{method=\"POST\",route=\"/v1/records\",status=\"201\"} 3"),
            std::string::npos);
  EXPECT_NE(after.body.find("creditbank_http_requests_total{method=\"POST\",route=\"/v1/records\",status=\"400\"} 1"),
            std::string::npos);
  EXPECT_NE(after.body.find("creditbank_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/records\",le=\"+Inf\"}"),
            std::string::npos);
  // Where the three commit groups spent their time: each stage was timed (RocksDB is local, so
  // no idempotency lookup goes to the store, but the metric is there).
  for (const char* stage : {"creditbank_log_prepare_seconds_total",
                            "creditbank_log_write_seconds_total",
                            "creditbank_log_finish_seconds_total"}) {
    EXPECT_GT(MetricValue(after.body, stage), MetricValue(before.body, stage)) << stage;
  }
  EXPECT_GE(MetricValue(after.body, "creditbank_log_lookup_seconds_total"), 0);
  // The store's own figures, per backend.
  if (TestOnPostgres()) {
    EXPECT_EQ(MetricValue(after.body, "creditbank_postgres_log_writer"), 1);
    EXPECT_GE(MetricValue(after.body, "creditbank_postgres_writes_total"),
              MetricValue(before.body, "creditbank_postgres_writes_total") + 3);
    EXPECT_NE(after.body.find("# HELP creditbank_postgres_writes_total PostgreSQL figure."),
              std::string::npos);
  } else {
    EXPECT_GE(MetricValue(after.body, "creditbank_rocksdb_memtable_bytes"), 0);
    EXPECT_NE(after.body.find("# HELP creditbank_rocksdb_memtable_bytes RocksDB figure."),
              std::string::npos);
  }
  EXPECT_GE(MetricValue(after.body, "creditbank_open_connections"), 1);
  // Every response carries a request id, also inside problems.
  ClientResponse bad = server.Call("POST", "/v1/records", cat.tsinghua_token, "{bad");
  ASSERT_FALSE(bad.headers["x-request-id"].empty());
  EXPECT_EQ(json::parse(bad.body)["request_id"], bad.headers["x-request-id"]);
}

TEST(OpsTest, OpenApiListsEveryRoute) {
  TempDir dir;
  TestServer server(dir.path());
  json doc = server.CallJson("GET", "/openapi.json", "", nullptr, 200);
  EXPECT_EQ(doc["openapi"], "3.1.0");
  // Walk the router: every route must be documented with its method and roles.
  App& app = server.app();
  size_t n = 0;
  for (const Route& r : app.router().routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern;
    ASSERT_TRUE(doc["paths"][r.pattern].contains(method)) << r.method << " " << r.pattern;
    EXPECT_FALSE(doc["paths"][r.pattern][method]["x-roles"].empty());
    ++n;
  }
  EXPECT_GE(n, 30u);
  // The shapes DESIGN.md fixes are described, not left as bare objects.
  auto success = [&](const std::string& path, const std::string& method, const std::string& code) {
    return doc["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"];
  };
  EXPECT_EQ(success("/v1/records", "post", "201")["$ref"], "#/components/schemas/Receipts");
  EXPECT_EQ(success("/v1/records/{id}", "get", "200")["$ref"], "#/components/schemas/RecordView");
  EXPECT_EQ(success("/v1/learners/{id}/passbook", "get", "200")["$ref"], "#/components/schemas/Passbook");
  EXPECT_EQ(success("/v1/conversions/evaluate", "post", "201")["$ref"],
            "#/components/schemas/ConversionResult");
  EXPECT_EQ(success("/v1/log/proof/inclusion", "get", "200")["$ref"],
            "#/components/schemas/InclusionProof");
  EXPECT_TRUE(doc["components"]["schemas"]["Passbook"]["required"].size() >= 8);
  EXPECT_EQ(success("/v1/learners/lookup", "post", "200")["required"], json::array({"ids"}));
  EXPECT_TRUE(doc["paths"]["/v1/records"]["post"]["requestBody"]["content"].contains("text/csv"));
}

}  // namespace
}  // namespace lcb::testing

namespace lcb::testing {
namespace {

// A second server on a store that a running one holds, or on its port, is refused with an error
// naming the cause; the half-opened server is torn down without crashing (its destructor once
// stopped parts that were never made), and the running one keeps serving. On PostgreSQL the
// data directory is locked the same way: it names the node in the shared database (its lease),
// so two servers on one directory would each take the other's lease for their own.
TEST(OpsTest, SecondServerOnAStoreOrPortInUseFailsCleanly) {
  TempDir dir;
  TestServer running(dir.sub("bank"));
  std::string token;
  {
    std::map<std::string, std::string> flags = {{"data_dir", dir.sub("bank")},
                                                {"listen", "127.0.0.1:0"}};
    AddBackendFlags(dir.sub("bank"), flags);
    auto config = LoadConfig("", {}, flags);
    ASSERT_TRUE(config.ok());
    auto second = BankServer::Open(*config, &token);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.status().message().find("lock"), std::string::npos)
        << second.status().ToString();
  }
  {
    auto config = LoadConfig("", {},
                             {{"data_dir", dir.sub("other")},
                              {"listen", "127.0.0.1:" + std::to_string(running.port())}});
    ASSERT_TRUE(config.ok());
    auto second = BankServer::Open(*config, &token);  // the port is bound by Start
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    Status started = (*second)->Start();
    EXPECT_EQ(started.code(), StatusCode::kUnavailable) << started.ToString();
    EXPECT_NE(started.message().find("cannot listen"), std::string::npos) << started.ToString();
  }
  EXPECT_EQ(running.Call("GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace lcb::testing
