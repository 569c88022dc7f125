// The Kv conformance suite: every behaviour of storage/kv.h that the bank relies on, run against
// each real store (RocksDB and PostgreSQL; kv_backends.h). Oracle: a std::map per table in
// byte order. Keys of typed tables follow their grammars (storage/pg_codec.h); kMeta takes any
// bytes on both stores.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "common/encoding.h"
#include "storage/pg_codec.h"
#include "tests/storage/kv_backends.h"

namespace lcb {
namespace {

using ::lcb::testing::StoreUnderTest;

std::string Key2(std::string_view a, std::string_view b) {
  std::string k(a);
  k.push_back('\0');
  k.append(b);
  return k;
}

std::string Be32(uint32_t v) { return BigEndian64(v).substr(4); }

std::string Hash32(uint64_t seed) {
  Hash h = Sha256(std::to_string(seed));
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

using Rows = std::map<std::string, std::string>;

class KvTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LCB_STORE_OR_SKIP(store_);
    auto kv = store_.Open();
    ASSERT_TRUE(kv.ok()) << kv.status().ToString();
    kv_ = std::move(kv).value();
  }

  Rows ScanAll(Table t, std::string_view start = "", std::string_view end = "",
               size_t limit = SIZE_MAX) {
    Rows out;
    Status s = kv_->Scan(t, start, end, limit, [&](std::string_view k, std::string_view v) {
      EXPECT_TRUE(out.emplace(k, v).second) << "key visited twice";
      EXPECT_EQ(out.rbegin()->first, std::string(k)) << "out of order";
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // Asks `keys` with MultiGet and each with Get: the answers must agree. How many were found.
  size_t MultiGetAgreesWithGet(Table t, const std::vector<std::string>& keys);

  void WriteAll(Table t, const Rows& rows) {
    WriteBatch batch;
    for (const auto& [k, v] : rows) batch.Put(t, k, v);
    Status s = kv_->Write(batch, true);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Every [start, end) from the candidates (each bound acceptable to the SQL mapping: text
  // parts in UTF-8), with several limits, against the oracle.
  void CheckBounds(Table t, const Rows& oracle, std::vector<std::string> candidates, int pairs) {
    const pg::TableCodec& codec = pg::CodecOf(t);
    std::vector<std::string> bounds;
    for (auto& b : candidates) {
      if (pg::LowerBound(codec, b).ok()) bounds.push_back(std::move(b));
    }
    ASSERT_GT(bounds.size(), 10u);
    std::mt19937 rng(static_cast<unsigned>(t) + 17);
    for (int i = 0; i < pairs; ++i) {
      const std::string& start = bounds[rng() % bounds.size()];
      const std::string& end = i % 5 == 0 ? std::string() : bounds[rng() % bounds.size()];
      const size_t limit = i % 3 == 0 ? SIZE_MAX : rng() % 6;
      std::vector<std::string> want, got;
      for (auto it = oracle.lower_bound(start); it != oracle.end() && want.size() < limit; ++it) {
        if (!end.empty() && it->first >= end) break;
        want.push_back(it->first);
      }
      Status s = kv_->Scan(t, start, end, limit, [&](std::string_view k, std::string_view v) {
        got.emplace_back(k);
        EXPECT_EQ(oracle.at(got.back()), std::string(v));
        return true;
      });
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_EQ(got, want) << TableName(t) << " [" << HexEncode(start) << ", " << HexEncode(end)
                           << ") limit " << limit;
    }
  }

  StoreUnderTest store_{GetParam()};
  std::unique_ptr<Kv> kv_;
};

TEST_P(KvTest, MissingKeysAreNotFound) {
  std::string value = "untouched";
  EXPECT_EQ(kv_->Get(Table::kCatalog, "inst/none", &value).code(), StatusCode::kNotFound);
  EXPECT_EQ(kv_->Get(Table::kLogLeaves, BigEndian64(7), &value).code(), StatusCode::kNotFound);
  EXPECT_EQ(kv_->Get(Table::kLearnerRecords, Key2("lrn", BigEndian64(1)), &value).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(kv_->Get(Table::kMeta, std::string("\0\xff", 2), &value).code(), StatusCode::kNotFound);
  EXPECT_TRUE(ScanAll(Table::kCatalog).empty());
}

TEST_P(KvTest, PutOverwriteAndDelete) {
  WriteBatch batch;
  batch.Put(Table::kCatalog, "inst/a", "one");
  batch.Put(Table::kObjects, "conv_1", BigEndian64(42));
  batch.Put(Table::kStatus, "rec_1", "rev_1");
  batch.Put(Table::kCatalog, "inst/empty", "");
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  std::string v;
  ASSERT_TRUE(kv_->Get(Table::kCatalog, "inst/a", &v).ok());
  EXPECT_EQ(v, "one");
  ASSERT_TRUE(kv_->Get(Table::kObjects, "conv_1", &v).ok());
  EXPECT_EQ(v, BigEndian64(42));
  ASSERT_TRUE(kv_->Get(Table::kCatalog, "inst/empty", &v).ok());
  EXPECT_EQ(v, "");  // an empty value is a value, not an absence

  batch.Clear();
  batch.Put(Table::kCatalog, "inst/a", "two");
  batch.Delete(Table::kStatus, "rec_1");
  batch.Delete(Table::kStatus, "rec_never_written");
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  ASSERT_TRUE(kv_->Get(Table::kCatalog, "inst/a", &v).ok());
  EXPECT_EQ(v, "two");
  EXPECT_EQ(kv_->Get(Table::kStatus, "rec_1", &v).code(), StatusCode::kNotFound);
}

size_t KvTest::MultiGetAgreesWithGet(Table t, const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> got;
  const Status many = kv_->MultiGet(t, keys, &got);
  EXPECT_TRUE(many.ok()) << many.ToString();
  EXPECT_EQ(got.size(), keys.size());
  if (!many.ok() || got.size() != keys.size()) return 0;
  size_t present = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string value;
    const Status one = kv_->Get(t, keys[i], &value);
    EXPECT_EQ(one.ok(), got[i].has_value()) << HexEncode(keys[i]) << ": " << one.ToString();
    if (one.ok() && got[i]) {
      EXPECT_EQ(*got[i], value);
      ++present;
    }
  }
  return present;
}

// MultiGet answers what Get answers, key by key and in order: present, absent, a key no row of
// the table can have, and more keys than one SQL pipeline carries (PgKv::kMaxRowsPerStatement).
TEST_P(KvTest, MultiGetEqualsGetOneByOne) {
  WriteBatch batch;
  for (int i = 0; i < 1200; i += 2) {
    batch.Put(Table::kObjects, "rec_" + std::to_string(i), BigEndian64(static_cast<uint64_t>(i)));
  }
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  std::vector<std::string> keys;
  for (int i = 0; i < 1300; ++i) keys.push_back("rec_" + std::to_string((i * 7919) % 1300));
  keys.push_back("rec_0");                                    // asked twice
  keys.insert(keys.begin() + 3, std::string("\xff\x00", 2));  // not a key of this grammar
  EXPECT_EQ(MultiGetAgreesWithGet(Table::kObjects, keys), 601u);  // the 600 written, rec_0 twice
  std::vector<std::optional<std::string>> none;
  ASSERT_TRUE(kv_->MultiGet(Table::kObjects, {}, &none).ok());
  EXPECT_TRUE(none.empty());
}

// The same for a table with a composite key (learner, leaf), two columns on PostgreSQL.
TEST_P(KvTest, MultiGetOfCompositeKeysEqualsGetOneByOne) {
  WriteBatch batch;
  for (int i = 0; i < 700; i += 3) {
    batch.Put(Table::kLearnerRecords, Key2("lrn_" + std::to_string(i % 7), BigEndian64(i)),
              "rec_" + std::to_string(i));
  }
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  std::vector<std::string> keys;
  for (int i = 0; i < 700; ++i) {
    keys.push_back(Key2("lrn_" + std::to_string(i % 7), BigEndian64(i)));
    keys.push_back(Key2("lrn_" + std::to_string((i + 1) % 7), BigEndian64(i)));  // other learner
  }
  keys.push_back(keys.front());  // asked twice
  // The 234 written keys, and the first twice.
  EXPECT_EQ(MultiGetAgreesWithGet(Table::kLearnerRecords, keys), 235u);
}

// One-column keys of every SQL type (bigint, bytea with NUL and 0xff bytes, text with
// multi-byte UTF-8): on PostgreSQL, MultiGet sends them as one array parameter.
TEST_P(KvTest, MultiGetOfEveryOneColumnKeyTypeEqualsGetOneByOne) {
  WriteBatch batch;
  std::vector<std::string> leaves, metas, ids;
  for (uint64_t i = 0; i < 40; ++i) {
    leaves.push_back(BigEndian64(i * 1000003));
    metas.push_back(std::string("m\0\xff", 3) + std::to_string(i));
    ids.push_back("学分_" + std::to_string(i) + "_é");
    if (i % 3 == 0) continue;  // every third one absent
    batch.Put(Table::kLogLeaves, leaves.back(), "entry " + std::to_string(i));
    batch.Put(Table::kMeta, metas.back(), std::string("v\0", 2) + std::to_string(i));
    batch.Put(Table::kObjects, ids.back(), BigEndian64(i));
  }
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  leaves.push_back(leaves[1]);  // asked twice
  EXPECT_EQ(MultiGetAgreesWithGet(Table::kLogLeaves, leaves), 27u);
  EXPECT_EQ(MultiGetAgreesWithGet(Table::kMeta, metas), 26u);
  EXPECT_EQ(MultiGetAgreesWithGet(Table::kObjects, ids), 26u);
}

// Within a batch the operations on one key apply in order: the last one wins.
TEST_P(KvTest, LastOperationOnAKeyWins) {
  WriteBatch batch;
  batch.Put(Table::kCatalog, "k", "1");
  batch.Put(Table::kCatalog, "k", "2");
  batch.Delete(Table::kCatalog, "k");
  batch.Put(Table::kCatalog, "k", "3");
  batch.Put(Table::kCatalog, "gone", "x");
  batch.Delete(Table::kCatalog, "gone");
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  EXPECT_EQ(ScanAll(Table::kCatalog), (Rows{{"k", "3"}}));
}

// A range delete applies in its place in the batch: rows written before it in the same batch
// and already stored rows in [begin, end) go, rows written after it stay (the log drops a
// tile's leaf rows in the batch that writes its bundle). Oracle: a map with the same edits.
TEST_P(KvTest, RangeDeletesApplyInTheirPlace) {
  Rows oracle;
  WriteBatch batch;
  for (uint64_t i = 0; i < 600; ++i) {
    batch.Put(Table::kLogLeaves, BigEndian64(i), "leaf" + std::to_string(i));
    oracle[BigEndian64(i)] = "leaf" + std::to_string(i);
  }
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  batch.Clear();
  batch.Put(Table::kLogLeaves, BigEndian64(700), "new before");  // in range: deleted
  batch.Put(Table::kLogLeaves, BigEndian64(1000), "kept");       // past the range
  batch.DeleteRange(Table::kLogLeaves, BigEndian64(256), BigEndian64(768));
  batch.Put(Table::kLogLeaves, BigEndian64(300), "after");  // after the range delete: stays
  batch.Put(Table::kLogBundles, BigEndian64(1), "bundle");
  batch.Put(Table::kLogTiles, std::string(1, '\0') + BigEndian64(1), "tile");
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  for (auto it = oracle.lower_bound(BigEndian64(256)); it != oracle.end();) {
    it = it->first < BigEndian64(768) ? oracle.erase(it) : std::next(it);
  }
  oracle[BigEndian64(1000)] = "kept";
  oracle[BigEndian64(300)] = "after";
  EXPECT_EQ(ScanAll(Table::kLogLeaves), oracle);
  EXPECT_EQ(ScanAll(Table::kLogBundles), (Rows{{BigEndian64(1), "bundle"}}));
  EXPECT_EQ(ScanAll(Table::kLogTiles), (Rows{{std::string(1, '\0') + BigEndian64(1), "tile"}}));
  // An empty range deletes nothing.
  batch.Clear();
  batch.DeleteRange(Table::kLogLeaves, BigEndian64(10), BigEndian64(10));
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  EXPECT_EQ(ScanAll(Table::kLogLeaves), oracle);
}

// Readers see all of a batch or none of it: a writer rewrites 60 rows of one table (and rows of
// others) to the same generation while readers scan the table, each scan in one snapshot.
TEST_P(KvTest, BatchesAreAtomic) {
  std::atomic<bool> done{false};
  std::atomic<int> scans{0};
  std::thread writer([&] {
    for (int gen = 0; gen < 40; ++gen) {
      WriteBatch batch;
      for (int i = 0; i < 60; ++i) {
        batch.Put(Table::kGrants, Key2("lrn_" + std::to_string(i), "inst"), std::to_string(gen));
      }
      batch.Put(Table::kAdminLog, BigEndian64(static_cast<uint64_t>(gen)), "gen");
      Status s = kv_->Write(batch, true);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        std::set<std::string> generations;
        size_t rows = 0;
        Status s = kv_->Scan(Table::kGrants, "", "", SIZE_MAX, [&](auto, std::string_view v) {
          generations.emplace(v);
          ++rows;
          return true;
        });
        ASSERT_TRUE(s.ok()) << s.ToString();
        EXPECT_TRUE(rows == 0 || rows == 60) << rows << " rows: part of a batch";
        EXPECT_LE(generations.size(), 1u) << "rows of two batches in one scan";
        scans++;
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_GT(scans.load(), 0);
  EXPECT_EQ(ScanAll(Table::kAdminLog).size(), 40u);
}

// Scans in key order with every kind of bound (prefixes, keys, keys plus bytes, bytes past the
// end), limits and early stops, on composite keys whose parts are text and big-endian numbers.
TEST_P(KvTest, ScanOrderBoundsAndLimits) {
  const std::vector<std::string> learners = {"",       "a",     "ab",   "abc",   "b", "lrn_1",
                                             "lrn_10", "lrn_2", "张三", "a\x7f", "z"};
  const std::vector<uint64_t> leaves = {
      0, 1, 255, 256, 65535, 1ull << 32, (1ull << 62) + 5, (1ull << 63) - 1};
  Rows records, rulesets, grants;
  for (const auto& l : learners) {
    for (uint64_t leaf : leaves)
      records[Key2(l, BigEndian64(leaf))] = "rec_" + std::to_string(leaf);
    for (uint32_t v : {0u, 1u, 2u, 255u, 0x01000000u, 0xffffffffu}) {
      rulesets[Key2("prog/" + l, Be32(v))] = BigEndian64(v);
    }
    for (const char* inst : {"", "x", "xy", "y"}) grants[Key2(l, inst)] = "{}";
  }
  WriteAll(Table::kLearnerRecords, records);
  WriteAll(Table::kRulesets, rulesets);
  WriteAll(Table::kGrants, grants);
  EXPECT_EQ(ScanAll(Table::kLearnerRecords), records);
  EXPECT_EQ(ScanAll(Table::kRulesets), rulesets);
  EXPECT_EQ(ScanAll(Table::kGrants), grants);

  for (auto [table, oracle] :
       {std::pair{Table::kLearnerRecords, &records}, std::pair{Table::kRulesets, &rulesets},
        std::pair{Table::kGrants, &grants}}) {
    std::vector<std::string> candidates = {"", std::string(1, '\0'), "\x01", "\x7f"};
    for (const auto& [k, v] : *oracle) {
      for (size_t cut = 0; cut <= k.size(); ++cut) candidates.push_back(k.substr(0, cut));
      candidates.push_back(k + std::string(1, '\0'));
      candidates.push_back(k + "\x01");
      candidates.push_back(k + "\xff");
    }
    for (const auto& l : learners) {
      candidates.push_back(l + "\x01");  // the end of a learner's prefix, as the bank scans
      candidates.push_back(Key2(l, BigEndian64(1ull << 63)));  // beyond every leaf
      candidates.push_back(Key2(l, "\x80"));
    }
    CheckBounds(table, *oracle, std::move(candidates), 1500);
  }

  // A callback that stops early ends the scan.
  int seen = 0;
  ASSERT_TRUE(
      kv_->Scan(Table::kLearnerRecords, "", "", SIZE_MAX, [&](auto, auto) { return ++seen < 3; })
          .ok());
  EXPECT_EQ(seen, 3);
}

// Scans longer than one page of the SQL store (keyset pagination) visit every row once.
TEST_P(KvTest, LongScansVisitEveryRowOnce) {
  Rows leaves;
  for (uint64_t i = 0; i < 5000; ++i) leaves[BigEndian64(i * 3)] = "e" + std::to_string(i);
  WriteAll(Table::kLogLeaves, leaves);
  EXPECT_EQ(ScanAll(Table::kLogLeaves), leaves);
  Rows part = ScanAll(Table::kLogLeaves, BigEndian64(301), BigEndian64(9000), 2100);
  ASSERT_EQ(part.size(), 2100u);
  EXPECT_EQ(part.begin()->first, BigEndian64(303));
}

// Any bytes as keys and values where the table takes them (kMeta), in byte order (0x00 first,
// 0xff last, a prefix before its extensions).
TEST_P(KvTest, BinaryKeysAndValues) {
  Rows meta;
  std::mt19937 rng(5);
  for (int i = 0; i < 300; ++i) {
    std::string k(1 + rng() % 12, '\0');
    for (char& c : k) c = static_cast<char>(rng() % 4 == 0 ? 0xff : rng() % 4 == 0 ? 0 : rng());
    std::string v(rng() % 40, '\0');
    for (char& c : v) c = static_cast<char>(rng());
    meta[k] = v;
  }
  meta[std::string("\0", 1)] = std::string("\0\0", 2);
  meta["\xff\xff"] = "\xff";
  meta["a"] = "";
  meta[std::string("a\0", 2)] = "nul";
  WriteAll(Table::kMeta, meta);
  EXPECT_EQ(ScanAll(Table::kMeta), meta);
  for (const auto& [k, v] : meta) {
    std::string got;
    ASSERT_TRUE(kv_->Get(Table::kMeta, k, &got).ok()) << HexEncode(k);
    EXPECT_EQ(got, v);
  }
  std::vector<std::string> candidates = {"", "\xff", std::string(1, '\0')};
  for (const auto& [k, v] : meta) {
    candidates.push_back(k);
    candidates.push_back(k.substr(0, k.size() / 2));
    candidates.push_back(k + std::string(1, '\0'));
  }
  CheckBounds(Table::kMeta, meta, std::move(candidates), 1000);

  // Typed binary parts: big-endian numbers with 0x00 and 0xff bytes, 32-byte hashes.
  Rows nodes;
  for (uint64_t n : {0ull, 0xffull, 0xff00ull, 0x00ff00ff00ff00ffull, 0x7fffffffffffffffull}) {
    nodes[BigEndian64(n)] = Hash32(n);
  }
  WriteAll(Table::kLogNodes, nodes);
  EXPECT_EQ(ScanAll(Table::kLogNodes), nodes);
}

TEST_P(KvTest, LargeValues) {
  std::string one_mib(1 << 20, '\0'), sixteen_mib(16 << 20, '\0');
  std::mt19937 rng(9);
  for (char& c : one_mib) c = static_cast<char>(rng());
  for (size_t i = 0; i < sixteen_mib.size(); i += 4096) sixteen_mib[i] = static_cast<char>(rng());
  WriteBatch batch;
  batch.Put(Table::kLogLeaves, BigEndian64(1), one_mib);
  batch.Put(Table::kMeta, "big", sixteen_mib);
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  std::string v;
  ASSERT_TRUE(kv_->Get(Table::kLogLeaves, BigEndian64(1), &v).ok());
  EXPECT_TRUE(v == one_mib);
  ASSERT_TRUE(kv_->Get(Table::kMeta, "big", &v).ok());
  EXPECT_TRUE(v == sixteen_mib);
}

// Large batches (a commit group's thousands of rows) and concurrent writers.
TEST_P(KvTest, LargeBatchesAndConcurrentWriters) {
  Rows unique;
  WriteBatch batch;
  for (int i = 0; i < 1537; ++i) {  // 3 x 512 + 1: full statements and a remainder
    std::string key = "rec_" + HashHex(Sha256(std::to_string(i))).substr(0, 24);
    std::string value = BigEndian64(static_cast<uint64_t>(i)) + Hash32(i) + key;
    batch.Put(Table::kUnique, key, value);
    unique[key] = value;
  }
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  EXPECT_EQ(ScanAll(Table::kUnique), unique);

  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 25; ++i) {
        WriteBatch b;
        b.Put(Table::kTokens, "i/" + std::to_string(w) + "/" + std::to_string(i), "h");
        Status s = kv_->Write(b, true);
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(ScanAll(Table::kTokens).size(), 100u);
}

// CreateCheckpoint makes a consistent copy that opens as a RocksDB store with the same rows
// (RocksDB: a checkpoint; PostgreSQL: a logical export of one snapshot).
TEST_P(KvTest, CheckpointIsAnOpenableCopy) {
  Rows catalog = {{"inst/a", "A"}, {"unit/a:1", "U"}};
  Rows records = {{Key2("lrn", BigEndian64(3)), "rec_3"}, {Key2("lrn", BigEndian64(9)), "rec_9"}};
  WriteAll(Table::kCatalog, catalog);
  WriteAll(Table::kLearnerRecords, records);
  WriteAll(Table::kMeta, {{"tree_size", BigEndian64(10)}});
  const std::string dir = store_.Sub("copy");
  Status s = kv_->CreateCheckpoint(dir);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(kv_->CreateCheckpoint(dir).ok()) << "the directory must not exist";
  WriteAll(Table::kCatalog, {{"inst/later", "not in the copy"}});
  auto copy = OpenRocksKv(dir);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  std::swap(kv_, *copy);
  EXPECT_EQ(ScanAll(Table::kCatalog), catalog);
  EXPECT_EQ(ScanAll(Table::kLearnerRecords), records);
  std::string v;
  ASSERT_TRUE(kv_->Get(Table::kMeta, "tree_size", &v).ok());
  EXPECT_EQ(v, BigEndian64(10));
  std::swap(kv_, *copy);
  EXPECT_FALSE(kv_->Stats().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, KvTest, ::testing::Values("rocksdb", "postgres"),
                         ::lcb::testing::BackendName);

}  // namespace
}  // namespace lcb
