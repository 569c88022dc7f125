#include "service/stats.h"

#include "service/stats_aggregates.h"
#include "service/stats_scan.h"
#include "storage/keys.h"

namespace lcb {
namespace {

constexpr std::string_view kStatsKeyNames[] = {"region", "kind", "level", "year", "issuer"};

}  // namespace

std::string_view StatsKeyName(StatsKey key) { return kStatsKeyNames[static_cast<int>(key)]; }

bool ParseStatsKey(std::string_view name, StatsKey* out) {
  for (int i = 0; i < 5; ++i) {
    if (kStatsKeyNames[i] == name) {
      *out = static_cast<StatsKey>(i);
      return true;
    }
  }
  return false;
}

StatsService::StatsService(RecordService* records, Kv* kv, LearnerChanges* changes)
    : records_(records),
      kv_(kv),
      changes_(changes),
      aggregates_(std::make_unique<StatsAggregates>()) {}

StatsService::~StatsService() = default;

StatusOr<StatsResult> StatsService::Compute(const StatsQuery& query) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!built_) LCB_RETURN_IF_ERROR(BuildLocked().status());
  // A later page of a kept answer reads that answer: the changes wait for the next question.
  if (!aggregates_->Keeps(query)) LCB_RETURN_IF_ERROR(Refresh());
  return aggregates_->Compute(query);
}

StatusOr<size_t> StatsService::Build() {
  std::lock_guard<std::mutex> lock(mu_);
  if (built_) return size_t{0};
  return BuildLocked();
}

StatusOr<size_t> StatsService::BuildLocked() {
  // Marks from now on name every change the scan below may have missed; Refresh reloads them.
  changes_->Track();
  aggregates_->Clear();
  LCB_ASSIGN_OR_RETURN(std::vector<LearnerRow> rows, ReadLearnerRows(*kv_));
  for (const LearnerRow& row : rows) {
    if (cancelled_.load(std::memory_order_relaxed)) {
      aggregates_->Clear();
      return Status::Unavailable("the statistics were not built: the server is stopping");
    }
    auto facts = LoadStatsFacts(*records_, *kv_, row);
    if (!facts.ok()) {
      aggregates_->Clear();
      return facts.status();
    }
    aggregates_->Set(row.id, *facts);
  }
  built_ = true;
  return rows.size();
}

Status StatsService::Refresh() {
  std::vector<std::string> marked = changes_->Take();
  for (size_t i = 0; i < marked.size(); ++i) {
    Status s = Reload(marked[i]);
    if (!s.ok()) {
      // Not reloaded: marked again, so the next request retries them.
      for (size_t j = i; j < marked.size(); ++j) changes_->Mark(marked[j]);
      return s;
    }
  }
  return Status::Ok();
}

Status StatsService::Reload(const std::string& learner) {
  std::string value;
  Status s = kv_->Get(Table::kLearners, keys::Learner(learner), &value);
  if (s.code() == StatusCode::kNotFound) {
    aggregates_->Remove(learner);  // no account: counted nowhere (as the scan counts it)
    return Status::Ok();
  }
  LCB_RETURN_IF_ERROR(s);
  LCB_ASSIGN_OR_RETURN(LearnerRow row, DecodeLearnerRow(value));
  LCB_ASSIGN_OR_RETURN(StatsLearnerFacts facts, LoadStatsFacts(*records_, *kv_, row));
  aggregates_->Set(learner, facts);
  return Status::Ok();
}

}  // namespace lcb
