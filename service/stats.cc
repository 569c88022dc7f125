#include "service/stats.h"

#include <unordered_map>
#include <unordered_set>

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
  // Records committed from now on are read from the log by Refresh (each learner read later
  // than one of them counts it already: StatsLearnerFacts::read_to).
  changes_->Track();
  const std::optional<uint64_t> last = records_->LastLeaf();
  entries_read_to_ = last ? *last + 1 : 0;
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
  // The log's size first, then the marks: a record committed below `size` is in the entries
  // read below, whether or not its batch had marked anything yet.
  const std::optional<uint64_t> last = records_->LastLeaf();
  const uint64_t size = last ? *last + 1 : 0;
  std::vector<LearnerChange> marked = changes_->Take();
  for (size_t i = 0; i < marked.size(); ++i) {
    Status s = Reload(marked[i].learner, marked[i].created);
    if (!s.ok()) {
      // Not taken in: marked again, so the next request retries them.
      for (size_t j = i; j < marked.size(); ++j) changes_->Mark(marked[j].learner);
      return s;
    }
  }
  if (size <= entries_read_to_) return Status::Ok();
  // The records added since the last request, read from the log's entries (a bundle of 256 at
  // a time): O(records added), whichever learners they belong to. A learner read (Reload) at or
  // after a record's leaf counts it already; one not known here is reloaded whole.
  std::unordered_map<std::string, std::vector<StatsRecordFacts>> added;
  std::unordered_set<std::string> unknown;
  LCB_RETURN_IF_ERROR(
      records_->RecordsInEntries(entries_read_to_, size, [&](uint64_t leaf, const Record& r) {
        const std::optional<uint64_t> read_to = aggregates_->ReadTo(r.learner);
        if (!read_to) {
          unknown.insert(r.learner);
        } else if (leaf >= *read_to) {
          added[r.learner].push_back(StatsFactsOf(r));
        }
      }));
  aggregates_->AddAll(added, size);
  entries_read_to_ = size;
  for (auto it = unknown.begin(); it != unknown.end(); ++it) {
    Status s = Reload(*it);
    if (!s.ok()) {
      // Not reloaded (their entries are read past now): marked, so the next request retries.
      for (; it != unknown.end(); ++it) changes_->Mark(*it);
      return s;
    }
  }
  return Status::Ok();
}

uint64_t StatsService::reloads() {
  std::lock_guard<std::mutex> lock(mu_);
  return reloads_;
}

Status StatsService::Reload(const std::string& learner, bool created) {
  std::string value;
  Status s = kv_->Get(Table::kLearners, keys::Learner(learner), &value);
  if (s.code() == StatusCode::kNotFound) {
    aggregates_->Remove(learner);  // no account: counted nowhere (as the scan counts it)
    return Status::Ok();
  }
  LCB_RETURN_IF_ERROR(s);
  LCB_ASSIGN_OR_RETURN(LearnerRow row, DecodeLearnerRow(value));
  // A new account the statistics have not met, whose records all lie in the entries not read
  // yet (its row says where they can start): its row gives its region, and the entries read
  // next give each of its records once (read_to = where they start).
  if (created && row.logged_before && *row.logged_before >= entries_read_to_ &&
      !aggregates_->ReadTo(learner)) {
    StatsLearnerFacts facts;
    facts.region = row.region.value_or("");
    facts.read_to = entries_read_to_;
    aggregates_->Set(learner, facts);
    return Status::Ok();
  }
  ++reloads_;
  LCB_ASSIGN_OR_RETURN(StatsLearnerFacts facts, LoadStatsFacts(*records_, *kv_, row));
  aggregates_->Set(learner, facts);
  return Status::Ok();
}

}  // namespace lcb
