// Validation of a program's policy and of a conversion ruleset before it is published or
// compiled. Errors are Status::InvalidArgument whose pointer (RFC 6901) names the offending
// field inside the document that was checked: the program document for
// ValidateProgramPolicy ("/policy/caps/0/limits/mooc"), the ruleset document for
// ValidateRuleset ("/rules/3/sources/0/field"). The first error found is returned; checks run
// in document order so the error is deterministic.
#pragma once

#include <string>
#include <string_view>

#include "common/encoding.h"
#include "common/status.h"
#include "engine/limits.h"
#include "engine/model.h"

namespace lcb {

// Checks the program parts the solver relies on: total_credits > 0; requirement ids unique,
// non-empty; requirement credits > 0; policy: max_transfer_credits >= 0, ratio 0..10000 bp,
// min_grade 0..100, max_age_years kMinAgeYears..kMaxAgeYears, caps (at most kMaxCapFamilies): kind keys are unit
// kind names, year keys four-digit years, issuer keys non-empty; limits, default_limit >= 0,
// max_count >= 0.
Status ValidateProgramPolicy(const Program& program);

// Checks a ruleset against its program (the program itself is not re-validated):
//   /program           equals program.id
//   /rules/i/id        non-empty, at most kMaxRuleIdLength bytes, unique in the ruleset
//   /rules/i/target    an existing requirement id
//   /rules/i/grant     > 0; <= the requirement's credits (course or pool)
//   /rules/i/sources   1..kMaxRuleSources patterns
//   /rules/i/sources/j a pattern is either {unit} alone, or at least one of {kind, field,
//                      min_level, min_credits, issuer}; unit is "<institution>:<code>";
//                      field is 2..4 ASCII digits; min_level 1..10; min_credits >= 0;
//                      issuer non-empty
//   /rules/i/min_grade 0..100;  /rules/i/max_age_years 1..100
Status ValidateRuleset(const Program& program, const Ruleset& ruleset);

}  // namespace lcb
