// What the services share: where asynchronous completions run, the counters /metrics shows,
// and which learners' data changed (for the read caches).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace lcb {

// Runs a closure somewhere else (a worker pool). Ledger completions arrive on the single
// log-writer thread and must hand their work over at once.
using Executor = std::function<void(std::function<void()>)>;

// Counters exported on /metrics.
struct ServiceCounters {
  std::atomic<uint64_t> records_ingested{0};
  std::atomic<uint64_t> records_rejected{0};
  std::atomic<uint64_t> conversions_evaluated{0};
  std::atomic<uint64_t> conversions_applied{0};
};

// A generation per learner (striped by a hash of the id), bumped after a write that touches
// the learner is durable (or failed). A cache of data derived from a learner's records keeps
// the generation it read and is used only while that generation is unchanged.
// Thread-safe.
class LearnerGenerations {
 public:
  uint64_t Of(const std::string& learner) const { return Slot(learner).load(); }
  void Touch(const std::string& learner) { Slot(learner).fetch_add(1); }
  // Every learner (another node wrote to the shared store: which learners is not known here).
  void TouchAll() {
    for (size_t i = 0; i < kStripes; ++i) stripes_[i].fetch_add(1, std::memory_order_relaxed);
  }

 private:
  static constexpr size_t kStripes = 1 << 16;
  std::atomic<uint64_t>& Slot(const std::string& learner) const {
    return stripes_[std::hash<std::string>()(learner) % kStripes];
  }
  std::unique_ptr<std::atomic<uint64_t>[]> stripes_ { new std::atomic<uint64_t>[ kStripes ]() };
};

}  // namespace lcb
