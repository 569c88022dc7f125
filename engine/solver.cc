#include "engine/solver.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>

namespace lcb::solver {
namespace {

constexpr uint32_t kNoIndex = 0xFFFFFFFFu;
constexpr int64_t kLagScale = int64_t{1} << 20;  // fixed point of the Lagrangian multipliers
constexpr int kRootLpPivots = 300;
// The root LP is skipped when its dense tableau would exceed this many cells.
constexpr size_t kMaxLpCells = 20000;

// dst |= src << shift (bits), both `words` long; bits shifted past the end are dropped.
inline void ShiftOr(uint64_t* dst, const uint64_t* src, size_t words, size_t shift) {
  size_t ws = shift / 64, bs = shift % 64;
  if (ws >= words) return;
  if (bs == 0) {
    for (size_t i = words; i-- > ws;) dst[i] |= src[i - ws];
    return;
  }
  for (size_t i = words; i-- > ws;) {
    uint64_t v = src[i - ws] << bs;
    if (i > ws) v |= src[i - ws - 1] >> (64 - bs);
    dst[i] |= v;
  }
}

inline void MaskTo(uint64_t* v, size_t words, size_t bits) {
  size_t rem = bits % 64;
  if (rem != 0) v[words - 1] &= (uint64_t{1} << rem) - 1;
}

}  // namespace

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

void Solver::BuildReqGroups(std::span<const uint32_t> order) {
  rg_begin_.clear();
  rg_pos_.clear();
  rg_req_.clear();
  // (req, position) pairs sorted; positions stay ascending within a requirement.
  std::vector<uint64_t>& keys = knap_tmp_;  // borrowed as scratch
  keys.clear();
  for (uint32_t t = 0; t < order.size(); ++t) {
    keys.push_back((static_cast<uint64_t>(p_->cands[order[t]].req) << 32) | t);
  }
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < keys.size(); ++i) {
    uint32_t q = static_cast<uint32_t>(keys[i] >> 32);
    if (i == 0 || q != rg_req_.back()) {
      rg_req_.push_back(q);
      rg_begin_.push_back(static_cast<uint32_t>(rg_pos_.size()));
    }
    rg_pos_.push_back(static_cast<uint32_t>(keys[i]));
  }
  rg_begin_.push_back(static_cast<uint32_t>(rg_pos_.size()));
  keys.clear();
  rg_for_ = order.data();
  rg_for_size_ = order.size();
}

Centi Solver::KnapBound(std::span<const uint32_t> order, size_t pos, Centi cap, Centi gcd) {
  const Problem& p = *p_;
  const size_t bits = static_cast<size_t>(cap / gcd) + 1;
  const size_t words = (bits + 63) / 64;
  knap_acc_.assign(words, 0);
  knap_tmp_.resize(words);
  knap_pool_.resize(words);
  uint64_t* acc = knap_acc_.data();
  uint64_t* tmp = knap_tmp_.data();
  uint64_t* pool = knap_pool_.data();
  acc[0] = 1;
  for (size_t r = 0; r + 1 < rg_begin_.size(); ++r) {
    const uint32_t q = rg_req_[r];
    const uint32_t* first = rg_pos_.data() + rg_begin_[r];
    const uint32_t* last = rg_pos_.data() + rg_begin_[r + 1];
    first = std::lower_bound(first, last, static_cast<uint32_t>(pos));
    if (first == last) continue;
    if (p.req_is_course[q]) {
      std::copy(acc, acc + words, tmp);
      Centi last_grant = -1;
      bool any = false;
      for (const uint32_t* t = first; t != last; ++t) {
        uint32_t j = order[*t];
        if (kstamp_[j] != epoch_ || kcache_[j] == 0) continue;
        Centi g = p.cands[j].grant;
        if (g == last_grant) continue;
        last_grant = g;
        any = true;
        ShiftOr(tmp, acc, words, static_cast<size_t>(g / gcd));
      }
      if (any) std::copy(tmp, tmp + words, acc);
    } else {
      const Centi room = std::min(req_rem_[q], cap) / gcd;
      const size_t pbits = static_cast<size_t>(room) + 1;
      const size_t pwords = (pbits + 63) / 64;
      std::fill(pool, pool + pwords, 0);
      pool[0] = 1;
      bool any = false;
      for (const uint32_t* t = first; t != last; ++t) {
        uint32_t j = order[*t];
        if (kstamp_[j] != epoch_ || kcache_[j] == 0) continue;
        Centi d = p.cands[j].grant / gcd;
        for (int32_t i = 0; i < kcache_[j] && d * (i + 1) <= room; ++i) {
          ShiftOr(pool, pool, pwords, static_cast<size_t>(d));
          MaskTo(pool, pwords, pbits);
          any = true;
        }
      }
      if (!any) continue;
      std::copy(acc, acc + words, tmp);
      for (size_t w = 0; w < pwords; ++w) {
        uint64_t bitsw = pool[w];
        while (bitsw != 0) {
          size_t b = w * 64 + static_cast<size_t>(std::countr_zero(bitsw));
          bitsw &= bitsw - 1;
          if (b != 0) ShiftOr(tmp, acc, words, b);
        }
      }
      std::copy(tmp, tmp + words, acc);
    }
    MaskTo(acc, words, bits);
  }
  for (size_t w = words; w-- > 0;) {
    if (acc[w] != 0) {
      size_t top = w * 64 + 63 - static_cast<size_t>(std::countl_zero(acc[w]));
      return static_cast<Centi>(top) * gcd;
    }
  }
  return 0;
}

Centi Solver::Bound(std::span<const uint32_t> order, size_t pos, Centi need, Centi gcd) {
  const Problem& p = *p_;
  NextEpoch();
  stats_.nodes += (order.size() - pos) / kCandidatesPerNode;
  touched_req_.clear();
  touched_grp_.clear();
  touched_cls_.clear();
  Centi fam[32] = {};
  Centi sum_all = 0;
  Centi rec_free = 0;  // candidates with no record that can run out
  for (size_t t = pos; t < order.size(); ++t) {
    const uint32_t j = order[t];
    const int32_t k = MaxCount(j);
    if (k == 0) continue;
    kcache_[j] = k;
    kstamp_[j] = epoch_;
    const Candidate& c = p.cands[j];
    const Centi gk = c.grant * k;
    sum_all += gk;
    const uint32_t q = c.req;
    if (req_stamp_[q] != epoch_) {
      req_stamp_[q] = epoch_;
      req_acc_[q] = 0;
      lag_acc_[q] = 0;
      lag_pp_[q] = 0;
      lag_pw_[q] = 1;
      touched_req_.push_back(q);
    }
    if (p.req_is_course[q]) {
      req_acc_[q] = std::max(req_acc_[q], c.grant);
    } else {
      req_acc_[q] += gk;
    }
    if (lagrange_) {
      const int64_t pj = lag_profit_[j];
      if (pj > 0) {
        if (p.req_is_course[q]) {
          lag_acc_[q] = std::max(lag_acc_[q], pj);
        } else {
          lag_acc_[q] += pj * k;
          if (static_cast<__int128>(pj) * lag_pw_[q] >
              static_cast<__int128>(lag_pp_[q]) * c.grant) {
            lag_pp_[q] = pj;
            lag_pw_[q] = c.grant;
          }
        }
      }
    }
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      const uint32_t g = p.cand_group[i];
      if (grp_stamp_[g] != epoch_) {
        grp_stamp_[g] = epoch_;
        grp_sum_[g] = 0;
        grp_max_[g] = 0;
        grp_cnt_sum_[g] = 0;
        touched_grp_.push_back(g);
      }
      grp_sum_[g] += gk;
      grp_cnt_sum_[g] += k;
      grp_max_[g] = std::max(grp_max_[g], c.grant);
    }
    for (uint32_t free = all_family_mask_ & ~c.family_mask; free != 0; free &= free - 1) {
      fam[std::countr_zero(free)] += gk;
    }
    if (c.class_begin == c.class_end) rec_free += gk;
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
      const uint32_t cl = p.cand_class[i];
      if (cls_stamp_[cl] != epoch_) {
        cls_stamp_[cl] = epoch_;
        cls_v_[cl] = 0;
        cls_use_[cl] = 0;
        touched_cls_.push_back(cl);
      }
      cls_v_[cl] = std::max(cls_v_[cl], c.unit_value);
      cls_use_[cl] += static_cast<int64_t>(p.cand_mult[i]) * k;
    }
  }
  Centi b = std::min(t_rem_, sum_all);
  Centi breq = 0;
  for (uint32_t q : touched_req_) {
    breq += p.req_is_course[q] ? req_acc_[q] : std::min(req_acc_[q], req_rem_[q]);
  }
  b = std::min(b, breq);
  if (all_family_mask_ != 0) {
    for (uint32_t g : touched_grp_) {
      Centi room = std::min(group_rem_[g], grp_sum_[g]);
      room = std::min(room, static_cast<Centi>(group_cnt_[g]) * grp_max_[g]);
      fam[p.group_family[g]] += room;
    }
    for (uint32_t m = all_family_mask_; m != 0; m &= m - 1) {
      b = std::min(b, fam[std::countr_zero(m)]);
    }
  }
  int64_t brec = rec_free * kValueScale;
  for (uint32_t cl : touched_cls_) {
    brec += std::min<int64_t>(class_rem_[cl], cls_use_[cl]) * cls_v_[cl];
  }
  b = std::min<Centi>(b, brec / kValueScale);
  if (lagrange_ && b >= need) {
    // L(u) = sum of row capacities * multipliers + per-requirement best reduced profit.
    __int128 l = static_cast<__int128>(std::min(t_rem_, sum_all)) * lag_t_;
    for (uint32_t q : touched_req_) {
      if (p.req_is_course[q]) {
        l += lag_acc_[q];
      } else {
        const __int128 room = std::min(req_rem_[q], req_acc_[q]);
        const __int128 frac = (room * lag_pp_[q] + lag_pw_[q] - 1) / lag_pw_[q];
        l += std::min<__int128>(lag_acc_[q], frac);
      }
    }
    for (uint32_t cl : touched_cls_) {
      l += static_cast<__int128>(std::min<int64_t>(class_rem_[cl], cls_use_[cl])) * lag_u_[cl];
    }
    for (uint32_t g : touched_grp_) {
      l += static_cast<__int128>(std::min(group_rem_[g], grp_sum_[g])) * lag_y_[g];
      l += static_cast<__int128>(std::min<Centi>(group_cnt_[g], grp_cnt_sum_[g])) * lag_z_[g];
    }
    const __int128 lb = l / kLagScale;
    if (lb < b) b = static_cast<Centi>(lb);
  }
  b -= b % gcd;
  // The subset-sum bound only helps when the transfer cap is what limits b, or a pool can
  // overflow (granularity: 4 + 4 does not fit a room of 6).
  bool packing = sum_all > t_rem_ && b + gcd > t_rem_;
  for (size_t i = 0; i < touched_req_.size() && !packing; ++i) {
    const uint32_t q = touched_req_[i];
    packing = !p.req_is_course[q] && req_acc_[q] > req_rem_[q];
  }
  if (packing && b >= need && b > 0 && b / gcd < kKnapBits) {
    if (rg_for_ != order.data() || rg_for_size_ != order.size()) BuildReqGroups(order);
    b = std::min(b, KnapBound(order, pos, b, gcd));
  }
  return b;
}

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

void Solver::TuneMultipliers(std::span<const uint32_t> order, size_t pos, Centi lower, int iters) {
  (void)lower;
  const Problem& p = *p_;
  const size_t ncls = p.class_size.size(), ngrp = p.group_limit.size();
  const size_t nreq = p.req_is_course.size();
  // Columns: live candidates. Rows: classes, requirements, group limits, group counts, T.
  std::vector<uint32_t>& cols = touched_cls_;  // scratch (Bound rebuilds it)
  cols.clear();
  for (size_t t = pos; t < order.size(); ++t) {
    if (MaxCount(order[t]) > 0) cols.push_back(order[t]);
  }
  if (cols.empty()) return;
  // Row numbering (kNoIndex = row not needed).
  row_of_cls_.assign(ncls, kNoIndex);
  row_of_req_.assign(nreq, kNoIndex);
  row_of_gl_.assign(ngrp, kNoIndex);
  row_of_gc_.assign(ngrp, kNoIndex);
  int m = 0;
  for (uint32_t j : cols) {
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
  const int t_row = m++;
  const int n = static_cast<int>(cols.size());
  if (static_cast<size_t>(m + 1) * (n + 1) > kMaxLpCells) return;
  const int w = n + 1;
  lp_t_.assign(static_cast<size_t>(m + 1) * w, 0.0);
  auto at = [&](int row, int col) -> double& { return lp_t_[static_cast<size_t>(row) * w + col]; };
  for (size_t c = 0; c < ncls; ++c) {
    if (row_of_cls_[c] != kNoIndex) at(row_of_cls_[c], n) = class_rem_[c];
  }
  for (size_t q = 0; q < nreq; ++q) {
    if (row_of_req_[q] == kNoIndex) continue;
    at(row_of_req_[q], n) = p.req_is_course[q] ? 1.0 : static_cast<double>(req_rem_[q]);
  }
  for (size_t g = 0; g < ngrp; ++g) {
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
  const int pivots = SolveLp(m, n, lp_t_, lp_basic_, lp_nonbasic_, iters, &lp_y_);
  // Charge the LP to the work budget like bound evaluations (cells touched / 64 / 64).
  stats_.nodes += static_cast<uint64_t>(pivots + 1) * static_cast<uint64_t>(m + 1) * (n + 1) /
                  (kCandidatesPerNode * kCandidatesPerNode);
  // Multipliers (requirement rows stay in the per-requirement subproblem).
  auto fix = [](double v) {
    return static_cast<int64_t>(std::min(std::max(v, 0.0), 1e9) * kLagScale);
  };
  for (size_t c = 0; c < ncls; ++c) {
    lag_u_[c] = row_of_cls_[c] == kNoIndex ? 0 : fix(lp_y_[row_of_cls_[c]]);
  }
  for (size_t g = 0; g < ngrp; ++g) {
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
  lagrange_ = true;
}

Centi Solver::Search(std::span<const uint32_t> order, Centi incumbent, Centi root_ub, Centi gcd) {
  const Problem& p = *p_;
  frames_.clear();
  Centi best = incumbent;
  Centi cur = 0;
  size_t pos = 0;
  const size_t n = order.size();
  bool aborted = false;
  bool reached_bound = false;
  uint32_t since_bound = 0;
  // The caller just bounded the root: the first node reuses that bound.
  bool bound_next = false;
  for (;;) {
    // Descend from `pos`.
    for (;;) {
      if (++stats_.nodes > options_.max_nodes) {
        aborted = true;
        break;
      }
      int32_t k = 0;
      while (pos < n && (k = MaxCount(order[pos])) == 0) ++pos;
      if (pos == n) {
        if (cur > best) {
          best = cur;
          for (uint32_t j : order) best_count_[j] = cur_count_[j];
          if (best >= root_ub) {
            reached_bound = true;  // nothing left can be better: stop here
            break;
          }
        }
        break;
      }
      // Every node is bounded, except the root, which the caller bounded already.
      Centi node_ub = frames_.empty() ? root_ub : frames_.back().node_ub;
      if (bound_next) {
        const Centi need = best - cur + 1;
        const Centi ub = Bound(order, pos, need, gcd);
        if (ub < need) break;
        node_ub = cur + ub;
      }
      bound_next = (++since_bound & 3) == 0;
      frames_.push_back({static_cast<uint32_t>(pos), k, node_ub});
      const uint32_t j = order[pos];
      Apply(j, k);
      cur_count_[j] = k;
      cur += p.cands[j].grant * k;
      ++pos;
    }
    if (aborted || reached_bound) break;
    // Backtrack to the deepest frame with a smaller count left to try.
    bool resumed = false;
    while (!frames_.empty()) {
      Frame& f = frames_.back();
      if (f.cnt > 0) {
        const uint32_t j = order[f.pos];
        Apply(j, -1);
        --f.cnt;
        --cur_count_[j];
        cur -= p.cands[j].grant;
        pos = f.pos + 1;
        resumed = true;
        bound_next = true;
        break;
      }
      frames_.pop_back();
    }
    if (!resumed) break;
  }
  Centi ub = best;
  if (reached_bound) {
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
      const uint32_t j = order[it->pos];
      if (it->cnt > 0) Apply(j, -it->cnt);
      cur_count_[j] = 0;
    }
    frames_.clear();
    return best;
  }
  if (aborted) {
    stats_.aborted = true;
    // Unexplored: the remaining alternatives of every open frame (within its bound) and,
    // with no frame open, the whole component.
    if (frames_.empty()) ub = std::max(ub, root_ub);
    for (const Frame& f : frames_) ub = std::max(ub, f.node_ub);
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
      const uint32_t j = order[it->pos];
      if (it->cnt > 0) Apply(j, -it->cnt);
      cur_count_[j] = 0;
    }
    frames_.clear();
  }
  return ub;
}

Centi Solver::SearchWithLp(std::span<const uint32_t> order, Centi incumbent, Centi root_ub,
                           Centi gcd) {
  // The combinatorial bounds did not prove the incumbent: fetch the LP duals of this
  // component (measured cheaper than searching first and asking later), bound again, search.
  TuneMultipliers(order, 0, incumbent, kRootLpPivots);
  const Centi lp_ub = std::min(root_ub, Bound(order, 0, 0, gcd));
  if (incumbent >= lp_ub) return lp_ub;
  return Search(order, incumbent, lp_ub, gcd);
}

void Solver::Solve(const Problem& orig, const Options& options) {
  if (options.greedy_only) {
    SolveReduced(orig, options);
    return;
  }
  // Presolve: a class whose records can never run out, or a group that can never fill
  // (even if every candidate touching it took its maximum count), constrains nothing. The
  // search works on a copy without them; the residual state is then recomputed on the
  // original so that explanations see every row.
  const size_t ncls = orig.class_size.size(), ngrp = orig.group_limit.size();
  demand_.assign(ncls, 0);
  gdemand_.assign(ngrp, 0);
  gcount_.assign(ngrp, 0);
  // A row touched by a pool candidate is kept: it may be what bounds that candidate's count
  // (static_max), which the LP and the Lagrangian subproblem must still see.
  constexpr int64_t kKeep = INT64_MAX / 4;
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
  SolveReduced(q, options);
  // Residual state of the chosen selection on the original rows.
  p_ = &orig;
  class_rem_.assign(orig.class_size.begin(), orig.class_size.end());
  for (size_t r = 0; r < orig.req_is_course.size(); ++r) {
    req_rem_[r] = orig.req_is_course[r] ? kUnlimited : orig.req_capacity[r];
  }
  group_rem_.assign(orig.group_limit.begin(), orig.group_limit.end());
  group_cnt_.assign(orig.group_count.begin(), orig.group_count.end());
  t_rem_ = orig.transfer_cap;
  for (uint32_t j = 0; j < orig.cands.size(); ++j) {
    if (best_count_[j] != 0) Apply(j, best_count_[j]);
  }
}

void Solver::SolveReduced(const Problem& p, const Options& options) {
  p_ = &p;
  options_ = options;
  stats_ = Stats{};
  const size_t n = p.cands.size();
  const size_t nreq = p.req_is_course.size();
  const size_t ncls = p.class_size.size();
  const size_t ngrp = p.group_limit.size();

  class_rem_.assign(p.class_size.begin(), p.class_size.end());
  req_rem_.resize(nreq);
  for (size_t q = 0; q < nreq; ++q)
    req_rem_[q] = p.req_is_course[q] ? kUnlimited : p.req_capacity[q];
  group_rem_.assign(p.group_limit.begin(), p.group_limit.end());
  group_cnt_.assign(p.group_count.begin(), p.group_count.end());
  t_rem_ = p.transfer_cap;
  cur_count_.assign(n, 0);
  best_count_.assign(n, 0);
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
  lagrange_ = false;
  grp_cnt_sum_.resize(std::max(grp_cnt_sum_.size(), ngrp));
  lag_acc_.resize(std::max(lag_acc_.size(), nreq));
  lag_pp_.resize(std::max(lag_pp_.size(), nreq));
  lag_pw_.resize(std::max(lag_pw_.size(), nreq));
  lag_u_.assign(ncls, 0);
  lag_y_.assign(ngrp, 0);
  lag_z_.assign(ngrp, 0);
  lag_t_ = 0;
  lag_profit_.resize(n);
  all_family_mask_ = 0;
  for (const Candidate& c : p.cands) all_family_mask_ |= c.family_mask;

  comp_order_.resize(n);
  std::iota(comp_order_.begin(), comp_order_.end(), 0u);
  rg_for_ = nullptr;
  std::span<const uint32_t> all(comp_order_.data(), n);

  const Centi greedy = Greedy(all, &best_count_);
  if (options.greedy_only || n == 0) {
    value_ = greedy;
    optimal_ = n == 0;
    upper_bound_ = n == 0 ? 0 : std::max(greedy, p.transfer_cap);
    stats_.components = n == 0 ? 0 : 1;
    return;
  }
  for (uint32_t j = 0; j < n; ++j) {
    if (best_count_[j] != 0) Apply(j, -best_count_[j]);
  }
  Centi gcd = 0;
  for (const Candidate& c : p.cands) gcd = std::gcd(gcd, c.grant);
  if (gcd <= 0) gcd = 1;

  const Centi root_ub = Bound(all, 0, 0, gcd);
  auto apply_best = [&](std::span<const uint32_t> order) {
    for (uint32_t j : order) {
      if (best_count_[j] != 0) Apply(j, best_count_[j]);
    }
  };
  if (greedy >= root_ub) {
    apply_best(all);
    value_ = greedy;
    upper_bound_ = greedy;
    optimal_ = true;
    stats_.components = 1;
    return;
  }

  // Components: union candidates sharing a class, a requirement or a binding group.
  uf_.resize(n);
  std::iota(uf_.begin(), uf_.end(), 0u);
  auto find = [&](uint32_t x) {
    while (uf_[x] != x) {
      uf_[x] = uf_[uf_[x]];
      x = uf_[x];
    }
    return x;
  };
  auto unite = [&](uint32_t a, uint32_t b) {
    a = find(a);
    b = find(b);
    if (a != b) uf_[std::max(a, b)] = std::min(a, b);
  };
  first_of_.assign(std::max({ncls, nreq, ngrp}), kNoIndex);
  for (uint32_t j = 0; j < n; ++j) {
    const Candidate& c = p.cands[j];
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
      uint32_t& f = first_of_[p.cand_class[i]];
      if (f == kNoIndex)
        f = j;
      else
        unite(f, j);
    }
  }
  std::fill(first_of_.begin(), first_of_.end(), kNoIndex);
  for (uint32_t j = 0; j < n; ++j) {
    uint32_t& f = first_of_[p.cands[j].req];
    if (f == kNoIndex)
      f = j;
    else
      unite(f, j);
  }
  if (ngrp > 0) {
    std::vector<Centi>& sum = grp_sum_;
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
        uint32_t g = p.cand_group[i];
        if (sum[g] <= p.group_limit[g] && cnt[g] <= p.group_count[g]) continue;
        uint32_t& f = first_of_[g];
        if (f == kNoIndex)
          f = j;
        else
          unite(f, j);
      }
    }
    NextEpoch();  // grp_sum_/grp_max_ were borrowed; stale stamps must not match
  }
  // Number components by first candidate; lay out their members in candidate order.
  comp_of_.resize(n);
  uint32_t comps = 0;
  std::vector<uint32_t>& root_comp = first_of_;
  root_comp.assign(n, kNoIndex);
  for (uint32_t j = 0; j < n; ++j) {
    uint32_t r = find(j);
    if (root_comp[r] == kNoIndex) root_comp[r] = comps++;
    comp_of_[j] = root_comp[r];
  }
  stats_.components = comps;
  comp_begin_.assign(comps + 1, 0);
  for (uint32_t j = 0; j < n; ++j) ++comp_begin_[comp_of_[j] + 1];
  for (uint32_t c = 0; c < comps; ++c) comp_begin_[c + 1] += comp_begin_[c];
  {
    comp_fill_.assign(comp_begin_.begin(), comp_begin_.end() - 1);
    for (uint32_t j = 0; j < n; ++j) comp_order_[comp_fill_[comp_of_[j]]++] = j;
  }
  rg_for_ = nullptr;
  auto comp_span = [&](uint32_t c) {
    return std::span<const uint32_t>(comp_order_.data() + comp_begin_[c],
                                     comp_begin_[c + 1] - comp_begin_[c]);
  };
  auto comp_gcd = [&](std::span<const uint32_t> order) {
    Centi g = 0;
    for (uint32_t j : order) g = std::gcd(g, p.cands[j].grant);
    return g <= 0 ? Centi{1} : g;
  };

  bool joint = comps == 1;
  comp_ub_.clear();
  if (!joint) {
    Centi sum_ub = 0;
    for (uint32_t c = 0; c < comps; ++c) {
      std::span<const uint32_t> order = comp_span(c);
      comp_ub_.push_back(Bound(order, 0, 0, comp_gcd(order)));
      sum_ub += comp_ub_.back();
    }
    joint = sum_ub > t_rem_;
  }
  if (joint) {
    std::iota(comp_order_.begin(), comp_order_.end(), 0u);
    rg_for_ = nullptr;
    // A second greedy, by grant per record, often starts hard searches much higher. Its
    // selection is kept only as a fallback: the search starts at its value - 1, so the
    // first selection of that value in depth-first order (the tie order's choice) wins.
    Centi incumbent = greedy;
    alt_order_.assign(comp_order_.begin(), comp_order_.end());
    std::sort(alt_order_.begin(), alt_order_.end(), [&](uint32_t a, uint32_t b) {
      const int64_t va = p.cands[a].unit_value, vb = p.cands[b].unit_value;
      return va != vb ? va > vb : a < b;
    });
    alt_count_.assign(n, 0);
    const Centi alt = Greedy(alt_order_, &alt_count_);
    for (uint32_t j = 0; j < n; ++j) {
      if (alt_count_[j] != 0) Apply(j, -alt_count_[j]);
    }
    if (alt > greedy) {
      best_count_ = alt_count_;
      incumbent = alt - 1;
    }
    const Centi ub = SearchWithLp(all, incumbent, root_ub, gcd);
    apply_best(all);
    value_ = 0;
    for (uint32_t j = 0; j < n; ++j) value_ += p.cands[j].grant * best_count_[j];
    upper_bound_ = std::max(ub, value_);
    stats_.components = 1;
  } else {
    value_ = 0;
    upper_bound_ = 0;
    for (uint32_t c = 0; c < comps; ++c) {
      std::span<const uint32_t> order = comp_span(c);
      const Centi g = comp_gcd(order);
      Centi comp_greedy = 0;
      for (uint32_t j : order) comp_greedy += p.cands[j].grant * best_count_[j];
      Centi ub = comp_ub_[c];
      if (comp_greedy < ub) ub = SearchWithLp(order, comp_greedy, ub, g);
      apply_best(order);
      Centi comp_value = 0;
      for (uint32_t j : order) comp_value += p.cands[j].grant * best_count_[j];
      value_ += comp_value;
      upper_bound_ += std::max(ub, comp_value);
    }
  }
  // Never leave a feasible candidate out (only possible after the budget ran out). Counts
  // stay within static_max, which presolve relies on.
  for (uint32_t j = 0; j < n; ++j) {
    const int32_t k = std::min(MaxCount(j), p.cands[j].static_max - best_count_[j]);
    if (k <= 0) continue;
    Apply(j, k);
    best_count_[j] += k;
    value_ += p.cands[j].grant * k;
  }
  upper_bound_ = std::max(upper_bound_, value_);
  optimal_ = value_ >= upper_bound_;
}

}  // namespace lcb::solver
