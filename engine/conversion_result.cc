// Steps 9-10 of an evaluation (engine/conversion_eval.h): the solver's counts turned into
// applications with record ids, the bound when enumeration was cut short, and one reason
// per unused record.
#include <algorithm>
#include <string_view>

#include "engine/conversion_eval.h"

namespace lcb::conversion_internal {
namespace {

// Reason codes (string_views: copied into results without strlen).
constexpr std::string_view kReasonNoRule = "no_rule";
constexpr std::string_view kReasonBelowMinGrade = "below_min_grade";
constexpr std::string_view kReasonTooOld = "too_old";
constexpr std::string_view kReasonRevoked = "revoked";
constexpr std::string_view kReasonUsedElsewhere = "used_elsewhere";
constexpr std::string_view kReasonRequirementFull = "requirement_full";
constexpr std::string_view kReasonTransferCap = "transfer_cap";

std::string CapKey(const GroupInfo& g, CapBy by) {
  switch (by) {
    case CapBy::kKind:
      return std::string(UnitKindName(static_cast<UnitKind>(g.key_int)));
    case CapBy::kYear:
      return std::to_string(g.key_int);
    case CapBy::kIssuer:
      return *g.issuer;
  }
  return {};
}

}  // namespace

// ---- 9. Applications ------------------------------------------------------------------------

// Every requirement in program order, with the chosen applications in candidate order; a
// class's records are handed out smallest id first. Marks used records.
void Evaluation::HandOutRecords(ConversionResult* out) {
  const solver::Problem& p = m_.problem;
  const solver::Solver& sv = m_.solver;
  const size_t nreq = prog_.requirements.size();
  out->requirements.resize(nreq);
  out->unused.reserve(n_);
  for (size_t q = 0; q < nreq; ++q) {
    out->requirements[q].id = prog_.requirements[q].id;
    out->requirements[q].granted = 0;
    out->requirements[q].applications.clear();
  }
  m_.used.assign(n_, 0);
  m_.class_next.assign(m_.class_begin.begin(), m_.class_begin.end() - 1);
  for (uint32_t j = 0; j < p.cands.size(); ++j) {
    const int32_t count = sv.count()[j];
    if (count == 0) continue;
    const uint32_t rule = m_.cand_rule[j];
    const uint32_t k = rs_.rule_source_end(rule) - rs_.rule_source_begin(rule);
    RequirementConversion& rq = out->requirements[p.cands[j].req];
    for (int32_t copy = 0; copy < count; ++copy) {
      ConversionApplication& app = rq.applications.emplace_back();
      app.rule = rs_.rule_id(rule);
      app.credits = p.cands[j].grant;
      app.records.reserve(k);
      for (uint32_t i = 0; i < k; ++i) {
        const uint32_t c = m_.cand_tuple[m_.cand_tuple_begin[j] + i];
        const uint32_t r = m_.class_members[m_.class_next[c]++];
        m_.used[r] = 1;
        app.records.push_back(m_.sorted[r]->id);
      }
      rq.granted += p.cands[j].grant;
    }
  }
}

// ---- Bound when enumeration was cut short ---------------------------------------------------

// The search saw only part of the candidates, so its bound does not hold. These bounds
// depend on rules and record classes only, not on the tuples enumerated: requirements (best
// course grant, full pools), records (each worth at most grant / sources of its best viable
// rule), every cap family, and the transfer cap.
Centi Evaluation::RuleLevelBound() const {
  const solver::Problem& p = m_.problem;
  const size_t ncls = m_.class_leader.size();
  std::vector<Centi> per_req(prog_.requirements.size(), 0);
  std::vector<int64_t> cls_best(ncls, 0);
  Centi max_grant = 0;
  for (const uint32_t rule : m_.rules) {
    if (!RuleIsViable(rule)) continue;
    const uint32_t sb = rs_.rule_source_begin(rule), se = rs_.rule_source_end(rule);
    const Centi grant = rs_.rule_grant(rule);
    max_grant = std::max(max_grant, grant);
    const uint32_t q = rs_.rule_target(rule);
    per_req[q] = p.req_is_course[q] ? std::max(per_req[q], grant) : prog_.requirements[q].credits;
    const int64_t v = grant * solver::kValueScale / (se - sb);
    for (uint32_t s = sb; s < se; ++s) {
      const uint32_t slot = m_.src_slot.Find(s);
      for (uint32_t i = m_.slot_begin[slot]; i < m_.slot_begin[slot + 1]; ++i) {
        cls_best[m_.slot_classes[i]] = std::max(cls_best[m_.slot_classes[i]], v);
      }
    }
  }
  Centi bound = rs_.transfer_cap();
  Centi req_bound = 0;
  for (const Centi v : per_req) req_bound += v;
  bound = std::min(bound, req_bound);
  int64_t rec_bound = 0;
  for (size_t c = 0; c < ncls; ++c) rec_bound += p.class_size[c] * cls_best[c];
  bound = std::min<Centi>(bound, rec_bound / solver::kValueScale);
  std::vector<uint8_t> seen(m_.groups.size(), 0);
  for (size_t f = 0; f < nfam_; ++f) {
    bound = std::min(bound, CapFamilyBound(f, cls_best, max_grant, &seen));
  }
  return bound;
}

// Every source of the rule matched some record.
bool Evaluation::RuleIsViable(uint32_t rule) const {
  for (uint32_t s = rs_.rule_source_begin(rule); s < rs_.rule_source_end(rule); ++s) {
    if (m_.src_slot.Find(s) == kNone) return false;
  }
  return true;
}

// What family `f` lets through: the sum over its groups of min(limit, count x max grant),
// or kUnlimited when some usable class is in no limited group of the family.
Centi Evaluation::CapFamilyBound(size_t f, const std::vector<int64_t>& cls_best, Centi max_grant,
                                 std::vector<uint8_t>* seen) const {
  Centi fam = 0;
  for (size_t c = 0; c < cls_best.size(); ++c) {
    if (cls_best[c] == 0) continue;
    const uint32_t g = m_.rec_groups[m_.class_leader[c] * nfam_ + f];
    if (g == kNone) return CompiledRuleset::kUnlimited;
    if ((*seen)[g]) continue;
    (*seen)[g] = 1;
    fam += std::min<Centi>(m_.groups[g].limit, static_cast<Centi>(m_.groups[g].count) * max_grant);
  }
  return fam;
}

// ---- 10. Reasons ----------------------------------------------------------------------------

// Unused records in id order, each with one reason (conversion.h lists the checks).
void Evaluation::ExplainUnused(ConversionResult* out) {
  const solver::Problem& p = m_.problem;
  m_.first_cand.assign(m_.class_leader.size(), kNone);
  for (uint32_t j = 0; j < p.cands.size(); ++j) {
    const solver::Candidate& c = p.cands[j];
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
      if (m_.first_cand[p.cand_class[i]] == kNone) m_.first_cand[p.cand_class[i]] = j;
    }
  }
  for (size_t r = 0; r < n_; ++r) {
    if (m_.used[r]) continue;
    UnusedRecord& u = out->unused.emplace_back();
    u.record = m_.sorted[r]->id;
    AssignReason(r, m_.first_cand, &u.reason);
  }
}

void Evaluation::AssignReason(size_t r, const std::vector<uint32_t>& first_cand,
                              std::string* reason) const {
  switch (m_.status[r]) {
    case kRevoked:
      reason->assign(kReasonRevoked);
      return;
    case kTooOld:
      reason->assign(kReasonTooOld);
      return;
    case kBelowMinGrade:
      reason->assign(kReasonBelowMinGrade);
      return;
    default:
      break;
  }
  const uint32_t cls = m_.rec_class[r];
  if (cls == kNone) {  // eligible, in no class: no rule source kept it
    const uint8_t fl = m_.flags[r];
    if (!(fl & kPatternMatched)) {
      reason->assign(kReasonNoRule);
    } else if (!(fl & kGradeOk)) {
      reason->assign(kReasonBelowMinGrade);
    } else {
      reason->assign(kReasonTooOld);
    }
    return;
  }
  const uint32_t j = first_cand[cls];
  if (j == kNone) {
    reason->assign(kReasonNoRule);
    return;
  }
  // Why its best candidate could not be taken (once more), against the final selection.
  const solver::Problem& p = m_.problem;
  const solver::Solver& sv = m_.solver;
  const solver::Candidate& c = p.cands[j];
  for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
    if (sv.class_room(p.cand_class[i]) < p.cand_mult[i]) {
      reason->assign(kReasonUsedElsewhere);
      return;
    }
  }
  if (sv.req_room(c.req) < c.grant) {
    reason->assign(kReasonRequirementFull);
    return;
  }
  if (CapBlocks(c, reason)) return;
  reason->assign(kReasonTransferCap);
}

// The first cap group (in group order: families in policy order, keys ascending) without
// room for the candidate: writes `cap:<by>:<key>`.
bool Evaluation::CapBlocks(const solver::Candidate& c, std::string* reason) const {
  const solver::Problem& p = m_.problem;
  const solver::Solver& sv = m_.solver;
  for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
    const uint32_t g = p.cand_group[i];
    if (sv.group_room(g) >= c.grant && sv.group_count_room(g) >= 1) continue;
    const GroupInfo& gi = m_.groups[g];
    const CapBy by = rs_.caps()[gi.family].by;
    *reason = "cap:";
    *reason += CapByName(by);
    *reason += ':';
    *reason += CapKey(gi, by);
    return true;
  }
  return false;
}

}  // namespace lcb::conversion_internal
