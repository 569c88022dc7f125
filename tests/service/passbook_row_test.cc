// The stored passbook totals (codec/rows.h, kLearners "p/"): what is written reads back equal,
// with the same passbook on every day; a damaged or old-format row is refused (DataLoss: the
// service then rebuilds the totals from the records), never read as other numbers.
#include <gtest/gtest.h>

#include <random>

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
    r.issuer = issuers[below(3)];
    r.kind = static_cast<UnitKind>(below(kUnitKindCount));
    r.credits = below(2001);
    r.level = 1 + below(8);
    r.field = fields[below(4)];
    r.completed_on = base - below(365 * 4);
    if (below(2) == 0) r.expires_on = base - 200 + below(40) * 20;  // days shared by records
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
  // The first format (one entry per dated record) is not read as this one.
  std::string old = row;
  old.replace(0, 4, "PBT1");
  EXPECT_EQ(DecodePassbookRow(old, &watermark).status().code(), StatusCode::kDataLoss);
  // A count far past the row's end is refused without reserving for it.
  std::string huge = EncodePassbookRow(7, PassbookTotals{});
  huge.replace(huge.size() - 4, 4, std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(DecodePassbookRow(huge, &watermark).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace lcb
