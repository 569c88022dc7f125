// StatsService's maintained aggregates against the brute-force scan (service/stats_scan.h):
// random learners (with and without regions), records posted (some retried), revoked and
// corrected (the replacement sometimes for another learner) and conversions applied, through
// the real services over a real RocksDB; after every few changes each query family (every
// group_by subset in two key orders, every region level, several prefixes, two k) must get
// the same answer from the aggregates as from the scan. Then the same after a reopen (the
// aggregates rebuilt from the store). Plus the definitions on a hand-made case.
#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "codec/json_util.h"
#include "common/date.h"
#include "service/stats_aggregates.h"
#include "service/stats_scan.h"
#include "service/stats_suppress.h"
#include "service/stats_text.h"
#include "tests/service/fixture.h"

namespace lcb {

// Failures print the cells.
void PrintTo(const StatsCell& c, std::ostream* os) {
  *os << "[";
  for (const std::string& key : c.keys) *os << key << " ";
  *os << c.learners << " " << c.records << " " << c.credits << " " << c.conversions << "]";
}
void PrintTo(const StatsResult& r, std::ostream* os) {
  *os << "{k " << r.k << ", suppressed " << r.suppressed << ", cells";
  for (const StatsCell& c : r.cells) {
    *os << " ";
    PrintTo(c, os);
  }
  *os << "}";
}

namespace testing {
namespace {

const std::vector<std::string> kRegions = {"310101", "310101", "310104", "310115",
                                           "320102", "110101", ""};
const std::vector<std::string> kUnits = {"uni:CS101", "uni:MA101", "uni:PH201", "ou:ENG1",
                                         "ou:VOC1"};

class StatsServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    LoadCatalog();
    Unit ph = MakeUnit("uni:PH201", 300, 7, "0533");
    ph.kind = UnitKind::kMooc;
    ASSERT_TRUE(s().catalog().PutUnit(ph, Admin()).ok());
    Unit voc = MakeUnit("ou:VOC1", 150, 4, "0715");
    voc.kind = UnitKind::kVocationalCertificate;
    ASSERT_TRUE(s().catalog().PutUnit(voc, Admin()).ok());
    PublishProgram();
  }
  void PublishProgram() {
    Program p;
    p.id = "uni:BSC";
    p.institution = "uni";
    p.title = "BSc";
    p.kind = "bachelor";
    p.total_credits = 12000;
    p.requirements = {Requirement{"pool", "Pool", RequirementKind::kPool, 3000}};
    ASSERT_TRUE(s().catalog().PutProgram(p, Admin()).ok());
    Ruleset rs;
    rs.program = "uni:BSC";
    Rule r;
    r.id = "any";
    r.target = "pool";
    r.grant = 100;
    Pattern degree_courses;
    degree_courses.kind = UnitKind::kDegreeCourse;
    r.sources = {degree_courses};
    rs.rules = {r};
    auto v = Await<RulesetPublication>(
        [&](auto done) { s().rulesets().Publish("uni:BSC", rs, Uni(), done); });
    ASSERT_TRUE(v.ok()) << v.status().ToString();
  }
  static Principal Uni() {
    Principal p;
    p.kind = RoleKind::kInstitution;
    p.subject = "uni";
    return p;
  }

  StatsResult Compute(const StatsQuery& q) {
    auto r = s().stats().Compute(q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : StatsResult{};
  }
  StatsResult Scan(const StatsQuery& q) {
    auto r = ComputeStatsByScan(s().records(), s().kv(), q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : StatsResult{};
  }
  // `n` new learners of `region`, each posting a 2024 record of uni:CS101; the first
  // `with_earlier` of them also one record per {unit, grade, completed_on} of `earlier`.
  void AddLearners(const std::string& region, int n, int with_earlier,
                   const std::vector<std::array<std::string, 3>>& earlier = {}) {
    for (int i = 0; i < n; ++i) {
      NewLearner in;
      in.region = region;
      auto l = s().learners().Create(in, Admin());
      ASSERT_TRUE(l.ok());
      std::vector<RecordInput> inputs = {Input(l->id, "uni:CS101", "A-" + std::to_string(ref_++))};
      for (size_t e = 0; i < with_earlier && e < earlier.size(); ++e) {
        const auto& [unit, grade, date] = earlier[e];
        inputs.push_back(Input(l->id, unit, "A-" + std::to_string(ref_++), grade, date));
      }
      ASSERT_TRUE(Post("uni", inputs).ok());
    }
  }
  int ref_ = 0;

  // Every query family, aggregates == scan. Returns the cells shown over all queries.
  size_t ExpectAggregatesEqualScan();

  void CreateLearner();
  void PostRandom();
  void RevokeRandom();
  void CorrectRandom();
  void ConvertRandom();
  void RandomChange();

  std::mt19937 rng_{20261202};
  std::vector<std::string> learners_;
  std::vector<std::pair<std::string, RecordInput>> posted_;  // issuer, input
  std::vector<std::pair<std::string, std::string>> active_;  // record id, issuer
  int refs_ = 0;
};

size_t StatsServiceTest::ExpectAggregatesEqualScan() {
  const std::vector<StatsKey> all = {StatsKey::kRegion, StatsKey::kKind, StatsKey::kLevel,
                                     StatsKey::kYear, StatsKey::kIssuer};
  size_t shown = 0;
  // One scan of the store for every question (the coarser answers they respect computed once).
  auto scanner = StatsScanner::Read(s().records(), s().kv());
  EXPECT_TRUE(scanner.ok()) << scanner.status().ToString();
  if (!scanner.ok()) return shown;
  for (unsigned mask = 1; mask < 32; ++mask) {
    std::vector<StatsKey> group_by;
    for (unsigned i = 0; i < 5; ++i) {
      if (mask & (1u << i)) group_by.push_back(all[i]);
    }
    std::vector<StatsKey> shuffled = group_by;
    std::shuffle(shuffled.begin(), shuffled.end(), rng_);
    // The answers with the keys in group_by's order, by (level, prefix, k).
    std::map<std::tuple<RegionLevel, std::string, int>, StatsResult> in_order;
    for (const auto& order : {group_by, shuffled}) {
      for (RegionLevel level : {RegionLevel::kProvince, RegionLevel::kCity, RegionLevel::kCounty}) {
        for (const std::string prefix : {"", "31", "3101", "310101", "32", "11"}) {
          for (int k : {1, 2}) {
            StatsQuery q{order, prefix, level, k};
            const StatsResult want = scanner->Compute(q);
            const StatsResult got = Compute(q);
            EXPECT_EQ(got, want) << "mask " << mask << " prefix " << prefix << " k " << k;
            if (got != want) return shown;  // one difference is enough to read
            shown += want.cells.size();
            // The order of group_by changes the order of the keys, not which cells are left out.
            if (order == group_by) {
              in_order[{level, prefix, k}] = want;
            } else {
              std::vector<StatsCell> cells = want.cells;
              for (StatsCell& c : cells) {
                std::vector<std::string> keys(group_by.size());
                for (size_t i = 0; i < order.size(); ++i) {
                  keys[std::find(group_by.begin(), group_by.end(), order[i]) - group_by.begin()] =
                      c.keys[i];
                }
                c.keys = std::move(keys);
              }
              std::sort(cells.begin(), cells.end(),
                        [](const StatsCell& x, const StatsCell& y) { return x.keys < y.keys; });
              const StatsResult& same = in_order[{level, prefix, k}];
              EXPECT_EQ(cells, same.cells) << "mask " << mask << " shuffled, prefix " << prefix;
              EXPECT_EQ(want.suppressed, same.suppressed) << "mask " << mask << " " << prefix;
            }
            // A finer prefix answers with the cells its province's answer has under it (grouped
            // by region at least as finely as the prefix): it never shows a cell that answer
            // leaves out as a sibling's complement.
            const size_t region_at =
                std::find(order.begin(), order.end(), StatsKey::kRegion) - order.begin();
            if (prefix.size() > 2 && region_at < order.size() &&
                static_cast<size_t>(RegionDigits(level)) >= prefix.size()) {
              std::vector<StatsCell> under;
              for (const StatsCell& c : Compute({order, prefix.substr(0, 2), level, k}).cells) {
                if (c.keys[region_at].starts_with(prefix)) under.push_back(c);
              }
              EXPECT_EQ(want.cells, under) << "mask " << mask << " prefix " << prefix;
            }
            // Paged (3-4 pages), the answer is the same cells; suppressed counts them all.
            StatsQuery page = q;
            page.limit = 1 + want.cells.size() / 3 + rng_() % 2;
            std::vector<StatsCell> cells;
            for (size_t pages = 0; pages <= want.cells.size(); ++pages) {
              const StatsResult r = Compute(page);
              EXPECT_EQ(r.suppressed, want.suppressed);
              cells.insert(cells.end(), r.cells.begin(), r.cells.end());
              if (!r.more) break;
              EXPECT_EQ(r.cells.size(), page.limit);
              page.after = r.cells.back().keys;
              page.as_of = pages % 2 == 0 ? r.as_of : 0;  // the kept answer, or the current
            }
            EXPECT_EQ(cells, want.cells) << "paged by " << page.limit << ", mask " << mask;
          }
        }
      }
    }
  }
  return shown;
}

void StatsServiceTest::CreateLearner() {
  NewLearner in;
  in.display_name = "L" + std::to_string(learners_.size());
  const std::string& region = kRegions[rng_() % kRegions.size()];
  if (!region.empty()) in.region = region;
  auto created = s().learners().Create(in, Admin());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  learners_.push_back(created->id);
}

void StatsServiceTest::PostRandom() {
  if (!posted_.empty() && rng_() % 6 == 0) {  // an idempotent retry: counted once
    const auto& [issuer, input] = posted_[rng_() % posted_.size()];
    auto again = Post(issuer, {input});
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    ASSERT_TRUE(again->records[0].existed);
    return;
  }
  const std::string& unit = kUnits[rng_() % kUnits.size()];
  const std::string issuer = unit.substr(0, unit.find(':'));
  std::vector<RecordInput> inputs;
  for (int n = 1 + static_cast<int>(rng_() % 3); n > 0; --n) {
    const std::string date = std::to_string(2019 + rng_() % 6) + "-06-30";
    // One in five fails (percent, pass 60): stored, but in no statistic.
    const std::string grade = rng_() % 5 == 0 ? "45" : "85";
    inputs.push_back(Input(learners_[rng_() % learners_.size()], unit,
                           "R-" + std::to_string(refs_++), grade, date));
  }
  auto posted = Post(issuer, inputs);
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  for (size_t i = 0; i < inputs.size(); ++i) {
    posted_.emplace_back(issuer, inputs[i]);
    active_.emplace_back(posted->records[i].id, issuer);
  }
}

void StatsServiceTest::RevokeRandom() {
  if (active_.empty()) return;
  const size_t i = rng_() % active_.size();
  const std::string id = active_[i].first, issuer = active_[i].second;
  active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
  auto r = Await<Revocation>([&](auto done) { s().records().Revoke(id, issuer, "test", done); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

void StatsServiceTest::CorrectRandom() {
  if (active_.empty()) return;
  const size_t i = rng_() % active_.size();
  const std::string id = active_[i].first, issuer = active_[i].second;
  active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
  const std::string unit = issuer == "uni" ? "uni:MA101" : "ou:VOC1";
  RecordInput replacement = Input(learners_[rng_() % learners_.size()], unit,
                                  "R-" + std::to_string(refs_++), "70", "2021-01-15");
  std::promise<StatusOr<Correction>> corrected;
  s().records().Correct(id, issuer, replacement, "typo", [&](StatusOr<Correction> c, BatchErrors) {
    corrected.set_value(std::move(c));
  });
  auto c = corrected.get_future().get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  active_.emplace_back(c->record.id, issuer);
}

void StatsServiceTest::ConvertRandom() {
  const std::string& learner = learners_[rng_() % learners_.size()];
  auto applied = Await<AppliedConversion>(
      [&](auto done) { s().conversions().Apply(learner, "uni:BSC", TodayUtc(), Uni(), done); });
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
}

void StatsServiceTest::RandomChange() {
  switch (rng_() % 8) {
    case 0:
      return CreateLearner();
    case 1:
    case 2:
    case 3:
      return PostRandom();
    case 4:
      return RevokeRandom();
    case 5:
      return CorrectRandom();
    default:
      return ConvertRandom();
  }
}

TEST_F(StatsServiceTest, AggregatesEqualTheScanThroughRandomChangesAndAReopen) {
  for (int i = 0; i < 12; ++i) CreateLearner();
  ExpectAggregatesEqualScan();  // built here, from a store with learners only
  for (int round = 0; round < 5 && !HasFailure(); ++round) {
    for (int i = 0; i < 40; ++i) ASSERT_NO_FATAL_FAILURE(RandomChange());
    ExpectAggregatesEqualScan();
  }
  ASSERT_FALSE(HasFailure());
  Open();  // a new process: the aggregates are built from what is stored
  for (int i = 0; i < 20; ++i) ASSERT_NO_FATAL_FAILURE(RandomChange());
  const size_t shown = ExpectAggregatesEqualScan();
  EXPECT_GT(shown, 1000u);  // rich enough that cells are shown, not all suppressed
}

// Cities keep the maps of {issuer} and {issuer, year} (service/stats_aggregates.h): what they
// answer equals the scan after records are posted, revoked and corrected, conversions applied
// (their learners reloaded), learners added, and after a reopen (the maps built from the store),
// for learners in several cities of one province, every region level and prefix, k 1 to 3.
TEST_F(StatsServiceTest, CityIssuerMapsEqualTheScanThroughChangesAndAReopen) {
  for (const std::string region : {"310101", "310104", "310201", "310202", "310301", "320102"}) {
    for (int i = 0; i < 4; ++i) {
      NewLearner in;
      in.region = region;
      auto created = s().learners().Create(in, Admin());
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      learners_.push_back(created->id);
    }
  }
  using K = StatsKey;
  const std::vector<std::vector<StatsKey>> questions = {{K::kIssuer},
                                                        {K::kIssuer, K::kYear},
                                                        {K::kYear, K::kIssuer},
                                                        {K::kRegion, K::kIssuer},
                                                        {K::kRegion, K::kIssuer, K::kYear},
                                                        {K::kIssuer, K::kKind}};
  size_t shown = 0;
  auto expect_equal = [&](const std::string& when) {
    auto scanner = StatsScanner::Read(s().records(), s().kv());
    ASSERT_TRUE(scanner.ok()) << scanner.status().ToString();
    for (const std::vector<StatsKey>& group_by : questions) {
      for (RegionLevel level : {RegionLevel::kProvince, RegionLevel::kCity, RegionLevel::kCounty}) {
        for (const std::string prefix : {"", "31", "3101", "3102", "310101", "32"}) {
          for (int k : {1, 2, 3}) {
            const StatsQuery q{group_by, prefix, level, k};
            const StatsResult want = scanner->Compute(q);
            ASSERT_EQ(Compute(q), want)
                << when << ": " << group_by.size() << " keys, prefix " << prefix << ", level "
                << static_cast<int>(level) << ", k " << k;
            shown += want.cells.size();
          }
        }
      }
    }
  };
  ASSERT_NO_FATAL_FAILURE(expect_equal("built"));
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 30; ++i) ASSERT_NO_FATAL_FAILURE(RandomChange());
    for (int i = 0; i < 3; ++i) {
      ASSERT_NO_FATAL_FAILURE(RevokeRandom());
      ASSERT_NO_FATAL_FAILURE(ConvertRandom());
    }
    ASSERT_NO_FATAL_FAILURE(expect_equal("round " + std::to_string(round)));
  }
  EXPECT_GT(s().stats().reloads(), 0u);  // learners were reloaded, not only added to
  Open();                                // a new process: the maps are built from what is stored
  for (int i = 0; i < 20; ++i) ASSERT_NO_FATAL_FAILURE(RandomChange());
  ASSERT_NO_FATAL_FAILURE(expect_equal("reopened"));
  EXPECT_GT(shown, 1000u);  // cells shown, not all left out
}

// A client paging through one answer while records arrive reads the answer of its first page
// (kept), cell for cell, though a new question meanwhile saw the new records; once the answer is no
// longer kept (8 newer answers), a cursor reads the current figures.
TEST_F(StatsServiceTest, PagesOfOneAnswerDescribeOneMomentWhileRecordsArrive) {
  for (int i = 0; i < 30; ++i) CreateLearner();
  for (int i = 0; i < 30; ++i) ASSERT_NO_FATAL_FAILURE(PostRandom());
  StatsQuery q{{StatsKey::kRegion, StatsKey::kKind, StatsKey::kYear}, "", RegionLevel::kCounty, 1};
  const StatsResult before = Scan(q);
  ASSERT_GT(before.cells.size(), 6u);
  q.limit = 3;
  const StatsResult first = Compute(q);
  ASSERT_TRUE(first.more);
  EXPECT_NE(first.as_of, 0u);
  for (int i = 0; i < 20; ++i) ASSERT_NO_FATAL_FAILURE(PostRandom());
  q.limit = 0;
  const StatsResult now = Scan(q);
  ASSERT_NE(now.cells, before.cells);  // the records changed the answer
  // Someone else's question (no cursor) meanwhile: the current figures.
  const StatsResult asked_again = Compute(q);
  EXPECT_EQ(asked_again, now);
  EXPECT_NE(asked_again.as_of, first.as_of);

  StatsQuery page = q;
  page.limit = 3;
  page.after = first.cells.back().keys;
  page.as_of = first.as_of;
  std::vector<StatsCell> cells = first.cells;
  for (bool more = true; more;) {
    const StatsResult r = Compute(page);
    EXPECT_EQ(r.as_of, first.as_of);
    EXPECT_EQ(r.suppressed, before.suppressed);
    cells.insert(cells.end(), r.cells.begin(), r.cells.end());
    more = r.more;
    if (more) page.after = r.cells.back().keys;
  }
  EXPECT_EQ(cells, before.cells);

  for (int k = 2; k < 2 + static_cast<int>(StatsAggregates::kKeptAnswers); ++k) {
    StatsQuery other = q;
    other.k = k;
    Compute(other);
  }
  page.after = first.cells.back().keys;
  page.limit = 0;
  const StatsResult evicted = Compute(page);
  EXPECT_EQ(evicted.as_of, asked_again.as_of);  // the current state, not first's
  std::vector<StatsCell> rest;
  for (const StatsCell& c : now.cells) {
    if (c.keys > first.cells.back().keys) rest.push_back(c);
  }
  EXPECT_EQ(evicted.cells, rest);
}

// The statistics read the records added since the last request from the log's entries; a
// learner read at or after a record's leaf (StatsLearnerFacts::read_to) counts it already.
TEST_F(StatsServiceTest, RecordsAddedAreReadFromTheLogEntries) {
  for (int i = 0; i < 3; ++i) CreateLearner();
  for (int i = 0; i < 10; ++i) ASSERT_NO_FATAL_FAILURE(PostRandom());
  auto rows = ReadLearnerRows(s().kv());
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  const LearnerRow row = rows->front();
  auto before = LoadStatsFacts(s().records(), s().kv(), row);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_TRUE(before->read_to.has_value());
  const uint64_t read_to = *before->read_to;
  EXPECT_EQ(read_to, s().records().LastLeaf().value() + 1);

  const std::string other = learners_[0] == row.id ? learners_[1] : learners_[0];
  auto posted = Post("uni", {Input(row.id, "uni:CS101", "ADD-1", "85", "2024-06-30"),
                             Input(other, "uni:CS101", "ADD-2", "85", "2024-06-30"),
                             Input(row.id, "uni:CS101", "ADD-3", "85", "2025-06-30")});
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  auto revoked = Await<Revocation>(
      [&](auto done) { s().records().Revoke(posted->records[1].id, "uni", "test", done); });
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  const uint64_t size = s().records().LastLeaf().value() + 1;
  ASSERT_EQ(size, read_to + 4);  // three records, one revocation

  std::vector<std::pair<uint64_t, Record>> seen;
  ASSERT_TRUE(s().records()
                  .RecordsInEntries(read_to, size,
                                    [&](uint64_t leaf, Record r) { seen.emplace_back(leaf, r); })
                  .ok());
  ASSERT_EQ(seen.size(), 3u);  // the revocation is not a record
  const std::vector<std::string> learners = {row.id, other, row.id};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(seen[i].first, read_to + i);
    EXPECT_EQ(seen[i].second.id, posted->records[i].id);
    EXPECT_EQ(seen[i].second.learner, learners[i]);
    EXPECT_FALSE(seen[i].second.revoked);  // as logged
    EXPECT_EQ(StatsFactsOf(seen[i].second).year, i == 2 ? 2025 : 2024);
  }
  // A range that starts and ends inside what was logged.
  std::vector<uint64_t> leaves;
  ASSERT_TRUE(s().records()
                  .RecordsInEntries(read_to + 1, read_to + 3,
                                    [&](uint64_t leaf, Record) { leaves.push_back(leaf); })
                  .ok());
  EXPECT_EQ(leaves, (std::vector<uint64_t>{read_to + 1, read_to + 2}));

  // Read again now, the learner counts the two (its facts read to the new size).
  auto after = LoadStatsFacts(s().records(), s().kv(), row);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->records.size(), before->records.size() + 2);
  EXPECT_EQ(after->read_to, size);
}

// Accounts created after the aggregates were built are taken from their rows, and their
// records from the log's entries, each once: no replay of their records (reloads() stays), the
// first of their records at the very leaf the statistics read from. A conversion's mark asks for
// the whole reload.
TEST_F(StatsServiceTest, NewAccountsAreCountedFromTheirRowsAndTheEntries) {
  for (int i = 0; i < 4; ++i) CreateLearner();
  for (int i = 0; i < 6; ++i) ASSERT_NO_FATAL_FAILURE(PostRandom());
  const StatsQuery by_region{{StatsKey::kRegion, StatsKey::kYear}, "", RegionLevel::kCounty, 1};
  EXPECT_EQ(Compute(by_region), Scan(by_region));  // built here
  const uint64_t reloads = s().stats().reloads();

  const size_t old = learners_.size();
  const uint64_t size = s().records().LastLeaf().value() + 1;
  for (int i = 0; i < 3; ++i) CreateLearner();
  auto row = s().learners().Get(learners_[old]);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->logged_before, size);  // the log's size when it was written
  // The first entry logged since is a new learner's record.
  auto posted = Post("uni", {Input(learners_[old], "uni:CS101", "NEW-1", "85", "2023-06-30"),
                             Input(learners_[old + 1], "uni:CS101", "NEW-2", "75", "2024-06-30"),
                             Input(learners_[0], "uni:CS101", "NEW-3", "75", "2024-06-30")});
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  posted = Post("ou", {Input(learners_[old], "ou:VOC1", "NEW-4", "80", "2024-01-15")});
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  // learners_[old + 2] has no record: counted by region alone.
  ExpectAggregatesEqualScan();
  EXPECT_EQ(s().stats().reloads(), reloads);

  // New, with records and a conversion before the next question: reloaded whole.
  CreateLearner();
  posted = Post("uni", {Input(learners_.back(), "uni:CS101", "NEW-5", "90", "2024-06-30")});
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  auto applied = Await<AppliedConversion>([&](auto done) {
    s().conversions().Apply(learners_.back(), "uni:BSC", TodayUtc(), Uni(), done);
  });
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ExpectAggregatesEqualScan();
  EXPECT_EQ(s().stats().reloads(), reloads + 1);
}

// AddAll (records summed per region, then each region's maps updated once per distinct cell)
// against the oracle of setting the learners again with all their records: every question
// family, at every level, equal. Learners share counties, cities and provinces, some have no
// region, and each round mixes records in cells their learner has with records in new cells.
TEST(StatsAggregatesTest, AddAllEqualsSettingTheLearnersAgain) {
  std::mt19937 rng(4);
  const std::vector<std::string> regions = {"310101", "310104", "310115", "320102",
                                            "320505", "110101", ""};
  const std::vector<std::string> issuers = {"uni", "ou", "poly", "cc"};
  auto random_record = [&] {
    StatsRecordFacts r;
    r.kind = static_cast<UnitKind>(rng() % 3);
    r.level = 5 + static_cast<int>(rng() % 3);
    r.year = 2020 + static_cast<int>(rng() % 4);
    r.issuer = issuers[rng() % issuers.size()];
    r.credits = 100 + static_cast<Centi>(rng() % 400);
    return r;
  };
  StatsAggregates added, set;
  std::vector<StatsLearnerFacts> facts(60);
  for (size_t i = 0; i < facts.size(); ++i) {
    facts[i].region = regions[rng() % regions.size()];
    facts[i].conversions = static_cast<int64_t>(rng() % 2);
    for (int n = static_cast<int>(rng() % 4); n > 0; --n)
      facts[i].records.push_back(random_record());
    facts[i].read_to = 0;
    added.Set("l" + std::to_string(i), facts[i]);
  }
  for (uint64_t round = 1; round <= 6; ++round) {
    std::unordered_map<std::string, std::vector<StatsRecordFacts>> more;
    for (int n = 0; n < 80; ++n) {
      const size_t i = rng() % facts.size();
      // Half of them in a cell the learner has, when it has one.
      StatsRecordFacts r = !facts[i].records.empty() && rng() % 2
                               ? facts[i].records[rng() % facts[i].records.size()]
                               : random_record();
      r.credits = 100 + static_cast<Centi>(rng() % 400);
      facts[i].records.push_back(r);
      more["l" + std::to_string(i)].push_back(r);
    }
    added.AddAll(more, round);
    for (const auto& [learner, records] : more) EXPECT_EQ(added.ReadTo(learner), round);
    for (size_t i = 0; i < facts.size(); ++i) set.Set("l" + std::to_string(i), facts[i]);
    const std::vector<StatsKey> all = {StatsKey::kRegion, StatsKey::kKind, StatsKey::kLevel,
                                       StatsKey::kYear, StatsKey::kIssuer};
    for (unsigned mask = 1; mask < 32; ++mask) {
      std::vector<StatsKey> group_by;
      for (unsigned b = 0; b < 5; ++b) {
        if (mask & (1u << b)) group_by.push_back(all[b]);
      }
      for (RegionLevel level : {RegionLevel::kProvince, RegionLevel::kCity, RegionLevel::kCounty}) {
        for (const std::string prefix : {"", "31", "3101", "32"}) {
          const StatsQuery q{group_by, prefix, level, 1};
          const StatsResult want = set.Compute(q);
          ASSERT_EQ(added.Compute(q), want)
              << "round " << round << " mask " << mask << " prefix " << prefix;
        }
      }
    }
  }
}

// Any mark other than a new account's asks for the whole reload, whichever comes first; marks
// made before tracking starts are dropped.
TEST(LearnerChangesTest, AnyOtherMarkWinsOverANewAccounts) {
  LearnerChanges changes;
  changes.MarkNew({"early"});
  changes.Track();
  changes.MarkNew({"new"});
  changes.Mark("marked-then-new");
  changes.MarkNew({"marked-then-new"});
  changes.MarkNew({"new-then-marked"});
  changes.MarkAll({"new-then-marked"});
  std::map<std::string, bool> taken;
  for (const LearnerChange& c : changes.Take()) taken.emplace(c.learner, c.created);
  const std::map<std::string, bool> want = {
      {"new", true}, {"marked-then-new", false}, {"new-then-marked", false}};
  EXPECT_EQ(taken, want);
  EXPECT_TRUE(changes.Take().empty());
}

TEST_F(StatsServiceTest, CellsFollowTheDefinitions) {
  const StatsQuery by_region{{StatsKey::kRegion}, "", RegionLevel::kCity, 1};
  const StatsQuery by_kind{{StatsKey::kRegion, StatsKey::kKind}, "31", RegionLevel::kCounty, 1};
  ASSERT_TRUE(Compute(by_region).cells.empty());  // learner_ of LoadCatalog has no region
  NewLearner in;
  in.region = "310104";
  auto l = s().learners().Create(in, Admin());
  ASSERT_TRUE(l.ok());
  // Region only: every learner of the region counts, records or not.
  EXPECT_EQ(Compute(by_region).cells, (std::vector<StatsCell>{{{"310100"}, 1, 0, 0, 0}}));
  EXPECT_TRUE(Compute(by_kind).cells.empty());
  auto posted = Post("uni", {Input(l->id, "uni:CS101", "D-1"), Input(l->id, "uni:MA101", "D-2")});
  ASSERT_TRUE(posted.ok());
  EXPECT_EQ(Compute(by_kind).cells,
            (std::vector<StatsCell>{{{"310104", "degree_course"}, 1, 2, 900, 0}}));
  // A failing grade is no outcome to count: neither its record nor its credits.
  ASSERT_TRUE(Post("uni", {Input(l->id, "uni:CS101", "D-F", "59")}).ok());
  EXPECT_EQ(Compute(by_kind).cells,
            (std::vector<StatsCell>{{{"310104", "degree_course"}, 1, 2, 900, 0}}));
  learners_ = {l->id};
  ASSERT_NO_FATAL_FAILURE(ConvertRandom());
  EXPECT_EQ(Compute(by_kind).cells,
            (std::vector<StatsCell>{{{"310104", "degree_course"}, 1, 2, 900, 1}}));
  // Without active records the learner leaves the kind cell but stays in its region's.
  for (const PostedRecord& r : posted->records) {
    auto revoked =
        Await<Revocation>([&](auto done) { s().records().Revoke(r.id, "uni", "test", done); });
    ASSERT_TRUE(revoked.ok());
  }
  EXPECT_TRUE(Compute(by_kind).cells.empty());
  EXPECT_EQ(Compute(by_region).cells, (std::vector<StatsCell>{{{"310100"}, 1, 0, 0, 1}}));
  // A cell of fewer than k learners is only counted.
  StatsQuery k2 = by_region;
  k2.k = 2;
  const StatsResult suppressed = Compute(k2);
  EXPECT_TRUE(suppressed.cells.empty());
  EXPECT_EQ(suppressed.suppressed, 1);
}

// Differencing: a city's figure minus the counties shown under it, or a county's figure minus
// the years shown for it, must never give back a left-out cell of fewer than k learners.
TEST_F(StatsServiceTest, NoSuppressedCellIsRecoveredBySubtraction) {
  const int k = 10;
  // Shanghai: 310101 with 12 learners, 310104 with 11, 310115 with 2; Jiangsu 320102 with 30.
  // Each posts a record in 2024; in 310101 two of them also one in 2023.
  const std::vector<std::array<std::string, 3>> in_2023 = {{"uni:MA101", "80", "2023-06-30"}};
  ASSERT_NO_FATAL_FAILURE(AddLearners("310101", 12, 2, in_2023));
  ASSERT_NO_FATAL_FAILURE(AddLearners("310104", 11, 0));
  ASSERT_NO_FATAL_FAILURE(AddLearners("310115", 2, 0));
  ASSERT_NO_FATAL_FAILURE(AddLearners("320102", 30, 0));

  auto query = [&](std::vector<StatsKey> group_by, RegionLevel level) {
    const StatsQuery q{std::move(group_by), "", level, k};
    const StatsResult got = Compute(q);
    EXPECT_EQ(got, Scan(q));
    return got;
  };
  // Counties: 310115 (2) is left out, and so is 310104 (the smallest other county of the
  // city), so that the city minus 310101 is 13 learners, not 2.
  const StatsResult counties = query({StatsKey::kRegion}, RegionLevel::kCounty);
  const StatsResult cities = query({StatsKey::kRegion}, RegionLevel::kCity);
  const StatsResult provinces = query({StatsKey::kRegion}, RegionLevel::kProvince);
  EXPECT_EQ(counties.suppressed, 2);
  ASSERT_EQ(counties.cells.size(), 2u);
  EXPECT_EQ(counties.cells[0].keys[0], "310101");
  EXPECT_EQ(counties.cells[1].keys[0], "320102");
  auto check = [&](const StatsResult& children, const StatsResult& parents, size_t digits) {
    for (const StatsCell& parent : parents.cells) {
      int64_t learners = parent.learners, records = parent.records;
      for (const StatsCell& c : children.cells) {
        if (c.keys[0].compare(0, digits, parent.keys[0], 0, digits) != 0) continue;
        learners -= c.learners;
        records -= c.records;
      }
      EXPECT_TRUE(learners == 0 || learners >= k) << parent.keys[0] << ": " << learners;
      EXPECT_TRUE(records == 0 || learners > 0) << parent.keys[0];
    }
  };
  check(counties, cities, 4);
  check(cities, provinces, 2);
  check(counties, provinces, 2);

  // Years of a county: 310101's 2023 cell (2 learners) is left out with its 2024 cell, so
  // 310101's records minus its years shown is not the 2 learners' records.
  const StatsResult years = query({StatsKey::kRegion, StatsKey::kYear}, RegionLevel::kCounty);
  for (const StatsCell& c : years.cells) EXPECT_NE(c.keys[0], "310101") << c.keys[1];
  // And year totals minus the county-years shown: every region's 2024 column keeps either
  // nothing or at least k learners out of sight.
  const StatsResult by_year = query({StatsKey::kYear}, RegionLevel::kCounty);
  for (const StatsCell& total : by_year.cells) {
    int64_t learners = total.learners;
    for (const StatsCell& c : years.cells) {
      if (c.keys[1] == total.keys[0]) learners -= c.learners;
    }
    EXPECT_TRUE(learners == 0 || learners >= k) << total.keys[0] << ": " << learners;
  }
}

TEST_F(StatsServiceTest, CellsSharingLearnersAreNotCountedAsDistinct) {
  // 310101: 15 learners post a record in 2024; the same 6 of them also one in 2022 and one in
  // 2023. By county and year, 2022 and 2023 (6 each) are left out: 12 learner-cells, but 6
  // people, so 2024 is left out too, or the county's records minus 2024's would be those 6
  // learners' records. 320102 (12 learners, 2024 only) is left out as well, one level up: by
  // province and year, 31's 2024 is left out with its years, and the only other province in
  // 2024 is 32, whose cell would give 31's back from the year's total; so 32's 2024 is left out
  // by province, and then by city and by county (ParentQuery).
  const int k = 10;
  ASSERT_NO_FATAL_FAILURE(AddLearners(
      "310101", 15, 6, {{"uni:MA101", "80", "2022-06-30"}, {"uni:CS101", "70", "2023-06-30"}}));
  ASSERT_NO_FATAL_FAILURE(AddLearners("320102", 12, 0));
  const StatsQuery q{{StatsKey::kRegion, StatsKey::kYear}, "", RegionLevel::kCounty, k};
  const StatsResult years = Compute(q);
  EXPECT_EQ(years, Scan(q));
  EXPECT_EQ(years.suppressed, 4);
  EXPECT_TRUE(years.cells.empty());
  // The county alone is shown (15 learners): nothing of 310101 by year is there to subtract.
  const StatsResult counties = Compute({{StatsKey::kRegion}, "", RegionLevel::kCounty, k});
  ASSERT_EQ(counties.cells.size(), 2u);
  EXPECT_EQ(counties.cells[0].records, 15 + 2 * 6);  // 310101: 15 in 2024, 6 in 2022, 6 in 2023
}

// A finer region prefix cuts a group of siblings: k = 10, county 310102 (3 learners) is left
// out of the counties of 3101 and 310101 (15) with it, so 3101's 38 minus 310104's 20 is 18
// learners. Asked alone, `region=310101` once showed its 15, and 3101's total minus 310104 and
// 310101 gave back 310102's 3. Every question under 3101 now leaves 310101 out.
TEST_F(StatsServiceTest, AFinerPrefixAnswersWithinItsSiblings) {
  const int k = 10;
  ASSERT_NO_FATAL_FAILURE(AddLearners("310101", 15, 0));
  ASSERT_NO_FATAL_FAILURE(AddLearners("310102", 3, 0));
  ASSERT_NO_FATAL_FAILURE(AddLearners("310104", 20, 0));
  auto ask = [&](std::vector<StatsKey> group_by, const std::string& prefix, RegionLevel level) {
    const StatsQuery q{std::move(group_by), prefix, level, k};
    const StatsResult got = Compute(q);
    EXPECT_EQ(got, Scan(q)) << prefix;
    return got;
  };
  using Keys = std::vector<std::string>;
  const StatsResult counties = ask({StatsKey::kRegion}, "3101", RegionLevel::kCounty);
  EXPECT_EQ(counties.suppressed, 2);
  ASSERT_EQ(counties.cells.size(), 1u);
  EXPECT_EQ(counties.cells[0].keys, Keys{"310104"});
  for (const std::string& hidden : {"310101", "310102"}) {
    for (const auto& group_by : std::vector<std::vector<StatsKey>>{
             {StatsKey::kRegion}, {StatsKey::kYear}, {StatsKey::kYear, StatsKey::kRegion}}) {
      for (RegionLevel level : {RegionLevel::kCounty, RegionLevel::kCity}) {
        const StatsResult alone = ask(group_by, hidden, level);
        EXPECT_TRUE(alone.cells.empty()) << hidden << " shows " << alone.cells[0].learners;
        EXPECT_EQ(alone.suppressed, 1) << hidden;
      }
    }
  }
  // The county shown is shown alone too, its region named at the level asked.
  const StatsResult shown = ask({StatsKey::kYear, StatsKey::kRegion}, "310104", RegionLevel::kCity);
  ASSERT_EQ(shown.cells.size(), 1u);
  EXPECT_EQ(shown.cells[0].keys, (Keys{"2024", "310100"}));
  EXPECT_EQ(shown.cells[0].learners, 20);
  // The city, by year, is its own answer among the cities of 31 (one here): 38 learners.
  const StatsResult city = ask({StatsKey::kYear}, "3101", RegionLevel::kCounty);
  ASSERT_EQ(city.cells.size(), 1u);
  EXPECT_EQ(city.cells[0].learners, 38);
}

// A cell grouped by region alone counts every learner of the region, with or without records,
// but its records and credits are those of the learners with records: 310101, where 14 learners
// live and 2 have records, would show those 2 learners' records. It is left out, and with it
// the smallest sibling, 310106 (11 learners, none with records: no county is left out alone),
// then 310105 (the smallest with records), so the city's records minus the counties shown are
// 17 learners' records, not 2.
TEST_F(StatsServiceTest, RegionCellsLeaveOutRecordsOfFewerThanKLearners) {
  const int k = 10;
  auto without_records = [&](const std::string& region, int n) {
    for (int i = 0; i < n; ++i) {
      NewLearner in;
      in.region = region;
      ASSERT_TRUE(s().learners().Create(in, Admin()).ok());
    }
  };
  ASSERT_NO_FATAL_FAILURE(without_records("310101", 12));
  ASSERT_NO_FATAL_FAILURE(AddLearners("310101", 2, 0));
  ASSERT_NO_FATAL_FAILURE(AddLearners("310104", 20, 0));
  ASSERT_NO_FATAL_FAILURE(AddLearners("310105", 15, 0));
  ASSERT_NO_FATAL_FAILURE(without_records("310106", 11));
  const StatsQuery q{{StatsKey::kRegion}, "", RegionLevel::kCounty, k};
  const StatsResult counties = Compute(q);
  EXPECT_EQ(counties, Scan(q));
  EXPECT_EQ(counties.suppressed, 3);
  using Keys = std::vector<std::string>;
  ASSERT_EQ(counties.cells.size(), 1u);
  EXPECT_EQ(counties.cells[0].keys, Keys{"310104"});
  // 310106 alone (its learners have no records) shows 0 records: nobody's records are shown.
  const StatsQuery empty{{StatsKey::kRegion}, "310106", RegionLevel::kCounty, k};
  EXPECT_EQ(Compute(empty), Scan(empty));
  const StatsQuery by_city{{StatsKey::kRegion}, "", RegionLevel::kCity, k};
  const StatsResult city = Compute(by_city);
  EXPECT_EQ(city, Scan(by_city));
  ASSERT_EQ(city.cells.size(), 1u);
  EXPECT_EQ(city.cells[0].learners, 14 + 20 + 15 + 11);
  EXPECT_EQ(city.cells[0].records, 2 + 20 + 15);
  // Asked alone, the county is left out as well.
  const StatsQuery alone{{StatsKey::kRegion}, "310101", RegionLevel::kCounty, k};
  EXPECT_TRUE(Compute(alone).cells.empty());
  EXPECT_EQ(Compute(alone), Scan(alone));
}

TEST(StatsSuppressTest, EveryGroupHidesNothingOrAtLeastK) {
  // Random two-key tables (key 0 a region at county level, key 1 anything), checked against
  // the rule itself: for each key, each group of cells differing only in it (for the region,
  // within one city) hides 0 or >= k learners, and every primary cell stays hidden.
  std::mt19937 rng(7);
  const std::vector<std::string> counties = {"310101", "310104", "310115", "320102", "320104"};
  const std::vector<uint32_t> parents0 = RegionParents(counties, RegionLevel::kCounty);
  EXPECT_EQ(parents0, (std::vector<uint32_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(RegionParents({"310100", "320100"}, RegionLevel::kCity),
            (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(RegionParents({"310000", "320000"}, RegionLevel::kProvince),
            (std::vector<uint32_t>{0, 0}));
  const int64_t k = 5;
  size_t secondary = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<SuppressionCell> cells;
    for (uint32_t a = 0; a < counties.size(); ++a) {
      for (uint32_t b = 0; b < 4; ++b) {
        if (rng() % 3 == 0) continue;
        SuppressionCell c;
        c.key = {a, b, 0, 0, 0};
        c.learners = 1 + static_cast<int64_t>(rng() % 12);
        c.hidden = c.learners < k;
        cells.push_back(c);
      }
    }
    const std::vector<SuppressionCell> before = cells;
    const std::vector<std::vector<uint32_t>> parents = {parents0, {0, 0, 0, 0}};
    const size_t more = SuppressComplements(&cells, 2, parents, {true, false}, k);
    secondary += more;
    size_t hidden_now = 0, hidden_before = 0;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (before[i].hidden) EXPECT_TRUE(cells[i].hidden);
      hidden_now += cells[i].hidden;
      hidden_before += before[i].hidden;
    }
    EXPECT_EQ(hidden_now, hidden_before + more);
    for (size_t d = 0; d < 2; ++d) {
      // A group hidden whole is fine: its total (the parent cell) is under k too. Over the
      // region (key 0) learners add up; over key 1 only the largest hidden cell is sure.
      // Never one cell left out alone in a group that shows any: the group's total less the
      // shown cells would give it back.
      std::map<std::array<uint32_t, 5>, std::pair<int64_t, bool>> hidden;  // learners, any shown
      std::map<std::array<uint32_t, 5>, int> hidden_cells;
      for (const SuppressionCell& c : cells) {
        auto g = c.key;
        g[d] = parents[d][g[d]];
        const int64_t n = c.hidden ? c.learners : 0;
        hidden[g].first = d == 0 ? hidden[g].first + n : std::max(hidden[g].first, n);
        hidden[g].second = hidden[g].second || !c.hidden;
        hidden_cells[g] += c.hidden;
      }
      for (const auto& [g, h] : hidden) {
        const auto [sum, shown] = h;
        EXPECT_TRUE(sum == 0 || sum >= k || !shown)
            << "round " << round << " key " << d << ": " << sum;
        EXPECT_TRUE(hidden_cells[g] != 1 || !shown) << "round " << round << " key " << d;
      }
    }
  }
  EXPECT_GT(secondary, 100u);  // the rule had work to do
}

// The groups are ordered by one number in mixed radix when the keys' ranges fit 64 bits, else
// by comparing the keys: the same cells are left out either way. Ids spread 2^20 apart over
// four keys (any three of them span 66 bits) take the second path; dense ids the first.
TEST(StatsSuppressTest, WideIdsLeaveOutTheSameCells) {
  std::mt19937 rng(11);
  const std::vector<uint32_t> county_parents = {0, 0, 0, 1, 1};
  constexpr uint32_t kSpread = 1u << 20;
  for (int round = 0; round < 40; ++round) {
    std::vector<SuppressionCell> dense;
    for (uint32_t a = 0; a < 5; ++a) {
      for (uint32_t b = 0; b < 27; ++b) {
        if (rng() % 3 == 0) continue;
        SuppressionCell c;
        c.key = {a, b % 3, (b / 3) % 3, b / 9, 0};
        c.learners = 1 + static_cast<int64_t>(rng() % 12);
        c.hidden = c.learners < 5;
        dense.push_back(c);
      }
    }
    std::vector<SuppressionCell> wide = dense;
    for (SuppressionCell& c : wide) {
      for (size_t d = 0; d < 4; ++d) c.key[d] *= kSpread;
    }
    std::vector<std::vector<uint32_t>> dense_parents = {county_parents, {0, 0, 0}, {0, 0, 0},
                                                        {0, 0, 0}};
    std::vector<std::vector<uint32_t>> wide_parents(4,
                                                    std::vector<uint32_t>(4 * kSpread + 1, 0));
    for (uint32_t a = 0; a < 5; ++a) wide_parents[0][a * kSpread] = county_parents[a];
    const std::vector<bool> disjoint = {true, false, false, false};
    const size_t more_dense = SuppressComplements(&dense, 4, dense_parents, disjoint, 5);
    const size_t more_wide = SuppressComplements(&wide, 4, wide_parents, disjoint, 5);
    EXPECT_EQ(more_dense, more_wide) << "round " << round;
    for (size_t i = 0; i < dense.size(); ++i) {
      EXPECT_EQ(dense[i].hidden, wide[i].hidden) << "round " << round << " cell " << i;
    }
  }
}

// The bodies are written by hand (not through a JSON library): they must parse to what the
// cells hold, whatever an issuer id contains, and CSV fields with separators are quoted.
TEST(StatsTextTest, JsonAndCsvHoldTheCellsExactly) {
  const StatsQuery q{
      {StatsKey::kIssuer, StatsKey::kYear, StatsKey::kLevel}, "", RegionLevel::kCounty, 10};
  StatsResult r;
  r.k = 10;
  r.suppressed = 3;
  r.tree_size = 18446744073709551615u;  // the largest
  r.cells = {{{"uni", "2024", "6"}, 12, 30, 4550, 2},
             {{"a\"b\\c\x01,d", "-1", "0"}, 10, 1, 5, 0},
             {{"\u4e0a\u6d77", "2025", "10"}, 1000000, 9000000, 700000000, 12}};
  const json got = json::parse(StatsJsonText(q, r));
  const json want = {{"cells",
                      {{{"issuer", "uni"},
                        {"year", 2024},
                        {"level", 6},
                        {"learners", 12},
                        {"records", 30},
                        {"credits", 45.5},
                        {"conversions", 2}},
                       {{"issuer", "a\"b\\c\x01,d"},
                        {"year", -1},
                        {"level", 0},
                        {"learners", 10},
                        {"records", 1},
                        {"credits", 0.05},
                        {"conversions", 0}},
                       {{"issuer", "\u4e0a\u6d77"},
                        {"year", 2025},
                        {"level", 10},
                        {"learners", 1000000},
                        {"records", 9000000},
                        {"credits", 7000000},
                        {"conversions", 12}}}},
                     {"k", 10},
                     {"suppressed", 3},
                     {"tree_size", 18446744073709551615u}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(StatsJsonText(q, StatsResult{}), R"({"cells":[],"k":0,"suppressed":0,"tree_size":0})");
  // A key far longer than the writer expects (each control character is written as 6 bytes).
  StatsResult long_key;
  long_key.cells = {{{std::string(5000, '\x02'), "2024", "6"}, 1, 2, 3, 4}};
  EXPECT_EQ(json::parse(StatsJsonText(q, long_key, "cursor"))["cells"][0]["issuer"],
            std::string(5000, '\x02'));
  long_key.cells[0].keys[0] = std::string(5000, '"');
  EXPECT_EQ(StatsCsvText(q, long_key).size(), 56 + (2 + 2 * 5000) + 20);  // header, row
  EXPECT_EQ(StatsCsvText(q, r),
            "issuer,year,level,learners,records,credits,conversions\r\n"
            "uni,2024,6,12,30,45.5,2\r\n"
            "\"a\"\"b\\c\x01,d\",-1,0,10,1,0.05,0\r\n"
            "\u4e0a\u6d77,2025,10,1000000,9000000,7000000,12\r\n");
}

// With a keeper (serve's default), a question answers from the figures as they are while the
// keeper's last pass is within the staleness bound, and says which log size they count; a pass
// brings them up to date (records, a revocation, a correction, a conversion, a new account);
// past the bound a question brings them up to date itself. The keeper's thread is told to wait
// a day between passes here, so that the passes are the test's own.
TEST_F(StatsServiceTest, AKeeperAnswersWithoutWaitingWithinTheBound) {
  for (int i = 0; i < 8; ++i) CreateLearner();
  for (int i = 0; i < 10; ++i) ASSERT_NO_FATAL_FAILURE(PostRandom());
  constexpr auto kBound = std::chrono::seconds(3);
  s().stats().StartKeeper(kBound, std::chrono::hours(24));
  const StatsQuery q{
      {StatsKey::kRegion, StatsKey::kKind, StatsKey::kYear}, "", RegionLevel::kCounty, 1};
  auto log_size = [&] { return s().records().LastLeaf().value() + 1; };
  const auto asked = std::chrono::steady_clock::now();
  const StatsResult first = Compute(q);  // the first question: up to date
  EXPECT_EQ(first, Scan(q));
  EXPECT_EQ(first.tree_size, log_size());

  ASSERT_NO_FATAL_FAILURE(PostRandom());
  ASSERT_NO_FATAL_FAILURE(RevokeRandom());
  ASSERT_NO_FATAL_FAILURE(CorrectRandom());
  ASSERT_NO_FATAL_FAILURE(ConvertRandom());
  ASSERT_NO_FATAL_FAILURE(CreateLearner());
  const StatsResult now = Scan(q);
  ASSERT_NE(now, first);  // the changes show in the answer
  const StatsResult stale = Compute(q);
  if (std::chrono::steady_clock::now() - asked >= kBound) {
    GTEST_SKIP() << "the changes took longer than the bound: this machine is too slow to tell";
  }
  EXPECT_EQ(stale, first);  // not brought up to date: within the bound
  EXPECT_EQ(stale.tree_size, first.tree_size);

  s().stats().KeepUp();
  EXPECT_EQ(s().stats().keeper_passes(), 1u);
  const StatsResult kept = Compute(q);
  EXPECT_EQ(kept, now);
  EXPECT_EQ(kept.tree_size, log_size());
  ExpectAggregatesEqualScan();

  // Past the bound (no pass since), a question brings the figures up to date itself.
  std::this_thread::sleep_for(kBound + std::chrono::milliseconds(100));
  ASSERT_NO_FATAL_FAILURE(PostRandom());
  ASSERT_NO_FATAL_FAILURE(RevokeRandom());
  const StatsResult late = Compute(q);
  EXPECT_EQ(late, Scan(q));
  EXPECT_EQ(late.tree_size, log_size());
  EXPECT_EQ(s().stats().keeper_passes(), 1u);
}

// The keeper's own thread, while records arrive: once posting stops, its passes bring the
// figures up to the log's size without a question doing it, and every answer on the way is the
// scan's once it counts the whole log.
TEST_F(StatsServiceTest, TheKeeperFollowsTheLogWhileRecordsArrive) {
  for (int i = 0; i < 10; ++i) CreateLearner();
  s().stats().StartKeeper(std::chrono::seconds(60), std::chrono::milliseconds(10));
  const StatsQuery q{{StatsKey::kRegion, StatsKey::kLevel}, "", RegionLevel::kCity, 1};
  auto log_size = [&] { return s().records().LastLeaf().value() + 1; };
  EXPECT_EQ(Compute(q), Scan(q));  // the first question: the keeper works from now on
  for (int round = 0; round < 30; ++round) {
    ASSERT_NO_FATAL_FAILURE(RandomChange());
    Compute(q);  // whatever the keeper has counted so far
  }
  const uint64_t size = log_size();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const uint64_t passes = s().stats().keeper_passes();
  while (s().stats().keeper_passes() < passes + 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(s().stats().keeper_passes(), passes + 2);
  const StatsResult r = Compute(q);  // within the 60 s bound: read as the keeper left it
  EXPECT_EQ(r.tree_size, size);
  EXPECT_EQ(r, Scan(q));
}

// Between questions (serve's default, config stats_idle_keeper) a second keeper keeps the
// figures up to date, so the first question after a quiet period, which always brings them up
// to date itself, has nothing left to read; the two keepers' passes split by whether
// regulators are asking, so that they never read the same entries.
TEST_F(StatsServiceTest, TheFirstQuestionAfterAQuietPeriodFindsTheFiguresKept) {
  for (int i = 0; i < 8; ++i) CreateLearner();
  for (int i = 0; i < 5; ++i) ASSERT_NO_FATAL_FAILURE(PostRandom());
  ASSERT_TRUE(s().stats().Build().ok());  // serve builds at start
  auto log_size = [&] { return s().records().LastLeaf().value() + 1; };
  const uint64_t built_at = s().stats().counted_to();
  ASSERT_EQ(built_at, log_size());
  const StatsQuery q{{StatsKey::kRegion, StatsKey::kYear}, "", RegionLevel::kCity, 1};

  // The passes the threads make, made here (no thread started yet).
  s().stats().StartKeeper(std::chrono::seconds(60), std::chrono::hours(24), false);
  for (int i = 0; i < 20; ++i) ASSERT_NO_FATAL_FAILURE(RandomChange());
  s().stats().KeepUp(/*between_questions=*/false);  // no regulator asking: not its turn
  EXPECT_EQ(s().stats().counted_to(), built_at);
  s().stats().KeepUp(/*between_questions=*/true);
  EXPECT_EQ(s().stats().counted_to(), log_size());
  EXPECT_EQ(s().stats().keeper_passes(), 1u);
  // Records after the pass (PostRandom sometimes retries one: no new entry), which the question
  // reads.
  for (int i = 0; i < 20 && log_size() == s().stats().counted_to(); ++i) {
    ASSERT_NO_FATAL_FAILURE(PostRandom());
  }
  const uint64_t unread = log_size() - s().stats().counted_to();
  ASSERT_GT(unread, 0u);
  const StatsResult first = Compute(q);
  EXPECT_EQ(s().stats().catch_ups(), 1u);
  EXPECT_EQ(s().stats().catch_up_entries(), unread);  // only what the keeper had not read
  EXPECT_EQ(first, Scan(q));
  EXPECT_EQ(first.tree_size, log_size());
  ExpectAggregatesEqualScan();
  ASSERT_NO_FATAL_FAILURE(PostRandom());
  s().stats().KeepUp(/*between_questions=*/true);  // a regulator is asking now: not its turn
  EXPECT_EQ(s().stats().keeper_passes(), 1u);
  s().stats().KeepUp(/*between_questions=*/false);
  EXPECT_EQ(s().stats().keeper_passes(), 2u);
  EXPECT_EQ(s().stats().counted_to(), log_size());
}

// The keeper between questions on its own thread, at SCHED_IDLE: changes made while nobody
// asks are counted by the time the first question comes.
TEST_F(StatsServiceTest, TheIdleKeeperCountsChangesNobodyAskedAbout) {
  for (int i = 0; i < 10; ++i) CreateLearner();
  ASSERT_TRUE(s().stats().Build().ok());
  auto idle_threads = [] {
    int n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      if (sched_getscheduler(std::stoi(task.path().filename().string())) == SCHED_IDLE) ++n;
    }
    return n;
  };
  const int idle_before = idle_threads();
  s().stats().StartKeeper(std::chrono::seconds(60), std::chrono::milliseconds(10), true);
  for (int round = 0; round < 30; ++round) ASSERT_NO_FATAL_FAILURE(RandomChange());
  auto log_size = [&] { return s().records().LastLeaf().value() + 1; };
  const uint64_t size = log_size();
  const uint64_t passes = s().stats().keeper_passes();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((s().stats().keeper_passes() < passes + 2 || s().stats().counted_to() < size) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(idle_threads(), idle_before + 1);  // the keeper's thread, at the lowest priority
  ASSERT_EQ(s().stats().counted_to(), size);
  const StatsQuery q{{StatsKey::kRegion, StatsKey::kLevel}, "", RegionLevel::kCity, 1};
  const StatsResult r = Compute(q);
  EXPECT_EQ(s().stats().catch_ups(), 1u);  // the first question brings them up to date ...
  EXPECT_EQ(s().stats().catch_up_entries(), 0u);  // ... and finds nothing left to read
  EXPECT_EQ(r.tree_size, size);
  EXPECT_EQ(r, Scan(q));
}

// The keeper and questions that catch up themselves (a bound of 1 ms: most do) at once, while
// batches larger than a keeper step arrive: every answer counts exactly the records logged
// below its tree_size, each once (no revocations here, so that is the number of posted
// records below it), whoever read which entries.
TEST_F(StatsServiceTest, EveryAnswerCountsTheRecordsBelowItsTreeSizeOnce) {
  for (int i = 0; i < 20; ++i) CreateLearner();
  s().stats().StartKeeper(std::chrono::milliseconds(1), std::chrono::milliseconds(1));
  const StatsQuery by_kind{{StatsKey::kKind}, "", RegionLevel::kCounty, 1};
  Compute(by_kind);  // the keeper works from now on
  std::atomic<bool> posting{true};
  std::vector<std::pair<uint64_t, int64_t>> answers;  // tree_size, records counted
  std::thread questions([&] {
    while (posting.load()) {
      auto r = s().stats().Compute(by_kind);
      if (!r.ok()) continue;
      int64_t records = 0;
      for (const StatsCell& c : r->cells) records += c.records;
      answers.emplace_back(r->tree_size, records);
    }
  });
  std::vector<uint64_t> leaves;
  for (int batch = 0; batch < 12 && !HasFailure(); ++batch) {
    std::vector<RecordInput> inputs;
    for (int i = 0; i < 300; ++i) {
      inputs.push_back(Input(learners_[rng_() % learners_.size()], kUnits[rng_() % 2],
                             "B-" + std::to_string(refs_++), "85", "2024-06-30"));
    }
    auto posted = Post("uni", inputs);
    EXPECT_TRUE(posted.ok()) << posted.status().ToString();
    if (posted.ok()) {
      for (const PostedRecord& r : posted->records) leaves.push_back(r.leaf_index);
    }
  }
  posting = false;
  questions.join();
  ASSERT_FALSE(HasFailure());
  std::sort(leaves.begin(), leaves.end());
  ASSERT_GE(answers.size(), 2u);
  std::set<uint64_t> sizes;
  for (const auto& [tree_size, records] : answers) {
    const auto below = std::lower_bound(leaves.begin(), leaves.end(), tree_size) - leaves.begin();
    ASSERT_EQ(records, below) << "an answer at tree_size " << tree_size;
    sizes.insert(tree_size);
  }
  EXPECT_GE(sizes.size(), 2u);  // answers at several sizes: they followed the log
  EXPECT_GT(s().stats().keeper_passes(), 0u);
  EXPECT_GT(s().stats().catch_ups(), 1u);
  EXPECT_EQ(Compute(by_kind), Scan(by_kind));
}

// Built ahead of any request (serve does it in the background at start): the learners are read
// once, later changes still reach the answers, and a build cancelled on shutdown gives up
// without leaving half the learners counted (the next request builds them all).
TEST_F(StatsServiceTest, BuiltAheadOfRequestsOrCancelled) {
  const StatsQuery by_region{{StatsKey::kRegion}, "", RegionLevel::kCity, 1};
  NewLearner in;
  in.region = "310104";
  ASSERT_TRUE(s().learners().Create(in, Admin()).ok());
  auto built = s().stats().Build();
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(*built, 2u);                // learner_ of LoadCatalog and this one
  EXPECT_EQ(*s().stats().Build(), 0u);  // already built: nothing read again
  ASSERT_TRUE(s().learners().Create(in, Admin()).ok());
  EXPECT_EQ(Compute(by_region).cells, (std::vector<StatsCell>{{{"310100"}, 2, 0, 0, 0}}));

  Open();  // a new process: nothing built yet
  s().stats().Cancel();
  EXPECT_EQ(s().stats().Build().status().code(), StatusCode::kUnavailable);
  Open();
  EXPECT_EQ(Compute(by_region).cells, (std::vector<StatsCell>{{{"310100"}, 2, 0, 0, 0}}));
}

}  // namespace
}  // namespace testing
}  // namespace lcb
