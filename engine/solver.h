// The packing solver behind Evaluate: an exact branch and bound over candidate applications.
// Internal to the engine (conversion.cc builds a Problem from a learner's records and a
// CompiledRuleset); kept separate so it can be tested and benchmarked on its own.
//
// Model. Records that are interchangeable (same matched rule sources, same limited cap
// groups) are merged into a *class* with a size. A candidate is one rule applied to a tuple
// of classes (one per source; a class may fill several sources if it has enough records).
// Choose an integer count x_j >= 0 per candidate maximizing sum(grant_j * x_j) subject to:
//   class c:        sum_j mult_jc * x_j <= size_c             (each record used at most once)
//   course req q:   sum_{j -> q} x_j <= 1
//   pool req q:     sum_{j -> q} grant_j * x_j <= capacity_q
//   transfer cap:   sum_j grant_j * x_j <= transfer_cap
//   group g:        sum_{j touches g} grant_j * x_j <= limit_g and sum x_j <= count_g
//
// Tie order. Candidates arrive in the caller's tie order. Among all optimal selections the
// solver returns the one whose count vector is lexicographically greatest in that order: it
// includes an earlier candidate (as many times as possible) whenever that does not lower the
// total. The first leaf of the depth-first search (include-first, counts high to low) is the
// greedy selection; a subtree is pruned only when its upper bound is <= the incumbent, and
// the incumbent is replaced only by a strictly better one, so the first optimum found is
// the lexicographically greatest.
//
// Search.
//  1. Presolve: a class or cap group whose capacity exceeds what every candidate touching
//     it could ever take (and that no pool candidate touches, so it never bounds a count)
//     is dropped; candidates then only carry rows that can bind.
//  2. Greedy (candidates in tie order, each as often as it fits): the first DFS leaf.
//  3. Root bound = min of: transfer-cap room; per requirement its best remaining grant
//     (course) or min(room, remaining sum) (pool); per cap family the sum over its groups
//     of min(room, remaining grants, count room * max grant); the per-record bound (each
//     record worth at most grant/records of its best remaining candidate); rounded down to
//     the gcd of the grants; and, when T or a pool can bind and the numbers are small
//     (<= kKnapBits multiples of the gcd), the largest total reachable under the
//     requirement structure (multiple-choice subset sum per course, bounded subset sum
//     per pool). Greedy meeting it is optimal (the common case).
//  4. Otherwise candidates are split into independent components (no shared binding class,
//     requirement or binding group; only when the transfer cap cannot bind across them).
//     Per component still open: a second greedy (by grant per record) may raise the
//     starting point; the LP relaxation is solved (dense simplex, small components only)
//     and its duals become Lagrangian multipliers for the class, group and transfer-cap
//     rows, so every later bound also includes L(u) = capacities * u + per requirement the
//     best reduced profit (exact integers, valid for any u >= 0); then depth-first search,
//     bounding after every backtrack and every fourth include, stopping as soon as the
//     incumbent meets the component's bound.
// Work is limited by Options::max_nodes (a bound evaluation costs 1 node per
// kCandidatesPerNode candidates it scans, the LP 1 node per 4096 tableau cells per pivot);
// when it runs out the best selection found is completed greedily and returned with
// optimal = false and a valid upper bound (the largest bound among the unexplored nodes).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/credits.h"

namespace lcb::solver {

constexpr Centi kUnlimited = INT64_MAX / 4;
constexpr int32_t kUnlimitedCount = INT32_MAX / 4;
// Per-record values are scaled by lcm(1..8) so the per-record bound stays in integers.
constexpr int64_t kValueScale = 840;
constexpr int kKnapBits = 2048;
// Work accounting: a bound evaluation costs one node plus one per this many candidates it
// scans, so Options::max_nodes bounds time, not just tree size.
constexpr size_t kCandidatesPerNode = 64;

struct Candidate {
  Centi grant = 0;
  uint32_t req = 0;
  uint32_t class_begin = 0, class_end = 0;  // into Problem::cand_class / cand_mult
  uint32_t group_begin = 0, group_end = 0;  // into Problem::cand_group
  int32_t static_max = 1;                   // most copies ever possible (1 for a course)
  uint32_t family_mask = 0;                 // families in which it touches a limited group
  int64_t unit_value = 0;                   // grant * kValueScale / records
};

struct Problem {
  Centi transfer_cap = kUnlimited;
  std::vector<uint8_t> req_is_course;
  std::vector<Centi> req_capacity;  // pool credits (ignored for courses)
  std::vector<int32_t> class_size;
  std::vector<Centi> group_limit;     // kUnlimited when only a count applies
  std::vector<int32_t> group_count;   // kUnlimitedCount when only a limit applies
  std::vector<uint8_t> group_family;  // < 32
  std::vector<Candidate> cands;       // in tie order
  std::vector<uint32_t> cand_class;
  std::vector<int32_t> cand_mult;
  std::vector<uint32_t> cand_group;

  void Clear();
  // Fills static_max, family_mask and unit_value from the other fields.
  void Finish();
};

struct Options {
  uint64_t max_nodes = 0;
  bool greedy_only = false;
};

struct Stats {
  uint64_t nodes = 0;
  uint32_t components = 0;
  bool aborted = false;
};

// Reusable solver (buffers survive between calls; not thread-safe: one per thread).
class Solver {
 public:
  // Solves `p`. Afterwards count(), value(), upper_bound(), optimal() describe the selection
  // and the residual accessors describe the state once it is applied.
  void Solve(const Problem& p, const Options& options);

  const std::vector<int32_t>& count() const { return best_count_; }
  Centi value() const { return value_; }
  Centi upper_bound() const { return upper_bound_; }
  bool optimal() const { return optimal_; }
  const Stats& stats() const { return stats_; }

  // Residual capacities after applying the selection.
  int32_t class_room(uint32_t c) const { return class_rem_[c]; }
  bool req_open(uint32_t q) const;  // course not filled / pool has any room
  Centi req_room(uint32_t q) const { return req_rem_[q]; }
  Centi group_room(uint32_t g) const { return group_rem_[g]; }
  int32_t group_count_room(uint32_t g) const { return group_cnt_[g]; }
  Centi transfer_room() const { return t_rem_; }

 private:
  struct BoundTally;
  struct SearchState;

  // ---- Top-level steps (solver.cc) ------------------------------------------------------
  void MeasureDemand(const Problem& orig);
  void BuildReduced(const Problem& orig);
  void SolveReduced(const Problem& p, const Options& options);
  void ResetResidual(const Problem& p);
  void SizeBoundScratch();
  void ResetMultipliers();
  void ApplyCounts(std::span<const uint32_t> order, const std::vector<int32_t>& counts,
                   int32_t sign);
  Centi SelectionValue(std::span<const uint32_t> order) const;
  Centi GrantGcd(std::span<const uint32_t> order) const;
  Centi Greedy(std::span<const uint32_t> order, std::vector<int32_t>* counts);
  Centi GreedyByUnitValue(std::span<const uint32_t> all);
  void SearchJointly(Centi greedy, Centi root_ub, Centi gcd);
  void SearchComponents(uint32_t comps);
  void CompleteSelection();
  uint32_t FindComponents();
  uint32_t FindRoot(uint32_t x);
  void UniteWithFirst(uint32_t row, uint32_t j);
  void UniteByBindingGroups();
  uint32_t NumberComponents();
  std::span<const uint32_t> ComponentOrder(uint32_t c) const;
  bool MustSearchJointly(uint32_t comps);
  // Per candidate, in every loop of the search (solver_internal.h).
  inline int32_t MaxCount(uint32_t j) const;
  inline void Apply(uint32_t j, int32_t k);  // k may be negative (undo)
  void NextEpoch();

  // ---- Bounds (solver_bound.cc) ---------------------------------------------------------
  Centi Bound(std::span<const uint32_t> order, size_t pos, Centi need, Centi gcd);
  void TallyCandidate(uint32_t j, int32_t k, BoundTally* tally);
  void TallyRequirement(uint32_t j, int32_t k);
  void TallyGroups(const Candidate& c, int32_t k);
  void TallyClasses(const Candidate& c, int32_t k);
  Centi CombinatorialBound(BoundTally* tally) const;
  __int128 LagrangianBound(const BoundTally& tally) const;
  bool PackingMayBind(const BoundTally& tally, Centi b, Centi gcd) const;
  Centi KnapBound(std::span<const uint32_t> order, size_t pos, Centi cap, Centi gcd);
  void AddCourseChoice(std::span<const uint32_t> order, const uint32_t* first, const uint32_t* last,
                       Centi gcd, size_t words);
  void AddPoolSums(std::span<const uint32_t> order, uint32_t q, const uint32_t* first,
                   const uint32_t* last, Centi cap, Centi gcd, size_t words);
  void BuildReqGroups(std::span<const uint32_t> order);

  // ---- LP and search (solver_search.cc) -------------------------------------------------
  // Lagrangian multipliers for the class, group and transfer-cap rows: the duals of the LP
  // relaxation at the current node (floating point only steers them; bounds are evaluated
  // with their fixed-point values in exact integer arithmetic, so they are always valid).
  void TuneMultipliers(std::span<const uint32_t> order, size_t pos, Centi lower, int iters);
  int NumberLpRows(std::span<const uint32_t> cols);
  void FillLpTableau(std::span<const uint32_t> cols, int m, int t_row);
  void SetMultipliers(int t_row);
  // Depth-first search of one component starting from the empty state (relative to the
  // current state). Returns the component's upper bound; best_count_ holds its best.
  Centi Search(std::span<const uint32_t> order, Centi incumbent, Centi root_ub, Centi gcd);
  Centi SearchWithLp(std::span<const uint32_t> order, Centi incumbent, Centi root_ub, Centi gcd);
  void Descend(std::span<const uint32_t> order, Centi root_ub, Centi gcd, SearchState* st);
  bool Backtrack(std::span<const uint32_t> order, SearchState* st);
  void UnwindFrames(std::span<const uint32_t> order);

  const Problem* p_ = nullptr;
  Problem reduced_;  // the problem without rows that can never bind
  std::vector<int64_t> demand_, gdemand_, gcount_;
  Options options_;
  Stats stats_;
  Centi value_ = 0, upper_bound_ = 0;
  bool optimal_ = false;

  // State.
  std::vector<int32_t> class_rem_;
  std::vector<Centi> req_rem_;  // course: kUnlimited open, 0 filled; pool: room
  std::vector<Centi> group_rem_;
  std::vector<int32_t> group_cnt_;
  Centi t_rem_ = 0;
  std::vector<int32_t> cur_count_, best_count_;

  // Bound scratch (epoch-stamped, so nothing is cleared per call).
  uint32_t epoch_ = 0;
  std::vector<uint32_t> req_stamp_, grp_stamp_, cls_stamp_;
  std::vector<Centi> req_acc_, grp_sum_, grp_max_;
  std::vector<int64_t> cls_v_;
  std::vector<int64_t> cls_use_;
  std::vector<uint32_t> touched_req_, touched_grp_, touched_cls_;
  std::vector<int32_t> kcache_;
  std::vector<Centi> grp_cnt_sum_;
  // Lagrangian state: fixed-point multipliers (scale kLagScale) and reduced profits.
  bool lagrange_ = false;
  std::vector<int64_t> lag_u_, lag_y_, lag_z_;
  int64_t lag_t_ = 0;
  std::vector<int64_t> lag_profit_;       // per candidate, scaled
  std::vector<int64_t> lag_acc_;          // per requirement
  std::vector<int64_t> lag_pw_, lag_pp_;  // per pool requirement: best ratio profit/weight
  std::vector<uint32_t> row_of_cls_, row_of_req_, row_of_gl_, row_of_gc_;
  std::vector<double> lp_t_, lp_y_;
  std::vector<int> lp_basic_, lp_nonbasic_;
  std::vector<uint32_t> kstamp_;
  uint32_t all_family_mask_ = 0;
  // Per-requirement positions of the current component (for the knapsack bound).
  std::vector<uint32_t> rg_begin_, rg_pos_, rg_req_;
  const uint32_t* rg_for_ = nullptr;  // order the groups were built for (nullptr = stale)
  size_t rg_for_size_ = 0;
  std::vector<uint64_t> knap_acc_, knap_tmp_, knap_pool_;

  // Components.
  std::vector<uint32_t> uf_, comp_of_, comp_begin_, comp_order_, first_of_, comp_fill_;
  std::vector<Centi> comp_ub_;
  std::vector<uint32_t> alt_order_;
  std::vector<int32_t> alt_count_;

  struct Frame {
    uint32_t pos;
    int32_t cnt;
    Centi node_ub;
  };
  std::vector<Frame> frames_;
};

}  // namespace lcb::solver
