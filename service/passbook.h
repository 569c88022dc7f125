// The passbook (学分存折): a learner's totals by kind, level, field, issuer and year, and what
// expires soon (engine/passbook.h defines the numbers).
//
// Kept as running totals (engine PassbookTotals) so that its cost is O(records changed), never
// O(records): the totals are held in memory per learner and brought up to date in place from
// the learner's events after the last leaf they include (RecordService::Replay); expiry is
// applied when a day's passbook is asked for. They are also stored (kLearners "p/", a cache: a
// missing or unreadable row is rebuilt) after a full build and after every kPersistEvery of the
// learner's events and on a clean stop (PersistAll), so that a restart replays at most that many
// events per learner, none after a clean stop.
//
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/passbook.h"
#include "service/context.h"
#include "service/records.h"

namespace lcb {

struct PassbookView {
  std::shared_ptr<const Passbook> passbook;
  Days as_of = 0;
  // Changes whenever the passbook may have changed: a renderer may cache its output under
  // (learner, version, as_of).
  uint64_t version = 0;
};

class PassbookService {
 public:
  PassbookService(RecordService* records, LearnerService* learners, Kv* kv,
                  LearnerGenerations* generations)
      : records_(records), learners_(learners), kv_(kv), generations_(generations) {}

  // NotFound for an unknown learner.
  StatusOr<PassbookView> Get(const std::string& learner, Days today);
  // Stores the totals of every learner in memory whose stored row is behind (on a clean stop, so
  // that the first reads after a restart replay nothing).
  void PersistAll();
  // Forgets every passbook held in memory (under memory pressure, or to measure the read of a
  // learner's stored totals); they are loaded again on their next read.
  void DropCache();

 private:
  // One learner's totals. `mu` serializes catching up; the passbook of `as_of` is kept.
  struct Entry {
    std::mutex mu;
    uint64_t generation = 0;
    bool loaded = false;
    std::optional<uint64_t> watermark;  // the last leaf the totals include
    std::optional<uint64_t> persisted;  // the watermark of the stored row
    uint64_t unpersisted_events = 0;    // the learner's events since that row
    PassbookTotals totals;
    Days as_of = -1;
    std::shared_ptr<const Passbook> passbook;
  };
  static constexpr uint64_t kPersistEvery = 256;  // events between stored rows

  std::shared_ptr<Entry> EntryOf(const std::string& learner);
  Status CatchUp(const std::string& learner, Entry& e);
  void LoadStored(const std::string& learner, Entry& e);
  void Persist(const std::string& learner, Entry& e);

  RecordService* records_;
  LearnerService* learners_;
  Kv* kv_;
  LearnerGenerations* generations_;

  static constexpr size_t kMaxCached = 100'000;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> cache_;
};

}  // namespace lcb
