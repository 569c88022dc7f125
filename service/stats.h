// Statistics for regulators (GET /v1/stats): learners, active records, credits and applied
// conversions grouped by region (the learner's GB/T 2260 code at a region level), kind, level
// (the record's common level: EQF for issuers with a regime, else the posted level), year
// (of completed_on) and issuer. Cells counting fewer than k learners are left out and only
// counted, so no cell describes a handful of people; no totals are given (a total minus the
// shown cells would reveal the suppressed ones).
//
// Definitions, per cell (one combination of group keys):
//   learners     distinct learners with at least one active record in the cell; when every
//                group key is a learner's own (region only), every learner of the region,
//                with or without records
//   records      active records in the cell;  credits  their sum
//   conversions  applied conversions of the cell's learners (a learner in two cells counts
//                its conversions in both)
// Learners without a region are left out of every query that filters or groups by region.
//
// Cost: computed by a scan, not from maintained aggregates: one pass over every learner row
// (kLearners "l/"), each learner's records (RecordService::AllRecords, cached and brought up
// to date incrementally) and its kConversions index: O(learners + records) per request.
// Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "engine/regions.h"
#include "service/learners.h"
#include "service/records.h"
#include "storage/kv.h"

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
};

struct StatsCell {
  std::vector<std::string> keys;  // one per group_by key, in its order
  int64_t learners = 0;
  int64_t records = 0;
  Centi credits = 0;
  int64_t conversions = 0;
};

struct StatsResult {
  std::vector<StatsCell> cells;  // sorted by keys
  int k = 0;
  int64_t suppressed = 0;  // cells left out for counting fewer than k learners
};

class StatsService {
 public:
  StatsService(RecordService* records, Kv* kv) : records_(records), kv_(kv) {}
  StatusOr<StatsResult> Compute(const StatsQuery& query);

 private:
  RecordService* records_;
  Kv* kv_;
};

}  // namespace lcb
