// An audit of the statistics' suppression against what a regulator can work out by combining
// answers: every question regulator:31 may ask (each group_by subset, each region prefix
// under 31 that holds learners, each region level) is answered from StatsAggregates, every
// cell shown becomes an equation (its records as the sum of the finest cells it covers), and
// Gaussian elimination (modulo the prime 2^61 - 1) tells which left-out cells those equations
// pin down exactly. No left-out cell of fewer than k learners may be one.
//
// Records (and credits) add up over every key, so this is the quantity chains of differences
// recover. A learner may hold several records (in several cells of a key): a cell's learners,
// which decide whether it is small, are then fewer than its records.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/regions.h"
#include "service/stats_aggregates.h"

namespace lcb {
namespace {

using u64 = unsigned long long;
constexpr u64 kPrime = (1ull << 61) - 1;
u64 Mul(u64 a, u64 b) { return static_cast<u64>(static_cast<unsigned __int128>(a) * b % kPrime); }
u64 Sub(u64 a, u64 b) { return a >= b ? a - b : a + kPrime - b; }
u64 Inverse(u64 a) {
  u64 r = 1;
  for (u64 e = kPrime - 2; e; e >>= 1, a = Mul(a, a)) {
    if (e & 1) r = Mul(r, a);
  }
  return r;
}

struct Record {
  std::string region;
  UnitKind kind;
  int year;
  std::string issuer;
  int learner = -1;  // records of one learner share it (and its region); -1: a learner of its own
};

// The left-out cells of fewer than k learners that the shown cells of all answers determine,
// as "question cell[keys]". With `lattice`, answered from one suppression of the province's
// every answer (StatsAggregates::set_lattice); `left_out` (unless null) counts the cells left
// out over all the questions.
std::vector<std::string> Recovered(const std::vector<Record>& records, int64_t k,
                                   bool lattice = false, size_t* left_out = nullptr) {
  StatsAggregates aggregates;
  aggregates.set_lattice(lattice);
  auto learner_of = [&](size_t i) {
    return records[i].learner < 0 ? "r" + std::to_string(i)
                                  : "l" + std::to_string(records[i].learner);
  };
  std::map<std::string, StatsLearnerFacts> learners;
  for (size_t i = 0; i < records.size(); ++i) {
    StatsLearnerFacts& f = learners[learner_of(i)];
    f.region = records[i].region;
    f.records.push_back({records[i].kind, 6, records[i].year, records[i].issuer, 100});
  }
  for (const auto& [id, f] : learners) aggregates.Set(id, f);
  auto finest = [](const Record& r) {
    return r.region + "|" + std::string(UnitKindName(r.kind)) + "|" + std::to_string(r.year) + "|" +
           r.issuer;
  };
  std::map<std::string, size_t> fine;
  for (const Record& r : records) fine.emplace(finest(r), fine.size());
  const size_t n = fine.size();
  std::set<std::string> prefixes = {"31"};
  for (const Record& r : records) {
    prefixes.insert(r.region.substr(0, 4));
    prefixes.insert(r.region);
  }
  const std::vector<StatsKey> all = {StatsKey::kRegion, StatsKey::kKind, StatsKey::kLevel,
                                     StatsKey::kYear, StatsKey::kIssuer};
  struct Cell {
    std::vector<u64> covers;  // 1 for each finest cell it sums
    std::string what;
    std::set<std::string> learners;
    int64_t records = 0;
  };
  std::vector<std::vector<u64>> shown;
  std::vector<Cell> hidden;
  for (unsigned mask = 1; mask < 32; ++mask) {
    std::vector<StatsKey> group_by;
    for (size_t d = 0; d < all.size(); ++d) {
      if (mask >> d & 1) group_by.push_back(all[d]);
    }
    for (const std::string& prefix : prefixes) {
      for (RegionLevel level : {RegionLevel::kProvince, RegionLevel::kCity, RegionLevel::kCounty}) {
        if (!(mask & 1) && level != RegionLevel::kCounty) continue;  // the level needs region
        const StatsQuery q{group_by, prefix, level, k};
        const StatsResult answer = aggregates.Compute(q);
        // The true cells of the question.
        std::map<std::vector<std::string>, Cell> truth;
        for (size_t i = 0; i < records.size(); ++i) {
          const Record& r = records[i];
          if (!r.region.starts_with(prefix)) continue;
          std::vector<std::string> keys;
          for (StatsKey key : group_by) {
            switch (key) {
              case StatsKey::kRegion:
                keys.push_back(RegionAt(r.region, level));
                break;
              case StatsKey::kKind:
                keys.push_back(std::string(UnitKindName(r.kind)));
                break;
              case StatsKey::kLevel:
                keys.push_back("6");
                break;
              case StatsKey::kYear:
                keys.push_back(std::to_string(r.year));
                break;
              case StatsKey::kIssuer:
                keys.push_back(r.issuer);
                break;
            }
          }
          Cell& c = truth[keys];
          if (c.covers.empty()) c.covers.assign(n, 0);
          c.covers[fine[finest(r)]] = 1;
          c.learners.insert(learner_of(i));
          c.records++;
          if (c.what.empty()) {
            c.what = "group_by mask " + std::to_string(mask) + " region=" + prefix + " level " +
                     std::to_string(static_cast<int>(level)) + " cell[";
            for (const std::string& s : keys) c.what += s + " ";
            c.what += "]";
          }
        }
        std::set<std::vector<std::string>> shown_keys;
        for (const StatsCell& c : answer.cells) {
          shown_keys.insert(c.keys);
          EXPECT_TRUE(truth.contains(c.keys));
          EXPECT_EQ(c.records, truth[c.keys].records);
          EXPECT_EQ(c.learners, static_cast<int64_t>(truth[c.keys].learners.size()));
          shown.push_back(truth[c.keys].covers);
        }
        for (const auto& [keys, c] : truth) {
          if (!shown_keys.contains(keys)) hidden.push_back(c);
        }
        EXPECT_EQ(answer.suppressed, static_cast<int64_t>(truth.size() - shown_keys.size()));
      }
    }
  }
  // Row-reduce the shown cells' equations; a left-out cell is determined when its row reduces
  // to zero (it is a combination of shown cells).
  std::vector<std::pair<std::vector<u64>, size_t>> basis;  // reduced row, its pivot
  for (std::vector<u64> row : shown) {
    for (const auto& [b, pivot] : basis) {
      if (const u64 f = row[pivot]) {
        for (size_t j = 0; j < n; ++j) row[j] = Sub(row[j], Mul(f, b[j]));
      }
    }
    size_t pivot = 0;
    while (pivot < n && row[pivot] == 0) ++pivot;
    if (pivot == n) continue;
    const u64 inv = Inverse(row[pivot]);
    for (u64& x : row) x = Mul(x, inv);
    for (auto& [b, p] : basis) {
      if (const u64 f = b[pivot]) {
        for (size_t j = 0; j < n; ++j) b[j] = Sub(b[j], Mul(f, row[j]));
      }
    }
    basis.emplace_back(std::move(row), pivot);
  }
  if (left_out != nullptr) *left_out += hidden.size();
  std::vector<std::string> out;
  for (Cell h : hidden) {
    if (static_cast<int64_t>(h.learners.size()) >= k) continue;
    for (const auto& [b, pivot] : basis) {
      if (const u64 f = h.covers[pivot]) {
        for (size_t j = 0; j < n; ++j) h.covers[j] = Sub(h.covers[j], Mul(f, b[j]));
      }
    }
    bool determined = true;
    for (u64 x : h.covers) determined = determined && x == 0;
    if (determined) out.push_back(h.what + " learners " + std::to_string(h.learners.size()));
  }
  return out;
}

void Add(std::vector<Record>* records, int n, const std::string& region, UnitKind kind, int year) {
  for (int i = 0; i < n; ++i) records->push_back({region, kind, year, "uni"});
}

// Kind by year in one county: degree 2022 has 2 learners. Left out with one complement in its
// row and one in its column, (degree, 2023) would be the only cell left out of year 2023:
// year 2023's total less (mooc, 2023) gives it back, and kind degree's total less it gives
// the 2. Each group must leave out two cells or none.
TEST(StatsAuditTest, AChainOfOneKeyDifferencesRecoversNothing) {
  std::vector<Record> r;
  Add(&r, 2, "310101", UnitKind::kDegreeCourse, 2022);
  Add(&r, 12, "310101", UnitKind::kMooc, 2022);
  Add(&r, 11, "310101", UnitKind::kDegreeCourse, 2023);
  Add(&r, 13, "310101", UnitKind::kMooc, 2023);
  EXPECT_EQ(Recovered(r, 10), std::vector<std::string>{});
  // The same across two counties of a city, by year: 310101 has 3 learners in 2022.
  std::vector<Record> c;
  Add(&c, 3, "310101", UnitKind::kDegreeCourse, 2022);
  Add(&c, 12, "310104", UnitKind::kDegreeCourse, 2022);
  Add(&c, 11, "310101", UnitKind::kDegreeCourse, 2023);
  Add(&c, 13, "310104", UnitKind::kDegreeCourse, 2023);
  EXPECT_EQ(Recovered(c, 10), std::vector<std::string>{});
}

// Two levels of regions: city 3102 (8 learners) is left out of the cities of 31 with 3101, its
// complement. 3101's counties, asked at county level, each hold 14 or more: shown, they would
// add up to 3101, and the province less 3101 would give 3102 back. A region left out one level
// up leaves out some of its cells below it.
TEST(StatsAuditTest, ACityLeftOutIsNotGivenBackByItsCounties) {
  std::vector<Record> r;
  Add(&r, 15, "310101", UnitKind::kDegreeCourse, 2022);
  Add(&r, 14, "310104", UnitKind::kDegreeCourse, 2022);
  Add(&r, 14, "310105", UnitKind::kDegreeCourse, 2022);
  Add(&r, 8, "310201", UnitKind::kDegreeCourse, 2022);
  EXPECT_EQ(Recovered(r, 10), std::vector<std::string>{});
}

// Across a key other than region (the smallest of the data sets below that leaked with the rule
// over region alone): county 310104 (10 learners) is left out of 3101's counties beside
// 310101 (1 learner). Its learners all hold records of issuer uni, and uni's counties leave
// out 310101 and 310105 (9 there) but show 310104's 10: its total, by another name. 3101's
// total less it and 310105's would give 310101's back. A cell left out without a key leaves
// out some of its cells with that key, here the only one.
TEST(StatsAuditTest, ACountyLeftOutIsNotGivenBackByItsIssuers) {
  std::vector<Record> r;
  Add(&r, 1, "310101", UnitKind::kDegreeCourse, 2022);
  Add(&r, 5, "310104", UnitKind::kDegreeCourse, 2022);
  Add(&r, 5, "310104", UnitKind::kNonDegreeCourse, 2022);
  Add(&r, 5, "310105", UnitKind::kDegreeCourse, 2022);
  Add(&r, 4, "310105", UnitKind::kNonDegreeCourse, 2022);
  r.push_back({"310105", UnitKind::kNonDegreeCourse, 2022, "ou"});
  EXPECT_EQ(Recovered(r, 10), std::vector<std::string>{});
}

// Every cell of region x kind by county holds 12 learners, but county 310101's 3 learners have
// no records: they have no cell there, yet the counties alone leave 310101 out, with 310104
// and 310105 (two counties with records, so that the records of neither are given back). So
// 310104 and 310105 by kind leave their one kind out (else each would be its county's total).
// An answer whose own cells are all large enough still reads its coarser answers when a
// region without records is small.
TEST(StatsAuditTest, ASmallCountyWithoutRecordsIsRespectedByCellsWithRecords) {
  StatsAggregates aggregates;
  auto learners = [&](const std::string& region, int n, bool with_records) {
    for (int i = 0; i < n; ++i) {
      StatsLearnerFacts f;
      f.region = region;
      if (with_records) f.records.push_back({UnitKind::kDegreeCourse, 6, 2022, "uni", 100});
      aggregates.Set(region + "-" + std::to_string(i), f);
    }
  };
  learners("310101", 3, false);
  learners("310104", 12, true);
  learners("310105", 12, true);
  learners("310106", 13, true);
  const StatsResult counties =
      aggregates.Compute({{StatsKey::kRegion}, "31", RegionLevel::kCounty, 10});
  ASSERT_EQ(counties.cells.size(), 1u);
  EXPECT_EQ(counties.cells[0].keys, std::vector<std::string>{"310106"});
  const StatsResult by_kind =
      aggregates.Compute({{StatsKey::kRegion, StatsKey::kKind}, "31", RegionLevel::kCounty, 10});
  ASSERT_EQ(by_kind.cells.size(), 1u);
  EXPECT_EQ(by_kind.cells[0].keys, (std::vector<std::string>{"310106", "degree_course"}));
  EXPECT_EQ(by_kind.suppressed, 2);
}

// A left-out cell that another answer shows under another name protects nothing. County
// 310105's 12 learners all hold moocs, so its mooc cell is its total, which 3101's counties
// show. Left out as the complement of 310101's 3 mooc learners, it would leave 3101's moocs
// less 310104's (shown) and 310105's total = the 3. So the mooc column leaves out 310104's
// moocs instead (and the cells that chain on from there), and shows 310105's.
TEST(StatsAuditTest, AComplementKnownElsewhereIsNotTheOneLeftOut) {
  std::vector<Record> r;
  Add(&r, 3, "310101", UnitKind::kMooc, 2022);
  Add(&r, 12, "310101", UnitKind::kDegreeCourse, 2022);
  Add(&r, 12, "310105", UnitKind::kMooc, 2022);
  Add(&r, 20, "310104", UnitKind::kMooc, 2022);
  Add(&r, 15, "310104", UnitKind::kDegreeCourse, 2022);
  Add(&r, 11, "310104", UnitKind::kNonDegreeCourse, 2022);
  Add(&r, 14, "310106", UnitKind::kDegreeCourse, 2022);
  Add(&r, 13, "310106", UnitKind::kNonDegreeCourse, 2022);
  EXPECT_EQ(Recovered(r, 10), std::vector<std::string>{});
}

// Random small data (2-5 counties in two cities, 20-79 learners with one record each, two kinds,
// two years, two issuers): before every group had to leave out two cells or none, 27 of these
// 40 data sets gave back a cell of fewer than 10 learners. Not every possible data set is safe
// (see stats_suppress.h, "What this does not protect"): these seeds are a regression check.
std::vector<Record> RandomSmallTable(unsigned seed) {
  static const std::vector<std::string> counties = {"310101", "310104", "310105", "310201",
                                                    "310202"};
  std::mt19937 rng(seed);
  const size_t nc = 2 + rng() % 4;
  const int n = 20 + static_cast<int>(rng() % 60);
  std::vector<Record> records;
  for (int i = 0; i < n; ++i) {
    const std::string& region = counties[rng() % nc];
    const UnitKind kind = rng() % 2 ? UnitKind::kMooc : UnitKind::kDegreeCourse;
    const int year = 2022 + static_cast<int>(rng() % 2);
    records.push_back({region, kind, year, rng() % 2 ? "uni" : "ou"});
    rng();  // (the credits, which the audit does not use)
  }
  return records;
}

TEST(StatsAuditTest, RandomSmallTablesGiveBackNoSmallCell) {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    EXPECT_EQ(Recovered(RandomSmallTable(seed), 10), std::vector<std::string>{}) << "seed " << seed;
  }
}

// The same data sets, answered from one suppression of the province's every answer.
TEST(StatsAuditTest, RandomSmallTablesGiveBackNoSmallCellFromTheLattice) {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    EXPECT_EQ(Recovered(RandomSmallTable(seed), 10, /*lattice=*/true), std::vector<std::string>{})
        << "seed " << seed;
  }
}

// Learners with 1-3 records each (in one region, so a learner sits in several cells of a key),
// counties of unequal size (the i-th of 2-6 in two cities drawn i+1 times as often), 20-99
// records, two kinds, two years, two issuers. With `single`, each county holds a single kind
// (mooc), year (2023) or issuer (ou) with probability 1/2 (a sixth each); without, the random
// draws are those the figures below were measured with.
std::vector<Record> LearnersWithSeveralRecords(unsigned seed, bool single) {
  const std::vector<std::string> counties = {"310101", "310104", "310105",
                                             "310201", "310202", "310203"};
  std::mt19937 rng(seed);
  const size_t nc = 2 + rng() % (counties.size() - 1);
  const int n = 20 + static_cast<int>(rng() % 80);
  std::vector<unsigned> one(nc, 0);  // 0-2: none; 3: one kind; 4: one year; 5: one issuer
  if (single) {
    for (unsigned& o : one) o = static_cast<unsigned>(rng() % 6);
  }
  std::vector<Record> records;
  for (int learner = 0; static_cast<int>(records.size()) < n; ++learner) {
    size_t pick = rng() % (nc * (nc + 1) / 2), at = 0;
    while (at + 1 < nc && pick > at) pick -= ++at;
    const int held = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < held; ++i) {
      UnitKind kind = static_cast<UnitKind>(rng() % 2);
      int year = 2022 + static_cast<int>(rng() % 2);
      std::string issuer = rng() % 2 ? "uni" : "ou";
      if (one[at] == 3) kind = UnitKind::kMooc;
      if (one[at] == 4) year = 2023;
      if (one[at] == 5) issuer = "ou";
      records.push_back({counties[at], kind, year, issuer, learner});
    }
  }
  return records;
}

// With the rule over region alone (a region left out a level up), 2 of these 200 data sets
// gave back a county of fewer than 10 learners: a county left out beside it, whose records its
// cells by kind or year, all shown, added up to.
TEST(StatsAuditTest, LearnersWithSeveralRecordsGiveBackNoSmallCell) {
  for (unsigned seed = 1; seed <= 200; ++seed) {
    EXPECT_EQ(Recovered(LearnersWithSeveralRecords(seed, false), 10), std::vector<std::string>{})
        << "seed " << seed;
  }
}

TEST(StatsAuditTest, LearnersWithSeveralRecordsGiveBackNoSmallCellFromTheLattice) {
  for (unsigned seed = 1; seed <= 200; ++seed) {
    EXPECT_EQ(Recovered(LearnersWithSeveralRecords(seed, false), 10, /*lattice=*/true),
              std::vector<std::string>{})
        << "seed " << seed;
  }
}

// A measurement, not a check (run with --gtest_also_run_disabled_tests): what is still given
// back when counties hold a single kind, year or issuer, so that many cells are their parents
// by another name. Such a cell left out where nothing else can be (its group's other cells are
// small, or known too) protects nothing, and only its parent's answer could leave it out: not
// done (stats_suppress.h, "What this does not protect").
TEST(StatsAuditTest, DISABLED_MeasureCountiesOfOneKindYearOrIssuer) {
  for (bool lattice : {false, true}) {
    int leaked = 0;
    size_t left_out = 0;
    std::string seeds;
    const char* sets = std::getenv("LCB_AUDIT_SETS");  // default 400
    const unsigned kSets = sets != nullptr ? static_cast<unsigned>(std::atoi(sets)) : 400;
    for (unsigned seed = 1; seed <= kSets; ++seed) {
      const std::vector<std::string> got =
          Recovered(LearnersWithSeveralRecords(seed, true), 10, lattice, &left_out);
      if (got.empty()) continue;
      seeds += " " + std::to_string(seed);
      if (++leaked <= 3) std::printf("seed %u: %s\n", seed, got.front().c_str());
    }
    std::printf(
        "%s: %d of %u data sets give back a cell of fewer than 10 learners (seeds%s); "
        "%zu cells left out over every question\n",
        lattice ? "lattice" : "per answer", leaked, kSets, seeds.c_str(), left_out);
  }
}

// The same figures for the data sets of the two checks above (the cells left out: the cost of
// the lattice in cells no longer shown).
TEST(StatsAuditTest, DISABLED_MeasureLatticeOnTheChecks) {
  for (bool lattice : {false, true}) {
    int leaked = 0;
    size_t random_left_out = 0, several_left_out = 0;
    for (unsigned seed = 1; seed <= 40; ++seed) {
      leaked += !Recovered(RandomSmallTable(seed), 10, lattice, &random_left_out).empty();
    }
    for (unsigned seed = 1; seed <= 200; ++seed) {
      leaked += !Recovered(LearnersWithSeveralRecords(seed, false), 10, lattice, &several_left_out)
                     .empty();
    }
    std::printf(
        "%s: %d of 240 leak; cells left out: %zu (random small tables), %zu (several "
        "records)\n",
        lattice ? "lattice" : "per answer", leaked, random_left_out, several_left_out);
  }
}

// Of the data sets above that answers suppressed one at a time give back a small cell of (27 of
// the first 400), the lattice (stats_lattice.h) gives back none but seed 237's: there the
// left-out kinds of the province add up, as its total less its moocs, to two counties' records,
// one of them shown (a sum over a group, not a chain of single cells, which the lattice does not
// model; benchmarks/README.md, "Statistics", 2026-12-07).
TEST(StatsAuditTest, TheLatticeClosesTheLeaksOfCountiesOfOneKindYearOrIssuer) {
  for (unsigned seed : {8,   15,  24,  97,  104, 109, 149, 150, 156, 157, 210, 213, 229,
                        248, 253, 257, 291, 297, 313, 332, 360, 370, 371, 375, 391, 396}) {
    EXPECT_EQ(Recovered(LearnersWithSeveralRecords(seed, true), 10, /*lattice=*/true),
              std::vector<std::string>{})
        << "seed " << seed;
  }
}

// Not a check (run with --gtest_also_run_disabled_tests, SEED=n): one data set of the
// measurement above, its finest cells' learners, what the lattice still gives back of it, and
// the lattice's answers to the questions of region 31.
TEST(StatsAuditTest, DISABLED_PrintOneDataSet) {
  const unsigned seed =
      std::getenv("SEED") ? static_cast<unsigned>(std::atoi(std::getenv("SEED"))) : 237;
  auto r = LearnersWithSeveralRecords(seed, true);
  std::map<std::string, std::set<int>> cells;
  for (auto& x : r)
    cells[x.region + " " + std::string(UnitKindName(x.kind)) + " " + std::to_string(x.year) + " " +
          x.issuer]
        .insert(x.learner);
  std::map<std::string, std::set<int>> county;
  for (auto& x : r) county[x.region].insert(x.learner);
  for (auto& [c, s] : county) std::printf("county %s: %zu learners\n", c.c_str(), s.size());
  for (auto& [c, s] : cells) std::printf("%s: %zu\n", c.c_str(), s.size());
  for (auto& s : Recovered(r, 10, true)) std::printf("REC %s\n", s.c_str());
  StatsAggregates a;
  a.set_lattice(true);
  std::map<std::string, StatsLearnerFacts> ls;
  for (auto& x : r) {
    auto& f = ls["l" + std::to_string(x.learner)];
    f.region = x.region;
    f.records.push_back({x.kind, 6, x.year, x.issuer, 100});
  }
  for (auto& [id, f] : ls) a.Set(id, f);
  const std::vector<StatsKey> all = {StatsKey::kRegion, StatsKey::kKind, StatsKey::kYear,
                                     StatsKey::kIssuer};
  for (unsigned mask = 0; mask < 16; ++mask) {
    std::vector<StatsKey> g;
    for (size_t d = 0; d < 4; ++d)
      if (mask >> d & 1) g.push_back(all[d]);
    for (RegionLevel level : {RegionLevel::kProvince, RegionLevel::kCity, RegionLevel::kCounty}) {
      if (!(mask & 1) && level != RegionLevel::kCounty) continue;
      if (g.empty()) continue;
      auto ans = a.Compute({g, "31", level, 10});
      std::printf("mask %u level %d suppressed %lld:", mask, (int)level, (long long)ans.suppressed);
      for (auto& c : ans.cells) {
        std::printf(" [");
        for (auto& k : c.keys) std::printf("%s ", k.c_str());
        std::printf("%lld]", (long long)c.learners);
      }
      std::printf("\n");
    }
  }
}

}  // namespace
}  // namespace lcb
