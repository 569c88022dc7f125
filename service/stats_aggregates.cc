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
  t.learners += delta.learners;
  t.records += delta.records;
  t.credits += delta.credits;
  t.conversions += delta.conversions;
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

std::vector<std::string> StatsAggregates::KeyStrings(const StatsQuery& query,
                                                     const std::string& region,
                                                     const CellKey& key) const {
  std::vector<std::string> keys;
  keys.reserve(query.group_by.size());
  for (StatsKey k : query.group_by) {
    switch (k) {
      case StatsKey::kRegion:
        keys.push_back(region);
        break;
      case StatsKey::kKind:
        keys.emplace_back(UnitKindName(static_cast<UnitKind>((key.b >> 32) - 1)));
        break;
      case StatsKey::kLevel:
        keys.push_back(std::to_string(static_cast<int32_t>(Low(key.a))));
        break;
      case StatsKey::kYear:
        keys.push_back(std::to_string(static_cast<int32_t>(key.a >> 32)));
        break;
      case StatsKey::kIssuer:
        keys.push_back(issuers_[Low(key.b)]);
        break;
    }
  }
  return keys;
}

void StatsAggregates::AddRegion(const Region& region, unsigned subset, CellMap& group) {
  auto add = [&group](const CellKey& key, const Tally& t) {
    Tally& sum = group[key];
    sum.learners += t.learners;
    sum.records += t.records;
    sum.credits += t.credits;
    sum.conversions += t.conversions;
  };
  if (subset < region.by_subset.size()) {
    for (const auto& [key, t] : region.by_subset[subset]) add(key, t);
    return;
  }
  // With issuer: from the learners' own cells (see the header).
  std::vector<FineCell> projected;
  for (const LearnerState* l : region.learners) {
    Projections(*l, subset, &projected);
    for (const FineCell& p : projected) add(p.key, Tally{1, p.records, p.credits, l->conversions});
  }
}

StatsAggregates::Level StatsAggregates::LevelFor(const StatsQuery& query, unsigned subset) {
  if (subset & kIssuerBit) return kCounty;  // only counties list their learners
  const bool by_region = Has(query.group_by, StatsKey::kRegion);
  if (!by_region && query.region_prefix.empty()) return kEveryone;
  const size_t digits =
      std::max(query.region_prefix.size(),
               by_region ? static_cast<size_t>(RegionDigits(query.region_level)) : size_t{0});
  return digits <= 2 ? kProvince : digits <= 4 ? kCity : kCounty;
}

StatsResult StatsAggregates::Compute(const StatsQuery& query) const {
  const unsigned subset = SubsetOf(query.group_by);
  const bool by_region = Has(query.group_by, StatsKey::kRegion);
  const bool uses_region = by_region || !query.region_prefix.empty();
  const auto& regions = regions_[LevelFor(query, subset)];
  Groups groups;
  auto it =
      query.region_prefix.empty() ? regions.begin() : regions.lower_bound(query.region_prefix);
  for (; it != regions.end() && it->first.starts_with(query.region_prefix); ++it) {
    const Region& region = it->second;
    if (uses_region && region.code.empty()) continue;
    AddRegion(region, subset, groups[by_region ? RegionAt(region.code, query.region_level) : ""]);
  }
  return Finish(query, groups);
}

StatsResult StatsAggregates::Finish(const StatsQuery& query, const Groups& groups) const {
  StatsResult out;
  out.k = query.k;
  for (const auto& [region, group] : groups) {
    for (const auto& [key, t] : group) {
      if (t.learners < query.k) {
        out.suppressed++;
        continue;
      }
      out.cells.push_back(StatsCell{KeyStrings(query, region, key), t.learners, t.records,
                                    t.credits, t.conversions});
    }
  }
  std::sort(out.cells.begin(), out.cells.end(),
            [](const StatsCell& x, const StatsCell& y) { return x.keys < y.keys; });
  return out;
}

}  // namespace lcb
