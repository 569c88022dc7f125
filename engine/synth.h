// Seeded synthetic catalogs, programs, rulesets and learner records, shared by the engine
// tests, the benchmarks, the load tests and the demo. Deterministic for a given spec (same
// seed -> identical output on every platform: only integer arithmetic and a fixed PRNG).
//
// The world: `institutions` of five kinds (universities, vocational colleges, a MOOC
// platform, certification bodies, training providers) each offering
// `units_per_institution` units whose kind, credits (0.5..6), level, ISCED-F field and
// validity follow the institution's kind; programs of universities with course and pool
// requirements, a transfer cap (ratio), min_grade, max_age_years and up to three cap
// families (kind: mooc/training/skill_certificate limits and "at most 3 certificates";
// issuer: a default per-institution limit; year: a default per-year limit); one ruleset per
// program mixing exact-unit rules, n:1 unit rules (two or three units for one course) and
// pattern rules (kind / field prefix / min_level); learners whose records are drawn partly
// from units the first program's rules name (match_percent) and partly at random, with
// realistic grades (some failing), dates (some too old, some expired) and a few revoked.
#pragma once

#include <cstdint>
#include <vector>

#include "common/date.h"
#include "engine/model.h"

namespace lcb {

struct SynthSpec {
  uint64_t seed = 1;
  int institutions = 100;
  int units_per_institution = 60;
  bool materialize_units = true;  // fill SynthWorld::units (off for huge catalogs)
  int programs = 1;
  int requirements_per_program = 40;
  int pools = 5;  // how many of the requirements are pools
  int rules_per_program = 5000;
  int pattern_rules_permille = 20;  // rules whose sources are patterns
  int n1_rules_permille = 60;       // rules with 2-3 unit sources
  int learners = 1;
  int records_per_learner = 60;
  int match_percent = 70;  // records drawn from units the first program's rules name
  int caps = 3;            // cap families per program (kind, issuer, year: the first `caps`)
  int transfer_ratio_bp = 5000;
  Days as_of = 20269;  // 2025-06-30
};

struct SynthWorld {
  std::vector<Institution> institutions;
  std::vector<Unit> units;
  std::vector<Program> programs;
  std::vector<Ruleset> rulesets;              // rulesets[i] is for programs[i]
  std::vector<std::vector<Record>> learners;  // records of each learner
  Days as_of = 0;
};

SynthWorld Synthesize(const SynthSpec& spec);

// The unit `code` of institution `institution`, derived from the seed alone (so rules and
// records can name units of a catalog too large to materialize).
Unit SynthUnit(const SynthSpec& spec, int institution, int code);

// Named workloads (benchmarks/README.md, "Engine (issue 4)").
// Typical: one learner with 60 records vs a 40-requirement program (5 pools), a
// 5,000-rule ruleset and three caps.
SynthSpec TypicalSpec(uint64_t seed = 1);
// What-if: 1,000 programs x 1,000 rules, one learner with 60 records.
SynthSpec WhatIfSpec(uint64_t seed = 1);
// Compile: one program with 1,000,000 rules over a catalog of 1,000,000 units (not
// materialized), no learners.
SynthSpec CompileSpec(uint64_t seed = 1);
// Adversarial: 200 MOOC records that all match every one of 100 requirements (60 courses,
// 40 pools) through pattern rules and n:1 pattern rules with awkward grants, under kind,
// issuer and year caps and a transfer cap.
SynthWorld SynthesizeAdversarial(uint64_t seed = 1);

}  // namespace lcb
