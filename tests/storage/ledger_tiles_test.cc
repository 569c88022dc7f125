// The Ledger's tiled layout against a real RocksDB in a temp dir: a store written with the
// layout before tiles, or with "tiles/1" (small copies of those writers below), migrates on
// Open and answers the same entries, proofs, roots and checkpoints as an in-memory oracle
// tree; an interrupted migration resumes; a commit group adds one run of entries; tiles and
// bundles read back at every width; big entries are refused.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"
#include "crypto/tiles.h"
#include "storage/ledger.h"
#include "storage/ledger_layout.h"

namespace lcb {
namespace {

constexpr char kOrigin[] = "tiles.test/log";

class TempDir {
 public:
  TempDir() {
    path_ =
        std::filesystem::temp_directory_path() / ("creditbank_tiles_" + HexEncode(RandomBytes(6)));
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

// A store whose writes fail once `n` more have succeeded (-1: never).
class FailingKv final : public Kv {
 public:
  explicit FailingKv(Kv* inner, int ok_writes) : inner_(inner), left_(ok_writes) {}
  Status Get(Table t, std::string_view key, std::string* value) override {
    return inner_->Get(t, key, value);
  }
  Status Write(const WriteBatch& batch, bool sync) override {
    if (left_ == 0) return Status::Unavailable("injected write failure");
    if (left_ > 0) --left_;
    return inner_->Write(batch, sync);
  }
  Status Scan(Table t, std::string_view start, std::string_view end, size_t limit,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return inner_->Scan(t, start, end, limit, fn);
  }
  Status CreateCheckpoint(const std::string& dir) override { return inner_->CreateCheckpoint(dir); }
  std::map<std::string, double> Stats() override { return inner_->Stats(); }

 private:
  Kv* inner_;
  int left_;
};

// A store that, once armed, holds the write that stores a full entry bundle after it has
// landed — before the Ledger publishes the snapshot that shows the tile full — until released.
class PausingKv final : public Kv {
 public:
  explicit PausingKv(Kv* inner) : inner_(inner) {}
  Status Get(Table t, std::string_view key, std::string* value) override {
    return inner_->Get(t, key, value);
  }
  Status Write(const WriteBatch& batch, bool sync) override {
    Status s = inner_->Write(batch, sync);
    bool folds = false;
    for (const WriteBatch::Op& op : batch.ops()) folds |= op.table == Table::kLogBundles;
    std::unique_lock<std::mutex> lock(mu_);
    if (armed_ && folds) {
      landed_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    }
    return s;
  }
  Status Scan(Table t, std::string_view start, std::string_view end, size_t limit,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return inner_->Scan(t, start, end, limit, fn);
  }
  Status CreateCheckpoint(const std::string& dir) override { return inner_->CreateCheckpoint(dir); }
  std::map<std::string, double> Stats() override { return inner_->Stats(); }

  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
  }
  void WaitLanded() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return landed_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  Kv* inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false, landed_ = false, released_ = false;
};

std::string EntryBytes(uint64_t i) {
  return R"({"i":)" + std::to_string(i) + R"(,"pad":")" + std::string(i % 97, 'p') + R"("})";
}

std::string Note(uint64_t size, const Hash& root, const Ed25519Key& key) {
  return SignNote(FormatCheckpointBody({kOrigin, size, root, {}}), kOrigin, key);
}

// The writer of the layout before tiles: every entry in kLogLeaves, every complete subtree in
// kLogNodes under its post-order number, a checkpoint every `every` entries and at the end.
void WriteOldLayout(Kv* kv, const Ed25519Key& key, uint64_t n, uint64_t every) {
  Frontier frontier;
  std::vector<StoredNode> nodes;
  WriteBatch batch;
  for (uint64_t i = 0; i < n; ++i) {
    nodes.clear();
    frontier.Append(LeafHash(EntryBytes(i)), &nodes);
    for (const StoredNode& node : nodes) {
      batch.Put(Table::kLogNodes, Ledger::NodeKey(node.level, node.index),
                std::string_view(reinterpret_cast<const char*>(node.hash.data()), 32));
    }
    batch.Put(Table::kLogLeaves, BigEndian64(i), EntryBytes(i));
    if ((i + 1) % every == 0 || i + 1 == n) {
      batch.Put(Table::kCheckpoints, BigEndian64(i + 1), Note(i + 1, frontier.Root(), key));
      ASSERT_TRUE(kv->Write(batch, false).ok());
      batch.Clear();
    }
  }
  batch.Put(Table::kMeta, "tree_size", BigEndian64(n));
  batch.Put(Table::kMeta, "checkpoint", Note(n, frontier.Root(), key));
  ASSERT_TRUE(kv->Write(batch, true).ok());
}

// The writer of the "tiles/1" layout (before runs): bundles and hash tiles of the full tiles,
// one kLogLeaves row per leaf of the partial tile; `forge` replaces one stored entry's bytes.
void WriteTiles1Layout(Kv* kv, const Ed25519Key& key, uint64_t n, uint64_t forge = UINT64_MAX) {
  TileEdge edge;
  std::vector<FullTile> full;
  std::string bundle;
  WriteBatch batch;
  for (uint64_t i = 0; i < n; ++i) {
    edge.Append(LeafHash(EntryBytes(i)), nullptr, &full);
    ASSERT_TRUE(AppendBundleEntry(EntryBytes(i), &bundle).ok());
    if (i >= FullTiles(0, n) * kTileWidth) {
      batch.Put(Table::kLogLeaves, BigEndian64(i), i == forge ? "forged" : EntryBytes(i));
    }
    ledger_layout::AddFullTileRows(full, &bundle, &batch);
  }
  batch.Put(Table::kMeta, "tree_size", BigEndian64(n));
  batch.Put(Table::kMeta, "log_layout", "tiles/1");
  batch.Put(Table::kMeta, "checkpoint", Note(n, edge.Root(), key));
  batch.Put(Table::kCheckpoints, BigEndian64(n), Note(n, edge.Root(), key));
  ASSERT_TRUE(kv->Write(batch, true).ok());
}

size_t CountRows(Kv* kv, Table t) {
  size_t rows = 0;
  EXPECT_TRUE(kv->Scan(t, "", "", SIZE_MAX, [&](std::string_view, std::string_view) {
                  ++rows;
                  return true;
                }).ok());
  return rows;
}

// Entries, leaf hashes, proofs, roots and checkpoints of `ledger` equal the oracle's.
void ExpectServesTheOracle(Ledger& ledger, MemoryTree& oracle, uint64_t every,
                           std::mt19937_64& rng) {
  const uint64_t size = oracle.size();
  ASSERT_EQ(ledger.Size(), size);
  for (int probe = 0; probe < 300; ++probe) {
    const uint64_t i = probe < 20 ? size - 1 - static_cast<uint64_t>(probe) : rng() % size;
    auto entry = ledger.Entry(i);
    ASSERT_TRUE(entry.ok()) << i << ": " << entry.status().ToString();
    EXPECT_EQ(*entry, EntryBytes(i));
    EXPECT_EQ(ledger.LeafHashAt(i).value(), oracle.Node(0, i).value());
    const uint64_t at = i + 1 + rng() % (size - i);
    EXPECT_EQ(ledger.InclusionProof(i, at).value(), InclusionProof(i, at, oracle).value())
        << i << " in " << at;
    EXPECT_EQ(ledger.RootAt(at).value(), RootAt(at, oracle).value());
    EXPECT_EQ(ledger.ConsistencyProof(i, at).value(), ConsistencyProof(i, at, oracle).value());
  }
  for (uint64_t s = every; s <= size; s += every) {
    auto note = ledger.CheckpointAt(s);
    ASSERT_TRUE(note.ok()) << s;
    auto cp = ParseCheckpointBody(note->substr(0, note->find("\n\n") + 1));
    ASSERT_TRUE(cp.ok());
    EXPECT_EQ(cp->root, RootAt(s, oracle).value());
  }
  EXPECT_TRUE(ledger.VerifyAll().ok());
}

class LedgerTilesTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::shared_ptr<const Ed25519Key> key_ = std::make_shared<Ed25519Key>(Ed25519Key::Generate());
};

// 70,000 entries in the old layout: 273 full level-0 tiles, a partial one of width 112, and
// tiles above. After the migration the old nodes are gone, the partial tile's 112 entries are
// one run, and everything reads as before; the log then keeps growing across a restart.
TEST_F(LedgerTilesTest, OldLayoutStoreMigratesOnOpenAndServesTheSameProofs) {
  constexpr uint64_t kSize = 70000, kEvery = 5000;
  auto kv = std::move(OpenRocksKv(dir_.sub("db"))).value();
  WriteOldLayout(kv.get(), *key_, kSize, kEvery);
  MemoryTree oracle;
  for (uint64_t i = 0; i < kSize; ++i) oracle.Append(LeafHash(EntryBytes(i)));
  std::string checkpoint;
  ASSERT_TRUE(kv->Get(Table::kMeta, "checkpoint", &checkpoint).ok());

  auto ledger = Ledger::Open(kv.get(), key_, kOrigin);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  EXPECT_EQ((*ledger)->LatestCheckpoint(), checkpoint);
  EXPECT_EQ(CountRows(kv.get(), Table::kLogNodes), 0u);
  EXPECT_EQ(CountRows(kv.get(), Table::kLogLeaves), 1u);
  EXPECT_EQ(CountRows(kv.get(), Table::kLogBundles), 273u);
  EXPECT_EQ(CountRows(kv.get(), Table::kLogTiles), 274u);
  std::mt19937_64 rng(3);
  ExpectServesTheOracle(**ledger, oracle, kEvery, rng);

  // Growing past a tile boundary, then a restart.
  std::vector<LogEntry> more;
  for (uint64_t i = kSize; i < kSize + 700; ++i) {
    LogEntry e;
    e.bytes = EntryBytes(i);
    more.push_back(std::move(e));
    oracle.Append(LeafHash(EntryBytes(i)));
  }
  auto appended = (*ledger)->AppendSync(std::move(more));
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_EQ(appended->tree_size, kSize + 700);
  ledger->reset();
  ledger = Ledger::Open(kv.get(), key_, kOrigin);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  ExpectServesTheOracle(**ledger, oracle, kEvery, rng);
}

// A migration that stops after two of its five batches resumes on the next Open.
TEST_F(LedgerTilesTest, InterruptedMigrationResumes) {
  constexpr uint64_t kSize = 70000;
  auto kv = std::move(OpenRocksKv(dir_.sub("db"))).value();
  WriteOldLayout(kv.get(), *key_, kSize, kSize);
  {
    FailingKv failing(kv.get(), 2);
    auto ledger = Ledger::Open(&failing, key_, kOrigin);
    ASSERT_FALSE(ledger.ok());
    EXPECT_GT(CountRows(kv.get(), Table::kLogBundles), 0u);
    EXPECT_GT(CountRows(kv.get(), Table::kLogNodes), 0u);
  }
  auto ledger = Ledger::Open(kv.get(), key_, kOrigin);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  MemoryTree oracle;
  for (uint64_t i = 0; i < kSize; ++i) oracle.Append(LeafHash(EntryBytes(i)));
  std::mt19937_64 rng(5);
  ExpectServesTheOracle(**ledger, oracle, kSize, rng);
}

// A "tiles/1" store (one row per leaf of the partial tile) migrates to runs on Open: one row
// for the partial tile, the layout "tiles/2", and every read as before, across a restart too.
TEST_F(LedgerTilesTest, Tiles1StoreMigratesToRunsOnOpen) {
  constexpr uint64_t kSize = 1000;  // 3 full tiles and 232 leaves
  auto kv = std::move(OpenRocksKv(dir_.sub("db"))).value();
  WriteTiles1Layout(kv.get(), *key_, kSize);
  ASSERT_EQ(CountRows(kv.get(), Table::kLogLeaves), 232u);
  MemoryTree oracle;
  for (uint64_t i = 0; i < kSize; ++i) oracle.Append(LeafHash(EntryBytes(i)));
  for (int open = 0; open < 2; ++open) {
    auto ledger = Ledger::Open(kv.get(), key_, kOrigin);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    std::string layout;
    ASSERT_TRUE(kv->Get(Table::kMeta, "log_layout", &layout).ok());
    EXPECT_EQ(layout, "tiles/2");
    EXPECT_EQ(CountRows(kv.get(), Table::kLogLeaves), 1u);
    std::mt19937_64 rng(7);
    ExpectServesTheOracle(**ledger, oracle, kSize, rng);
  }
}

// A "tiles/1" store whose partial tile holds an altered entry is not converted: Open fails
// with DataLoss and the leaf rows and layout stay as they were.
TEST_F(LedgerTilesTest, RunsMigrationRefusesAnAlteredEntry) {
  auto kv = std::move(OpenRocksKv(dir_.sub("db"))).value();
  WriteTiles1Layout(kv.get(), *key_, 1000, /*forge=*/900);
  auto ledger = Ledger::Open(kv.get(), key_, kOrigin);
  ASSERT_FALSE(ledger.ok());
  EXPECT_EQ(ledger.status().code(), StatusCode::kDataLoss) << ledger.status().ToString();
  EXPECT_EQ(CountRows(kv.get(), Table::kLogLeaves), 232u);
  std::string layout;
  ASSERT_TRUE(kv->Get(Table::kMeta, "log_layout", &layout).ok());
  EXPECT_EQ(layout, "tiles/1");
}

// One commit group adds one run of entries to the partial tile, however many entries it holds;
// a group that fills a tile writes the bundle and starts a run in the next tile. Runs, and
// stores missing one, are read back at Open.
TEST_F(LedgerTilesTest, ACommitGroupAddsOneRunOfEntries) {
  auto kv = std::move(OpenRocksKv(dir_.sub("db"))).value();
  auto ledger = std::move(Ledger::Open(kv.get(), key_, kOrigin)).value();
  MemoryTree oracle;
  uint64_t next = 0;
  auto group = [&](uint64_t n) {
    std::vector<LogEntry> batch;
    for (uint64_t k = 0; k < n; ++k, ++next) {
      LogEntry e;
      e.bytes = EntryBytes(next);
      oracle.Append(LeafHash(e.bytes));
      batch.push_back(std::move(e));
    }
    ASSERT_TRUE(ledger->AppendSync(std::move(batch)).ok());
  };
  ASSERT_NO_FATAL_FAILURE(group(100));
  EXPECT_EQ(CountRows(kv.get(), Table::kLogLeaves), 1u);
  ASSERT_NO_FATAL_FAILURE(group(100));
  EXPECT_EQ(CountRows(kv.get(), Table::kLogLeaves), 2u);
  ASSERT_NO_FATAL_FAILURE(group(600));  // 200..799: fills tiles 0, 1 and 2, then 32 of tile 3
  EXPECT_EQ(CountRows(kv.get(), Table::kLogLeaves), 1u);
  EXPECT_EQ(CountRows(kv.get(), Table::kLogBundles), 3u);
  std::string run;
  ASSERT_TRUE(kv->Get(Table::kLogLeaves, BigEndian64(768), &run).ok());
  EXPECT_EQ(SplitBundle(run).value().size(), 32u);
  ASSERT_NO_FATAL_FAILURE(group(1));
  std::mt19937_64 rng(11);
  ExpectServesTheOracle(*ledger, oracle, next, rng);
  ledger->Stop();
  ledger.reset();
  ledger = std::move(Ledger::Open(kv.get(), key_, kOrigin)).value();
  ExpectServesTheOracle(*ledger, oracle, next, rng);
  ledger->Stop();
  ledger.reset();
  // A run gone from the store: the edge does not load.
  WriteBatch lose;
  lose.Delete(Table::kLogLeaves, BigEndian64(800));
  ASSERT_TRUE(kv->Write(lose, true).ok());
  auto broken = Ledger::Open(kv.get(), key_, kOrigin);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kDataLoss) << broken.status().ToString();
}

// A damaged old store is not converted into a tree that nobody signed.
TEST_F(LedgerTilesTest, MigrationRefusesAnAlteredEntry) {
  auto kv = std::move(OpenRocksKv(dir_.sub("db"))).value();
  WriteOldLayout(kv.get(), *key_, 1000, 1000);
  WriteBatch batch;
  batch.Put(Table::kLogLeaves, BigEndian64(17), R"({"i":17,"forged":true})");
  ASSERT_TRUE(kv->Write(batch, true).ok());
  auto ledger = Ledger::Open(kv.get(), key_, kOrigin);
  ASSERT_FALSE(ledger.ok());
  EXPECT_EQ(ledger.status().code(), StatusCode::kDataLoss) << ledger.status().ToString();
  EXPECT_GT(CountRows(kv.get(), Table::kLogNodes), 0u) << "old nodes kept";
}

// Tiles and bundles at every width a checkpoint needs, against the oracle; a tile the tree
// does not have (yet) is NotFound.
TEST_F(LedgerTilesTest, TilesAndBundlesReadBackAtEveryWidth) {
  auto kv = std::move(OpenRocksKv(dir_.sub("db"))).value();
  auto ledger = std::move(Ledger::Open(kv.get(), key_, kOrigin)).value();
  MemoryTree oracle;
  std::vector<std::string> entries;
  for (uint64_t i = 0; i < 600; ++i) {
    LogEntry e;
    e.bytes = EntryBytes(i);
    entries.push_back(e.bytes);
    oracle.Append(LeafHash(e.bytes));
    ASSERT_TRUE(ledger->AppendSync({std::move(e)}).ok());
  }
  auto hashes = [&](int level, uint64_t first, uint32_t width) {
    std::string out;
    for (uint32_t k = 0; k < width; ++k) {
      Hash h = oracle.Node(8 * level, first + k).value();
      out.append(reinterpret_cast<const char*>(h.data()), 32);
    }
    return out;
  };
  auto bundle = [&](uint64_t first, uint32_t width) {
    std::string out;
    for (uint32_t k = 0; k < width; ++k)
      EXPECT_TRUE(AppendBundleEntry(entries[first + k], &out).ok());
    return out;
  };
  for (uint32_t w : {1u, 7u, 255u, 256u}) {
    EXPECT_EQ(ledger->Tile(0, 0, w).value(), hashes(0, 0, w));
    EXPECT_EQ(ledger->Tile(0, 1, w).value(), hashes(0, 256, w));
    EXPECT_EQ(ledger->EntryBundle(0, w).value(), bundle(0, w));
    EXPECT_EQ(ledger->EntryBundle(1, w).value(), bundle(256, w));
  }
  for (uint32_t w : {1u, 88u}) {  // 600 = 2 * 256 + 88
    EXPECT_EQ(ledger->Tile(0, 2, w).value(), hashes(0, 512, w));
    EXPECT_EQ(ledger->EntryBundle(2, w).value(), bundle(512, w));
  }
  EXPECT_EQ(ledger->Tile(1, 0, 2).value(), hashes(1, 0, 2));
  EXPECT_EQ(ledger->Tile(0, 2, 89).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger->Tile(0, 2, 256).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger->Tile(0, 3, 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger->Tile(1, 0, 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger->Tile(2, 0, 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger->EntryBundle(2, 89).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(CountRows(kv.get(), Table::kLogLeaves), 88u);  // one run per AppendSync
}

// The write that fills a tile stores its bundle and deletes its runs at once; readers that
// still hold the snapshot of the partial tile must still read its entries (a regulator's
// /v1/stats read the log's newest entries while records arrived, and about 1 request in 15,000
// failed with "log entry ... is missing" before reads took them from the snapshot).
TEST_F(LedgerTilesTest, EntriesReadWhileTheirTileIsFoldedIntoItsBundle) {
  auto rocks = std::move(OpenRocksKv(dir_.sub("db"))).value();
  PausingKv kv(rocks.get());
  auto ledger = std::move(Ledger::Open(&kv, key_, kOrigin)).value();
  std::vector<std::string> entries;
  for (uint64_t i = 0; i < 255; ++i) {
    LogEntry e;
    e.bytes = EntryBytes(i);
    entries.push_back(e.bytes);
    ASSERT_TRUE(ledger->AppendSync({std::move(e)}).ok());
  }
  kv.Arm();
  std::thread filler([&] {
    LogEntry e;
    e.bytes = EntryBytes(255);
    EXPECT_TRUE(ledger->AppendSync({std::move(e)}).ok());
  });
  kv.WaitLanded();
  // The bundle is stored and the leaf rows are gone; the published size is still 255.
  EXPECT_EQ(ledger->Size(), 255u);
  EXPECT_EQ(CountRows(rocks.get(), Table::kLogLeaves), 0u);
  std::string expected;
  for (uint64_t i = 0; i < 255; ++i) ASSERT_TRUE(AppendBundleEntry(entries[i], &expected).ok());
  auto bundle = ledger->EntryBundle(0, 255);
  EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
  if (bundle.ok()) EXPECT_EQ(*bundle, expected);
  for (uint64_t i : {0u, 100u, 254u}) {
    auto entry = ledger->Entry(i);
    EXPECT_TRUE(entry.ok()) << i << ": " << entry.status().ToString();
    if (entry.ok()) EXPECT_EQ(*entry, entries[i]);
  }
  kv.Release();
  filler.join();
  EXPECT_EQ(ledger->Size(), 256u);
  EXPECT_TRUE(ledger->VerifyAll().ok());
}

TEST_F(LedgerTilesTest, EntriesLargerThanABundleHoldsAreRefused) {
  auto kv = std::move(OpenRocksKv(dir_.sub("db"))).value();
  auto ledger = std::move(Ledger::Open(kv.get(), key_, kOrigin)).value();
  LogEntry ok, big;
  ok.bytes = std::string(65535, 'a');
  big.id = "ruleset:p:1";
  big.bytes = std::string(65536, 'b');
  ASSERT_TRUE(ledger->AppendSync({ok}).ok());
  auto r = ledger->AppendSync({ok, big});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("ruleset:p:1"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("65,535"), std::string::npos);
  EXPECT_EQ(ledger->Size(), 1u);
  EXPECT_EQ(ledger->Entry(0).value(), ok.bytes);
}

}  // namespace
}  // namespace lcb
