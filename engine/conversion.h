// Conversion: which of a learner's records count toward a program, and for how much.
// Implements DESIGN.md "Conversion semantics" over a CompiledRuleset. No I/O, no JSON.
//
// Evaluate(ruleset, records, as_of):
//  1. Status of each record at as_of, checked in this order (the first failing check is the
//     record's reason):  revoked -> `revoked`;  expired (expires_on <= as_of) or completed
//     after as_of -> `too_old` (outside its time window);  a failing grade (below its scale's
//     pass mark: !passing) or a grade below the policy's min_grade -> `below_min_grade`;
//     completed_on < AddYears(as_of, -policy.max_age_years)
//     -> `too_old`.  The rest are *eligible*.
//  2. Candidate applications: a rule plus DISTINCT eligible records, one per source, each
//     matching its source's pattern and the rule's own min_grade / max_age_years.
//  3. The selection maximizing the total grant subject to: each record used once; each
//     course requirement at most once; each pool's sum <= its credits; total <= transfer
//     cap; every cap group (an application counts in full toward the group of each distinct
//     kind / issuer / completion year among its records; limit = limits[key] or
//     default_limit; max_count[key] bounds the number of applications) within its limits.
//     The result is the TRUE optimum (engine/solver.h), unless the work budget runs out, in
//     which case optimal = false and upper_bound is a proven bound (never silently).
//
// Tie order (deterministic, independent of the order of `records`):
//   - Records are ranked by id (byte order). Records that match exactly the same rule
//     sources and fall into the same limited cap groups are interchangeable; they form a
//     group ranked by its smallest id.
//   - Candidate applications are ordered by: grant descending; requirement order in the
//     program; rule order in the ruleset; then the tuple of record groups in the rule's
//     source order (by group rank). A rule applies to a pool as often as it has records.
//   - Among all optimal selections the one chosen includes earlier candidates whenever that
//     does not lower the total (lexicographically greatest count vector in that order; for
//     a plain instance this is "the greedy choice unless it costs credits").
//   - Within a group, records are handed out smallest id first, to applications in
//     candidate order. Applications are listed per requirement in candidate order.
//
// Reasons for unused records (each unused record gets exactly one; `unused` is sorted by
// record id):
//   revoked, too_old, below_min_grade   from step 1;
//   for an eligible record in no candidate: no pattern of any rule matches it -> `no_rule`;
//     patterns match but every such rule's min_grade rejects it -> `below_min_grade`;
//     else every such rule's max_age_years rejects it -> `too_old`; else (the rule's other
//     sources cannot be filled with distinct records) -> `no_rule`;
//   for an eligible record in some candidate: its best candidate (the first in candidate
//     order that contains its group) is checked against the final selection, in this
//     order: another record it needs is used -> `used_elsewhere`; the target course is
//     filled or the pool has less room than the grant -> `requirement_full`; a cap group
//     (families in policy order; kinds in UnitKind order, issuers in byte order, years
//     ascending) lacks room or count ->
//     `cap:<by>:<key>` (e.g. `cap:kind:mooc`, `cap:issuer:tsinghua`, `cap:year:2024`);
//     the transfer cap lacks room -> `transfer_cap`.
//
// Limits: an n:1 rule contributes at most 128 tuples of record groups (1,024 when the
// evaluation then has at most 1,024 candidates, and stays at most 2,048 with the wider limit) and
// one evaluation at most 8,192 candidates (only adversarial inputs get there); past that the answer
// is claimed optimal only if rule-level bounds prove it, and a record reachable only through an
// omitted tuple is reported `no_rule`. Record ids are expected to be unique.
//
// Thread safety: a CompiledRuleset is read-only and shared; an EvalScratch is one thread's.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/credits.h"
#include "common/date.h"
#include "engine/model.h"
#include "engine/ruleset_index.h"

namespace lcb {

struct ConversionApplication {
  std::string rule;                  // rule id
  std::vector<std::string> records;  // record ids, in the rule's source order
  Centi credits = 0;                 // the rule's grant
};

struct RequirementConversion {
  std::string id;
  Centi granted = 0;
  std::vector<ConversionApplication> applications;
};

struct UnusedRecord {
  std::string record;
  std::string reason;  // no_rule, below_min_grade, too_old, revoked, used_elsewhere,
                       // cap:<by>:<key>, requirement_full, transfer_cap
};

struct ConversionResult {
  std::string program;
  int ruleset_version = 0;
  std::string ruleset_sha256;
  Days as_of = 0;
  Centi total_credits = 0;
  Centi transfer_cap = 0;
  Centi granted = 0;
  Centi remaining = 0;  // max(0, total_credits - granted)
  bool optimal = false;
  Centi upper_bound = 0;                            // == granted when optimal
  std::vector<RequirementConversion> requirements;  // every requirement, program order
  std::vector<UnusedRecord> unused;                 // sorted by record id
  // Diagnostics (not part of the canonical form): search nodes used, candidates built.
  uint64_t nodes = 0;
  uint32_t candidates = 0;
};

struct EvalOptions {
  // Work budget. A node is one bound evaluation, charged one more per 64 candidates it
  // scans; the root LP is charged by tableau cells x pivots / 4096. The typical workload
  // (benchmarks/README.md) needs 19 on average and at most ~120; the adversarial one
  // (200 records x 100 requirements) stops at this budget in about 10 ms, with
  // optimal = false and a proven upper_bound.
  static constexpr uint64_t kDefaultMaxNodes = 10000;
  uint64_t max_nodes = kDefaultMaxNodes;
};

// Reusable buffers for Evaluate (not thread-safe; keep one per thread). Passing one avoids
// all per-call allocation except the result itself.
class EvalScratch {
 public:
  EvalScratch();
  ~EvalScratch();
  EvalScratch(const EvalScratch&) = delete;
  EvalScratch& operator=(const EvalScratch&) = delete;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

ConversionResult Evaluate(const CompiledRuleset& ruleset, std::span<const Record> records,
                          Days as_of, const EvalOptions& options = {},
                          EvalScratch* scratch = nullptr);

// Plain greedy (candidates in tie order, each taken as often as it fits). For benchmarks and
// tests only: it shows what optimality costs and where greedy loses credits. optimal is
// always false; upper_bound is the transfer cap.
ConversionResult EvaluateGreedy(const CompiledRuleset& ruleset, std::span<const Record> records,
                                Days as_of, const EvalOptions& options = {},
                                EvalScratch* scratch = nullptr);

struct WhatIfEntry {
  std::string program;
  int ruleset_version = 0;
  Centi total_credits = 0;
  Centi transfer_cap = 0;
  Centi granted = 0;
  Centi remaining = 0;
  bool optimal = false;
};

// Evaluates the records against every ruleset and returns the best `limit` programs ranked
// by granted descending, then program id ascending.
std::vector<WhatIfEntry> WhatIf(std::span<const std::shared_ptr<const CompiledRuleset>> rulesets,
                                std::span<const Record> records, Days as_of, size_t limit,
                                const EvalOptions& options = {}, EvalScratch* scratch = nullptr);

// A canonical, byte-stable rendering of everything in a result except the diagnostics
// (used by tests to compare results; not a wire format).
std::string CanonicalString(const ConversionResult& result);

}  // namespace lcb
