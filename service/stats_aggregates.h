// The maintained aggregates behind GET /v1/stats: what every learner contributes to the
// cells, kept in memory so that a query reads cells, not the store.
//
// Why sums are exact: a learner's region is an attribute of the learner, so the learners of
// two regions of one level are disjoint, and a distinct-learner count over several regions
// is the sum of their counts.
//
// Kept per learner: its region, its conversions and its distinct finest cells (kind, level,
// year, issuer) with their record counts and credits. Kept per region at four levels
// (everyone; each province; each city; each county, with the list of its learners): for each
// of the 8 subsets S of {kind, level, year}, a map from the S-projection of a record's cell to
// {learners, records, credits, conversions}, where a learner counts once in every projection
// one of its active records falls in (S = {} holds every learner, with or without records, and
// counts those without apart, Region::without, so that its records are left out when 1 to k-1
// learners hold them).
// Everyone also keeps the maps of the 8 subsets with issuer; each province those of {issuer}
// and of issuer with one of kind, level or year; each city those of {issuer} and {issuer, year}.
// Learners without a region are kept in the region "" of every level. Set() subtracts what
// the learner contributed before and adds what it contributes now: O(4 * 8 * its cells).
//
// Compute() answers the question's suppression scope (ScopeOf, stats_suppress.h: for a prefix
// finer than a province, its region's siblings, grouped by region) and keeps the cells under
// the asked prefix. It picks S = group_by minus region and the coarsest level that still
// separates what the query asks (everyone when region is neither filtered nor grouped; else
// the finer of the prefix and the region level), reads the regions under the prefix (ordered: a
// prefix is a range), groups them at the region level when region is grouped, then k-suppresses.
// Without issuer, with issuer nationally, with issuer and at most one other of kind, level,
// year in a province, and with issuer alone or with year in a city (with its province's cities,
// ScopeOf): O(map entries read), independent of the number of learners and records. Any
// other question with issuer is made from the finest cells of the learners of the counties under
// the prefix: O(their distinct cells), in memory (a city's in a few ms); each county's cells so
// made are kept (Region::made, bounded by kMadeCells) and read again, O(its cells), until one of
// its learners changes, so that a question, and the coarser ones it respects, read most
// counties' cells from what an earlier question made. (Every subset with issuer
// kept at every level would hold about one entry per record per subset and level — several GB at
// 10M records.) Cells are ordered by their keys' ranks read as one number: a bit per number
// marks those present when the range is small enough, else a radix sort (Finish).
//
// The pages of one answer describe one moment: every change bumps a generation, an answer
// carries it (StatsResult::as_of), and the last kKeptAnswers answers (at most kKeptCells cells)
// are kept whole, as ranks and tallies. A query with as_of names the answer of that moment: if
// it is kept, its page is read from it (only the page's cells are made); if not (evicted, or
// the process restarted), it is computed from the current state.
//
// Not thread-safe: StatsService serializes access.
#pragma once

#include <array>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/model.h"
#include "service/stats_lattice.h"
#include "service/stats_query.h"
#include "service/stats_suppress.h"

namespace lcb {

// One active record as the statistics see it.
struct StatsRecordFacts {
  UnitKind kind = UnitKind::kDegreeCourse;
  int level = 0;  // RecordMatchLevel
  int year = 0;   // of completed_on
  std::string issuer;
  Centi credits = 0;
};

// One learner as the statistics see it.
struct StatsLearnerFacts {
  std::string region;  // GB/T 2260 county code; "" = none given
  int64_t conversions = 0;
  std::vector<StatsRecordFacts> records;  // active ones only
  // The log size the records were read at (its leaves [0, read_to) were looked at), so that
  // the records added later can be read alone (StatsAggregates::AddAll); unknown when empty.
  std::optional<uint64_t> read_to;
};

class StatsAggregates {
 public:
  StatsAggregates() = default;
  StatsAggregates(const StatsAggregates&) = delete;  // holds pointers into itself
  StatsAggregates& operator=(const StatsAggregates&) = delete;

  // Replaces what `learner` contributes (adds it when new).
  void Set(const std::string& learner, const StatsLearnerFacts& facts);
  // Where the learner's facts were read to (StatsLearnerFacts::read_to), or nothing when the
  // learner is unknown or that was not given: then only Set brings it up to date.
  std::optional<uint64_t> ReadTo(const std::string& learner) const;
  // Adds the active records each learner gained in leaves [ReadTo(learner), read_to) (each
  // must have a ReadTo; unknown learners are skipped), and moves their ReadTo to `read_to`.
  // Records in cells their learner has already: O(records) to sum them, then O(distinct
  // (region, cell) pairs) map updates; a record in a new cell of its learner: O(the learner's
  // distinct cells).
  void AddAll(const std::unordered_map<std::string, std::vector<StatsRecordFacts>>& added,
              uint64_t read_to);
  // Removes what `learner` contributes (nothing when unknown).
  void Remove(const std::string& learner);
  void Clear();
  // A page of the answer to `query`: read from a kept answer when one describes the current
  // state (or, for a later page, the state `query.as_of` names), else computed and kept.
  StatsResult Compute(const StatsQuery& query) const;
  // Whether the answer a later page of `query` continues (query.as_of) is still kept.
  bool Keeps(const StatsQuery& query) const;
  size_t learners() const { return learners_.size(); }
  // The log size the figures are complete to (StatsService sets it as it reads the log's
  // entries): every record below it is counted. Answers carry it (StatsResult::tree_size).
  void SetCountedTo(uint64_t tree_size) { counted_to_ = tree_size; }
  uint64_t counted_to() const { return counted_to_; }
  // Answers kept for later pages: at most this many, of at most kKeptCells cells together.
  static constexpr size_t kKeptAnswers = 8;
  static constexpr size_t kKeptCells = size_t{1} << 20;
  // Cells of the counties' maps made from their learners' cells kept at most (Region::made;
  // about 48 B each): past it every one is dropped and they are made again as asked.
  static constexpr size_t kMadeCells = size_t{1} << 21;
  // A parent answer's shown cells are looked up in a bit per combination of its keys' values
  // up to this many combinations (8 MB of bits), else by a binary search (Finish).
  static constexpr uint64_t kMaxParentBits = uint64_t{1} << 26;
  // Test-only: false answers every question as before these maps were kept (each county's
  // cells made afresh from every learner's projections, each learner's sorted), the parts of
  // an answer too large for an array sorted by comparing their ranks, and a group's cells
  // sorted whole to leave the smallest out (SuppressComplements' `sorted`); the answers are
  // the same either way (tests/service/stats_speed_test.cc holds them equal). Either way it
  // forgets every county's kept map.
  void set_reuse(bool reuse) {
    reuse_ = reuse;
    DropMade();
  }
  // Investigation only (stats_lattice.h; not what the server answers with): true answers every
  // question under a province (a prefix of 2 digits or more) from one suppression of all of
  // that province's answers together (SuppressLattice), computed once per generation, k and
  // province and kept; other questions as before. Starts as LCB_STATS_LATTICE=1 says, so
  // that the existing tests can be run against it. Forgets every kept answer.
  void set_lattice(bool on) {
    lattice_ = on;
    kept_.clear();
    lattices_.clear();
  }
  // The lattice of every answer of `province` (2 digits) now, suppressed with `k` (with or
  // without the issuer key's 8 subsets), and what that did: for figures (stats_bench).
  LatticeStats SuppressProvince(const std::string& province, int k, bool with_issuer) const;

 private:
  // A cell key with every field present; a subset's projection zeroes the others.
  // a = level (low 32 bits) | year (high 32); b = issuer id (low 32) | kind + 1 (high 32).
  struct CellKey {
    uint64_t a = 0, b = 0;
    friend bool operator==(const CellKey&, const CellKey&) = default;
    friend auto operator<=>(const CellKey&, const CellKey&) = default;
  };
  struct CellKeyHash {
    size_t operator()(const CellKey& k) const {
      return static_cast<size_t>((k.a * 0x9E3779B97F4A7C15ull) ^
                                 (k.b + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full);
    }
  };
  // A kept cell's figures.
  struct Sums {
    int64_t learners = 0, records = 0;
    Centi credits = 0;
    int64_t conversions = 0;
    Sums& operator+=(const Sums& o) {
      learners += o.learners;
      records += o.records;
      credits += o.credits;
      conversions += o.conversions;
      return *this;
    }
  };
  // A cell's figures while a query runs, with those of its learners without an active record
  // (only a cell grouped by region alone has any: Region::without).
  struct Tally {
    Sums sums;
    int64_t without = 0;
    Tally& operator+=(const Tally& o) {
      sums += o.sums;
      without += o.without;
      return *this;
    }
  };
  // Open addressing (Boost 1.81's flat map): a region's cells lie in one array, so a query
  // reads them in order instead of chasing one heap node per cell across the whole fill.
  using CellMap = boost::unordered_flat_map<CellKey, Sums, CellKeyHash>;
  struct LearnerState;
  // Everyone (one region, ""), provinces, cities, counties.
  enum Level { kEveryone, kProvince, kCity, kCounty, kLevels };
  struct Region {
    std::string code;                  // six digits at the level, or ""
    std::array<CellMap, 8> by_subset;  // bit 1 kind, 2 level, 4 year
    // The subsets with issuer (kIssuerSubsets, by slot): everyone keeps all 8, provinces the
    // first 4 ({issuer} and issuer with one of kind, level, year), cities {issuer} and {issuer,
    // year} (kCityIssuerSlots), so that a national question by issuer, a provincial one with at
    // most one other key, and a city's by issuer and year, read a map.
    std::array<CellMap, 8> by_issuer;
    std::vector<LearnerState*> learners;  // counties only
    int64_t without = 0;  // of the learners in by_subset[0], those without an active record
    // Counts every change to the region's figures (ApplyCells): a county's maps made from its
    // learners' cells (Made) stay right for as long as it stays the same.
    uint64_t version = 0;
    // Counties only, per issuer slot: the map last made from the learners' cells (AddRegion),
    // with the version it was made at; reused while the county has not changed since.
    struct Made {
      bool valid = false;
      uint64_t version = 0;
      std::vector<std::pair<CellKey, Sums>> cells;
    };
    mutable std::array<Made, 8> made;
  };
  // Subsets with issuer (bit 8 issuer), by slot in Region::by_issuer.
  static constexpr std::array<unsigned, 8> kIssuerSubsets = {
      8, 8 | 1, 8 | 2, 8 | 4, 8 | 1 | 2, 8 | 1 | 4, 8 | 2 | 4, 8 | 1 | 2 | 4};
  static constexpr int kProvinceIssuerSlots = 4;
  // Cities keep {issuer} and {issuer, year}: a city's question by issuer and year is answered
  // within its province's cities (ScopeOf), and respects the answer without year. Each of the
  // two other slots of one key would cost about as much again (~230 MB at 1M learners and
  // 10M records: benchmarks/README.md).
  static constexpr std::array<int, 2> kCityIssuerSlots = {0, 3};
  // The slot of a subset with issuer; -1 for a subset without.
  static int IssuerSlot(unsigned subset);
  // Whether regions of `level` keep the map of issuer slot `slot` (else a query makes it from
  // the learners' cells of the counties it covers).
  static bool KeepsIssuerMap(Level level, int slot) {
    switch (level) {
      case kEveryone:
        return slot >= 0;
      case kProvince:
        return slot >= 0 && slot < kProvinceIssuerSlots;
      case kCity:
        return slot == kCityIssuerSlots[0] || slot == kCityIssuerSlots[1];
      default:
        return false;
    }
  }
  struct FineCell {
    CellKey key;
    int64_t records = 0;
    Centi credits = 0;
  };
  struct LearnerState {
    std::array<Region*, kLevels> regions{};
    size_t slot = 0;  // index in regions[kCounty]->learners
    int64_t conversions = 0;
    std::vector<FineCell> cells;  // sorted by key, distinct
    std::optional<uint64_t> read_to;
  };
  // One (region group, projected cell) with its sums, while a query runs; equal ones are
  // merged after sorting.
  struct Part {
    uint32_t group;  // index of the region at the query's level ("" when not grouped)
    CellKey key;
    Tally tally;
  };

  // A cell's keys as their ranks among the answer's values of each key (ranked by the strings
  // the cell carries, so ranks compare as the strings do).
  using Ranks = std::array<uint32_t, 5>;
  struct Shown {
    Ranks ranks;
    Tally tally;
  };
  // A whole answer, k-suppressed, in order; a page is a range of it. About 56 B per cell.
  struct Answer {
    std::vector<StatsKey> group_by;
    std::string region_prefix;
    RegionLevel region_level = RegionLevel::kCounty;
    int k = 0;
    uint64_t generation = 0;                      // the state it describes
    uint64_t tree_size = 0;                       // counted_to() when it was computed
    std::vector<std::vector<std::string>> names;  // per key, its strings by rank
    std::vector<Shown> cells;
    int64_t suppressed = 0;
    bool Answers(const StatsQuery& query) const {
      return group_by == query.group_by && region_prefix == query.region_prefix &&
             region_level == query.region_level && k == query.k;
    }
  };
  // The kept answer a page of `query` is read from, or null.
  const Answer* Kept(const StatsQuery& query) const;
  static StatsResult Page(const Answer& answer, const StatsQuery& query);

  static CellKey Project(CellKey key, unsigned subset);
  static void Bump(CellMap& map, const CellKey& key, const Sums& delta);
  // Each distinct S-projection of the cells with its records and credits.
  static void Projections(const std::vector<FineCell>& cells, unsigned subset,
                          std::vector<FineCell>* out);
  uint32_t IssuerId(const std::string& issuer);
  LearnerState StateOf(const StatsLearnerFacts& facts);
  // The finest cell of a record (its issuer gets an id on first sight).
  CellKey KeyOf(const StatsRecordFacts& r);
  // Adds (sign 1) or subtracts (sign -1) a learner's contribution to its regions' maps.
  void Apply(const LearnerState& state, int sign);
  // Adds (sign 1) or subtracts (-1) the cells' records and credits, with `learners` and
  // `conversions` added to every cell they project to, to the maps of each non-null region.
  static void ApplyCells(const std::vector<FineCell>& cells,
                         const std::array<Region*, kLevels>& regions, int sign, int64_t learners,
                         int64_t conversions);
  static void Join(LearnerState* state);
  static void Leave(const LearnerState& state);
  static Level LevelFor(const StatsQuery& query, unsigned subset);
  // The parts of one region's cells of `subset`: from a kept map, or (with issuer where no map
  // is kept) from the county's learners' cells, a learner counted once per cell it projects to;
  // that map is kept with the county (Region::made, at most kMadeCells cells in all) and read
  // again while the county has not changed.
  struct Scratch;
  void AddRegion(const Region& region, Level level, unsigned subset, uint32_t group,
                 Scratch& scratch, std::vector<Part>* parts) const;
  // Forgets every county's made maps.
  void DropMade() const;
  // Orders scratch_.parts, the cells of scope.query, by the key strings the cells will carry,
  // merges equal ones, k-suppresses them and keeps those of the question (scope.keep) into
  // `answer`, keyed as it asked. `groups` are the region groups in order, named by Part::group.
  // With primary_only, only the cells too small by themselves (TooFew) are left out.
  // Unless primary_only, first the answers one step coarser over each key (ParentQueries),
  // whose left-out cells its cells respect, each found in `coarser` or computed into it (one
  // question's coarser answers share theirs), at `depth` + 1 (their own scratch space). They
  // are not needed when none of the cells is too small by itself and NothingCoarserHides.
  using Answers = std::map<std::string, Answer>;  // by AnswerId
  void Finish(const SuppressionScope& scope, const std::vector<std::string>& groups,
              bool primary_only, Answers* coarser, size_t depth, Answer* answer) const;
  // Reads the parts of the regions scope.query covers and Finishes them into `answer`.
  void FinishAnswer(const SuppressionScope& scope, bool primary_only, Answers* coarser,
                    size_t depth, Answer* answer) const;
  // Whether, given that no cell of the answer to `query` is too small by itself, no answer
  // one or more steps coarser leaves out a cell (so none of its cells has a parent left out):
  // their cells are unions of its cells, and so hold k learners or more, when they read the
  // same learners (a prefix of at most two digits, which ScopeOf never widens) and every
  // region at its level holds k learners or some with records (a region without records has
  // no cell here, but one in an answer grouped by region alone).
  bool NothingCoarserHides(const StatsQuery& query) const;
  // The province's lattice (stats_lattice.h): every cell of every answer, made from its
  // counties' learners' cells; `city_of_county` the lattice's region parents, `names` (unless
  // null) each cell by LatticeCellName (stats_aggregates_lattice.cc).
  std::vector<LatticeCell> LatticeOf(const std::string& province, bool with_issuer,
                                     std::vector<uint32_t>* city_of_county,
                                     std::vector<std::string>* names) const;
  // With set_lattice: marks the cells of scope_query's answer left out in its province's
  // lattice, and returns true; false (nothing done) for a question not under a province.
  bool LatticeMarks(const StatsQuery& scope_query,
                    const std::vector<std::vector<std::string>>& names,
                    std::vector<SuppressionCell>* marks) const;
  static bool LatticeFromEnv();
  // The scratch space of a query's answer `depth` steps coarser than the question's.
  Scratch& ScratchAt(size_t depth) const;
  // By code, per level; node addresses are stable.
  std::array<std::map<std::string, Region>, kLevels> regions_;
  // Open addressing, each state on the heap (a county's list points at it): a lookup, done for
  // every record the statistics read, touches a metadata group and its slot instead of walking
  // a bucket's chain of nodes (that walk was ~30 % of bringing the figures up to date at 100k
  // learners).
  boost::unordered_flat_map<std::string, std::unique_ptr<LearnerState>> learners_;
  std::vector<std::string> issuers_;
  std::unordered_map<std::string, uint32_t> issuer_ids_;
  // A query's working arrays, kept from one query to the next (access is serialized): an
  // answer of 50k cells needs ~10 MB of them, and fresh pages each time cost more than the
  // rest of the query (page faults were 40 % of its time).
  struct Scratch {
    std::vector<Part> parts;
    std::vector<std::array<uint32_t, 5>> ranks;  // per part, each key's rank
    std::vector<uint32_t> values;
    std::vector<uint64_t> bits;           // a bit per rank combination: the cells present
    std::vector<uint32_t> before;         // cells before each word of bits
    std::vector<uint64_t> shown_parents;  // a parent answer's shown cells, as bits or sorted
    std::vector<uint32_t> order;
    std::vector<std::pair<uint64_t, uint32_t>> coded, coded_tmp;  // parts by their ranks, sorted
    std::vector<Shown> all;  // every cell of an answer, before suppression
    std::vector<SuppressionCell> marks;
    // A county's cells as they are made from its learners' (AddRegion), with the learner
    // that last counted in each.
    struct Making {
      Sums sums;
      const LearnerState* last = nullptr;
    };
    boost::unordered_flat_map<CellKey, Making, CellKeyHash> making;
  };
  mutable std::vector<std::unique_ptr<Scratch>> scratch_;  // by depth
  // Counts every Set, AddAll with records, Remove and Clear: an answer computed at one generation
  // is the answer for as long as it stays the same.
  uint64_t generation_ = 1;
  uint64_t counted_to_ = 0;
  mutable std::vector<Answer> kept_;  // most recently used first
  mutable size_t made_cells_ = 0;     // cells in every Region::made together
  bool reuse_ = true;                 // set_reuse
  bool lattice_ = LatticeFromEnv();   // set_lattice
  // Per province: the cells its lattice leaves out (by LatticeCellName), for one generation
  // and k.
  struct KeptLattice {
    uint64_t generation = 0;
    int k = 0;
    boost::unordered_flat_set<std::string> hidden;
  };
  mutable std::map<std::string, KeptLattice> lattices_;
};

}  // namespace lcb
