// Formats written on ingestion's hot path, each checked against the slower general code it
// replaces (the oracle):
//   - RecordEntryCanonical / RecordInputCanonical write canonical JSON directly; they must
//     equal CanonicalJson of the JSON trees RecordToEntry / RecordInputToJson build, on
//     random records with every optional field, fractional credits and awkward strings;
//   - Ledger::NodeKey numbers tree nodes in the order Frontier completes them: 0, 1, 2, ...
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "api/json_util.h"
#include "api/mapping.h"
#include "common/encoding.h"
#include "crypto/jcs.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "storage/ledger.h"

namespace lcb {
namespace {

std::string RandomText(std::mt19937_64& rng) {
  static const std::vector<std::string> kPieces = {
      "a", "Z", "0", "-", "_", " ", "\"", "\\", "/", "\n", "\t", std::string(1, '\x01'),
      std::string(1, '\x1f'), "\x7f", "é", "学分", "银行", "😀", "\xef\xbf\xbd", "~", "<", "&"};
  std::string out;
  int n = static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) out += kPieces[rng() % kPieces.size()];
  return out;
}

Centi RandomCenti(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: return static_cast<Centi>(rng() % 20) * kCentiPerCredit;  // whole
    case 1: return static_cast<Centi>(rng() % 2000);                   // two decimals
    case 2: return static_cast<Centi>(rng() % 200) * 10;               // one decimal
    default: return static_cast<Centi>(rng() % 100000000);             // large
  }
}

TEST(EntryFormat, DirectCanonicalWritersEqualTheJsonTreePath) {
  std::mt19937_64 rng(20261129);
  const UnitKind kinds[] = {UnitKind::kDegreeCourse, UnitKind::kVocationalCertificate,
                            UnitKind::kTraining};
  for (int iter = 0; iter < 3000; ++iter) {
    RecordInput in;
    in.learner = "lrn_" + RandomText(rng);
    in.unit = RandomText(rng) + ":" + RandomText(rng);
    in.external_ref = RandomText(rng);
    if (rng() % 2) in.credits = RandomCenti(rng);
    if (rng() % 2) in.hours = RandomCenti(rng);
    if (rng() % 2) in.level = static_cast<int>(rng() % 10);
    in.grade_scale = RandomText(rng);
    in.grade_value = RandomText(rng);
    in.completed_on = "2024-0" + std::to_string(1 + rng() % 9) + "-1" + std::to_string(rng() % 10);
    if (rng() % 2) in.attendance = RandomText(rng);
    if (rng() % 2) in.evidence_sha256 = HexEncode(RandomBytes(32));
    std::string supersedes = rng() % 3 == 0 ? "rec_" + HexEncode(RandomBytes(12)) : "";

    Record r;
    r.id = "rec_" + HexEncode(RandomBytes(12));
    r.learner = in.learner;
    r.unit = in.unit;
    r.issuer = RandomText(rng);
    r.external_ref = in.external_ref;
    r.kind = kinds[rng() % 3];
    r.credits = RandomCenti(rng);
    r.level = static_cast<int>(rng() % 10);
    r.field = RandomText(rng);
    r.grade_scale = in.grade_scale;
    r.grade_value = in.grade_value;
    r.grade = static_cast<int>(rng() % 101);
    r.completed_on = static_cast<Days>(rng() % 30000);
    if (rng() % 2) r.expires_on = static_cast<Days>(rng() % 40000);
    std::string recorded_at = "2026-11-29T08:" + std::to_string(10 + rng() % 50) + ":00.123Z";
    std::string salt = HexEncode(RandomBytes(16));

    json fp_doc = RecordInputToJson(in);
    if (!supersedes.empty()) fp_doc["supersedes"] = supersedes;
    auto want_fp = CanonicalJson(fp_doc);
    auto got_fp = RecordInputCanonical(in, supersedes);
    ASSERT_TRUE(want_fp.ok() && got_fp.ok());
    ASSERT_EQ(*got_fp, *want_fp) << "iteration " << iter;

    auto want = CanonicalJson(RecordToEntry(r, in, recorded_at, salt, supersedes));
    auto got = RecordEntryCanonical(r, in, recorded_at, salt, supersedes);
    ASSERT_TRUE(want.ok() && got.ok());
    ASSERT_EQ(*got, *want) << "iteration " << iter;
  }
}

TEST(EntryFormat, DirectWriterRejectsInvalidUtf8LikeTheTreePath) {
  RecordInput in;
  in.learner = "lrn_1";
  in.unit = "u:1";
  in.external_ref = std::string("bad\xff", 4);
  in.grade_scale = "percent";
  in.grade_value = "80";
  in.completed_on = "2024-06-01";
  EXPECT_FALSE(RecordInputCanonical(in, "").ok());
  EXPECT_FALSE(CanonicalJson(RecordInputToJson(in)).ok());
}

TEST(EntryFormat, NodeKeysNumberNodesInCompletionOrder) {
  Frontier frontier;
  std::vector<StoredNode> nodes;
  uint64_t expected = 0;
  for (uint64_t leaf = 0; leaf < 5000; ++leaf) {
    nodes.clear();
    frontier.Append(Sha256(std::to_string(leaf)), &nodes);
    for (const StoredNode& n : nodes) {
      ASSERT_EQ(Ledger::NodeKey(n.level, n.index), BigEndian64(expected))
          << "level " << n.level << " index " << n.index;
      ++expected;
    }
  }
  // 5000 leaves complete 2 * 5000 - popcount(5000) nodes.
  EXPECT_EQ(expected, 2u * 5000 - static_cast<uint64_t>(__builtin_popcountll(5000)));
  // Far out in a large tree the numbering is still injective.
  std::set<std::string> keys;
  for (int level = 0; level < 40; ++level) {
    for (uint64_t index : {0ull, 1ull, 12345ull, (1ull << 20) - 1}) {
      EXPECT_TRUE(keys.insert(Ledger::NodeKey(level, index)).second);
    }
  }
}

}  // namespace
}  // namespace lcb
