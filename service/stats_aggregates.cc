#include "service/stats_aggregates.h"

#include <algorithm>

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

}  // namespace

StatsAggregates::CellKey StatsAggregates::Project(CellKey key, unsigned subset) {
  CellKey out;
  if (subset & kLevelBit) out.a |= Low(key.a);
  if (subset & kYearBit) out.a |= High(key.a);
  if (subset & kIssuerBit) out.b |= Low(key.b);
  if (subset & kKindBit) out.b |= High(key.b);
  return out;
}

void StatsAggregates::Bump(CellMap& map, const CellKey& key, const Tally& delta) {
  Tally& t = map[key];
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
  for (const StatsRecordFacts& r : facts.records) {
    CellKey key;
    key.a = static_cast<uint32_t>(r.level) | (uint64_t{static_cast<uint32_t>(r.year)} << 32);
    key.b = IssuerId(r.issuer) | (uint64_t{static_cast<uint32_t>(r.kind) + 1u} << 32);
    state.cells.push_back(FineCell{key, 1, r.credits});
  }
  std::vector<FineCell> distinct;
  Projections(state, 15, &distinct);
  state.cells = std::move(distinct);
  return state;
}

void StatsAggregates::Projections(const LearnerState& state, unsigned subset,
                                  std::vector<FineCell>* out) {
  out->clear();
  for (const FineCell& c : state.cells)
    out->push_back({Project(c.key, subset), c.records, c.credits});
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
  Tally all{sign, 0, 0, sign * state.conversions};
  for (const FineCell& c : state.cells) {
    all.records += sign * c.records;
    all.credits += sign * c.credits;
  }
  for (Region* region : state.regions) Bump(region->by_subset[0], CellKey{}, all);
  std::vector<FineCell> projected;
  for (unsigned subset = 1; subset < 8; ++subset) {
    Projections(state, subset, &projected);
    for (const FineCell& p : projected) {
      const Tally delta{sign, sign * p.records, sign * p.credits, sign * state.conversions};
      for (Region* region : state.regions) Bump(region->by_subset[subset], p.key, delta);
    }
  }
  for (size_t slot = 0; slot < kIssuerSubsets.size(); ++slot) {
    Projections(state, kIssuerSubsets[slot], &projected);
    for (const FineCell& p : projected) {
      const Tally delta{sign, sign * p.records, sign * p.credits, sign * state.conversions};
      for (Level level : {kEveryone, kProvince}) {
        Bump(state.regions[level]->by_issuer[slot], p.key, delta);
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
  LearnerState next = StateOf(facts);
  auto [it, added] = learners_.try_emplace(learner);
  if (!added) {
    Apply(it->second, -1);
    Leave(it->second);
  }
  Apply(next, 1);
  it->second = std::move(next);
  Join(&it->second);
}

void StatsAggregates::Remove(const std::string& learner) {
  auto it = learners_.find(learner);
  if (it == learners_.end()) return;
  Apply(it->second, -1);
  Leave(it->second);
  learners_.erase(it);
}

void StatsAggregates::Clear() {
  for (auto& level : regions_) level.clear();
  learners_.clear();
  issuers_.clear();
  issuer_ids_.clear();
}

void StatsAggregates::AddRegion(const Region& region, Level level, unsigned subset, uint32_t group,
                                std::vector<Part>* parts) {
  const int slot = IssuerSlot(subset);
  const CellMap* kept = subset < region.by_subset.size()  ? &region.by_subset[subset]
                        : slot >= 0 && level <= kProvince ? &region.by_issuer[slot]
                                                          : nullptr;
  if (kept != nullptr) {
    for (const auto& [key, t] : *kept) parts->push_back({group, key, t});
    return;
  }
  // With issuer and no kept map: from the learners' own cells (see the header), summed here
  // first (a county's learners share most of their cells).
  CellMap sums;
  std::vector<FineCell> projected;
  for (const LearnerState* l : region.learners) {
    Projections(*l, subset, &projected);
    for (const FineCell& p : projected)
      sums[p.key] += Tally{1, p.records, p.credits, l->conversions};
  }
  for (const auto& [key, t] : sums) parts->push_back({group, key, t});
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
  if ((subset & kIssuerBit) && (IssuerSlot(subset) < 0 || level > kProvince)) return kCounty;
  return level;
}

StatsResult StatsAggregates::Compute(const StatsQuery& query) const {
  const unsigned subset = SubsetOf(query.group_by);
  const bool by_region = Has(query.group_by, StatsKey::kRegion);
  const bool uses_region = by_region || !query.region_prefix.empty();
  const Level level = LevelFor(query, subset);
  const auto& regions = regions_[level];
  std::vector<std::string> groups = {""};  // in order: regions come in order
  std::vector<Part> parts;
  auto it =
      query.region_prefix.empty() ? regions.begin() : regions.lower_bound(query.region_prefix);
  for (; it != regions.end() && it->first.starts_with(query.region_prefix); ++it) {
    const Region& region = it->second;
    if (uses_region && region.code.empty()) continue;
    if (by_region) {
      std::string group = RegionAt(region.code, query.region_level);
      if (groups.back() != group) groups.push_back(std::move(group));
    }
    AddRegion(region, level, subset, static_cast<uint32_t>(groups.size() - 1), &parts);
  }
  return Finish(query, groups, std::move(parts));
}

StatsResult StatsAggregates::Finish(const StatsQuery& query, const std::vector<std::string>& groups,
                                    std::vector<Part> parts) const {
  // Each key of a part becomes its rank among the values present, ranked by the string the
  // cell will carry; parts are then sorted by their ranks (integers, no string compared per
  // comparison). Equal ranks are equal key strings, so equal cells end adjacent and merge.
  // Region groups are already ranked: regions come in code order.
  using Ranks = std::array<uint32_t, 5>;
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
  std::vector<std::pair<Ranks, uint32_t>> order(parts.size());  // ranks, index into parts
  for (size_t i = 0; i < parts.size(); ++i) order[i].second = static_cast<uint32_t>(i);
  std::vector<std::vector<std::string>> names(n_keys);  // per key, its strings by rank
  for (size_t d = 0; d < n_keys; ++d) {
    const StatsKey k = query.group_by[d];
    if (k == StatsKey::kRegion) {
      names[d] = groups;
      for (auto& [ranks, i] : order) ranks[d] = parts[i].group;
      continue;
    }
    boost::unordered_flat_map<uint32_t, uint32_t> rank;
    for (const Part& p : parts) rank.emplace(value(p, k), 0);
    std::vector<std::pair<std::string, uint32_t>> by_text;
    by_text.reserve(rank.size());
    for (const auto& [v, r] : rank) by_text.emplace_back(text(k, v), v);
    std::sort(by_text.begin(), by_text.end());
    for (uint32_t r = 0; r < by_text.size(); ++r) {
      rank[by_text[r].second] = r;
      names[d].push_back(std::move(by_text[r].first));
    }
    for (auto& [ranks, i] : order) ranks[d] = rank[value(parts[i], k)];
  }
  std::sort(order.begin(), order.end());
  StatsResult out;
  out.k = query.k;
  for (size_t i = 0; i < order.size();) {
    const Ranks& ranks = order[i].first;
    Tally sum;
    size_t j = i;
    for (; j < order.size() && order[j].first == ranks; ++j) sum += parts[order[j].second].tally;
    if (sum.learners < query.k) {
      out.suppressed++;
    } else {
      std::vector<std::string> keys(n_keys);
      for (size_t d = 0; d < n_keys; ++d) keys[d] = names[d][ranks[d]];
      out.cells.push_back(
          StatsCell{std::move(keys), sum.learners, sum.records, sum.credits, sum.conversions});
    }
    i = j;
  }
  return out;
}

}  // namespace lcb
