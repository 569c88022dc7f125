// Several `creditbank serve` nodes on one PostgreSQL database (storage.backend postgres): one
// writes the log, the others serve reads, follow the log and forward writes to the writer; when
// the writer stops (cleanly, or SIGKILLed) another node takes the lease over and the log goes
// on with nothing acknowledged lost. Real PostgreSQL 15 (tests/pg), real servers on loopback
// ports (in-process, and `creditbank serve` processes for the SIGKILL).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "crypto/checkpoint.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"
#include "tests/integration/test_server.h"
#include "tests/pg/pg_server.h"

namespace lcb::testing {
namespace {

class PgNodesTest : public ::testing::Test {
 protected:
  void SetUp() override { LCB_PG_DATABASE_OR_SKIP(db_); }

  // Every node shares the database, the log key and the national-ID secret; each has its own
  // data dir (admin token file only).
  std::unique_ptr<TestServer> Node(const std::string& name) {
    return std::make_unique<TestServer>(
        dir_.sub(name), std::map<std::string, std::string>{
                            {"storage.backend", "postgres"},
                            {"storage.postgres.dsn", db_.dsn()},
                            {"key_file", dir_.sub("log_key.pem")},
                            {"secret_file", dir_.sub("national_id.secret")},
                            {"storage.postgres.lease_ms", "2000"},
                            {"stats_build_on_start", "false"}});
  }

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
  // A catalog change made on the writer shows on the follower (its caches are dropped when
  // the admin log grows).
  a->CallJson("PUT", "/v1/institutions/pku", a->admin_token(),
              {{"name", "北京大学"}, {"kind", "university"}}, 200);
  EXPECT_TRUE(WaitFor(
      [&] { return b->services().catalog().InstitutionName("pku") == "北京大学"; }, 5000));

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
  json list = a->CallJson("GET", "/v1/learners/" + cat.learner_a + "/records",
                          cat.learner_a_token, nullptr, 200);
  EXPECT_EQ(list["records"].size(), 2u) << list.dump();
}

}  // namespace
}  // namespace lcb::testing
