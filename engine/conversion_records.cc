// Steps 1-5 of an evaluation (engine/conversion_eval.h): from records to classes of
// interchangeable records and the rule sources they match.
#include <algorithm>

#include "engine/conversion_eval.h"

namespace lcb::conversion_internal {

Evaluation::Evaluation(const CompiledRuleset& rs, Days as_of, Impl& m)
    : rs_(rs),
      prog_(rs.program()),
      m_(m),
      as_of_(as_of),
      n_(m.sorted.size()),
      nfam_(rs.caps().size()) {
  // Stamps of earlier evaluations must not match this one's.
  ++m_.epoch;
  if (m_.epoch == 0) {  // wrapped: reset stamps
    std::fill(m_.group_stamp.begin(), m_.group_stamp.end(), 0);
    m_.age_stamp.fill(0);
    m_.epoch = 1;
  }
  epoch_ = m_.epoch;
}

// ---- 1. Status ------------------------------------------------------------------------------

void Evaluation::ClassifyRecords() {
  const Policy& policy = prog_.policy;
  m_.status.assign(n_, kEligible);
  m_.flags.assign(n_, 0);
  const Days policy_age =
      policy.max_age_years ? AddYears(as_of_, -*policy.max_age_years) : INT32_MIN;
  for (size_t r = 0; r < n_; ++r) {
    const Record& rec = *m_.sorted[r];
    uint8_t st = kEligible;
    if (rec.revoked) {
      st = kRevoked;
    } else if ((rec.expires_on && *rec.expires_on <= as_of_) || rec.completed_on > as_of_) {
      st = kTooOld;
    } else if (!rec.passing || (policy.min_grade && rec.grade < *policy.min_grade)) {
      // A failing grade earns nothing, whatever the policy's or the rule's min_grade.
      st = kBelowMinGrade;
    } else if (rec.completed_on < policy_age) {
      st = kTooOld;
    }
    m_.status[r] = st;
  }
}

// ---- 2. Matching ----------------------------------------------------------------------------

void Evaluation::MatchRecords() {
  m_.hits.clear();
  m_.hit_begin.resize(n_ + 1);
  for (size_t r = 0; r < n_; ++r) {
    const uint32_t begin = static_cast<uint32_t>(m_.hits.size());
    m_.hit_begin[r] = begin;
    if (m_.status[r] != kEligible) continue;
    m_.flags[r] = MatchRecord(*m_.sorted[r]);
    // Each source is reported once.
    SortRun(m_.hits.data() + begin, m_.hits.data() + m_.hits.size());
  }
  m_.hit_begin[n_] = static_cast<uint32_t>(m_.hits.size());
}

// Appends the sources `rec` matches that the rule-level filters accept; returns its flags.
uint8_t Evaluation::MatchRecord(const Record& rec) {
  uint8_t flags = 0;
  rs_.ForEachMatchingSource(rec, [&](uint32_t s) {
    const uint32_t rule = rs_.source_rule(s);
    flags |= kPatternMatched;
    const int min_grade = rs_.rule_min_grade(rule);
    if (min_grade >= 0 && rec.grade < min_grade) return;
    flags |= kGradeOk;
    const int age = rs_.rule_max_age_years(rule);
    if (age != 0 && rec.completed_on < AgeThreshold(age)) return;
    m_.hits.push_back(s);
  });
  return flags;
}

// as_of minus `years` (1..255), computed once per evaluation.
Days Evaluation::AgeThreshold(int years) {
  if (m_.age_stamp[years] != epoch_) {
    m_.age_stamp[years] = epoch_;
    m_.age_threshold[years] = AddYears(as_of_, -years);
  }
  return m_.age_threshold[years];
}

// ---- 3. Cap groups --------------------------------------------------------------------------

void Evaluation::AssignCapGroups() {
  m_.groups.clear();
  m_.rec_groups.assign(n_ * nfam_, kNone);
  for (size_t r = 0; r < n_; ++r) {
    if (m_.hit_begin[r] == m_.hit_begin[r + 1]) continue;
    const Record& rec = *m_.sorted[r];
    const int year = nfam_ > 0 ? CivilFromDays(rec.completed_on).year : 0;
    for (size_t f = 0; f < nfam_; ++f) {
      Centi limit;
      int32_t count;
      rs_.CapLimits(f, rec, year, &limit, &count);
      if (limit >= CompiledRuleset::kUnlimited && count >= CompiledRuleset::kUnlimitedCount) {
        continue;
      }
      const int key_int = rs_.caps()[f].by == CapBy::kKind ? static_cast<int>(rec.kind) : year;
      m_.rec_groups[r * nfam_ + f] = FindOrAddGroup(f, rec, key_int, limit, count);
    }
  }
  DropGroupsThatCannotBind();
  SortGroups();
}

// A group with n records whose rules grant at most G each is counted by at most n
// applications (each uses one of its records, and a record is used at most once), so at most
// n x G credits: when its credit limit is at least that and its count limit at least n, no
// selection, and no reason check (the selection plus one candidate of unused records), can
// exceed it. Such a group is left out, so that its records are not told apart by it: twenty
// MOOCs of twenty institutions under a 42-credit limit per institution are one class, not
// twenty (whose tuples an n:1 rule could not all list).
void Evaluation::DropGroupsThatCannotBind() {
  if (m_.groups.empty()) return;
  const size_t ng = m_.groups.size();
  m_.group_members.assign(ng, 0);
  m_.group_max_grant.assign(ng, 0);
  for (size_t r = 0; r < n_; ++r) {
    if (m_.hit_begin[r] == m_.hit_begin[r + 1]) continue;
    Centi grant = 0;
    for (uint32_t i = m_.hit_begin[r]; i < m_.hit_begin[r + 1]; ++i) {
      grant = std::max(grant, rs_.rule_grant(rs_.source_rule(m_.hits[i])));
    }
    for (size_t f = 0; f < nfam_; ++f) {
      const uint32_t g = m_.rec_groups[r * nfam_ + f];
      if (g == kNone) continue;
      ++m_.group_members[g];
      m_.group_max_grant[g] = std::max(m_.group_max_grant[g], grant);
    }
  }
  m_.group_rank.assign(ng, kNone);
  m_.groups_tmp.clear();
  for (size_t g = 0; g < ng; ++g) {
    const GroupInfo& info = m_.groups[g];
    const int64_t n = m_.group_members[g];
    const bool credits_bind = m_.group_max_grant[g] > info.limit / n;  // n x G > limit
    if (credits_bind || info.count < n) {
      m_.group_rank[g] = static_cast<uint32_t>(m_.groups_tmp.size());
      m_.groups_tmp.push_back(info);
    }
  }
  if (m_.groups_tmp.size() == ng) return;
  m_.groups.swap(m_.groups_tmp);
  for (uint32_t& g : m_.rec_groups) {
    if (g != kNone) g = m_.group_rank[g];
  }
}

bool Evaluation::IsGroupOf(const GroupInfo& g, size_t f, const Record& rec, int key_int) const {
  if (g.family != f) return false;
  return rs_.caps()[f].by == CapBy::kIssuer ? *g.issuer == rec.issuer : g.key_int == key_int;
}

// The group of `rec` in family `f`, found in a small open-addressing table keyed by
// (family, key), or a new one.
uint32_t Evaluation::FindOrAddGroup(size_t f, const Record& rec, int key_int, Centi limit,
                                    int32_t count) {
  const CapBy by = rs_.caps()[f].by;
  const uint64_t h =
      (by == CapBy::kIssuer ? HashBytes(rec.issuer)
                            : static_cast<uint64_t>(key_int) * 0x9E3779B97F4A7C15ull) ^
      (static_cast<uint64_t>(f + 1) * 0xC2B2AE3D27D4EB4Full);
  uint32_t g = kNone;
  size_t slot = (h ^ (h >> 29)) & kGroupTableMask;
  for (;; slot = (slot + 1) & kGroupTableMask) {
    if (m_.group_stamp[slot] != epoch_) break;
    if (IsGroupOf(m_.groups[m_.group_slot[slot]], f, rec, key_int)) return m_.group_slot[slot];
  }
  if (m_.groups.size() * 2 >= kGroupTableMask) {
    // Table full (more than ~500 distinct keys): fall back to a scan.
    for (uint32_t i = 0; i < m_.groups.size() && g == kNone; ++i) {
      if (IsGroupOf(m_.groups[i], f, rec, key_int)) g = i;
    }
    if (g != kNone) return g;
  } else {
    m_.group_stamp[slot] = epoch_;
    m_.group_slot[slot] = static_cast<uint32_t>(m_.groups.size());
  }
  m_.groups.push_back({static_cast<uint32_t>(f), key_int, &rec.issuer, limit, count});
  return static_cast<uint32_t>(m_.groups.size() - 1);
}

// Renumbers groups by (family, key) so reasons and candidate group lists are ordered.
void Evaluation::SortGroups() {
  if (m_.groups.size() <= 1) return;
  m_.perm.resize(m_.groups.size());
  for (uint32_t i = 0; i < m_.perm.size(); ++i) m_.perm[i] = i;
  // (family, key) is unique per group: a total order.
  std::sort(m_.perm.begin(), m_.perm.end(), [&](uint32_t a, uint32_t b) {
    const GroupInfo& x = m_.groups[a];
    const GroupInfo& y = m_.groups[b];
    if (x.family != y.family) return x.family < y.family;
    if (rs_.caps()[x.family].by == CapBy::kIssuer) return *x.issuer < *y.issuer;
    return x.key_int < y.key_int;
  });
  m_.group_rank.resize(m_.groups.size());
  m_.groups_tmp.clear();
  for (uint32_t i = 0; i < m_.perm.size(); ++i) {
    m_.group_rank[m_.perm[i]] = i;
    m_.groups_tmp.push_back(m_.groups[m_.perm[i]]);
  }
  m_.groups.swap(m_.groups_tmp);
  for (uint32_t& g : m_.rec_groups) {
    if (g != kNone) g = m_.group_rank[g];
  }
}

// ---- 4. Classes -----------------------------------------------------------------------------

void Evaluation::FormClasses() {
  SignRecords();
  PickClassLeaders();
  NumberClasses();
  LayOutClasses();
}

// A hash of each record's hits and groups; records with hits listed in by_sig, sorted by
// (signature, rank).
void Evaluation::SignRecords() {
  m_.sig.assign(n_, 0);
  m_.by_sig.clear();
  for (size_t r = 0; r < n_; ++r) {
    if (m_.hit_begin[r] == m_.hit_begin[r + 1]) continue;
    uint64_t h = 0x51ed270b27e5a3c1ull;
    for (uint32_t i = m_.hit_begin[r]; i < m_.hit_begin[r + 1]; ++i) {
      h = (h ^ m_.hits[i]) * 0x9E3779B97F4A7C15ull;
      h ^= h >> 29;
    }
    for (size_t f = 0; f < nfam_; ++f) {
      h = (h ^ (m_.rec_groups[r * nfam_ + f] + 0x1000000ull * (f + 1))) * 0xbf58476d1ce4e5b9ull;
      h ^= h >> 31;
    }
    m_.sig[r] = h;
    m_.by_sig.push_back(static_cast<uint32_t>(r));
  }
  std::sort(m_.by_sig.begin(), m_.by_sig.end(), [&](uint32_t a, uint32_t b) {
    return m_.sig[a] != m_.sig[b] ? m_.sig[a] < m_.sig[b] : a < b;
  });
}

bool Evaluation::SameSignature(uint32_t a, uint32_t b) const {
  const uint32_t la = m_.hit_begin[a + 1] - m_.hit_begin[a];
  if (la != m_.hit_begin[b + 1] - m_.hit_begin[b]) return false;
  if (!std::equal(m_.hits.begin() + m_.hit_begin[a], m_.hits.begin() + m_.hit_begin[a + 1],
                  m_.hits.begin() + m_.hit_begin[b])) {
    return false;
  }
  for (size_t f = 0; f < nfam_; ++f) {
    if (m_.rec_groups[a * nfam_ + f] != m_.rec_groups[b * nfam_ + f]) return false;
  }
  return true;
}

// rec_class[r] = the rank of r's class leader: the smallest rank with the same hits and
// groups (within one signature, checked exactly against earlier leaders).
void Evaluation::PickClassLeaders() {
  m_.rec_class.assign(n_, kNone);
  for (size_t i = 0; i < m_.by_sig.size();) {
    size_t j = i;
    while (j < m_.by_sig.size() && m_.sig[m_.by_sig[j]] == m_.sig[m_.by_sig[i]]) ++j;
    for (size_t a = i; a < j; ++a) {
      const uint32_t r = m_.by_sig[a];
      for (size_t b = i; b < a; ++b) {
        const uint32_t leader = m_.by_sig[b];
        if (m_.rec_class[leader] == leader && SameSignature(leader, r)) {
          m_.rec_class[r] = leader;
          break;
        }
      }
      if (m_.rec_class[r] == kNone) m_.rec_class[r] = r;
    }
    i = j;
  }
}

// Classes numbered by leader rank; rec_class[r] becomes the class number.
void Evaluation::NumberClasses() {
  constexpr uint32_t kNumbered = 0x80000000u;
  m_.class_leader.clear();
  for (size_t r = 0; r < n_; ++r) {
    if (m_.rec_class[r] == r) {
      m_.class_leader.push_back(static_cast<uint32_t>(r));
      m_.rec_class[r] = static_cast<uint32_t>(m_.class_leader.size() - 1) | kNumbered;
    }
  }
  for (size_t r = 0; r < n_; ++r) {
    const uint32_t c = m_.rec_class[r];
    if (c == kNone) continue;
    if (c & kNumbered) {
      m_.rec_class[r] = c & ~kNumbered;
    } else {
      m_.rec_class[r] = m_.rec_class[c] & ~kNumbered;  // leader rank < r, already final
    }
  }
}

// Class sizes into the (cleared) problem; members of each class by rank (CSR).
void Evaluation::LayOutClasses() {
  const size_t ncls = m_.class_leader.size();
  solver::Problem& p = m_.problem;
  p.Clear();
  p.class_size.assign(ncls, 0);
  for (size_t r = 0; r < n_; ++r) {
    if (m_.rec_class[r] != kNone) ++p.class_size[m_.rec_class[r]];
  }
  m_.class_begin.assign(ncls + 1, 0);
  for (size_t c = 0; c < ncls; ++c) m_.class_begin[c + 1] = m_.class_begin[c] + p.class_size[c];
  m_.class_members.resize(m_.class_begin[ncls]);
  m_.class_next.assign(m_.class_begin.begin(), m_.class_begin.end() - 1);
  for (size_t r = 0; r < n_; ++r) {
    if (m_.rec_class[r] != kNone) m_.class_members[m_.class_next[m_.rec_class[r]]++] = r;
  }
}

// ---- 5. Slots -------------------------------------------------------------------------------

// Matched sources -> classes (ascending), from each class's leader; the rules touched,
// ascending.
void Evaluation::MapSourcesToClasses() {
  const size_t ncls = m_.class_leader.size();
  m_.src_slot.Reset(m_.hits.size());
  m_.rule_seen.Reset(m_.hits.size());
  m_.slot_source.clear();
  m_.slot_pairs.clear();
  m_.rules.clear();
  for (uint32_t c = 0; c < ncls; ++c) {
    const uint32_t leader = m_.class_leader[c];
    for (uint32_t i = m_.hit_begin[leader]; i < m_.hit_begin[leader + 1]; ++i) {
      const uint32_t s = m_.hits[i];
      const uint32_t next = static_cast<uint32_t>(m_.slot_source.size());
      const uint32_t slot = m_.src_slot.Insert(s, next);
      if (slot == next) {
        m_.slot_source.push_back(s);
        const uint32_t rule = rs_.source_rule(s);
        const uint32_t idx = static_cast<uint32_t>(m_.rules.size());
        if (m_.rule_seen.Insert(rule, idx) == idx) m_.rules.push_back(rule);
      }
      m_.slot_pairs.emplace_back(slot, c);
    }
  }
  // CSR of classes per slot; pairs arrive in class order, so each slot's list ascends.
  const size_t nslots = m_.slot_source.size();
  m_.slot_begin.assign(nslots + 1, 0);
  for (const auto& [slot, c] : m_.slot_pairs) ++m_.slot_begin[slot + 1];
  for (size_t s = 0; s < nslots; ++s) m_.slot_begin[s + 1] += m_.slot_begin[s];
  m_.slot_classes.resize(m_.slot_pairs.size());
  m_.perm.assign(m_.slot_begin.begin(), m_.slot_begin.end() - 1);
  for (const auto& [slot, c] : m_.slot_pairs) m_.slot_classes[m_.perm[slot]++] = c;
  std::sort(m_.rules.begin(), m_.rules.end());
}

}  // namespace lcb::conversion_internal
