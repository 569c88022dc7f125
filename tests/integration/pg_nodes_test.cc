// Several `creditbank serve` nodes on one PostgreSQL database (storage.backend postgres): one
// writes the log, the others serve reads, follow the log and forward writes to the writer; when
// the writer stops (cleanly, or SIGKILLed) another node takes the lease over and the log goes
// on with nothing acknowledged lost. Real PostgreSQL 15 (tests/pg), real servers on loopback
// ports (in-process, and `creditbank serve` processes for the SIGKILL).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "cli/commands.h"
#include "crypto/checkpoint.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/rsa.h"
#include "crypto/signed_note.h"
#include "service/credential_keys.h"
#include "storage/pg_kv.h"
#include "tests/integration/test_server.h"
#include "tests/integration/witness_helpers.h"
#include "tests/pg/pg_server.h"

namespace lcb::testing {
namespace {

// What an operator does for each further node of a shared store (docs/scale-out.md): the
// credential keys of the node that made the bank, copied into its data directory.
void CopyCredentialKeys(const std::string& from, const std::string& to) {
  std::filesystem::create_directories(to);
  for (const char* name : {kCredentialKeyFile, kCredentialRsaKeyFile}) {
    std::filesystem::copy_file(from + "/" + name, to + "/" + name,
                               std::filesystem::copy_options::skip_existing);
  }
}

class PgNodesTest : public ::testing::Test {
 protected:
  void SetUp() override { LCB_PG_DATABASE_OR_SKIP(db_); }

  // Every node shares the database, the log key and the national-ID secret; each has its own
  // data dir (its admin token file, and copies of the credential keys the first node made).
  std::map<std::string, std::string> NodeFlags(
      const std::map<std::string, std::string>& more = {}) {
    std::map<std::string, std::string> flags = {{"storage.backend", "postgres"},
                                                {"storage.postgres.dsn", db_.dsn()},
                                                {"key_file", dir_.sub("log_key.pem")},
                                                {"secret_file", dir_.sub("national_id.secret")},
                                                {"storage.postgres.lease_ms", "2000"},
                                                {"stats_build_on_start", "false"},
                                                {"stats_k", "1"}};
    for (const auto& [k, v] : more) flags[k] = v;
    return flags;
  }
  std::unique_ptr<TestServer> Node(const std::string& name,
                                   const std::map<std::string, std::string>& more = {}) {
    if (first_.empty()) {
      first_ = name;
    } else if (name != first_) {
      CopyCredentialKeys(dir_.sub(first_), dir_.sub(name));
    }
    return std::make_unique<TestServer>(dir_.sub(name), NodeFlags(more));
  }

  // Opens node `name` as `creditbank serve` would (not started), without copying any key into
  // its data directory: the status of its start, the server in *server when it opened.
  Status OpenNode(const std::string& name, std::map<std::string, std::string> more,
                  std::unique_ptr<BankServer>* server) {
    std::map<std::string, std::string> flags = NodeFlags(std::move(more));
    flags["data_dir"] = dir_.sub(name);
    flags["listen"] = "127.0.0.1:0";
    flags["log_level"] = "error";
    auto config = LoadConfig("", {}, flags);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    std::string token;
    StatusOr<std::unique_ptr<BankServer>> opened = BankServer::Open(*config, &token);
    if (!opened.ok()) return opened.status();
    *server = std::move(opened).value();
    return Status::Ok();
  }

  std::string first_;  // the node that made the bank's credential keys

  PgDatabase db_;
  TempDir dir_;
};

// Waits up to `ms` for `done`.
bool WaitFor(const std::function<bool()>& done, int ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST_F(PgNodesTest, FollowersForwardWritesFollowTheLogAndTakeOverInProcess) {
  auto a = Node("a");
  ASSERT_TRUE(a->services().writer_lease() != nullptr);
  EXPECT_TRUE(a->services().writer_lease()->is_writer());
  Catalog cat;
  cat.Load(*a);
  json first = a->CallJson("POST", "/v1/records", cat.tsinghua_token,
                           cat.Record(cat.learner_a, "tsinghua:CS101", "R-1"), 201);
  const std::string id = first["records"][0]["id"];

  // A second node reads what the first wrote.
  auto b = Node("b");
  EXPECT_FALSE(b->services().writer_lease()->is_writer());
  json record = b->CallJson("GET", "/v1/records/" + id, cat.learner_a_token, nullptr, 200);
  EXPECT_EQ(record["record"]["learner"], cat.learner_a) << record.dump();
  json passbook =
      b->CallJson("GET", "/v1/learners/" + cat.learner_a + "/passbook", cat.learner_a_token,
                  nullptr, 200);
  EXPECT_EQ(passbook["total_credits"], 4) << passbook.dump();
  // The follower's statistics, built by its first request, then count what the writer writes
  // (the learners of the log entries it follows are reloaded).
  auto records_on_b = [&] {
    json stats = b->CallJson("GET", "/v1/stats?group_by=kind", a->admin_token(), nullptr, 200);
    int64_t n = 0;
    for (const json& c : stats["cells"]) n += c["records"].get<int64_t>();
    return n;
  };
  EXPECT_EQ(records_on_b(), 1);

  // A write posted to the follower is done by the writer (forwarded with the caller's own
  // token); the follower then serves it, with a receipt in the writer's log.
  const uint64_t size_before = a->ledger().Size();
  ClientResponse forwarded = b->Call("POST", "/v1/records", cat.tsinghua_token,
                                     cat.Record(cat.learner_a, "tsinghua:MA101", "R-2").dump());
  ASSERT_EQ(forwarded.status, 201) << forwarded.body;
  EXPECT_EQ(a->ledger().Size(), size_before + 1);
  const std::string id2 = json::parse(forwarded.body)["records"][0]["id"];
  json record2 = b->CallJson("GET", "/v1/records/" + id2, cat.learner_a_token, nullptr, 200);
  EXPECT_GT(record2["receipt"].value("tree_size", 0), record2["receipt"].value("leaf_index", 0))
      << record2.dump();
  // The writer checks the caller's token itself: a learner may not post records there either.
  EXPECT_EQ(b->Call("POST", "/v1/records", cat.learner_a_token,
                    cat.Record(cat.learner_a, "tsinghua:MA101", "R-X").dump())
                .status,
            403);
  // The follower's log view and the learner's passbook follow the writer (polled every
  // 500 ms at most).
  EXPECT_TRUE(WaitFor([&] { return b->ledger().Size() == a->ledger().Size(); }, 5000));
  EXPECT_EQ(b->Call("GET", "/v1/log/checkpoint").body, a->Call("GET", "/v1/log/checkpoint").body);
  EXPECT_TRUE(WaitFor(
      [&] {
        json p = b->CallJson("GET", "/v1/learners/" + cat.learner_a + "/passbook",
                             cat.learner_a_token, nullptr, 200);
        return p["total_credits"] == 9;
      },
      5000));
  // The record forwarded to the writer (the follower's statistics may answer up to 1 s late).
  EXPECT_TRUE(WaitFor([&] { return records_on_b() == 2; }, 5000)) << records_on_b();
  json third = a->CallJson("POST", "/v1/records", cat.tsinghua_token,
                           cat.Record(cat.learner_b, "tsinghua:MA101", "R-3"), 201);
  EXPECT_TRUE(WaitFor([&] { return records_on_b() == 3; }, 5000)) << records_on_b();
  a->CallJson("POST", "/v1/records/" + third["records"][0]["id"].get<std::string>() + "/revoke",
              cat.tsinghua_token, {{"reason", "entered twice"}}, 200);
  // Read on the follower at once (its poll may not have brought the revocation yet), the
  // revoked record's bundle proves the revocation under one checkpoint, and verifies offline.
  json revoked_on_b =
      b->CallJson("GET", "/v1/records/" + third["records"][0]["id"].get<std::string>(),
                  cat.learner_b_token, nullptr, 200);
  ASSERT_TRUE(revoked_on_b.contains("revocation")) << revoked_on_b.dump();
  EXPECT_EQ(revoked_on_b["revocation"]["entry"]["reason"], "entered twice");
  EXPECT_EQ(revoked_on_b["revocation"]["receipt"]["checkpoint"],
            revoked_on_b["receipt"]["checkpoint"]);
  const std::string revoked_file = dir_.sub("revoked.json");
  std::ofstream(revoked_file, std::ios::trunc) << revoked_on_b.dump();
  const std::string vkey = b->CallJson("GET", "/v1/log/key", "", nullptr, 200)["verifier_key"];
  EXPECT_EQ(CmdVerify({"--bundle", revoked_file, "--key", vkey}), 0);
  EXPECT_TRUE(WaitFor([&] { return records_on_b() == 2; }, 5000)) << records_on_b();
  // More entries than a follower reads for its statistics in one poll: it catches up over
  // the next polls and counts every one.
  constexpr int kMany = 17'000;
  const std::string many =
      a->CallJson("POST", "/v1/learners", cat.tsinghua_token, {{"display_name", "M"}}, 201)["id"];
  for (int b0 = 0; b0 < kMany; b0 += 1'000) {
    json batch = {{"records", json::array()}};
    for (int i = b0; i < b0 + 1'000; ++i) {
      batch["records"].push_back(cat.Record(many, "tsinghua:CS101", "M-" + std::to_string(i)));
    }
    a->CallJson("POST", "/v1/records", cat.tsinghua_token, batch, 201);
  }
  EXPECT_TRUE(WaitFor([&] { return records_on_b() == 2 + kMany; }, 20000)) << records_on_b();
  // A learner account created on the writer counts on the follower before it has a record:
  // accounts are not log entries, the admin log tells of them.
  auto learners_on = [&](TestServer& node, const std::string& province) {
    json stats = node.CallJson("GET", "/v1/stats?group_by=region&region_level=province",
                               a->admin_token(), nullptr, 200);
    for (const json& c : stats["cells"]) {
      if (c["region"] == province) return c["learners"].get<int64_t>();
    }
    return int64_t{0};
  };
  auto learners_on_b = [&](const std::string& province) { return learners_on(*b, province); };
  EXPECT_EQ(learners_on_b("440000"), 0);
  std::vector<std::string> guangdong;
  for (const char* region : {"440305", "440106"}) {
    guangdong.push_back(a->CallJson("POST", "/v1/learners", cat.tsinghua_token,
                                    {{"display_name", "G"}, {"region", region}}, 201)["id"]);
  }
  EXPECT_TRUE(WaitFor([&] { return learners_on_b("440000") == 2; }, 5000))
      << learners_on_b("440000");
  // One of them moves to Shanghai, asked through the follower (the writer does it, and its
  // admin-log row moves the learner in the follower's statistics too), then is cleared.
  auto learners_on_a = [&](const std::string& province) { return learners_on(*a, province); };
  EXPECT_EQ(learners_on_a("440000"), 2);
  json moved = b->CallJson("PATCH", "/v1/learners/" + guangdong[0], cat.tsinghua_token,
                           {{"region", "310101"}}, 200);
  EXPECT_EQ(moved["region"], "310101") << moved.dump();
  // Statistics may answer up to 1 s late (stats_max_staleness_ms).
  EXPECT_TRUE(WaitFor([&] { return learners_on_a("440000") == 1; }, 5000))
      << learners_on_a("440000");
  EXPECT_EQ(learners_on_a("310000"), 1);
  EXPECT_TRUE(WaitFor([&] { return learners_on_b("440000") == 1; }, 5000))
      << learners_on_b("440000");
  EXPECT_EQ(learners_on_b("310000"), 1);
  json read = b->CallJson("GET", "/v1/learners/" + guangdong[0], cat.tsinghua_token, nullptr, 200);
  EXPECT_EQ(read["region"], "310101") << read.dump();
  b->CallJson("PATCH", "/v1/learners/" + guangdong[0], cat.tsinghua_token, {{"region", nullptr}},
              200);
  EXPECT_TRUE(WaitFor([&] { return learners_on_b("310000") == 0; }, 5000))
      << learners_on_b("310000");
  EXPECT_EQ(learners_on_b("440000"), 1);
  EXPECT_TRUE(WaitFor([&] { return learners_on_a("310000") == 0; }, 5000))
      << learners_on_a("310000");
  json actions = a->CallJson("GET", "/v1/admin/actions?limit=1000", a->admin_token(), nullptr, 200);
  int creations = 0;
  for (const json& act : actions["actions"]) creations += act["action"] == "create_learner";
  // Catalog's learner_a and learner_b, "many" and the two above.
  EXPECT_EQ(creations, 5) << actions.dump();
  // A catalog change made on the writer shows on the follower (its caches are dropped when
  // the admin log grows).
  a->CallJson("PUT", "/v1/institutions/pku", a->admin_token(),
              {{"name", "北京大学"}, {"kind", "university"}}, 200);
  EXPECT_TRUE(
      WaitFor([&] { return b->services().catalog().InstitutionName("pku") == "北京大学"; }, 5000));

  // The writer stops cleanly (stepping down); the follower, still running, takes the lease
  // over at its next poll and extends the same log.
  const std::string checkpoint_a = a->Call("GET", "/v1/log/checkpoint").body;
  const uint64_t size_a = a->ledger().Size();
  a.reset();
  ASSERT_TRUE(WaitFor([&] { return b->services().writer_lease()->is_writer(); }, 3000));
  b->CallJson("POST", "/v1/records", cat.tsinghua_token,
              cat.Record(cat.learner_b, "tsinghua:CS101", "R-4"), 201);
  EXPECT_EQ(b->ledger().Size(), size_a + 1);
  // The new checkpoint is consistent with the one the first node served.
  json proof = b->CallJson("GET", "/v1/log/proof/consistency?first=" + std::to_string(size_a) +
                                      "&second=" + std::to_string(size_a + 1),
                           "", nullptr, 200);
  EXPECT_FALSE(proof.dump().empty());
  EXPECT_NE(b->Call("GET", "/v1/log/checkpoint").body, checkpoint_a);
  // The first node, restarted, follows the new writer and forwards to it.
  a = Node("a");
  EXPECT_FALSE(a->services().writer_lease()->is_writer());
  a->CallJson("POST", "/v1/records", cat.tsinghua_token,
              cat.Record(cat.learner_b, "tsinghua:MA101", "R-5"), 201);
  EXPECT_EQ(b->ledger().Size(), size_a + 2);
  json list = a->CallJson("GET", "/v1/learners/" + cat.learner_a + "/records", cat.learner_a_token,
                          nullptr, 200);
  EXPECT_EQ(list["records"].size(), 2u) << list.dump();
}

// An embedded bank moves onto PostgreSQL: its backup is restored into an empty database with
// `creditbank restore --storage postgres`, and a node started there serves the same log (same
// checkpoint, records, tokens, passbooks) and extends it.
// A node that joins the shared store without the bank's keys (the log key, the national-ID
// secret, the credential keys), or with other ones, refuses to start and names the file to copy:
// before, it made keys of its own, and each such start retired the keys the other nodes signed
// with (and another secret would not find the learners known by national ID). Once the files
// are copied it starts, and every node serves the same keys.
TEST_F(PgNodesTest, ANodeWithoutTheBanksKeysRefusesToStartAndChangesNothing) {
  auto a = Node("a");
  Catalog cat;
  cat.Load(*a);
  const std::string jwks = a->Call("GET", "/.well-known/jwks.json").body;
  const std::string log_key = a->Call("GET", "/v1/log/key").body;
  auto start = [&](const std::string& name, std::map<std::string, std::string> more) {
    std::unique_ptr<BankServer> server;
    return OpenNode(name, std::move(more), &server);
  };
  auto refused = [&](const std::string& name, std::map<std::string, std::string> more,
                     const std::string& says) {
    Status s = start(name, std::move(more));
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
    EXPECT_NE(s.ToString().find(says), std::string::npos) << s.ToString();
  };
  // No credential keys in its data directory.
  refused("b", {}, "credential_key.pem is missing");
  // No log key, or no national-ID secret (each would have been made anew).
  CopyCredentialKeys(dir_.sub("a"), dir_.sub("b"));
  refused("b", {{"key_file", dir_.sub("b/log_key.pem")}}, "log_key.pem is missing");
  refused("b", {{"secret_file", dir_.sub("b/national_id.secret")}},
          "national_id.secret is missing");
  EXPECT_FALSE(std::filesystem::exists(dir_.sub("b/log_key.pem")));
  EXPECT_FALSE(std::filesystem::exists(dir_.sub("b/national_id.secret")));
  // Another secret.
  {
    std::ofstream other(dir_.sub("other.secret"));
    other << std::string(32, 'x');
  }
  std::filesystem::permissions(dir_.sub("other.secret"), std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_write);
  refused("b", {{"secret_file", dir_.sub("other.secret")}}, "is not the national-ID secret");
  // Another RSA key beside the bank's current Ed25519 key.
  std::filesystem::remove(dir_.sub("b/") + kCredentialRsaKeyFile);
  ASSERT_TRUE(RsaKey::Generate().SavePem(dir_.sub("b/") + kCredentialRsaKeyFile).ok());
  refused("b", {}, "not the bank's current");
  // A log key the bank never published (a wrong file, not a rotation: that needs
  // rotate_log_key), and the bank's log key under another origin.
  ASSERT_TRUE(Ed25519Key::Generate().SavePem(dir_.sub("other_log_key.pem")).ok());
  refused("b", {{"key_file", dir_.sub("other_log_key.pem")}}, "never published");
  refused("b", {{"origin", "another.example/log"}}, "published for origin");
  // Nothing of that changed what the bank publishes.
  EXPECT_EQ(a->Call("GET", "/.well-known/jwks.json").body, jwks);
  EXPECT_EQ(a->Call("GET", "/v1/log/key").body, log_key);

  // With the files copied, b starts: the same keys, and the learner is found by national ID.
  std::filesystem::remove_all(dir_.sub("b"));
  auto b = Node("b");
  EXPECT_EQ(b->Call("GET", "/.well-known/jwks.json").body, jwks);
  EXPECT_EQ(b->Call("GET", "/v1/log/key").body, log_key);
  json found = b->CallJson("POST", "/v1/learners", cat.tsinghua_token,
                           {{"national_id", "110101199003070011"}}, 200);
  EXPECT_EQ(found["id"], cat.learner_a) << found.dump();

  // The operator rotates the credential keys on c (new files): the bank signs with them from
  // now on, and a node started later with the retired keys is refused.
  std::filesystem::create_directories(dir_.sub("c"));
  ASSERT_TRUE(Ed25519Key::Generate().SavePem(dir_.sub("c/") + kCredentialKeyFile).ok());
  ASSERT_TRUE(RsaKey::Generate().SavePem(dir_.sub("c/") + kCredentialRsaKeyFile).ok());
  auto c = Node("c");
  const std::string rotated = c->Call("GET", "/.well-known/jwks.json").body;
  EXPECT_NE(rotated, jwks);
  b.reset();
  refused("b", {}, "retired at");
}

// Nodes started together on a new database: the one that takes the lease makes the bank's keys,
// and the others wait for them (instead of each making its own, the last one written winning),
// then are checked against them like any later node. A node whose writer never publishes keys
// gives up after three leases, naming why.
TEST_F(PgNodesTest, NodesStartedTogetherWaitForTheWritersKeys) {
  auto start = [&](const std::string& name, std::map<std::string, std::string> more,
                   std::unique_ptr<BankServer>* keep) {
    return OpenNode(name, std::move(more), keep);
  };
  // Two nodes at once, neither with the other's credential keys: exactly one starts.
  std::unique_ptr<BankServer> kept[2];
  Status outcome[2];
  {
    std::thread p([&] { outcome[0] = start("p", {}, &kept[0]); });
    std::thread q([&] { outcome[1] = start("q", {}, &kept[1]); });
    p.join();
    q.join();
  }
  EXPECT_NE(outcome[0].ok(), outcome[1].ok())
      << outcome[0].ToString() << " / " << outcome[1].ToString();
  for (const Status& s : outcome) {
    if (s.ok()) continue;
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
    EXPECT_NE(s.ToString().find("credential_key.pem is missing"), std::string::npos)
        << s.ToString();
  }
  kept[0].reset();
  kept[1].reset();

  // A writer that holds the lease and publishes nothing: a node waits three leases, then refuses.
  PgDatabase other;
  ASSERT_TRUE(other.Create()) << other.why();
  PgKvOptions options;
  options.dsn = other.dsn();
  auto holder = PgKv::Open(options);
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  ASSERT_TRUE((*holder)->AcquireWriter("http://first-node.example", std::chrono::seconds(60)).ok());
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<BankServer> none;
  Status s = start(
      "r", {{"storage.postgres.dsn", other.dsn()}, {"storage.postgres.lease_ms", "1000"}}, &none);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(3000));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.ToString().find("has not published the bank's keys"), std::string::npos)
      << s.ToString();
}

TEST_F(PgNodesTest, AnEmbeddedBanksBackupRestoresIntoPostgresAndGoesOnThere) {
  TempDir local;
  const std::string backup = local.sub("backup");
  Catalog cat;
  std::string checkpoint, first_id, revoked_id;
  uint64_t size = 0;
  json total_credits;
  {
    TestServer embedded(local.sub("bank"));
    cat.Load(embedded);
    // More than one full tile of entries (256), and a revocation.
    json batch = {{"records", json::array()}};
    for (int i = 0; i < 300; ++i) {
      batch["records"].push_back(cat.Record(i % 2 ? cat.learner_a : cat.learner_b, "tsinghua:CS101",
                                            "B-" + std::to_string(i)));
    }
    json posted = embedded.CallJson("POST", "/v1/records", cat.tsinghua_token, batch, 201);
    first_id = posted["records"][0]["id"];
    revoked_id = posted["records"][1]["id"];
    embedded.CallJson("POST", "/v1/records/" + revoked_id + "/revoke", cat.tsinghua_token,
                      {{"reason", "entered twice"}}, 200);
    embedded.CallJson("POST", "/v1/admin/backup", embedded.admin_token(), {{"to", backup}}, 201);
    size = embedded.ledger().Size();
    checkpoint = embedded.Call("GET", "/v1/log/checkpoint").body;
    total_credits = embedded.CallJson("GET", "/v1/learners/" + cat.learner_a + "/passbook",
                                      cat.learner_a_token, nullptr, 200)["total_credits"];
  }
  const std::string restored = dir_.sub("restored");
  ASSERT_EQ(CmdRestore({"--from", backup, "--data", restored, "--storage", "postgres",
                        "--postgres-dsn", db_.dsn()}),
            0);
  // Once the database holds a bank, another restore into it is refused before it copies
  // anything (and before it makes its local copy).
  EXPECT_EQ(CmdRestore({"--from", backup, "--data", dir_.sub("again"), "--storage", "postgres",
                        "--postgres-dsn", db_.dsn()}),
            1);
  EXPECT_FALSE(std::filesystem::exists(dir_.sub("again")));
  EXPECT_NE(CmdRestore({"--from", backup, "--data", dir_.sub("again"), "--storage", "postgres"}),
            0);  // no DSN

  CopyCredentialKeys(restored, dir_.sub("node"));
  TestServer node(dir_.sub("node"), {{"storage.backend", "postgres"},
                                     {"storage.postgres.dsn", db_.dsn()},
                                     {"key_file", restored + "/log_key.pem"},
                                     {"secret_file", restored + "/national_id.secret"},
                                     {"storage.postgres.lease_ms", "2000"}});
  ASSERT_TRUE(WaitFor([&] { return node.services().writer_lease()->is_writer(); }, 5000));
  EXPECT_EQ(node.ledger().Size(), size);
  EXPECT_EQ(node.Call("GET", "/v1/log/checkpoint").body, checkpoint);
  // Tokens, learners, records and revocations came along.
  json record = node.CallJson("GET", "/v1/records/" + first_id, cat.learner_b_token, nullptr, 200);
  EXPECT_EQ(record["record"]["learner"], cat.learner_b) << record.dump();
  json gone = node.CallJson("GET", "/v1/records/" + revoked_id, cat.learner_a_token, nullptr, 200);
  EXPECT_EQ(gone["status"], "revoked") << gone.dump();
  json passbook = node.CallJson("GET", "/v1/learners/" + cat.learner_a + "/passbook",
                                cat.learner_a_token, nullptr, 200);
  EXPECT_EQ(passbook["total_credits"], total_credits) << passbook.dump();
  // The national-ID secret came along: the learner is found by the ID it was created with.
  json found = node.CallJson("POST", "/v1/learners", cat.tsinghua_token,
                             {{"national_id", "110101199003070011"}}, 200);
  EXPECT_EQ(found["id"], cat.learner_a) << found.dump();
  // The log goes on from where the embedded bank left it, consistent with its checkpoint.
  node.CallJson("POST", "/v1/records", cat.tsinghua_token,
                cat.Record(cat.learner_a, "tsinghua:MA101", "AFTER-1"), 201);
  EXPECT_EQ(node.ledger().Size(), size + 1);
  node.CallJson("GET",
                "/v1/log/proof/consistency?first=" + std::to_string(size) +
                    "&second=" + std::to_string(size + 1),
                "", nullptr, 200);
  EXPECT_TRUE(node.ledger().VerifyAll().ok());
}

// Witnesses configured on every node: only the node that writes the log sends them
// checkpoints, every node serves the cosigned checkpoint (the writer keeps the cosignatures in
// the store, the others read them from there), and the next writer carries on after a
// takeover. Node b reaches the witness at another address, where nothing listens until b
// writes the log: a follower that tried to send anything would fail there.
TEST_F(PgNodesTest, EveryNodeServesTheWitnessesCosignaturesAndTheWriterAsksThem) {
  const std::string log_vkey = NewLogKey(dir_.sub("log_key.pem"));
  ASSERT_FALSE(log_vkey.empty());
  RunningWitness w("witness.a.example/w", dir_.sub("wa"), log_vkey);
  const uint16_t b_port = FreePort();
  auto witnessed = [](const std::string& url) {
    return std::map<std::string, std::string>{
        {"witnesses", WitnessesJson({{"witness.a.example/w", url}}).dump()},
        {"witness_quorum", "1"}};
  };
  auto a = Node("a", witnessed(w.url()));
  ASSERT_TRUE(a->services().writer_lease()->is_writer());
  auto b = Node("b", witnessed("http://127.0.0.1:" + std::to_string(b_port)));
  ASSERT_FALSE(b->services().writer_lease()->is_writer());
  Catalog cat;
  cat.Load(*a);
  PostRecords(*a, cat, 30, "w-");
  const std::string va = w.vkey();
  auto cosigned_at = [&va](uint64_t size) {
    return [&va, size](const std::string& note) {
      // (A follower answers 404 until its first poll brings it a checkpoint.)
      return CheckpointSize(note) == size && CosignaturesOn(note, {va}) == 1;
    };
  };
  const uint64_t size = a->ledger().Size();
  const std::string on_a = WaitForCheckpoint(*a, cosigned_at(size));
  ASSERT_EQ(CosignaturesOn(on_a, {va}), 1u) << on_a;
  EXPECT_EQ(WaitForCheckpoint(*b, cosigned_at(size)), on_a);
  EXPECT_EQ(b->services().log().cosigned().Health(size).witnesses.at(0).failures, 0u);

  // The writer stops; the witness now also answers at b's address; b takes the log over and
  // asks the witness itself.
  a.reset();
  ServerOptions o;
  o.port = b_port;
  o.threads = 1;
  auto second = HttpServer::Create(o, WitnessDispatcher(w.witness()));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE((*second)->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return b->services().writer_lease()->is_writer(); }, 5000));
  PostRecords(*b, cat, 5, "w2-");
  const uint64_t later = b->ledger().Size();
  const std::string on_b = WaitForCheckpoint(*b, cosigned_at(later));
  EXPECT_EQ(CosignaturesOn(on_b, {va}), 1u) << on_b;
  EXPECT_EQ(CheckpointSize(on_b), later);
  EXPECT_EQ(w.witness().KnownSize("creditbank.localhost/log").value(), later);
  (*second)->Shutdown(500);
}

// A `creditbank serve` process on the shared database, so that it can be SIGKILLed.
class NodeProcess {
 public:
  NodeProcess(const TempDir& dir, const std::string& name, const std::string& dsn, int lease_ms) {
    const std::string port_file = dir.sub(name + ".port");
    std::remove(port_file.c_str());
    data_ = dir.sub(name);
    std::vector<std::string> args = {CREDITBANK_BIN,
                                     "serve",
                                     "--data",
                                     data_,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--port-file",
                                     port_file,
                                     "--log-level",
                                     "warn",
                                     "--rate-limit-rps",
                                     "0",
                                     "--storage",
                                     "postgres",
                                     "--postgres-dsn",
                                     dsn,
                                     "--key-file",
                                     dir.sub("log_key.pem"),
                                     "--secret-file",
                                     dir.sub("national_id.secret"),
                                     "--postgres-lease-ms",
                                     std::to_string(lease_ms),
                                     "--stats-build-on-start",
                                     "false"};
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(CREDITBANK_BIN, argv.data());
      _exit(127);
    }
    for (int i = 0; i < 600 && port_ == 0; ++i) {
      std::ifstream in(port_file);
      in >> port_;
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~NodeProcess() {
    if (pid_ <= 0 || gone_) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  void Kill() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    gone_ = true;
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& data() const { return data_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool gone_ = false;
  std::string data_;
};

ClientResponse Send(const std::string& url, const std::string& method, const std::string& target,
                    const std::string& token, const std::string& body = "") {
  auto c = HttpClient::Connect(url);
  if (!c.ok()) return ClientResponse{0, c.status().ToString(), {}};
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  auto r = (*c)->Request(method, target, body, headers, 30'000);
  return r.ok() ? *r : ClientResponse{0, r.status().ToString(), {}};
}

// DESIGN.md "One log writer at a time": three nodes take load through the two that do not
// write the log; the writer is SIGKILLed; a new writer takes over after the lease and the load
// goes on. Every acknowledged record is then readable through every node with a receipt that
// `creditbank verify` accepts, and `creditbank audit` finds the log consistent across the
// change.
TEST_F(PgNodesTest, ThreeNodesLoseTheirWriterAndLoseNothing) {
  constexpr int kLeaseMs = 2000;
  NodeProcess a(dir_, "a", db_.dsn(), kLeaseMs);
  ASSERT_GT(a.port(), 0) << "node a did not start";
  CopyCredentialKeys(a.data(), dir_.sub("b"));
  CopyCredentialKeys(a.data(), dir_.sub("c"));
  NodeProcess b(dir_, "b", db_.dsn(), kLeaseMs);
  NodeProcess c(dir_, "c", db_.dsn(), kLeaseMs);
  ASSERT_GT(b.port(), 0) << "node b did not start";
  ASSERT_GT(c.port(), 0) << "node c did not start";
  std::string admin;
  std::ifstream(a.data() + "/admin.token") >> admin;
  ASSERT_FALSE(admin.empty());
  // The catalog, through a follower (forwarded to the writer, a).
  auto must = [](ClientResponse r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    return json::parse(r.body, nullptr, false);
  };
  must(Send(b.url(), "PUT", "/v1/institutions/tsinghua", admin,
            R"({"name":"清华大学","kind":"university"})"),
       200);
  must(Send(b.url(), "PUT", "/v1/units/tsinghua:CS101", admin,
            R"({"title":"C","kind":"degree_course","credits":4,"level":6,"field":"0613"})"),
       200);
  const std::string inst =
      must(Send(c.url(), "POST", "/v1/tokens", admin, R"({"role":"institution:tsinghua"})"), 201)
          .value("token", "");
  const std::string learner =
      must(Send(c.url(), "POST", "/v1/learners", inst, "{}"), 201).value("id", "");
  ASSERT_FALSE(learner.empty());
  // The followers see the catalog written through the writer before the load starts.
  ASSERT_TRUE(WaitFor(
      [&] { return Send(c.url(), "GET", "/v1/units/tsinghua:CS101", admin).status == 200; }, 5000));

  // Load: two clients, one per follower, batches of 5 new records; a failed batch is sent
  // again unchanged (the same external_ref: a retry of a committed batch is recognised).
  std::mutex mu;
  std::map<std::string, std::string> acked;  // record id -> external_ref
  std::atomic<bool> stop{false};
  std::atomic<int> before_kill{0};
  std::atomic<int64_t> killed_at_ms{0}, first_after_ms{0};
  std::atomic<int> after_kill{0}, retries{0};
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  auto load = [&](const std::string& url, const std::string& tag) {
    for (int n = 0; !stop.load(); ++n) {
      json records = json::array();
      for (int i = 0; i < 5; ++i) {
        records.push_back(
            {{"learner", learner},
             {"unit", "tsinghua:CS101"},
             {"external_ref", tag + "-" + std::to_string(n) + "-" + std::to_string(i)},
             {"grade", {{"scale", "percent"}, {"value", "88"}}},
             {"completed_on", "2024-06-30"}});
      }
      const std::string body = json{{"records", records}}.dump();
      for (int attempt = 0; attempt < 200; ++attempt) {
        const int64_t sent = now_ms();
        ClientResponse r = Send(url, "POST", "/v1/records", inst, body);
        if (r.status == 201 || r.status == 200) {
          json j = json::parse(r.body, nullptr, false);
          std::lock_guard<std::mutex> lock(mu);
          for (size_t i = 0; i < j["records"].size(); ++i) {
            acked[j["records"][i]["id"]] = records[i]["external_ref"];
          }
          if (killed_at_ms.load() == 0) {
            before_kill++;
          } else if (sent > killed_at_ms.load()) {
            int64_t expected = 0;
            first_after_ms.compare_exchange_strong(expected, now_ms());
            after_kill++;
          }
          break;
        }
        EXPECT_TRUE(r.status == 503 || r.status == 0) << r.status << " " << r.body;
        retries++;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  };
  // Joined on every way out of the test (an ASSERT returns early).
  struct Clients {
    std::atomic<bool>& stop;
    std::vector<std::thread> threads;
    void Join() {
      stop = true;
      for (std::thread& t : threads) {
        if (t.joinable()) t.join();
      }
    }
    ~Clients() { Join(); }
  } clients{stop, {}};
  clients.threads.emplace_back(load, b.url(), "B");
  clients.threads.emplace_back(load, c.url(), "C");
  ASSERT_TRUE(WaitFor([&] { return before_kill.load() >= 20; }, 60'000));
  // An auditor's saved checkpoint from before the change.
  const std::string saved = dir_.sub("checkpoint.before");
  // (A follower serves the checkpoint it last followed: at most 500 ms old.)
  ClientResponse before;
  ASSERT_TRUE(WaitFor(
      [&] {
        before = Send(b.url(), "GET", "/v1/log/checkpoint", "");
        return before.status == 200;
      },
      5000))
      << before.body;
  std::ofstream(saved) << before.body;
  killed_at_ms = now_ms();
  a.Kill();
  const bool resumed = WaitFor([&] { return after_kill.load() >= 20; }, 60'000);
  clients.Join();
  ASSERT_TRUE(resumed) << "no write was acknowledged after the writer was killed";
  const int64_t failover_ms = first_after_ms.load() - killed_at_ms.load();
  std::printf(
      "failover: first acknowledged write %lld ms after the SIGKILL (lease %d ms); %d "
      "records acknowledged, %d retried requests\n",
      static_cast<long long>(failover_ms), kLeaseMs, static_cast<int>(acked.size()),
      retries.load());
  // The issue's bound, lease + 1 s: the lease expires at most kLeaseMs after the kill (renewed
  // every third of it), a follower polls every 500 ms, takes the log over and answers the next
  // forwarded retry (every 50 ms). Measured here: 2,048 ms with a 2,000 ms lease.
  EXPECT_LT(failover_ms, kLeaseMs + 1000);

  // Nothing acknowledged is lost: every record is readable through both surviving nodes, and
  // its bundle verifies offline against the log's key.
  const std::string vkey =
      must(Send(b.url(), "GET", "/v1/log/key", ""), 200).value("verifier_key", "");
  ASSERT_FALSE(vkey.empty());
  int n = 0;
  for (const auto& [id, ref] : acked) {
    const std::string& url = (n++ % 2 == 0) ? b.url() : c.url();
    ClientResponse r = Send(url, "GET", "/v1/records/" + id, inst);
    ASSERT_EQ(r.status, 200) << id << " (" << ref << "): " << r.body;
    const std::string bundle = dir_.sub("bundle.json");
    std::ofstream(bundle, std::ios::trunc) << r.body;
    ASSERT_EQ(CmdVerify({"--bundle", bundle, "--key", vkey}), 0) << id << ": " << r.body;
  }
  // The learner's list holds each acknowledged record once.
  const std::string own =
      must(Send(b.url(), "POST", "/v1/tokens", admin, json{{"role", "learner:" + learner}}.dump()),
           201)
          .value("token", "");
  std::set<std::string> listed;
  std::string cursor;
  do {
    json page = must(Send(c.url(), "GET",
                          "/v1/learners/" + learner + "/records?limit=1000" +
                              (cursor.empty() ? "" : "&cursor=" + cursor),
                          own),
                     200);
    for (const auto& r : page["records"]) listed.insert(r.value("id", ""));
    cursor = page["next_cursor"].is_string() ? page["next_cursor"].get<std::string>() : "";
  } while (!cursor.empty());
  EXPECT_EQ(listed.size(), acked.size());
  for (const auto& [id, ref] : acked) EXPECT_TRUE(listed.count(id)) << id << " " << ref;
  // The log after the change is an extension of the one before it.
  EXPECT_EQ(CmdAudit({"--server", c.url(), "--from", saved, "--key", vkey, "--save",
                      dir_.sub("checkpoint.after")}),
            0);
  // The killed node, started again, follows the new writer and forwards to it.
  NodeProcess again(dir_, "a", db_.dsn(), kLeaseMs);
  ASSERT_GT(again.port(), 0);
  json one = json::array({{{"learner", learner},
                           {"unit", "tsinghua:CS101"},
                           {"external_ref", "A-again"},
                           {"grade", {{"scale", "percent"}, {"value", "90"}}},
                           {"completed_on", "2024-06-30"}}});
  must(Send(again.url(), "POST", "/v1/records", inst, json{{"records", one}}.dump()), 201);
}

}  // namespace
}  // namespace lcb::testing

namespace lcb::testing {
namespace {

// The database goes away (an operator restarts PostgreSQL) for longer than the writer's lease,
// and comes back. While it is away the node stays up, says it is not ready (without naming the
// database's address to anyone who asks), and answers what needs the database with 503
// problem+json, storing nothing. Once it is back, the node is ready again by itself, takes its
// lease back, and the log goes on where it stopped: every record acknowledged before is there,
// the one refused is not.
TEST(PgOutageTest, TheDatabaseGoesAwayAndComesBack) {
  auto started = PgServer::Start();
  if (!started.ok()) {
    if (PostgresRequired()) FAIL() << started.status().ToString();
    GTEST_SKIP() << started.status().ToString();
  }
  std::unique_ptr<PgServer> pg = std::move(started).value();
  StatusOr<std::string> dsn = pg->CreateDatabase();
  ASSERT_TRUE(dsn.ok()) << dsn.status().ToString();
  TempDir dir;
  TestServer node(dir.sub("node"), {{"storage.backend", "postgres"},
                                    {"storage.postgres.dsn", *dsn},
                                    {"storage.postgres.lease_ms", "1000"},
                                    {"stats_build_on_start", "false"}});
  Catalog cat;
  cat.Load(node);
  std::vector<std::string> acked;
  for (int i = 0; i < 3; ++i) {
    json r =
        node.CallJson("POST", "/v1/records", cat.tsinghua_token,
                      cat.Record(cat.learner_a, "tsinghua:CS101", "OUT-" + std::to_string(i)), 201);
    acked.push_back(r["records"][0]["id"]);
  }
  const uint64_t size = node.ledger().Size();
  node.CallJson("GET", "/readyz", "", nullptr, 200);

  ASSERT_TRUE(pg->Pause().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the lease
  ClientResponse ready = node.Call("GET", "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(ready.headers["content-type"], "application/problem+json");
  EXPECT_NE(ready.body.find("the database does not answer"), std::string::npos) << ready.body;
  EXPECT_EQ(ready.body.find(std::to_string(pg->port())), std::string::npos) << ready.body;
  node.CallJson("GET", "/healthz", "", nullptr, 200);  // alive: not a process to restart
  json refused = node.CallJson("POST", "/v1/records", cat.tsinghua_token,
                               cat.Record(cat.learner_a, "tsinghua:CS101", "OUT-away"), 503);
  EXPECT_EQ(refused["status"], 503) << refused.dump();
  EXPECT_EQ(refused["detail"],
            "the database does not answer; try again later (the server's log has the reason)");
  node.CallJson("GET", "/v1/records/" + acked[0], cat.learner_a_token, nullptr, 503);

  ASSERT_TRUE(pg->Resume().ok());
  EXPECT_TRUE(WaitFor([&] { return node.Call("GET", "/readyz").status == 200; }, 15000));
  // Writes go on (the lease taken back), from where the log stopped.
  ClientResponse back;
  EXPECT_TRUE(WaitFor(
      [&] {
        back = node.Call("POST", "/v1/records", cat.tsinghua_token,
                         cat.Record(cat.learner_a, "tsinghua:CS101", "OUT-back").dump());
        return back.status == 201;
      },
      15000))
      << back.status << " " << back.body;
  EXPECT_EQ(json::parse(back.body)["records"][0]["leaf_index"], size) << back.body;
  for (const std::string& id : acked) {
    json got = node.CallJson("GET", "/v1/records/" + id, cat.learner_a_token, nullptr, 200);
    EXPECT_EQ(got["record"]["id"], id);
  }
  // Nothing of the refused record was kept: posting it now creates it.
  json again = node.CallJson("POST", "/v1/records", cat.tsinghua_token,
                             cat.Record(cat.learner_a, "tsinghua:CS101", "OUT-away"), 201);
  EXPECT_EQ(again["records"][0]["status"], "created") << again.dump();
  EXPECT_EQ(node.ledger().Size(), size + 2);
}

}  // namespace
}  // namespace lcb::testing
