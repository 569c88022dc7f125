// Conversions: evaluate a learner's records against a program's published ruleset (the exact
// solver of engine/conversion.h), apply a decision (logged as a "conversion" entry and
// indexed in kConversions), and what-if across many programs.
//
// Thread-safe. The solver's buffers are reused per thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/conversion.h"
#include "service/context.h"
#include "service/learner_changes.h"
#include "service/learners.h"
#include "service/records.h"
#include "service/rulesets.h"

namespace lcb {

struct AppliedConversion {
  std::string id;
  ConversionResult result;
  Receipt receipt;
};

// An applied conversion as the log holds it.
struct StoredConversion {
  std::string id;
  std::string learner;
  uint64_t leaf_index = 0;
  std::string entry_bytes;  // the "conversion" entry, exactly as hashed (JCS)
};

struct ConversionPage {
  std::vector<StoredConversion> conversions;  // oldest first
  std::string next_cursor;                    // empty on the last page
};

struct WhatIfProgram {
  WhatIfEntry entry;
  std::string title;  // the program's title, when the catalog has it
};

struct WhatIfReport {
  std::vector<WhatIfProgram> results;  // ranked by granted, then program id
  size_t programs_evaluated = 0;
};

class ConversionService {
 public:
  ConversionService(CatalogService* catalog, LearnerService* learners, RecordService* records,
                    RulesetService* rulesets, LogService* log, Kv* kv, ServiceCounters* counters)
      : catalog_(catalog),
        learners_(learners),
        records_(records),
        rulesets_(rulesets),
        log_(log),
        kv_(kv),
        counters_(counters) {}
  void SetExecutor(Executor post) { post_ = std::move(post); }
  // Marked with the learner of every durable conversion (for the statistics); none by default.
  void SetChanges(LearnerChanges* changes) { changes_ = changes; }

  // `program_used`, when given, receives the program as evaluated (the catalog's, now).
  StatusOr<ConversionResult> Evaluate(const std::string& learner, const std::string& program,
                                      Days as_of, Program* program_used = nullptr);
  // Evaluates, then appends the decision to the log; `done` runs once it is durable. The entry
  // holds the program as evaluated and the result without its `unused` list (its count only:
  // the reasons follow from the records, the ruleset and that program), so that its size is
  // bounded by the program, not by the learner's records.
  void Apply(const std::string& learner, const std::string& program, Days as_of,
             const Principal& by, std::function<void(StatusOr<AppliedConversion>)> done);
  // `programs` empty: every program with a published ruleset (unknown ones skipped); else
  // exactly those (one without a ruleset is InvalidArgument at /programs).
  StatusOr<WhatIfReport> WhatIf(const std::string& learner,
                                const std::vector<std::string>& programs, Days as_of, size_t limit);

  // An applied conversion by id: NotFound for an unknown id or the id of another kind of entry.
  StatusOr<StoredConversion> Read(const std::string& id);
  // The learner's applied conversions in log order, `limit` at a time after `cursor` (from an
  // earlier page; InvalidArgument at /cursor for one this API did not make). O(limit) reads.
  StatusOr<ConversionPage> List(const std::string& learner, const std::string& cursor,
                                size_t limit);

 private:
  CatalogService* catalog_;
  LearnerService* learners_;
  RecordService* records_;
  RulesetService* rulesets_;
  LogService* log_;
  Kv* kv_;
  ServiceCounters* counters_;
  Executor post_ = [](std::function<void()> f) { f(); };
  LearnerChanges* changes_ = nullptr;
};

}  // namespace lcb
