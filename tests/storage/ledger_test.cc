// The log's commit pipeline against each real store (RocksDB in a temp dir, PostgreSQL in a fresh
// database; tests/storage/kv_backends.h): a group is prepared while the one before it is being
// written, so idempotency and the tree must see unwritten groups, and a failed write must take
// down the groups prepared on top of it and leave no trace.
#include "storage/ledger.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "common/encoding.h"
#include "crypto/sha256.h"
#include "tests/storage/kv_backends.h"

namespace lcb {
namespace {

using ::lcb::testing::StoreUnderTest;
using ::lcb::testing::TempDir;

// A real store whose writes can be made to fail, or to wait, on the test's command.
class FaultyKv final : public Kv {
 public:
  explicit FaultyKv(std::unique_ptr<Kv> inner) : inner_(std::move(inner)) {}
  Status Get(Table t, std::string_view key, std::string* value) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      read_.emplace(key);
    }
    return inner_->Get(t, key, value);
  }
  void ForgetReads() {
    std::lock_guard<std::mutex> lock(mu_);
    read_.clear();
  }
  bool WasRead(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return read_.count(key) > 0;
  }
  Status Write(const WriteBatch& batch, bool sync) override {
    if (hold_next_.exchange(false)) {
      started_.set_value();
      release_.get_future().wait();
    }
    if (fail_.load()) return Status::Unavailable("injected write failure");
    if (fail_after_.load() == 0) return Status::Unavailable("injected write failure");
    if (fail_after_.load() > 0) fail_after_--;
    return inner_->Write(batch, sync);
  }
  Status Scan(Table t, std::string_view start, std::string_view end, size_t limit,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return inner_->Scan(t, start, end, limit, fn);
  }
  Status CreateCheckpoint(const std::string& dir) override { return inner_->CreateCheckpoint(dir); }
  std::map<std::string, double> Stats() override { return inner_->Stats(); }

  void set_fail(bool fail) { fail_ = fail; }
  // Writes fail once `n` more have succeeded (-1: never).
  void FailAfter(int n) { fail_after_ = n; }
  // The next Write signals `started` and then waits for Release().
  std::future<void> HoldNextWrite() {
    started_ = std::promise<void>();
    release_ = std::promise<void>();
    hold_next_ = true;
    return started_.get_future();
  }
  void Release() { release_.set_value(); }

 private:
  std::unique_ptr<Kv> inner_;
  std::atomic<bool> fail_{false};
  std::atomic<bool> hold_next_{false};
  std::atomic<int> fail_after_{-1};
  std::promise<void> started_, release_;
  std::mutex mu_;
  std::set<std::string> read_;
};

LogEntry Entry(const std::string& key, const std::string& content = "") {
  LogEntry e;
  e.id = "obj_" + key;
  e.unique_key = "u/" + key;
  e.bytes = R"({"key":")" + key + R"(","content":")" + content + R"("})";
  Hash fp = Sha256(content);
  e.fingerprint.assign(reinterpret_cast<const char*>(fp.data()), fp.size());
  e.conflict_pointer = "/key";
  return e;
}

class LedgerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { LCB_STORE_OR_SKIP(store_); }
  void Open() {
    auto kv = store_.Open();
    ASSERT_TRUE(kv.ok()) << kv.status().ToString();
    kv_ = std::make_unique<FaultyKv>(std::move(*kv));
    auto ledger = Ledger::Open(kv_.get(), key_, "ledger.test/log");
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(*ledger);
  }
  void Close() {
    ledger_.reset();
    kv_.reset();
  }
  // Appends without waiting; the result arrives in the returned future.
  std::future<StatusOr<AppendResult>> AppendAsync(std::vector<LogEntry> entries) {
    auto promise = std::make_shared<std::promise<StatusOr<AppendResult>>>();
    auto future = promise->get_future();
    ledger_->Append(std::move(entries),
                    [promise](StatusOr<AppendResult> r) { promise->set_value(std::move(r)); });
    return future;
  }

  StoreUnderTest store_{GetParam()};
  std::shared_ptr<const Ed25519Key> key_ = std::make_shared<Ed25519Key>(Ed25519Key::Generate());
  std::unique_ptr<FaultyKv> kv_;
  std::unique_ptr<Ledger> ledger_;
};

// Eight threads post overlapping keys (some with different content) in many small requests, so
// retries land in the group being prepared, the group being written, and the store. Oracle:
// every key has one leaf, every success for a key reports that leaf, a different content under
// a used key is refused, and the stored entry at each leaf is the key's first content.
TEST_P(LedgerTest, RetriesAcrossPipelinedGroupsKeepOneLeafPerKey) {
  Open();
  std::mutex mu;
  std::map<std::string, std::set<uint64_t>> leaves_of;  // key -> leaves reported
  std::map<std::string, std::string> content_of;        // key -> content that won
  std::atomic<int> conflicts{0}, successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
      for (int i = 0; i < 150; ++i) {
        std::vector<LogEntry> entries;
        std::set<int> used;
        for (int k = 0; k < 10; ++k) {
          int n = static_cast<int>(rng() % 400);
          if (!used.insert(n).second) continue;
          // Content "a" mostly; "b" for a few posts, which conflict if "a" won.
          entries.push_back(Entry("k" + std::to_string(n), rng() % 50 == 0 ? "b" : "a"));
        }
        std::vector<std::pair<std::string, std::string>> posted;
        for (const auto& e : entries) {
          posted.emplace_back(e.unique_key, e.bytes.substr(e.bytes.find("content")));
        }
        auto r = ledger_->AppendSync(std::move(entries));
        if (!r.ok()) {
          EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists) << r.status().ToString();
          conflicts++;
          continue;
        }
        successes++;
        std::lock_guard<std::mutex> lock(mu);
        for (size_t j = 0; j < r->entries.size(); ++j) {
          leaves_of[posted[j].first].insert(r->entries[j].leaf_index);
          if (!r->entries[j].existed) {
            EXPECT_TRUE(content_of.emplace(posted[j].first, posted[j].second).second)
                << posted[j].first << " appended twice";
          } else {
            EXPECT_EQ(content_of.count(posted[j].first) ? content_of[posted[j].first] : posted[j].second,
                      posted[j].second)
                << "a retry with other content was accepted for " << posted[j].first;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(successes.load(), 0);
  EXPECT_GT(conflicts.load(), 0);
  std::set<uint64_t> all;
  for (const auto& [key, leaves] : leaves_of) {
    ASSERT_EQ(leaves.size(), 1u) << key << " was reported at several leaves";
    EXPECT_TRUE(all.insert(*leaves.begin()).second) << "two keys share leaf " << *leaves.begin();
  }
  EXPECT_EQ(ledger_->Size(), all.size());
  for (const auto& [key, leaves] : leaves_of) {
    auto bytes = ledger_->Entry(*leaves.begin());
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    EXPECT_NE(bytes->find(R"("key":")" + key.substr(2) + "\""), std::string::npos);
    EXPECT_NE(bytes->find(content_of[key]), std::string::npos);
  }
  EXPECT_TRUE(ledger_->VerifyAll().ok());
  uint64_t size = ledger_->Size();
  std::string checkpoint = ledger_->LatestCheckpoint();
  Close();
  Open();
  EXPECT_EQ(ledger_->Size(), size);
  EXPECT_EQ(ledger_->LatestCheckpoint(), checkpoint);
  EXPECT_TRUE(ledger_->VerifyAll().ok());
}

// Group A's write fails after group B was prepared on top of it: both fail, nothing of either is
// stored, and the next group continues the tree from before A.
// A record's idempotency row says "=" for an id equal to its key instead of repeating it;
// rows written before (the id in full) read the same: the record is found by id, a retry
// names it and other content under its key is a conflict.
TEST_P(LedgerTest, ARecordsIdempotencyRowNamesItsIdOnceAndOldRowsStillRead) {
  Open();
  LogEntry rec = Entry("r");
  rec.id = rec.unique_key = "rec_0123456789abcdef01234567";
  const LogEntry retry = rec;
  auto first = AppendAsync({rec, Entry("other")}).get();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  std::string row;
  ASSERT_TRUE(kv_->Get(Table::kUnique, rec.unique_key, &row).ok());
  EXPECT_EQ(row.size(), 41u);
  EXPECT_EQ(row.substr(40), "=");
  std::string other;
  ASSERT_TRUE(kv_->Get(Table::kUnique, "u/other", &other).ok());
  EXPECT_EQ(other.substr(40), "obj_other");  // an id unlike its key is kept
  for (int round = 0; round < 2; ++round) {
    auto leaf = ledger_->ObjectIndex(rec.id);
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    EXPECT_EQ(*leaf, 0u);
    auto again = AppendAsync({retry}).get();
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_TRUE(again->entries[0].existed);
    EXPECT_EQ(again->entries[0].id, rec.id);
    EXPECT_EQ(again->entries[0].leaf_index, 0u);
    LogEntry changed = Entry("r", "changed");
    changed.id = changed.unique_key = rec.id;
    EXPECT_EQ(AppendAsync({changed}).get().status().code(), StatusCode::kAlreadyExists);
    // Round 2 reads the row as a store from before "=" holds it.
    WriteBatch old;
    old.Put(Table::kUnique, rec.unique_key, row.substr(0, 40) + rec.id);
    ASSERT_TRUE(kv_->Write(old, true).ok());
    Close();
    Open();
  }
  EXPECT_EQ(ledger_->Size(), 2u);
}

TEST_P(LedgerTest, FailedWriteFailsTheGroupsPreparedOnTopAndLeavesNoTrace) {
  Open();
  ASSERT_TRUE(ledger_->AppendSync({Entry("first", "a")}).ok());
  uint64_t size_before = ledger_->Size();
  std::string checkpoint_before = ledger_->LatestCheckpoint();

  std::future<void> a_writing = kv_->HoldNextWrite();
  auto a = AppendAsync({Entry("a1", "a"), Entry("a2", "a")});
  a_writing.wait();  // A is in the writer's hands; B is prepared on top of it
  kv_->ForgetReads();
  auto b = AppendAsync({Entry("b1", "a"), Entry("a1", "a")});  // B retries one of A's keys
  // B's preparation has begun (its idempotency lookup of b1 reached the store; a1 was found
  // among A's unwritten keys) while A's write is held.
  for (int i = 0; i < 5000 && !kv_->WasRead("u/b1"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(kv_->WasRead("u/b1"));
  EXPECT_FALSE(kv_->WasRead("u/a1")) << "A's unwritten key was looked up in the store";
  kv_->set_fail(true);
  kv_->Release();
  auto ra = a.get();
  auto rb = b.get();
  ASSERT_FALSE(ra.ok());
  EXPECT_EQ(ra.status().code(), StatusCode::kUnavailable);
  ASSERT_FALSE(rb.ok());
  EXPECT_EQ(rb.status().code(), StatusCode::kUnavailable) << rb.status().ToString();
  EXPECT_NE(rb.status().message().find("earlier commit group"), std::string::npos)
      << rb.status().ToString();
  EXPECT_EQ(ledger_->Size(), size_before);
  EXPECT_EQ(ledger_->LatestCheckpoint(), checkpoint_before);
  // One write was attempted and failed (A's); B was never written, so it is not counted.
  EXPECT_EQ(ledger_->Stats().failed_writes, 1u);

  kv_->set_fail(false);
  auto rc = ledger_->AppendSync({Entry("a1", "a"), Entry("c1", "a")});
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  EXPECT_FALSE(rc->entries[0].existed) << "a key of the failed group was remembered";
  EXPECT_EQ(rc->entries[0].leaf_index, size_before);
  EXPECT_EQ(rc->entries[1].leaf_index, size_before + 1);
  EXPECT_EQ(rc->tree_size, size_before + 2);
  auto retry = ledger_->AppendSync({Entry("a1", "a")});
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->entries[0].existed);
  EXPECT_EQ(retry->entries[0].leaf_index, size_before);
  std::string value;
  EXPECT_EQ(kv_->Get(Table::kUnique, "u/a2", &value).code(), StatusCode::kNotFound);
  EXPECT_EQ(kv_->Get(Table::kUnique, "u/b1", &value).code(), StatusCode::kNotFound);
  EXPECT_TRUE(ledger_->VerifyAll().ok());
  uint64_t size = ledger_->Size();
  Close();
  Open();
  EXPECT_EQ(ledger_->Size(), size);
  EXPECT_TRUE(ledger_->VerifyAll().ok());
  auto proof = ledger_->ConsistencyProof(size_before, size);
  EXPECT_TRUE(proof.ok());
}

// A request retries an entry that another request of the same group adds, and the group's
// write fails: the retry is failed too (its leaf was never written), not answered with a leaf
// beyond the tree.
TEST_P(LedgerTest, RetryInAFailedGroupFailsToo) {
  Open();
  ASSERT_TRUE(ledger_->AppendSync({Entry("base", "a")}).ok());
  const uint64_t size = ledger_->Size();
  // Group 0 is held in the writer and group 1 waits in the slot, so A and B queue up and are
  // prepared together as group 2, whose write fails.
  std::future<void> g0_writing = kv_->HoldNextWrite();
  auto g0 = AppendAsync({Entry("g0", "a")});
  g0_writing.wait();
  kv_->ForgetReads();
  auto g1 = AppendAsync({Entry("g1", "a")});
  for (int i = 0; i < 5000 && !kv_->WasRead("u/g1"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(kv_->WasRead("u/g1"));
  auto a = AppendAsync({Entry("shared", "a")});
  auto b = AppendAsync({Entry("shared", "a")});
  kv_->FailAfter(2);  // groups 0 and 1 are written, group 2 fails
  kv_->Release();
  ASSERT_TRUE(g0.get().ok());
  ASSERT_TRUE(g1.get().ok());
  auto ra = a.get();
  auto rb = b.get();
  EXPECT_EQ(ra.status().code(), StatusCode::kUnavailable) << ra.status().ToString();
  EXPECT_EQ(rb.status().code(), StatusCode::kUnavailable) << rb.status().ToString();
  EXPECT_EQ(ledger_->Size(), size + 2);
  kv_->FailAfter(-1);
  auto again = ledger_->AppendSync({Entry("shared", "a")});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->entries[0].existed);
  EXPECT_EQ(again->entries[0].leaf_index, size + 2);
  EXPECT_TRUE(ledger_->VerifyAll().ok());
}

// A write fails while nothing else is queued: the next request, arriving later, is prepared on
// the last written tree and succeeds at once (it is not failed as built on the failed group).
TEST_P(LedgerTest, RequestAfterAnIdleFailedWriteSucceeds) {
  Open();
  ASSERT_TRUE(ledger_->AppendSync({Entry("before", "a")}).ok());
  kv_->set_fail(true);
  auto failed = ledger_->AppendSync({Entry("lost", "a")});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  kv_->set_fail(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the log is idle
  auto next = ledger_->AppendSync({Entry("after", "a")});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->entries[0].leaf_index, 1u);
  EXPECT_EQ(ledger_->Size(), 2u);
  EXPECT_TRUE(ledger_->VerifyAll().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerTest, ::testing::Values("rocksdb", "postgres"),
                         ::lcb::testing::BackendName);

// RocksDB only: the idempotency table uses a hashed memtable, and exact reads, and scans in key
// order, must hold both from the memtable and after a flush to table files.
TEST(RocksKvTest, IdempotencyRowsReadAndScanInOrder) {
  TempDir dir;
  auto kv = OpenRocksKv(dir.sub("kv"));
  ASSERT_TRUE(kv.ok());
  std::vector<std::string> keys;
  WriteBatch batch;
  for (int i = 0; i < 2000; ++i) {
    std::string key = "rec_" + HashHex(Sha256(std::to_string(i))).substr(0, 24);
    if (i % 10 == 0) key = "r" + std::to_string(i);  // shorter than the hashed prefix
    keys.push_back(key);
    batch.Put(Table::kUnique, key, "v" + std::to_string(i));
  }
  ASSERT_TRUE((*kv)->Write(batch, true).ok());
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < keys.size(); ++i) {
      std::string value;
      ASSERT_TRUE((*kv)->Get(Table::kUnique, keys[i], &value).ok()) << keys[i];
      EXPECT_EQ(value, "v" + std::to_string(i));
    }
    std::string missing;
    EXPECT_EQ((*kv)->Get(Table::kUnique, "rec_nothere", &missing).code(), StatusCode::kNotFound);
    // The batched read (the Ledger's idempotency lookups) agrees, absent keys included.
    std::vector<std::string> asked = keys;
    asked.insert(asked.begin() + 7, "rec_nothere");
    std::vector<std::optional<std::string>> values;
    ASSERT_TRUE((*kv)->MultiGet(Table::kUnique, asked, &values).ok());
    ASSERT_EQ(values.size(), asked.size());
    for (size_t i = 0; i < asked.size(); ++i) {
      if (i == 7) {
        EXPECT_FALSE(values[i].has_value());
      } else {
        ASSERT_TRUE(values[i].has_value()) << asked[i];
        EXPECT_EQ(*values[i], "v" + std::to_string(i < 7 ? i : i - 1));
      }
    }
    std::vector<std::string> scanned;
    ASSERT_TRUE((*kv)->Scan(Table::kUnique, "", "", SIZE_MAX, [&](std::string_view k, std::string_view) {
                       scanned.emplace_back(k);
                       return true;
                     }).ok());
    EXPECT_EQ(scanned, sorted);
    // A checkpoint flushes the memtables: the second round reads table files.
    ASSERT_TRUE((*kv)->CreateCheckpoint(dir.sub("copy" + std::to_string(round))).ok());
  }
}

}  // namespace
}  // namespace lcb
