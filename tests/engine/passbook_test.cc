#include "engine/passbook.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace lcb {
namespace {

Days D(std::string_view date) { return *ParseDate(date, ""); }

Record MakeRecord(std::string id, UnitKind kind, Centi credits, int level, std::string field,
                  std::string issuer, std::string_view completed_on) {
  Record r;
  r.id = std::move(id);
  r.learner = "L1";
  r.unit = issuer + ":U";
  r.issuer = std::move(issuer);
  r.kind = kind;
  r.credits = credits;
  r.level = level;
  r.field = std::move(field);
  r.completed_on = D(completed_on);
  return r;
}

TEST(PassbookTest, Empty) {
  Passbook pb = ComputePassbook({}, D("2024-06-30"));
  EXPECT_EQ(pb.total_credits, 0);
  EXPECT_TRUE(pb.by_kind.empty());
  EXPECT_TRUE(pb.by_year.empty());
  EXPECT_TRUE(pb.expiring.empty());
  EXPECT_EQ(pb.active_count + pb.revoked_count + pb.expired_count, 0);
}

TEST(PassbookTest, TotalsByEveryKey) {
  std::vector<Record> records = {
      MakeRecord("r1", UnitKind::kDegreeCourse, 400, 6, "0613", "tsinghua", "2023-06-30"),
      MakeRecord("r2", UnitKind::kMooc, 150, 6, "061", "xuetangx", "2024-01-10"),
      MakeRecord("r3", UnitKind::kVocationalCertificate, 750, 4, "0715", "hrss", "2024-03-01"),
      MakeRecord("r4", UnitKind::kDegreeCourse, 200, 10, "09", "tsinghua", "2024-05-01"),
  };
  Passbook pb = ComputePassbook(records, D("2024-06-30"));
  EXPECT_EQ(pb.total_credits, 1500);
  EXPECT_EQ(pb.by_kind,
            (std::map<std::string, Centi>{
                {"degree_course", 600}, {"mooc", 150}, {"vocational_certificate", 750}}));
  EXPECT_EQ(pb.by_level, (std::map<std::string, Centi>{{"6", 550}, {"4", 750}, {"10", 200}}));
  EXPECT_EQ(pb.by_field, (std::map<std::string, Centi>{{"06", 550}, {"07", 750}, {"09", 200}}));
  EXPECT_EQ(pb.by_issuer,
            (std::map<std::string, Centi>{{"tsinghua", 600}, {"xuetangx", 150}, {"hrss", 750}}));
  EXPECT_EQ(pb.by_year, (std::map<std::string, Centi>{{"2023", 400}, {"2024", 1100}}));
  EXPECT_EQ(pb.active_count, 4);
}

TEST(PassbookTest, RevokedNeverCounts) {
  std::vector<Record> records = {
      MakeRecord("r1", UnitKind::kMooc, 100, 5, "06", "a1", "2024-01-01"),
      MakeRecord("r2", UnitKind::kMooc, 200, 5, "06", "a1", "2024-01-01"),
  };
  records[1].revoked = true;
  records[1].expires_on = D("2024-12-01");  // revoked wins over expiring
  Passbook pb = ComputePassbook(records, D("2024-06-30"));
  EXPECT_EQ(pb.total_credits, 100);
  EXPECT_EQ(pb.revoked_count, 1);
  EXPECT_EQ(pb.active_count, 1);
  EXPECT_EQ(pb.expired_count, 0);
  EXPECT_TRUE(pb.expiring.empty());
}

// A failing grade is kept in the learner's history but earns nothing: no credits, no key, no
// expiring entry; revoked, it is counted as revoked only.
TEST(PassbookTest, FailingGradesEarnNothing) {
  std::vector<Record> records = {
      MakeRecord("r1", UnitKind::kDegreeCourse, 300, 6, "0613", "tsinghua", "2024-01-01"),
      MakeRecord("r2", UnitKind::kMooc, 200, 5, "0715", "xuetangx", "2023-01-01"),
      MakeRecord("r3", UnitKind::kMooc, 100, 5, "0715", "xuetangx", "2024-01-01"),
  };
  records[1].passing = false;
  records[1].expires_on = D("2024-12-01");
  records[2].passing = false;
  records[2].revoked = true;
  Passbook pb = ComputePassbook(records, D("2024-06-30"));
  EXPECT_EQ(pb.total_credits, 300);
  EXPECT_EQ(pb.by_kind, (std::map<std::string, Centi>{{"degree_course", 300}}));
  EXPECT_EQ(pb.by_issuer, (std::map<std::string, Centi>{{"tsinghua", 300}}));
  EXPECT_EQ(pb.by_year, (std::map<std::string, Centi>{{"2024", 300}}));
  EXPECT_TRUE(pb.expiring.empty());
  EXPECT_EQ(pb.active_count, 1);
  EXPECT_EQ(pb.failed_count, 1);
  EXPECT_EQ(pb.revoked_count, 1);
  EXPECT_EQ(pb.expired_count, 0);

  PassbookTotals totals;
  totals.Add(records[0]);
  totals.Add(records[1]);
  Record failed_then_revoked = records[2];
  failed_then_revoked.revoked = false;
  totals.Add(failed_then_revoked);
  totals.Revoke(failed_then_revoked);
  const Passbook kept = totals.At(D("2024-06-30"));
  EXPECT_EQ(kept.total_credits, 300);
  EXPECT_EQ(kept.failed_count, 1);
  EXPECT_EQ(kept.revoked_count, 1);
  EXPECT_TRUE(kept.expiring.empty());
  EXPECT_EQ(kept.by_kind, pb.by_kind);
}

TEST(PassbookTest, ExpiryBoundaries) {
  const Days today = D("2024-06-30");
  auto rec = [&](std::string id, Days expires) {
    Record r =
        MakeRecord(std::move(id), UnitKind::kSkillCertificate, 100, 4, "04", "b1", "2020-01-01");
    r.expires_on = expires;
    return r;
  };
  std::vector<Record> records = {
      rec("yesterday", today - 1),  // expired
      rec("today", today),          // expired: expires_on must be > today to count
      rec("tomorrow", today + 1),   // active, expiring
      rec("in365", today + 365),    // active, expiring (last day of the window)
      rec("in366", today + 366),    // active, not listed
      MakeRecord("never", UnitKind::kExam, 100, 4, "04", "b1", "2020-01-01"),
  };
  Passbook pb = ComputePassbook(records, today);
  EXPECT_EQ(pb.expired_count, 2);
  EXPECT_EQ(pb.active_count, 4);
  EXPECT_EQ(pb.total_credits, 400);
  EXPECT_EQ(pb.expiring, (std::vector<ExpiringRecord>{{"tomorrow", today + 1, 100, "b1:U"},
                                                      {"in365", today + 365, 100, "b1:U"}}));
}

TEST(PassbookTest, ExpiringSortedByDateThenId) {
  const Days today = D("2024-06-30");
  std::vector<Record> records;
  for (const std::string& id : std::vector<std::string>{"c", "a", "b"}) {
    records.push_back(MakeRecord(id, UnitKind::kTraining, 50, 3, "10", "c1", "2024-01-01"));
    records.back().expires_on = today + 10;
  }
  records.push_back(MakeRecord("z", UnitKind::kTraining, 70, 3, "10", "c1", "2024-01-01"));
  records.back().expires_on = today + 5;
  Passbook pb = ComputePassbook(records, today);
  ASSERT_EQ(pb.expiring.size(), 4u);
  EXPECT_EQ(pb.expiring[0].record, "z");
  EXPECT_EQ(pb.expiring[0].credits, 70);
  EXPECT_EQ(pb.expiring[1].record, "a");
  EXPECT_EQ(pb.expiring[2].record, "b");
  EXPECT_EQ(pb.expiring[3].record, "c");
}

// ---- Property test against an independent oracle ------------------------------------------

// A tiny seeded generator (SplitMix64), so that the data does not depend on the standard
// library's distributions.
class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

// Oracle: written as a filter over the records recomputed for each key.
bool OracleCounts(const Record& r, Days today) {
  if (r.revoked || !r.passing) return false;
  if (!r.expires_on.has_value()) return true;
  return today < *r.expires_on;
}

std::string YearOf(const Record& r) { return FormatDate(r.completed_on).substr(0, 4); }
std::string LevelOf(const Record& r) {
  std::ostringstream out;
  out << r.level;
  return out.str();
}
std::string KindOf(const Record& r) { return std::string(UnitKindName(r.kind)); }
std::string FieldOf(const Record& r) { return std::string(r.field.begin(), r.field.begin() + 2); }
std::string IssuerOf(const Record& r) { return r.issuer; }

std::map<std::string, Centi> OracleTotals(const std::vector<Record>& records, Days today,
                                          std::string (*key_of)(const Record&)) {
  std::set<std::string> keys;
  for (const Record& r : records) {
    if (OracleCounts(r, today)) keys.insert(key_of(r));
  }
  std::map<std::string, Centi> totals;
  for (const std::string& key : keys) {
    Centi sum = 0;
    for (const Record& r : records) {
      if (OracleCounts(r, today) && key_of(r) == key) sum += r.credits;
    }
    totals[key] = sum;
  }
  return totals;
}

std::vector<ExpiringRecord> OracleExpiring(const std::vector<Record>& records, Days today) {
  std::vector<const Record*> pending;
  for (const Record& r : records) {
    if (OracleCounts(r, today) && r.expires_on && *r.expires_on <= today + 365) {
      pending.push_back(&r);
    }
  }
  // Selection: repeatedly take the smallest (expires_on, id).
  std::vector<ExpiringRecord> out;
  while (!pending.empty()) {
    size_t best = 0;
    for (size_t k = 1; k < pending.size(); ++k) {
      const Record& a = *pending[k];
      const Record& b = *pending[best];
      if (*a.expires_on < *b.expires_on || (*a.expires_on == *b.expires_on && a.id < b.id)) {
        best = k;
      }
    }
    out.push_back({pending[best]->id, *pending[best]->expires_on, pending[best]->credits,
                   pending[best]->unit});
    pending.erase(pending.begin() + static_cast<long>(best));
  }
  return out;
}

TEST(PassbookTest, MatchesOracleOnRandomLearners) {
  SplitMix rng(20240630);
  const std::vector<std::string> fields = {"00",   "01",  "0111", "023",  "0311", "0413", "05",
                                           "0613", "061", "0715", "0841", "0912", "1015", "99"};
  const std::vector<std::string> issuers = {"tsinghua", "pku",         "ouchn", "hrss",
                                            "xuetangx", "sh-lifelong", "huawei"};
  const Days today = D("2025-03-15");
  int total_records = 0, total_revoked = 0, total_expired = 0, total_expiring = 0;
  int total_failed = 0;
  for (int learner = 0; learner < 300; ++learner) {
    std::vector<Record> records;
    const int n = rng.Below(40);
    for (int k = 0; k < n; ++k) {
      Record r;
      // Unique ids in random order, so that expiry ties are broken by id.
      r.id = "rec" + std::to_string(rng.Below(1000)) + "-" + std::to_string(k);
      r.learner = "L" + std::to_string(learner);
      r.issuer = issuers[rng.Below(static_cast<int>(issuers.size()))];
      r.kind = static_cast<UnitKind>(rng.Below(kUnitKindCount));
      r.credits = rng.Below(20) == 0 ? 0 : rng.Below(100001);
      r.level = 1 + rng.Below(10);
      r.field = fields[rng.Below(static_cast<int>(fields.size()))];
      r.completed_on = today - rng.Below(365 * 30);
      if (rng.Below(3) == 0) {
        // Expiry anywhere from long past to far future, with extra weight near the window
        // edges (today, today + 365).
        switch (rng.Below(4)) {
          case 0:
            r.expires_on = today + rng.Below(5) - 2;
            break;
          case 1:
            r.expires_on = today + 365 + rng.Below(5) - 2;
            break;
          default:
            r.expires_on = today - 3000 + rng.Below(6000);
            break;
        }
      }
      r.revoked = rng.Below(8) == 0;
      r.passing = rng.Below(7) != 0;
      records.push_back(std::move(r));
    }

    Passbook pb = ComputePassbook(records, today);

    int revoked = 0, expired = 0, active = 0, failed = 0;
    Centi total = 0;
    for (const Record& r : records) {
      if (r.revoked) {
        ++revoked;
      } else if (!r.passing) {
        ++failed;
      } else if (OracleCounts(r, today)) {
        ++active;
        total += r.credits;
      } else {
        ++expired;
      }
    }
    ASSERT_EQ(pb.revoked_count, revoked) << "learner " << learner;
    ASSERT_EQ(pb.expired_count, expired) << "learner " << learner;
    ASSERT_EQ(pb.active_count, active) << "learner " << learner;
    ASSERT_EQ(pb.failed_count, failed) << "learner " << learner;
    ASSERT_EQ(pb.total_credits, total) << "learner " << learner;
    ASSERT_EQ(pb.by_kind, OracleTotals(records, today, &KindOf)) << "learner " << learner;
    ASSERT_EQ(pb.by_level, OracleTotals(records, today, &LevelOf)) << "learner " << learner;
    ASSERT_EQ(pb.by_field, OracleTotals(records, today, &FieldOf)) << "learner " << learner;
    ASSERT_EQ(pb.by_issuer, OracleTotals(records, today, &IssuerOf)) << "learner " << learner;
    ASSERT_EQ(pb.by_year, OracleTotals(records, today, &YearOf)) << "learner " << learner;
    ASSERT_EQ(pb.expiring, OracleExpiring(records, today)) << "learner " << learner;
    // Every total sums to the grand total.
    for (const auto* m : {&pb.by_kind, &pb.by_level, &pb.by_field, &pb.by_issuer, &pb.by_year}) {
      Centi sum = 0;
      for (const auto& [key, credits] : *m) sum += credits;
      ASSERT_EQ(sum, pb.total_credits);
    }
    total_records += n;
    total_revoked += revoked;
    total_expired += expired;
    total_expiring += static_cast<int>(pb.expiring.size());
    total_failed += failed;
  }
  // The generator exercised every branch.
  EXPECT_GT(total_records, 4000);
  EXPECT_GT(total_revoked, 300);
  EXPECT_GT(total_expired, 300);
  EXPECT_GT(total_expiring, 100);
  EXPECT_GT(total_failed, 300);
}

void ExpectSamePassbook(const Passbook& a, const Passbook& b, const std::string& what) {
  EXPECT_EQ(a.total_credits, b.total_credits) << what;
  EXPECT_EQ(a.by_kind, b.by_kind) << what;
  EXPECT_EQ(a.by_level, b.by_level) << what;
  EXPECT_EQ(a.by_field, b.by_field) << what;
  EXPECT_EQ(a.by_issuer, b.by_issuer) << what;
  EXPECT_EQ(a.by_year, b.by_year) << what;
  EXPECT_EQ(a.expiring, b.expiring) << what;
  EXPECT_EQ(a.revoked_count, b.revoked_count) << what;
  EXPECT_EQ(a.active_count, b.active_count) << what;
  EXPECT_EQ(a.expired_count, b.expired_count) << what;
  EXPECT_EQ(a.failed_count, b.failed_count) << what;
}

// The running totals give ComputePassbook's answer for every day, whatever the order of
// additions and revocations, including records revoked before they were counted and keys
// whose last record is revoked.
TEST(PassbookTotalsTest, EqualsComputePassbookUnderAddsAndRevocations) {
  SplitMix rng(77);
  const std::vector<std::string> fields = {"01", "0613", "061", "0715", "99"};
  const std::vector<std::string> issuers = {"tsinghua", "pku", "ouchn"};
  const Days base = D("2025-03-15");
  for (int learner = 0; learner < 200; ++learner) {
    std::vector<Record> records;
    PassbookTotals totals;
    const int n = rng.Below(60);
    for (int k = 0; k < n; ++k) {
      Record r;
      r.id = "rec" + std::to_string(rng.Below(50)) + "-" + std::to_string(k);
      r.issuer = issuers[rng.Below(3)];
      r.kind = static_cast<UnitKind>(rng.Below(kUnitKindCount));
      r.credits = rng.Below(10) == 0 ? 0 : rng.Below(2001);
      r.level = 1 + rng.Below(4);
      r.field = fields[rng.Below(static_cast<int>(fields.size()))];
      r.completed_on = base - rng.Below(365 * 5);
      if (rng.Below(2) == 0) r.expires_on = base - 400 + rng.Below(1200);
      r.passing = rng.Below(6) != 0;
      if (rng.Below(6) == 0) {
        r.revoked = true;
        totals.AddRevoked();
      } else {
        totals.Add(r);
      }
      records.push_back(r);
      // Now and then revoke a counted record.
      if (rng.Below(5) == 0) {
        Record& victim = records[rng.Below(static_cast<int>(records.size()))];
        if (!victim.revoked) {
          totals.Revoke(victim);
          victim.revoked = true;
        }
      }
    }
    for (Days today : {base - 500, base, base + 1, base + 300, base + 900}) {
      ExpectSamePassbook(totals.At(today), ComputePassbook(records, today),
                         "learner " + std::to_string(learner) + " day " + std::to_string(today));
    }
  }
}

}  // namespace
}  // namespace lcb
