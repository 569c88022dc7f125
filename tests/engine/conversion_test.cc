// Hand-made conversion cases: greedy failures with exact answers, every reason code,
// determinism, the work budget, what-if ranking.
#include "engine/conversion.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "engine/ruleset_index.h"
#include "engine/ruleset_validate.h"
#include "engine/synth.h"

namespace lcb {
namespace {

const Days kAsOf = DaysFromCivil({2025, 6, 30});

// A small builder for programs, rulesets and records.
struct Case {
  Program program;
  Ruleset ruleset;
  std::vector<Record> records;

  Case() {
    program.id = "uni:cs";
    program.institution = "uni";
    program.total_credits = 12000;
    ruleset.program = program.id;
    ruleset.version = 3;
    ruleset.sha256_hex = "abc";
  }
  Case& Course(const std::string& id, Centi credits) {
    program.requirements.push_back({id, id, RequirementKind::kCourse, credits});
    return *this;
  }
  Case& Pool(const std::string& id, Centi credits) {
    program.requirements.push_back({id, id, RequirementKind::kPool, credits});
    return *this;
  }
  Case& UnitRule(const std::string& id, const std::string& target, Centi grant,
                 std::vector<std::string> units) {
    Rule r;
    r.id = id;
    r.target = target;
    r.grant = grant;
    for (const auto& u : units) {
      Pattern p;
      p.unit = u;
      r.sources.push_back(p);
    }
    ruleset.rules.push_back(r);
    return *this;
  }
  static Pattern Unit(std::string unit) {
    Pattern p;
    p.unit = std::move(unit);
    return p;
  }
  Record& Rec(const std::string& id, const std::string& unit, UnitKind kind = UnitKind::kMooc,
              int year = 2024) {
    Record r;
    r.id = id;
    r.learner = "l1";
    r.unit = unit;
    r.issuer = unit.substr(0, unit.find(':'));
    r.kind = kind;
    r.credits = 300;
    r.level = 5;
    r.field = "0613";
    r.grade = 85;
    r.completed_on = DaysFromCivil({year, 3, 1});
    records.push_back(r);
    return records.back();
  }
  ConversionResult Eval(const EvalOptions& o = {}) const {
    EXPECT_TRUE(ValidateProgramPolicy(program).ok()) << ValidateProgramPolicy(program).ToString();
    EXPECT_TRUE(ValidateRuleset(program, ruleset).ok())
        << ValidateRuleset(program, ruleset).ToString();
    auto c = CompiledRuleset::Compile(program, ruleset);
    return Evaluate(*c, records, kAsOf, o);
  }
  ConversionResult Greedy() const {
    auto c = CompiledRuleset::Compile(program, ruleset);
    return EvaluateGreedy(*c, records, kAsOf);
  }
};

std::map<std::string, std::string> Reasons(const ConversionResult& r) {
  std::map<std::string, std::string> m;
  for (const auto& u : r.unused) m[u.record] = u.reason;
  return m;
}

const RequirementConversion& Req(const ConversionResult& r, const std::string& id) {
  for (const auto& q : r.requirements) {
    if (q.id == id) return q;
  }
  static RequirementConversion none;
  ADD_FAILURE() << "no requirement " << id;
  return none;
}

// ---- Greedy failures ------------------------------------------------------------------------

TEST(ConversionTest, CertificateWorthMoreElsewhereThanItsLargestGrant) {
  // The certificate's biggest grant (5 toward "algo") would block both a 4-credit course
  // it also fits and the MOOC that can fill "algo" instead.
  Case c;
  c.Course("algo", 500).Course("security", 400);
  c.UnitRule("r1", "algo", 500, {"cert:sec"});
  c.UnitRule("r2", "security", 400, {"cert:sec"});
  c.UnitRule("r3", "algo", 400, {"mooc:algo"});
  c.Rec("a-cert", "cert:sec", UnitKind::kSkillCertificate);
  c.Rec("b-mooc", "mooc:algo");
  ConversionResult r = c.Eval();
  EXPECT_EQ(r.granted, 800);
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(r.upper_bound, 800);
  EXPECT_EQ(Req(r, "algo").applications.at(0).rule, "r3");
  EXPECT_EQ(Req(r, "security").applications.at(0).records, std::vector<std::string>{"a-cert"});
  EXPECT_EQ(c.Greedy().granted, 500);
}

TEST(ConversionTest, CertificatePairedForACourseBlocksBetterSplit) {
  // The certificate plus a MOOC earn a 6-credit course, the largest grant. But two MOOCs can
  // earn that course too, leaving the certificate for a 3-credit course: 9 instead of 6.
  Case c;
  c.Course("networks", 600).Pool("electives", 200).Course("intro", 300);
  c.UnitRule("elective-cert", "electives", 200, {"cert:ccna"});
  c.UnitRule("networks-pair", "networks", 600, {"cert:ccna", "mooc:net"});
  c.UnitRule("intro-mooc", "intro", 300, {"mooc:net"});
  c.UnitRule("intro-cert", "intro", 300, {"cert:ccna"});
  c.Rec("c1", "cert:ccna", UnitKind::kSkillCertificate).credits = 400;
  c.Rec("m1", "mooc:net");
  ConversionResult r = c.Eval();
  EXPECT_EQ(r.granted, 600);
  EXPECT_EQ(Req(r, "networks").applications.at(0).records, (std::vector<std::string>{"c1", "m1"}));
  EXPECT_EQ(c.Greedy().granted, 600);
  c.UnitRule("networks-moocs", "networks", 600, {"mooc:net", "mooc:net2"});
  c.Rec("m2", "mooc:net2");
  ConversionResult r2 = c.Eval();
  EXPECT_EQ(r2.granted, 900);
  EXPECT_TRUE(r2.optimal);
  EXPECT_EQ(Req(r2, "networks").applications.at(0).rule, "networks-moocs");
  EXPECT_EQ(Req(r2, "intro").applications.at(0).rule, "intro-cert");
  EXPECT_EQ(c.Greedy().granted, 600);
}

TEST(ConversionTest, CapMakesLargestGrantWrong) {
  Case c;
  c.Course("a", 500).Course("b", 300).Course("c", 300);
  Cap cap;
  cap.by = CapBy::kKind;
  cap.limits["mooc"] = 600;
  c.program.policy.caps.push_back(cap);
  c.UnitRule("ra", "a", 500, {"m:1"});
  c.UnitRule("rb", "b", 300, {"m:2"});
  c.UnitRule("rc", "c", 300, {"m:3"});
  c.Rec("x1", "m:1");
  c.Rec("x2", "m:2");
  c.Rec("x3", "m:3");
  ConversionResult r = c.Eval();
  EXPECT_EQ(r.granted, 600);
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(Reasons(r).at("x1"), "cap:kind:mooc");
  ConversionResult g = c.Greedy();
  EXPECT_EQ(g.granted, 500);
  EXPECT_LT(g.granted, r.granted);
}

TEST(ConversionTest, PoolPackingLargestFirstIsSuboptimal) {
  Case c;
  c.Pool("electives", 600);
  c.UnitRule("big", "electives", 400, {"u:big"});
  c.UnitRule("m1", "electives", 300, {"u:m1"});
  c.UnitRule("m2", "electives", 300, {"u:m2"});
  c.Rec("r1", "u:big");
  c.Rec("r2", "u:m1");
  c.Rec("r3", "u:m2");
  ConversionResult r = c.Eval();
  EXPECT_EQ(r.granted, 600);
  EXPECT_EQ(Req(r, "electives").applications.size(), 2u);
  EXPECT_EQ(Reasons(r).at("r1"), "requirement_full");
  EXPECT_EQ(c.Greedy().granted, 400);
}

TEST(ConversionTest, TransferCapPackingLargestFirstIsSuboptimal) {
  Case c;
  c.Course("a", 400).Course("b", 300).Course("c", 300);
  c.program.policy.max_transfer_credits = 600;
  c.UnitRule("ra", "a", 400, {"u:a"});
  c.UnitRule("rb", "b", 300, {"u:b"});
  c.UnitRule("rc", "c", 300, {"u:c"});
  c.Rec("r1", "u:a");
  c.Rec("r2", "u:b");
  c.Rec("r3", "u:c");
  ConversionResult r = c.Eval();
  EXPECT_EQ(r.transfer_cap, 600);
  EXPECT_EQ(r.granted, 600);
  EXPECT_EQ(Reasons(r).at("r1"), "transfer_cap");
  EXPECT_EQ(c.Greedy().granted, 400);
}

// ---- Reason codes ------------------------------------------------------------------------

TEST(ConversionTest, EveryReasonCode) {
  Case c;
  c.Course("a", 300).Course("b", 300).Course("pair", 600).Course("solo", 700).Pool("p", 300);
  c.Course("k1", 300).Course("k2", 300).Course("t1", 300);
  c.program.policy.min_grade = 60;
  c.program.policy.max_age_years = 5;
  Cap kind;
  kind.by = CapBy::kKind;
  kind.limits["training"] = 300;
  c.program.policy.caps.push_back(kind);
  Cap year;
  year.by = CapBy::kYear;
  year.max_count["2021"] = 1;
  c.program.policy.caps.push_back(year);
  Cap issuer;
  issuer.by = CapBy::kIssuer;
  issuer.limits["solo"] = 700;
  c.program.policy.caps.push_back(issuer);

  c.UnitRule("ra", "a", 300, {"x:a"});
  c.Rec("revoked", "x:a").revoked = true;
  c.Rec("expired", "x:a").expires_on = kAsOf;
  c.Rec("future", "x:a").completed_on = kAsOf + 1;
  c.Rec("old", "x:a", UnitKind::kMooc, 2015);
  c.Rec("failed", "x:a").grade = 40;
  c.Rec("a1-used", "x:a");
  c.Rec("a2-full", "x:a");  // same unit, course "a" already filled
  c.Rec("nothing", "x:none");
  // Rule-level filters.
  Rule strict;
  strict.id = "strict";
  strict.target = "b";
  strict.grant = 300;
  strict.min_grade = 90;
  strict.sources.push_back(Case::Unit("x:b"));
  c.ruleset.rules.push_back(strict);
  c.Rec("b-low", "x:b").grade = 80;
  Rule recent;
  recent.id = "recent";
  recent.target = "b";
  recent.grant = 300;
  recent.max_age_years = 2;
  recent.sources.push_back(Case::Unit("x:c"));
  c.ruleset.rules.push_back(recent);
  c.Rec("c-old", "x:c", UnitKind::kMooc, 2021);
  // used_elsewhere: the pair needs p2, which earns more alone.
  c.UnitRule("pair", "pair", 600, {"x:p1", "x:p2"});
  c.UnitRule("solo", "solo", 700, {"x:p2"});
  c.Rec("p1", "x:p1");
  c.Rec("p2", "solo:x2");
  c.ruleset.rules.back().sources[0].unit = "solo:x2";
  c.ruleset.rules[c.ruleset.rules.size() - 2].sources[1].unit = "solo:x2";
  // kind cap (training <= 3 credits).
  c.UnitRule("k1", "k1", 300, {"t:1"});
  c.UnitRule("k2", "k2", 300, {"t:2"});
  c.Rec("k-1", "t:1", UnitKind::kTraining);
  c.Rec("k-2", "t:2", UnitKind::kTraining);
  // year count (one application from 2021).
  c.UnitRule("t1", "t1", 300, {"y:1"});
  c.UnitRule("p-y2", "p", 300, {"y:2"});
  c.Rec("y-1", "y:1", UnitKind::kDegreeCourse, 2021);
  c.Rec("y-2", "y:2", UnitKind::kDegreeCourse, 2021);
  ConversionResult r = c.Eval();
  ASSERT_TRUE(r.optimal);
  auto reasons = Reasons(r);
  EXPECT_EQ(reasons["revoked"], "revoked");
  EXPECT_EQ(reasons["expired"], "too_old");
  EXPECT_EQ(reasons["future"], "too_old");
  EXPECT_EQ(reasons["old"], "too_old");
  EXPECT_EQ(reasons["failed"], "below_min_grade");
  EXPECT_EQ(reasons["nothing"], "no_rule");
  EXPECT_EQ(reasons["b-low"], "below_min_grade");
  EXPECT_EQ(reasons["c-old"], "too_old");
  EXPECT_EQ(reasons.count("a1-used"), 0u);
  EXPECT_EQ(reasons["a2-full"], "requirement_full");
  EXPECT_EQ(reasons["p1"], "used_elsewhere");
  EXPECT_EQ(reasons.count("p2"), 0u);
  EXPECT_EQ(reasons["k-2"], "cap:kind:training");
  // Equal grants: the pool (earlier in the program) wins the single 2021 slot.
  EXPECT_EQ(reasons.count("y-2"), 0u);
  EXPECT_EQ(reasons["y-1"], "cap:year:2021");
  // unused is sorted by record id and names every record not used.
  std::vector<std::string> ids;
  for (const auto& u : r.unused) ids.push_back(u.record);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  size_t used = 0;
  for (const auto& q : r.requirements) {
    for (const auto& a : q.applications) used += a.records.size();
  }
  EXPECT_EQ(used + r.unused.size(), c.records.size());
  // transfer_cap and cap:issuer in their own small cases.
  Case t;
  t.Course("a", 300).Course("b", 300);
  t.program.policy.max_transfer_credits = 300;
  t.UnitRule("ra", "a", 300, {"u:a"});
  t.UnitRule("rb", "b", 300, {"u:b"});
  t.Rec("r1", "u:a");
  t.Rec("r2", "u:b");
  EXPECT_EQ(Reasons(t.Eval())["r2"], "transfer_cap");
  Case i;
  i.Course("a", 300).Course("b", 300);
  Cap by_issuer;
  by_issuer.by = CapBy::kIssuer;
  by_issuer.default_limit = 300;
  i.program.policy.caps.push_back(by_issuer);
  i.UnitRule("ra", "a", 300, {"tsinghua:a"});
  i.UnitRule("rb", "b", 300, {"tsinghua:b"});
  i.Rec("r1", "tsinghua:a");
  i.Rec("r2", "tsinghua:b");
  EXPECT_EQ(Reasons(i.Eval())["r2"], "cap:issuer:tsinghua");
}

TEST(ConversionTest, PatternsPoolsAndNToOne) {
  Case c;
  c.Pool("moocs", 500).Course("db", 400);
  Rule any_mooc;
  any_mooc.id = "any-06-mooc";
  any_mooc.target = "moocs";
  any_mooc.grant = 200;
  Pattern mooc06;
  mooc06.kind = UnitKind::kMooc;
  mooc06.field_prefix = "06";
  any_mooc.sources.push_back(mooc06);
  c.ruleset.rules.push_back(any_mooc);
  Rule two;
  two.id = "two-moocs-for-db";
  two.target = "db";
  two.grant = 400;
  Pattern lvl;
  lvl.kind = UnitKind::kMooc;
  lvl.min_level = 5;
  two.sources = {lvl, lvl};
  c.ruleset.rules.push_back(two);
  for (int k = 0; k < 5; ++k) c.Rec("m" + std::to_string(k), "edx:c" + std::to_string(k));
  c.records[4].field = "0411";  // not 06
  ConversionResult r = c.Eval();
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(r.granted, 800);  // db (4) + two pool grants (2 + 2)
  EXPECT_EQ(Req(r, "db").applications.size(), 1u);
  EXPECT_EQ(Req(r, "moocs").applications.size(), 2u);
  EXPECT_EQ(Req(r, "moocs").granted, 400);
  // Tie order: the pool (grant 2) comes after db (grant 4); records smallest id first.
  EXPECT_EQ(Req(r, "db").applications[0].records, (std::vector<std::string>{"m0", "m1"}));
  EXPECT_EQ(Req(r, "moocs").applications[0].records, std::vector<std::string>{"m2"});
  EXPECT_EQ(Req(r, "moocs").applications[1].records, std::vector<std::string>{"m3"});
  // m4 fits only db's second source; its best candidate needs two of m0..m3, all used.
  EXPECT_EQ(Reasons(r).at("m4"), "used_elsewhere");
}

// Korea's ACBS preset caps credits per institution (105) and per year; a learner with MOOCs from
// many institutions never comes near them. Those groups cannot bind, so they must not split the
// MOOCs into one class per institution: twenty classes would give a two-MOOC rule 190 tuples,
// past the 128 a rule may list, and the answer fell to 21 of 30 credits, "optimal": false, with
// the six MOOCs left over called used_elsewhere (found by an outside review).
TEST(ConversionTest, CapGroupsThatCannotBindDoNotSplitClasses) {
  auto make = [](Centi issuer_limit, std::optional<int> issuer_count, int moocs = 20) {
    Case c;
    c.program.total_credits = 14000;
    c.Pool("e", 6000);
    Cap by_issuer;
    by_issuer.by = CapBy::kIssuer;
    by_issuer.default_limit = issuer_limit;
    if (issuer_count) {
      for (int k = 0; k < 20; ++k) by_issuer.max_count["mp" + std::to_string(k)] = *issuer_count;
    }
    c.program.policy.caps.push_back(by_issuer);
    Rule two;
    two.id = "two-moocs";
    two.target = "e";
    two.grant = 300;
    Pattern mooc;
    mooc.kind = UnitKind::kMooc;
    two.sources = {mooc, mooc};
    c.ruleset.rules.push_back(two);
    for (int k = 0; k < moocs; ++k) {
      c.Rec("m" + std::string(k < 10 ? "0" : "") + std::to_string(k),
            "mp" + std::to_string(k) + ":M");
    }
    return c;
  };
  // 42 credits per institution, 1 record each: at most 3 credits each. One class of 20.
  ConversionResult r = make(4200, std::nullopt).Eval();
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(r.granted, 3000);
  EXPECT_TRUE(r.unused.empty());
  EXPECT_EQ(Req(r, "e").applications.size(), 10u);
  // The same with a count limit of one application per institution: still cannot bind.
  r = make(4200, 1).Eval();
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(r.granted, 3000);
  // A limit that can bind still tells institutions apart, and still holds: 2.99 credits per
  // institution lets no application count toward any of them (six MOOCs: 15 tuples).
  r = make(299, std::nullopt, 6).Eval();
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(r.granted, 0);
  for (const auto& u : r.unused) EXPECT_EQ(u.reason.rfind("cap:issuer:", 0), 0u) << u.reason;
  // A count limit of 0 binds too.
  r = make(4200, 0, 6).Eval();
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(r.granted, 0);
}

// Twelve MOOCs, each its own class (a rule of its own toward a one-credit course), and a rule
// taking any three toward a pool: 220 tuples of classes. With 128 the answer was 7 of 12 credits,
// "optimal": false (outside review); the optimum is 12 (each MOOC on its own course, or four
// triples).
TEST(ConversionTest, ARuleOfThreeOverTwelveClassesFindsTheOptimum) {
  Case c;
  c.Pool("p", 3000);
  Rule three;
  three.id = "three-moocs";
  three.target = "p";
  three.grant = 300;
  Pattern mooc;
  mooc.kind = UnitKind::kMooc;
  three.sources = {mooc, mooc, mooc};
  for (int k = 0; k < 12; ++k) {
    const std::string n = (k < 10 ? "0" : "") + std::to_string(k);
    c.Course("c" + n, 100);
    c.UnitRule("own-" + n, "c" + n, 100, {"mp" + n + ":M"});
    c.Rec("m" + n, "mp" + n + ":M");
  }
  c.ruleset.rules.push_back(three);
  ConversionResult r = c.Eval();
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(r.granted, 1200);
  EXPECT_TRUE(r.unused.empty());
}

// ---- Determinism, budget, what-if ------------------------------------------------------------

TEST(ConversionTest, DeterministicAndOrderIndependent) {
  SynthSpec spec = TypicalSpec(7);
  spec.learners = 8;
  SynthWorld w = Synthesize(spec);
  auto compiled = CompiledRuleset::Compile(w.programs[0], w.rulesets[0]);
  EvalScratch scratch;
  std::mt19937_64 rng(3);
  for (const auto& recs : w.learners) {
    ConversionResult a = Evaluate(*compiled, recs, w.as_of);
    ConversionResult b = Evaluate(*compiled, recs, w.as_of, {}, &scratch);
    EXPECT_EQ(CanonicalString(a), CanonicalString(b));
    EXPECT_TRUE(a.optimal);
    for (int k = 0; k < 3; ++k) {
      std::vector<Record> shuffled = recs;
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      EXPECT_EQ(CanonicalString(Evaluate(*compiled, shuffled, w.as_of, {}, &scratch)),
                CanonicalString(a));
    }
    EXPECT_EQ(a.program, w.programs[0].id);
    EXPECT_EQ(a.ruleset_version, 1);
    EXPECT_EQ(a.requirements.size(), w.programs[0].requirements.size());
    EXPECT_LE(a.granted, a.transfer_cap);
    EXPECT_EQ(a.remaining, std::max<Centi>(0, a.total_credits - a.granted));
  }
}

TEST(ConversionTest, BudgetStopsAdversarialWithValidBound) {
  SynthWorld w = SynthesizeAdversarial(1);
  auto compiled = CompiledRuleset::Compile(w.programs[0], w.rulesets[0]);
  ASSERT_TRUE(ValidateRuleset(w.programs[0], w.rulesets[0]).ok());
  for (uint64_t budget : {uint64_t{50}, uint64_t{2000}, EvalOptions::kDefaultMaxNodes}) {
    EvalOptions o;
    o.max_nodes = budget;
    ConversionResult r = Evaluate(*compiled, w.learners[0], w.as_of, o);
    EXPECT_GE(r.upper_bound, r.granted);
    EXPECT_LE(r.upper_bound, r.transfer_cap);
    if (r.optimal) {
      EXPECT_EQ(r.upper_bound, r.granted);
    }
    // The root runs a few full bound evaluations before the budget is checked; each costs
    // one node per 64 candidates scanned.
    EXPECT_LE(r.nodes, budget + 5 * (r.candidates / 64 + 1)) << budget;
    EXPECT_GT(r.granted, 0);
    // The selection is still feasible: distinct records, course once, pools within credits.
    std::set<std::string> used;
    for (size_t q = 0; q < r.requirements.size(); ++q) {
      const auto& req = w.programs[0].requirements[q];
      if (req.kind == RequirementKind::kCourse) {
        EXPECT_LE(r.requirements[q].applications.size(), 1u);
      } else {
        EXPECT_LE(r.requirements[q].granted, req.credits);
      }
      for (const auto& a : r.requirements[q].applications) {
        for (const auto& id : a.records) EXPECT_TRUE(used.insert(id).second) << id;
      }
    }
    EXPECT_EQ(used.size() + r.unused.size(), w.learners[0].size());
  }
}

TEST(ConversionTest, WhatIfRanksByGrantedThenProgramId) {
  SynthSpec spec = TypicalSpec(11);
  spec.programs = 6;
  spec.rules_per_program = 800;
  SynthWorld w = Synthesize(spec);
  std::vector<std::shared_ptr<const CompiledRuleset>> compiled;
  for (size_t p = 0; p < w.programs.size(); ++p) {
    compiled.push_back(CompiledRuleset::Compile(w.programs[p], w.rulesets[p]));
  }
  // A duplicate program under another id ties on granted and sorts by id.
  Program twin = w.programs[0];
  twin.id = "aaa:twin";
  Ruleset twin_rules = w.rulesets[0];
  twin_rules.program = twin.id;
  compiled.push_back(CompiledRuleset::Compile(twin, twin_rules));
  auto ranked = WhatIf(compiled, w.learners[0], w.as_of, 100);
  ASSERT_EQ(ranked.size(), compiled.size());
  for (size_t i = 1; i < ranked.size(); ++i) {
    EXPECT_TRUE(
        ranked[i - 1].granted > ranked[i].granted ||
        (ranked[i - 1].granted == ranked[i].granted && ranked[i - 1].program < ranked[i].program));
  }
  for (const auto& e : ranked) {
    for (size_t p = 0; p < compiled.size(); ++p) {
      if (compiled[p]->program().id != e.program) continue;
      EXPECT_EQ(e.granted, Evaluate(*compiled[p], w.learners[0], w.as_of).granted);
    }
  }
  auto top2 = WhatIf(compiled, w.learners[0], w.as_of, 2);
  ASSERT_EQ(top2.size(), 2u);
  EXPECT_EQ(top2[0].program, ranked[0].program);
  EXPECT_EQ(top2[1].program, ranked[1].program);
}

TEST(ConversionTest, SharedCompiledRulesetAcrossThreads) {
  SynthSpec spec = TypicalSpec(3);
  spec.learners = 16;
  SynthWorld w = Synthesize(spec);
  std::shared_ptr<const CompiledRuleset> compiled =
      CompiledRuleset::Compile(w.programs[0], w.rulesets[0]);
  std::vector<std::string> expected;
  for (const auto& recs : w.learners) {
    expected.push_back(CanonicalString(Evaluate(*compiled, recs, w.as_of)));
  }
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      EvalScratch scratch;  // one per thread; the index is shared read-only
      for (int round = 0; round < 3; ++round) {
        for (size_t l = 0; l < w.learners.size(); ++l) {
          std::string s =
              CanonicalString(Evaluate(*compiled, w.learners[l], w.as_of, {}, &scratch));
          if (round == 2) got[t].push_back(std::move(s));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(got[t], expected) << t;
}

TEST(ConversionTest, EmptyInputs) {
  Case c;
  c.Course("a", 300);
  ConversionResult r = c.Eval();
  EXPECT_EQ(r.granted, 0);
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(r.remaining, 12000);
  EXPECT_EQ(r.transfer_cap, 12000);  // neither cap set: total credits
  ASSERT_EQ(r.requirements.size(), 1u);
  EXPECT_TRUE(r.requirements[0].applications.empty());
  EXPECT_TRUE(r.unused.empty());
}

TEST(ConversionTest, TransferCapRoundsDownToWholeCredits) {
  Case c;
  c.Course("a", 300);
  c.program.total_credits = 12050;
  c.program.policy.max_transfer_ratio_bp = 5000;  // 60.25 -> 60
  EXPECT_EQ(c.Eval().transfer_cap, 6000);
  c.program.policy.max_transfer_credits = 5950;
  EXPECT_EQ(c.Eval().transfer_cap, 5950);
}

}  // namespace
}  // namespace lcb
