#include "service/stats_suppress.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>

namespace lcb {

void RadixSort(std::vector<std::pair<uint64_t, uint32_t>>* v,
               std::vector<std::pair<uint64_t, uint32_t>>* tmp, uint64_t space) {
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  tmp->resize(v->size());
  std::vector<uint32_t> count(kBuckets);
  for (int shift = 0; shift < 64 && (space - 1) >> shift != 0; shift += kBits) {
    std::fill(count.begin(), count.end(), 0);
    for (const auto& e : *v) ++count[(e.first >> shift) & (kBuckets - 1)];
    uint32_t at = 0;
    for (uint32_t& c : count) {
      const uint32_t n = c;
      c = at;
      at += n;
    }
    for (const auto& e : *v) (*tmp)[count[(e.first >> shift) & (kBuckets - 1)]++] = e;
    v->swap(*tmp);
  }
}

size_t SuppressComplements(std::vector<SuppressionCell>* cells, size_t n_keys,
                           const std::vector<std::vector<uint32_t>>& parents,
                           const std::vector<bool>& disjoint, int64_t k,
                           const std::vector<size_t>& key_order, uint8_t parent_read, bool sorted) {
  std::vector<SuppressionCell>& c = *cells;
  if (std::none_of(c.begin(), c.end(),
                   [](const SuppressionCell& x) { return x.hidden || x.parent_hidden; })) {
    return 0;
  }
  // The keys in the order they are read (groups by key, groups in order, ties between cells).
  std::vector<size_t> keys = key_order;
  if (keys.empty()) {
    keys.resize(n_keys);
    std::iota(keys.begin(), keys.end(), size_t{0});
  }
  auto with_records = [](const SuppressionCell& x) {
    return x.with_records < 0 ? x.learners : x.with_records;
  };
  // Whether cell x comes before cell y with their keys read in that order.
  auto before = [&](uint32_t x, uint32_t y) {
    for (size_t e : keys) {
      if (c[x].key[e] != c[y].key[e]) return c[x].key[e] < c[y].key[e];
    }
    return x < y;
  };
  using Key = std::array<uint32_t, 5>;
  const uint32_t n = static_cast<uint32_t>(c.size());
  // How many values each key takes (ids below it), and each region's parent count.
  std::array<uint64_t, 5> radix{}, parent_radix{};
  for (size_t d = 0; d < n_keys; ++d) {
    for (uint32_t p : parents[d]) parent_radix[d] = std::max<uint64_t>(parent_radix[d], p + 1);
  }
  for (const SuppressionCell& x : c) {
    for (size_t d = 0; d < n_keys; ++d) radix[d] = std::max<uint64_t>(radix[d], x.key[d] + 1);
  }
  // Per key d: the cells ordered by their group (the key replaced by its parent), in input order
  // within a group, and where each group starts. Groups never change, only which cells are
  // hidden, so each order is made once: by the group as one number in mixed radix when it fits
  // 64 bits (it does for any real answer), else by comparing the keys.
  std::vector<std::vector<uint32_t>> orders(n_keys), starts(n_keys);
  std::vector<std::pair<uint64_t, uint32_t>> coded(n), scratch;
  std::vector<Key> group;
  for (size_t d = 0; d < n_keys; ++d) {
    bool fits = true;
    uint64_t space = 1;
    for (size_t e : keys) {
      if (!fits) break;
      const uint64_t r = std::max<uint64_t>(e == d ? parent_radix[e] : radix[e], 1);
      fits = space <= UINT64_MAX / r;
      space *= r;
    }
    std::vector<uint32_t>& order = orders[d];
    order.resize(n);
    auto same = [&](uint32_t x, uint32_t y) -> bool {
      for (size_t e = 0; e < n_keys; ++e) {
        const uint32_t a = e == d ? parents[d][c[x].key[e]] : c[x].key[e];
        const uint32_t b = e == d ? parents[d][c[y].key[e]] : c[y].key[e];
        if (a != b) return false;
      }
      return true;
    };
    if (fits) {
      for (uint32_t i = 0; i < n; ++i) {
        uint64_t code = 0;
        for (size_t e : keys) {
          const uint64_t r = std::max<uint64_t>(e == d ? parent_radix[e] : radix[e], 1);
          code = code * r + (e == d ? parents[d][c[i].key[e]] : c[i].key[e]);
        }
        coded[i] = {code, i};
      }
      // Often in order already (the last key's parents follow its ids); else sorted.
      if (!std::is_sorted(coded.begin(), coded.end())) RadixSort(&coded, &scratch, space);
      for (uint32_t i = 0; i < n; ++i) order[i] = coded[i].second;
    } else {
      group.resize(n);
      for (uint32_t i = 0; i < n; ++i) {
        group[i] = c[i].key;
        group[i][d] = parents[d][group[i][d]];
      }
      std::iota(order.begin(), order.end(), 0u);
      std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
        for (size_t e : keys) {
          if (group[x][e] != group[y][e]) return group[x][e] < group[y][e];
        }
        return false;
      });
    }
    // A group starts where the code changes (equal codes, equal groups), else where the keys do.
    for (uint32_t i = 0; i < n; ++i) {
      if (i == 0 || (fits ? coded[i].first != coded[i - 1].first : !same(order[i], order[i - 1])))
        starts[d].push_back(i);
    }
    starts[d].push_back(n);
  }
  // Each cell's group per key, and which groups a cell left out since they were last read
  // touches: a group read with nothing left out since stays as it was left (cells are only ever
  // left out, never shown again), so only those are read again. The result is the same as
  // reading every group in every pass; the passes cost what changed, not the whole answer.
  std::vector<std::vector<uint32_t>> group_of(n_keys, std::vector<uint32_t>(n));
  std::vector<std::vector<char>> dirty(n_keys);
  for (size_t d = 0; d < n_keys; ++d) {
    for (size_t g = 0; g + 1 < starts[d].size(); ++g) {
      for (uint32_t x = starts[d][g]; x < starts[d][g + 1]; ++x) {
        group_of[d][orders[d][x]] = static_cast<uint32_t>(g);
      }
    }
    dirty[d].assign(starts[d].size(), 1);
  }
  // Kept beside the cells, a byte each: which cells are left out, and per key which groups hold
  // a cell whose parent over the key is left out one level up. A group with neither has nothing
  // to leave out, and is passed over having read only these, not every cell's figures.
  std::vector<char> out(n);
  for (uint32_t i = 0; i < n; ++i) out[i] = c[i].hidden;
  // The figures the passes read, beside the cells and a third of their size (a group's cells lie
  // anywhere in `c`: its reads are random, and more of these stay in cache). A count of learners
  // past 2^32 - 1 reads as that, which is past k too.
  struct Figures {
    uint32_t learners, with_records;
    uint8_t parent_hidden;
  };
  std::vector<Figures> fig(n);
  for (uint32_t i = 0; i < n; ++i) {
    auto narrow = [](int64_t v) {
      return static_cast<uint32_t>(std::min<int64_t>(v, int64_t{UINT32_MAX}));
    };
    fig[i] = Figures{narrow(c[i].learners), narrow(with_records(c[i])), c[i].parent_hidden};
  }
  std::vector<std::vector<char>> must_of(n_keys);
  for (size_t d = 0; d < n_keys; ++d) {
    must_of[d].assign(starts[d].size(), 0);
    for (uint32_t i = 0; i < n; ++i) {
      if (c[i].parent_hidden >> d & 1) must_of[d][group_of[d][i]] = 1;
    }
  }
  // A cell alone in its group over a key whose parent answer shows that group's parent is
  // known: it is that parent, by another name. Leaving it out protects nothing.
  std::vector<char> known(n, 0);
  for (size_t d = 0; d < n_keys; ++d) {
    if (!(parent_read >> d & 1)) continue;
    for (size_t g = 0; g + 1 < starts[d].size(); ++g) {
      if (starts[d][g + 1] - starts[d][g] != 1) continue;
      const uint32_t i = orders[d][starts[d][g]];
      if (!(c[i].parent_hidden >> d & 1)) known[i] = 1;
    }
  }
  size_t more = 0;
  std::vector<uint32_t> shown, shown_known;
  bool changed = true;
  while (changed) {
    changed = false;
    for (size_t d : keys) {
      const std::vector<uint32_t>& order = orders[d];
      const bool sum = d < disjoint.size() && disjoint[d];
      // The distinct learners a group's left-out cells hold at least.
      auto add = [&](int64_t hidden, int64_t learners) {
        return sum ? hidden + learners : std::max(hidden, learners);
      };
      auto safe = [&](int64_t hidden) { return hidden == 0 || hidden >= k; };
      for (size_t g = 0; g + 1 < starts[d].size(); ++g) {
        if (!dirty[d][g]) continue;
        dirty[d][g] = 0;
        const uint32_t begin = starts[d][g], end = starts[d][g + 1];
        // Nothing left out and no parent left out: nothing to leave out (the rule holds).
        if (!must_of[d][g]) {
          bool any = false;
          for (uint32_t x = begin; x < end && !any; ++x) any = out[order[x]] != 0;
          if (!any) continue;
        }
        // What the group leaves out, counting the known cells (`all`) or not (`unknown`).
        struct Left {
          int64_t hidden = 0, hidden_with = 0;   // learners; those with records
          int cells_hidden = 0, cells_with = 0;  // left-out cells; those with records
        } all, unknown;
        bool must = false;  // the group's parent is left out one level up: leave one out too
        shown.clear();
        shown_known.clear();
        auto leave_out = [&](Left& l, const Figures& cell) {
          l.hidden = add(l.hidden, cell.learners);
          l.hidden_with = add(l.hidden_with, cell.with_records);
          ++l.cells_hidden;
          l.cells_with += cell.with_records > 0;
        };
        for (uint32_t x = begin; x < end; ++x) {
          const uint32_t i = order[x];
          const Figures& cell = fig[i];
          must = must || (cell.parent_hidden >> d & 1);
          if (out[i]) {
            leave_out(all, cell);
            if (!known[i]) leave_out(unknown, cell);
          } else {
            (known[i] ? shown_known : shown).push_back(i);
          }
        }
        // Never one left-out cell alone in a group (of learners, or of records): the group's
        // total less its shown cells would give it back exactly, and with it the cells it was
        // left out beside in its other groups (a chain of one-key differences).
        auto learners_ok = [&](const Left& l) {
          return safe(l.hidden) && l.cells_hidden != 1 && !(must && l.cells_hidden == 0);
        };
        auto ok = [&](const Left& l) {
          return learners_ok(l) && safe(l.hidden_with) && l.cells_with != 1;
        };
        // The smallest shown cells first; equal ones in the order of their keys. Taken one at a
        // time from a heap (most groups leave out one or two more cells, not all of them
        // sorted): the same cells in the same order as sorting them all.
        auto larger = [&](uint32_t x, uint32_t y) {
          return fig[x].learners != fig[y].learners ? fig[x].learners > fig[y].learners
                                                    : before(y, x);
        };
        auto hide = [&](uint32_t i) {
          c[i].hidden = true;
          out[i] = 1;
          for (size_t e = 0; e < n_keys; ++e) {
            if (e != d) dirty[e][group_of[e][i]] = 1;
          }
          leave_out(all, fig[i]);
          if (!known[i]) leave_out(unknown, fig[i]);
          ++more;
          changed = true;
        };
        // The rule holds for the cells a subtraction does not know already; cells that are
        // known elsewhere are left out for it only when no other cell is left to leave out.
        if (ok(unknown)) continue;
        if (sorted) {  // as before (test-only): every shown cell sorted, smallest first
          auto smallest_first = [&](std::vector<uint32_t>* v) {
            std::sort(v->begin(), v->end(), [&](uint32_t x, uint32_t y) { return larger(y, x); });
          };
          smallest_first(&shown);
          for (size_t x = 0; x < shown.size() && !ok(unknown); ++x) {
            if (learners_ok(unknown) && fig[shown[x]].with_records == 0) continue;
            hide(shown[x]);
          }
          if (ok(unknown) || ok(all)) continue;
          smallest_first(&shown_known);
          for (size_t x = 0; x < shown_known.size() && !ok(all); ++x) {
            if (learners_ok(all) && fig[shown_known[x]].with_records == 0) continue;
            hide(shown_known[x]);
          }
          continue;
        }
        std::make_heap(shown.begin(), shown.end(), larger);
        for (auto end = shown.end(); end != shown.begin() && !ok(unknown); --end) {
          std::pop_heap(shown.begin(), end, larger);  // the smallest left, to end - 1
          // Once the learners are safe, only a cell with records makes theirs so.
          if (learners_ok(unknown) && fig[*(end - 1)].with_records == 0) continue;
          hide(*(end - 1));
        }
        if (ok(unknown) || ok(all)) continue;
        std::make_heap(shown_known.begin(), shown_known.end(), larger);
        for (auto end = shown_known.end(); end != shown_known.begin() && !ok(all); --end) {
          std::pop_heap(shown_known.begin(), end, larger);
          if (learners_ok(all) && fig[*(end - 1)].with_records == 0) continue;
          hide(*(end - 1));
        }
      }
    }
  }
  return more;
}

size_t SuppressAnswer(std::vector<SuppressionCell>* cells, const StatsQuery& query,
                      const std::vector<std::vector<std::string>>& names, uint8_t parent_read,
                      bool sorted) {
  if (std::none_of(cells->begin(), cells->end(),
                   [](const SuppressionCell& x) { return x.hidden || x.parent_hidden; })) {
    return 0;
  }
  const size_t n_keys = query.group_by.size();
  std::vector<std::vector<uint32_t>> parents(n_keys);
  std::vector<bool> disjoint(n_keys);
  for (size_t d = 0; d < n_keys; ++d) {
    disjoint[d] = query.group_by[d] == StatsKey::kRegion;
    parents[d] = disjoint[d] ? RegionParents(names[d], query.region_level)
                             : std::vector<uint32_t>(names[d].size(), 0);
  }
  // Read in one order whatever the order of group_by (region, kind, level, year, issuer), so
  // that group_by=year,region and region,year leave out the same cells.
  std::vector<size_t> key_order(n_keys);
  std::iota(key_order.begin(), key_order.end(), size_t{0});
  std::stable_sort(key_order.begin(), key_order.end(),
                   [&](size_t x, size_t y) { return query.group_by[x] < query.group_by[y]; });
  return SuppressComplements(cells, n_keys, parents, disjoint, query.k, key_order, parent_read,
                             sorted);
}

SuppressionScope ScopeOf(const StatsQuery& query) {
  SuppressionScope scope;
  scope.query = query;
  const std::string& p = query.region_prefix;
  const auto asked = std::find(query.group_by.begin(), query.group_by.end(), StatsKey::kRegion);
  const bool by_region = asked != query.group_by.end();
  if (by_region) scope.region_key = static_cast<size_t>(asked - query.group_by.begin());
  if (p.size() <= 2) return scope;  // everywhere, or a province: its own answer
  const size_t level_digits = by_region ? RegionDigits(query.region_level) : 0;
  const size_t digits = std::max(p.size(), level_digits);  // the regions the cells are made of
  const size_t cut = std::max<size_t>(2, std::min(p.size(), digits - 2));
  if (cut == p.size()) return scope;  // p holds every sibling of its cells' regions
  scope.query.region_prefix = p.substr(0, cut);
  scope.query.region_level = digits == 4 ? RegionLevel::kCity : RegionLevel::kCounty;
  scope.keep = p;
  if (!by_region) {
    scope.region_added = true;
    scope.region_key = 0;
    scope.query.group_by.insert(scope.query.group_by.begin(), StatsKey::kRegion);
  } else if (level_digits < p.size()) {
    scope.region_label = RegionAt(p + std::string(6 - p.size(), '0'), query.region_level);
  }
  return scope;
}

std::vector<uint32_t> RegionParents(const std::vector<std::string>& codes, RegionLevel level) {
  const size_t digits = level == RegionLevel::kCounty ? 4 : level == RegionLevel::kCity ? 2 : 0;
  std::map<std::string, uint32_t> ids;
  std::vector<uint32_t> out;
  out.reserve(codes.size());
  for (const std::string& code : codes) {
    const std::string parent = code.substr(0, std::min(digits, code.size()));
    out.push_back(ids.emplace(parent, static_cast<uint32_t>(ids.size())).first->second);
  }
  return out;
}

namespace {

// County -> city -> province.
RegionLevel Coarser(RegionLevel level) {
  return level == RegionLevel::kCounty ? RegionLevel::kCity : RegionLevel::kProvince;
}

}  // namespace

std::vector<std::optional<ParentOver>> ParentQueries(const StatsQuery& q) {
  std::vector<std::optional<ParentOver>> out(q.group_by.size());
  for (size_t d = 0; d < q.group_by.size(); ++d) {
    ParentOver p;
    p.query = q;
    p.query.limit = 0;
    p.query.after.clear();
    p.query.as_of = 0;
    const bool coarsen =
        q.group_by[d] == StatsKey::kRegion && q.region_level != RegionLevel::kProvince;
    if (coarsen) {
      p.query.region_level = Coarser(q.region_level);
    } else if (q.group_by[d] == StatsKey::kRegion && q.region_prefix.size() == 2) {
      continue;  // one province: the answer without region has the same cells, left out alike
    } else {
      if (q.group_by.size() == 1) continue;  // no key left
      p.query.group_by.erase(p.query.group_by.begin() + static_cast<std::ptrdiff_t>(d));
      // Without region the level means nothing: the one every question without region has.
      if (q.group_by[d] == StatsKey::kRegion) p.query.region_level = RegionLevel::kCounty;
    }
    for (size_t e = 0; e < q.group_by.size(); ++e) {
      if (coarsen || e != d) p.from.push_back(e);
    }
    out[d] = std::move(p);
  }
  return out;
}

std::string ParentValue(const StatsQuery& q, size_t d, size_t from, const std::string& value) {
  return from == d && q.group_by[d] == StatsKey::kRegion ? RegionAt(value, Coarser(q.region_level))
                                                         : value;
}

std::vector<std::string> ParentKeys(const StatsQuery& q, const ParentOver& parent, size_t d,
                                    const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  out.reserve(parent.from.size());
  for (size_t from : parent.from) out.push_back(ParentValue(q, d, from, keys[from]));
  return out;
}

std::string AnswerId(const StatsQuery& q) {
  std::string id;
  for (StatsKey key : q.group_by) id += std::string(StatsKeyName(key)) + ",";
  id += "|" + q.region_prefix + "|" + std::to_string(static_cast<int>(q.region_level)) + "|" +
        std::to_string(q.k);
  return id;
}

}  // namespace lcb
