// Steps 6-8 of an evaluation (engine/conversion_eval.h): candidate applications in tie
// order, and the solver's problem.
#include <algorithm>

#include "engine/conversion_eval.h"

namespace lcb::conversion_internal {
namespace {

// Enumerates tuples of classes (one per source, a class used at most `size` times) in
// lexicographic order. Run returns false when the per-rule limit stopped it.
// Positions whose slot holds the same classes as the previous position's (two `{"kind":
// "mooc"}` sources) are interchangeable: only non-decreasing classes are tried there, so each
// multiset is emitted once, in its lexicographically first order (the one DropRepeatedMultisets
// keeps), instead of once per permutation (12 classes, 3 such sources: 220 tuples, not 1,320).
struct TupleEnumerator {
  const std::vector<uint32_t>* slot_begin;
  const std::vector<uint32_t>* slot_classes;
  const std::vector<int32_t>* class_size;
  std::vector<int32_t>* used;
  const uint32_t* slots;
  uint32_t k;
  size_t limit;
  bool same_as_prev[kMaxRuleSources] = {};
  uint32_t tuple[kMaxRuleSources];
  std::vector<uint32_t>* out;  // flat tuples
  size_t emitted = 0;

  void FindInterchangeable() {
    for (uint32_t p = 1; p < k; ++p) {
      const uint32_t a = slots[p - 1], b = slots[p];
      const uint32_t na = (*slot_begin)[a + 1] - (*slot_begin)[a];
      same_as_prev[p] = a == b || (na == (*slot_begin)[b + 1] - (*slot_begin)[b] &&
                                   std::equal(slot_classes->begin() + (*slot_begin)[a],
                                              slot_classes->begin() + (*slot_begin)[a + 1],
                                              slot_classes->begin() + (*slot_begin)[b]));
    }
  }

  bool Run(uint32_t p) {
    const uint32_t s = slots[p];
    for (uint32_t i = (*slot_begin)[s]; i < (*slot_begin)[s + 1]; ++i) {
      const uint32_t c = (*slot_classes)[i];
      if (same_as_prev[p] && c < tuple[p - 1]) continue;
      if ((*used)[c] >= (*class_size)[c]) continue;
      ++(*used)[c];
      tuple[p] = c;
      bool ok = true;
      if (p + 1 == k) {
        out->insert(out->end(), tuple, tuple + k);
        ok = ++emitted < limit;
      } else {
        ok = Run(p + 1);
      }
      --(*used)[c];
      if (!ok) return false;
    }
    return true;
  }
};

}  // namespace

// ---- 6. Candidates --------------------------------------------------------------------------

// Per rule whose every source matched (in rule order), its tuples of classes: raw and
// raw_tuple, in emission order (rule, then tuple).
bool Evaluation::EnumerateCandidates() {
  // First with the per-rule limit; when a rule was cut short but the candidates are few, once
  // more with the wider one (a large ruleset that hits the limit everywhere keeps the narrow
  // one: more candidates there would spend the solver's budget on the root bound).
  tuple_limit_ = kMaxTuplesPerRule;
  if (EnumerateCandidatesOnce() || m_.raw.size() > kWidenBelowCandidates) return !cut_;
  tuple_limit_ = kMaxTuplesPerRuleWidened;
  EnumerateCandidatesOnce();
  // Several rules widened at once can make thousands of candidates: then the narrow pass.
  if (m_.raw.size() > kWidenedMaxCandidates) {
    tuple_limit_ = kMaxTuplesPerRule;
    EnumerateCandidatesOnce();
  }
  return !cut_;
}

bool Evaluation::EnumerateCandidatesOnce() {
  m_.raw.clear();
  m_.raw_tuple.clear();
  m_.used_tmp.assign(m_.class_leader.size(), 0);
  cut_ = false;
  bool complete = true;
  for (const uint32_t rule : m_.rules) {
    uint32_t slots[kMaxRuleSources];
    if (!SlotsOfRule(rule, slots)) continue;
    if (m_.raw.size() >= kMaxCandidates) {
      cut_ = true;
      return false;
    }
    const uint32_t k = rs_.rule_source_end(rule) - rs_.rule_source_begin(rule);
    const size_t tuples_at = m_.raw_tuple.size();
    const bool all = k == 1 ? EmitSingleSourceTuples(slots[0]) : EmitMultiSourceTuples(slots, k);
    if (!all) complete = false;
    for (size_t t = tuples_at; t < m_.raw_tuple.size(); t += k) {
      m_.raw.push_back({rule, static_cast<uint32_t>(t)});
    }
  }
  cut_ = !complete;
  return complete;
}

// The slot of each of the rule's sources; false when one never matched (no candidate).
bool Evaluation::SlotsOfRule(uint32_t rule, uint32_t* slots) const {
  const uint32_t sb = rs_.rule_source_begin(rule), se = rs_.rule_source_end(rule);
  for (uint32_t s = sb; s < se; ++s) {
    const uint32_t slot = m_.src_slot.Find(s);
    if (slot == kNone) return false;
    slots[s - sb] = slot;
  }
  return true;
}

// A 1:1 rule: one tuple per class of the slot (at most tuple_limit_).
bool Evaluation::EmitSingleSourceTuples(uint32_t slot) {
  size_t emitted = 0;
  for (uint32_t i = m_.slot_begin[slot]; i < m_.slot_begin[slot + 1]; ++i) {
    m_.raw_tuple.push_back(m_.slot_classes[i]);
    if (++emitted >= tuple_limit_ && i + 1 < m_.slot_begin[slot + 1]) return false;
  }
  return true;
}

// An n:1 rule: tuples of classes with enough records, one per multiset of classes.
bool Evaluation::EmitMultiSourceTuples(const uint32_t* slots, uint32_t k) {
  const size_t tuples_at = m_.raw_tuple.size();
  TupleEnumerator en;
  en.slot_begin = &m_.slot_begin;
  en.slot_classes = &m_.slot_classes;
  en.class_size = &m_.problem.class_size;
  en.used = &m_.used_tmp;
  en.slots = slots;
  en.k = k;
  en.limit = tuple_limit_;
  en.out = &m_.raw_tuple;
  // Only in the wider pass: the first keeps the tuples it always kept, cut at 128 emitted
  // (permutations included), so that answers past the limit on large rulesets stay as they were.
  if (tuple_limit_ == kMaxTuplesPerRuleWidened) en.FindInterchangeable();
  const bool all = en.Run(0);
  DropRepeatedMultisets(tuples_at, k);
  return all;
}

// Keeps one tuple per multiset of classes (the lexicographically first, which the
// enumeration emitted first): the others would apply the rule to the same records.
void Evaluation::DropRepeatedMultisets(size_t tuples_at, uint32_t k) {
  const size_t count = (m_.raw_tuple.size() - tuples_at) / k;
  if (count <= 1) return;
  m_.multiset_tmp.assign(m_.raw_tuple.begin() + static_cast<std::ptrdiff_t>(tuples_at),
                         m_.raw_tuple.end());
  for (size_t t = 0; t < count; ++t) {
    SortRun(m_.multiset_tmp.data() + t * k, m_.multiset_tmp.data() + (t + 1) * k);
  }
  m_.ms_index.resize(count);
  for (uint32_t t = 0; t < count; ++t) m_.ms_index[t] = t;
  // By multiset, then tuple number: a total order.
  std::sort(m_.ms_index.begin(), m_.ms_index.end(), [&](uint32_t a, uint32_t b) {
    const uint32_t* x = m_.multiset_tmp.data() + a * k;
    const uint32_t* y = m_.multiset_tmp.data() + b * k;
    for (uint32_t i = 0; i < k; ++i) {
      if (x[i] != y[i]) return x[i] < y[i];
    }
    return a < b;
  });
  m_.tuple_tmp.assign(count, 1);  // keep flags
  for (size_t t = 1; t < count; ++t) {
    const uint32_t* x = m_.multiset_tmp.data() + m_.ms_index[t - 1] * k;
    const uint32_t* y = m_.multiset_tmp.data() + m_.ms_index[t] * k;
    if (std::equal(x, x + k, y)) m_.tuple_tmp[m_.ms_index[t]] = 0;
  }
  size_t w = tuples_at;
  for (size_t t = 0; t < count; ++t) {
    if (!m_.tuple_tmp[t]) continue;
    for (uint32_t i = 0; i < k; ++i) m_.raw_tuple[w++] = m_.raw_tuple[tuples_at + t * k + i];
  }
  m_.raw_tuple.resize(w);
}

// ---- 7. Tie order ---------------------------------------------------------------------------

// perm = raw candidates by grant descending, requirement order, then emission order (rule
// order, then tuple order).
void Evaluation::OrderCandidates() {
  const size_t nraw = m_.raw.size();
  m_.perm.resize(nraw);
  for (uint32_t i = 0; i < nraw; ++i) m_.perm[i] = i;
  std::sort(m_.perm.begin(), m_.perm.end(), [&](uint32_t a, uint32_t b) {
    const uint32_t ra = m_.raw[a].rule, rb = m_.raw[b].rule;
    const Centi ga = rs_.rule_grant(ra), gb = rs_.rule_grant(rb);
    if (ga != gb) return ga > gb;
    const uint32_t qa = rs_.rule_target(ra), qb = rs_.rule_target(rb);
    if (qa != qb) return qa < qb;
    return a < b;
  });
}

// ---- 8. The solver's problem ----------------------------------------------------------------

void Evaluation::BuildProblem() {
  AddRowsAndGroups();
  m_.cand_rule.clear();
  m_.cand_tuple_begin.clear();
  m_.cand_tuple.clear();
  for (const uint32_t idx : m_.perm) AddCandidate(m_.raw[idx]);
  m_.problem.Finish();
}

// Requirement rows, the transfer cap and the cap groups (class sizes are in already).
void Evaluation::AddRowsAndGroups() {
  solver::Problem& p = m_.problem;
  const size_t nreq = prog_.requirements.size();
  p.transfer_cap = rs_.transfer_cap();
  p.req_is_course.resize(nreq);
  p.req_capacity.resize(nreq);
  for (size_t q = 0; q < nreq; ++q) {
    p.req_is_course[q] = prog_.requirements[q].kind == RequirementKind::kCourse;
    p.req_capacity[q] = prog_.requirements[q].credits;
  }
  for (const GroupInfo& g : m_.groups) {
    p.group_limit.push_back(g.limit);
    p.group_count.push_back(g.count);
    p.group_family.push_back(static_cast<uint8_t>(g.family));
  }
}

// Appends one candidate in tie order: its rule and tuple (kept for handing out records),
// and the solver's view of it.
void Evaluation::AddCandidate(const RawCandidate& rc) {
  const uint32_t k = rs_.rule_source_end(rc.rule) - rs_.rule_source_begin(rc.rule);
  const uint32_t* tuple = m_.raw_tuple.data() + rc.tuple_begin;
  m_.cand_rule.push_back(rc.rule);
  m_.cand_tuple_begin.push_back(static_cast<uint32_t>(m_.cand_tuple.size()));
  m_.cand_tuple.insert(m_.cand_tuple.end(), tuple, tuple + k);
  solver::Candidate c;
  c.grant = rs_.rule_grant(rc.rule);
  c.req = rs_.rule_target(rc.rule);
  AddClassMultiplicities(tuple, k, &c);
  AddCandidateGroups(&c);
  m_.problem.cands.push_back(c);
}

// (class, multiplicity) pairs of the tuple, by class.
void Evaluation::AddClassMultiplicities(const uint32_t* tuple, uint32_t k, solver::Candidate* c) {
  solver::Problem& p = m_.problem;
  uint32_t sorted[kMaxRuleSources];
  std::copy(tuple, tuple + k, sorted);
  SortRun(sorted, sorted + k);
  c->class_begin = static_cast<uint32_t>(p.cand_class.size());
  for (uint32_t i = 0; i < k;) {
    uint32_t j = i;
    while (j < k && sorted[j] == sorted[i]) ++j;
    p.cand_class.push_back(sorted[i]);
    p.cand_mult.push_back(static_cast<int32_t>(j - i));
    i = j;
  }
  c->class_end = static_cast<uint32_t>(p.cand_class.size());
}

// The distinct limited cap groups of the candidate's records, ascending.
void Evaluation::AddCandidateGroups(solver::Candidate* c) {
  solver::Problem& p = m_.problem;
  c->group_begin = static_cast<uint32_t>(p.cand_group.size());
  if (nfam_ > 0) {
    for (uint32_t i = c->class_begin; i < c->class_end; ++i) {
      const uint32_t leader = m_.class_leader[p.cand_class[i]];
      for (size_t f = 0; f < nfam_; ++f) {
        const uint32_t g = m_.rec_groups[leader * nfam_ + f];
        if (g != kNone) p.cand_group.push_back(g);
      }
    }
    // At most sources x families entries.
    uint32_t* first = p.cand_group.data() + c->group_begin;
    uint32_t* last = p.cand_group.data() + p.cand_group.size();
    SortRun(first, last);
    p.cand_group.resize(c->group_begin + (std::unique(first, last) - first));
  }
  c->group_end = static_cast<uint32_t>(p.cand_group.size());
}

}  // namespace lcb::conversion_internal
