// The synthetic generator: deterministic per seed, valid documents, the documented shapes.
#include "engine/synth.h"

#include <gtest/gtest.h>

#include "engine/conversion.h"
#include "engine/ruleset_validate.h"

namespace lcb {
namespace {

std::string Fingerprint(const SynthWorld& w) {
  std::string s;
  for (const auto& p : w.programs) s += p.id + std::to_string(p.total_credits) + ";";
  for (const auto& rs : w.rulesets) {
    for (const auto& r : rs.rules) s += r.id + r.target + std::to_string(r.grant) + ",";
  }
  for (const auto& l : w.learners) {
    for (const auto& r : l)
      s += r.id + r.unit + std::to_string(r.grade) + FormatDate(r.completed_on);
  }
  return s;
}

TEST(SynthTest, DeterministicPerSeed) {
  SynthSpec a = TypicalSpec(5);
  a.rules_per_program = 300;
  a.learners = 3;
  SynthSpec b = a;
  b.seed = 6;
  EXPECT_EQ(Fingerprint(Synthesize(a)), Fingerprint(Synthesize(a)));
  EXPECT_NE(Fingerprint(Synthesize(a)), Fingerprint(Synthesize(b)));
  EXPECT_EQ(SynthUnit(a, 3, 7).id, "inst0003:c007");
  EXPECT_EQ(SynthUnit(a, 3, 7).credits, SynthUnit(a, 3, 7).credits);
}

TEST(SynthTest, TypicalWorkloadShapeAndValidity) {
  SynthWorld w = Synthesize(TypicalSpec(1));
  ASSERT_EQ(w.programs.size(), 1u);
  const Program& p = w.programs[0];
  EXPECT_EQ(p.requirements.size(), 40u);
  int pools = 0;
  for (const auto& r : p.requirements) pools += r.kind == RequirementKind::kPool;
  EXPECT_EQ(pools, 5);
  EXPECT_EQ(p.policy.caps.size(), 3u);
  EXPECT_EQ(w.rulesets[0].rules.size(), 5000u);
  ASSERT_EQ(w.learners.size(), 1u);
  EXPECT_EQ(w.learners[0].size(), 60u);
  EXPECT_EQ(w.units.size(), 6000u);
  EXPECT_TRUE(ValidateProgramPolicy(p).ok()) << ValidateProgramPolicy(p).ToString();
  EXPECT_TRUE(ValidateRuleset(p, w.rulesets[0]).ok())
      << ValidateRuleset(p, w.rulesets[0]).ToString();
  // Records are realistic and mostly usable: a good share matches the program.
  auto compiled = CompiledRuleset::Compile(p, w.rulesets[0]);
  EXPECT_EQ(compiled->skipped_rules(), 0u);
  ConversionResult r = Evaluate(*compiled, w.learners[0], w.as_of);
  EXPECT_TRUE(r.optimal);
  EXPECT_GT(r.granted, 1500);
  for (const auto& rec : w.learners[0]) {
    EXPECT_GE(rec.credits, 50);
    EXPECT_LE(rec.credits, 600);
    EXPECT_GE(rec.level, 1);
    EXPECT_LE(rec.level, 10);
    EXPECT_EQ(rec.field.size(), 4u);
    EXPECT_LE(rec.completed_on, w.as_of);
  }
}

TEST(SynthTest, AdversarialShape) {
  SynthWorld w = SynthesizeAdversarial(1);
  ASSERT_EQ(w.learners.size(), 1u);
  EXPECT_EQ(w.learners[0].size(), 200u);
  EXPECT_EQ(w.programs[0].requirements.size(), 100u);
  EXPECT_TRUE(ValidateProgramPolicy(w.programs[0]).ok());
  EXPECT_TRUE(ValidateRuleset(w.programs[0], w.rulesets[0]).ok());
}

TEST(SynthTest, WhatIfAndCompileSpecs) {
  SynthSpec wi = WhatIfSpec(1);
  EXPECT_EQ(wi.programs, 1000);
  EXPECT_EQ(wi.rules_per_program, 1000);
  SynthSpec c = CompileSpec(1);
  EXPECT_EQ(c.rules_per_program, 1000000);
  // A scaled-down compile world validates and compiles without skipped rules.
  c.rules_per_program = 20000;
  SynthWorld w = Synthesize(c);
  EXPECT_TRUE(ValidateRuleset(w.programs[0], w.rulesets[0]).ok());
  auto compiled = CompiledRuleset::Compile(w.programs[0], w.rulesets[0]);
  EXPECT_EQ(compiled->num_rules(), 20000u);
  EXPECT_EQ(compiled->skipped_rules(), 0u);
}

}  // namespace
}  // namespace lcb
