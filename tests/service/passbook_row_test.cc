// The stored passbook totals (codec/rows.h, kLearners "p/"): what is written reads back equal,
// with the same passbook on every day; a damaged or old-format row is refused (DataLoss: the
// service then rebuilds the totals from the records), never read as other numbers. And the
// passbook's JSON text (codec/mapping.h), written by hand for its long `expiring` list, against
// the same answer built as json values.
#include <gtest/gtest.h>

#include <random>

#include "codec/json_util.h"
#include "codec/mapping.h"
#include "codec/rows.h"
#include "common/date.h"

namespace lcb {
namespace {

// Totals over `n` records with random keys, dates, expiry days and revocations.
PassbookTotals RandomTotals(std::mt19937_64& rng, int n, std::vector<Record>* counted) {
  auto below = [&](int k) { return static_cast<int>(rng() % static_cast<uint64_t>(k)); };
  const char* issuers[] = {"tsinghua", "pku", "ouchn"};
  const char* fields[] = {"0613", "0715", "02", "99"};
  const Days base = *ParseDate("2025-03-15", "");
  PassbookTotals totals;
  for (int k = 0; k < n; ++k) {
    Record r;
    r.id = "rec-" + std::to_string(k);
    r.unit = "u" + std::to_string(k % 7);
    r.issuer = issuers[below(3)];
    r.kind = static_cast<UnitKind>(below(kUnitKindCount));
    r.credits = below(2001);
    r.level = 1 + below(8);
    r.field = fields[below(4)];
    r.completed_on = base - below(365 * 4);
    if (below(2) == 0) r.expires_on = base - 200 + below(40) * 20;  // days shared by records
    r.passing = below(9) != 0;
    if (below(8) == 0) {
      totals.AddRevoked();
      continue;
    }
    totals.Add(r);
    counted->push_back(r);
    if (below(6) == 0) {
      const size_t victim = static_cast<size_t>(below(static_cast<int>(counted->size())));
      totals.Revoke((*counted)[victim]);
      counted->erase(counted->begin() + static_cast<ptrdiff_t>(victim));
    }
  }
  return totals;
}

TEST(PassbookRowTest, ReadsBackWhatWasWritten) {
  std::mt19937_64 rng(14);
  for (int n : {0, 1, 7, 300, 3000}) {
    std::vector<Record> counted;
    PassbookTotals totals = RandomTotals(rng, n, &counted);
    const std::string row = EncodePassbookRow(12345 + n, totals);
    uint64_t watermark = 0;
    auto back = DecodePassbookRow(row, &watermark);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(watermark, 12345u + n);
    EXPECT_EQ(*back, totals) << n << " records";
    const Days base = *ParseDate("2025-03-15", "");
    for (Days today : {base - 300, base - 200, base, base + 100, base + 700}) {
      const Passbook a = totals.At(today), b = back->At(today);
      EXPECT_EQ(a.total_credits, b.total_credits);
      EXPECT_EQ(a.by_issuer, b.by_issuer);
      EXPECT_EQ(a.expiring, b.expiring);
      EXPECT_EQ(a.expired_count, b.expired_count);
      EXPECT_EQ(a.failed_count, b.failed_count);
    }
  }
}

TEST(PassbookRowTest, DamagedOrOldRowsAreRefused) {
  std::mt19937_64 rng(15);
  std::vector<Record> counted;
  const std::string row = EncodePassbookRow(7, RandomTotals(rng, 40, &counted));
  uint64_t watermark = 0;
  // Every cut short of the whole row, and the row with a byte more.
  for (size_t len = 0; len < row.size(); ++len) {
    EXPECT_EQ(DecodePassbookRow(row.substr(0, len), &watermark).status().code(),
              StatusCode::kDataLoss)
        << "cut at " << len << " of " << row.size();
  }
  EXPECT_EQ(DecodePassbookRow(row + "x", &watermark).status().code(), StatusCode::kDataLoss);
  // The earlier formats are not read as this one: the first (one entry per dated record) and
  // the second (which counted failing grades in the totals), so such rows are rebuilt.
  for (const char* magic : {"PBT1", "PBT2"}) {
    std::string old = row;
    old.replace(0, 4, magic);
    EXPECT_EQ(DecodePassbookRow(old, &watermark).status().code(), StatusCode::kDataLoss) << magic;
  }
  // A day's record count far past the row's end is refused without reserving for it (a
  // reserve of 2^32 entries would throw).
  PassbookTotals one_day;
  one_day.by_expiry[100];  // a day with no records: the row ends with its record count
  std::string huge = EncodePassbookRow(7, one_day);
  huge.replace(huge.size() - 4, 4, std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(DecodePassbookRow(huge, &watermark).status().code(), StatusCode::kDataLoss);
}

// The answer as json values, field by field (what the text must parse to).
json PassbookAsValues(const std::string& learner, const Passbook& p, json extra) {
  auto credits_map = [](const std::map<std::string, Centi>& m) {
    json o = json::object();
    for (const auto& [k, v] : m) o[k] = CreditsJson(v);
    return o;
  };
  json expiring = json::array();
  for (const auto& x : p.expiring) {
    expiring.push_back({{"record", x.record},
                        {"expires_on", FormatDate(x.expires_on)},
                        {"credits", CreditsJson(x.credits)},
                        {"unit", x.unit}});
  }
  extra.update(json{{"learner", learner},
                    {"total_credits", CreditsJson(p.total_credits)},
                    {"by_kind", credits_map(p.by_kind)},
                    {"by_level", credits_map(p.by_level)},
                    {"by_field", credits_map(p.by_field)},
                    {"by_issuer", credits_map(p.by_issuer)},
                    {"by_year", credits_map(p.by_year)},
                    {"expiring", expiring},
                    {"revoked_count", p.revoked_count},
                    {"active_count", p.active_count},
                    {"expired_count", p.expired_count},
                    {"failed_count", p.failed_count}});
  return extra;
}

TEST(PassbookJsonTextTest, ParsesToTheAnswerAsValues) {
  std::mt19937_64 rng(16);
  const Days base = *ParseDate("2025-03-15", "");
  for (int n : {0, 1, 5, 2000}) {
    std::vector<Record> counted;
    const Passbook pb = RandomTotals(rng, n, &counted).At(base);
    const json extra = {{"as_of", "2025-03-15"}, {"issuer_names", {{"pku", "北京大学"}}}};
    const std::string text = PassbookJsonText("lrn_1", pb, extra);
    EXPECT_EQ(json::parse(text), PassbookAsValues("lrn_1", pb, extra)) << n << " records";
  }
  // Ids that need escaping, fractional and zero credits, an empty list.
  Passbook pb;
  pb.total_credits = 250;
  pb.by_issuer = {{"pku", 250}};
  pb.expiring = {{"plain-id", base + 3, 250, "pku:CS101"},
                 {"quote\"back\\slash\nline", base + 4, 0, "u\"q"},
                 {"中文", base + 5, 1, "大学:课程"},
                 {"ctl\x01", base + 6, 12345, "ctl\x02"}};
  const std::string text = PassbookJsonText("lrn_2", pb);
  EXPECT_EQ(json::parse(text), PassbookAsValues("lrn_2", pb, json::object()));
  EXPECT_EQ(json::parse(text)["expiring"][0]["credits"], 2.5);
  EXPECT_EQ(json::parse(PassbookJsonText("lrn_3", Passbook{}))["expiring"], json::array());
}

}  // namespace
}  // namespace lcb
