// Complementary suppression for GET /v1/stats (service/stats.h, "Suppression").
//
// A cell counting fewer than k learners is left out (primary suppression). That alone does not
// hide it: the cell one level up (the city of a county, or the same cell without one of its
// keys, as another query groups it) minus the shown cells under it gives back the left-out
// ones. So further cells are left out until, for every group key and every group of cells that
// differ only in that key (for region: only in the county within one city, the city within one
// province, the province), the left-out cells count 0 or at least k distinct learners
// together: what a subtraction can recover is then never fewer than k learners' figures.
// Within a group the smallest cells go first (ties in input order); groups are checked until
// none changes.
//
// How many distinct learners the left-out cells of a group hold: over the region key their sum
// (each learner has one region, so the sets are disjoint). Over kind, level, year and issuer a
// learner may sit in several cells (the same six learners in 2022 and in 2023), so only the
// largest left-out cell's count is sure: a group that leaves any cell out must leave out one
// of at least k learners (every shown cell has k or more, so one more cell always does).
//
// Both the aggregates and the scan (the tests' oracle) call this on the whole answer in key
// order, so they leave out the same cells.
//
// Thread-safe: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/regions.h"
#include "service/stats_query.h"

namespace lcb {

struct SuppressionCell {
  std::array<uint32_t, 5> key{};  // per group_by key: an id of its value (equal ids, equal values)
  int64_t learners = 0;
  bool hidden = false;  // in: fewer than k learners; out: also left out to protect those
};

// `parents[d][id]`: the group key d's value `id` falls in one level up: for region, its
// parent code's id (RegionParents); for any other key, 0 (the cell without that key).
// `disjoint[d]`: whether a learner counts in one value of key d only (region), so that the
// learners of a group's cells add up; else a group's left-out learners are at least its
// largest left-out cell's. Returns how many more cells it hid.
size_t SuppressComplements(std::vector<SuppressionCell>* cells, size_t n_keys,
                           const std::vector<std::vector<uint32_t>>& parents,
                           const std::vector<bool>& disjoint, int64_t k);

// SuppressComplements for the cells of an answer to `query`, `names[d]` the values of key d by
// id (region codes at query.region_level for the region key). Nothing to do, and nothing
// computed, when no cell is hidden.
size_t SuppressAnswer(std::vector<SuppressionCell>* cells, const StatsQuery& query,
                      const std::vector<std::vector<std::string>>& names);

// For region codes at `level` (RegionAt), each one's parent as an id: a county's city (its
// first 4 digits), a city's province (2 digits), and 0 for every province (the whole answer).
std::vector<uint32_t> RegionParents(const std::vector<std::string>& codes, RegionLevel level);

}  // namespace lcb
