// StatsAggregates answering from one suppression of a province's every answer together
// (set_lattice, stats_lattice.h): an investigation, kept apart from stats_aggregates.cc.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "service/stats_aggregates.h"

namespace lcb {
namespace {

constexpr uint8_t kAllSubsets = 16, kNoIssuerSubsets = 8;

// A lattice cell by name: "level|subset|region|" then the value of each grouped key of
// kind, level, year, issuer, "|" after each; region "" at level 0.
std::string LatticeCellName(uint8_t level, uint8_t subset, const std::string& region,
                            const std::array<std::string, 4>& values) {
  std::string s = std::to_string(level) + "|" + std::to_string(subset) + "|" + region + "|";
  for (size_t b = 0; b < 4; ++b) {
    if (subset >> b & 1) s += values[b] + "|";
  }
  return s;
}

}  // namespace

bool StatsAggregates::LatticeFromEnv() {
  const char* env = std::getenv("LCB_STATS_LATTICE");
  return env != nullptr && std::strcmp(env, "1") == 0;
}

std::vector<LatticeCell> StatsAggregates::LatticeOf(const std::string& province, bool with_issuer,
                                                    std::vector<uint32_t>* city_of_county_out,
                                                    std::vector<std::string>* names) const {
  const uint8_t subsets = with_issuer ? kAllSubsets : kNoIssuerSubsets;
  // The counties' cells from their learners' (as AddRegion makes them), every subset.
  std::vector<const Region*> counties;
  std::vector<std::string> cities;
  std::vector<uint32_t> city_of_county;
  const auto& all = regions_[kCounty];
  for (auto it = all.lower_bound(province); it != all.end() && it->first.starts_with(province);
       ++it) {
    if (it->first.empty()) continue;
    const std::string city = it->first.substr(0, 4);
    if (cities.empty() || cities.back() != city) cities.push_back(city);
    counties.push_back(&it->second);
    city_of_county.push_back(static_cast<uint32_t>(cities.size() - 1));
  }
  struct Making {
    int64_t learners = 0, with = 0;
    const LearnerState* last = nullptr;
  };
  auto key_of = [](uint8_t level, uint8_t subset, uint32_t region, const CellKey& key) {
    LatticeCell cell;
    cell.level = level;
    cell.subset = subset;
    cell.key[0] = region;
    cell.key[1] = static_cast<uint32_t>(key.b >> 32);             // kind + 1
    cell.key[2] = static_cast<uint32_t>(key.a & 0xFFFF'FFFFull);  // level
    cell.key[3] = static_cast<uint32_t>(key.a >> 32);             // year
    cell.key[4] = static_cast<uint32_t>(key.b & 0xFFFF'FFFFull);  // issuer id
    return cell;
  };
  std::vector<LatticeCell> cells;
  boost::unordered_flat_map<CellKey, Making, CellKeyHash> making;
  // Sums up the levels: (level, subset, region, key) -> learners, with records.
  using Up = std::array<uint32_t, 7>;
  struct UpHash {
    size_t operator()(const Up& u) const {
      uint64_t h = 0x632BE59BD9B4E019ull;
      for (uint32_t x : u) h = (h ^ x) * 0x9E3779B97F4A7C15ull;
      return static_cast<size_t>(h ^ (h >> 29));
    }
  };
  boost::unordered_flat_map<Up, std::pair<int64_t, int64_t>, UpHash> up;
  auto add_up = [&](const LatticeCell& c, int64_t learners, int64_t with) {
    Up u{c.level, c.subset, c.key[0], c.key[1], c.key[2], c.key[3], c.key[4]};
    auto& t = up[u];
    t.first += learners;
    t.second += with;
  };
  for (uint32_t county = 0; county < counties.size(); ++county) {
    const Region& region = *counties[county];
    for (uint8_t subset = 0; subset < subsets; ++subset) {
      making.clear();
      for (const LearnerState* l : region.learners) {
        if (subset == 0) {
          Making& m = making[CellKey{}];
          m.learners += 1;
          m.with += l->cells.empty() ? 0 : 1;
          continue;
        }
        for (const FineCell& fc : l->cells) {
          Making& m = making[Project(fc.key, subset)];
          if (m.last != l) {
            m.last = l;
            m.learners += 1;
            m.with += 1;
          }
        }
      }
      for (const auto& [key, m] : making) {
        if (m.learners == 0) continue;
        LatticeCell cell = key_of(2, subset, county, key);
        cell.learners = m.learners;
        cell.with_records = subset == 0 ? m.with : -1;
        cells.push_back(cell);
        LatticeCell city = cell;
        city.level = 1;
        city.key[0] = city_of_county[county];
        add_up(city, m.learners, m.with);
        LatticeCell whole = cell;
        whole.level = 0;
        whole.key[0] = 0;
        add_up(whole, m.learners, m.with);
      }
    }
  }
  for (const auto& [u, t] : up) {
    LatticeCell cell;
    cell.level = static_cast<uint8_t>(u[0]);
    cell.subset = static_cast<uint8_t>(u[1]);
    std::copy(u.begin() + 2, u.end(), cell.key.begin());
    cell.learners = t.first;
    cell.with_records = cell.subset == 0 ? t.second : -1;
    cells.push_back(cell);
  }
  if (names != nullptr) {
    names->clear();
    names->reserve(cells.size());
    for (const LatticeCell& c : cells) {
      const std::string region = c.level == 0   ? ""
                                 : c.level == 1 ? cities[c.key[0]] + "00"
                                                : counties[c.key[0]]->code;
      std::array<std::string, 4> values;
      if (c.subset & 1) values[0] = std::string(UnitKindName(static_cast<UnitKind>(c.key[1] - 1)));
      if (c.subset & 2) values[1] = std::to_string(static_cast<int32_t>(c.key[2]));
      if (c.subset & 4) values[2] = std::to_string(static_cast<int32_t>(c.key[3]));
      if (c.subset & 8) values[3] = issuers_[c.key[4]];
      names->push_back(LatticeCellName(c.level, c.subset, region, values));
    }
  }
  // The city ids as the lattice's parents of the county ids.
  *city_of_county_out = std::move(city_of_county);
  return cells;
}

LatticeStats StatsAggregates::SuppressProvince(const std::string& province, int k,
                                               bool with_issuer) const {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::vector<uint32_t> city_of_county;
  std::vector<LatticeCell> cells = LatticeOf(province, with_issuer, &city_of_county, nullptr);
  for (LatticeCell& c : cells) c.hidden = TooFew(c.learners, c.with_records, k);
  const auto made = Clock::now();
  LatticeStats stats = SuppressLattice(&cells, city_of_county, k);
  stats.make_seconds = std::chrono::duration<double>(made - start).count();
  stats.suppress_seconds = std::chrono::duration<double>(Clock::now() - made).count();
  return stats;
}

bool StatsAggregates::LatticeMarks(const StatsQuery& q,
                                   const std::vector<std::vector<std::string>>& names,
                                   std::vector<SuppressionCell>* marks) const {
  if (!lattice_ || q.region_prefix.size() < 2) return false;
  const std::string province = q.region_prefix.substr(0, 2);
  KeptLattice& kept = lattices_[province];
  if (kept.generation != generation_ || kept.k != q.k) {
    std::vector<std::string> cell_names;
    std::vector<uint32_t> city_of_county;
    std::vector<LatticeCell> cells =
        LatticeOf(province, /*with_issuer=*/true, &city_of_county, &cell_names);
    for (LatticeCell& c : cells) c.hidden = TooFew(c.learners, c.with_records, q.k);
    SuppressLattice(&cells, city_of_county, q.k);
    kept = KeptLattice{generation_, q.k, {}};
    for (size_t i = 0; i < cells.size(); ++i) {
      if (cells[i].hidden) kept.hidden.insert(std::move(cell_names[i]));
    }
  }
  // The answer's node: region at no level (not grouped, or by province), city or county.
  uint8_t level = 0, subset = 0;
  size_t region_key = SIZE_MAX;
  std::array<size_t, 4> key_of_bit{};
  for (size_t d = 0; d < q.group_by.size(); ++d) {
    if (q.group_by[d] == StatsKey::kRegion) {
      level = q.region_level == RegionLevel::kCounty ? 2
              : q.region_level == RegionLevel::kCity ? 1
                                                     : 0;
      if (level != 0) region_key = d;
      continue;
    }
    // Bits 0-3: kind, level, year, issuer (StatsKey's order after region).
    const int bit = static_cast<int>(q.group_by[d]) - static_cast<int>(StatsKey::kKind);
    subset |= static_cast<uint8_t>(1u << bit);
    key_of_bit[bit] = d;
  }
  for (SuppressionCell& m : *marks) {
    std::array<std::string, 4> values;
    for (size_t b = 0; b < 4; ++b) {
      if (subset >> b & 1) values[b] = names[key_of_bit[b]][m.key[key_of_bit[b]]];
    }
    const std::string region = region_key == SIZE_MAX ? "" : names[region_key][m.key[region_key]];
    m.hidden = kept.hidden.contains(LatticeCellName(level, subset, region, values));
  }
  return true;
}

}  // namespace lcb
