// The SQL mapping of Kv keys (storage/pg_codec.h) against a brute-force oracle, with no server:
// for random keys of each grammar and random scan bounds (cut keys, keys with bytes added,
// arbitrary bytes), "key >= bound" in byte order must equal the row comparison that LowerBound
// produces, evaluated the way PostgreSQL evaluates it (text COLLATE "C" by bytes, bigint as a
// signed number, bytea by bytes then length, tuples lexicographically).
#include "storage/pg_codec.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <variant>

#include "common/encoding.h"

namespace lcb::pg {
namespace {

using Value = std::variant<int64_t, std::string>;  // bigint, or text/bytea (compared by bytes)

Value Typed(Part part, std::string_view bytes) {
  if (part == Part::kBe64 || part == Part::kBe32) {
    std::string eight(8 - bytes.size(), '\0');
    eight.append(bytes);
    return static_cast<int64_t>(GetBigEndian64(eight));
  }
  return std::string(bytes);
}

// PostgreSQL's row comparison (a1..an) vs (b1..bn): -1, 0 or 1.
int CompareRows(const std::vector<Value>& a, const std::vector<Value>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] < b[i]) return -1;
    if (b[i] < a[i]) return 1;
  }
  return 0;
}

std::string RandomText(std::mt19937& rng) {
  static const std::vector<std::string> kPieces = {
      "", "a", "b", "ab", "z", "\x01", "\x7f", "é", "张", "\xf0\x9f\x98\x80", "/"};
  std::string s;
  for (int n = static_cast<int>(rng() % 4); n > 0; --n) s += kPieces[rng() % kPieces.size()];
  return s;
}

std::string RandomBe(std::mt19937& rng, int width) {
  static const std::vector<uint64_t> kNumbers = {
      0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffffffff, 0x7fffffffffffffffull, 0x0123456789abcdefull};
  uint64_t v = kNumbers[rng() % kNumbers.size()];
  if (width == 4) v &= 0xffffffff;
  return BigEndian64(v).substr(static_cast<size_t>(8 - width));
}

std::string RandomKey(const TableCodec& codec, std::mt19937& rng) {
  std::string key;
  for (const Column& c : codec.key) {
    switch (c.part) {
      case Part::kText0:
        key += RandomText(rng) + std::string(1, '\0');
        break;
      case Part::kText:
        key += RandomText(rng);
        break;
      case Part::kBe64:
        key += RandomBe(rng, 8);
        break;
      case Part::kBe32:
        key += RandomBe(rng, 4);
        break;
      case Part::kHash32:
        key += std::string(32, static_cast<char>(rng() % 3 == 0 ? 0xff : rng() % 2));
        break;
      case Part::kBytes: {
        std::string b(rng() % 5, '\0');
        for (char& ch : b) ch = static_cast<char>(rng() % 3 == 0 ? 0xff : rng() % 3);
        key += b;
      }
    }
  }
  return key;
}

// A bound near the keys: a key cut anywhere, a key with bytes added, or short random bytes.
std::string RandomBound(const std::vector<std::string>& keys, std::mt19937& rng) {
  const std::string& k = keys[rng() % keys.size()];
  switch (rng() % 4) {
    case 0:
      return k.substr(0, rng() % (k.size() + 1));
    case 1:
      return k + std::string(1, static_cast<char>(rng() % 3 == 0 ? 0xff : rng() % 2));
    case 2:
      return k;
    default: {
      std::string b(rng() % 10, '\0');
      for (char& ch : b) ch = static_cast<char>(rng() % 2 ? 'a' + rng() % 3 : rng() % 3 ? 0 : 0x80);
      return b;
    }
  }
}

bool SqlSaysAtLeast(const TableCodec& codec, const std::vector<std::string_view>& key_parts,
                    const Bound& bound) {
  std::vector<Value> left, right;
  for (size_t i = 0; i < bound.parts.size(); ++i) {
    left.push_back(Typed(codec.key[i].part, key_parts[i]));
    right.push_back(Typed(codec.key[i].part, bound.parts[i]));
  }
  int c = CompareRows(left, right);
  return bound.strict ? c > 0 : c >= 0;
}

class CodecOracleTest : public ::testing::TestWithParam<Table> {};

TEST_P(CodecOracleTest, LowerBoundMatchesByteOrder) {
  const TableCodec& codec = CodecOf(GetParam());
  std::mt19937 rng(static_cast<unsigned>(GetParam()) * 101 + 7);
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back(RandomKey(codec, rng));
  int checked = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = RandomBound(keys, rng);
    StatusOr<Bound> bound = LowerBound(codec, bytes);
    if (!bound.ok()) {
      ++refused;
      EXPECT_EQ(bound.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    for (const std::string& key : keys) {
      std::vector<std::string_view> parts;
      ASSERT_TRUE(Split(codec, true, key, &parts).ok()) << HexEncode(key);
      ASSERT_EQ(SqlSaysAtLeast(codec, parts, *bound), key >= bytes)
          << codec.sql_name << " key " << HexEncode(key) << " bound " << HexEncode(bytes);
      ++checked;
    }
  }
  EXPECT_GT(checked, 100000);
  if (codec.generic) {
    EXPECT_EQ(refused, 0) << "the generic table takes any bound";
  }
}

INSTANTIATE_TEST_SUITE_P(Tables, CodecOracleTest,
                         ::testing::Values(Table::kMeta, Table::kObjects, Table::kUnique,
                                           Table::kLearnerRecords, Table::kLogLeaves,
                                           Table::kRulesets, Table::kGrants, Table::kAdminLog,
                                           Table::kConversions),
                         [](const auto& info) { return std::string(TableName(info.param)); });

// Keys must follow their table's grammar (the store refuses the batch otherwise); values of
// typed tables too.
TEST(CodecTest, SplitRefusesKeysOutsideTheGrammar) {
  std::vector<std::string_view> parts;
  const TableCodec& records = CodecOf(Table::kLearnerRecords);
  // parts point into the key, so the key must outlive them.
  const std::string good_key = std::string("lrn\0", 4) + BigEndian64(5);
  EXPECT_TRUE(Split(records, true, good_key, &parts).ok());
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "lrn");
  EXPECT_EQ(parts[1], BigEndian64(5));
  EXPECT_FALSE(Split(records, true, "lrn" + BigEndian64(5), &parts).ok());     // no NUL
  EXPECT_FALSE(Split(records, true, std::string("lrn\0\0", 5), &parts).ok());  // short
  EXPECT_FALSE(Split(records, true, std::string("lrn\0", 4) + BigEndian64(1ull << 63), &parts)
                   .ok());  // not a non-negative bigint
  EXPECT_FALSE(Split(records, true, std::string("\xff\0", 2) + BigEndian64(1), &parts).ok());
  EXPECT_FALSE(Split(records, true, std::string("l\0", 2) + BigEndian64(1) + "x", &parts).ok());
  Status bad = Split(CodecOf(Table::kCatalog), true, std::string("a\0b", 3), &parts);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("catalog"), std::string::npos) << bad.message();
  const TableCodec& unique = CodecOf(Table::kUnique);
  EXPECT_TRUE(Split(unique, false, BigEndian64(3) + std::string(32, 'f') + "rec_1", &parts).ok());
  EXPECT_TRUE(Split(unique, false, BigEndian64(3) + std::string(32, 'f'), &parts).ok());
  EXPECT_FALSE(Split(unique, false, BigEndian64(3) + "short", &parts).ok());
  // Any bytes in the generic fallback.
  EXPECT_TRUE(Split(CodecOf(Table::kMeta), true, std::string("\0\xff", 2), &parts).ok());
}

// Every table has a codec, in the enum's order, and every SQL table name is distinct.
TEST(CodecTest, EveryTableHasOneCodec) {
  std::map<std::string, Table> names;
  for (int i = 0; i < kTableCount; ++i) {
    const TableCodec& codec = CodecOf(static_cast<Table>(i));
    EXPECT_EQ(codec.table, static_cast<Table>(i));
    EXPECT_TRUE(names.emplace(codec.sql_name, codec.table).second) << codec.sql_name;
    EXPECT_FALSE(codec.key.empty());
    EXPECT_FALSE(codec.value.empty());
  }
}

}  // namespace
}  // namespace lcb::pg
