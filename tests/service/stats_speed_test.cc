// The statistics' faster paths give the answers the slower ones did: StatsAggregates with every
// county's map made from its learners' cells kept and read again, an answer's parts sorted by
// radix and a group's cells left out smallest first from a heap (the default) against one that
// makes the maps afresh for every answer, sorts by comparing and sorts a group's cells whole,
// as before (set_reuse(false)), over random data sets
// changed between questions (Set, AddAll, Remove), for every group_by with issuer, region
// prefixes everywhere, at a province, a city and a county, each region level and k = 3..10:
// the same cells and the same `suppressed`, every time.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "service/stats_aggregates.h"

namespace lcb {
namespace {

void PrintCells(const StatsResult& r, std::ostream* os) {
  *os << "suppressed " << r.suppressed << ", " << r.cells.size() << " cells:";
  for (const StatsCell& c : r.cells) {
    *os << " [";
    for (const std::string& k : c.keys) *os << k << " ";
    *os << c.learners << "/" << c.records << "/" << c.credits << "/" << c.conversions << "]";
  }
}

struct World {
  std::mt19937 rng;
  std::vector<std::string> counties;
  std::vector<std::string> issuers;
  int kinds = 2, years = 2, levels = 2;
  StatsRecordFacts Record() {
    StatsRecordFacts r;
    r.kind = static_cast<UnitKind>(rng() % kinds);
    r.level = 1 + static_cast<int>(rng() % levels);
    r.year = 2020 + static_cast<int>(rng() % years);
    r.issuer = issuers[rng() % issuers.size()];
    r.credits = 100 + static_cast<Centi>(rng() % 400);
    return r;
  }
  StatsLearnerFacts Learner() {
    StatsLearnerFacts f;
    // Counties of unequal size: the first ones hold more learners.
    const size_t a = rng() % counties.size(), b = rng() % counties.size();
    f.region = counties[std::min(a, b)];
    f.conversions = static_cast<int64_t>(rng() % 3);
    for (int n = static_cast<int>(rng() % 4); n > 0; --n) f.records.push_back(Record());
    f.read_to = 0;
    return f;
  }
};

std::vector<std::vector<StatsKey>> GroupBysWithIssuer() {
  const std::vector<StatsKey> all = {StatsKey::kRegion, StatsKey::kKind, StatsKey::kLevel,
                                     StatsKey::kYear, StatsKey::kIssuer};
  std::vector<std::vector<StatsKey>> out;
  for (unsigned mask = 16; mask < 32; ++mask) {
    std::vector<StatsKey> group_by;
    for (unsigned b = 0; b < 5; ++b) {
      if (mask & (1u << b)) group_by.push_back(all[b]);
    }
    out.push_back(group_by);
  }
  return out;
}

TEST(StatsSpeedTest, FastPathsGiveTheAnswersOfTheSlowOnes) {
  const auto group_bys = GroupBysWithIssuer();
  const std::vector<std::string> prefixes = {"", "31", "32", "3101", "3102", "310101"};
  size_t questions = 0, shown = 0, suppressed = 0;
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    World w;
    w.rng.seed(seed);
    w.counties = {"310101", "310104", "310105", "310115", "310202", "310203", "320102", "320505"};
    w.counties.resize(3 + seed % 6);
    for (size_t i = 0, n = 2 + seed % 7; i < n; ++i)
      w.issuers.push_back("inst-" + std::to_string(i));
    w.kinds = 1 + static_cast<int>(seed % 3);
    w.years = 1 + static_cast<int>(seed / 3 % 3);
    w.levels = 1 + static_cast<int>(seed / 2 % 2);
    StatsAggregates fast, slow;
    slow.set_reuse(false);
    std::vector<StatsLearnerFacts> facts(40 + w.rng() % 400);
    for (size_t i = 0; i < facts.size(); ++i) {
      facts[i] = w.Learner();
      fast.Set("l" + std::to_string(i), facts[i]);
      slow.Set("l" + std::to_string(i), facts[i]);
    }
    for (uint64_t round = 1; round <= 4; ++round) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
      for (const auto& group_by : group_bys) {
        for (const std::string& prefix : prefixes) {
          const bool by_region = group_by.front() == StatsKey::kRegion;
          for (RegionLevel level :
               {RegionLevel::kCounty, RegionLevel::kCity, RegionLevel::kProvince}) {
            if (!by_region && level != RegionLevel::kCounty) continue;
            StatsQuery q;
            q.group_by = group_by;
            q.region_prefix = prefix;
            q.region_level = level;
            q.k = 3 + static_cast<int>(w.rng() % 8);
            const StatsResult want = slow.Compute(q);
            const StatsResult got = fast.Compute(q);
            ++questions;
            shown += want.cells.size();
            suppressed += static_cast<size_t>(want.suppressed);
            if (!(got == want)) {
              std::ostringstream g, x;
              PrintCells(got, &g);
              PrintCells(want, &x);
              FAIL() << "question " << AnswerId(q) << "\n got  " << g.str() << "\n want "
                     << x.str();
            }
          }
        }
      }
      // Changes between the rounds, to both: some learners replaced (some moving county),
      // records added (in cells they hold and new ones), a learner removed.
      for (int n = static_cast<int>(w.rng() % 6); n > 0; --n) {
        const size_t i = w.rng() % facts.size();
        facts[i] = w.Learner();
        fast.Set("l" + std::to_string(i), facts[i]);
        slow.Set("l" + std::to_string(i), facts[i]);
      }
      std::unordered_map<std::string, std::vector<StatsRecordFacts>> more;
      for (int n = static_cast<int>(w.rng() % 12); n > 0; --n) {
        const size_t i = w.rng() % facts.size();
        StatsRecordFacts r = !facts[i].records.empty() && w.rng() % 2
                                 ? facts[i].records[w.rng() % facts[i].records.size()]
                                 : w.Record();
        facts[i].records.push_back(r);
        more["l" + std::to_string(i)].push_back(r);
      }
      fast.AddAll(more, round);
      slow.AddAll(more, round);
      if (w.rng() % 2) {
        const std::string gone = "l" + std::to_string(w.rng() % facts.size());
        fast.Remove(gone);
        slow.Remove(gone);
      }
    }
  }
  // The data sets leave cells out and show others: the comparison means something.
  EXPECT_GT(shown, questions);
  EXPECT_GT(suppressed, questions);
  std::printf("%zu questions, %zu cells shown, %zu left out\n", questions, shown, suppressed);
}

}  // namespace
}  // namespace lcb
