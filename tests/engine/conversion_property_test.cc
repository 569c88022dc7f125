// Property test: Evaluate against an independent brute-force oracle on thousands of small
// random instances. The oracle follows DESIGN.md "Conversion semantics" literally: it lists
// every candidate application (rule + distinct records, each matching its source), then
// enumerates every feasible subset. It shares no code with the engine.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/conversion.h"
#include "engine/ruleset_index.h"
#include "engine/ruleset_validate.h"

namespace lcb {
namespace {

constexpr Days kAsOf = 20000;  // 2024-10-04

struct Instance {
  Program program;
  Ruleset ruleset;
  std::vector<Record> records;
};

const UnitKind kKinds[] = {UnitKind::kMooc, UnitKind::kDegreeCourse, UnitKind::kSkillCertificate};
const char* kIssuers[] = {"a", "b", "c"};
const char* kFields[] = {"0613", "0611", "0411", "0732"};
const int kYears[] = {2021, 2022, 2023};

Instance RandomInstance(std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  auto chance = [&](int percent) { return pick(100) < percent; };
  Instance in;
  Program& prog = in.program;
  prog.id = "p:x";
  prog.total_credits = 600 + 100 * pick(20);
  int nreq = 1 + pick(4);
  for (int q = 0; q < nreq; ++q) {
    Requirement req;
    req.id = "q" + std::to_string(q);
    req.kind = chance(45) ? RequirementKind::kPool : RequirementKind::kCourse;
    req.credits = 200 + 50 * pick(13);
    prog.requirements.push_back(req);
  }
  Policy& pol = prog.policy;
  if (chance(30)) pol.max_transfer_credits = 200 + 50 * pick(20);
  if (chance(25)) pol.max_transfer_ratio_bp = 1000 + 500 * pick(12);
  if (chance(15)) pol.min_grade = 50 + pick(30);
  if (chance(15)) pol.max_age_years = 1 + pick(3);
  int ncaps = chance(50) ? pick(3) + (chance(30) ? 1 : 0) : 0;
  for (int f = 0; f < ncaps; ++f) {
    Cap cap;
    cap.by = static_cast<CapBy>(pick(3));
    auto key = [&]() -> std::string {
      switch (cap.by) {
        case CapBy::kKind:
          return std::string(UnitKindName(kKinds[pick(3)]));
        case CapBy::kIssuer:
          return kIssuers[pick(3)];
        case CapBy::kYear:
          return std::to_string(kYears[pick(3)]);
      }
      return {};
    };
    int nl = pick(3);
    for (int i = 0; i < nl; ++i) cap.limits[key()] = 50 * pick(16);
    if (chance(30)) cap.default_limit = 100 * pick(8);
    int nc = chance(40) ? 1 + pick(2) : 0;
    for (int i = 0; i < nc; ++i) cap.max_count[key()] = pick(3);
    pol.caps.push_back(cap);
  }
  // Records.
  int nrec = 1 + pick(8);
  std::vector<int> names(nrec);
  for (int i = 0; i < nrec; ++i) names[i] = i;
  std::shuffle(names.begin(), names.end(), rng);
  for (int i = 0; i < nrec; ++i) {
    Record r;
    r.id = "r" + std::to_string(names[i]);
    r.learner = "l1";
    r.issuer = kIssuers[pick(3)];
    r.unit = r.issuer + ":u" + std::to_string(pick(3));
    r.kind = kKinds[pick(3)];
    r.credits = 100 + 50 * pick(10);
    r.level = 1 + pick(8);
    r.field = kFields[pick(4)];
    r.grade = 40 + pick(61);
    int year = kYears[pick(3)];
    r.completed_on = DaysFromCivil({year, 1 + pick(12), 1 + pick(28)});
    if (chance(5)) r.completed_on = kAsOf + 10;  // in the future
    if (chance(10)) r.expires_on = kAsOf - 30 + pick(60);
    r.revoked = chance(5);
    r.passing = !chance(8);  // a failing grade on its own scale
    in.records.push_back(r);
  }
  // Rules.
  Ruleset& rs = in.ruleset;
  rs.program = prog.id;
  rs.version = 1;
  rs.sha256_hex = "00";
  int nrules = 1 + pick(6);
  for (int i = 0; i < nrules; ++i) {
    Rule rule;
    rule.id = "rule" + std::to_string(i);
    const Requirement& req = prog.requirements[pick(nreq)];
    rule.target = req.id;
    do {
      rule.grant = 50 * (1 + pick(8));
    } while (rule.grant > req.credits);
    int nsrc = chance(70) ? 1 : (chance(70) ? 2 : 3);
    for (int s = 0; s < nsrc; ++s) {
      Pattern p;
      if (chance(35)) {
        p.unit = std::string(kIssuers[pick(3)]) + ":u" + std::to_string(pick(3));
      } else {
        if (chance(50)) p.kind = kKinds[pick(3)];
        if (chance(30)) p.field_prefix = chance(50) ? "06" : "0613";
        if (chance(25)) p.min_level = 1 + pick(8);
        if (chance(15)) p.min_credits = 100 + 50 * pick(6);
        if (chance(20)) p.issuer = kIssuers[pick(3)];
        if (!p.kind && !p.field_prefix && !p.min_level && !p.min_credits && !p.issuer) {
          p.min_level = 1;
        }
      }
      rule.sources.push_back(p);
    }
    if (chance(15)) rule.min_grade = 50 + pick(40);
    if (chance(15)) rule.max_age_years = 1 + pick(3);
    rs.rules.push_back(rule);
  }
  return in;
}

// ---- Oracle ----------------------------------------------------------------------------------

bool Matches(const Pattern& p, const Record& r) {
  if (p.unit && r.unit != *p.unit) return false;
  if (p.kind && r.kind != *p.kind) return false;
  if (p.field_prefix && r.field.rfind(*p.field_prefix, 0) != 0) return false;
  if (p.min_level && r.level < *p.min_level) return false;
  if (p.min_credits && r.credits < *p.min_credits) return false;
  if (p.issuer && r.issuer != *p.issuer) return false;
  return true;
}

std::string StatusReason(const Program& prog, const Record& r) {
  if (r.revoked) return "revoked";
  if ((r.expires_on && *r.expires_on <= kAsOf) || r.completed_on > kAsOf) return "too_old";
  if (!r.passing) return "below_min_grade";
  if (prog.policy.min_grade && r.grade < *prog.policy.min_grade) return "below_min_grade";
  if (prog.policy.max_age_years && r.completed_on < AddYears(kAsOf, -*prog.policy.max_age_years)) {
    return "too_old";
  }
  return "";
}

bool RuleAccepts(const Rule& rule, const Record& r) {
  if (rule.min_grade && r.grade < *rule.min_grade) return false;
  if (rule.max_age_years && r.completed_on < AddYears(kAsOf, -*rule.max_age_years)) return false;
  return true;
}

Centi TransferCap(const Program& prog) {
  const Policy& pol = prog.policy;
  if (!pol.max_transfer_credits && !pol.max_transfer_ratio_bp) return prog.total_credits;
  Centi cap = INT64_MAX;
  if (pol.max_transfer_credits) cap = *pol.max_transfer_credits;
  if (pol.max_transfer_ratio_bp) {
    Centi r = *pol.max_transfer_ratio_bp * prog.total_credits / 10000;
    cap = std::min(cap, r / 100 * 100);
  }
  return cap;
}

std::string CapKeyOf(CapBy by, const Record& r) {
  switch (by) {
    case CapBy::kKind:
      return std::string(UnitKindName(r.kind));
    case CapBy::kIssuer:
      return r.issuer;
    case CapBy::kYear:
      return std::to_string(CivilFromDays(r.completed_on).year);
  }
  return {};
}

struct OracleApp {
  int rule;
  int req;
  Centi grant;
  std::vector<int> recs;  // indices into the id-sorted record list, in source order
};

// Checks a selection against every constraint; returns "" when feasible.
std::string CheckFeasible(const Instance& in, const std::vector<const Record*>& recs,
                          const std::vector<OracleApp>& apps) {
  const Program& prog = in.program;
  std::vector<int> used(recs.size(), 0);
  std::map<int, int> course_count;
  std::map<int, Centi> pool_sum;
  Centi total = 0;
  std::map<std::pair<int, std::string>, Centi> cap_sum;
  std::map<std::pair<int, std::string>, int> cap_count;
  for (const OracleApp& a : apps) {
    const Rule& rule = in.ruleset.rules[a.rule];
    if (a.recs.size() != rule.sources.size()) return "arity";
    for (size_t s = 0; s < a.recs.size(); ++s) {
      const Record& r = *recs[a.recs[s]];
      if (++used[a.recs[s]] > 1) return "record used twice: " + r.id;
      if (!StatusReason(prog, r).empty()) return "ineligible record used: " + r.id;
      if (!Matches(rule.sources[s], r)) return "pattern mismatch: " + r.id;
      if (!RuleAccepts(rule, r)) return "rule filter: " + r.id;
    }
    const Requirement& req = prog.requirements[a.req];
    if (req.kind == RequirementKind::kCourse) {
      if (++course_count[a.req] > 1) return "course twice: " + req.id;
    } else {
      pool_sum[a.req] += a.grant;
      if (pool_sum[a.req] > req.credits) return "pool overflow: " + req.id;
    }
    total += a.grant;
    for (size_t f = 0; f < prog.policy.caps.size(); ++f) {
      std::set<std::string> keys;
      for (int ri : a.recs) keys.insert(CapKeyOf(prog.policy.caps[f].by, *recs[ri]));
      for (const std::string& k : keys) {
        cap_sum[{static_cast<int>(f), k}] += a.grant;
        cap_count[{static_cast<int>(f), k}] += 1;
      }
    }
  }
  if (total > TransferCap(prog)) return "transfer cap";
  for (const auto& [fk, sum] : cap_sum) {
    const Cap& cap = prog.policy.caps[fk.first];
    auto it = cap.limits.find(fk.second);
    if (it != cap.limits.end()) {
      if (sum > it->second) return "cap limit " + fk.second;
    } else if (cap.default_limit && sum > *cap.default_limit) {
      return "cap default " + fk.second;
    }
    auto ct = cap.max_count.find(fk.second);
    if (ct != cap.max_count.end() && cap_count[fk] > ct->second) return "cap count " + fk.second;
  }
  return "";
}

struct Oracle {
  const Instance& in;
  std::vector<const Record*> recs;  // sorted by id
  std::vector<OracleApp> cands;     // in tie order
  Centi best = -1;
  std::vector<int> best_set, cur;
  uint64_t visits = 0;

  explicit Oracle(const Instance& instance) : in(instance) {
    for (const Record& r : in.records) recs.push_back(&r);
    std::sort(recs.begin(), recs.end(),
              [](const Record* a, const Record* b) { return a->id < b->id; });
    std::map<std::string, int> req_index;
    for (size_t q = 0; q < in.program.requirements.size(); ++q) {
      req_index[in.program.requirements[q].id] = static_cast<int>(q);
    }
    for (size_t ri = 0; ri < in.ruleset.rules.size(); ++ri) {
      const Rule& rule = in.ruleset.rules[ri];
      std::set<std::vector<int>> seen;  // record sets already offered for this rule
      std::vector<int> tuple;
      Enumerate(rule, static_cast<int>(ri), req_index.at(rule.target), &tuple, &seen);
    }
    std::stable_sort(cands.begin(), cands.end(), [](const OracleApp& a, const OracleApp& b) {
      if (a.grant != b.grant) return a.grant > b.grant;
      if (a.req != b.req) return a.req < b.req;
      if (a.rule != b.rule) return a.rule < b.rule;
      return a.recs < b.recs;
    });
  }

  void Enumerate(const Rule& rule, int ri, int req, std::vector<int>* tuple,
                 std::set<std::vector<int>>* seen) {
    size_t s = tuple->size();
    if (s == rule.sources.size()) {
      std::vector<int> set = *tuple;
      std::sort(set.begin(), set.end());
      if (!seen->insert(set).second) return;  // same records, another order: same effect
      cands.push_back({ri, req, rule.grant, *tuple});
      return;
    }
    for (int r = 0; r < static_cast<int>(recs.size()); ++r) {
      if (std::find(tuple->begin(), tuple->end(), r) != tuple->end()) continue;
      if (!StatusReason(in.program, *recs[r]).empty()) continue;
      if (!Matches(rule.sources[s], *recs[r]) || !RuleAccepts(rule, *recs[r])) continue;
      tuple->push_back(r);
      Enumerate(rule, ri, req, tuple, seen);
      tuple->pop_back();
    }
  }

  // Exhaustive include-first enumeration; the first best found is the lexicographically
  // greatest optimal inclusion vector in candidate order.
  void Search(size_t i, Centi value) {
    ++visits;
    if (i == cands.size()) {
      if (value > best) {
        best = value;
        best_set = cur;
      }
      return;
    }
    cur.push_back(static_cast<int>(i));
    std::vector<OracleApp> sel;
    for (int c : cur) sel.push_back(cands[c]);
    if (CheckFeasible(in, recs, sel).empty()) Search(i + 1, value + cands[i].grant);
    cur.pop_back();
    Search(i + 1, value);
  }
};

// Records fall into the engine's interchangeable groups when they match the same rule
// sources and share every limited cap key; the tie-order check needs all groups singletons.
bool AllSingletonGroups(const Instance& in, const Oracle& o) {
  std::set<std::vector<std::string>> sigs;
  for (const Record* r : o.recs) {
    if (!StatusReason(in.program, *r).empty()) continue;
    std::vector<std::string> sig;
    for (size_t ri = 0; ri < in.ruleset.rules.size(); ++ri) {
      const Rule& rule = in.ruleset.rules[ri];
      for (size_t s = 0; s < rule.sources.size(); ++s) {
        if (Matches(rule.sources[s], *r) && RuleAccepts(rule, *r)) {
          sig.push_back(std::to_string(ri) + "/" + std::to_string(s));
        }
      }
    }
    if (sig.empty()) continue;
    for (size_t f = 0; f < in.program.policy.caps.size(); ++f) {
      const Cap& cap = in.program.policy.caps[f];
      std::string key = CapKeyOf(cap.by, *r);
      bool limited = cap.limits.count(key) || cap.default_limit || cap.max_count.count(key);
      sig.push_back(limited ? std::to_string(f) + "=" + key : "-");
    }
    if (!sigs.insert(sig).second) return false;
  }
  return true;
}

std::vector<OracleApp> FromResult(const Instance& in, const std::vector<const Record*>& recs,
                                  const ConversionResult& res) {
  std::map<std::string, int> rec_index, rule_index;
  for (size_t i = 0; i < recs.size(); ++i) rec_index[recs[i]->id] = static_cast<int>(i);
  for (size_t i = 0; i < in.ruleset.rules.size(); ++i) {
    rule_index[in.ruleset.rules[i].id] = static_cast<int>(i);
  }
  std::vector<OracleApp> apps;
  for (size_t q = 0; q < res.requirements.size(); ++q) {
    for (const ConversionApplication& a : res.requirements[q].applications) {
      OracleApp o;
      o.rule = rule_index.at(a.rule);
      o.req = static_cast<int>(q);
      o.grant = a.credits;
      for (const std::string& id : a.records) o.recs.push_back(rec_index.at(id));
      apps.push_back(o);
    }
  }
  return apps;
}

TEST(ConversionPropertyTest, MatchesBruteForceOracle) {
  std::mt19937_64 rng(20241004);
  int checked = 0, tie_checked = 0, skipped = 0, nontrivial = 0, greedy_worse = 0;
  const int kInstances = 4000;
  for (int iter = 0; iter < kInstances; ++iter) {
    Instance in = RandomInstance(rng);
    ASSERT_TRUE(ValidateProgramPolicy(in.program).ok()) << iter;
    ASSERT_TRUE(ValidateRuleset(in.program, in.ruleset).ok())
        << iter << " " << ValidateRuleset(in.program, in.ruleset).ToString();
    Oracle oracle(in);
    if (oracle.cands.size() > 22) {
      ++skipped;
      continue;
    }
    oracle.Search(0, 0);
    auto compiled = CompiledRuleset::Compile(in.program, in.ruleset);
    ConversionResult res = Evaluate(*compiled, in.records, kAsOf);
    SCOPED_TRACE("instance " + std::to_string(iter) + "\n" + CanonicalString(res));
    ++checked;
    if (oracle.best > 0) ++nontrivial;
    EXPECT_EQ(res.granted, oracle.best);
    EXPECT_TRUE(res.optimal);
    EXPECT_EQ(res.upper_bound, res.granted);
    EXPECT_EQ(res.transfer_cap, TransferCap(in.program));
    EXPECT_EQ(res.remaining, std::max<Centi>(0, in.program.total_credits - res.granted));

    std::vector<OracleApp> apps = FromResult(in, oracle.recs, res);
    EXPECT_EQ(CheckFeasible(in, oracle.recs, apps), "");
    Centi sum = 0;
    for (const OracleApp& a : apps) sum += a.grant;
    EXPECT_EQ(sum, res.granted);
    for (const RequirementConversion& q : res.requirements) {
      Centi s = 0;
      for (const ConversionApplication& a : q.applications) s += a.credits;
      EXPECT_EQ(s, q.granted);
    }
    // Every record is either used or listed once, in id order, with a valid reason.
    std::set<std::string> used;
    for (const OracleApp& a : apps) {
      for (int r : a.recs) used.insert(oracle.recs[r]->id);
    }
    std::vector<std::string> expect_unused;
    for (const Record* r : oracle.recs) {
      if (!used.count(r->id)) expect_unused.push_back(r->id);
    }
    ASSERT_EQ(res.unused.size(), expect_unused.size());
    for (size_t i = 0; i < expect_unused.size(); ++i) {
      EXPECT_EQ(res.unused[i].record, expect_unused[i]);
      std::string status;
      for (const Record* rr : oracle.recs) {
        if (rr->id == expect_unused[i]) status = StatusReason(in.program, *rr);
      }
      if (!status.empty()) {
        EXPECT_EQ(res.unused[i].reason, status) << res.unused[i].record;
      } else {
        const std::string& reason = res.unused[i].reason;
        bool valid = reason == "no_rule" || reason == "below_min_grade" || reason == "too_old" ||
                     reason == "used_elsewhere" || reason == "requirement_full" ||
                     reason == "transfer_cap" || reason.rfind("cap:", 0) == 0;
        EXPECT_TRUE(valid) << reason;
      }
    }
    // Tie order: with no interchangeable records the engine's choice is the oracle's.
    if (AllSingletonGroups(in, oracle)) {
      ++tie_checked;
      std::vector<std::pair<int, std::vector<int>>> want, got;
      for (int c : oracle.best_set) want.emplace_back(oracle.cands[c].rule, oracle.cands[c].recs);
      for (const OracleApp& a : apps) got.emplace_back(a.rule, a.recs);
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want);
    }
    // Greedy never beats the optimum.
    ConversionResult greedy = EvaluateGreedy(*compiled, in.records, kAsOf);
    EXPECT_LE(greedy.granted, res.granted);
    if (greedy.granted < res.granted) ++greedy_worse;
    // Determinism under shuffling.
    std::vector<Record> shuffled = in.records;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(CanonicalString(Evaluate(*compiled, shuffled, kAsOf)), CanonicalString(res));
    if (HasFailure()) break;
  }
  std::printf("checked %d (non-trivial %d, tie order %d, greedy worse %d), skipped %d\n", checked,
              nontrivial, tie_checked, greedy_worse, skipped);
  EXPECT_GE(checked, 3000);
  EXPECT_GE(greedy_worse, 10);
}

}  // namespace
}  // namespace lcb
