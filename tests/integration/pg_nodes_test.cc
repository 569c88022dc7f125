// Several `creditbank serve` nodes on one PostgreSQL database (storage.backend postgres): one
// writes the log, the others serve reads and answer writes with 503 (fenced); a clean stop hands
// the lease over, and a restarted node takes it and continues the same log. Real PostgreSQL 15
// (tests/pg), real servers on loopback ports.
#include <gtest/gtest.h>

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
                            {"secret_file", dir_.sub("national_id.secret")}});
  }

  PgDatabase db_;
  TempDir dir_;
};

TEST_F(PgNodesTest, OneWriterOthersReadAndARestartedNodeContinuesTheLog) {
  auto a = Node("a");
  ASSERT_TRUE(a->services().writer_lease() != nullptr);
  EXPECT_TRUE(a->services().writer_lease()->is_writer());
  Catalog cat;
  cat.Load(*a);
  json first = a->CallJson("POST", "/v1/records", cat.tsinghua_token,
                           cat.Record(cat.learner_a, "tsinghua:CS101", "R-1"), 201);
  const std::string id = first["records"][0]["id"];

  // A second node reads what the first wrote, and may not write.
  auto b = Node("b");
  EXPECT_FALSE(b->services().writer_lease()->is_writer());
  json record = b->CallJson("GET", "/v1/records/" + id, cat.learner_a_token, nullptr, 200);
  EXPECT_EQ(record["record"]["learner"], cat.learner_a) << record.dump();
  json passbook =
      b->CallJson("GET", "/v1/learners/" + cat.learner_a + "/passbook", cat.learner_a_token,
                  nullptr, 200);
  EXPECT_EQ(passbook["total_credits"], 4) << passbook.dump();
  const uint64_t size_before = a->ledger().Size();
  ClientResponse refused = b->Call("POST", "/v1/records", cat.tsinghua_token,
                                   cat.Record(cat.learner_a, "tsinghua:MA101", "R-2").dump());
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(a->ledger().Size(), size_before);  // nothing of the fenced group was written

  // The writer goes on; then it stops cleanly (stepping down) and the other node, restarted,
  // takes the lease at once and extends the same log.
  a->CallJson("POST", "/v1/records", cat.tsinghua_token,
              cat.Record(cat.learner_a, "tsinghua:MA101", "R-3"), 201);
  const std::string checkpoint_a = a->Call("GET", "/v1/log/checkpoint").body;
  const uint64_t size_a = a->ledger().Size();
  a.reset();
  b.reset();
  b = Node("b");
  EXPECT_TRUE(b->services().writer_lease()->is_writer());
  b->CallJson("POST", "/v1/records", cat.tsinghua_token,
              cat.Record(cat.learner_b, "tsinghua:CS101", "R-4"), 201);
  EXPECT_EQ(b->ledger().Size(), size_a + 1);
  // The new checkpoint is consistent with the one the first node served.
  json proof = b->CallJson("GET", "/v1/log/proof/consistency?first=" + std::to_string(size_a) +
                                      "&second=" + std::to_string(size_a + 1),
                           "", nullptr, 200);
  EXPECT_FALSE(proof.dump().empty());
  EXPECT_NE(b->Call("GET", "/v1/log/checkpoint").body, checkpoint_a);
  // Records posted through either writer are all there.
  json list = b->CallJson("GET", "/v1/learners/" + cat.learner_a + "/records",
                          cat.learner_a_token, nullptr, 200);
  EXPECT_EQ(list["records"].size(), 2u) << list.dump();
}

}  // namespace
}  // namespace lcb::testing
