// One suppression of every answer of a province together (issue 17; an investigation, not what
// the server answers with: see benchmarks/README.md, "Statistics", for what it costs and leaks).
//
// Today each answer is suppressed alone (stats_suppress.h), respecting the answers one step
// coarser, which are suppressed first. A coarser answer does not respect the finer ones: when a
// group of a finer answer can only be made safe by leaving out a cell that is known (alone in
// its group over some key, so equal to its parent there, which is shown), the leak remains
// ("What this does not protect"). Here every answer of one province is a node of a lattice:
// region at no level (the province), city or county, times each subset of kind, level, year,
// issuer (a question finer than the province is a part of one of them: ScopeOf). A cell's
// parent over a key is the cell of the node without that key (over region: one level up), and
// its group over the key the cells of its node with that parent. The rule of
// SuppressComplements holds in every group (left-out cells: none, or two or more of k or more
// learners together, and at least one when the parent is left out), counting known cells as
// shown; and a group that cannot be made safe but by leaving out a known cell (or that counts
// on one already left out) makes it unknown: the parent that makes it known is left out in its
// own answer (and, when that parent is known too, its parent, and so on). Every group is read
// again until none changes. Cells are only ever left out, so it ends (at most one pass a cell).
//
// A cell is known when it is alone in its group over some key and that group's parent is shown
// or known: known by a chain of equalities. Known by other sums (what Gaussian elimination
// finds over every answer) is not modelled: tests/service/stats_audit_test.cc measures it.
//
// Thread-safe: a pure function.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lcb {

// The lattice's key indices: region, then the four keys of a subset's bits.
inline constexpr std::size_t kLatticeKeys = 5;
// A node: region level (0: none, the whole province; 1: city; 2: county) and subset (bit b: key
// 1 + b, i.e. kind, level, year, issuer, grouped).
inline constexpr std::size_t kLatticeLevels = 3;
inline constexpr std::size_t kLatticeSubsets = 16;
inline constexpr std::size_t LatticeNode(uint8_t level, uint8_t subset) {
  return level * kLatticeSubsets + subset;
}

struct LatticeCell {
  uint8_t level = 0;
  uint8_t subset = 0;
  // key[0]: the region's id at `level` (a county's or a city's; 0 at level 0); key[1 + b]: the
  // value id of key b when grouped, else 0. Ids order ties between equal cells.
  std::array<uint32_t, kLatticeKeys> key{};
  int64_t learners = 0;
  int64_t with_records = -1;  // as SuppressionCell::with_records; -1: all of them
  bool hidden = false;        // in: TooFew; out: left out
};

struct LatticeStats {
  std::size_t cells = 0, primary = 0,
              hidden = 0;                         // cells; left out for themselves; left out in all
  std::size_t passes = 0;                         // reads of every group
  std::size_t unknown_by = 0;                     // parents left out to make a known cell unknown
  double make_seconds = 0, suppress_seconds = 0;  // StatsAggregates::SuppressProvince's steps
};

// Leaves out cells of `cells` (every cell of every node of one province: a cell's parents must
// be there too) until every group is safe, as above. `city_of_county[id]`: the city id of a
// county id. Returns what it did.
LatticeStats SuppressLattice(std::vector<LatticeCell>* cells,
                             const std::vector<uint32_t>& city_of_county, int64_t k);

}  // namespace lcb
