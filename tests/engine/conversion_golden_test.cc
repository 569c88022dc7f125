// Golden test: the engine's output, byte for byte, over a few hundred seeded synthetic
// evaluations (engine/synth.h, the generator the other engine tests and the benchmarks use).
//
// It exists so that refactoring the engine (issue 13: EvaluateSorted, SolveReduced and
// Compile split into named steps) provably changes nothing: every field of every result is
// written into one canonical text whose SHA-256 is compared with a constant computed on the
// code before the refactor. Two digests are kept apart:
//   kOutputSha256  what callers see: every field of ConversionResult (granted, each
//                  requirement's applications with rule ids, record ids and credits, every
//                  unused record with its reason, optimal, upper bound, transfer cap ...),
//                  greedy results, what-if rankings, and what a CompiledRuleset answers
//                  (rules, sources, matching sources per record, caps, skipped rules).
//                  A change here changes the contract: it needs a reason, never a refresh.
//   kWorkSha256    diagnostics: search nodes, candidate counts and the index's byte count.
//                  A deliberate change to the search or the index may change these; a pure
//                  refactor does not.
// On a mismatch the canonical texts are written to the test's temp dir for diffing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "crypto/sha256.h"
#include "engine/conversion.h"
#include "engine/ruleset_index.h"
#include "engine/synth.h"

namespace lcb {
namespace {

// Computed on the engine before the issue-13 refactor (commit 041efef).
constexpr char kOutputSha256[] = "b3a80faad7001d5ef5a411da0dcc47e0cd410036f785ac1cf7969ee5e7a75b82";
// The work digest changed once since without a change of work: Policy gained a flag (`given`,
// 2026-12-07), so every compiled program's memory_bytes grew by 8; nodes and bounds are as before.
constexpr char kWorkSha256[] = "f3dd02fb83f3b3e03c8392fea0df06aea52c54b4d435d82df247b4928255a5fc";

std::string Sha256Hex(std::string_view s) {
  const Hash h = Sha256(s);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

// Everything the golden text is built from, plus tallies that show the cases exercise what
// they claim to (caps, pools, budgets, every reason code).
struct Golden {
  std::string output;
  std::string work;
  int evaluations = 0;
  int not_optimal = 0;
  int bound_above_granted = 0;
  int pool_multi = 0;                  // pool requirements filled by two or more applications
  int n_to_one = 0;                    // applications with two or more records
  std::map<std::string, int> reasons;  // "cap:kind", "used_elsewhere", ...

  void Line(const std::string& s) {
    output += s;
    output += '\n';
  }
};

void AddResult(const std::string& label, const ConversionResult& r, Golden* g) {
  ++g->evaluations;
  g->Line("result " + label);
  g->Line(" program=" + r.program + " version=" + std::to_string(r.ruleset_version) +
          " sha=" + r.ruleset_sha256 + " as_of=" + std::to_string(r.as_of));
  g->Line(" total=" + std::to_string(r.total_credits) +
          " transfer_cap=" + std::to_string(r.transfer_cap) +
          " granted=" + std::to_string(r.granted) + " remaining=" + std::to_string(r.remaining) +
          " optimal=" + (r.optimal ? "1" : "0") + " upper_bound=" + std::to_string(r.upper_bound));
  for (const RequirementConversion& q : r.requirements) {
    g->Line(" req " + q.id + " granted=" + std::to_string(q.granted) +
            " apps=" + std::to_string(q.applications.size()));
    if (q.applications.size() >= 2) ++g->pool_multi;
    for (const ConversionApplication& a : q.applications) {
      std::string line = "  app " + a.rule + " credits=" + std::to_string(a.credits) + " [";
      for (size_t i = 0; i < a.records.size(); ++i) line += (i ? "," : "") + a.records[i];
      g->Line(line + "]");
      if (a.records.size() >= 2) ++g->n_to_one;
    }
  }
  g->Line(" unused=" + std::to_string(r.unused.size()));
  for (const UnusedRecord& u : r.unused) {
    g->Line("  " + u.record + " " + u.reason);
    const size_t second_colon = u.reason.rfind(':');
    ++g->reasons[u.reason.rfind("cap:", 0) == 0 ? u.reason.substr(0, second_colon) : u.reason];
  }
  if (!r.optimal) ++g->not_optimal;
  if (r.upper_bound > r.granted) ++g->bound_above_granted;
  g->work += label + " nodes=" + std::to_string(r.nodes) +
             " candidates=" + std::to_string(r.candidates) + "\n";
}

void AddCompiled(const std::string& label, const CompiledRuleset& c,
                 const std::vector<std::vector<Record>>& learners, Golden* g) {
  g->Line("compiled " + label + " program=" + c.program().id +
          " version=" + std::to_string(c.version()) + " sha=" + c.sha256_hex() + " transfer_cap=" +
          std::to_string(c.transfer_cap()) + " rules=" + std::to_string(c.num_rules()) +
          " sources=" + std::to_string(c.num_sources()) +
          " skipped=" + std::to_string(c.skipped_rules()));
  for (uint32_t r = 0; r < c.num_rules(); ++r) {
    g->Line(" rule " + std::string(c.rule_id(r)) + " target=" + std::to_string(c.rule_target(r)) +
            " grant=" + std::to_string(c.rule_grant(r)) +
            " min_grade=" + std::to_string(c.rule_min_grade(r)) +
            " max_age=" + std::to_string(c.rule_max_age_years(r)) + " sources=[" +
            std::to_string(c.rule_source_begin(r)) + "," + std::to_string(c.rule_source_end(r)) +
            ")");
  }
  for (uint32_t s = 0; s < c.num_sources(); ++s) {
    if (c.source_rule(s) >= c.num_rules()) g->Line(" bad source " + std::to_string(s));
  }
  for (size_t f = 0; f < c.caps().size(); ++f) {
    const CompiledRuleset::CapFamily& fam = c.caps()[f];
    std::string line = " cap " + std::string(CapByName(fam.by)) +
                       " default=" + std::to_string(fam.default_limit) + " kinds=";
    for (size_t k = 0; k < kUnitKindCount; ++k) {
      line += std::to_string(fam.kind_limit[k]) + "/" + std::to_string(fam.kind_count[k]) + ",";
    }
    for (const auto& [y, v] : fam.year_limit)
      line += " yl" + std::to_string(y) + "=" + std::to_string(v);
    for (const auto& [y, v] : fam.year_count)
      line += " yc" + std::to_string(y) + "=" + std::to_string(v);
    for (const auto& [i, v] : fam.issuer_limit) line += " il" + i + "=" + std::to_string(v);
    for (const auto& [i, v] : fam.issuer_count) line += " ic" + i + "=" + std::to_string(v);
    g->Line(line);
  }
  // The index as a matcher: the sources each record matches (sorted: their order is not
  // part of the contract) and the cap limits each record falls under.
  for (const std::vector<Record>& recs : learners) {
    for (const Record& rec : recs) {
      std::vector<uint32_t> hits;
      c.ForEachMatchingSource(rec, [&](uint32_t s) { hits.push_back(s); });
      std::sort(hits.begin(), hits.end());
      std::string line = " match " + rec.id + " [";
      for (size_t i = 0; i < hits.size(); ++i) line += (i ? "," : "") + std::to_string(hits[i]);
      line += "]";
      for (size_t f = 0; f < c.caps().size(); ++f) {
        Centi limit = 0;
        int32_t count = 0;
        c.CapLimits(f, rec, CivilFromDays(rec.completed_on).year, &limit, &count);
        line += " " + std::to_string(limit) + "/" + std::to_string(count);
      }
      g->Line(line);
    }
  }
  g->work += label + " memory_bytes=" + std::to_string(c.MemoryBytes()) + "\n";
}

// Rules Compile must skip (and count): unknown target, no sources, too many sources, a zero
// grant, a bad field prefix. Appended to a synthetic ruleset between valid rules.
void AddInvalidRules(Ruleset* rs) {
  Rule base = rs->rules.front();
  Rule unknown = base;
  unknown.id = "bad-target";
  unknown.target = "no-such-requirement";
  Rule empty = base;
  empty.id = "bad-empty";
  empty.sources.clear();
  Rule many = base;
  many.id = "bad-many";
  many.sources.assign(kMaxRuleSources + 1, base.sources.front());
  Rule zero = base;
  zero.id = "bad-zero";
  zero.grant = 0;
  Rule prefix = base;
  prefix.id = "bad-prefix";
  Pattern p;
  p.field_prefix = "6x";
  prefix.sources = {p};
  const size_t mid = rs->rules.size() / 2;
  rs->rules.insert(rs->rules.begin() + static_cast<std::ptrdiff_t>(mid),
                   {unknown, empty, many, zero, prefix});
}

// The generator fails most grades against min_grade 60 (it draws 40-64 for ~92 % of
// records); some worlds lift every other record's grade by 25 so that more records compete
// for requirements and caps.
void RaiseGrades(SynthWorld* w) {
  for (std::vector<Record>& recs : w->learners) {
    for (size_t i = 0; i < recs.size(); i += 2) recs[i].grade = std::min(100, recs[i].grade + 25);
  }
}

// Tighter issuer and year caps than the generator's (30 and 24 credits), with per-key
// limits and application counts, so those families bind in the dense worlds.
void TightenCaps(Program* prog) {
  for (Cap& cap : prog->policy.caps) {
    if (cap.by == CapBy::kIssuer) {
      cap.default_limit = 800;
      cap.limits["inst0003"] = 1200;
      cap.max_count["inst0001"] = 1;
      cap.max_count["inst0004"] = 2;
    } else if (cap.by == CapBy::kYear) {
      cap.default_limit = 1500;
      cap.limits["2023"] = 1000;
      cap.max_count["2024"] = 2;
    }
  }
}

// A pool rule every eligible record matches (level >= 1): more record classes for one
// source than the evaluator enumerates per rule.
void AddBroadRule(SynthWorld* w) {
  const Program& prog = w->programs[0];
  Rule rule;
  rule.id = "broad";
  rule.target = prog.requirements.back().id;  // a pool
  rule.grant = 50;
  Pattern any;
  any.min_level = 1;
  rule.sources = {any};
  w->rulesets[0].rules.push_back(rule);
}

struct WorldCase {
  std::string name;
  SynthSpec spec;
  std::vector<uint64_t> budgets;  // each learner is evaluated under each of these
  std::function<void(SynthWorld*)> adjust = [](SynthWorld*) {};
};

std::vector<WorldCase> Cases() {
  std::vector<WorldCase> cases;
  // The typical workload (benchmarks/README.md), smaller rulesets: three caps, five pools.
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    WorldCase c{
        "typical" + std::to_string(seed), TypicalSpec(seed), {EvalOptions::kDefaultMaxNodes}};
    c.spec.rules_per_program = 2500;
    c.spec.learners = 12;
    if (seed == 1) c.budgets.push_back(3);  // budget exceeded on most learners
    if (seed == 2) c.adjust = [](SynthWorld* w) { AddInvalidRules(&w->rulesets[0]); };
    if (seed >= 3) c.adjust = RaiseGrades;
    cases.push_back(c);
  }
  // Dense worlds: a small catalog that most records and many pattern and n:1 rules share,
  // so records contend for requirements, pools and caps; cap families 0-3; transfer caps
  // from 20 % to 100 % (and a fixed one); tight budgets too.
  const int ratios[] = {2000, 5000, 10000, 3500};
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SynthSpec s = TypicalSpec(100 + seed);
    s.institutions = 10;
    s.units_per_institution = 12;
    s.requirements_per_program = 14;
    s.pools = 4;
    s.rules_per_program = 160;
    s.pattern_rules_permille = 250;
    s.n1_rules_permille = 150;
    s.learners = 8;
    s.records_per_learner = 30;
    s.match_percent = 85;
    s.caps = static_cast<int>(seed % 4);
    s.transfer_ratio_bp = ratios[seed % 4];
    WorldCase c{"dense" + std::to_string(seed), s, {EvalOptions::kDefaultMaxNodes, 25, 2}};
    c.adjust = [seed](SynthWorld* w) {
      RaiseGrades(w);
      TightenCaps(&w->programs[0]);
      if (seed == 5) AddInvalidRules(&w->rulesets[0]);
      if (seed == 6) w->programs[0].policy.max_transfer_credits = 2500;
    };
    cases.push_back(c);
  }
  // Wide: 2,000 records from ~670 matched issuers under an issuer cap, matched by pattern
  // rules only: more cap groups than the evaluator's group hash table holds (its scan
  // fallback), and the per-rule tuple and candidate limits.
  {
    SynthSpec s = TypicalSpec(42);
    s.institutions = 4000;
    s.units_per_institution = 3;
    s.requirements_per_program = 20;
    s.pools = 10;
    s.rules_per_program = 300;
    s.pattern_rules_permille = 1000;
    s.n1_rules_permille = 0;
    s.caps = 2;
    s.learners = 2;
    s.records_per_learner = 2000;
    s.match_percent = 0;
    WorldCase c{"wide", s, {EvalOptions::kDefaultMaxNodes, 40}};
    c.adjust = [](SynthWorld* w) {
      RaiseGrades(w);
      AddBroadRule(w);
    };
    cases.push_back(c);
  }
  return cases;
}

Golden BuildGolden() {
  Golden g;
  for (const WorldCase& wc : Cases()) {
    SynthWorld w = Synthesize(wc.spec);
    wc.adjust(&w);
    auto compiled = CompiledRuleset::Compile(w.programs[0], w.rulesets[0]);
    AddCompiled(wc.name, *compiled, w.learners, &g);
    EvalScratch scratch;  // shared across learners, as the bank and the benchmarks do
    for (size_t l = 0; l < w.learners.size(); ++l) {
      const std::string who = wc.name + "/l" + std::to_string(l);
      for (uint64_t budget : wc.budgets) {
        EvalOptions o;
        o.max_nodes = budget;
        AddResult(who + "/exact" + std::to_string(budget),
                  Evaluate(*compiled, w.learners[l], w.as_of, o, &scratch), &g);
      }
      AddResult(who + "/greedy", EvaluateGreedy(*compiled, w.learners[l], w.as_of, {}, &scratch),
                &g);
    }
  }
  // The adversarial instance: stops at the budget (optimal = false with a bound), hits the
  // candidate enumeration limits, every cap family binds.
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SynthWorld w = SynthesizeAdversarial(seed);
    auto compiled = CompiledRuleset::Compile(w.programs[0], w.rulesets[0]);
    const std::string name = "adversarial" + std::to_string(seed);
    AddCompiled(name, *compiled, w.learners, &g);
    for (uint64_t budget : {EvalOptions::kDefaultMaxNodes, uint64_t{300}}) {
      EvalOptions o;
      o.max_nodes = budget;
      AddResult(name + "/exact" + std::to_string(budget),
                Evaluate(*compiled, w.learners[0], w.as_of, o), &g);
    }
    AddResult(name + "/greedy", EvaluateGreedy(*compiled, w.learners[0], w.as_of), &g);
  }
  // What-if: several programs ranked for each learner (the summary path of the evaluator).
  {
    SynthSpec s = TypicalSpec(7);
    s.programs = 12;
    s.rules_per_program = 400;
    s.learners = 6;
    s.match_percent = 60;
    SynthWorld w = Synthesize(s);
    std::vector<std::shared_ptr<const CompiledRuleset>> compiled;
    for (size_t p = 0; p < w.programs.size(); ++p) {
      compiled.push_back(CompiledRuleset::Compile(w.programs[p], w.rulesets[p]));
    }
    EvalScratch scratch;
    for (size_t l = 0; l < w.learners.size(); ++l) {
      for (size_t limit : {size_t{5}, size_t{100}}) {
        EvalOptions o;
        o.max_nodes = l % 2 == 0 ? EvalOptions::kDefaultMaxNodes : 10;
        g.Line("whatif l" + std::to_string(l) + " limit=" + std::to_string(limit) +
               " budget=" + std::to_string(o.max_nodes));
        EvalScratch* reuse = l == 0 ? nullptr : &scratch;  // nullptr: a scratch of its own
        for (const WhatIfEntry& e : WhatIf(compiled, w.learners[l], w.as_of, limit, o, reuse)) {
          g.Line(" " + e.program + " v" + std::to_string(e.ruleset_version) + " total=" +
                 std::to_string(e.total_credits) + " cap=" + std::to_string(e.transfer_cap) +
                 " granted=" + std::to_string(e.granted) + " remaining=" +
                 std::to_string(e.remaining) + " optimal=" + (e.optimal ? "1" : "0"));
        }
      }
    }
  }
  return g;
}

void DumpForDiff(const Golden& g) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "engine_golden_output.txt") << g.output;
  std::ofstream(dir + "engine_golden_work.txt") << g.work;
  std::printf("golden texts written to %sengine_golden_{output,work}.txt\n", dir.c_str());
}

TEST(ConversionGoldenTest, OutputAndWorkUnchanged) {
  const Golden g = BuildGolden();
  const std::string output_sha = Sha256Hex(g.output);
  const std::string work_sha = Sha256Hex(g.work);
  std::printf("evaluations %d, output %zu bytes sha256 %s, work sha256 %s\n", g.evaluations,
              g.output.size(), output_sha.c_str(), work_sha.c_str());
  std::printf("not optimal %d, bound above granted %d, pools with 2+ apps %d, n:1 apps %d\n",
              g.not_optimal, g.bound_above_granted, g.pool_multi, g.n_to_one);
  for (const auto& [reason, n] : g.reasons) std::printf("  %s %d\n", reason.c_str(), n);

  // The cases cover what they claim to; otherwise an unchanged digest would prove little.
  EXPECT_GE(g.evaluations, 300);
  EXPECT_GT(g.not_optimal, 20);
  EXPECT_GT(g.bound_above_granted, 20);
  EXPECT_GT(g.pool_multi, 50);
  EXPECT_GT(g.n_to_one, 20);
  for (const char* reason :
       {"no_rule", "below_min_grade", "too_old", "revoked", "used_elsewhere", "requirement_full",
        "transfer_cap", "cap:kind", "cap:issuer", "cap:year"}) {
    EXPECT_GT(g.reasons.count(reason) ? g.reasons.at(reason) : 0, 0) << reason;
  }

  EXPECT_EQ(output_sha, kOutputSha256);
  EXPECT_EQ(work_sha, kWorkSha256);
  if (HasFailure() || std::getenv("LCB_GOLDEN_DUMP")) DumpForDiff(g);  // to diff two builds
}

}  // namespace
}  // namespace lcb
