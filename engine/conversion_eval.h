// Internal to the engine: the steps of one conversion evaluation (conversion.h states the
// semantics, the tie order and the reason codes these steps implement).
//
// Evaluate sorts the records by id into EvalScratch::Impl::sorted, then runs the steps of an
// Evaluation in order; each step reads what the earlier ones left in the scratch:
//   record side (conversion_records.cc)
//     1 ClassifyRecords      status at as_of: eligible, revoked, too_old, below_min_grade
//     2 MatchRecords         per eligible record, the sources it matches after the rules'
//                            own min_grade / max_age_years (its "hits")
//     3 AssignCapGroups      the limited cap group of each record with hits, per family;
//                            groups that cannot bind left out (DropGroupsThatCannotBind);
//                            groups numbered in (family, key) order
//     4 FormClasses          interchangeable records (same hits, same groups) merged into
//                            classes, ranked by their smallest id
//     5 MapSourcesToClasses  per matched source ("slot") its classes; the rules touched
//   candidates (conversion_candidates.cc)
//     6 EnumerateCandidates  per rule whose every source matched, tuples of classes
//     7 OrderCandidates      the tie order: grant desc, requirement, rule, tuple
//     8 BuildProblem         the solver's Problem (engine/solver.h)
//   result (conversion_result.cc), after the solver ran
//     9 HandOutRecords       records to applications, smallest id first; requirement list
//       RuleLevelBound       the upper bound when enumeration was cut short
//    10 ExplainUnused        one reason per unused record
//
// Memory: every buffer lives in the scratch and is reused across calls, so an evaluation
// allocates only for its result (and, past the enumeration limits, for RuleLevelBound).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/credits.h"
#include "common/date.h"
#include "engine/conversion.h"
#include "engine/model.h"
#include "engine/ruleset_index.h"
#include "engine/solver.h"

namespace lcb {
namespace conversion_internal {

constexpr uint32_t kNone = 0xFFFFFFFFu;
// Candidate enumeration limits for n:1 rules (distinct tuples of record groups). Hitting
// either makes the answer non-optimal unless the bound still proves it. A rule cut at 128
// tuples is enumerated again with 1,024 when the evaluation has at most 1,024 candidates: a
// three-MOOC rule over twelve MOOCs each matched by a rule of its own (twelve classes, 220
// tuples) was cut at 128 and granted 7 of 12 credits; on large adversarial rulesets the wider
// limit everywhere spent the solver's budget and did worse.
constexpr size_t kMaxTuplesPerRule = 128;
constexpr size_t kMaxTuplesPerRuleWidened = 1024;
constexpr size_t kWidenBelowCandidates = 1024;
constexpr size_t kWidenedMaxCandidates = 2048;  // a wider pass past this is not kept
constexpr size_t kMaxCandidates = 8192;
constexpr size_t kGroupTableMask = 1023;  // (family, key) -> group table of 1024 slots

enum RecordStatus : uint8_t {
  kEligible = 0,
  kRevoked,
  kTooOld,
  kBelowMinGrade,
};

enum RecordFlags : uint8_t {
  kPatternMatched = 1,  // some rule source's pattern matched the record
  kGradeOk = 2,         // ... and that rule's min_grade accepted it
};

// A small open-addressing map from uint32 keys to uint32 values, sized per evaluation to
// the number of matches (so scratch memory does not grow with the ruleset).
class U32Map {
 public:
  void Reset(size_t expected) {
    size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;
    if (slots_.size() < cap) {
      slots_.assign(cap, 0);
    } else {
      std::fill(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(cap), 0);
    }
    mask_ = cap - 1;
  }
  uint32_t Find(uint32_t key) const {
    for (size_t i = Hash(key);; i = (i + 1) & mask_) {
      const uint64_t e = slots_[i];
      if (e == 0) return kNone;
      if (static_cast<uint32_t>(e >> 32) == key + 1) return static_cast<uint32_t>(e);
    }
  }
  // Inserts key -> value unless present; returns the value stored for key.
  uint32_t Insert(uint32_t key, uint32_t value) {
    for (size_t i = Hash(key);; i = (i + 1) & mask_) {
      const uint64_t e = slots_[i];
      if (e == 0) {
        slots_[i] = (static_cast<uint64_t>(key + 1) << 32) | value;
        return value;
      }
      if (static_cast<uint32_t>(e >> 32) == key + 1) return static_cast<uint32_t>(e);
    }
  }

 private:
  size_t Hash(uint32_t key) const { return (key * 0x9E3779B1u >> 7) & mask_; }
  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
};

// A limited cap group: one key (kind, issuer or year) of one cap family.
struct GroupInfo {
  uint32_t family;
  int key_int;                // kind or year
  const std::string* issuer;  // for issuer caps
  Centi limit;
  int32_t count;
};

// A candidate before ordering: a rule and its tuple of classes (in raw_tuple).
struct RawCandidate {
  uint32_t rule;
  uint32_t tuple_begin;
};

}  // namespace conversion_internal

struct EvalScratch::Impl {
  using GroupInfo = conversion_internal::GroupInfo;
  using U32Map = conversion_internal::U32Map;
  static constexpr size_t kGroupSlots = conversion_internal::kGroupTableMask + 1;

  std::vector<const Record*> sorted;  // the records by id; index = rank
  std::vector<uint8_t> status;        // rank -> RecordStatus
  std::vector<uint8_t> flags;         // rank -> RecordFlags
  std::vector<uint32_t> hit_begin;    // per rank, n + 1
  std::vector<uint32_t> hits;         // source numbers
  std::array<Days, 256> age_threshold{};
  std::array<uint32_t, 256> age_stamp{};
  // Groups.
  std::vector<GroupInfo> groups, groups_tmp;
  std::vector<uint32_t> group_stamp = std::vector<uint32_t>(kGroupSlots, 0);
  std::vector<uint32_t> group_slot = std::vector<uint32_t>(kGroupSlots, 0);
  std::vector<uint32_t> rec_groups;  // rank * families + f -> group or kNone
  std::vector<uint32_t> group_rank;
  std::vector<int64_t> group_members;  // records with hits per group (DropGroupsThatCannotBind)
  std::vector<Centi> group_max_grant;
  // Classes.
  std::vector<uint64_t> sig;
  std::vector<uint32_t> by_sig;
  std::vector<uint32_t> rec_class;  // rank -> class or kNone
  std::vector<uint32_t> class_leader;
  std::vector<uint32_t> class_begin, class_members, class_next;
  // Slots (matched sources).
  uint32_t epoch = 0;
  U32Map src_slot;   // matched source -> slot
  U32Map rule_seen;  // rules with a matched source
  std::vector<uint32_t> slot_source;
  std::vector<std::pair<uint32_t, uint32_t>> slot_pairs;  // (slot, class)
  std::vector<uint32_t> slot_begin, slot_classes;
  std::vector<uint32_t> rules;
  // Candidates before sorting.
  std::vector<conversion_internal::RawCandidate> raw;
  std::vector<uint32_t> raw_tuple;
  std::vector<uint32_t> perm;
  std::vector<int32_t> used_tmp;
  std::vector<uint32_t> tuple_tmp, multiset_tmp, ms_index;
  // Sorted candidates.
  std::vector<uint32_t> cand_rule, cand_tuple_begin, cand_tuple;
  std::vector<uint32_t> first_cand;  // class -> first candidate containing it
  std::vector<uint8_t> used;
  solver::Problem problem;
  solver::Solver solver;
};

namespace conversion_internal {

using Impl = EvalScratch::Impl;

// One evaluation of `m.sorted` against `rs` at `as_of`. Holds only references and sizes;
// the state is in the scratch. Call the steps in the order declared.
class Evaluation {
 public:
  Evaluation(const CompiledRuleset& rs, Days as_of, Impl& m);

  // ---- Record side (conversion_records.cc) ------------------------------------------------
  void ClassifyRecords();
  void MatchRecords();
  void AssignCapGroups();
  void FormClasses();
  void MapSourcesToClasses();

  // ---- Candidates (conversion_candidates.cc) ----------------------------------------------
  // Returns false when a per-rule or per-evaluation limit cut enumeration short.
  bool EnumerateCandidates();
  bool EnumerateCandidatesOnce();
  void OrderCandidates();
  void BuildProblem();

  // ---- Result (conversion_result.cc), after m.solver solved m.problem ---------------------
  void HandOutRecords(ConversionResult* out);
  // An upper bound from rules and record classes alone (valid when enumeration was cut
  // short, unlike the solver's).
  Centi RuleLevelBound() const;
  void ExplainUnused(ConversionResult* out);

 private:
  // Step 2.
  uint8_t MatchRecord(const Record& rec);
  Days AgeThreshold(int years);
  // Step 3.
  uint32_t FindOrAddGroup(size_t f, const Record& rec, int key_int, Centi limit, int32_t count);
  bool IsGroupOf(const GroupInfo& g, size_t f, const Record& rec, int key_int) const;
  void DropGroupsThatCannotBind();
  void SortGroups();
  // Step 4.
  void SignRecords();
  void PickClassLeaders();
  bool SameSignature(uint32_t a, uint32_t b) const;
  void NumberClasses();
  void LayOutClasses();
  // Step 6.
  bool SlotsOfRule(uint32_t rule, uint32_t* slots) const;
  bool EmitSingleSourceTuples(uint32_t slot);
  bool EmitMultiSourceTuples(const uint32_t* slots, uint32_t k);
  void DropRepeatedMultisets(size_t tuples_at, uint32_t k);
  // Step 8.
  void AddRowsAndGroups();
  void AddCandidate(const RawCandidate& rc);
  void AddClassMultiplicities(const uint32_t* tuple, uint32_t k, solver::Candidate* c);
  void AddCandidateGroups(solver::Candidate* c);
  // Bound and step 10.
  bool RuleIsViable(uint32_t rule) const;
  Centi CapFamilyBound(size_t f, const std::vector<int64_t>& cls_best, Centi max_grant,
                       std::vector<uint8_t>* seen) const;
  void AssignReason(size_t r, const std::vector<uint32_t>& first_cand, std::string* reason) const;
  bool CapBlocks(const solver::Candidate& c, std::string* reason) const;

  const CompiledRuleset& rs_;
  const Program& prog_;
  Impl& m_;
  const Days as_of_;
  const size_t n_;     // records
  const size_t nfam_;  // cap families
  uint32_t epoch_ = 0;
  size_t tuple_limit_ = kMaxTuplesPerRule;  // per rule, in this enumeration
  bool cut_ = false;                        // the last enumeration left tuples out
};

// Sorts a run of integers ascending: a record's matched sources (usually 0-3, hundreds when
// every pattern rule matches, as in the adversarial workload), a tuple's classes (at most
// kMaxRuleSources), a candidate's cap groups (at most sources x families). Equal integers
// are indistinguishable, so any correct sort gives the same bytes. Short runs are
// insertion-sorted inline: std::sort runs out of line with introsort set-up, and even
// called only for runs of two or more it cost ~1.8k more instructions per evaluation of the
// typical mix (+0.8 %; +1.8 % for the greedy pass; callgrind, benchmarks/README.md). Long
// runs go to std::sort: insertion sort is quadratic there.
inline void SortRun(uint32_t* first, uint32_t* last) {
  constexpr ptrdiff_t kInsertionSortMax = 16;
  if (last - first > kInsertionSortMax) {
    std::sort(first, last);
    return;
  }
  for (uint32_t* i = first + (first != last); i < last; ++i) {
    const uint32_t v = *i;
    uint32_t* k = i;
    for (; k > first && k[-1] > v; --k) *k = k[-1];
    *k = v;
  }
}

}  // namespace conversion_internal
}  // namespace lcb
