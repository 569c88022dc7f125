// The question and answer of GET /v1/stats (definitions of every figure: service/stats.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/credits.h"
#include "engine/regions.h"

namespace lcb {

enum class StatsKey { kRegion, kKind, kLevel, kYear, kIssuer };
// "region", "kind", "level", "year", "issuer".
std::string_view StatsKeyName(StatsKey key);
bool ParseStatsKey(std::string_view name, StatsKey* out);

struct StatsQuery {
  std::vector<StatsKey> group_by;  // distinct, non-empty
  std::string region_prefix;       // "" = everywhere; else 2, 4 or 6 digits
  RegionLevel region_level = RegionLevel::kCounty;
  int k = 10;
  // A page: the cells after `after` (the keys of the last cell of the previous page; empty =
  // from the first), at most `limit` of them (0 = all). `suppressed` always counts the whole
  // answer.
  std::vector<std::string> after;
  size_t limit = 0;
  // The answer a later page continues: StatsResult::as_of of its first page (0 = the current
  // state). While that answer is still kept (StatsAggregates keeps the last few), every page
  // is read from it, so the pages of one answer never skip or repeat a cell while records
  // arrive; when it is no longer kept, the page is read from the current state.
  uint64_t as_of = 0;
};

struct StatsCell {
  std::vector<std::string> keys;  // one per group_by key, in its order
  int64_t learners = 0;
  int64_t records = 0;
  Centi credits = 0;
  int64_t conversions = 0;
  friend bool operator==(const StatsCell&, const StatsCell&) = default;
};

struct StatsResult {
  std::vector<StatsCell> cells;  // sorted by keys
  int k = 0;
  int64_t suppressed = 0;  // cells left out for counting fewer than k learners
  bool more = false;       // a page ended before the last cell (the next starts after it)
  uint64_t as_of = 0;      // the state of the aggregates the answer describes (see as_of above)
  // Every record logged below this tree size is counted (and every revocation, conversion and
  // account change acknowledged before the figures were brought up to date: service/stats.h).
  uint64_t tree_size = 0;
  // The figures; not which state they were read from.
  friend bool operator==(const StatsResult& x, const StatsResult& y) {
    return x.cells == y.cells && x.k == y.k && x.suppressed == y.suppressed && x.more == y.more;
  }
};

}  // namespace lcb
