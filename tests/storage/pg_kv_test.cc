// PgKv against a real PostgreSQL (tests/pg/pg_server.h), beyond the Kv conformance suite: the
// fencing of the log writer (two nodes on one database), the lease, retries on serialization
// failures and dropped connections, grammar refusals, and the schema's creation and checks.
#include "storage/pg_kv.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "common/encoding.h"
#include "crypto/sha256.h"
#include "storage/ledger.h"
#include "storage/pg_conn.h"
#include "storage/pg_schema.h"
#include "tests/pg/pg_server.h"

namespace lcb {
namespace {

using namespace std::chrono_literals;

LogEntry Entry(const std::string& key) {
  LogEntry e;
  e.id = "obj_" + key;
  e.unique_key = "u/" + key;
  e.bytes = R"({"key":")" + key + R"("})";
  Hash fp = Sha256(key);
  e.fingerprint.assign(reinterpret_cast<const char*>(fp.data()), fp.size());
  e.conflict_pointer = "/key";
  e.index_rows = [key](uint64_t leaf, WriteBatch* batch) {
    batch->Put(Table::kLearnerRecords, "lrn" + std::string(1, '\0') + BigEndian64(leaf),
               "rec_" + key);
  };
  return e;
}

class PgKvTest : public ::testing::Test {
 protected:
  void SetUp() override { LCB_PG_DATABASE_OR_SKIP(db_); }

  std::unique_ptr<PgKv> Node(PgKvOptions options = {}) {
    options.dsn = db_.dsn();
    if (options.pool_size == 8) options.pool_size = 3;
    auto kv = PgKv::Open(options);
    EXPECT_TRUE(kv.ok()) << kv.status().ToString();
    return kv.ok() ? std::move(kv).value() : nullptr;
  }
  std::unique_ptr<pg::Conn> Raw() {
    auto c = pg::Conn::Open(db_.dsn());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(c).value();
  }
  int64_t Count(const std::string& sql) {
    auto r = Raw()->Query(sql, {}, pg::Params());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->Int8(0, 0) : -1;
  }

  testing::PgDatabase db_;
  std::shared_ptr<const Ed25519Key> key_ = std::make_shared<Ed25519Key>(Ed25519Key::Generate());
};

// Two nodes on one database. A writes; its lease expires while it is "paused"; B takes over and
// writes. A's next group is fenced: it fails with Unavailable "fenced", nothing of it is
// visible, A is no longer the writer, and the log B continues is intact.
TEST_F(PgKvTest, StaleWriterIsFencedAndWritesNothing) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->AcquireWriter("http://node-a", 300ms).ok());
  auto ledger_a = Ledger::Open(a.get(), key_, "fence.test/log");
  ASSERT_TRUE(ledger_a.ok());
  ASSERT_TRUE((*ledger_a)->AppendSync({Entry("a1"), Entry("a2")}).ok());

  EXPECT_EQ(b->AcquireWriter("http://node-b", 300ms).status().code(),
            StatusCode::kFailedPrecondition);
  std::this_thread::sleep_for(400ms);  // A's lease expires; A does not notice
  auto lease_b = b->AcquireWriter("http://node-b", 10s);
  ASSERT_TRUE(lease_b.ok()) << lease_b.status().ToString();
  EXPECT_EQ(lease_b->tree_size, 2u);
  auto ledger_b = Ledger::Open(b.get(), key_, "fence.test/log");
  ASSERT_TRUE(ledger_b.ok());
  ASSERT_TRUE((*ledger_b)->AppendSync({Entry("b1")}).ok());

  EXPECT_TRUE(a->IsWriter()) << "A has not noticed yet";
  auto stale = (*ledger_a)->AppendSync({Entry("a3"), Entry("a4")});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(stale.status().message().rfind("fenced", 0), 0u) << stale.status().message();
  EXPECT_FALSE(a->IsWriter());
  std::string value;
  for (const char* k : {"u/a3", "u/a4"}) {
    EXPECT_EQ(b->Get(Table::kUnique, k, &value).code(), StatusCode::kNotFound) << k;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM log_leaves"), 2);  // one run per written group
  EXPECT_EQ(Count("SELECT count(*) FROM learner_records"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints"), 2);
  EXPECT_EQ(Count("SELECT tree_size FROM log_head"), 3);

  // A stays fenced (no round trip needed), cannot renew, and B's log goes on.
  EXPECT_EQ((*ledger_a)->AppendSync({Entry("a5")}).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(a->RenewWriter(10s).status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE((*ledger_b)->AppendSync({Entry("b2"), Entry("a3")}).ok());
  EXPECT_EQ((*ledger_b)->Size(), 5u);
  EXPECT_TRUE((*ledger_b)->VerifyAll().ok());
  EXPECT_GE(a->Stats()["postgres_fenced_writes_total"], 2.0);
}

// The lease moves only when it expired or was given up, and every acquisition has a newer epoch.
TEST_F(PgKvTest, LeaseIsTakenOverOnlyAfterExpiryOrStepDown) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  auto first = a->AcquireWriter("http://node-a", 2s);
  ASSERT_TRUE(first.ok());
  auto refused = b->AcquireWriter("http://node-b", 2s);
  ASSERT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("http://node-a"), std::string::npos);
  auto renewed = a->RenewWriter(2s);
  ASSERT_TRUE(renewed.ok());
  EXPECT_GT(renewed->remaining_ms, 1000);
  auto current = b->CurrentWriter();
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->holder, "http://node-a");
  EXPECT_EQ(current->epoch, first->epoch);

  ASSERT_TRUE(a->StepDown().ok());
  EXPECT_FALSE(a->IsWriter());
  auto second = b->AcquireWriter("http://node-b", 200ms);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_GT(second->epoch, first->epoch);

  EXPECT_FALSE(a->AcquireWriter("http://node-a", 1s).ok());
  std::this_thread::sleep_for(300ms);
  auto third = a->AcquireWriter("http://node-a", 1s);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_GT(third->epoch, second->epoch);
  EXPECT_EQ(b->RenewWriter(1s).status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(b->IsWriter());
}

// A restarted node (same address) takes its own lease back at once, fencing its old self.
TEST_F(PgKvTest, RestartedNodeRetakesItsLeaseAndFencesItsOldSelf) {
  auto old_self = Node(), new_self = Node();
  ASSERT_TRUE(old_self->AcquireWriter("http://node-a", 60s).ok());
  ASSERT_TRUE(new_self->AcquireWriter("http://node-a", 60s).ok());
  WriteBatch batch;
  batch.Put(Table::kMeta, "tree_size", BigEndian64(1));
  batch.MoveLogHead(0, 1);
  Status s = old_self->Write(batch, true);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(new_self->Write(batch, true).ok());
}

// A group whose head precondition fails writes nothing of itself, in any table; the same group
// committed by this writer before (its answer lost) is recognised from the head and not redone.
TEST_F(PgKvTest, GroupWithAWrongHeadWritesNothingAndARepeatIsRecognised) {
  auto a = Node();
  ASSERT_TRUE(a->AcquireWriter("http://node-a", 60s).ok());
  WriteBatch group;
  group.Put(Table::kLogLeaves, BigEndian64(0), "entry");
  group.Put(Table::kCatalog, "inst/x", "{}");
  group.Put(Table::kMeta, "tree_size", BigEndian64(1));
  group.MoveLogHead(5, 6);  // the head is at 0
  Status s = a->Write(group, true);
  ASSERT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("fenced"), std::string::npos);
  EXPECT_EQ(Count("SELECT count(*) FROM log_leaves") + Count("SELECT count(*) FROM catalog") +
                Count("SELECT count(*) FROM kv_meta"),
            0);
  EXPECT_FALSE(a->IsWriter());

  ASSERT_TRUE(a->AcquireWriter("http://node-a", 60s).ok());
  WriteBatch ok = group;
  ok.MoveLogHead(0, 1);
  ASSERT_TRUE(a->Write(ok, true).ok());
  EXPECT_TRUE(a->Write(ok, true).ok()) << "a repeat of the committed group is its success";
  EXPECT_TRUE(a->IsWriter());
  EXPECT_EQ(Count("SELECT tree_size FROM log_head"), 1);
}

// A group that moves the log head writes the rows of append-only tables (leaves, idempotency
// keys, ...) with plain INSERTs. Should one of those rows exist after all, the group is still
// written, with upserts (the batch's value wins, as on RocksDB), and the metric counts it: its
// moving shows that the first attempt was a plain INSERT (an upsert never fails on a key).
TEST_F(PgKvTest, AGroupAddingARowThatExistsIsSentAgainWithUpserts) {
  auto a = Node();
  ASSERT_TRUE(a->AcquireWriter("http://node-a", 60s).ok());
  WriteBatch first;
  first.Put(Table::kLogLeaves, BigEndian64(0), "entry 0");
  first.Put(Table::kUnique, "rec_a", BigEndian64(0) + std::string(32, 'f') + "=");
  first.Put(Table::kCatalog, "posted/x", "");
  first.Put(Table::kMeta, "tree_size", BigEndian64(1));
  first.MoveLogHead(0, 1);
  ASSERT_TRUE(a->Write(first, true).ok());
  EXPECT_EQ(a->Stats().at("postgres_plain_insert_conflicts_total"), 0);

  WriteBatch second;
  second.Put(Table::kLogLeaves, BigEndian64(0), "entry 0, again");  // exists
  second.Put(Table::kLogLeaves, BigEndian64(1), "entry 1");
  second.Put(Table::kCatalog, "posted/x", "");  // not append-only: an upsert anyway
  second.Put(Table::kMeta, "tree_size", BigEndian64(2));
  second.MoveLogHead(1, 2);
  const Status s = a->Write(second, true);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(a->Stats().at("postgres_plain_insert_conflicts_total"), 1);
  std::string v;
  ASSERT_TRUE(a->Get(Table::kLogLeaves, BigEndian64(0), &v).ok());
  EXPECT_EQ(v, "entry 0, again");
  ASSERT_TRUE(a->Get(Table::kLogLeaves, BigEndian64(1), &v).ok());
  EXPECT_EQ(v, "entry 1");
  EXPECT_EQ(Count("SELECT tree_size FROM log_head"), 2);
  EXPECT_TRUE(a->IsWriter());

  // A batch that does not move the head upserts from the start.
  WriteBatch plain;
  plain.Put(Table::kLogLeaves, BigEndian64(1), "entry 1, rewritten");
  ASSERT_TRUE(a->Write(plain, true).ok());
  EXPECT_EQ(a->Stats().at("postgres_plain_insert_conflicts_total"), 1);
}

// A log stored in the layout "tiles/1" (one row per leaf of the partial tile) is converted to
// runs only by the node holding the writer's lease: another node opening it first gets
// Unavailable and changes nothing (it could otherwise delete entries the writer appended since).
TEST_F(PgKvTest, ATiles1LogIsConvertedToRunsOnlyByTheWriter) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a->AcquireWriter("http://node-a", 60s).ok());
  {
    auto ledger = Ledger::Open(a.get(), key_, "runs.test/log");
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ASSERT_TRUE((*ledger)->AppendSync({Entry("x1"), Entry("x2"), Entry("x3")}).ok());
  }
  ASSERT_EQ(Count("SELECT count(*) FROM log_leaves"), 1);
  // Back to "tiles/1": the run becomes one row per leaf.
  WriteBatch old;
  old.Delete(Table::kLogLeaves, BigEndian64(0));
  for (int i = 0; i < 3; ++i) {
    old.Put(Table::kLogLeaves, BigEndian64(static_cast<uint64_t>(i)),
            R"({"key":"x)" + std::to_string(i + 1) + R"("})");
  }
  old.Put(Table::kMeta, "log_layout", "tiles/1");
  ASSERT_TRUE(a->Write(old, true).ok());

  auto early = Ledger::Open(b.get(), key_, "runs.test/log");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), StatusCode::kUnavailable) << early.status().ToString();
  EXPECT_NE(early.status().message().find("start that node first"), std::string::npos)
      << early.status().message();
  EXPECT_EQ(Count("SELECT count(*) FROM log_leaves"), 3);

  auto writer = Ledger::Open(a.get(), key_, "runs.test/log");
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_EQ(Count("SELECT count(*) FROM log_leaves"), 1);
  std::string layout;
  ASSERT_TRUE(a->Get(Table::kMeta, "log_layout", &layout).ok());
  EXPECT_EQ(layout, "tiles/2");
  EXPECT_EQ((*writer)->Entry(1).value(), R"({"key":"x2"})");
  ASSERT_TRUE((*writer)->AppendSync({Entry("x4")}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM log_leaves"), 2);
  auto follower = Ledger::Open(b.get(), key_, "runs.test/log");
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  EXPECT_EQ((*follower)->Size(), 4u);
  EXPECT_EQ((*follower)->Entry(3).value(), R"({"key":"x4"})");
  EXPECT_TRUE((*follower)->VerifyAll().ok());
}

// A node opening the log while the writer commits group after group (a node added under
// load, or restarted) reads a tree and checkpoint that belong together: the size, the runs and
// the checkpoint are separate reads, so Open retries when they disagree instead of failing
// with DataLoss.
TEST_F(PgKvTest, ANodeOpensTheLogWhileTheWriterAppends) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a->AcquireWriter("http://node-a", 60s).ok());
  auto writer = Ledger::Open(a.get(), key_, "busy.test/log");
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  std::atomic<bool> stop{false};
  std::atomic<int> appended{0};
  std::thread load([&] {
    for (int g = 0; !stop.load(); ++g) {
      std::vector<LogEntry> group;
      for (int k = 0; k < 40; ++k) {
        group.push_back(Entry("g" + std::to_string(g) + "-" + std::to_string(k)));
      }
      if ((*writer)->AppendSync(std::move(group)).ok()) appended.fetch_add(1);
    }
  });
  while (appended.load() < 3) std::this_thread::sleep_for(1ms);
  const int before = appended.load();
  int opened = 0;
  std::string failure;
  for (int i = 0; i < 60 && failure.empty(); ++i) {
    auto follower = Ledger::Open(b.get(), key_, "busy.test/log");
    if (!follower.ok()) {
      failure = follower.status().ToString();
      break;
    }
    ++opened;
    EXPECT_GT((*follower)->Size(), 0u);
    EXPECT_TRUE((*follower)->Entry((*follower)->Size() - 1).ok());
  }
  stop = true;
  load.join();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(opened, 60);
  EXPECT_GT(appended.load(), before) << "the writer appended while the node opened the log";
}

// Under REPEATABLE READ, a write that waited on a row another transaction then changed fails
// with 40001; PgKv runs it again and it succeeds.
TEST_F(PgKvTest, SerializationFailuresAreRetried) {
  PgKvOptions options;
  options.isolation = "repeatable read";
  auto kv = Node(options);
  ASSERT_TRUE(kv);
  WriteBatch first;
  first.Put(Table::kCatalog, "inst/x", "v0");
  ASSERT_TRUE(kv->Write(first, true).ok());

  auto blocker = Raw();
  ASSERT_TRUE(blocker->Exec("BEGIN").ok());
  ASSERT_TRUE(blocker->Exec("UPDATE catalog SET doc = 'other' WHERE key = 'inst/x'").ok());
  auto write = std::async(std::launch::async, [&] {
    WriteBatch b;
    b.Put(Table::kCatalog, "inst/x", "mine");
    return kv->Write(b, true);
  });
  // Commit the blocker once the PgKv transaction waits for its row lock.
  for (int i = 0;
       i < 500 && Count("SELECT count(*) FROM pg_stat_activity WHERE "
                        "wait_event_type = 'Lock' AND datname = current_database()") == 0;
       ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(blocker->Exec("COMMIT").ok());
  Status s = write.get();
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string v;
  ASSERT_TRUE(kv->Get(Table::kCatalog, "inst/x", &v).ok());
  EXPECT_EQ(v, "mine");
  EXPECT_GE(kv->Stats()["postgres_retries_total"], 1.0);
}

// The server drops every session (a restart, an administrator): the next reads and writes open
// new connections and succeed.
TEST_F(PgKvTest, DroppedConnectionsAreReplaced) {
  auto kv = Node();
  WriteBatch batch;
  batch.Put(Table::kCatalog, "inst/a", "1");
  ASSERT_TRUE(kv->Write(batch, true).ok());
  std::string v;
  ASSERT_TRUE(kv->Get(Table::kCatalog, "inst/a", &v).ok());
  EXPECT_GE(Count("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND pid <> pg_backend_pid()) t"),
            1);
  ASSERT_TRUE(kv->Get(Table::kCatalog, "inst/a", &v).ok());
  batch.Put(Table::kCatalog, "inst/b", "2");
  EXPECT_TRUE(kv->Write(batch, true).ok());
  int rows = 0;
  EXPECT_TRUE(kv->Scan(Table::kCatalog, "", "", 10, [&](auto, auto) { return ++rows; }).ok());
  EXPECT_EQ(rows, 2);
}

// A key or value outside its table's grammar refuses the whole batch before anything is sent;
// such a key cannot exist (Get: NotFound); a bound that is not UTF-8 where text is compared is
// refused.
TEST_F(PgKvTest, KeysOutsideTheGrammarRefuseTheBatch) {
  auto kv = Node();
  for (auto bad : {std::pair<Table, std::string>{Table::kLearnerRecords, "no-nul" + BigEndian64(1)},
                   {Table::kLogLeaves, BigEndian64(1ull << 63)},
                   {Table::kCatalog, "\xff\xfe"},
                   {Table::kCatalog, std::string("a\0b", 3)}}) {
    WriteBatch batch;
    batch.Put(Table::kCatalog, "inst/fine", "{}");
    batch.Put(bad.first, bad.second, "rec_1");
    Status s = kv->Write(batch, true);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << HexEncode(bad.second);
    std::string v;
    EXPECT_EQ(kv->Get(bad.first, bad.second, &v).code(), StatusCode::kNotFound);
  }
  WriteBatch bad_value;
  bad_value.Put(Table::kUnique, "rec_1", "too short");
  EXPECT_EQ(kv->Write(bad_value, true).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT count(*) FROM catalog"), 0);
  Status scan = kv->Scan(Table::kCatalog, "\xff", "", 10, [](auto, auto) { return true; });
  EXPECT_EQ(scan.code(), StatusCode::kInvalidArgument);
}

// Rows are typed: SQL sees learner ids as text and leaf indexes as numbers.
TEST_F(PgKvTest, TablesAreTyped) {
  auto kv = Node();
  WriteBatch batch;
  batch.Put(Table::kLearnerRecords, std::string("lrn_张三\0", 11) + BigEndian64(300), "rec_1");
  batch.Put(Table::kRulesets, std::string("tsinghua:cs\0", 12) + std::string("\0\0\1\0", 4),
            BigEndian64(7));
  ASSERT_TRUE(kv->Write(batch, true).ok());
  EXPECT_EQ(Count("SELECT leaf FROM learner_records WHERE learner = 'lrn_张三' AND "
                  "record_id = 'rec_1'"),
            300);
  EXPECT_EQ(Count("SELECT version FROM rulesets WHERE program = 'tsinghua:cs' AND leaf = 7"), 256);
}

// The schema is created once, several nodes may open at once, a database of a newer schema or
// with tables that disagree with the codecs is refused.
TEST_F(PgKvTest, SchemaIsCreatedMigratedAndChecked) {
  std::vector<std::future<bool>> opens;
  for (int i = 0; i < 4; ++i) {
    opens.push_back(std::async(std::launch::async, [&] {
      PgKvOptions o;
      o.dsn = db_.dsn();
      auto kv = PgKv::Open(o);
      EXPECT_TRUE(kv.ok()) << kv.status().ToString();
      return kv.ok();
    }));
  }
  for (auto& f : opens) EXPECT_TRUE(f.get());
  EXPECT_EQ(Count("SELECT CAST(version AS BIGINT) FROM creditbank_schema"), pg::SchemaVersion());

  auto raw = Raw();
  ASSERT_TRUE(raw->Exec("ALTER TABLE objects RENAME COLUMN leaf TO leaf_index").ok());
  PgKvOptions o;
  o.dsn = db_.dsn();
  auto mismatch = PgKv::Open(o);
  ASSERT_EQ(mismatch.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(mismatch.status().message().find("objects"), std::string::npos);
  ASSERT_TRUE(raw->Exec("ALTER TABLE objects RENAME COLUMN leaf_index TO leaf").ok());
  ASSERT_TRUE(raw->Exec("UPDATE creditbank_schema SET version = 999").ok());
  auto newer = PgKv::Open(o);
  ASSERT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("newer"), std::string::npos);
}

// The three DDL files declare the same versions and the same tables.
TEST(PgSchemaTest, DdlFilesAgree) {
  auto tables = [](std::string_view ddl) {
    std::vector<std::string> out;
    const std::string_view marker = "CREATE TABLE IF NOT EXISTS ";
    for (size_t at = ddl.find(marker); at != std::string_view::npos;
         at = ddl.find(marker, at + 1)) {
      size_t name = at + marker.size();
      out.emplace_back(ddl.substr(name, ddl.find(' ', name) - name));
    }
    return out;
  };
  auto pg_tables = tables(pg::DdlOf(pg::Engine::kPostgres));
  EXPECT_EQ(pg_tables.size(), static_cast<size_t>(kTableCount) + 2);  // + lease and head
  EXPECT_EQ(tables(pg::DdlOf(pg::Engine::kCockroach)), pg_tables);
  EXPECT_EQ(tables(pg::DdlOf(pg::Engine::kYugabyte)), pg_tables);
  EXPECT_EQ(pg::DetectEngine("CockroachDB CCL v23.2.1 (x86_64-pc-linux-gnu, ...)"),
            pg::Engine::kCockroach);
  EXPECT_EQ(pg::DetectEngine("PostgreSQL 11.2-YB-2.20.1.0-b0 on x86_64"), pg::Engine::kYugabyte);
  EXPECT_EQ(pg::DetectEngine("PostgreSQL 15.18 (Debian 15.18-0+deb12u1)"), pg::Engine::kPostgres);
}

}  // namespace
}  // namespace lcb
