#include "engine/conversion.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "engine/solver.h"

namespace lcb {
namespace {

constexpr uint32_t kNone = 0xFFFFFFFFu;
// Candidate enumeration limits for n:1 rules (distinct tuples of record groups). Hitting
// either makes the answer non-optimal unless the bound still proves it.
constexpr size_t kMaxTuplesPerRule = 128;
constexpr size_t kMaxCandidates = 8192;
constexpr size_t kGroupTableMask = 1023;  // (family, key) -> group table of 1024 slots

enum Status8 : uint8_t {
  kEligible = 0,
  kRevoked,
  kTooOld,
  kBelowMinGrade,
};

enum RecordFlags : uint8_t {
  kPatternMatched = 1,
  kGradeOk = 2,
};

// Reason codes (string_views: copied into results without strlen).
constexpr std::string_view kReasonNoRule = "no_rule";
constexpr std::string_view kReasonBelowMinGrade = "below_min_grade";
constexpr std::string_view kReasonTooOld = "too_old";
constexpr std::string_view kReasonRevoked = "revoked";
constexpr std::string_view kReasonUsedElsewhere = "used_elsewhere";
constexpr std::string_view kReasonRequirementFull = "requirement_full";
constexpr std::string_view kReasonTransferCap = "transfer_cap";

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

struct GroupInfo {
  uint32_t family;
  int key_int;                // kind or year
  const std::string* issuer;  // for issuer caps
  Centi limit;
  int32_t count;
};

}  // namespace

struct EvalScratch::Impl {
  std::vector<const Record*> sorted;
  std::vector<uint8_t> status;
  std::vector<uint8_t> flags;
  std::vector<uint32_t> hit_begin;  // per rank, n + 1
  std::vector<uint32_t> hits;       // source numbers
  std::array<Days, 256> age_threshold{};
  std::array<uint32_t, 256> age_stamp{};
  // Groups.
  std::vector<GroupInfo> groups, groups_tmp;
  std::vector<uint32_t> group_stamp = std::vector<uint32_t>(kGroupTableMask + 1, 0);
  std::vector<uint32_t> group_slot = std::vector<uint32_t>(kGroupTableMask + 1, 0);
  std::vector<uint32_t> rec_groups;  // rank * families + f -> group or kNone
  std::vector<uint32_t> group_rank;
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
  struct RawCand {
    uint32_t rule;
    uint32_t tuple_begin;
  };
  std::vector<RawCand> raw;
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

EvalScratch::EvalScratch() : impl_(std::make_unique<Impl>()) {}
EvalScratch::~EvalScratch() = default;

namespace {

using Impl = EvalScratch::Impl;

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

// Enumerates tuples of classes (one per source, a class used at most `size` times) in
// lexicographic order. Returns false when the per-rule limit stopped it.
struct TupleEnumerator {
  const std::vector<uint32_t>* slot_begin;
  const std::vector<uint32_t>* slot_classes;
  const std::vector<int32_t>* class_size;
  std::vector<int32_t>* used;
  uint32_t slots[kMaxRuleSources];
  uint32_t k;
  uint32_t tuple[kMaxRuleSources];
  std::vector<uint32_t>* out;  // flat tuples
  size_t emitted = 0;

  bool Run(uint32_t p) {
    const uint32_t s = slots[p];
    for (uint32_t i = (*slot_begin)[s]; i < (*slot_begin)[s + 1]; ++i) {
      const uint32_t c = (*slot_classes)[i];
      if ((*used)[c] >= (*class_size)[c]) continue;
      ++(*used)[c];
      tuple[p] = c;
      bool ok = true;
      if (p + 1 == k) {
        out->insert(out->end(), tuple, tuple + k);
        ok = ++emitted < kMaxTuplesPerRule;
      } else {
        ok = Run(p + 1);
      }
      --(*used)[c];
      if (!ok) return false;
    }
    return true;
  }
};

// `summary` leaves requirements and unused empty (what-if needs the totals only).
void EvaluateSorted(const CompiledRuleset& rs, Days as_of, const EvalOptions& options, bool greedy,
                    bool summary, Impl& m, ConversionResult* out) {
  const Program& prog = rs.program();
  const Policy& policy = prog.policy;
  const size_t n = m.sorted.size();
  const size_t nfam = rs.caps().size();
  ++m.epoch;
  if (m.epoch == 0) {  // wrapped: reset stamps
    std::fill(m.group_stamp.begin(), m.group_stamp.end(), 0);
    m.age_stamp.fill(0);
    m.epoch = 1;
  }
  const uint32_t epoch = m.epoch;

  out->program = prog.id;
  out->ruleset_version = rs.version();
  out->ruleset_sha256 = rs.sha256_hex();
  out->as_of = as_of;
  out->total_credits = prog.total_credits;
  out->transfer_cap = rs.transfer_cap();
  out->requirements.clear();
  out->unused.clear();

  // 1. Status.
  m.status.assign(n, kEligible);
  m.flags.assign(n, 0);
  const Days policy_age =
      policy.max_age_years ? AddYears(as_of, -*policy.max_age_years) : INT32_MIN;
  for (size_t r = 0; r < n; ++r) {
    const Record& rec = *m.sorted[r];
    uint8_t st = kEligible;
    if (rec.revoked) {
      st = kRevoked;
    } else if ((rec.expires_on && *rec.expires_on <= as_of) || rec.completed_on > as_of) {
      st = kTooOld;
    } else if (policy.min_grade && rec.grade < *policy.min_grade) {
      st = kBelowMinGrade;
    } else if (rec.completed_on < policy_age) {
      st = kTooOld;
    }
    m.status[r] = st;
  }

  // 2. Matching: per eligible record, the sources it matches after rule-level filters.
  m.hits.clear();
  m.hit_begin.resize(n + 1);
  for (size_t r = 0; r < n; ++r) {
    m.hit_begin[r] = static_cast<uint32_t>(m.hits.size());
    if (m.status[r] != kEligible) continue;
    const Record& rec = *m.sorted[r];
    uint8_t flags = 0;
    rs.ForEachMatchingSource(rec, [&](uint32_t s) {
      const uint32_t rule = rs.source_rule(s);
      flags |= kPatternMatched;
      const int min_grade = rs.rule_min_grade(rule);
      if (min_grade >= 0 && rec.grade < min_grade) return;
      flags |= kGradeOk;
      const int age = rs.rule_max_age_years(rule);
      if (age != 0) {
        if (m.age_stamp[age] != epoch) {
          m.age_stamp[age] = epoch;
          m.age_threshold[age] = AddYears(as_of, -age);
        }
        if (rec.completed_on < m.age_threshold[age]) return;
      }
      m.hits.push_back(s);
    });
    m.flags[r] = flags;
    uint32_t b = m.hit_begin[r];
    // Usually 0-3 hits: insertion sort beats std::sort's setup.
    for (size_t i = b + 1; i < m.hits.size(); ++i) {
      const uint32_t v = m.hits[i];
      size_t k = i;
      for (; k > b && m.hits[k - 1] > v; --k) m.hits[k] = m.hits[k - 1];
      m.hits[k] = v;
    }
  }
  m.hit_begin[n] = static_cast<uint32_t>(m.hits.size());

  // 3. Limited cap groups of records with hits.
  m.groups.clear();
  m.rec_groups.assign(n * nfam, kNone);
  for (size_t r = 0; r < n; ++r) {
    if (m.hit_begin[r] == m.hit_begin[r + 1]) continue;
    const Record& rec = *m.sorted[r];
    int year = 0;
    if (nfam > 0) year = CivilFromDays(rec.completed_on).year;
    for (size_t f = 0; f < nfam; ++f) {
      Centi limit;
      int32_t count;
      rs.CapLimits(f, rec, year, &limit, &count);
      if (limit >= CompiledRuleset::kUnlimited && count >= CompiledRuleset::kUnlimitedCount) {
        continue;
      }
      const CapBy by = rs.caps()[f].by;
      const int key_int = by == CapBy::kKind ? static_cast<int>(rec.kind) : year;
      // Find the group in a small open-addressing table keyed by (family, key).
      const uint64_t h =
          (by == CapBy::kIssuer ? HashBytes(rec.issuer)
                                : static_cast<uint64_t>(key_int) * 0x9E3779B97F4A7C15ull) ^
          (static_cast<uint64_t>(f + 1) * 0xC2B2AE3D27D4EB4Full);
      uint32_t g = kNone;
      size_t slot = (h ^ (h >> 29)) & kGroupTableMask;
      for (;; slot = (slot + 1) & kGroupTableMask) {
        if (m.group_stamp[slot] != epoch) break;
        const GroupInfo& gi = m.groups[m.group_slot[slot]];
        if (gi.family == f &&
            (by == CapBy::kIssuer ? *gi.issuer == rec.issuer : gi.key_int == key_int)) {
          g = m.group_slot[slot];
          break;
        }
      }
      if (g == kNone && m.groups.size() * 2 >= kGroupTableMask) {
        // Table full (more than ~500 distinct keys): fall back to a scan.
        for (uint32_t i = 0; i < m.groups.size(); ++i) {
          const GroupInfo& gi = m.groups[i];
          if (gi.family == f &&
              (by == CapBy::kIssuer ? *gi.issuer == rec.issuer : gi.key_int == key_int)) {
            g = i;
            break;
          }
        }
      } else if (g == kNone) {
        m.group_stamp[slot] = epoch;
        m.group_slot[slot] = static_cast<uint32_t>(m.groups.size());
      }
      if (g == kNone) {
        g = static_cast<uint32_t>(m.groups.size());
        m.groups.push_back({static_cast<uint32_t>(f), key_int, &rec.issuer, limit, count});
      }
      m.rec_groups[r * nfam + f] = g;
    }
  }
  // Renumber groups by (family, key) so reasons and candidate group lists are ordered.
  if (m.groups.size() > 1) {
    m.perm.resize(m.groups.size());
    for (uint32_t i = 0; i < m.perm.size(); ++i) m.perm[i] = i;
    std::sort(m.perm.begin(), m.perm.end(), [&](uint32_t a, uint32_t b) {
      const GroupInfo& x = m.groups[a];
      const GroupInfo& y = m.groups[b];
      if (x.family != y.family) return x.family < y.family;
      if (rs.caps()[x.family].by == CapBy::kIssuer) return *x.issuer < *y.issuer;
      return x.key_int < y.key_int;
    });
    m.group_rank.resize(m.groups.size());
    m.groups_tmp.clear();
    for (uint32_t i = 0; i < m.perm.size(); ++i) {
      m.group_rank[m.perm[i]] = i;
      m.groups_tmp.push_back(m.groups[m.perm[i]]);
    }
    m.groups.swap(m.groups_tmp);
    for (uint32_t& g : m.rec_groups) {
      if (g != kNone) g = m.group_rank[g];
    }
  }

  // 4. Classes of interchangeable records (same hits, same groups), ranked by first member.
  m.sig.assign(n, 0);
  m.by_sig.clear();
  for (size_t r = 0; r < n; ++r) {
    if (m.hit_begin[r] == m.hit_begin[r + 1]) continue;
    uint64_t h = 0x51ed270b27e5a3c1ull;
    for (uint32_t i = m.hit_begin[r]; i < m.hit_begin[r + 1]; ++i) {
      h = (h ^ m.hits[i]) * 0x9E3779B97F4A7C15ull;
      h ^= h >> 29;
    }
    for (size_t f = 0; f < nfam; ++f) {
      h = (h ^ (m.rec_groups[r * nfam + f] + 0x1000000ull * (f + 1))) * 0xbf58476d1ce4e5b9ull;
      h ^= h >> 31;
    }
    m.sig[r] = h;
    m.by_sig.push_back(static_cast<uint32_t>(r));
  }
  std::sort(m.by_sig.begin(), m.by_sig.end(), [&](uint32_t a, uint32_t b) {
    return m.sig[a] != m.sig[b] ? m.sig[a] < m.sig[b] : a < b;
  });
  auto same_signature = [&](uint32_t a, uint32_t b) {
    uint32_t la = m.hit_begin[a + 1] - m.hit_begin[a];
    if (la != m.hit_begin[b + 1] - m.hit_begin[b]) return false;
    if (!std::equal(m.hits.begin() + m.hit_begin[a], m.hits.begin() + m.hit_begin[a + 1],
                    m.hits.begin() + m.hit_begin[b])) {
      return false;
    }
    for (size_t f = 0; f < nfam; ++f) {
      if (m.rec_groups[a * nfam + f] != m.rec_groups[b * nfam + f]) return false;
    }
    return true;
  };
  m.rec_class.assign(n, kNone);  // first: leader rank
  for (size_t i = 0; i < m.by_sig.size();) {
    size_t j = i;
    while (j < m.by_sig.size() && m.sig[m.by_sig[j]] == m.sig[m.by_sig[i]]) ++j;
    for (size_t a = i; a < j; ++a) {
      const uint32_t r = m.by_sig[a];
      for (size_t b = i; b < a; ++b) {
        const uint32_t leader = m.by_sig[b];
        if (m.rec_class[leader] == leader && same_signature(leader, r)) {
          m.rec_class[r] = leader;
          break;
        }
      }
      if (m.rec_class[r] == kNone) m.rec_class[r] = r;
    }
    i = j;
  }
  m.class_leader.clear();
  for (size_t r = 0; r < n; ++r) {
    if (m.rec_class[r] == r) {
      m.class_leader.push_back(static_cast<uint32_t>(r));
      m.rec_class[r] = static_cast<uint32_t>(m.class_leader.size() - 1) | 0x80000000u;
    }
  }
  for (size_t r = 0; r < n; ++r) {
    uint32_t c = m.rec_class[r];
    if (c == kNone) continue;
    if (c & 0x80000000u) {
      m.rec_class[r] = c & 0x7FFFFFFFu;
    } else {
      m.rec_class[r] = m.rec_class[c] & 0x7FFFFFFFu;  // leader rank < r, already final
    }
  }
  const size_t ncls = m.class_leader.size();
  solver::Problem& p = m.problem;
  p.Clear();
  p.class_size.assign(ncls, 0);
  for (size_t r = 0; r < n; ++r) {
    if (m.rec_class[r] != kNone) ++p.class_size[m.rec_class[r]];
  }
  m.class_begin.assign(ncls + 1, 0);
  for (size_t c = 0; c < ncls; ++c) m.class_begin[c + 1] = m.class_begin[c] + p.class_size[c];
  m.class_members.resize(m.class_begin[ncls]);
  m.class_next.assign(m.class_begin.begin(), m.class_begin.end() - 1);
  for (size_t r = 0; r < n; ++r) {
    if (m.rec_class[r] != kNone) m.class_members[m.class_next[m.rec_class[r]]++] = r;
  }

  // 5. Slots: matched sources -> classes (ascending), from each class's leader.
  m.src_slot.Reset(m.hits.size());
  m.rule_seen.Reset(m.hits.size());
  m.slot_source.clear();
  m.slot_pairs.clear();
  m.rules.clear();
  for (uint32_t c = 0; c < ncls; ++c) {
    const uint32_t leader = m.class_leader[c];
    for (uint32_t i = m.hit_begin[leader]; i < m.hit_begin[leader + 1]; ++i) {
      const uint32_t s = m.hits[i];
      const uint32_t next = static_cast<uint32_t>(m.slot_source.size());
      const uint32_t slot = m.src_slot.Insert(s, next);
      if (slot == next) {
        m.slot_source.push_back(s);
        const uint32_t rule = rs.source_rule(s);
        const uint32_t idx = static_cast<uint32_t>(m.rules.size());
        if (m.rule_seen.Insert(rule, idx) == idx) m.rules.push_back(rule);
      }
      m.slot_pairs.emplace_back(slot, c);
    }
  }
  const size_t nslots = m.slot_source.size();
  m.slot_begin.assign(nslots + 1, 0);
  for (const auto& [slot, c] : m.slot_pairs) ++m.slot_begin[slot + 1];
  for (size_t s = 0; s < nslots; ++s) m.slot_begin[s + 1] += m.slot_begin[s];
  m.slot_classes.resize(m.slot_pairs.size());
  {
    m.perm.assign(m.slot_begin.begin(), m.slot_begin.end() - 1);
    for (const auto& [slot, c] : m.slot_pairs) m.slot_classes[m.perm[slot]++] = c;
  }
  std::sort(m.rules.begin(), m.rules.end());

  // 6. Candidates: per viable rule (all sources matched), tuples of classes.
  m.raw.clear();
  m.raw_tuple.clear();
  m.used_tmp.assign(ncls, 0);
  bool truncated = false;
  for (uint32_t rule : m.rules) {
    const uint32_t sb = rs.rule_source_begin(rule), se = rs.rule_source_end(rule);
    const uint32_t k = se - sb;
    bool viable = true;
    TupleEnumerator en;
    for (uint32_t s = sb; s < se; ++s) {
      const uint32_t slot = m.src_slot.Find(s);
      if (slot == kNone) {
        viable = false;
        break;
      }
      en.slots[s - sb] = slot;
    }
    if (!viable) continue;
    if (m.raw.size() >= kMaxCandidates) {
      truncated = true;
      break;
    }
    const size_t tuples_at = m.raw_tuple.size();
    if (k == 1) {
      const uint32_t slot = en.slots[0];
      size_t emitted = 0;
      for (uint32_t i = m.slot_begin[slot]; i < m.slot_begin[slot + 1]; ++i) {
        m.raw_tuple.push_back(m.slot_classes[i]);
        if (++emitted >= kMaxTuplesPerRule && i + 1 < m.slot_begin[slot + 1]) {
          truncated = true;
          break;
        }
      }
    } else {
      en.slot_begin = &m.slot_begin;
      en.slot_classes = &m.slot_classes;
      en.class_size = &p.class_size;
      en.used = &m.used_tmp;
      en.k = k;
      en.out = &m.raw_tuple;
      if (!en.Run(0)) truncated = true;
      // Keep one tuple per multiset of classes (the lexicographically first).
      const size_t count = (m.raw_tuple.size() - tuples_at) / k;
      if (count > 1) {
        m.multiset_tmp.assign(m.raw_tuple.begin() + tuples_at, m.raw_tuple.end());
        for (size_t t = 0; t < count; ++t) {
          std::sort(m.multiset_tmp.begin() + t * k, m.multiset_tmp.begin() + (t + 1) * k);
        }
        m.ms_index.resize(count);
        for (uint32_t t = 0; t < count; ++t) m.ms_index[t] = t;
        auto ms_less = [&](uint32_t a, uint32_t b) {
          const uint32_t* x = m.multiset_tmp.data() + a * k;
          const uint32_t* y = m.multiset_tmp.data() + b * k;
          for (uint32_t i = 0; i < k; ++i) {
            if (x[i] != y[i]) return x[i] < y[i];
          }
          return a < b;
        };
        std::sort(m.ms_index.begin(), m.ms_index.end(), ms_less);
        m.tuple_tmp.assign(count, 1);  // keep flags
        for (size_t t = 1; t < count; ++t) {
          const uint32_t* x = m.multiset_tmp.data() + m.ms_index[t - 1] * k;
          const uint32_t* y = m.multiset_tmp.data() + m.ms_index[t] * k;
          if (std::equal(x, x + k, y)) m.tuple_tmp[m.ms_index[t]] = 0;
        }
        size_t w = tuples_at;
        for (size_t t = 0; t < count; ++t) {
          if (!m.tuple_tmp[t]) continue;
          for (uint32_t i = 0; i < k; ++i) m.raw_tuple[w++] = m.raw_tuple[tuples_at + t * k + i];
        }
        m.raw_tuple.resize(w);
      }
    }
    for (size_t t = tuples_at; t < m.raw_tuple.size(); t += k) {
      m.raw.push_back({rule, static_cast<uint32_t>(t)});
    }
  }

  // 7. Order candidates: grant desc, requirement order, then emission (rule, tuple) order.
  const size_t nraw = m.raw.size();
  m.perm.resize(nraw);
  for (uint32_t i = 0; i < nraw; ++i) m.perm[i] = i;
  std::sort(m.perm.begin(), m.perm.end(), [&](uint32_t a, uint32_t b) {
    const uint32_t ra = m.raw[a].rule, rb = m.raw[b].rule;
    const Centi ga = rs.rule_grant(ra), gb = rs.rule_grant(rb);
    if (ga != gb) return ga > gb;
    const uint32_t qa = rs.rule_target(ra), qb = rs.rule_target(rb);
    if (qa != qb) return qa < qb;
    return a < b;  // emission order: rule order, then tuple order
  });

  // 8. The solver's problem.
  const size_t nreq = prog.requirements.size();
  p.transfer_cap = rs.transfer_cap();
  p.req_is_course.resize(nreq);
  p.req_capacity.resize(nreq);
  for (size_t q = 0; q < nreq; ++q) {
    p.req_is_course[q] = prog.requirements[q].kind == RequirementKind::kCourse;
    p.req_capacity[q] = prog.requirements[q].credits;
  }
  for (const GroupInfo& g : m.groups) {
    p.group_limit.push_back(g.limit);
    p.group_count.push_back(g.count);
    p.group_family.push_back(static_cast<uint8_t>(g.family));
  }
  m.cand_rule.clear();
  m.cand_tuple_begin.clear();
  m.cand_tuple.clear();
  for (uint32_t idx : m.perm) {
    const Impl::RawCand& rc = m.raw[idx];
    const uint32_t k = rs.rule_source_end(rc.rule) - rs.rule_source_begin(rc.rule);
    m.cand_rule.push_back(rc.rule);
    m.cand_tuple_begin.push_back(static_cast<uint32_t>(m.cand_tuple.size()));
    const uint32_t* tuple = m.raw_tuple.data() + rc.tuple_begin;
    m.cand_tuple.insert(m.cand_tuple.end(), tuple, tuple + k);
    solver::Candidate c;
    c.grant = rs.rule_grant(rc.rule);
    c.req = rs.rule_target(rc.rule);
    // (class, mult) pairs from the sorted tuple.
    uint32_t sorted[kMaxRuleSources];
    for (uint32_t i = 0; i < k; ++i) {  // insertion sort (k <= kMaxRuleSources)
      uint32_t v = tuple[i], pos = i;
      for (; pos > 0 && sorted[pos - 1] > v; --pos) sorted[pos] = sorted[pos - 1];
      sorted[pos] = v;
    }
    c.class_begin = static_cast<uint32_t>(p.cand_class.size());
    for (uint32_t i = 0; i < k;) {
      uint32_t j = i;
      while (j < k && sorted[j] == sorted[i]) ++j;
      p.cand_class.push_back(sorted[i]);
      p.cand_mult.push_back(static_cast<int32_t>(j - i));
      i = j;
    }
    c.class_end = static_cast<uint32_t>(p.cand_class.size());
    c.group_begin = static_cast<uint32_t>(p.cand_group.size());
    if (nfam > 0) {
      for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
        const uint32_t leader = m.class_leader[p.cand_class[i]];
        for (size_t f = 0; f < nfam; ++f) {
          const uint32_t g = m.rec_groups[leader * nfam + f];
          if (g != kNone) p.cand_group.push_back(g);
        }
      }
      // At most sources x families entries: insertion sort, then drop duplicates.
      uint32_t* first = p.cand_group.data() + c.group_begin;
      const size_t len = p.cand_group.size() - c.group_begin;
      for (size_t i = 1; i < len; ++i) {
        const uint32_t v = first[i];
        size_t k = i;
        for (; k > 0 && first[k - 1] > v; --k) first[k] = first[k - 1];
        first[k] = v;
      }
      p.cand_group.resize(c.group_begin + (std::unique(first, first + len) - first));
    }
    c.group_end = static_cast<uint32_t>(p.cand_group.size());
    p.cands.push_back(c);
  }
  p.Finish();
  out->candidates = static_cast<uint32_t>(p.cands.size());

  solver::Options so;
  so.max_nodes = options.max_nodes;
  so.greedy_only = greedy;
  m.solver.Solve(p, so);
  const solver::Solver& sv = m.solver;

  const size_t ncand = p.cands.size();
  if (!summary) {
    // 9. Hand out records and build the requirement list.
    out->requirements.resize(nreq);
    out->unused.reserve(n);
    for (size_t q = 0; q < nreq; ++q) {
      out->requirements[q].id = prog.requirements[q].id;
      out->requirements[q].granted = 0;
      out->requirements[q].applications.clear();
    }
    m.used.assign(n, 0);
    m.class_next.assign(m.class_begin.begin(), m.class_begin.end() - 1);
    for (uint32_t j = 0; j < ncand; ++j) {
      const int32_t count = sv.count()[j];
      if (count == 0) continue;
      const uint32_t rule = m.cand_rule[j];
      const uint32_t k = rs.rule_source_end(rule) - rs.rule_source_begin(rule);
      RequirementConversion& rq = out->requirements[p.cands[j].req];
      for (int32_t copy = 0; copy < count; ++copy) {
        ConversionApplication& app = rq.applications.emplace_back();
        app.rule = rs.rule_id(rule);
        app.credits = p.cands[j].grant;
        app.records.reserve(k);
        for (uint32_t i = 0; i < k; ++i) {
          const uint32_t c = m.cand_tuple[m.cand_tuple_begin[j] + i];
          const uint32_t r = m.class_members[m.class_next[c]++];
          m.used[r] = 1;
          app.records.push_back(m.sorted[r]->id);
        }
        rq.granted += p.cands[j].grant;
      }
    }
  }
  out->granted = sv.value();
  out->remaining = std::max<Centi>(0, prog.total_credits - out->granted);
  out->optimal = !greedy && sv.optimal() && !truncated;
  out->upper_bound = greedy ? std::max(sv.value(), rs.transfer_cap()) : sv.upper_bound();
  if (truncated && !greedy) {
    // The search saw only part of the candidates, so its bound does not hold. These bounds
    // depend on rules and record groups only, not on the tuples enumerated: requirements
    // (best course grant, full pools), records (each worth at most grant / sources of its
    // best viable rule), every cap family, and the transfer cap.
    std::vector<Centi> per_req(nreq, 0);
    std::vector<int64_t> cls_best(ncls, 0);
    Centi max_grant = 0;
    for (uint32_t rule : m.rules) {
      const uint32_t sb = rs.rule_source_begin(rule), se = rs.rule_source_end(rule);
      bool viable = true;
      for (uint32_t s = sb; s < se; ++s) viable = viable && m.src_slot.Find(s) != kNone;
      if (!viable) continue;
      const Centi grant = rs.rule_grant(rule);
      max_grant = std::max(max_grant, grant);
      const uint32_t q = rs.rule_target(rule);
      per_req[q] = p.req_is_course[q] ? std::max(per_req[q], grant) : prog.requirements[q].credits;
      const int64_t v = grant * solver::kValueScale / (se - sb);
      for (uint32_t s = sb; s < se; ++s) {
        const uint32_t slot = m.src_slot.Find(s);
        for (uint32_t i = m.slot_begin[slot]; i < m.slot_begin[slot + 1]; ++i) {
          cls_best[m.slot_classes[i]] = std::max(cls_best[m.slot_classes[i]], v);
        }
      }
    }
    Centi bound = rs.transfer_cap();
    Centi req_bound = 0;
    for (Centi v : per_req) req_bound += v;
    bound = std::min(bound, req_bound);
    int64_t rec_bound = 0;
    for (size_t c = 0; c < ncls; ++c) rec_bound += p.class_size[c] * cls_best[c];
    bound = std::min<Centi>(bound, rec_bound / solver::kValueScale);
    std::vector<uint8_t> seen(m.groups.size(), 0);
    for (size_t f = 0; f < nfam; ++f) {
      bool open = false;
      Centi fam = 0;
      for (size_t c = 0; c < ncls && !open; ++c) {
        if (cls_best[c] == 0) continue;
        const uint32_t g = m.rec_groups[m.class_leader[c] * nfam + f];
        if (g == kNone) {
          open = true;
        } else if (!seen[g]) {
          seen[g] = 1;
          fam +=
              std::min<Centi>(m.groups[g].limit, static_cast<Centi>(m.groups[g].count) * max_grant);
        }
      }
      if (!open) bound = std::min(bound, fam);
    }
    out->upper_bound = std::max(out->granted, bound);
    out->optimal = out->granted >= out->upper_bound;
  }
  out->nodes = sv.stats().nodes;

  if (summary) return;
  // 10. Reasons for unused records.
  m.first_cand.assign(ncls, kNone);
  for (uint32_t j = 0; j < ncand; ++j) {
    const solver::Candidate& c = p.cands[j];
    for (uint32_t i = c.class_begin; i < c.class_end; ++i) {
      if (m.first_cand[p.cand_class[i]] == kNone) m.first_cand[p.cand_class[i]] = j;
    }
  }
  for (size_t r = 0; r < n; ++r) {
    if (m.used[r]) continue;
    UnusedRecord& u = out->unused.emplace_back();
    u.record = m.sorted[r]->id;
    switch (m.status[r]) {
      case kRevoked:
        u.reason.assign(kReasonRevoked);
        continue;
      case kTooOld:
        u.reason.assign(kReasonTooOld);
        continue;
      case kBelowMinGrade:
        u.reason.assign(kReasonBelowMinGrade);
        continue;
      default:
        break;
    }
    const uint32_t cls = m.rec_class[r];
    if (cls == kNone) {
      const uint8_t fl = m.flags[r];
      if (!(fl & kPatternMatched)) {
        u.reason.assign(kReasonNoRule);
      } else if (!(fl & kGradeOk)) {
        u.reason.assign(kReasonBelowMinGrade);
      } else {
        u.reason.assign(kReasonTooOld);
      }
      continue;
    }
    const uint32_t j = m.first_cand[cls];
    if (j == kNone) {
      u.reason.assign(kReasonNoRule);
      continue;
    }
    const solver::Candidate& c = p.cands[j];
    bool found = false;
    for (uint32_t i = c.class_begin; i < c.class_end && !found; ++i) {
      if (sv.class_room(p.cand_class[i]) < p.cand_mult[i]) found = true;
    }
    if (found) {
      u.reason.assign(kReasonUsedElsewhere);
      continue;
    }
    if (sv.req_room(c.req) < c.grant) {
      u.reason.assign(kReasonRequirementFull);
      continue;
    }
    for (uint32_t i = c.group_begin; i < c.group_end; ++i) {
      const uint32_t g = p.cand_group[i];
      if (sv.group_room(g) < c.grant || sv.group_count_room(g) < 1) {
        const GroupInfo& gi = m.groups[g];
        const CapBy by = rs.caps()[gi.family].by;
        u.reason = "cap:";
        u.reason += CapByName(by);
        u.reason += ':';
        u.reason += CapKey(gi, by);
        found = true;
        break;
      }
    }
    if (found) continue;
    u.reason.assign(kReasonTransferCap);
  }
}

void SortRecords(std::span<const Record> records, std::vector<const Record*>* sorted) {
  sorted->resize(records.size());
  for (size_t i = 0; i < records.size(); ++i) (*sorted)[i] = &records[i];
  // Storage hands records over in id order; check before sorting.
  bool in_order = true;
  for (size_t i = 1; i < records.size() && in_order; ++i) {
    in_order = records[i - 1].id < records[i].id;
  }
  if (in_order) return;
  // Record ids are unique (the bank assigns them); ties, if any, fall back to input order.
  std::sort(sorted->begin(), sorted->end(), [](const Record* a, const Record* b) {
    const int c = a->id.compare(b->id);
    return c != 0 ? c < 0 : a < b;
  });
}

ConversionResult Run(const CompiledRuleset& ruleset, std::span<const Record> records, Days as_of,
                     const EvalOptions& options, EvalScratch* scratch, bool greedy) {
  std::unique_ptr<EvalScratch> local;
  if (scratch == nullptr) {
    local = std::make_unique<EvalScratch>();
    scratch = local.get();
  }
  Impl& m = scratch->impl();
  SortRecords(records, &m.sorted);
  ConversionResult out;
  EvaluateSorted(ruleset, as_of, options, greedy, false, m, &out);
  return out;
}

}  // namespace

ConversionResult Evaluate(const CompiledRuleset& ruleset, std::span<const Record> records,
                          Days as_of, const EvalOptions& options, EvalScratch* scratch) {
  return Run(ruleset, records, as_of, options, scratch, false);
}

ConversionResult EvaluateGreedy(const CompiledRuleset& ruleset, std::span<const Record> records,
                                Days as_of, const EvalOptions& options, EvalScratch* scratch) {
  return Run(ruleset, records, as_of, options, scratch, true);
}

std::vector<WhatIfEntry> WhatIf(std::span<const std::shared_ptr<const CompiledRuleset>> rulesets,
                                std::span<const Record> records, Days as_of, size_t limit,
                                const EvalOptions& options, EvalScratch* scratch) {
  std::unique_ptr<EvalScratch> local;
  if (scratch == nullptr) {
    local = std::make_unique<EvalScratch>();
    scratch = local.get();
  }
  Impl& m = scratch->impl();
  std::vector<WhatIfEntry> entries;
  entries.reserve(rulesets.size());
  ConversionResult result;
  SortRecords(records, &m.sorted);  // EvaluateSorted only reads m.sorted
  for (const auto& rs : rulesets) {
    if (!rs) continue;
    EvaluateSorted(*rs, as_of, options, false, true, m, &result);
    WhatIfEntry& e = entries.emplace_back();
    e.program = rs->program().id;
    e.ruleset_version = rs->version();
    e.total_credits = result.total_credits;
    e.transfer_cap = result.transfer_cap;
    e.granted = result.granted;
    e.remaining = result.remaining;
    e.optimal = result.optimal;
  }
  std::sort(entries.begin(), entries.end(), [](const WhatIfEntry& a, const WhatIfEntry& b) {
    if (a.granted != b.granted) return a.granted > b.granted;
    return a.program < b.program;
  });
  if (entries.size() > limit) entries.resize(limit);
  return entries;
}

std::string CanonicalString(const ConversionResult& r) {
  std::string s;
  s.reserve(256);
  s += "program=" + r.program + " version=" + std::to_string(r.ruleset_version) +
       " sha=" + r.ruleset_sha256 + " as_of=" + FormatDate(r.as_of) +
       " total=" + CentiToString(r.total_credits) + " cap=" + CentiToString(r.transfer_cap) +
       " granted=" + CentiToString(r.granted) + " remaining=" + CentiToString(r.remaining) +
       " optimal=" + (r.optimal ? "true" : "false") +
       " upper_bound=" + CentiToString(r.upper_bound) + "\n";
  for (const RequirementConversion& q : r.requirements) {
    s += "req " + q.id + " " + CentiToString(q.granted) + "\n";
    for (const ConversionApplication& a : q.applications) {
      s += "  app " + a.rule + " " + CentiToString(a.credits) + " [";
      for (size_t i = 0; i < a.records.size(); ++i) {
        if (i) s += ",";
        s += a.records[i];
      }
      s += "]\n";
    }
  }
  for (const UnusedRecord& u : r.unused) s += "unused " + u.record + " " + u.reason + "\n";
  return s;
}

}  // namespace lcb
