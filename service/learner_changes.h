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
// Thread-safe; Mark and MarkAll are one short critical section each (set inserts).
#pragma once

#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

namespace lcb {

class LearnerChanges {
 public:
  void Mark(const std::string& learner) {
    std::lock_guard<std::mutex> lock(mu_);
    if (tracking_) changed_.insert(learner);
  }
  // Mark for each of a batch's learners, under one lock (the ingestion path marks per batch).
  void MarkAll(const std::vector<std::string>& learners) {
    std::lock_guard<std::mutex> lock(mu_);
    if (tracking_) changed_.insert(learners.begin(), learners.end());
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
  std::vector<std::string> Take() {
    std::unordered_set<std::string> taken;
    {
      std::lock_guard<std::mutex> lock(mu_);
      taken.swap(changed_);
    }
    return std::vector<std::string>(taken.begin(), taken.end());
  }

 private:
  std::mutex mu_;
  bool tracking_ = false;
  std::unordered_set<std::string> changed_;
};

}  // namespace lcb
