// Upper bounds of the branch and bound (engine/solver.h, "Search", step 3): what the live
// candidates from a search position can still add to the residual state.
#include <algorithm>
#include <bit>

#include "engine/solver_internal.h"

namespace lcb::solver {
namespace {

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

// What the live candidates of one bound evaluation could take, gathered in one pass. The
// per-requirement, per-group and per-class sums live in the epoch-stamped scratch
// (req_acc_, grp_sum_, cls_use_, ...), listed in touched_req_, touched_grp_, touched_cls_.
struct Solver::BoundTally {
  Centi fam[32] = {};  // per cap family: grants of candidates in no limited group of it
  Centi sum_all = 0;   // every live candidate at its largest count
  Centi rec_free = 0;  // candidates with no record that can run out
};

// The minimum of the bounds listed in solver.h (step 3), rounded down to the grants' gcd;
// the Lagrangian and subset-sum bounds only when the cheaper ones reach `need`.
Centi Solver::Bound(std::span<const uint32_t> order, size_t pos, Centi need, Centi gcd) {
  NextEpoch();
  stats_.nodes += (order.size() - pos) / kCandidatesPerNode;
  touched_req_.clear();
  touched_grp_.clear();
  touched_cls_.clear();
  BoundTally tally;
  for (size_t t = pos; t < order.size(); ++t) {
    const uint32_t j = order[t];
    const int32_t k = MaxCount(j);
    if (k == 0) continue;
    kcache_[j] = k;
    kstamp_[j] = epoch_;
    TallyCandidate(j, k, &tally);
  }
  Centi b = CombinatorialBound(&tally);
  if (lagrange_ && b >= need) {
    const __int128 lb = LagrangianBound(tally);
    if (lb < b) b = static_cast<Centi>(lb);
  }
  b -= b % gcd;
  if (b >= need && b > 0 && b / gcd < kKnapBits && PackingMayBind(tally, b, gcd)) {
    if (rg_for_ != order.data() || rg_for_size_ != order.size()) BuildReqGroups(order);
    b = std::min(b, KnapBound(order, pos, b, gcd));
  }
  return b;
}

// Adds candidate j, live with up to k copies, to every sum the bounds read. The Tally steps
// run once per live candidate per search node: always inlined into Bound (as one function
// they were before the split; callgrind showed the calls cost 7 % of a typical evaluation).
[[gnu::always_inline]] inline void Solver::TallyCandidate(uint32_t j, int32_t k, BoundTally* tally) {
  const Problem& p = *p_;
  const Candidate& c = p.cands[j];
  const Centi gk = c.grant * k;
  tally->sum_all += gk;
  TallyRequirement(j, k);
  TallyGroups(c, k);
  for (uint32_t free = all_family_mask_ & ~c.family_mask; free != 0; free &= free - 1) {
    tally->fam[std::countr_zero(free)] += gk;
  }
  if (c.class_begin == c.class_end) tally->rec_free += gk;
  TallyClasses(c, k);
}

// Per requirement: its best course grant or its pool sum, and (with multipliers) its best
// reduced profit, and for a pool the best profit per credit.
[[gnu::always_inline]] inline void Solver::TallyRequirement(uint32_t j, int32_t k) {
  const Problem& p = *p_;
  const Candidate& c = p.cands[j];
  const uint32_t q = c.req;
  if (req_stamp_[q] != epoch_) {
    req_stamp_[q] = epoch_;
    req_acc_[q] = 0;
    lag_acc_[q] = 0;
    lag_pp_[q] = 0;
    lag_pw_[q] = 1;
    touched_req_.push_back(q);
  }
  const bool course = p.req_is_course[q];
  if (course) {
    req_acc_[q] = std::max(req_acc_[q], c.grant);
  } else {
    req_acc_[q] += c.grant * k;
  }
  if (!lagrange_) return;
  const int64_t pj = lag_profit_[j];
  if (pj <= 0) return;
  if (course) {
    lag_acc_[q] = std::max(lag_acc_[q], pj);
    return;
  }
  lag_acc_[q] += pj * k;
  if (static_cast<__int128>(pj) * lag_pw_[q] > static_cast<__int128>(lag_pp_[q]) * c.grant) {
    lag_pp_[q] = pj;
    lag_pw_[q] = c.grant;
  }
}

// Per limited group: the grants and copies that could flow into it, and its largest grant.
[[gnu::always_inline]] inline void Solver::TallyGroups(const Candidate& c, int32_t k) {
  const Problem& p = *p_;
  const Centi gk = c.grant * k;
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
}

// Per class: the records the candidates could use and the best value per record.
[[gnu::always_inline]] inline void Solver::TallyClasses(const Candidate& c, int32_t k) {
  const Problem& p = *p_;
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

// min(transfer room, requirements, every cap family, records). Adds each touched group's
// room to tally->fam.
Centi Solver::CombinatorialBound(BoundTally* tally) const {
  const Problem& p = *p_;
  Centi b = std::min(t_rem_, tally->sum_all);
  Centi breq = 0;
  for (const uint32_t q : touched_req_) {
    breq += p.req_is_course[q] ? req_acc_[q] : std::min(req_acc_[q], req_rem_[q]);
  }
  b = std::min(b, breq);
  if (all_family_mask_ != 0) {
    for (const uint32_t g : touched_grp_) {
      Centi room = std::min(group_rem_[g], grp_sum_[g]);
      room = std::min(room, static_cast<Centi>(group_cnt_[g]) * grp_max_[g]);
      tally->fam[p.group_family[g]] += room;
    }
    for (uint32_t m = all_family_mask_; m != 0; m &= m - 1) {
      b = std::min(b, tally->fam[std::countr_zero(m)]);
    }
  }
  int64_t brec = tally->rec_free * kValueScale;
  for (const uint32_t cl : touched_cls_) {
    brec += std::min<int64_t>(class_rem_[cl], cls_use_[cl]) * cls_v_[cl];
  }
  return std::min<Centi>(b, brec / kValueScale);
}

// L(u) = sum of row capacities * multipliers + per requirement the best reduced profit
// (exact integers; valid for any multipliers >= 0).
__int128 Solver::LagrangianBound(const BoundTally& tally) const {
  const Problem& p = *p_;
  __int128 l = static_cast<__int128>(std::min(t_rem_, tally.sum_all)) * lag_t_;
  for (const uint32_t q : touched_req_) {
    if (p.req_is_course[q]) {
      l += lag_acc_[q];
    } else {
      const __int128 room = std::min(req_rem_[q], req_acc_[q]);
      const __int128 frac = (room * lag_pp_[q] + lag_pw_[q] - 1) / lag_pw_[q];
      l += std::min<__int128>(lag_acc_[q], frac);
    }
  }
  for (const uint32_t cl : touched_cls_) {
    l += static_cast<__int128>(std::min<int64_t>(class_rem_[cl], cls_use_[cl])) * lag_u_[cl];
  }
  for (const uint32_t g : touched_grp_) {
    l += static_cast<__int128>(std::min(group_rem_[g], grp_sum_[g])) * lag_y_[g];
    l += static_cast<__int128>(std::min<Centi>(group_cnt_[g], grp_cnt_sum_[g])) * lag_z_[g];
  }
  return l / kLagScale;
}

// The subset-sum bound only helps when the transfer cap is what limits b, or a pool can
// overflow (granularity: 4 + 4 does not fit a room of 6).
bool Solver::PackingMayBind(const BoundTally& tally, Centi b, Centi gcd) const {
  if (tally.sum_all > t_rem_ && b + gcd > t_rem_) return true;
  for (const uint32_t q : touched_req_) {
    if (!p_->req_is_course[q] && req_acc_[q] > req_rem_[q]) return true;
  }
  return false;
}

// ---- Subset-sum bound -------------------------------------------------------------------

// (requirement, position) pairs of `order`, grouped by requirement; positions ascend.
void Solver::BuildReqGroups(std::span<const uint32_t> order) {
  rg_begin_.clear();
  rg_pos_.clear();
  rg_req_.clear();
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

// The largest total <= cap reachable under the requirement structure, in multiples of gcd:
// a bitset of reachable sums, extended per requirement by one course grant or any pool sum.
// Reads the live counts the preceding Bound left in kcache_.
Centi Solver::KnapBound(std::span<const uint32_t> order, size_t pos, Centi cap, Centi gcd) {
  const size_t bits = static_cast<size_t>(cap / gcd) + 1;
  const size_t words = (bits + 63) / 64;
  knap_acc_.assign(words, 0);
  knap_tmp_.resize(words);
  knap_pool_.resize(words);
  uint64_t* acc = knap_acc_.data();
  acc[0] = 1;
  for (size_t r = 0; r + 1 < rg_begin_.size(); ++r) {
    const uint32_t q = rg_req_[r];
    const uint32_t* first = rg_pos_.data() + rg_begin_[r];
    const uint32_t* last = rg_pos_.data() + rg_begin_[r + 1];
    first = std::lower_bound(first, last, static_cast<uint32_t>(pos));
    if (first == last) continue;
    if (p_->req_is_course[q]) {
      AddCourseChoice(order, first, last, gcd, words);
    } else {
      AddPoolSums(order, q, first, last, cap, gcd, words);
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

// acc |= acc shifted by each distinct live grant of a course (at most one is taken).
void Solver::AddCourseChoice(std::span<const uint32_t> order, const uint32_t* first,
                             const uint32_t* last, Centi gcd, size_t words) {
  uint64_t* acc = knap_acc_.data();
  uint64_t* tmp = knap_tmp_.data();
  std::copy(acc, acc + words, tmp);
  Centi last_grant = -1;
  bool any = false;
  for (const uint32_t* t = first; t != last; ++t) {
    const uint32_t j = order[*t];
    if (kstamp_[j] != epoch_ || kcache_[j] == 0) continue;
    const Centi g = p_->cands[j].grant;
    if (g == last_grant) continue;
    last_grant = g;
    any = true;
    ShiftOr(tmp, acc, words, static_cast<size_t>(g / gcd));
  }
  if (any) std::copy(tmp, tmp + words, acc);
}

// acc = acc + (every sum the pool's live candidates can reach within its room).
void Solver::AddPoolSums(std::span<const uint32_t> order, uint32_t q, const uint32_t* first,
                         const uint32_t* last, Centi cap, Centi gcd, size_t words) {
  uint64_t* acc = knap_acc_.data();
  uint64_t* tmp = knap_tmp_.data();
  uint64_t* pool = knap_pool_.data();
  const Centi room = std::min(req_rem_[q], cap) / gcd;
  const size_t pbits = static_cast<size_t>(room) + 1;
  const size_t pwords = (pbits + 63) / 64;
  std::fill(pool, pool + pwords, 0);
  pool[0] = 1;
  bool any = false;
  for (const uint32_t* t = first; t != last; ++t) {
    const uint32_t j = order[*t];
    if (kstamp_[j] != epoch_ || kcache_[j] == 0) continue;
    const Centi d = p_->cands[j].grant / gcd;
    for (int32_t i = 0; i < kcache_[j] && d * (i + 1) <= room; ++i) {
      ShiftOr(pool, pool, pwords, static_cast<size_t>(d));
      MaskTo(pool, pwords, pbits);
      any = true;
    }
  }
  if (!any) return;
  std::copy(acc, acc + words, tmp);
  for (size_t w = 0; w < pwords; ++w) {
    uint64_t bitsw = pool[w];
    while (bitsw != 0) {
      const size_t b = w * 64 + static_cast<size_t>(std::countr_zero(bitsw));
      bitsw &= bitsw - 1;
      if (b != 0) ShiftOr(tmp, acc, words, b);
    }
  }
  std::copy(tmp, tmp + words, acc);
}

}  // namespace lcb::solver
