// The API documents `creditbank demo` sends for the demo data (cli/demo_data.h): one
// function per request kind, pure, so that a test can pin what the loader sends
// (tests/cli/demo_data_test.cc) without a server.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/demo_data.h"

namespace lcb::demo {

// PUT /v1/institutions/<id> (as the admin).
nlohmann::json InstitutionBody(const DemoInstitution& inst);
// PUT /v1/units/<id> (as the unit's institution).
nlohmann::json UnitBody(const DemoUnit& u);
// PUT /v1/programs/<id> (as the program's institution).
nlohmann::json ProgramBody(const DemoProgram& p);
// PUT /v1/programs/<id>/ruleset (as the program's institution).
nlohmann::json RulesetBody(const DemoProgram& p);
// POST /v1/learners (as the admin).
nlohmann::json LearnerBody(const DemoLearner& l);
// The institutions a learner grants access to (POST /v1/learners/<id>/grants), in the order
// of their first program, each once.
std::vector<std::string> GrantedInstitutions(const DemoLearner& l);
// One record of POST /v1/records (as IssuerOf(r)); `grade_value` is r.value, or a
// correction's value.
nlohmann::json RecordBody(const DemoRecord& r, const std::string& learner_id,
                          const std::string& external_ref, const std::string& grade_value);

}  // namespace lcb::demo
