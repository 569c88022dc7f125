// Complementary suppression for GET /v1/stats (service/stats.h, "Suppression").
//
// A cell counting fewer than k learners is left out (primary suppression). That alone does not
// hide it: the cell one level up (the city of a county, or the same cell without one of its
// keys, as another query groups it) minus the shown cells under it gives back the left-out
// ones. So further cells are left out until, for every group key and every group of cells that
// differ only in that key (for region: only in the county within one city, the city within one
// province, the province), the left-out cells count 0 or at least k distinct learners
// together: what a subtraction can recover is then never fewer than k learners' figures.
// Within a group the smallest cells go first (ties in the order of their keys); groups are
// checked until none changes, the keys in one order (region, kind, level, year, issuer) whatever
// the order of group_by, so the cells left out do not depend on it.
//
// The same holds for the learners whose records a group's left-out cells sum (with_records):
// 0 or at least k of them, the cells with records then going first.
//
// And no group that shows a cell leaves out exactly one cell (nor exactly one cell with
// records): its total less the shown cells would give that cell back exactly, and then, in a
// group where it was left out beside a small cell, the small one (a chain of one-key
// differences: kind x year in one county, (degree, 2022) of 2 learners left out with
// (degree, 2023) of 11, which would be the only one left out of 2023).
//
// A cell left out one step coarser leaves out at least one of its cells here (so two, by the
// rule above): else they, all shown, would add up to it, and the coarser answer's total less
// it would give back the small sibling it was left out beside there. One step coarser over
// region is the same question a region level up (a county's city, a city's province: the
// city left out among its province's cities is not given back by its counties) and, at
// province level, the question without region; over any other key, the question without that
// key (a county's total left out beside a small sibling is not given back by the county by
// kind, whose records add up over kinds). ParentQueries names them; each is answered (and
// suppressed, the same way, from its own coarser answers) first. So every answer respects
// every coarser one, down to the questions of one key.
//
// A cell that is the only one of its group over some key equals its parent over that key; when
// that parent is shown (its answer was read and does not leave it out), the cell is known even
// when left out: county 310105 whose learners (12) all hold moocs, whose mooc cell is its
// total, which the counties of 3101 show. Such a cell counts as shown wherever the rule counts
// a group's left-out cells, and the group leaves out another cell instead when it has one
// (beside 310101's 3 mooc learners, 310104's moocs rather than 310105's: else 3101's moocs less
// 310104's, shown, and 310105's total would give the 3 back); only when it has none is the
// known cell left out, as before.
//
// What this does not protect (tests/service/stats_audit_test.cc audits every question one
// regulator can ask as a system of equations over the finest cells' records): that last case.
// City 3101 holding every mooc of province 31, its mooc cell is the province's; left out beside
// 3101's few learners of other kinds, where nothing else can be, it still leaves 3101's total
// less the province's moocs. Only the parent's answer could leave it out, and closing that
// needs the coarser answers to respect the finer ones too (one suppression of every answer of
// a province together): tried, not what the server answers with (stats_lattice.h; its leaks
// and costs in benchmarks/README.md, "Statistics", 2026-12-07).
//
// How many distinct learners the left-out cells of a group hold: over the region key their sum
// (each learner has one region, so the sets are disjoint). Over kind, level, year and issuer a
// learner may sit in several cells (the same six learners in 2022 and in 2023), so only the
// largest left-out cell's count is sure: a group that leaves any cell out must leave out one
// of at least k learners (every shown cell has k or more, so one more cell always does).
//
// Both the aggregates and the scan (the tests' oracle) call this on the whole answer of
// ScopeOf(question), so they leave out the same cells.
//
// Thread-safe: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/regions.h"
#include "service/stats_query.h"

namespace lcb {

struct SuppressionCell {
  std::array<uint32_t, 5> key{};  // per group_by key: an id of its value (equal ids, equal values)
  int64_t learners = 0;
  bool hidden = false;  // in: TooFew; out: also left out to protect those
  // Of `learners`, those with an active record in the cell (whose records and credits the cell
  // sums); -1: all of them. Fewer only in a cell grouped by region alone, which counts every
  // learner of its region.
  int64_t with_records = -1;
  // Bit d: the cell's parent over group key d (ParentQueries: the cell with key d one step
  // coarser) is left out of its answer. The cell's group over key d then leaves out at least
  // one cell, or the shown cells of the group would add up to it.
  uint8_t parent_hidden = 0;
};

// Whether a cell is left out for itself: fewer than k learners, or records and credits that
// fewer than k learners hold (1 to k-1 of them: a region where 12 learners live and 2 have
// records would show those 2 learners' records).
inline bool TooFew(int64_t learners, int64_t with_records, int64_t k) {
  return learners < k || (with_records > 0 && with_records < k);
}

// `parents[d][id]`: the group key d's value `id` falls in one level up: for region, its
// parent code's id (RegionParents); for any other key, 0 (the cell without that key).
// `disjoint[d]`: whether a learner counts in one value of key d only (region), so that the
// learners of a group's cells add up; else a group's left-out learners are at least its
// largest left-out cell's. `key_order`: the keys in the order they are read (the groups of
// each key in turn, the groups in the order of their keys read so, and ties between equal cells
// broken so); empty = 0, 1, ... . The cells hidden depend on it and on the cells, not on the
// order of `cells`. `parent_read`, bit d: the answer one step coarser over key d was read, so
// that a cell without its bit d in parent_hidden has its parent over d shown: a cell alone in
// its group over d is then known (it is that parent), and counts as shown wherever the rule
// counts left-out cells, as long as another cell can be left out instead. Returns how many more
// cells it hid. `sorted` (test-only): a group's shown cells sorted whole before they are left
// out smallest first, as before they were taken one at a time from a heap; the same cells
// either way (tests/service/stats_speed_test.cc).
size_t SuppressComplements(std::vector<SuppressionCell>* cells, size_t n_keys,
                           const std::vector<std::vector<uint32_t>>& parents,
                           const std::vector<bool>& disjoint, int64_t k,
                           const std::vector<size_t>& key_order = {}, uint8_t parent_read = 0,
                           bool sorted = false);

// SuppressComplements for the cells of an answer to `query`, `names[d]` the values of key d by
// id (region codes at query.region_level for the region key). Nothing to do, and nothing
// computed, when no cell is hidden nor has its parent hidden.
size_t SuppressAnswer(std::vector<SuppressionCell>* cells, const StatsQuery& query,
                      const std::vector<std::vector<std::string>>& names, uint8_t parent_read = 0,
                      bool sorted = false);

// The answer a question's cells are left out within. Suppression within one answer protects
// its cells against the answers one level up, but not against an answer that cuts one of its
// groups: asked alone, `region=310101` would show a county that the counties of 3101 leave out
// as the complement of a smaller sibling, and 3101's total minus it gives the sibling back. So
// a question whose region prefix p is finer than a province is suppressed within the answer
// of p's siblings: grouped by region at the finer of p and the asked region level (region is
// added as a key when not asked; its level is p's), with the prefix cut to what holds p's
// siblings (p less two digits, or less when region is grouped finer than p: the siblings of
// the cells' regions), but never above a province (no regulator asks above one; the bank's
// own national answers are suppressed nationally). Then the cells under p are the answer, with
// the added key dropped and, when the asked region level is coarser than p, the region key
// named as asked (every cell's region is then p). Together with one reading order of the keys
// (SuppressAnswer), any two questions whose answers share a cell leave it out alike when they
// share its groups, whatever their prefixes and the order of their group_by.
struct SuppressionScope {
  StatsQuery query;           // the whole answer suppressed (region key first when added)
  bool region_added = false;  // the region key was added (index 0) and is dropped after
  std::string keep;           // the answer is the cells whose region starts with this ("": all)
  std::string region_label;   // not empty: the answer's region key reads this (p at the level)
  size_t region_key = 0;      // index of the region key in query.group_by, when there is one
};
SuppressionScope ScopeOf(const StatsQuery& query);

// The question whose answer holds the parents of a suppression scope's cells over group key d,
// one step coarser: over region, the same question one region level up (at province level,
// without the region key, but for one province's answer, whose cells and the ones without
// region are the same and left out alike); over any other key, the question without it. `from[e]`:
// the index in scope_query.group_by of the key the parent's key e is (key d itself, coarsened, or
// the keys other than d).
struct ParentOver {
  StatsQuery query;
  std::vector<size_t> from;
};
// Per group key d (its index in scope_query.group_by), the parent question over it; nothing
// when it would have no key left. The parents' left-out cells mark the scope's cells
// `parent_hidden` (ParentKeys).
std::vector<std::optional<ParentOver>> ParentQueries(const StatsQuery& scope_query);
// The keys (as its answer names them) of a cell's parent over key d, the cell's keys named so.
std::vector<std::string> ParentKeys(const StatsQuery& scope_query, const ParentOver& parent,
                                    size_t d, const std::vector<std::string>& keys);
// Key `from`'s value `value` (as the answer names it) as the parent over key d names it: a
// region one level up when `from` is d and the region key, any other value as it is.
std::string ParentValue(const StatsQuery& scope_query, size_t d, size_t from,
                        const std::string& value);
// One string per question's answer (its keys in order, prefix, level, k), to find it again.
std::string AnswerId(const StatsQuery& query);

// For region codes at `level` (RegionAt), each one's parent as an id: a county's city (its
// first 4 digits), a city's province (2 digits), and 0 for every province (the whole answer).
std::vector<uint32_t> RegionParents(const std::vector<std::string>& codes, RegionLevel level);

// Sorts (code, index) pairs by code, stably (equal codes keep their order), codes below
// `space`: least significant digit first, 11 bits a pass, as many passes as `space` needs.
// `tmp` is scratch. Shared with stats_aggregates.cc, which sorts an answer's parts with it.
void RadixSort(std::vector<std::pair<uint64_t, uint32_t>>* v,
               std::vector<std::pair<uint64_t, uint32_t>>* tmp, uint64_t space);

}  // namespace lcb
