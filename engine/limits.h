// Every bound the bank puts on catalog objects, rulesets and records, in one place: the JSON
// codec (codec/mapping.cc), the catalog checks (engine/catalog_validation.cc), the ruleset
// checks (engine/ruleset_validate.cc) and recognition (engine/recognition.cc) all read them
// here, so a document one layer accepts is never refused by the next for a different number.
// The compiled index and the solver rely on kMaxRuleSources (fixed-size arrays).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/credits.h"

namespace lcb {

// Text.
constexpr size_t kMaxTitleChars = 200;        // titles and names, in characters
constexpr size_t kMaxLearnerChars = 128;      // a learner id
constexpr size_t kMaxExternalRefChars = 128;  // a record's external_ref
constexpr size_t kMaxAttendanceChars = 64;
constexpr size_t kMaxUnitIdChars = 200;     // "<institution>:<code>"
constexpr size_t kMaxGradeScaleChars = 64;  // a grade scale id
constexpr size_t kMaxGradeValueChars = 64;  // a grade as posted
constexpr size_t kMaxRuleIdLength = 64;         // bytes
constexpr size_t kMaxRequirementIdLength = 64;  // bytes

// Units and records.
constexpr Centi kMaxUnitCredits = 1000 * kCentiPerCredit;
constexpr Centi kMaxUnitHours = 100'000 * kCentiPerCredit;   // hundredths of an hour
constexpr Centi kMaxHoursPerCredit = 1000 * kCentiPerCredit;  // hundredths of an hour
constexpr int kMinLevel = 1;
constexpr int kMaxLevel = 10;
constexpr int kMaxValidityYears = 100;
constexpr size_t kMaxAlignedAchievements = 16;   // aligned_achievements per unit
constexpr size_t kMaxAchievementUriBytes = 512;  // one aligned achievement id

// Institutions.
constexpr size_t kMaxCertifies = 1000;  // units an institution may certify

// Programs and their policies.
constexpr size_t kMaxRequirements = 1000;  // requirements per program
constexpr size_t kMaxCapFamilies = 16;     // cap groups per policy
constexpr size_t kMaxCapKeys = 1000;       // keys per cap group (limits, max_count each)
constexpr int64_t kMaxCapCount = 10000;    // a max_count value
constexpr int kMinAgeYears = 1;            // max_age_years, policy and rule
constexpr int kMaxAgeYears = 100;

// Rulesets.
constexpr size_t kMaxRuleSources = 8;  // sources per rule (n:1 with n <= 8)

}  // namespace lcb
