// The LP relaxation that tunes the Lagrangian multipliers, and the depth-first branch and
// bound over one component (engine/solver.h, "Search", step 4).
#include <algorithm>
#include <cmath>

#include "engine/solver_internal.h"

namespace lcb::solver {
namespace {

// Dense dictionary simplex for max c.x s.t. A x <= b (b >= 0), x >= 0, all variables
// bounded by the rows. Row i of `t` (m + 1 rows of n + 1 entries) holds the dictionary
// x_B(i) = t[i][n] - sum_j t[i][j] x_N(j); row m holds the reduced costs d_j and -z.
// Returns the duals of the m rows in `y` (>= 0). Floating point is fine here: the duals only
// steer the Lagrangian multipliers, and every bound is then evaluated exactly in integers.
int SolveLp(int m, int n, std::vector<double>& t, std::vector<int>& basic,
            std::vector<int>& nonbasic, int max_pivots, std::vector<double>* y) {
  const int w = n + 1;
  basic.resize(m);
  nonbasic.resize(n);
  for (int i = 0; i < m; ++i) basic[i] = n + i;
  for (int j = 0; j < n; ++j) nonbasic[j] = j;
  constexpr double kEps = 1e-9;
  int pivots = 0;
  for (; pivots < max_pivots; ++pivots) {
    const double* obj = &t[static_cast<size_t>(m) * w];
    int e = -1;
    double best = kEps;
    for (int j = 0; j < n; ++j) {
      if (obj[j] > best) {
        best = obj[j];
        e = j;
      }
    }
    if (e < 0) break;
    int r = -1;
    double ratio = 0;
    for (int i = 0; i < m; ++i) {
      const double a = t[static_cast<size_t>(i) * w + e];
      if (a <= kEps) continue;
      const double q = t[static_cast<size_t>(i) * w + n] / a;
      if (r < 0 || q < ratio - kEps || (q <= ratio + kEps && basic[i] < basic[r])) {
        r = i;
        ratio = q;
      }
    }
    if (r < 0) break;  // unbounded: cannot happen with bounded rows
    double* row = &t[static_cast<size_t>(r) * w];
    const double piv = row[e];
    for (int j = 0; j <= n; ++j) row[j] /= piv;
    row[e] = 1.0 / piv;
    for (int i = 0; i <= m; ++i) {
      if (i == r) continue;
      double* other = &t[static_cast<size_t>(i) * w];
      const double f = other[e];
      if (f == 0) continue;
      for (int j = 0; j <= n; ++j) other[j] -= f * row[j];
      other[e] = -f * row[e];
    }
    std::swap(basic[r], nonbasic[e]);
  }
  y->assign(m, 0.0);
  const double* obj = &t[static_cast<size_t>(m) * w];
  for (int j = 0; j < n; ++j) {
    if (nonbasic[j] >= n) (*y)[nonbasic[j] - n] = std::max(0.0, -obj[j]);
  }
  return pivots;
}

}  // namespace

// ---- Lagrangian multipliers from the LP relaxation --------------------------------------

void Solver::TuneMultipliers(std::span<const uint32_t> order, size_t pos, Centi lower, int iters) {
  (void)lower;
  // Columns: live candidates. Rows: classes, requirements, group limits, group counts, T.
  std::vector<uint32_t>& cols = touched_cls_;  // scratch (Bound rebuilds it)
  cols.clear();
  for (size_t t = pos; t < order.size(); ++t) {
    if (MaxCount(order[t]) > 0) cols.push_back(order[t]);
  }
  if (cols.empty()) return;
  const int t_row = NumberLpRows(cols);
  const int m = t_row + 1;
  const int n = static_cast<int>(cols.size());
  if (static_cast<size_t>(m + 1) * (n + 1) > kMaxLpCells) return;
  FillLpTableau(cols, m, t_row);
  const int pivots = SolveLp(m, n, lp_t_, lp_basic_, lp_nonbasic_, iters, &lp_y_);
  // Charge the LP to the work budget like bound evaluations (cells touched / 64 / 64).
  stats_.nodes += static_cast<uint64_t>(pivots + 1) * static_cast<uint64_t>(m + 1) * (n + 1) /
                  (kCandidatesPerNode * kCandidatesPerNode);
  SetMultipliers(t_row);
  lagrange_ = true;
}

// Numbers the rows the columns touch (row_of_*; kNoIndex = not needed), classes and
// requirements and limited groups in order of first use. Returns the transfer-cap row,
// the last one.
int Solver::NumberLpRows(std::span<const uint32_t> cols) {
  const Problem& p = *p_;
  row_of_cls_.assign(p.class_size.size(), kNoIndex);
  row_of_req_.assign(p.req_is_course.size(), kNoIndex);
  row_of_gl_.assign(p.group_limit.size(), kNoIndex);
  row_of_gc_.assign(p.group_limit.size(), kNoIndex);
  int m = 0;
  for (const uint32_t j : cols) {
    const Candidate& c = p.cands[j];
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
      if (row_of_cls_[p.cand_class[i]] == kNoIndex) row_of_cls_[p.cand_class[i]] = m++;
    }
    if (row_of_req_[c.req] == kNoIndex) row_of_req_[c.req] = m++;
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      const uint32_t g = p.cand_group[i];
      if (p.group_limit[g] < kUnlimited && row_of_gl_[g] == kNoIndex) row_of_gl_[g] = m++;
      if (p.group_count[g] < kUnlimitedCount && row_of_gc_[g] == kNoIndex) row_of_gc_[g] = m++;
    }
  }
  return m;
}

// The dictionary: residual capacities as right-hand sides, one column per live candidate,
// grants as objective.
void Solver::FillLpTableau(std::span<const uint32_t> cols, int m, int t_row) {
  const Problem& p = *p_;
  const int n = static_cast<int>(cols.size());
  const int w = n + 1;
  lp_t_.assign(static_cast<size_t>(m + 1) * w, 0.0);
  auto at = [&](int row, int col) -> double& { return lp_t_[static_cast<size_t>(row) * w + col]; };
  for (size_t c = 0; c < p.class_size.size(); ++c) {
    if (row_of_cls_[c] != kNoIndex) at(row_of_cls_[c], n) = class_rem_[c];
  }
  for (size_t q = 0; q < p.req_is_course.size(); ++q) {
    if (row_of_req_[q] == kNoIndex) continue;
    at(row_of_req_[q], n) = p.req_is_course[q] ? 1.0 : static_cast<double>(req_rem_[q]);
  }
  for (size_t g = 0; g < p.group_limit.size(); ++g) {
    if (row_of_gl_[g] != kNoIndex) at(row_of_gl_[g], n) = static_cast<double>(group_rem_[g]);
    if (row_of_gc_[g] != kNoIndex) at(row_of_gc_[g], n) = group_cnt_[g];
  }
  at(t_row, n) = static_cast<double>(t_rem_);
  for (int col = 0; col < n; ++col) {
    const Candidate& c = p.cands[cols[col]];
    const double g = static_cast<double>(c.grant);
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
      at(row_of_cls_[p.cand_class[i]], col) += p.cand_mult[i];
    }
    at(row_of_req_[c.req], col) = p.req_is_course[c.req] ? 1.0 : g;
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      const uint32_t gr = p.cand_group[i];
      if (row_of_gl_[gr] != kNoIndex) at(row_of_gl_[gr], col) = g;
      if (row_of_gc_[gr] != kNoIndex) at(row_of_gc_[gr], col) = 1.0;
    }
    at(t_row, col) = g;
    at(m, col) = g;  // reduced cost of a nonbasic candidate at 0
  }
}

// Fixed-point multipliers from the LP duals (requirement rows stay in the per-requirement
// subproblem), and every candidate's reduced profit under them.
void Solver::SetMultipliers(int t_row) {
  const Problem& p = *p_;
  auto fix = [](double v) {
    return static_cast<int64_t>(std::min(std::max(v, 0.0), 1e9) * kLagScale);
  };
  for (size_t c = 0; c < p.class_size.size(); ++c) {
    lag_u_[c] = row_of_cls_[c] == kNoIndex ? 0 : fix(lp_y_[row_of_cls_[c]]);
  }
  for (size_t g = 0; g < p.group_limit.size(); ++g) {
    lag_y_[g] = row_of_gl_[g] == kNoIndex ? 0 : fix(lp_y_[row_of_gl_[g]]);
    lag_z_[g] = row_of_gc_[g] == kNoIndex ? 0 : fix(lp_y_[row_of_gc_[g]]);
  }
  lag_t_ = fix(lp_y_[t_row]);
  for (uint32_t j = 0; j < p.cands.size(); ++j) {
    const Candidate& c = p.cands[j];
    int64_t y = lag_t_, u = 0;
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      y += lag_y_[p.cand_group[i]];
      u += lag_z_[p.cand_group[i]];
    }
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
      u += p.cand_mult[i] * lag_u_[p.cand_class[i]];
    }
    lag_profit_[j] = c.grant * (kLagScale - y) - u;
  }
}

// ---- Depth-first branch and bound -------------------------------------------------------

// Where the search is: the value and position of the current node, the incumbent, and why
// it stopped.
struct Solver::SearchState {
  Centi best = 0;  // the incumbent's value
  Centi cur = 0;   // value of the current partial selection
  size_t pos = 0;  // next position in `order` to decide
  uint32_t since_bound = 0;
  // The caller just bounded the root: the first node reuses that bound.
  bool bound_next = false;
  bool aborted = false;        // the work budget ran out
  bool reached_bound = false;  // the incumbent meets the root bound: nothing can beat it
};

Centi Solver::SearchWithLp(std::span<const uint32_t> order, Centi incumbent, Centi root_ub,
                           Centi gcd) {
  // The combinatorial bounds did not prove the incumbent: fetch the LP duals of this
  // component (measured cheaper than searching first and asking later), bound again, search.
  TuneMultipliers(order, 0, incumbent, kRootLpPivots);
  const Centi lp_ub = std::min(root_ub, Bound(order, 0, 0, gcd));
  if (incumbent >= lp_ub) return lp_ub;
  return Search(order, incumbent, lp_ub, gcd);
}

Centi Solver::Search(std::span<const uint32_t> order, Centi incumbent, Centi root_ub, Centi gcd) {
  frames_.clear();
  SearchState st;
  st.best = incumbent;
  for (;;) {
    Descend(order, root_ub, gcd, &st);
    if (st.aborted || st.reached_bound) break;
    if (!Backtrack(order, &st)) break;  // every alternative tried
  }
  if (st.reached_bound) {
    UnwindFrames(order);
    return st.best;
  }
  Centi ub = st.best;
  if (st.aborted) {
    stats_.aborted = true;
    // Unexplored: the remaining alternatives of every open frame (within its bound) and,
    // with no frame open, the whole component.
    if (frames_.empty()) ub = std::max(ub, root_ub);
    for (const Frame& f : frames_) ub = std::max(ub, f.node_ub);
    UnwindFrames(order);
  }
  return ub;
}

// Include-first descent from st->pos: each live candidate at its largest count, bounding
// every fourth node (and the first after a backtrack); stops at a leaf, at a node whose
// bound cannot beat the incumbent, or when the budget runs out.
void Solver::Descend(std::span<const uint32_t> order, Centi root_ub, Centi gcd, SearchState* st) {
  const Problem& p = *p_;
  const size_t n = order.size();
  for (;;) {
    if (++stats_.nodes > options_.max_nodes) {
      st->aborted = true;
      return;
    }
    int32_t k = 0;
    while (st->pos < n && (k = MaxCount(order[st->pos])) == 0) ++st->pos;
    if (st->pos == n) {  // a leaf: the first strictly better one is the new incumbent
      if (st->cur > st->best) {
        st->best = st->cur;
        for (const uint32_t j : order) best_count_[j] = cur_count_[j];
        st->reached_bound = st->best >= root_ub;
      }
      return;
    }
    // Every node is bounded, except the root, which the caller bounded already.
    Centi node_ub = frames_.empty() ? root_ub : frames_.back().node_ub;
    if (st->bound_next) {
      const Centi need = st->best - st->cur + 1;
      const Centi ub = Bound(order, st->pos, need, gcd);
      if (ub < need) return;
      node_ub = st->cur + ub;
    }
    st->bound_next = (++st->since_bound & 3) == 0;
    frames_.push_back({static_cast<uint32_t>(st->pos), k, node_ub});
    const uint32_t j = order[st->pos];
    Apply(j, k);
    cur_count_[j] = k;
    st->cur += p.cands[j].grant * k;
    ++st->pos;
  }
}

// Back to the deepest frame with a smaller count left to try: one copy fewer, continue after
// it. False when no frame has one.
bool Solver::Backtrack(std::span<const uint32_t> order, SearchState* st) {
  while (!frames_.empty()) {
    Frame& f = frames_.back();
    if (f.cnt > 0) {
      const uint32_t j = order[f.pos];
      Apply(j, -1);
      --f.cnt;
      --cur_count_[j];
      st->cur -= p_->cands[j].grant;
      st->pos = f.pos + 1;
      st->bound_next = true;
      return true;
    }
    frames_.pop_back();
  }
  return false;
}

// Gives back what the open frames took: the residual state is the component's start again.
void Solver::UnwindFrames(std::span<const uint32_t> order) {
  for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
    const uint32_t j = order[it->pos];
    if (it->cnt > 0) Apply(j, -it->cnt);
    cur_count_[j] = 0;
  }
  frames_.clear();
}

}  // namespace lcb::solver
