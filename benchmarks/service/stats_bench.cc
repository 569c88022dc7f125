// GET /v1/stats from the maintained aggregates (issue 17: <= 10 ms per request over 1M
// learners and 10M records). StatsAggregates (service/stats_aggregates.h) is filled directly
// with synthetic data, no store: 1,000,000 learners (LCB_STATS_BENCH_LEARNERS to change) in
// 2,790 counties (31 provinces x 10 cities x 9 counties), 5-15 active records each (10 on
// average: 10M), from 2,000 issuers (70 % of a learner's from its own province), 9 kinds,
// levels 1-8, years 2005-2025, 0-2 conversions. Reported: the fill (time, resident memory
// before and after) and Compute for typical queries and for a few that return many cells.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <unordered_map>

#include "codec/entries.h"
#include "codec/json_util.h"
#include "codec/mapping.h"
#include "service/stats_aggregates.h"
#include "service/stats_text.h"

namespace lcb {
namespace {

constexpr int kProvinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41,
                              42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65};
constexpr int kProvinceCount = 31;
constexpr int kIssuers = 2000;

size_t LearnerCount() {
  const char* env = std::getenv("LCB_STATS_BENCH_LEARNERS");
  return env ? std::strtoull(env, nullptr, 10) : 1'000'000;
}

double RssMb() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1e6;
}

StatsLearnerFacts RandomLearner(std::mt19937_64& rng) {
  StatsLearnerFacts l;
  const int p = static_cast<int>(rng() % kProvinceCount);
  char region[8];
  std::snprintf(region, sizeof region, "%02d%02d%02d", kProvinces[p],
                1 + static_cast<int>(rng() % 10), 1 + static_cast<int>(rng() % 9));
  l.region = region;
  l.conversions = static_cast<int64_t>(rng() % 3);
  for (int n = 5 + static_cast<int>(rng() % 11); n > 0; --n) {
    StatsRecordFacts r;
    // Issuer i sits in province i % 31.
    int issuer = static_cast<int>(rng() % kIssuers);
    if (rng() % 10 < 7) issuer = issuer - issuer % kProvinceCount + p;
    if (issuer >= kIssuers) issuer -= kProvinceCount;
    r.issuer = "inst-" + std::to_string(issuer);
    r.kind = static_cast<UnitKind>(rng() % kUnitKindCount);
    r.level = 1 + static_cast<int>(rng() % 8);
    r.year = 2005 + static_cast<int>(rng() % 21);
    r.credits = 100 + static_cast<Centi>(rng() % 500);
    l.records.push_back(std::move(r));
  }
  return l;
}

struct Filled {
  StatsAggregates aggregates;
  size_t learners = 0, records = 0;
  double fill_seconds = 0, rss_before_mb = 0, rss_after_mb = 0;
};

Filled& World() {
  static Filled* w = [] {
    auto* f = new Filled();
    std::mt19937_64 rng(17);
    f->rss_before_mb = RssMb();
    const auto start = std::chrono::steady_clock::now();
    f->learners = LearnerCount();
    for (size_t i = 0; i < f->learners; ++i) {
      StatsLearnerFacts l = RandomLearner(rng);
      f->records += l.records.size();
      f->aggregates.Set("lrn_" + std::to_string(i), l);
    }
    f->fill_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    f->rss_after_mb = RssMb();
    return f;
  }();
  return *w;
}

// The body as the route wrote it before 2026-12-03: a JSON value per cell, then dumped (kept
// here only to compare with StatsJsonText in the same run).
std::string JsonValuePerCell(const StatsQuery& q, const StatsResult& r) {
  nlohmann::json cells = nlohmann::json::array();
  for (const StatsCell& c : r.cells) {
    nlohmann::json cell = nlohmann::json::object();
    for (size_t i = 0; i < q.group_by.size(); ++i) {
      const bool numeric = q.group_by[i] == StatsKey::kLevel || q.group_by[i] == StatsKey::kYear;
      cell[std::string(StatsKeyName(q.group_by[i]))] =
          numeric ? nlohmann::json(std::stoi(c.keys[i])) : nlohmann::json(c.keys[i]);
    }
    cell["learners"] = c.learners;
    cell["records"] = c.records;
    cell["credits"] = CreditsJson(c.credits);
    cell["conversions"] = c.conversions;
    cells.push_back(std::move(cell));
  }
  return nlohmann::json{{"cells", std::move(cells)}, {"k", r.k}, {"suppressed", r.suppressed}}
      .dump();
}

enum class Body { kNone, kText, kJsonValues };

// One learner replaced (untimed) before each question, as records keep arriving: every
// question is computed, not read from an answer kept from the one before (which a page with
// the cursor of an earlier page is: BM_StatsKeptPage).
void ChangeOneLearner() {
  static std::mt19937_64 rng(7);
  static size_t next = 0;
  Filled& w = World();
  w.aggregates.Set("lrn_" + std::to_string(next++ % w.learners), RandomLearner(rng));
}

// With a body, also writes the JSON body GET /v1/stats answers with (what a request costs
// besides HTTP and the reload of changed learners).
// Cold: also every county's maps made from its learners' cells forgotten (Region::made), as
// after a change to every county, or the first question after a start.
void RunQuery(benchmark::State& state, StatsQuery q, Body body = Body::kNone, bool cold = false) {
  Filled& w = World();
  size_t cells = 0, shown = 0, bytes = 0;
  for (auto _ : state) {
    if (q.as_of == 0) {
      state.PauseTiming();
      ChangeOneLearner();
      if (cold) w.aggregates.set_reuse(true);  // forgets them
      state.ResumeTiming();
    }
    StatsResult r = w.aggregates.Compute(q);
    cells = r.cells.size() + static_cast<size_t>(r.suppressed);
    shown = r.cells.size();
    if (body != Body::kNone) {
      std::string text = body == Body::kText ? StatsJsonText(q, r) : JsonValuePerCell(q, r);
      bytes = text.size();
      benchmark::DoNotOptimize(text);
    }
    benchmark::DoNotOptimize(r);
  }
  state.counters["cells"] = static_cast<double>(cells);
  state.counters["shown"] = static_cast<double>(shown);
  if (body != Body::kNone) state.counters["body_bytes"] = static_cast<double>(bytes);
  state.counters["learners"] = static_cast<double>(w.learners);
  state.counters["records"] = static_cast<double>(w.records);
  state.counters["fill_s"] = w.fill_seconds;
  state.counters["rss_before_MB"] = w.rss_before_mb;
  state.counters["rss_after_MB"] = w.rss_after_mb;
}

// Typical questions.
void BM_StatsRegionProvince(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kRegion}, "", RegionLevel::kProvince, 10});
}
void BM_StatsRegionYearProvince(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kRegion, StatsKey::kYear}, "", RegionLevel::kProvince, 10});
}
void BM_StatsKindLevelPrefix31(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kKind, StatsKey::kLevel}, "31", RegionLevel::kCounty, 10});
}
void BM_StatsKindLevelEverywhere(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kKind, StatsKey::kLevel}, "", RegionLevel::kCounty, 10});
}
// Questions with many cells: every county by year; every issuer by year.
void BM_StatsRegionYearCounty(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kRegion, StatsKey::kYear}, "", RegionLevel::kCounty, 10});
}
void BM_StatsIssuerYear(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kIssuer, StatsKey::kYear}, "", RegionLevel::kCounty, 10});
}
// By issuer in a province (kept maps) and in a city (made from its learners' cells); by issuer
// with two more keys nationally (kept for everyone since 2026-12-03: 378k cells).
void BM_StatsIssuerYearPrefix31(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kIssuer, StatsKey::kYear}, "31", RegionLevel::kCounty, 10});
}
void BM_StatsRegionIssuerProvince(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kRegion, StatsKey::kIssuer}, "", RegionLevel::kProvince, 10});
}
void BM_StatsIssuerKindYearPrefix3101(benchmark::State& state) {
  RunQuery(
      state,
      {{StatsKey::kIssuer, StatsKey::kKind, StatsKey::kYear}, "3101", RegionLevel::kCounty, 10});
}
void BM_StatsIssuerKindYear(benchmark::State& state) {
  RunQuery(state,
           {{StatsKey::kIssuer, StatsKey::kKind, StatsKey::kYear}, "", RegionLevel::kCounty, 10});
}

// The largest answers above with their JSON body, as written now and as before.
void BM_StatsRegionYearCountyJson(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kRegion, StatsKey::kYear}, "", RegionLevel::kCounty, 10},
           static_cast<Body>(state.range(0)));
}
void BM_StatsIssuerYearJson(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kIssuer, StatsKey::kYear}, "", RegionLevel::kCounty, 10},
           static_cast<Body>(state.range(0)));
}
void BM_StatsRegionIssuerProvinceJson(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kRegion, StatsKey::kIssuer}, "", RegionLevel::kProvince, 10},
           static_cast<Body>(state.range(0)));
}
// Every county by year read in pages of 1,000 cells with their body: the first page, and one
// from the middle of the answer.
void BM_StatsRegionYearCountyPage(benchmark::State& state) {
  StatsQuery q{{StatsKey::kRegion, StatsKey::kYear}, "", RegionLevel::kCounty, 10};
  if (state.range(0) == 1) {
    const StatsResult whole = World().aggregates.Compute(q);
    q.after = whole.cells[whole.cells.size() / 2].keys;
  }
  q.limit = 1000;
  RunQuery(state, q, Body::kText);
}
// A later page (cursor with as_of) of an answer kept since its first page, while records keep
// arriving: a page of 1,000 cells from the middle, with its body, of every county by year
// (58,590 cells, arg 0) and of issuer x kind x year nationally (378,000 cells, arg 1).
void BM_StatsKeptPage(benchmark::State& state) {
  StatsQuery q =
      state.range(0) == 0
          ? StatsQuery{{StatsKey::kRegion, StatsKey::kYear}, "", RegionLevel::kCounty, 10}
          : StatsQuery{{StatsKey::kIssuer, StatsKey::kKind, StatsKey::kYear},
                       "",
                       RegionLevel::kCounty,
                       10};
  ChangeOneLearner();
  const StatsResult whole = World().aggregates.Compute(q);
  ChangeOneLearner();  // the answer is no longer the current one
  q.after = whole.cells[whole.cells.size() / 2].keys;
  q.as_of = whole.as_of;
  q.limit = 1000;
  RunQuery(state, q, Body::kText);
}
// A city's regulator by year: answered within the cities of its province (ScopeOf), of which
// its cells are a part.
void BM_StatsYearPrefix3101(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kYear}, "3101", RegionLevel::kCounty, 10});
}
// A city by issuer and year, some of whose cells reach k: answered within the cities of its
// province, from their maps of {issuer, year} (kept per city since 2026-12-07; before, made from
// the learners' cells of the province's counties).
void BM_StatsIssuerYearPrefix3101(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kIssuer, StatsKey::kYear}, "3101", RegionLevel::kCounty, 10});
}
// By issuer with two more keys in one province: made from its learners' cells.
void BM_StatsIssuerKindYearPrefix31(benchmark::State& state) {
  RunQuery(state,
           {{StatsKey::kIssuer, StatsKey::kKind, StatsKey::kYear}, "31", RegionLevel::kCounty, 10});
}
// The questions above cold (RunQuery): each county's cells made from its learners' afresh, as
// the first question after every county changed (issuer x year in 3101 reads the cities' maps
// since 2026-12-07, so it is no longer made from learners' cells).
void BM_StatsIssuerYearPrefix3101Cold(benchmark::State& state) {
  RunQuery(state, {{StatsKey::kIssuer, StatsKey::kYear}, "3101", RegionLevel::kCounty, 10},
           Body::kNone, true);
}
void BM_StatsIssuerKindYearPrefix3101Cold(benchmark::State& state) {
  RunQuery(
      state,
      {{StatsKey::kIssuer, StatsKey::kKind, StatsKey::kYear}, "3101", RegionLevel::kCounty, 10},
      Body::kNone, true);
}
void BM_StatsIssuerKindYearPrefix31Cold(benchmark::State& state) {
  RunQuery(state,
           {{StatsKey::kIssuer, StatsKey::kKind, StatsKey::kYear}, "31", RegionLevel::kCounty, 10},
           Body::kNone, true);
}

// What one changed learner costs a request (StatsService reloads it: Set replaces it).
void BM_StatsReplaceLearner(benchmark::State& state) {
  Filled& w = World();
  std::mt19937_64 rng(99);
  size_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    StatsLearnerFacts l = RandomLearner(rng);
    const std::string id = "lrn_" + std::to_string(i++ % w.learners);
    state.ResumeTiming();
    w.aggregates.Set(id, l);
  }
}

// What a request pays for the records posted since the one before (StatsService::Refresh):
// range(0) records, each in a cell its learner has already (the usual case: another course of
// the same kind, level, year and issuer), over 20,000 learners picked at random, added by
// StatsAggregates::AddAll (summed per region before the maps are updated). The per-learner
// update it replaced was measured with this benchmark built at e833bba (benchmarks/README.md).
void BM_StatsAddRecords(benchmark::State& state) {
  Filled& w = World();
  const size_t kActive = std::min<size_t>(20'000, w.learners);
  static std::vector<std::pair<std::string, StatsLearnerFacts>>* active = [&] {
    auto* a = new std::vector<std::pair<std::string, StatsLearnerFacts>>();
    std::mt19937_64 rng(5);
    for (size_t i = 0; i < kActive; ++i) {
      StatsLearnerFacts l = RandomLearner(rng);
      l.read_to = 0;
      std::string id = "lrn_" + std::to_string(i * (w.learners / kActive));
      w.aggregates.Set(id, l);
      a->emplace_back(std::move(id), std::move(l));
    }
    return a;
  }();
  std::mt19937_64 rng(11);
  const size_t n = static_cast<size_t>(state.range(0));
  uint64_t read_to = 1;
  for (auto _ : state) {
    state.PauseTiming();
    std::unordered_map<std::string, std::vector<StatsRecordFacts>> added;
    for (size_t i = 0; i < n; ++i) {
      const auto& [id, facts] = (*active)[rng() % kActive];
      added[id].push_back(facts.records[rng() % facts.records.size()]);
    }
    state.ResumeTiming();
    w.aggregates.AddAll(added, read_to);
    ++read_to;
  }
  state.counters["records_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}


// What the statistics pay to read one record entry of the log (StatsService::ReadEntries:
// every record posted since the figures were last brought up to date): the entry as the
// ingestion path writes it (RecordEntryCanonical, ~330 B; range(0) = 1 adds a signed
// submission's JWS of ~700 B, as signed posts carry), read by RecordFromEntryFast (simdjson)
// or, range(1) = 1, by the tree path it falls back to (json::parse + RecordFromEntry). The
// nlohmann SAX reader it replaced was measured with this benchmark before the change
// (benchmarks/README.md, Statistics).
void BM_ReadRecordEntry(benchmark::State& state) {
  Record r;
  r.id = "rec_3f9a1c27d04be5a8c1f2e3d4";
  r.learner = "lrn_9b2e4f6a8c0d1e3f5a7b9c1d";
  r.unit = "loaduni:C1";
  r.issuer = "loaduni";
  r.external_ref = "2024-fall-CS101-000123";
  r.kind = UnitKind::kDegreeCourse;
  r.credits = 300;
  r.level = 6;
  r.field = "0613";
  r.grade_scale = "percent";
  r.grade_value = "85";
  r.grade = 85;
  r.completed_on = 20'000;
  RecordInput in;
  in.learner = r.learner;
  in.unit = r.unit;
  in.external_ref = r.external_ref;
  in.grade_scale = r.grade_scale;
  in.grade_value = r.grade_value;
  in.completed_on = "2024-10-04";
  const std::string salt(64, 'a');
  std::string bytes;
  if (state.range(0) == 1) {
    bytes = SignedRecordEntryBytes(r, in, "2026-12-04T22:00:00Z", salt, "",
                                   std::string(700, 'J'), std::string(64, 'b'))
                .value();
  } else {
    bytes = RecordEntryCanonical(r, in, "2026-12-04T22:00:00Z", salt, "").value();
  }
  const bool tree = state.range(1) == 1;
  for (auto _ : state) {
    std::optional<Record> read;
    if (tree) {
      auto parsed = RecordFromEntry(json::parse(bytes));
      if (parsed.ok()) read = std::move(*parsed);
    } else {
      read = RecordFromEntryFast(bytes);
    }
    if (!read || read->learner != r.learner) state.SkipWithError("entry not read");
    benchmark::DoNotOptimize(read);
  }
  state.counters["entry_bytes"] = static_cast<double>(bytes.size());
}

// One suppression of every answer of province 31 together (stats_lattice.h; an investigation,
// not what the server answers with): its cells made from the learners' cells of its counties
// and the fixed point, once per change of the figures. Arg 1 with the issuer key's 8 subsets,
// 0 without. Counters: the lattice's cells, those left out for themselves (primary) and in all
// (hidden), and the passes.
void BM_StatsLatticeProvince(benchmark::State& state) {
  Filled& w = World();
  LatticeStats stats;
  for (auto _ : state) {
    state.PauseTiming();
    ChangeOneLearner();
    state.ResumeTiming();
    stats = w.aggregates.SuppressProvince("31", 10, state.range(0) != 0);
    benchmark::DoNotOptimize(stats);
  }
  state.counters["cells"] = static_cast<double>(stats.cells);
  state.counters["primary"] = static_cast<double>(stats.primary);
  state.counters["hidden"] = static_cast<double>(stats.hidden);
  state.counters["passes"] = static_cast<double>(stats.passes);
  state.counters["unknown_by"] = static_cast<double>(stats.unknown_by);
  state.counters["make_s"] = stats.make_seconds;
  state.counters["suppress_s"] = stats.suppress_seconds;
}

// Today's answers of the same 48 questions of province 31 (region at province, city and county
// level, each with every subset of kind, level, year and issuer; first Arg 0: without issuer),
// each computed as a request computes it: what the lattice replaces, and the cells they leave
// out. Second Arg 1: answered from the lattice (set_lattice), made (untimed) before the first.
void BM_StatsProvinceEveryAnswer(benchmark::State& state) {
  Filled& w = World();
  const std::vector<StatsKey> others = {StatsKey::kKind, StatsKey::kLevel, StatsKey::kYear,
                                        StatsKey::kIssuer};
  const unsigned subsets = state.range(0) != 0 ? 16 : 8;
  const bool lattice = state.range(1) != 0;
  w.aggregates.set_lattice(lattice);
  size_t cells = 0, hidden = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ChangeOneLearner();
    if (lattice) w.aggregates.Compute({{StatsKey::kRegion}, "31", RegionLevel::kCity, 10});
    state.ResumeTiming();
    cells = hidden = 0;
    for (RegionLevel level : {RegionLevel::kProvince, RegionLevel::kCity, RegionLevel::kCounty}) {
      for (unsigned subset = 0; subset < subsets; ++subset) {
        StatsQuery q{{StatsKey::kRegion}, "31", level, 10};
        for (size_t b = 0; b < others.size(); ++b) {
          if (subset >> b & 1) q.group_by.push_back(others[b]);
        }
        const StatsResult r = w.aggregates.Compute(q);
        cells += r.cells.size() + static_cast<size_t>(r.suppressed);
        hidden += static_cast<size_t>(r.suppressed);
      }
    }
  }
  w.aggregates.set_lattice(false);
  state.counters["cells"] = static_cast<double>(cells);
  state.counters["hidden"] = static_cast<double>(hidden);
}

BENCHMARK(BM_StatsRegionProvince)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsRegionYearProvince)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsKindLevelPrefix31)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsYearPrefix3101)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsKindLevelEverywhere)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsRegionYearCounty)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsIssuerYear)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsIssuerYearPrefix31)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsRegionIssuerProvince)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsIssuerKindYearPrefix3101)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsIssuerYearPrefix3101)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsIssuerKindYear)->Unit(benchmark::kMillisecond);
// Arg 1: the body as written now (StatsJsonText); 2: a JSON value per cell, as before.
BENCHMARK(BM_StatsRegionYearCountyJson)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsIssuerYearJson)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsRegionIssuerProvinceJson)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsRegionYearCountyPage)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsIssuerKindYearPrefix31)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsIssuerYearPrefix3101Cold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsIssuerKindYearPrefix3101Cold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsIssuerKindYearPrefix31Cold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsKeptPage)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsReplaceLearner)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StatsAddRecords)->Arg(1000)->Arg(40000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StatsLatticeProvince)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsProvinceEveryAnswer)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadRecordEntry)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace lcb

BENCHMARK_MAIN();
