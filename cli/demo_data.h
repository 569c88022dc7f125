// The demo data set of `creditbank demo`: six institutions of the kinds DESIGN.md names, a
// catalog of units, five programs with their policies and conversion rulesets, and twenty
// learners with their records. Plain tables, no I/O: cli/cmd_demo.cc turns them into API
// calls (so the server validates and logs everything).
//
// Conventions the loader relies on:
//  - every unit, program and rule source names an object defined in these tables;
//  - a record's issuer is the unit's institution unless `issuer` is set (a certification
//    body posting a unit it `certifies`);
//  - a record's external_ref is DemoExternalRef(learner, record), so that the tables may grow
//    at the end without changing the refs of what was loaded before;
//  - dates are 2019..2025, so nothing is in the future.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lcb::demo {

struct DemoInstitution {
  const char* id;
  const char* name;
  const char* kind;
  double hours_per_credit = 0;  // 0 = the bank's default (16)
  std::vector<const char*> certifies = {};
};

struct DemoUnit {
  const char* id;  // "<institution>:<code>"
  const char* title;
  const char* kind;
  double credits;
  int level;
  const char* field;  // ISCED-F 2013
  double hours = 0;   // 0 = not given
  int validity_years = 0;
};

struct DemoRequirement {
  const char* id;
  const char* title;
  const char* kind;  // "course" or "pool"
  double credits;
};

struct DemoCap {
  const char* by;  // kind, issuer, year
  std::vector<std::pair<const char*, double>> limits = {};
  double default_limit = -1;  // < 0 = none
  std::vector<std::pair<const char*, int>> max_count = {};
};

struct DemoPolicy {
  double max_transfer_credits = -1;  // < 0 = none
  double max_transfer_ratio = -1;    // < 0 = none
  int min_grade = -1;                // < 0 = none
  int max_age_years = 0;             // 0 = none
  std::vector<DemoCap> caps = {};
};

// A rule source: {unit} alone, or any of the other fields (unset = nullptr / 0).
struct DemoSource {
  const char* unit = nullptr;
  const char* kind = nullptr;
  const char* field = nullptr;
  int min_level = 0;
  double min_credits = 0;
  const char* issuer = nullptr;
};

struct DemoRule {
  const char* id;
  const char* target;
  double grant;
  std::vector<DemoSource> sources;
  int min_grade = 0;      // 0 = none
  int max_age_years = 0;  // 0 = none
};

struct DemoProgram {
  const char* id;  // "<institution>:<code>"
  const char* title;
  const char* kind;
  double total_credits;
  std::vector<DemoRequirement> requirements;
  DemoPolicy policy;
  std::vector<DemoRule> rules;
};

struct DemoRecord {
  const char* unit;
  const char* scale;
  const char* value;
  const char* completed_on;
  const char* issuer = nullptr;      // nullptr = the unit's institution
  const char* attendance = nullptr;  // free text, optional
  double hours = 0;                  // 0 = not posted (credits come from the unit)
};

struct DemoLearner {
  const char* name;  // display_name
  const char* national_id;
  std::vector<const char*> programs;  // programs the learner looks at (grants go to their
                                      // institutions)
  std::vector<DemoRecord> records;
};

// A record revoked by its issuer; indexes into Learners() and its records.
struct DemoRevocation {
  size_t learner;
  size_t record;
  const char* reason;
};

// A record corrected by its issuer: revoked and replaced by a copy with another grade.
struct DemoCorrection {
  size_t learner;
  size_t record;
  const char* value;  // the corrected grade value (same scale)
  const char* reason;
};

std::span<const DemoInstitution> Institutions();
std::span<const DemoUnit> Units();
std::span<const DemoProgram> Programs();
std::span<const DemoLearner> Learners();
std::span<const DemoRevocation> Revocations();
std::span<const DemoCorrection> Corrections();

// "DEMO-<national id>-<record index, from 1, two digits>"; the correction of a record is that
// ref with "-C1".
std::string DemoExternalRef(size_t learner, size_t record);

// The institution part of a unit or program id.
std::string InstitutionOf(const std::string& id);

}  // namespace lcb::demo
