#include "service/stats_aggregates.h"

#include <algorithm>
#include <bit>

namespace lcb {
namespace {

constexpr unsigned kKindBit = 1, kLevelBit = 2, kYearBit = 4, kIssuerBit = 8;

unsigned SubsetOf(const std::vector<StatsKey>& group_by) {
  unsigned subset = 0;
  for (StatsKey key : group_by) {
    if (key == StatsKey::kKind) subset |= kKindBit;
    if (key == StatsKey::kLevel) subset |= kLevelBit;
    if (key == StatsKey::kYear) subset |= kYearBit;
    if (key == StatsKey::kIssuer) subset |= kIssuerBit;
  }
  return subset;
}

bool Has(const std::vector<StatsKey>& group_by, StatsKey key) {
  return std::find(group_by.begin(), group_by.end(), key) != group_by.end();
}

uint64_t Low(uint64_t v) { return v & 0xFFFF'FFFFull; }
uint64_t High(uint64_t v) { return v & ~0xFFFF'FFFFull; }

// The rank of each value of one group-by key among the values present: a table over the
// values' range when it is small (kinds, levels, years, issuer ids always are), else a map.
class Ranker {
 public:
  // `values` are every part's value of the key (repeats allowed); `text` names a value.
  template <typename Text>
  Ranker(const std::vector<uint32_t>& values, Text text, std::vector<std::string>* names) {
    uint32_t hi = 0;
    lo_ = UINT32_MAX;
    for (uint32_t v : values) {
      lo_ = std::min(lo_, v);
      hi = std::max(hi, v);
    }
    std::vector<uint32_t> distinct;
    if (!values.empty() && hi - lo_ < kMaxTable) {
      table_.assign(size_t{hi - lo_} + 1, kAbsent);
      for (uint32_t v : values) {
        uint32_t& slot = table_[v - lo_];
        if (slot == kAbsent) {
          slot = 0;
          distinct.push_back(v);
        }
      }
    } else {
      distinct = values;
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    }
    std::vector<std::pair<std::string, uint32_t>> by_text;
    by_text.reserve(distinct.size());
    for (uint32_t v : distinct) by_text.emplace_back(text(v), v);
    std::sort(by_text.begin(), by_text.end());
    names->clear();
    names->reserve(by_text.size());
    for (uint32_t r = 0; r < by_text.size(); ++r) {
      if (table_.empty()) {
        map_.emplace(by_text[r].second, r);
      } else {
        table_[by_text[r].second - lo_] = r;
      }
      names->push_back(std::move(by_text[r].first));
    }
  }
  uint32_t operator()(uint32_t v) const { return table_.empty() ? map_.at(v) : table_[v - lo_]; }

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;
  static constexpr uint32_t kMaxTable = 1u << 22;
  uint32_t lo_ = 0;
  std::vector<uint32_t> table_;
  boost::unordered_flat_map<uint32_t, uint32_t> map_;
};

}  // namespace

StatsAggregates::CellKey StatsAggregates::Project(CellKey key, unsigned subset) {
  CellKey out;
  if (subset & kLevelBit) out.a |= Low(key.a);
  if (subset & kYearBit) out.a |= High(key.a);
  if (subset & kIssuerBit) out.b |= Low(key.b);
  if (subset & kKindBit) out.b |= High(key.b);
  return out;
}

void StatsAggregates::Bump(CellMap& map, const CellKey& key, const Sums& delta) {
  Sums& t = map[key];
  t += delta;
  if (t.learners == 0) map.erase(key);  // no learner left: records and credits are 0 too
}

uint32_t StatsAggregates::IssuerId(const std::string& issuer) {
  auto [it, added] = issuer_ids_.try_emplace(issuer, static_cast<uint32_t>(issuers_.size()));
  if (added) issuers_.push_back(issuer);
  return it->second;
}

StatsAggregates::LearnerState StatsAggregates::StateOf(const StatsLearnerFacts& facts) {
  LearnerState state;
  constexpr RegionLevel kAt[] = {RegionLevel::kProvince, RegionLevel::kProvince, RegionLevel::kCity,
                                 RegionLevel::kCounty};
  for (int level = 0; level < kLevels; ++level) {
    const std::string code =
        level == kEveryone || facts.region.empty() ? "" : RegionAt(facts.region, kAt[level]);
    auto [region, added] = regions_[level].try_emplace(code);
    if (added) region->second.code = code;
    state.regions[level] = &region->second;
  }
  state.conversions = facts.conversions;
  state.cells.reserve(facts.records.size());
  for (const StatsRecordFacts& r : facts.records)
    state.cells.push_back(FineCell{KeyOf(r), 1, r.credits});
  std::vector<FineCell> distinct;
  Projections(state.cells, 15, &distinct);
  state.cells = std::move(distinct);
  state.read_to = facts.read_to;
  return state;
}

StatsAggregates::CellKey StatsAggregates::KeyOf(const StatsRecordFacts& r) {
  CellKey key;
  key.a = static_cast<uint32_t>(r.level) | (uint64_t{static_cast<uint32_t>(r.year)} << 32);
  key.b = IssuerId(r.issuer) | (uint64_t{static_cast<uint32_t>(r.kind) + 1u} << 32);
  return key;
}

void StatsAggregates::Projections(const std::vector<FineCell>& cells, unsigned subset,
                                  std::vector<FineCell>* out) {
  out->clear();
  for (const FineCell& c : cells) out->push_back({Project(c.key, subset), c.records, c.credits});
  std::sort(out->begin(), out->end(),
            [](const FineCell& x, const FineCell& y) { return x.key < y.key; });
  size_t n = 0;  // equal keys merged in place
  for (const FineCell& c : *out) {
    if (n > 0 && (*out)[n - 1].key == c.key) {
      (*out)[n - 1].records += c.records;
      (*out)[n - 1].credits += c.credits;
    } else {
      (*out)[n++] = c;
    }
  }
  out->resize(n);
}

int StatsAggregates::IssuerSlot(unsigned subset) {
  for (size_t i = 0; i < kIssuerSubsets.size(); ++i) {
    if (kIssuerSubsets[i] == subset) return static_cast<int>(i);
  }
  return -1;
}

void StatsAggregates::Apply(const LearnerState& state, int sign) {
  ApplyCells(state.cells, state.regions, sign, sign, sign * state.conversions);
}

void StatsAggregates::ApplyCells(const std::vector<FineCell>& cells,
                                 const std::array<Region*, kLevels>& regions, int sign,
                                 int64_t learners, int64_t conversions) {
  Sums all{learners, 0, 0, conversions};
  for (const FineCell& c : cells) {
    all.records += sign * c.records;
    all.credits += sign * c.credits;
  }
  for (Region* region : regions) {
    if (!region) continue;
    ++region->version;
    Bump(region->by_subset[0], CellKey{}, all);
    if (cells.empty()) region->without += learners;
  }
  std::vector<FineCell> projected;
  for (unsigned subset = 1; subset < 8; ++subset) {
    Projections(cells, subset, &projected);
    for (const FineCell& p : projected) {
      const Sums delta{learners, sign * p.records, sign * p.credits, conversions};
      for (Region* region : regions) {
        if (region) Bump(region->by_subset[subset], p.key, delta);
      }
    }
  }
  for (size_t slot = 0; slot < kIssuerSubsets.size(); ++slot) {
    // Only the levels that keep the slot's map (KeepsIssuerMap).
    std::array<CellMap*, kLevels> maps{};
    bool any = false;
    for (int level = 0; level < kLevels; ++level) {
      if (regions[level] && KeepsIssuerMap(static_cast<Level>(level), static_cast<int>(slot))) {
        maps[level] = &regions[level]->by_issuer[slot];
        any = true;
      }
    }
    if (!any) continue;
    Projections(cells, kIssuerSubsets[slot], &projected);
    for (const FineCell& p : projected) {
      const Sums delta{learners, sign * p.records, sign * p.credits, conversions};
      for (CellMap* map : maps) {
        if (map) Bump(*map, p.key, delta);
      }
    }
  }
}

void StatsAggregates::Join(LearnerState* state) {
  Region& county = *state->regions[kCounty];
  state->slot = county.learners.size();
  county.learners.push_back(state);
}

void StatsAggregates::Leave(const LearnerState& state) {
  std::vector<LearnerState*>& list = state.regions[kCounty]->learners;
  LearnerState* last = list.back();
  list[state.slot] = last;
  last->slot = state.slot;
  list.pop_back();
}

void StatsAggregates::Set(const std::string& learner, const StatsLearnerFacts& facts) {
  ++generation_;
  LearnerState next = StateOf(facts);
  auto [it, added] = learners_.try_emplace(learner);
  if (!added) {
    Apply(*it->second, -1);
    Leave(*it->second);
  }
  Apply(next, 1);
  if (added) {
    it->second = std::make_unique<LearnerState>(std::move(next));
  } else {
    *it->second = std::move(next);  // in place: the county's list points at it
  }
  Join(it->second.get());
}

std::optional<uint64_t> StatsAggregates::ReadTo(const std::string& learner) const {
  auto it = learners_.find(learner);
  if (it == learners_.end()) return std::nullopt;
  return it->second->read_to;
}

void StatsAggregates::AddAll(
    const std::unordered_map<std::string, std::vector<StatsRecordFacts>>& added, uint64_t read_to) {
  // Records in (kind, level, year, issuer) cells their learner has already project only to cells
  // it is counted in: they add records and credits there, no learner. Such records of all the
  // learners are summed per region of each level first and then added to its maps once per
  // distinct cell, instead of once per record and region (a county's learners share their
  // city's, province's and everyone's cells). state.cells is sorted by key (Projections).
  struct InCells {
    std::array<Region*, kLevels> regions{};  // the county's region at each level
    std::vector<FineCell> cells;
  };
  std::unordered_map<Region*, InCells> in_cells;  // by county
  std::vector<FineCell*> at;                      // the learner's cell of each added record
  for (const auto& [learner, records] : added) {
    auto it = learners_.find(learner);
    if (it == learners_.end()) continue;
    LearnerState& state = *it->second;
    state.read_to = read_to;
    if (records.empty()) continue;
    ++generation_;
    at.clear();
    for (const StatsRecordFacts& r : records) {
      const CellKey key = KeyOf(r);
      auto cell = std::lower_bound(state.cells.begin(), state.cells.end(), key,
                                   [](const FineCell& x, const CellKey& k) { return x.key < k; });
      if (cell == state.cells.end() || !(cell->key == key)) break;
      at.push_back(&*cell);
    }
    if (at.size() == records.size()) {
      InCells& county = in_cells[state.regions[kCounty]];
      county.regions = state.regions;
      for (size_t i = 0; i < records.size(); ++i) {
        at[i]->records += 1;
        at[i]->credits += records[i].credits;
        county.cells.push_back(FineCell{at[i]->key, 1, records[i].credits});
      }
      continue;
    }
    // A new cell: what the learner contributes with the new records replaces what it did (a
    // learner counts once per cell, so the new record may or may not add it to a cell).
    std::vector<FineCell> cells = state.cells;
    for (const StatsRecordFacts& r : records) cells.push_back(FineCell{KeyOf(r), 1, r.credits});
    std::vector<FineCell> distinct;
    Projections(cells, 15, &distinct);
    Apply(state, -1);
    state.cells = std::move(distinct);
    Apply(state, 1);
  }
  if (in_cells.empty()) return;
  // Up the levels: each county's sums, then each city's, province's and everyone's.
  std::unordered_map<Region*, std::vector<FineCell>> here;
  for (int level = kCounty; level >= kEveryone; --level) {
    here.clear();
    for (const auto& [county, in] : in_cells) {
      std::vector<FineCell>& sums = here[in.regions[level]];
      sums.insert(sums.end(), in.cells.begin(), in.cells.end());
    }
    std::array<Region*, kLevels> only{};
    std::vector<FineCell> merged;
    for (auto& [region, cells] : here) {
      only[level] = region;
      Projections(cells, 15, &merged);
      ApplyCells(merged, only, 1, 0, 0);
    }
  }
}

void StatsAggregates::Remove(const std::string& learner) {
  auto it = learners_.find(learner);
  if (it == learners_.end()) return;
  ++generation_;
  Apply(*it->second, -1);
  Leave(*it->second);
  learners_.erase(it);
}

void StatsAggregates::Clear() {
  ++generation_;
  kept_.clear();
  for (auto& level : regions_) level.clear();
  learners_.clear();
  issuers_.clear();
  issuer_ids_.clear();
  made_cells_ = 0;  // went with the regions
}

void StatsAggregates::DropMade() const {
  for (const auto& [code, county] : regions_[kCounty]) {
    for (Region::Made& m : county.made) m = Region::Made{};
  }
  made_cells_ = 0;
}

void StatsAggregates::AddRegion(const Region& region, Level level, unsigned subset, uint32_t group,
                                Scratch& scratch, std::vector<Part>* parts) const {
  const int slot = IssuerSlot(subset);
  const CellMap* kept = subset < region.by_subset.size() ? &region.by_subset[subset]
                        : KeepsIssuerMap(level, slot)    ? &region.by_issuer[slot]
                                                         : nullptr;
  if (kept != nullptr) {
    const int64_t without = subset == 0 ? region.without : 0;
    for (const auto& [key, t] : *kept) parts->push_back({group, key, Tally{t, without}});
    return;
  }
  if (!reuse_) {
    // As before the made maps were kept (set_reuse): from the learners' own cells, each
    // learner's projections sorted and merged, summed here.
    CellMap sums;
    std::vector<FineCell> projected;
    for (const LearnerState* l : region.learners) {
      Projections(l->cells, subset, &projected);
      for (const FineCell& p : projected)
        sums[p.key] += Sums{1, p.records, p.credits, l->conversions};
    }
    for (const auto& [key, t] : sums) parts->push_back({group, key, Tally{t, 0}});
    return;
  }
  // With issuer and no kept map: from the learners' own cells (see the header), made once per
  // state of the county (Region::made) and read again while it stays the same.
  Region::Made& made = region.made[static_cast<size_t>(slot)];
  if (made.valid && made.version == region.version) {
    for (const auto& [key, t] : made.cells) parts->push_back({group, key, Tally{t, 0}});
    return;
  }
  // Each of a learner's cells projected and summed where it falls; the learner (and its
  // conversions) counted once per cell, the first time one of its cells falls there.
  auto& making = scratch.making;
  making.clear();
  for (const LearnerState* l : region.learners) {
    for (const FineCell& c : l->cells) {
      Scratch::Making& m = making[Project(c.key, subset)];
      if (m.last != l) {
        m.last = l;
        m.sums.learners += 1;
        m.sums.conversions += l->conversions;
      }
      m.sums.records += c.records;
      m.sums.credits += c.credits;
    }
  }
  for (const auto& [key, m] : making) parts->push_back({group, key, Tally{m.sums, 0}});
  made_cells_ -= made.cells.size();
  made = Region::Made{};
  if (made_cells_ + making.size() > kMadeCells) DropMade();
  if (making.size() > kMadeCells) return;  // too large to keep alone
  made.cells.reserve(making.size());
  for (const auto& [key, m] : making) made.cells.emplace_back(key, m.sums);
  made.version = region.version;
  made.valid = true;
  made_cells_ += made.cells.size();
}

StatsAggregates::Level StatsAggregates::LevelFor(const StatsQuery& query, unsigned subset) {
  const bool by_region = Has(query.group_by, StatsKey::kRegion);
  Level level = kCounty;
  if (!by_region && query.region_prefix.empty()) {
    level = kEveryone;
  } else {
    const size_t digits =
        std::max(query.region_prefix.size(),
                 by_region ? static_cast<size_t>(RegionDigits(query.region_level)) : size_t{0});
    level = digits <= 2 ? kProvince : digits <= 4 ? kCity : kCounty;
  }
  // With issuer, a map only where one is kept; else the counties, which list their learners.
  if ((subset & kIssuerBit) && !KeepsIssuerMap(level, IssuerSlot(subset))) return kCounty;
  return level;
}

const StatsAggregates::Answer* StatsAggregates::Kept(const StatsQuery& query) const {
  const uint64_t wanted = query.as_of != 0 ? query.as_of : generation_;
  for (const Answer& a : kept_) {
    if (a.generation == wanted && a.Answers(query)) return &a;
  }
  return nullptr;
}

bool StatsAggregates::Keeps(const StatsQuery& query) const {
  return query.as_of != 0 && Kept(query) != nullptr;
}

StatsResult StatsAggregates::Compute(const StatsQuery& query) const {
  const Answer* kept = Kept(query);
  if (kept == nullptr) {
    // Not kept (or no longer): the answer for the current state.
    Answer answer;
    answer.group_by = query.group_by;
    answer.region_prefix = query.region_prefix;
    answer.region_level = query.region_level;
    answer.k = query.k;
    answer.generation = generation_;
    answer.tree_size = counted_to_;
    // The answer its cells are left out within (stats_suppress.h): the question itself, or the
    // answer of its region's siblings, of which its cells are a part.
    const SuppressionScope scope = ScopeOf(query);
    bool answered = false;
    if (!scope.keep.empty()) {
      // When each of the question's own cells is too small by itself (TooFew), each is left
      // out in any answer it is part of: no need to make its siblings' (a small county's
      // questions cost what they did). Else its cells are read twice.
      SuppressionScope own;
      own.query = query;
      own.region_key = scope.region_key;  // 0 when the scope added region: unused then
      Answers none;
      FinishAnswer(own, /*primary_only=*/true, &none, 0, &answer);
      answered = answer.cells.empty();
      if (!answered) {
        answer.cells.clear();
        answer.suppressed = 0;
      }
    }
    if (!answered) {
      Answers coarser;
      FinishAnswer(scope, /*primary_only=*/false, &coarser, 0, &answer);
    }
    for (std::unique_ptr<Scratch>& s : scratch_) {
      if (s->parts.capacity() > (size_t{1} << 20)) *s = Scratch{};  // up to ~100 MB
    }
    // Kept first; the least recently used go when there are too many, or too many cells.
    kept_.insert(kept_.begin(), std::move(answer));
    size_t cells = 0, n = 0;
    while (n < kept_.size() && n < kKeptAnswers && cells + kept_[n].cells.size() <= kKeptCells) {
      cells += kept_[n++].cells.size();
    }
    if (n == 0) {  // larger than kKeptCells alone: answered, not kept
      StatsResult out = Page(kept_.front(), query);
      kept_.erase(kept_.begin());
      return out;
    }
    kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(n), kept_.end());
    kept = &kept_.front();
  } else {
    const auto at = kept_.begin() + (kept - kept_.data());
    std::rotate(kept_.begin(), at, at + 1);  // most recently used first
    kept = &kept_.front();
  }
  StatsResult out = Page(*kept, query);
  // A question (not a later page) describes the figures now: an answer kept at the same
  // generation has the same figures, complete to the log size read since.
  if (query.as_of == 0) out.tree_size = counted_to_;
  return out;
}

StatsResult StatsAggregates::Page(const Answer& answer, const StatsQuery& query) {
  StatsResult out;
  out.k = answer.k;
  out.suppressed = answer.suppressed;
  out.as_of = answer.generation;
  out.tree_size = answer.tree_size;
  const size_t n_keys = answer.group_by.size();
  // The first cell after query.after (the last cell of the previous page): cells are in order.
  auto begin = answer.cells.begin();
  if (!query.after.empty()) {
    begin = std::partition_point(answer.cells.begin(), answer.cells.end(), [&](const Shown& c) {
      for (size_t d = 0; d < n_keys && d < query.after.size(); ++d) {
        const int cmp = answer.names[d][c.ranks[d]].compare(query.after[d]);
        if (cmp != 0) return cmp < 0;
      }
      return true;  // equal to `after`: on the previous page
    });
  }
  const size_t left = static_cast<size_t>(answer.cells.end() - begin);
  const size_t take = query.limit != 0 ? std::min(left, query.limit) : left;
  out.more = take < left;
  out.cells.reserve(take);
  for (auto c = begin; c != begin + static_cast<std::ptrdiff_t>(take); ++c) {
    std::vector<std::string> keys(n_keys);
    for (size_t d = 0; d < n_keys; ++d) keys[d] = answer.names[d][c->ranks[d]];
    const Sums& t = c->tally.sums;
    out.cells.push_back(
        StatsCell{std::move(keys), t.learners, t.records, t.credits, t.conversions});
  }
  return out;
}

StatsAggregates::Scratch& StatsAggregates::ScratchAt(size_t depth) const {
  while (scratch_.size() <= depth) scratch_.push_back(std::make_unique<Scratch>());
  return *scratch_[depth];
}

bool StatsAggregates::NothingCoarserHides(const StatsQuery& q) const {
  if (q.region_prefix.size() > 2) return false;
  if (!Has(q.group_by, StatsKey::kRegion)) return true;
  const Level level = q.region_level == RegionLevel::kProvince ? kProvince
                      : q.region_level == RegionLevel::kCity   ? kCity
                                                               : kCounty;
  const auto& regions = regions_[level];
  auto it = q.region_prefix.empty() ? regions.begin() : regions.lower_bound(q.region_prefix);
  for (; it != regions.end() && it->first.starts_with(q.region_prefix); ++it) {
    const Region& r = it->second;
    const auto all = r.by_subset[0].find(CellKey{});
    const int64_t learners = all == r.by_subset[0].end() ? 0 : all->second.learners;
    if (learners > 0 && learners < q.k && r.without == learners) return false;
  }
  return true;
}

void StatsAggregates::FinishAnswer(const SuppressionScope& scope, bool primary_only,
                                   Answers* coarser, size_t depth, Answer* answer) const {
  const StatsQuery& q = scope.query;
  const unsigned subset = SubsetOf(q.group_by);
  const bool by_region = Has(q.group_by, StatsKey::kRegion);
  const bool uses_region = by_region || !q.region_prefix.empty();
  const Level level = LevelFor(q, subset);
  const auto& regions = regions_[level];
  std::vector<std::string> groups = {""};  // in order: regions come in order
  std::vector<Part>& parts = ScratchAt(depth).parts;
  parts.clear();
  auto it = q.region_prefix.empty() ? regions.begin() : regions.lower_bound(q.region_prefix);
  for (; it != regions.end() && it->first.starts_with(q.region_prefix); ++it) {
    const Region& region = it->second;
    if (uses_region && region.code.empty()) continue;
    if (by_region) {
      std::string group = RegionAt(region.code, q.region_level);
      if (groups.back() != group) groups.push_back(std::move(group));
    }
    AddRegion(region, level, subset, static_cast<uint32_t>(groups.size() - 1), ScratchAt(depth),
              &parts);
  }
  Finish(scope, groups, primary_only, coarser, depth, answer);
}

void StatsAggregates::Finish(const SuppressionScope& scope, const std::vector<std::string>& groups,
                             bool primary_only, Answers* coarser, size_t depth,
                             Answer* answer) const {
  Scratch& scratch = ScratchAt(depth);
  const StatsQuery& query = scope.query;
  // Each key of a part becomes its rank among the values present, ranked by the string the
  // cell will carry (region groups are ranked already: regions come in code order). Equal
  // ranks are equal key strings. When the ranks, read as one number in mixed radix (the first
  // key most significant), fit a range not much larger than the parts, a bit per number marks
  // the cells present and each part is summed into its cell, placed by the bits set before its
  // own (no sort: an answer of 50k cells is a few ms); otherwise the parts are sorted by their
  // ranks and equal ones merged.
  auto value = [&](const Part& p, StatsKey k) -> uint32_t {
    switch (k) {
      case StatsKey::kRegion:
        return p.group;
      case StatsKey::kKind:
        return static_cast<uint32_t>((p.key.b >> 32) - 1);
      case StatsKey::kLevel:
        return static_cast<uint32_t>(Low(p.key.a));
      case StatsKey::kYear:
        return static_cast<uint32_t>(p.key.a >> 32);
      case StatsKey::kIssuer:
        return static_cast<uint32_t>(Low(p.key.b));
    }
    return 0;
  };
  auto text = [&](StatsKey k, uint32_t v) -> std::string {
    switch (k) {
      case StatsKey::kKind:
        return std::string(UnitKindName(static_cast<UnitKind>(v)));
      case StatsKey::kLevel:
      case StatsKey::kYear:
        return std::to_string(static_cast<int32_t>(v));
      case StatsKey::kIssuer:
        return issuers_[v];
      case StatsKey::kRegion:
        break;
    }
    return "";
  };
  const size_t n_keys = query.group_by.size();
  const std::vector<Part>& parts = scratch.parts;
  std::vector<Ranks>& ranks = scratch.ranks;
  ranks.assign(parts.size(), Ranks{});  // keys past group_by's stay 0 (compared in the sort)
  std::vector<std::vector<std::string>>& names = answer->names;  // per key, its strings by rank
  names.assign(n_keys, {});
  uint64_t space = 1;  // how many rank combinations there are, up to the dense limit
  const uint64_t dense_limit = 4 * uint64_t{parts.size()} + 64;
  std::vector<uint32_t>& values = scratch.values;
  values.resize(parts.size());
  // Every key's value of each part in one pass over the parts (~64 B each), then each key's
  // values replaced by their ranks (region groups are ranks already).
  for (size_t i = 0; i < parts.size(); ++i) {
    for (size_t d = 0; d < n_keys; ++d) ranks[i][d] = value(parts[i], query.group_by[d]);
  }
  for (size_t d = 0; d < n_keys; ++d) {
    const StatsKey k = query.group_by[d];
    if (k == StatsKey::kRegion) {
      names[d] = groups;
    } else {
      for (size_t i = 0; i < parts.size(); ++i) values[i] = ranks[i][d];
      const Ranker rank(
          values, [&](uint32_t v) { return text(k, v); }, &names[d]);
      for (size_t i = 0; i < parts.size(); ++i) ranks[i][d] = rank(values[i]);
    }
    space = std::min(space * std::max<uint64_t>(names[d].size(), 1), dense_limit + 1);
  }
  // Every cell with a learner, in order; then k-suppressed with its complements
  // (stats_suppress.h) into `answer`: the cells under scope.keep, as the question asked them.
  std::vector<Shown>& all = scratch.all;
  all.clear();
  auto emit = [&](const Ranks& r, const Tally& sum) { all.push_back({r, sum}); };
  auto suppress = [&] {
    std::vector<SuppressionCell>& marks = scratch.marks;
    marks.resize(all.size());
    for (size_t i = 0; i < all.size(); ++i) {
      const Sums& t = all[i].tally.sums;
      const int64_t with_records = t.learners - all[i].tally.without;
      marks[i] = SuppressionCell{all[i].ranks, t.learners,
                                 TooFew(t.learners, with_records, query.k), with_records};
    }
    // The answers one step coarser over each key, unless none of them can leave a cell out.
    // Per key d: the parent question over it and its answer, when it is read.
    std::vector<std::pair<ParentOver, const Answer*>> parents;
    // set_lattice: the cells its province's lattice leaves out (stats_aggregates_lattice.cc).
    const bool by_lattice = !primary_only && LatticeMarks(query, names, &marks);
    if (!primary_only && !by_lattice &&
        (std::any_of(marks.begin(), marks.end(),
                     [](const SuppressionCell& m) { return m.hidden; }) ||
         !NothingCoarserHides(query))) {
      for (std::optional<ParentOver>& pq : ParentQueries(query)) {
        parents.emplace_back(pq ? std::move(*pq) : ParentOver{}, nullptr);
        if (!pq) continue;
        const std::string id = AnswerId(parents.back().first.query);
        auto it = coarser->find(id);
        if (it == coarser->end()) {
          Answer parent;
          FinishAnswer(ScopeOf(parents.back().first.query), /*primary_only=*/false, coarser,
                       depth + 1, &parent);
          it = coarser->emplace(id, std::move(parent)).first;  // map nodes stay where they are
        }
        parents.back().second = &it->second;
      }
    }
    for (size_t d = 0; d < parents.size(); ++d) {
      const Answer* parent = parents[d].second;
      if (parent == nullptr) continue;
      const std::vector<size_t>& from = parents[d].first.from;
      const size_t n_parent = from.size();
      // Per parent key e, the ranks of key from[e] here as ranks in the parent's answer (its
      // names are in order too): a region one level up when coarsened; -1 when the parent
      // answer shows no such value.
      std::vector<std::vector<int64_t>> to_parent(n_parent);
      for (size_t e = 0; e < n_parent; ++e) {
        const std::vector<std::string>& theirs = parent->names[e];
        const std::vector<std::string>& ours = names[from[e]];
        to_parent[e].resize(ours.size());
        for (size_t r = 0; r < ours.size(); ++r) {
          const std::string v = ParentValue(query, d, from[e], ours[r]);
          const auto it = std::lower_bound(theirs.begin(), theirs.end(), v);
          to_parent[e][r] = it != theirs.end() && *it == v ? it - theirs.begin() : -1;
        }
      }
      // The parent's shown cells as one number each (mixed radix over its names).
      auto code = [&](auto rank_of) {
        uint64_t c = 0;
        for (size_t e = 0; e < n_parent; ++e) c = c * parent->names[e].size() + rank_of(e);
        return c;
      };
      // Which of them the parent shows: a bit per combination of its names when there are not
      // too many (a lookup per cell), else the shown ones sorted (a binary search per cell).
      uint64_t parent_space = 1;
      for (size_t e = 0; e < n_parent && parent_space <= kMaxParentBits; ++e) {
        parent_space *= std::max<size_t>(parent->names[e].size(), 1);
      }
      std::vector<uint64_t>& shown_parents = scratch.shown_parents;
      shown_parents.clear();
      const bool as_bits = parent_space <= kMaxParentBits;
      if (as_bits) shown_parents.assign(parent_space / 64 + 1, 0);
      for (const Shown& p : parent->cells) {
        const uint64_t c = code([&](size_t e) { return p.ranks[e]; });
        if (as_bits) {
          shown_parents[c >> 6] |= uint64_t{1} << (c & 63);
        } else {
          shown_parents.push_back(c);
        }
      }
      if (!as_bits) std::sort(shown_parents.begin(), shown_parents.end());
      auto parent_shown = [&](uint64_t c) {
        return as_bits ? (shown_parents[c >> 6] >> (c & 63) & 1) != 0
                       : std::binary_search(shown_parents.begin(), shown_parents.end(), c);
      };
      const uint8_t bit = static_cast<uint8_t>(1u << d);
      for (size_t i = 0; i < all.size(); ++i) {
        bool known = true;
        for (size_t e = 0; e < n_parent; ++e) {
          known = known && to_parent[e][all[i].ranks[from[e]]] >= 0;
        }
        if (!known ||
            !parent_shown(code([&](size_t e) { return to_parent[e][all[i].ranks[from[e]]]; }))) {
          marks[i].parent_hidden |= bit;
        }
      }
    }
    uint8_t parent_read = 0;
    for (size_t d = 0; d < parents.size(); ++d) {
      if (parents[d].second != nullptr) parent_read |= static_cast<uint8_t>(1u << d);
    }
    if (!primary_only && !by_lattice) {
      SuppressAnswer(&marks, query, names, parent_read, /*sorted=*/!reuse_);
    }
    // Which regions' cells are the answer: a range of ranks (region names are in order).
    uint32_t from = 0, to = UINT32_MAX;
    if (!scope.keep.empty()) {
      const std::vector<std::string>& codes = names[scope.region_key];
      auto under = [&](const std::string& code) {
        return code.compare(0, scope.keep.size(), scope.keep);
      };
      from = static_cast<uint32_t>(
          std::partition_point(codes.begin(), codes.end(),
                               [&](const std::string& c) { return under(c) < 0; }) -
          codes.begin());
      to = static_cast<uint32_t>(
          std::partition_point(codes.begin(), codes.end(),
                               [&](const std::string& c) { return under(c) <= 0; }) -
          codes.begin());
    }
    auto in_answer = [&](const Ranks& r) {
      return r[scope.region_key] >= from && r[scope.region_key] < to;
    };
    size_t shown = 0;
    for (size_t i = 0; i < all.size(); ++i) shown += !marks[i].hidden && in_answer(all[i].ranks);
    answer->cells.reserve(shown);
    for (size_t i = 0; i < all.size(); ++i) {
      if (!in_answer(all[i].ranks)) continue;
      if (marks[i].hidden) {
        answer->suppressed++;
      } else {
        answer->cells.push_back(all[i]);
      }
    }
    // As asked: without the region key added, or with the region named at the asked level.
    if (scope.region_added) {
      names.erase(names.begin());
      for (Shown& c : answer->cells) {
        std::copy(c.ranks.begin() + 1, c.ranks.end(), c.ranks.begin());
        c.ranks.back() = 0;
      }
    } else if (!scope.region_label.empty()) {
      names[scope.region_key] = {scope.region_label};
      for (Shown& c : answer->cells) c.ranks[scope.region_key] = 0;
    }
  };
  if (space <= dense_limit) {
    // A bit per rank combination (mixed radix, the first key most significant) marks the cells
    // present, and a cell's place in `all` is the number of bits set before its own: ~60 KB of
    // bits for 460k combinations, where an array of tallies was 18 MB to clear and read twice.
    // Every cell has a learner (maps drop cells without one), so a part without is "absent".
    std::vector<uint64_t>& bits = scratch.bits;
    std::vector<uint32_t>& before = scratch.before;  // cells before each word of bits
    std::vector<uint32_t>& at = scratch.values;      // each part's combination
    bits.assign(space / 64 + 1, 0);
    for (size_t i = 0; i < parts.size(); ++i) {
      uint64_t a = 0;
      for (size_t d = 0; d < n_keys; ++d) a = a * names[d].size() + ranks[i][d];
      at[i] = static_cast<uint32_t>(a);
      if (parts[i].tally.sums.learners > 0) bits[a >> 6] |= uint64_t{1} << (a & 63);
    }
    before.resize(bits.size());
    uint32_t present = 0;
    for (size_t w = 0; w < bits.size(); ++w) {
      before[w] = present;
      present += static_cast<uint32_t>(std::popcount(bits[w]));
    }
    all.resize(present);
    size_t cell_idx = 0;
    for (size_t w = 0; w < bits.size(); ++w) {
      for (uint64_t word = bits[w]; word != 0; word &= word - 1) {
        uint64_t a = w * 64 + static_cast<uint64_t>(std::countr_zero(word));
        Ranks r{};
        for (size_t d = n_keys; d-- > 0;) {
          r[d] = static_cast<uint32_t>(a % names[d].size());
          a /= names[d].size();
        }
        all[cell_idx++] = Shown{r, Tally{}};
      }
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].tally.sums.learners == 0) continue;
      const uint32_t a = at[i];
      const uint64_t below = bits[a >> 6] & ((uint64_t{1} << (a & 63)) - 1);
      all[before[a >> 6] + static_cast<uint32_t>(std::popcount(below))].tally += parts[i].tally;
    }
    return suppress();
  }
  std::vector<uint32_t>& order = scratch.order;
  order.resize(parts.size());
  // By the ranks as one number in mixed radix, least significant digit first, when it fits 64
  // bits (it does for any real answer); else by comparing them. Equal numbers are equal ranks,
  // so either way the parts of a cell come together and the cells in order.
  bool fits = true;
  uint64_t full_space = 1;
  for (size_t d = 0; d < n_keys && fits; ++d) {
    const uint64_t r = std::max<uint64_t>(names[d].size(), 1);
    fits = full_space <= UINT64_MAX / r;
    full_space *= r;
  }
  if (fits && reuse_) {  // (not reuse_: by comparing them, as before; test-only)
    std::vector<std::pair<uint64_t, uint32_t>>& coded = scratch.coded;
    coded.resize(parts.size());
    for (size_t i = 0; i < parts.size(); ++i) {
      uint64_t at = 0;
      for (size_t d = 0; d < n_keys; ++d) at = at * names[d].size() + ranks[i][d];
      coded[i] = {at, static_cast<uint32_t>(i)};
    }
    RadixSort(&coded, &scratch.coded_tmp, full_space);
    for (size_t i = 0; i < order.size(); ++i) order[i] = coded[i].second;
  } else {
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
    std::sort(order.begin(), order.end(),
              [&](uint32_t x, uint32_t y) { return ranks[x] < ranks[y]; });
  }
  for (size_t i = 0; i < order.size();) {
    const Ranks& r = ranks[order[i]];
    Tally sum;
    size_t j = i;
    for (; j < order.size() && ranks[order[j]] == r; ++j) sum += parts[order[j]].tally;
    emit(r, sum);
    i = j;
  }
  suppress();
}

}  // namespace lcb
