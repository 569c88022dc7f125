#include "service/stats.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "service/stats_aggregates.h"
#include "service/stats_scan.h"
#include "storage/keys.h"

namespace lcb {
namespace {

constexpr std::string_view kStatsKeyNames[] = {"region", "kind", "level", "year", "issuer"};

// Whether regulators are asking at `now`: a question within StatsService::kKeepWarm.
bool Asking(const std::optional<std::chrono::steady_clock::time_point>& last_question,
            std::chrono::steady_clock::time_point now) {
  return last_question && now - *last_question <= StatsService::kKeepWarm;
}

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

StatsService::~StatsService() { Stop(); }

struct StatsService::EntryRecord {
  uint64_t leaf;
  std::string learner;
  StatsRecordFacts facts;
  bool counted;  // a passing grade: a failing one is in no statistic (StatsCounts)
};

void StatsService::StartKeeper(std::chrono::milliseconds max_staleness,
                               std::chrono::milliseconds period, bool between_questions) {
  if (max_staleness.count() <= 0 || keeper_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    max_staleness_ = max_staleness;
  }
  if (period.count() <= 0) {
    period = std::clamp<std::chrono::milliseconds>(
        max_staleness / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
  }
  keeper_ = std::thread([this, period] { KeeperLoop(period, false); });
  if (between_questions) {
    idle_keeper_ = std::thread([this, period] {
      // The lowest class there is: only CPU time nothing else wants (a thread may always lower
      // its own priority). Failing that, the highest nice value.
      sched_param param{};
      if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) != 0) {
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
      }
      KeeperLoop(period, true);
    });
  }
}

void StatsService::Stop() {
  Cancel();
  {
    std::lock_guard<std::mutex> lock(keeper_mu_);
    keeper_stop_ = true;
  }
  keeper_cv_.notify_all();
  if (keeper_.joinable()) keeper_.join();
  if (idle_keeper_.joinable()) idle_keeper_.join();
}

void StatsService::SetCountedTo(uint64_t tree_size) {
  aggregates_->SetCountedTo(tree_size);
  counted_to_.store(tree_size);
}

void StatsService::CaughtUpAt(std::chrono::steady_clock::time_point started) {
  if (!caught_up_at_ || *caught_up_at_ < started) caught_up_at_ = started;
}

bool StatsService::FreshEnough(std::chrono::steady_clock::time_point now) const {
  // Only while regulators are asking: the first question, and the first after a quiet period,
  // bring the figures up to date themselves, so they count everything acknowledged before them
  // (after the keeper between questions, that is only what it has not read yet).
  return Asking(last_question_, now) && max_staleness_.count() > 0 && caught_up_at_ &&
         now - *caught_up_at_ <= max_staleness_;
}

StatusOr<StatsResult> StatsService::Compute(const StatsQuery& query) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  const bool fresh = FreshEnough(now);
  last_question_ = now;  // the keeper works from now on (kKeepWarm)
  if (!built_) {
    LCB_RETURN_IF_ERROR(BuildLocked().status());
    CaughtUpAt(now);
  }
  // A later page of a kept answer reads that answer: the changes wait for the next question.
  // A question the keeper's last pass is recent enough for is answered as the figures are.
  if (!aggregates_->Keeps(query) && !fresh) {
    catch_ups_.fetch_add(1, std::memory_order_relaxed);
    const uint64_t from = entries_read_to_;
    LCB_RETURN_IF_ERROR(Refresh());
    catch_up_entries_.fetch_add(entries_read_to_ - from, std::memory_order_relaxed);
    CaughtUpAt(now);
  }
  return aggregates_->Compute(query);
}

StatusOr<size_t> StatsService::Build() {
  const auto started = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  if (built_) return size_t{0};
  StatusOr<size_t> built = BuildLocked();
  if (built.ok()) CaughtUpAt(started);
  return built;
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
  SetCountedTo(entries_read_to_);
  built_ = true;
  return rows.size();
}

Status StatsService::TakeMarks() {
  std::vector<LearnerChange> marked = changes_->Take();
  for (size_t i = 0; i < marked.size(); ++i) {
    Status s = Reload(marked[i].learner, marked[i].created);
    if (!s.ok()) {
      // Not taken in: marked again, so the next request retries them.
      for (size_t j = i; j < marked.size(); ++j) changes_->Mark(marked[j].learner);
      return s;
    }
  }
  // Learners a failed step left out were marked again, and are taken in now.
  SetCountedTo(entries_read_to_);
  return Status::Ok();
}

StatusOr<std::vector<StatsService::EntryRecord>> StatsService::ReadEntries(uint64_t from,
                                                                           uint64_t to) {
  std::vector<EntryRecord> out;
  LCB_RETURN_IF_ERROR(records_->RecordsInEntries(from, to, [&](uint64_t leaf, const Record& r) {
    out.push_back(EntryRecord{leaf, r.learner, StatsFactsOf(r), StatsCounts(r)});
  }));
  return out;
}

Status StatsService::AddEntries(const std::vector<EntryRecord>& records, uint64_t to) {
  // A learner read (Reload) at or after a record's leaf counts it already; one not known here
  // is reloaded whole.
  std::unordered_map<std::string, std::vector<StatsRecordFacts>> added;
  std::unordered_set<std::string> unknown;
  for (const EntryRecord& r : records) {
    const std::optional<uint64_t> read_to = aggregates_->ReadTo(r.learner);
    if (!read_to) {
      unknown.insert(r.learner);
    } else if (r.leaf >= *read_to && r.counted) {
      added[r.learner].push_back(r.facts);
    }
  }
  aggregates_->AddAll(added, to);
  entries_read_to_ = to;
  for (auto it = unknown.begin(); it != unknown.end(); ++it) {
    Status s = Reload(*it);
    if (!s.ok()) {
      // Not reloaded (their entries are read past now): marked, so the next request retries.
      for (; it != unknown.end(); ++it) changes_->Mark(*it);
      return s;
    }
  }
  // Complete to `to` only now that every learner met in the entries is counted.
  SetCountedTo(to);
  return Status::Ok();
}

Status StatsService::Refresh() {
  // The log's size first, then the marks: a record committed below `size` is in the entries
  // read below, whether or not its batch had marked anything yet.
  const std::optional<uint64_t> last = records_->LastLeaf();
  const uint64_t size = last ? *last + 1 : 0;
  LCB_RETURN_IF_ERROR(TakeMarks());
  // The records added since the last request, read from the log's entries (a bundle of 256 at
  // a time): O(records added), whichever learners they belong to; at most 2^16 entries held at
  // once.
  constexpr uint64_t kStep = uint64_t{1} << 16;
  while (entries_read_to_ < size) {
    const uint64_t to = std::min(size, entries_read_to_ + kStep);
    LCB_ASSIGN_OR_RETURN(std::vector<EntryRecord> records, ReadEntries(entries_read_to_, to));
    LCB_RETURN_IF_ERROR(AddEntries(records, to));
  }
  return Status::Ok();
}

void StatsService::KeeperLoop(std::chrono::milliseconds period, bool between_questions) {
  std::unique_lock<std::mutex> lock(keeper_mu_);
  while (!keeper_stop_) {
    keeper_cv_.wait_for(lock, period, [this] { return keeper_stop_; });
    if (keeper_stop_) break;
    lock.unlock();
    KeepUp(between_questions);
    lock.lock();
  }
}

void StatsService::KeepUp(bool between_questions) {
  const auto started = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!built_ || Asking(last_question_, started) == between_questions) return;
  }
  // The log's size first, then (in each step) the marks, as in Refresh.
  const std::optional<uint64_t> last = records_->LastLeaf();
  const uint64_t size = last ? *last + 1 : 0;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(keeper_mu_);
      if (keeper_stop_) return;
    }
    uint64_t from;
    {
      std::lock_guard<std::mutex> lock(mu_);
      from = entries_read_to_;
    }
    const uint64_t to = std::max(from, std::min(size, from + kKeeperStep));
    std::vector<EntryRecord> records;
    if (to > from) {
      StatusOr<std::vector<EntryRecord>> read = ReadEntries(from, to);
      if (!read.ok()) return;  // the next question brings the figures up to date itself
      records = std::move(*read);
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (entries_read_to_ != from) continue;  // a question read on meanwhile: from there
    if (!TakeMarks().ok()) return;
    if (to > from && !AddEntries(records, to).ok()) return;
    if (to >= size) {
      CaughtUpAt(started);
      keeper_passes_.fetch_add(1);
      return;
    }
  }
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
