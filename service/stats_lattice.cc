#include "service/stats_lattice.h"

#include <algorithm>
#include <bit>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdio>
#include <cstdlib>
#include <numeric>

namespace lcb {
namespace {

// A cell's node and key, to find its parents.
using Where = std::array<uint32_t, kLatticeKeys + 1>;
struct WhereHash {
  size_t operator()(const Where& w) const {
    uint64_t h = 0x632BE59BD9B4E019ull;
    for (uint32_t x : w) h = (h ^ x) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

Where WhereOf(size_t node, const std::array<uint32_t, kLatticeKeys>& key) {
  Where w{};
  w[0] = static_cast<uint32_t>(node);
  std::copy(key.begin(), key.end(), w.begin() + 1);
  return w;
}

constexpr int32_t kNone = -1;

// SuppressLattice on cells ordered coarse to fine (by level + keys grouped, then node, then
// key): a parent comes before its cells, the cells of a group in the order of their keys, and
// the passes read the arrays in order.
LatticeStats SuppressInOrder(std::vector<LatticeCell>* cells,
                             const std::vector<uint32_t>& city_of_county, int64_t k) {
  std::vector<LatticeCell>& c = *cells;
  const uint32_t n = static_cast<uint32_t>(c.size());
  LatticeStats stats;
  stats.cells = n;
  // Each cell's parent over each key (kNone: not grouped by it, or a region at level 0).
  boost::unordered_flat_map<Where, uint32_t, WhereHash> index;
  index.reserve(n);
  for (uint32_t i = 0; i < n; ++i)
    index.emplace(WhereOf(LatticeNode(c[i].level, c[i].subset), c[i].key), i);
  std::vector<std::array<int32_t, kLatticeKeys>> parent(n);
  for (uint32_t i = 0; i < n; ++i) {
    parent[i].fill(kNone);
    for (size_t d = 0; d < kLatticeKeys; ++d) {
      std::array<uint32_t, kLatticeKeys> key = c[i].key;
      size_t node;
      if (d == 0) {
        if (c[i].level == 0) continue;
        key[0] = c[i].level == 2 ? city_of_county[key[0]] : 0;
        node = LatticeNode(static_cast<uint8_t>(c[i].level - 1), c[i].subset);
      } else {
        const uint8_t bit = static_cast<uint8_t>(1u << (d - 1));
        if (!(c[i].subset & bit)) continue;
        key[d] = 0;
        node = LatticeNode(c[i].level, static_cast<uint8_t>(c[i].subset & ~bit));
      }
      const auto it = index.find(WhereOf(node, key));
      if (it != index.end()) parent[i][d] = static_cast<int32_t>(it->second);
    }
  }
  // The groups, by (parent, key): group g = parent * kLatticeKeys + d, its members in the order
  // of their keys (ties between equal cells) from start[g] to start[g + 1].
  const size_t n_groups = size_t{n} * kLatticeKeys;
  std::vector<uint32_t> start(n_groups + 1, 0), members(size_t{n} * kLatticeKeys);
  for (uint32_t i = 0; i < n; ++i) {
    for (size_t d = 0; d < kLatticeKeys; ++d) {
      if (parent[i][d] != kNone) ++start[static_cast<size_t>(parent[i][d]) * kLatticeKeys + d + 1];
    }
  }
  std::partial_sum(start.begin(), start.end(), start.begin());
  {
    std::vector<uint32_t> at(start.begin(), start.end() - 1);
    for (uint32_t i = 0; i < n; ++i) {
      for (size_t d = 0; d < kLatticeKeys; ++d) {
        if (parent[i][d] != kNone)
          members[at[static_cast<size_t>(parent[i][d]) * kLatticeKeys + d]++] = i;
      }
    }
  }
  auto group_size = [&](size_t g) { return start[g + 1] - start[g]; };

  std::vector<char> hidden(n), known(n, 0), dirty(n_groups, 1);
  for (uint32_t i = 0; i < n; ++i) {
    hidden[i] = c[i].hidden;
    stats.primary += c[i].hidden;
  }
  auto touch_member = [&](uint32_t i) {  // the groups i is a member of
    for (size_t d = 0; d < kLatticeKeys; ++d) {
      if (parent[i][d] != kNone) dirty[static_cast<size_t>(parent[i][d]) * kLatticeKeys + d] = 1;
    }
  };
  // LCB_LATTICE_TRACE set: each cell left out, and why, on stderr (an investigation's tool).
  const bool trace = std::getenv("LCB_LATTICE_TRACE") != nullptr;
  auto say = [&](const char* what, uint32_t i) {
    if (!trace) return;
    std::fprintf(
        stderr, "lattice %s: level %d subset %d key %u %u %u %u %u learners %lld with %lld\n", what,
        c[i].level, c[i].subset, c[i].key[0], c[i].key[1], c[i].key[2], c[i].key[3], c[i].key[4],
        static_cast<long long>(c[i].learners), static_cast<long long>(c[i].with_records));
  };
  for (uint32_t i = 0; i < n; ++i) {
    if (c[i].hidden) say("primary", i);
  }
  // Known cells (alone in a group whose parent is shown or known), coarse to fine; kept up to
  // date as cells are left out (known only ever turns unknown).
  auto is_known = [&](uint32_t i) {
    for (size_t d = 0; d < kLatticeKeys; ++d) {
      const int32_t p = parent[i][d];
      if (p != kNone && group_size(static_cast<size_t>(p) * kLatticeKeys + d) == 1 &&
          (!hidden[p] || known[p])) {
        return true;
      }
    }
    return false;
  };
  for (uint32_t i = 0; i < n; ++i) known[i] = is_known(i);
  // After i was left out or made unknown: its cells alone under it may no longer be known.
  auto refresh_below = [&](auto&& self, uint32_t i) -> void {
    for (size_t d = 0; d < kLatticeKeys; ++d) {
      const size_t g = size_t{i} * kLatticeKeys + d;
      if (group_size(g) != 1) continue;
      const uint32_t x = members[start[g]];
      if (!known[x] || is_known(x)) continue;
      known[x] = 0;
      touch_member(x);
      self(self, x);
    }
  };
  bool changed = false;
  auto hide = [&](uint32_t i) {
    say("hide", i);
    hidden[i] = 1;
    touch_member(i);
    for (size_t d = 0; d < kLatticeKeys; ++d) dirty[size_t{i} * kLatticeKeys + d] = 1;  // must
    changed = true;
    if (!known[i]) refresh_below(refresh_below, i);
  };
  // Makes i unknown: leaves out each parent it is alone under (and makes that one unknown).
  auto unknow = [&](auto&& self, uint32_t i) -> void {
    if (!known[i]) return;
    say("unknow", i);
    known[i] = 0;
    touch_member(i);
    for (size_t d = 0; d < kLatticeKeys; ++d) {
      const int32_t p = parent[i][d];
      if (p == kNone || group_size(static_cast<size_t>(p) * kLatticeKeys + d) != 1) continue;
      if (!hidden[p]) {
        hide(static_cast<uint32_t>(p));
        ++stats.unknown_by;
      }
      self(self, static_cast<uint32_t>(p));
    }
    refresh_below(refresh_below, i);
  };
  auto with_records = [&](uint32_t i) {
    return c[i].with_records < 0 ? c[i].learners : c[i].with_records;
  };
  struct Left {
    int64_t hidden = 0, hidden_with = 0;
    int cells_hidden = 0, cells_with = 0;
  };
  std::vector<uint32_t> shown, shown_known;
  do {
    changed = false;
    ++stats.passes;
    for (uint32_t p = 0; p < n; ++p) {
      for (size_t d = 0; d < kLatticeKeys; ++d) {
        const size_t g = size_t{p} * kLatticeKeys + d;
        if (!dirty[g]) continue;
        dirty[g] = 0;
        const bool sum = d == 0;  // a learner has one region: the learners add up
        auto add = [&](int64_t h, int64_t l) { return sum ? h + l : std::max(h, l); };
        auto safe = [&](int64_t h) { return h == 0 || h >= k; };
        const bool must = hidden[p];
        Left unknown;
        auto leave_out = [&](Left& l, uint32_t i) {
          l.hidden = add(l.hidden, c[i].learners);
          l.hidden_with = add(l.hidden_with, with_records(i));
          ++l.cells_hidden;
          l.cells_with += with_records(i) > 0;
        };
        auto learners_ok = [&](const Left& l) {
          return safe(l.hidden) && l.cells_hidden != 1 && !(must && l.cells_hidden == 0);
        };
        auto ok = [&](const Left& l) {
          return learners_ok(l) && safe(l.hidden_with) && l.cells_with != 1;
        };
        shown.clear();
        shown_known.clear();
        std::vector<uint32_t> hidden_known;
        for (uint32_t x = start[g]; x < start[g + 1]; ++x) {
          const uint32_t i = members[x];
          if (hidden[i]) {
            if (known[i]) {
              hidden_known.push_back(i);
            } else {
              leave_out(unknown, i);
            }
          } else {
            (known[i] ? shown_known : shown).push_back(i);
          }
        }
        if (ok(unknown)) continue;
        auto smallest_first = [&](std::vector<uint32_t>* v) {
          std::stable_sort(v->begin(), v->end(),
                           [&](uint32_t x, uint32_t y) { return c[x].learners < c[y].learners; });
        };
        smallest_first(&shown);
        for (size_t x = 0; x < shown.size() && !ok(unknown); ++x) {
          if (learners_ok(unknown) && with_records(shown[x]) == 0) continue;
          hide(shown[x]);
          leave_out(unknown, shown[x]);
        }
        // Only known cells are left: each one counted on is made unknown (its parent, shown,
        // is left out in its own answer), those left out already first.
        for (size_t x = 0; x < hidden_known.size() && !ok(unknown); ++x) {
          unknow(unknow, hidden_known[x]);
          leave_out(unknown, hidden_known[x]);
        }
        smallest_first(&shown_known);
        for (size_t x = 0; x < shown_known.size() && !ok(unknown); ++x) {
          if (learners_ok(unknown) && with_records(shown_known[x]) == 0) continue;
          hide(shown_known[x]);
          unknow(unknow, shown_known[x]);
          leave_out(unknown, shown_known[x]);
        }
      }
    }
  } while (changed);
  for (uint32_t i = 0; i < n; ++i) {
    c[i].hidden = hidden[i];
    stats.hidden += hidden[i];
  }
  return stats;
}

}  // namespace

LatticeStats SuppressLattice(std::vector<LatticeCell>* cells,
                             const std::vector<uint32_t>& city_of_county, int64_t k) {
  std::vector<LatticeCell>& c = *cells;
  auto rank = [](const LatticeCell& x) { return x.level + std::popcount(x.subset); };
  std::vector<uint32_t> order(c.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    const LatticeCell &a = c[x], &b = c[y];
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    const size_t na = LatticeNode(a.level, a.subset), nb = LatticeNode(b.level, b.subset);
    if (na != nb) return na < nb;
    return a.key < b.key;
  });
  std::vector<LatticeCell> in_order;
  in_order.reserve(c.size());
  for (uint32_t i : order) in_order.push_back(c[i]);
  LatticeStats stats = SuppressInOrder(&in_order, city_of_county, k);
  for (size_t i = 0; i < order.size(); ++i) c[order[i]].hidden = in_order[i].hidden;
  return stats;
}

}  // namespace lcb
