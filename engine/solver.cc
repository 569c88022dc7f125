#include "engine/solver.h"

#include <algorithm>
#include <numeric>

#include "engine/solver_internal.h"

namespace lcb::solver {

void Problem::Clear() {
  transfer_cap = kUnlimited;
  req_is_course.clear();
  req_capacity.clear();
  class_size.clear();
  group_limit.clear();
  group_count.clear();
  group_family.clear();
  cands.clear();
  cand_class.clear();
  cand_mult.clear();
  cand_group.clear();
}

void Problem::Finish() {
  for (Candidate& c : cands) {
    const bool course = req_is_course[c.req] != 0;
    int64_t records = 0;
    c.family_mask = 0;
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      c.family_mask |= 1u << group_family[cand_group[i]];
    }
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) records += cand_mult[i];
    c.unit_value = c.grant * kValueScale / std::max<int64_t>(records, 1);
    if (c.grant <= 0 || c.grant > transfer_cap) {
      c.static_max = 0;
      continue;
    }
    if (course) {
      // At most once: feasible alone iff every row has room for one copy (no division).
      bool fits = true;
      for (uint32_t i = c.class_begin; i < c.class_end && fits; ++i) {
        fits = class_size[cand_class[i]] >= cand_mult[i];
      }
      for (uint32_t i = c.group_begin; i < c.group_end && fits; ++i) {
        fits = group_limit[cand_group[i]] >= c.grant && group_count[cand_group[i]] >= 1;
      }
      c.static_max = fits ? 1 : 0;
      continue;
    }
    int64_t smax = std::min<int64_t>(req_capacity[c.req] / c.grant, transfer_cap / c.grant);
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
      smax = std::min<int64_t>(smax, class_size[cand_class[i]] / cand_mult[i]);
    }
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      const uint32_t g = cand_group[i];
      smax = std::min<int64_t>(smax, group_limit[g] / c.grant);
      smax = std::min<int64_t>(smax, group_count[g]);
    }
    c.static_max = static_cast<int32_t>(std::clamp<int64_t>(smax, 0, kUnlimitedCount));
  }
}

bool Solver::req_open(uint32_t q) const { return req_rem_[q] > 0; }

void Solver::NextEpoch() {
  if (++epoch_ != 0) return;
  // Wrapped (after 2^32 bound evaluations on this solver): clear every stamp once.
  std::fill(req_stamp_.begin(), req_stamp_.end(), 0);
  std::fill(grp_stamp_.begin(), grp_stamp_.end(), 0);
  std::fill(cls_stamp_.begin(), cls_stamp_.end(), 0);
  std::fill(kstamp_.begin(), kstamp_.end(), 0);
  epoch_ = 1;
}

Centi Solver::Greedy(std::span<const uint32_t> order, std::vector<int32_t>* counts) {
  Centi value = 0;
  for (uint32_t j : order) {
    int32_t k = MaxCount(j);
    if (k == 0) continue;
    Apply(j, k);
    (*counts)[j] += k;
    value += p_->cands[j].grant * k;
  }
  return value;
}

// ---- Presolve -------------------------------------------------------------------------------

void Solver::Solve(const Problem& orig, const Options& options) {
  if (options.greedy_only) {
    SolveReduced(orig, options);
    return;
  }
  // Presolve: a class whose records can never run out, or a group that can never fill
  // (even if every candidate touching it took its maximum count), constrains nothing. The
  // search works on a copy without them; the residual state is then recomputed on the
  // original so that explanations see every row.
  MeasureDemand(orig);
  BuildReduced(orig);
  SolveReduced(reduced_, options);
  p_ = &orig;
  ResetResidual(orig);
  for (uint32_t j = 0; j < orig.cands.size(); ++j) {
    if (best_count_[j] != 0) Apply(j, best_count_[j]);
  }
}

// Per class, the records every candidate touching it could take at its largest count; per
// group, the credits and applications. A row touched by a pool candidate counts as
// unbounded: it may be what bounds that candidate's count (static_max), which the LP and
// the Lagrangian subproblem must still see.
void Solver::MeasureDemand(const Problem& orig) {
  constexpr int64_t kKeep = INT64_MAX / 4;
  demand_.assign(orig.class_size.size(), 0);
  gdemand_.assign(orig.group_limit.size(), 0);
  gcount_.assign(orig.group_limit.size(), 0);
  for (const Candidate& c : orig.cands) {
    const bool pool = !orig.req_is_course[c.req];
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
      int64_t& d = demand_[orig.cand_class[i]];
      d = pool ? kKeep : std::min(kKeep, d + int64_t{orig.cand_mult[i]} * c.static_max);
    }
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      const uint32_t g = orig.cand_group[i];
      gdemand_[g] = pool ? kKeep : std::min(kKeep, gdemand_[g] + c.grant * c.static_max);
      gcount_[g] = pool ? kKeep : std::min(kKeep, gcount_[g] + c.static_max);
    }
  }
}

// reduced_ = orig with each candidate's slack classes and groups left out.
void Solver::BuildReduced(const Problem& orig) {
  Problem& q = reduced_;
  q.transfer_cap = orig.transfer_cap;
  q.req_is_course.assign(orig.req_is_course.begin(), orig.req_is_course.end());
  q.req_capacity.assign(orig.req_capacity.begin(), orig.req_capacity.end());
  q.class_size.assign(orig.class_size.begin(), orig.class_size.end());
  q.group_limit.assign(orig.group_limit.begin(), orig.group_limit.end());
  q.group_count.assign(orig.group_count.begin(), orig.group_count.end());
  q.group_family.assign(orig.group_family.begin(), orig.group_family.end());
  q.cands.assign(orig.cands.begin(), orig.cands.end());
  q.cand_class.clear();
  q.cand_mult.clear();
  q.cand_group.clear();
  for (size_t j = 0; j < q.cands.size(); ++j) {
    const Candidate& oc = orig.cands[j];
    Candidate& c = q.cands[j];
    int64_t records = 0;
    c.class_begin = static_cast<uint32_t>(q.cand_class.size());
    for (uint32_t i = oc.class_begin; i < oc.class_end; ++i) {
      const uint32_t cl = orig.cand_class[i];
      if (demand_[cl] <= orig.class_size[cl]) continue;
      q.cand_class.push_back(cl);
      q.cand_mult.push_back(orig.cand_mult[i]);
      records += orig.cand_mult[i];
    }
    c.class_end = static_cast<uint32_t>(q.cand_class.size());
    c.group_begin = static_cast<uint32_t>(q.cand_group.size());
    c.family_mask = 0;
    for (uint32_t i = oc.group_begin; i < oc.group_end; ++i) {
      const uint32_t g = orig.cand_group[i];
      if (gdemand_[g] <= orig.group_limit[g] && gcount_[g] <= orig.group_count[g]) continue;
      q.cand_group.push_back(g);
      c.family_mask |= 1u << orig.group_family[g];
    }
    c.group_end = static_cast<uint32_t>(q.cand_group.size());
    // Per-record value over the records that can run out; 0 = free in the record bound.
    c.unit_value = records > 0 ? c.grant * kValueScale / records : 0;
  }
}

// ---- The search, top level ------------------------------------------------------------------

// Greedy, the root bound, then (only when they differ) a search per independent component
// or, when the transfer cap couples the components, over all of them; finally a greedy
// completion. solver.h, "Search", describes each step.
void Solver::SolveReduced(const Problem& p, const Options& options) {
  p_ = &p;
  options_ = options;
  stats_ = Stats{};
  const size_t n = p.cands.size();
  ResetResidual(p);
  cur_count_.assign(n, 0);
  best_count_.assign(n, 0);
  SizeBoundScratch();
  ResetMultipliers();
  comp_order_.resize(n);
  std::iota(comp_order_.begin(), comp_order_.end(), 0u);
  rg_for_ = nullptr;
  const std::span<const uint32_t> all(comp_order_.data(), n);

  const Centi greedy = Greedy(all, &best_count_);
  if (options.greedy_only || n == 0) {
    value_ = greedy;
    optimal_ = n == 0;
    upper_bound_ = n == 0 ? 0 : std::max(greedy, p.transfer_cap);
    stats_.components = n == 0 ? 0 : 1;
    return;
  }
  ApplyCounts(all, best_count_, -1);  // the search starts from the empty selection
  const Centi gcd = GrantGcd(all);
  const Centi root_ub = Bound(all, 0, 0, gcd);
  if (greedy >= root_ub) {  // the common case: greedy is optimal
    ApplyCounts(all, best_count_, 1);
    value_ = greedy;
    upper_bound_ = greedy;
    optimal_ = true;
    stats_.components = 1;
    return;
  }
  const uint32_t comps = FindComponents();
  if (MustSearchJointly(comps)) {
    SearchJointly(greedy, root_ub, gcd);
  } else {
    SearchComponents(comps);
  }
  CompleteSelection();
}

// The residual state of the empty selection: p's capacities.
void Solver::ResetResidual(const Problem& p) {
  class_rem_.assign(p.class_size.begin(), p.class_size.end());
  req_rem_.resize(p.req_is_course.size());
  for (size_t q = 0; q < p.req_is_course.size(); ++q) {
    req_rem_[q] = p.req_is_course[q] ? kUnlimited : p.req_capacity[q];
  }
  group_rem_.assign(p.group_limit.begin(), p.group_limit.end());
  group_cnt_.assign(p.group_count.begin(), p.group_count.end());
  t_rem_ = p.transfer_cap;
}

// Grows the bound's epoch-stamped scratch to the problem's rows (never shrinks, never
// clears: stale stamps do not match).
void Solver::SizeBoundScratch() {
  const Problem& p = *p_;
  const size_t n = p.cands.size(), nreq = p.req_is_course.size();
  const size_t ncls = p.class_size.size(), ngrp = p.group_limit.size();
  if (req_stamp_.size() < nreq) {
    req_stamp_.resize(nreq, 0);
    req_acc_.resize(nreq);
  }
  if (grp_stamp_.size() < ngrp) {
    grp_stamp_.resize(ngrp, 0);
    grp_sum_.resize(ngrp);
    grp_max_.resize(ngrp);
  }
  if (cls_stamp_.size() < ncls) {
    cls_stamp_.resize(ncls, 0);
    cls_v_.resize(ncls);
    cls_use_.resize(ncls);
  }
  if (kstamp_.size() < n) {
    kstamp_.resize(n, 0);
    kcache_.resize(n);
  }
  grp_cnt_sum_.resize(std::max(grp_cnt_sum_.size(), ngrp));
  lag_acc_.resize(std::max(lag_acc_.size(), nreq));
  lag_pp_.resize(std::max(lag_pp_.size(), nreq));
  lag_pw_.resize(std::max(lag_pw_.size(), nreq));
  all_family_mask_ = 0;
  for (const Candidate& c : p.cands) all_family_mask_ |= c.family_mask;
}

// No multipliers until an LP supplies them.
void Solver::ResetMultipliers() {
  const Problem& p = *p_;
  lagrange_ = false;
  lag_u_.assign(p.class_size.size(), 0);
  lag_y_.assign(p.group_limit.size(), 0);
  lag_z_.assign(p.group_limit.size(), 0);
  lag_t_ = 0;
  lag_profit_.resize(p.cands.size());
}

// Applies (sign 1) or gives back (sign -1) the counts of the candidates in `order`.
void Solver::ApplyCounts(std::span<const uint32_t> order, const std::vector<int32_t>& counts,
                         int32_t sign) {
  for (const uint32_t j : order) {
    if (counts[j] != 0) Apply(j, sign * counts[j]);
  }
}

// Value of best_count_ over `order`.
Centi Solver::SelectionValue(std::span<const uint32_t> order) const {
  Centi value = 0;
  for (const uint32_t j : order) value += p_->cands[j].grant * best_count_[j];
  return value;
}

// The gcd of the grants in `order` (1 if none): every total is a multiple of it.
Centi Solver::GrantGcd(std::span<const uint32_t> order) const {
  Centi g = 0;
  for (const uint32_t j : order) g = std::gcd(g, p_->cands[j].grant);
  return g <= 0 ? Centi{1} : g;
}

// Searches all candidates together. A second greedy, by grant per record, often starts hard
// searches much higher; its selection is kept only as a fallback: the search starts at its
// value - 1, so the first selection of that value in depth-first order (the tie order's
// choice) wins.
void Solver::SearchJointly(Centi greedy, Centi root_ub, Centi gcd) {
  const size_t n = p_->cands.size();
  std::iota(comp_order_.begin(), comp_order_.end(), 0u);
  rg_for_ = nullptr;
  const std::span<const uint32_t> all(comp_order_.data(), n);
  Centi incumbent = greedy;
  const Centi alt = GreedyByUnitValue(all);
  if (alt > greedy) {
    best_count_ = alt_count_;
    incumbent = alt - 1;
  }
  const Centi ub = SearchWithLp(all, incumbent, root_ub, gcd);
  ApplyCounts(all, best_count_, 1);
  value_ = SelectionValue(all);
  upper_bound_ = std::max(ub, value_);
  stats_.components = 1;
}

// Greedy in order of value per record (ties in candidate order) into alt_count_; the
// residual state is left as it was.
Centi Solver::GreedyByUnitValue(std::span<const uint32_t> all) {
  const Problem& p = *p_;
  alt_order_.assign(all.begin(), all.end());
  std::sort(alt_order_.begin(), alt_order_.end(), [&](uint32_t a, uint32_t b) {
    const int64_t va = p.cands[a].unit_value, vb = p.cands[b].unit_value;
    return va != vb ? va > vb : a < b;
  });
  alt_count_.assign(p.cands.size(), 0);
  const Centi alt = Greedy(alt_order_, &alt_count_);
  ApplyCounts(all, alt_count_, -1);
  return alt;
}

// Searches each component from its greedy selection, within the bound MustSearchJointly
// computed for it; totals and bounds add up.
void Solver::SearchComponents(uint32_t comps) {
  value_ = 0;
  upper_bound_ = 0;
  for (uint32_t c = 0; c < comps; ++c) {
    const std::span<const uint32_t> order = ComponentOrder(c);
    const Centi comp_greedy = SelectionValue(order);
    Centi ub = comp_ub_[c];
    if (comp_greedy < ub) ub = SearchWithLp(order, comp_greedy, ub, GrantGcd(order));
    ApplyCounts(order, best_count_, 1);
    const Centi comp_value = SelectionValue(order);
    value_ += comp_value;
    upper_bound_ += std::max(ub, comp_value);
  }
}

// Never leave a feasible candidate out (only possible after the budget ran out). Counts
// stay within static_max, which presolve relies on.
void Solver::CompleteSelection() {
  const Problem& p = *p_;
  for (uint32_t j = 0; j < p.cands.size(); ++j) {
    const int32_t k = std::min(MaxCount(j), p.cands[j].static_max - best_count_[j]);
    if (k <= 0) continue;
    Apply(j, k);
    best_count_[j] += k;
    value_ += p.cands[j].grant * k;
  }
  upper_bound_ = std::max(upper_bound_, value_);
  optimal_ = value_ >= upper_bound_;
}

// ---- Components -----------------------------------------------------------------------------

// Unions candidates that share a class, a requirement or a group that can bind; lays the
// components out in comp_order_ (candidate order within each). Returns their number.
uint32_t Solver::FindComponents() {
  const Problem& p = *p_;
  const size_t n = p.cands.size();
  uf_.resize(n);
  std::iota(uf_.begin(), uf_.end(), 0u);
  first_of_.assign(std::max({p.class_size.size(), p.req_is_course.size(), p.group_limit.size()}),
                   kNoIndex);
  for (uint32_t j = 0; j < n; ++j) {
    const Candidate& c = p.cands[j];
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) UniteWithFirst(p.cand_class[i], j);
  }
  std::fill(first_of_.begin(), first_of_.end(), kNoIndex);
  for (uint32_t j = 0; j < n; ++j) UniteWithFirst(p.cands[j].req, j);
  if (!p.group_limit.empty()) UniteByBindingGroups();
  return NumberComponents();
}

uint32_t Solver::FindRoot(uint32_t x) {
  while (uf_[x] != x) {
    uf_[x] = uf_[uf_[x]];
    x = uf_[x];
  }
  return x;
}

// Joins candidate j with the first candidate that used `row` (first_of_ is per row kind).
void Solver::UniteWithFirst(uint32_t row, uint32_t j) {
  uint32_t& f = first_of_[row];
  if (f == kNoIndex) {
    f = j;
    return;
  }
  const uint32_t a = FindRoot(f), b = FindRoot(j);
  if (a != b) uf_[std::max(a, b)] = std::min(a, b);
}

// Only groups that could fill (if every candidate took its largest count) join candidates.
void Solver::UniteByBindingGroups() {
  const Problem& p = *p_;
  const size_t n = p.cands.size(), ngrp = p.group_limit.size();
  std::vector<Centi>& sum = grp_sum_;  // borrowed from the bound
  std::vector<Centi>& cnt = grp_max_;
  std::fill(sum.begin(), sum.begin() + ngrp, 0);
  std::fill(cnt.begin(), cnt.begin() + ngrp, 0);
  for (uint32_t j = 0; j < n; ++j) {
    const Candidate& c = p.cands[j];
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      sum[p.cand_group[i]] += c.grant * c.static_max;
      cnt[p.cand_group[i]] += c.static_max;
    }
  }
  std::fill(first_of_.begin(), first_of_.end(), kNoIndex);
  for (uint32_t j = 0; j < n; ++j) {
    const Candidate& c = p.cands[j];
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      const uint32_t g = p.cand_group[i];
      if (sum[g] <= p.group_limit[g] && cnt[g] <= p.group_count[g]) continue;
      UniteWithFirst(g, j);
    }
  }
  NextEpoch();  // grp_sum_/grp_max_ were borrowed; stale stamps must not match
}

// Components numbered by first candidate; comp_order_ lists each one's members in candidate
// order (CSR by comp_begin_).
uint32_t Solver::NumberComponents() {
  const size_t n = p_->cands.size();
  comp_of_.resize(n);
  uint32_t comps = 0;
  std::vector<uint32_t>& root_comp = first_of_;
  root_comp.assign(n, kNoIndex);
  for (uint32_t j = 0; j < n; ++j) {
    const uint32_t r = FindRoot(j);
    if (root_comp[r] == kNoIndex) root_comp[r] = comps++;
    comp_of_[j] = root_comp[r];
  }
  stats_.components = comps;
  comp_begin_.assign(comps + 1, 0);
  for (uint32_t j = 0; j < n; ++j) ++comp_begin_[comp_of_[j] + 1];
  for (uint32_t c = 0; c < comps; ++c) comp_begin_[c + 1] += comp_begin_[c];
  comp_fill_.assign(comp_begin_.begin(), comp_begin_.end() - 1);
  for (uint32_t j = 0; j < n; ++j) comp_order_[comp_fill_[comp_of_[j]]++] = j;
  rg_for_ = nullptr;
  return comps;
}

std::span<const uint32_t> Solver::ComponentOrder(uint32_t c) const {
  return std::span<const uint32_t>(comp_order_.data() + comp_begin_[c],
                                   comp_begin_[c + 1] - comp_begin_[c]);
}

// Components can be searched one by one unless their bounds together exceed the transfer
// room (then the cap couples them). Leaves each component's bound in comp_ub_.
bool Solver::MustSearchJointly(uint32_t comps) {
  comp_ub_.clear();
  if (comps == 1) return true;
  Centi sum_ub = 0;
  for (uint32_t c = 0; c < comps; ++c) {
    const std::span<const uint32_t> order = ComponentOrder(c);
    comp_ub_.push_back(Bound(order, 0, 0, GrantGcd(order)));
    sum_ub += comp_ub_.back();
  }
  return sum_ub > t_rem_;
}

}  // namespace lcb::solver
