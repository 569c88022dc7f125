// GET /v1/stats computed by a full scan of the store: the definitions of service/stats.h
// executed directly, one pass over every learner row (kLearners "l/"), each learner's records
// (RecordService::AllRecords) and its kConversions index, O(learners + records) per call.
// StatsService builds and refreshes its aggregates with the same reads (ReadLearnerRows,
// LoadStatsFacts); the tests hold the aggregates' answers against ComputeStatsByScan.
//
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codec/rows.h"
#include "service/records.h"
#include "service/stats_aggregates.h"
#include "storage/kv.h"

namespace lcb {

StatusOr<StatsResult> ComputeStatsByScan(RecordService& records, Kv& kv, const StatsQuery& query);

// A learner as the scan counts it: its row, its records and its applied conversions.
struct ScannedLearner {
  LearnerRow row;
  std::shared_ptr<const std::vector<Record>> records;
  int64_t conversions = 0;
};

// The scan of one state of the store, for many questions: the learners are read once (Read),
// and each answer one or more steps coarser that a question respects (stats_suppress.h,
// ParentQueries) is computed once for all of them. ComputeStatsByScan is Read + Compute.
// Not thread-safe.
class StatsScanner {
 public:
  static StatusOr<StatsScanner> Read(RecordService& records, Kv& kv);
  StatsResult Compute(const StatsQuery& query);

 private:
  std::vector<ScannedLearner> learners_;
  // The shown cells' keys of the coarser answers computed so far, by AnswerId.
  std::map<std::string, std::set<std::vector<std::string>>> coarser_;
};

// Every learner account row.
StatusOr<std::vector<LearnerRow>> ReadLearnerRows(Kv& kv);
// The learner's applied conversions (its kConversions rows).
StatusOr<int64_t> CountConversions(Kv& kv, const std::string& learner);
// What the statistics count of one learner: its region, conversions and active records, read
// up to the log's last leaf (facts.read_to).
StatusOr<StatsLearnerFacts> LoadStatsFacts(RecordService& records, Kv& kv, const LearnerRow& row);

// Whether the statistics count a record at all: not revoked, and a passing grade (a failing
// one earns no credits, so it is no outcome to count).
bool StatsCounts(const Record& r);
// What the statistics count of a record (kind, common level, year, issuer, credits).
StatsRecordFacts StatsFactsOf(const Record& r);

}  // namespace lcb
