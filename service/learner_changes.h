// Which learners' statistics inputs changed (a revocation of their records, their applied
// conversions, their account row) since the statistics last looked (records added are not
// marked: the statistics read them from the log's entries): the hook through which the writing
// services keep StatsService's maintained aggregates (service/stats.h) up to date.
//
// A writer calls Mark(learner) once its change is durable — after the commit, and after
// LearnerGenerations::Touch where it also touches, so that a reader finding the mark reads the
// new state. A mark is only a name: the reader reloads the learner's whole state from the
// store, so a mark that arrives late, twice or for nothing costs a reload and is never wrong.
// Until Track() is called (the first statistics request) marks are dropped: whoever starts
// tracking reads everything from the store afterwards.
//
// A new account is marked with MarkNew: its row tells the log's size read before the row was
// written (LearnerRow::logged_before), and every record of that learner lies at or above that
// leaf (a record is logged only after its learner's row is seen), so the statistics can take
// the account from its row and its records from the log's entries, instead of replaying its
// records (service/stats.cc). Any other mark of the same learner wins: it asks for the whole
// reload.
//
// Thread-safe; Mark, MarkNew and MarkAll are one short critical section each (map inserts).
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace lcb {

struct LearnerChange {
  std::string learner;
  bool created = false;  // marked only as a new account (MarkNew)
};

class LearnerChanges {
 public:
  void Mark(const std::string& learner) {
    std::lock_guard<std::mutex> lock(mu_);
    if (tracking_) changed_.insert_or_assign(learner, false);
  }
  // Mark for each of a batch's learners, under one lock (the ingestion path marks per batch).
  void MarkAll(const std::vector<std::string>& learners) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!tracking_) return;
    for (const std::string& learner : learners) changed_.insert_or_assign(learner, false);
  }
  // New accounts (once their rows are durable). Leaves any other mark of a learner as it is.
  void MarkNew(const std::vector<std::string>& learners) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!tracking_) return;
    for (const std::string& learner : learners) changed_.try_emplace(learner, true);
  }
  // From now on marks are kept until taken.
  void Track() {
    std::lock_guard<std::mutex> lock(mu_);
    tracking_ = true;
  }
  bool tracking() {
    std::lock_guard<std::mutex> lock(mu_);
    return tracking_;
  }
  // The learners marked since the last call (each once), and forgets them.
  std::vector<LearnerChange> Take() {
    std::unordered_map<std::string, bool> taken;
    {
      std::lock_guard<std::mutex> lock(mu_);
      taken.swap(changed_);
    }
    std::vector<LearnerChange> out;
    out.reserve(taken.size());
    for (auto& [learner, created] : taken) out.push_back({learner, created});
    return out;
  }

 private:
  std::mutex mu_;
  bool tracking_ = false;
  std::unordered_map<std::string, bool> changed_;  // learner -> only created
};

}  // namespace lcb
