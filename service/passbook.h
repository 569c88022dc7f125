// The passbook (学分存折): a learner's totals by kind, level, field, issuer and year, and what
// expires soon (engine/passbook.h defines the numbers). Cached per learner until its records
// change or the day turns.
//
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
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
  PassbookService(RecordService* records, LearnerService* learners, LearnerGenerations* generations)
      : records_(records), learners_(learners), generations_(generations) {}

  // NotFound for an unknown learner.
  StatusOr<PassbookView> Get(const std::string& learner, Days today);

 private:
  RecordService* records_;
  LearnerService* learners_;
  LearnerGenerations* generations_;
  static constexpr size_t kMaxCached = 200'000;
  std::mutex mu_;
  std::unordered_map<std::string, PassbookView> cache_;
};

}  // namespace lcb
