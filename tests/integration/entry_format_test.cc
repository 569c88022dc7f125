// Formats written on ingestion's hot path, each checked against the slower general code it
// replaces (the oracle):
//   - RecordEntryCanonical / RecordInputCanonical write canonical JSON directly; they must
//     equal CanonicalJson of the JSON trees RecordToEntry / RecordInputToJson build, on
//     random records with every optional field, fractional credits and awkward strings;
//   - Ledger::NodeKey numbers tree nodes in the order Frontier completes them: 0, 1, 2, ...
#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <random>
#include <set>

#include "codec/json_util.h"
#include "codec/mapping.h"
#include "common/encoding.h"
#include "crypto/jcs.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "storage/ledger.h"

namespace lcb {
namespace {

std::string RandomText(std::mt19937_64& rng) {
  static const std::vector<std::string> kPieces = {"a",
                                                   "Z",
                                                   "0",
                                                   "-",
                                                   "_",
                                                   " ",
                                                   "\"",
                                                   "\\",
                                                   "/",
                                                   "\n",
                                                   "\t",
                                                   std::string(1, '\x01'),
                                                   std::string(1, '\x1f'),
                                                   "\x7f",
                                                   "é",
                                                   "学分",
                                                   "银行",
                                                   "😀",
                                                   "\xef\xbf\xbd",
                                                   "~",
                                                   "<",
                                                   "&"};
  std::string out;
  int n = static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) out += kPieces[rng() % kPieces.size()];
  return out;
}

Centi RandomCenti(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return static_cast<Centi>(rng() % 20) * kCentiPerCredit;  // whole
    case 1:
      return static_cast<Centi>(rng() % 2000);  // two decimals
    case 2:
      return static_cast<Centi>(rng() % 200) * 10;  // one decimal
    default:
      return static_cast<Centi>(rng() % 100000000);  // large
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
    if (rng() % 4 == 0) in.source = RecordSource::kCredential;
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

namespace lcb {
namespace {

// What POST /v1/records does with a JSON body when the fast path declines: the tree path.
std::optional<std::vector<RecordInput>> TreePath(const std::string& body, size_t max_batch) {
  auto doc = ParseJsonBody(body);
  if (!doc.ok() || !doc->is_object() || !doc->contains("records") || doc->size() != 1) {
    return std::nullopt;
  }
  const json& arr = (*doc)["records"];
  if (!arr.is_array() || arr.size() > max_batch) return std::nullopt;
  std::vector<RecordInput> out;
  for (size_t i = 0; i < arr.size(); ++i) {
    auto in = RecordInputFromJson(arr[i], "/records/" + std::to_string(i));
    if (!in.ok()) return std::nullopt;
    out.push_back(std::move(in).value());
  }
  return out;
}

json RandomValue(std::mt19937_64& rng) {
  switch (rng() % 12) {
    case 0:
      return nullptr;
    case 1:
      return rng() % 2 == 0;
    case 2:
      return json::array({1, "x"});
    case 3:
      return json::object({{"a", 1}});
    case 4:
      return static_cast<int64_t>(rng() % 25) - 5;
    case 5:
      return (static_cast<double>(rng() % 2000) - 100) / 8;  // fractions, negatives
    case 6:
      return 1e30;
    case 7:
      return std::numeric_limits<uint64_t>::max();
    case 8:
      return std::string(rng() % 2 ? 129 : 65, 'x');
    case 9:
      return "";
    case 10:
      return std::string("bad\x01text");
    default:
      return RandomText(rng) + "v";
  }
}

// Printable text with escapes and multi-byte characters, no control characters.
std::string PrintableText(std::mt19937_64& rng) {
  static const std::vector<std::string> kPieces = {"a", "Z", "0",    "-", " ", "\"", "\\",
                                                   "/", "é", "学分", "😀", "~", "<",  "&"};
  std::string out;
  for (int i = static_cast<int>(rng() % 8); i > 0; --i) out += kPieces[rng() % kPieces.size()];
  return out;
}

json ValidRecord(std::mt19937_64& rng, int i) {
  json r = {{"learner", "lrn_" + std::to_string(rng() % 1000)},
            {"unit", "u:" + PrintableText(rng) + "1"},
            {"external_ref", "ref-" + std::to_string(i) + PrintableText(rng)},
            {"grade", {{"scale", "percent"}, {"value", std::to_string(rng() % 101)}}},
            {"completed_on", "2024-06-01"}};
  if (rng() % 2) r["credits"] = static_cast<double>(rng() % 800) / 4;  // 0.25 steps
  if (rng() % 3 == 0) r["credits"] = static_cast<int64_t>(rng() % 10);
  if (rng() % 3 == 0) r["hours"] = static_cast<double>(rng() % 400) / 2;
  if (rng() % 3 == 0) r["level"] = static_cast<int64_t>(1 + rng() % 10);
  if (rng() % 5 == 0) r["level"] = 4.0;  // a whole float is an integer
  if (rng() % 4 == 0) r["attendance"] = "full";
  if (rng() % 4 == 0) r["evidence_sha256"] = HexEncode(RandomBytes(32));
  if (rng() % 6 == 0) r["attendance"] = nullptr;  // null optional member = absent
  return r;
}

// The fast path may decline anything, but what it accepts the tree path accepts, with the
// same RecordInputs; and it does accept the plain valid batches.
TEST(EntryFormat, FastBatchParserAgreesWithTheTreePath) {
  std::mt19937_64 rng(7);
  const char* kFields[] = {"learner", "unit",  "external_ref", "credits",    "hours",
                           "level",   "grade", "completed_on", "attendance", "evidence_sha256",
                           "extra"};
  int fast_taken = 0, tree_taken = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    const size_t max_batch = 1 + rng() % 12;
    json records = json::array();
    const int n = static_cast<int>(rng() % 14);
    for (int i = 0; i < n; ++i) records.push_back(ValidRecord(rng, i));
    json body = {{"records", records}};
    std::string text;
    const int mutation = n == 0 ? 0 : static_cast<int>(rng() % 12);
    json scratch;
    json& victim = n == 0 ? scratch : body["records"][rng() % n];
    switch (mutation) {
      case 1:
        victim.erase(kFields[rng() % 10]);
        break;
      case 2:
        victim[kFields[rng() % 11]] = RandomValue(rng);
        break;
      case 3:
        victim["grade"][rng() % 2 ? "scale" : "value"] = RandomValue(rng);
        break;
      case 4:
        victim["grade"].erase(rng() % 2 ? "scale" : "value");
        break;
      case 5:
        victim["grade"]["other"] = 1;
        break;
      case 6:
        body["other"] = 1;
        break;
      case 7:
        victim["grade"]["value"] = 85.5;
        break;  // a number grade: tree only
      default:
        break;
    }
    text = body.dump();
    if (mutation == 8) {  // a repeated member, which a JSON tree resolves to the last one
      size_t at = text.find("\"learner\":");
      if (at != std::string::npos) text.insert(at, "\"learner\":\"lrn_dup\",");
    } else if (mutation == 9 && !text.empty()) {
      text.resize(rng() % text.size());  // truncated
    } else if (mutation == 10) {
      text += " x";  // trailing garbage
    } else if (mutation == 11) {
      size_t at = text.find("learner");  // an escaped key means the same member
      if (at != std::string::npos) text.replace(at, 7, "le\\u0061rner");
    }
    auto fast = ParseRecordBatchFast(text, max_batch);
    auto tree = TreePath(text, max_batch);
    if (fast) {
      ++fast_taken;
      ASSERT_TRUE(tree.has_value()) << "fast path accepted what the tree path rejects: " << text;
      ASSERT_EQ(fast->size(), tree->size());
      for (size_t i = 0; i < fast->size(); ++i) ASSERT_TRUE((*fast)[i] == (*tree)[i]) << text;
    }
    if (tree) ++tree_taken;
    if (mutation == 0 && static_cast<size_t>(n) <= max_batch) {
      EXPECT_TRUE(tree.has_value()) << text;
      EXPECT_TRUE(fast.has_value()) << "a plain valid batch should take the fast path: " << text;
    }
  }
  EXPECT_GT(fast_taken, 500);         // deterministic (fixed seed): 664
  EXPECT_GT(tree_taken, fast_taken);  // number grades and repeated members take the tree path
}

// A record entry as RecordEntryCanonical writes it, from random values of every field.
std::string RandomRecordEntry(std::mt19937_64& rng) {
  const UnitKind kinds[] = {UnitKind::kDegreeCourse, UnitKind::kVocationalCertificate,
                            UnitKind::kTraining, UnitKind::kMooc};
  RecordInput in;
  in.learner = "lrn_" + PrintableText(rng);
  in.unit = PrintableText(rng) + ":" + PrintableText(rng);
  in.external_ref = PrintableText(rng);
  if (rng() % 2) in.hours = RandomCenti(rng);
  in.grade_scale = PrintableText(rng);
  in.grade_value = PrintableText(rng);
  in.completed_on = "2024-06-01";
  if (rng() % 2) in.attendance = PrintableText(rng);
  if (rng() % 2) in.evidence_sha256 = HexEncode(RandomBytes(32));
  if (rng() % 4 == 0) in.source = RecordSource::kCredential;
  Record r;
  r.id = "rec_" + HexEncode(RandomBytes(12));
  r.learner = in.learner;
  r.unit = in.unit;
  r.issuer = PrintableText(rng);
  r.external_ref = in.external_ref;
  r.kind = kinds[rng() % 4];
  r.credits = RandomCenti(rng);
  r.level = static_cast<int>(rng() % 10);
  r.field = PrintableText(rng);
  r.grade_scale = in.grade_scale;
  r.grade_value = in.grade_value;
  r.grade = static_cast<int>(rng() % 101);
  r.completed_on = static_cast<Days>(rng() % 30000);
  if (rng() % 2) r.expires_on = static_cast<Days>(rng() % 40000);
  const std::string supersedes = rng() % 3 == 0 ? "rec_" + HexEncode(RandomBytes(12)) : "";
  std::string bytes = RecordEntryCanonical(r, in, "2026-12-04T08:00:00.123Z",
                                           HexEncode(RandomBytes(16)), supersedes)
                          .value();
  if (rng() % 2) {  // as SignedRecordEntryBytes writes it: with the signed submission
    json entry = json::parse(bytes);
    entry["submission"] = {{"jws", "eyJ" + std::string(300, 'A') + ".." + std::string(86, 'B')},
                           {"body_sha256", HexEncode(RandomBytes(32))}};
    bytes = CanonicalJson(entry).value();
  }
  return bytes;
}

// The tree path of the statistics' reader: a record entry's record, or nothing.
std::optional<Record> TreeEntryPath(const std::string& text) {
  json entry = json::parse(text, nullptr, false);
  if (!entry.is_object() || !entry.contains("type") || entry["type"] != "record") {
    return std::nullopt;
  }
  auto r = RecordFromEntry(entry);
  if (!r.ok()) return std::nullopt;
  return std::move(r).value();
}

bool SameRecord(const Record& a, const Record& b) {
  return a.id == b.id && a.issuer == b.issuer && a.learner == b.learner && a.unit == b.unit &&
         a.external_ref == b.external_ref && a.kind == b.kind && a.credits == b.credits &&
         a.level == b.level && a.field == b.field && a.grade_scale == b.grade_scale &&
         a.grade_value == b.grade_value && a.grade == b.grade && a.completed_on == b.completed_on &&
         a.expires_on == b.expires_on && a.source == b.source;
}

// RecordFromEntryFast may decline anything, but what it reads, the tree path (json::parse +
// RecordFromEntry) reads as the same record; and it reads every entry the bank writes.
TEST(EntryFormat, FastEntryReaderAgreesWithTheTreePath) {
  std::mt19937_64 rng(20261204);
  const char* kMembers[] = {"type",         "id",           "issuer", "learner",
                            "unit",         "external_ref", "kind",   "field",
                            "completed_on", "expires_on",   "source", "credits",
                            "level",        "grade",        "salt",   "submission"};
  int fast_taken = 0, tree_taken = 0;
  for (int iter = 0; iter < 6000; ++iter) {
    std::string text = RandomRecordEntry(rng);
    const int mutation = static_cast<int>(rng() % 14);
    json entry = json::parse(text);
    const char* member = kMembers[rng() % 16];
    switch (mutation) {
      case 1:
        entry.erase(member);
        break;
      case 2:
        entry[member] = RandomValue(rng);
        break;
      case 3:
        entry["grade"][std::vector<const char*>{"scale", "value", "normalized"}[rng() % 3]] =
            RandomValue(rng);
        break;
      case 4:
        entry["grade"].erase(std::vector<const char*>{"scale", "value", "normalized"}[rng() % 3]);
        break;
      case 5:
        entry["grade"]["other"] = 1;
        break;
      case 6:
        entry["other"] = json::array({json::object({{"a", json::array({1, "x"})}}), nullptr});
        break;
      case 7:
        entry["type"] = "revocation";
        break;
      case 8:
        entry["level"] = 4.0;
        break;  // a whole float: get<int> reads it, the fast path declines
      default:
        break;
    }
    if (mutation >= 1 && mutation <= 8) text = entry.dump();
    if (mutation == 9) {  // a repeated member, which a JSON tree resolves to the last one
      size_t at = text.find("\"learner\":");
      text.insert(at, "\"learner\":\"lrn_dup\",");
    } else if (mutation == 10) {
      text.resize(rng() % text.size());  // truncated
    } else if (mutation == 11) {
      text += " x";  // trailing garbage
    } else if (mutation == 12) {
      size_t at = text.find("\"issuer\"");  // an escaped key means the same member
      text.replace(at + 1, 6, "iss\\u0075er");
    }
    auto fast = RecordFromEntryFast(text);
    auto tree = TreeEntryPath(text);
    if (fast) {
      ++fast_taken;
      ASSERT_TRUE(tree.has_value()) << "fast path read what the tree path rejects: " << text;
      ASSERT_TRUE(SameRecord(*fast, *tree)) << text;
    }
    if (tree) ++tree_taken;
    if (mutation == 0 || mutation == 13) {
      ASSERT_TRUE(fast.has_value()) << "an entry as written should take the fast path: " << text;
    }
    if (mutation == 12) {
      EXPECT_TRUE(fast.has_value()) << text;
    }
  }
  EXPECT_GT(fast_taken, 1000);
  EXPECT_GT(tree_taken, fast_taken);  // whole-float levels and repeated members: tree only
}

}  // namespace
}  // namespace lcb
