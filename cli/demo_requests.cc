#include "cli/demo_requests.h"

#include <set>

namespace lcb::demo {

using json = nlohmann::json;

json InstitutionBody(const DemoInstitution& inst) {
  json doc = {{"name", inst.name}, {"kind", inst.kind}};
  if (inst.hours_per_credit) doc["hours_per_credit"] = *inst.hours_per_credit;
  if (!inst.certifies.empty()) doc["certifies"] = inst.certifies;
  return doc;
}

json UnitBody(const DemoUnit& u) {
  json doc = {{"title", u.title},
              {"kind", u.kind},
              {"credits", u.credits},
              {"level", u.level},
              {"field", u.field}};
  if (u.hours) doc["hours"] = *u.hours;
  if (u.validity_years) doc["validity_years"] = *u.validity_years;
  return doc;
}

namespace {

json CapJson(const DemoCap& c) {
  json cap = {{"by", c.by}};
  if (!c.limits.empty()) {
    json limits = json::object();
    for (const auto& [key, credits] : c.limits) limits[key] = credits;
    cap["limits"] = limits;
  }
  if (c.default_limit) cap["default_limit"] = *c.default_limit;
  if (!c.max_count.empty()) {
    json counts = json::object();
    for (const auto& [key, n] : c.max_count) counts[key] = n;
    cap["max_count"] = counts;
  }
  return cap;
}

json PolicyJson(const DemoPolicy& pol) {
  json policy = json::object();
  if (pol.max_transfer_credits) policy["max_transfer_credits"] = *pol.max_transfer_credits;
  if (pol.max_transfer_ratio) policy["max_transfer_ratio"] = *pol.max_transfer_ratio;
  if (pol.min_grade) policy["min_grade"] = *pol.min_grade;
  if (pol.max_age_years) policy["max_age_years"] = *pol.max_age_years;
  if (!pol.caps.empty()) {
    json caps = json::array();
    for (const auto& c : pol.caps) caps.push_back(CapJson(c));
    policy["caps"] = caps;
  }
  return policy;
}

json SourceJson(const DemoSource& s) {
  json src = json::object();
  if (s.unit) src["unit"] = *s.unit;
  if (s.kind) src["kind"] = *s.kind;
  if (s.field) src["field"] = *s.field;
  if (s.min_level) src["min_level"] = *s.min_level;
  if (s.min_credits) src["min_credits"] = *s.min_credits;
  if (s.issuer) src["issuer"] = *s.issuer;
  return src;
}

}  // namespace

json ProgramBody(const DemoProgram& p) {
  json reqs = json::array();
  for (const auto& r : p.requirements) {
    reqs.push_back({{"id", r.id}, {"title", r.title}, {"kind", r.kind}, {"credits", r.credits}});
  }
  return {{"title", p.title},
          {"kind", p.kind},
          {"total_credits", p.total_credits},
          {"requirements", reqs},
          {"policy", PolicyJson(p.policy)}};
}

json RulesetBody(const DemoProgram& p) {
  json rules = json::array();
  for (const auto& r : p.rules) {
    json sources = json::array();
    for (const auto& s : r.sources) sources.push_back(SourceJson(s));
    json rule = {{"id", r.id}, {"target", r.target}, {"grant", r.grant}, {"sources", sources}};
    if (r.min_grade) rule["min_grade"] = *r.min_grade;
    if (r.max_age_years) rule["max_age_years"] = *r.max_age_years;
    rules.push_back(rule);
  }
  return {{"program", p.id}, {"rules", rules}};
}

json LearnerBody(const DemoLearner& l) {
  return {{"national_id", l.national_id}, {"display_name", l.name}};
}

std::vector<std::string> GrantedInstitutions(const DemoLearner& l) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& program : l.programs) {
    std::string inst = InstitutionOf(program);
    if (seen.insert(inst).second) out.push_back(inst);
  }
  return out;
}

json RecordBody(const DemoRecord& r, const std::string& learner_id, const std::string& external_ref,
                const std::string& grade_value) {
  json doc = {{"learner", learner_id},
              {"unit", r.unit},
              {"external_ref", external_ref},
              {"grade", {{"scale", r.scale}, {"value", grade_value}}},
              {"completed_on", r.completed_on}};
  if (r.attendance) doc["attendance"] = *r.attendance;
  if (r.hours) doc["hours"] = *r.hours;
  return doc;
}

}  // namespace lcb::demo
