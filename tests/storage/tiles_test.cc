// C2SP tlog-tiles math (crypto/tiles.h) against oracles: an in-memory RFC 9162 tree holding
// every complete subtree (MemoryTree) for tiles, roots and edges; the spec's own examples for
// widths and paths; a brute-force decimal grouping for path encoding.
#include "crypto/tiles.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "crypto/sha256.h"

namespace lcb {
namespace {

Hash Leaf(uint64_t i) { return Sha256("leaf " + std::to_string(i)); }

// The hashes at tree height 8t over [first, first + count) from the oracle, as tile bytes.
std::string OracleTile(MemoryTree& tree, int t, uint64_t first, uint64_t count) {
  std::string out;
  for (uint64_t k = 0; k < count; ++k) {
    Hash h = tree.Node(kTileHeight * t, first + k).value();
    out.append(reinterpret_cast<const char*>(h.data()), h.size());
  }
  return out;
}

// The spec's example: a tree of 70,000 has 273 full level-0 tiles, a partial one of width 112,
// one full level-1 tile, a partial level-1 tile of width 17 and a partial level-2 tile of width 1.
TEST(Tiles, WidthsFollowTheSpecExample) {
  EXPECT_EQ(FullTiles(0, 70000), 273u);
  EXPECT_EQ(TileWidthAt(0, 272, 70000), 256u);
  EXPECT_EQ(TileWidthAt(0, 273, 70000), 112u);
  EXPECT_EQ(TileWidthAt(0, 274, 70000), 0u);
  EXPECT_EQ(TileWidthAt(1, 0, 70000), 256u);
  EXPECT_EQ(TileWidthAt(1, 1, 70000), 17u);
  EXPECT_EQ(TileWidthAt(2, 0, 70000), 1u);
  EXPECT_EQ(TileWidthAt(3, 0, 70000), 0u);
  // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile
  // of width 1"
  EXPECT_EQ(TileWidthAt(0, 0, 256), 256u);
  EXPECT_EQ(TileWidthAt(0, 1, 256), 0u);
  EXPECT_EQ(TileWidthAt(1, 0, 256), 1u);
  EXPECT_EQ(TileWidthAt(0, 0, 0), 0u);
  EXPECT_EQ(TileWidthAt(7, 0, UINT64_MAX), 255u);
  EXPECT_EQ(TileWidthAt(8, 0, UINT64_MAX), 0u);
}

// Every full tile the edge emits, every partial tile, every node it answers and the root equal
// the oracle's, at every size up to 70,000 leaves (checked at a spread of sizes).
TEST(Tiles, EdgeEmitsTheOracleTilesAndAnswersPartialNodes) {
  MemoryTree oracle;
  TileEdge edge;
  std::vector<FullTile> full;
  std::vector<StoredNode> completed;
  std::map<std::pair<int, uint64_t>, std::string> stored;
  std::mt19937_64 rng(7);
  for (uint64_t i = 0; i < 70000; ++i) {
    oracle.Append(Leaf(i));
    completed.clear();
    edge.Append(Leaf(i), &completed, &full);
    for (const FullTile& tile : full) {
      ASSERT_EQ(tile.stored.size(), kStoredTileBytes);
      const uint64_t first = tile.index * kTileWidth;
      EXPECT_EQ(tile.stored.substr(0, kTileBytes),
                OracleTile(oracle, tile.level, first, kTileWidth))
          << "tile " << tile.level << "/" << tile.index;
      for (int r = 1; r < kTileHeight; ++r) {  // interior nodes
        for (uint32_t j = 0; j < (kTileWidth >> r); ++j) {
          ASSERT_EQ(StoredTileNode(tile.stored, r, j),
                    oracle.Node(kTileHeight * tile.level + r, (first >> r) + j).value());
        }
      }
      EXPECT_EQ(StoredTileRoot(tile.stored),
                oracle.Node(kTileHeight * (tile.level + 1), tile.index).value());
      stored[{tile.level, tile.index}] = tile.stored;
    }
    full.clear();
    const uint64_t size = i + 1;
    ASSERT_EQ(edge.Root(), oracle.Root());
    if (size % 997 != 0 && size != 70000 && size != 65536 && size != 256) continue;
    for (int t = 0; t < 3; ++t) {
      const uint64_t p = FullTiles(t, size);
      const uint32_t w = TileWidthAt(t, p, size);
      EXPECT_EQ(edge.PartialTile(t), OracleTile(oracle, t, p * kTileWidth, w))
          << size << " level " << t;
    }
    // A random complete node is either in a stored full tile or answered by the edge.
    for (int probe = 0; probe < 50; ++probe) {
      const int level = static_cast<int>(rng() % 18);
      if ((size >> level) == 0) continue;
      const uint64_t index = rng() % (size >> level);
      const int t = level / kTileHeight, r = level % kTileHeight;
      const uint64_t tile = index >> (kTileHeight - r);
      Hash got = tile < FullTiles(t, size)
                     ? StoredTileNode(stored.at({t, tile}), r,
                                      static_cast<uint32_t>(index - (tile << (kTileHeight - r))))
                     : edge.Node(level, index).value();
      ASSERT_EQ(got, oracle.Node(level, index).value()) << size << " " << level << "/" << index;
    }
  }
  EXPECT_EQ(stored.size(), 273u + 1u);
  EXPECT_EQ(edge.PartialTile(0).size(), 112u * 32);
  EXPECT_EQ(edge.PartialTile(1).size(), 17u * 32);
  EXPECT_EQ(edge.PartialTile(2).size(), 1u * 32);
}

// Restoring from the partial tiles' base hashes gives the same edge as appending did.
TEST(Tiles, RestoreRebuildsTheAppendedEdge) {
  MemoryTree oracle;
  TileEdge appended;
  for (uint64_t size :
       {0ull, 1ull, 255ull, 256ull, 257ull, 511ull, 65535ull, 65536ull, 65537ull, 70000ull}) {
    while (appended.size() < size) {
      oracle.Append(Leaf(appended.size()));
      appended.Append(Leaf(appended.size()), nullptr, nullptr);
    }
    std::vector<std::vector<Hash>> bases(kMaxTileLevel + 1);
    for (int t = 0; t <= 2; ++t) {
      const uint64_t p = FullTiles(t, size);
      for (uint32_t k = 0; k < TileWidthAt(t, p, size); ++k) {
        bases[t].push_back(oracle.Node(kTileHeight * t, p * kTileWidth + k).value());
      }
    }
    auto restored = TileEdge::Restore(size, bases);
    ASSERT_TRUE(restored.ok()) << size << ": " << restored.status().ToString();
    EXPECT_EQ(restored->size(), size);
    EXPECT_EQ(restored->Root(), appended.Root()) << size;
    for (int t = 0; t < 3; ++t) EXPECT_EQ(restored->PartialTile(t), appended.PartialTile(t));
    // And it keeps growing like the original.
    TileEdge a = appended, b = *restored;
    std::vector<FullTile> fa, fb;
    for (uint64_t i = size; i < size + 600; ++i) {
      a.Append(Leaf(i), nullptr, &fa);
      b.Append(Leaf(i), nullptr, &fb);
    }
    ASSERT_EQ(fa.size(), fb.size());
    for (size_t k = 0; k < fa.size(); ++k) EXPECT_EQ(fa[k].stored, fb[k].stored);
    EXPECT_EQ(a.Root(), b.Root());
    if (size > 0) {
      bases[0].push_back(Leaf(0));
      EXPECT_FALSE(TileEdge::Restore(size, bases).ok()) << "a wrong width is refused";
    }
  }
}

// Index paths against a brute-force grouping of the decimal digits.
TEST(Tiles, PathsEncodeIndexesInGroupsOfThreeDigits) {
  EXPECT_EQ(TileIndexPath(1234067), "x001/x234/067");
  EXPECT_EQ(TileIndexPath(0), "000");
  EXPECT_EQ(TileIndexPath(5), "005");
  EXPECT_EQ(TileIndexPath(999), "999");
  EXPECT_EQ(TileIndexPath(1000), "x001/000");
  EXPECT_EQ(TileIndexPath(UINT64_MAX), "x018/x446/x744/x073/x709/x551/615");
  EXPECT_EQ(TilePath(4, 1234067, 8), "tile/4/x001/x234/067.p/8");
  EXPECT_EQ(TilePath(0, 3, 256), "tile/0/003");
  EXPECT_EQ(EntryBundlePath(1234067, 256), "tile/entries/x001/x234/067");
  EXPECT_EQ(EntryBundlePath(0, 1), "tile/entries/000.p/1");
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    uint64_t n = rng() >> (rng() % 64);
    std::string digits = std::to_string(n);
    while (digits.size() % 3) digits.insert(digits.begin(), '0');
    std::string expected;
    for (size_t k = 0; k < digits.size(); k += 3) {
      if (k > 0) expected += '/';
      if (k + 3 < digits.size()) expected += 'x';
      expected += digits.substr(k, 3);
    }
    ASSERT_EQ(TileIndexPath(n), expected);
    const uint32_t width = 1 + static_cast<uint32_t>(rng() % 256);
    const int level = static_cast<int>(rng() % 8);
    auto parsed = ParseTilePath(TilePath(level, n, width).substr(5));
    ASSERT_TRUE(parsed.ok()) << TilePath(level, n, width);
    EXPECT_EQ(parsed->level, level);
    EXPECT_EQ(parsed->index, n);
    EXPECT_EQ(parsed->width, width);
    auto bundle = ParseTilePath(EntryBundlePath(n, width).substr(5));
    ASSERT_TRUE(bundle.ok());
    EXPECT_TRUE(bundle->entries());
    EXPECT_EQ(bundle->index, n);
    EXPECT_EQ(bundle->width, width);
  }
}

TEST(Tiles, ParseRefusesPathsTheSpecDoesNotWrite) {
  for (const char* bad : {"",
                          "0",
                          "0/",
                          "00/000",
                          "01/000",
                          "64/000",
                          "-1/000",
                          "a/000",
                          "0/0",
                          "0/0000",
                          "0/x000/001",
                          "0/001/002",
                          "0/x01/002",
                          "0/y001/002",
                          "0/000.p",
                          "0/000.p/",
                          "0/000.p/0",
                          "0/000.p/256",
                          "0/000.p/007",
                          "0/000.p/1/2",
                          "0/000/.p/1",
                          "entries",
                          "entries/",
                          "entries/5",
                          "entries/000.p/300",
                          "0/x019/x000/x000/x000/x000/x000/000",
                          "0/x001/x002/x003/x004/x005/x006/x007/008",
                          "0/00a",
                          "0/ 00"}) {
    EXPECT_FALSE(ParseTilePath(bad).ok()) << "'" << bad << "'";
  }
  EXPECT_TRUE(ParseTilePath("0/x018/x446/x744/x073/x709/x551/615").ok());
  EXPECT_TRUE(ParseTilePath("63/000").ok());
  EXPECT_EQ(ParseTilePath("0/000.p/255")->width, 255u);
}

TEST(Tiles, BundlesHoldLengthPrefixedEntriesUpTo65535Bytes) {
  std::string bundle;
  std::vector<std::string> entries = {"", "a", std::string(300, 'x'), std::string(65535, 'y')};
  for (const auto& e : entries) ASSERT_TRUE(AppendBundleEntry(e, &bundle).ok());
  EXPECT_EQ(bundle.substr(0, 3), std::string("\0\0\0", 3));
  EXPECT_EQ(bundle.substr(2, 3), std::string("\0\x01"
                                             "a",
                                             3));
  auto split = SplitBundle(bundle);
  ASSERT_TRUE(split.ok());
  ASSERT_EQ(split->size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ((*split)[i], entries[i]);
    EXPECT_EQ(BundleEntry(bundle, static_cast<uint32_t>(i)).value(), entries[i]);
  }
  EXPECT_FALSE(BundleEntry(bundle, 4).ok());
  EXPECT_FALSE(AppendBundleEntry(std::string(65536, 'z'), &bundle).ok());
  EXPECT_FALSE(SplitBundle(bundle.substr(0, bundle.size() - 1)).ok());
  EXPECT_FALSE(SplitBundle(std::string("\x01", 1)).ok());
}

TEST(Tiles, StoredTileFromBaseEqualsTheEmittedTile) {
  TileEdge edge;
  std::vector<FullTile> full;
  std::vector<Hash> base;
  for (uint64_t i = 0; i < 256; ++i) {
    base.push_back(Leaf(i));
    edge.Append(Leaf(i), nullptr, &full);
  }
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(StoredTileFromBase(base), full[0].stored);
}

}  // namespace
}  // namespace lcb
