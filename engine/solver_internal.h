// Internal to the solver (engine/solver*.cc): tuning constants and the two operations every
// part of the search runs per candidate, inline so that the greedy pass, the bound and the
// search loop each compile them into their own loops.
//
// The solver's code is split by concern:
//   solver.cc         Problem, presolve, the top-level steps (greedy, root bound, components,
//                     joint or per-component search, greedy completion)
//   solver_bound.cc   upper bounds: combinatorial, Lagrangian, subset sum
//   solver_search.cc  the LP relaxation that tunes the Lagrangian multipliers, and the
//                     depth-first branch and bound
#pragma once

#include <algorithm>
#include <cstdint>

#include "engine/solver.h"

namespace lcb::solver {

constexpr uint32_t kNoIndex = 0xFFFFFFFFu;
constexpr int64_t kLagScale = int64_t{1} << 20;  // fixed point of the Lagrangian multipliers
constexpr int kRootLpPivots = 300;
// The root LP is skipped when its dense tableau would exceed this many cells.
constexpr size_t kMaxLpCells = 20000;

// How many more copies of candidate j fit the residual state (0 if none).
inline int32_t Solver::MaxCount(uint32_t j) const {
  const Problem& p = *p_;
  const Candidate& c = p.cands[j];
  const Centi g = c.grant;
  if (c.static_max == 0 || req_rem_[c.req] < g || t_rem_ < g) return 0;
  const uint32_t* cls = p.cand_class.data();
  const int32_t* mult = p.cand_mult.data();
  for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
    if (class_rem_[cls[i]] < mult[i]) return 0;
  }
  const uint32_t* grp = p.cand_group.data();
  for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
    if (group_rem_[grp[i]] < g || group_cnt_[grp[i]] < 1) return 0;
  }
  if (c.static_max == 1) return 1;
  int64_t k = c.static_max;
  k = std::min<int64_t>(k, t_rem_ / g);
  k = std::min<int64_t>(k, req_rem_[c.req] / g);
  for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
    k = std::min<int64_t>(k, class_rem_[cls[i]] / mult[i]);
  }
  for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
    k = std::min<int64_t>(k, group_rem_[grp[i]] / g);
    k = std::min<int64_t>(k, group_cnt_[grp[i]]);
  }
  return static_cast<int32_t>(k);
}

// Takes k more copies of candidate j (k < 0 gives them back).
inline void Solver::Apply(uint32_t j, int32_t k) {
  const Problem& p = *p_;
  const Candidate& c = p.cands[j];
  const Centi gk = c.grant * k;
  if (p.req_is_course[c.req]) {
    req_rem_[c.req] = k > 0 ? 0 : kUnlimited;
  } else {
    req_rem_[c.req] -= gk;
  }
  t_rem_ -= gk;
  for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
    class_rem_[p.cand_class[i]] -= p.cand_mult[i] * k;
  }
  for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
    group_rem_[p.cand_group[i]] -= gk;
    group_cnt_[p.cand_group[i]] -= k;
  }
}

}  // namespace lcb::solver
