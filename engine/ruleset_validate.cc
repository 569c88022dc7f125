#include "engine/ruleset_validate.h"

#include <string>
#include <unordered_map>
#include <unordered_set>

namespace lcb {
namespace {

std::string Ptr(std::string_view a, size_t i) { return std::string(a) + "/" + std::to_string(i); }

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status ValidateCap(const Cap& cap, const std::string& at) {
  auto check_key = [&](const std::string& key, const std::string& ptr) -> Status {
    if (key.empty()) return Status::InvalidArgument(Field(ptr), "cap key must not be empty");
    switch (cap.by) {
      case CapBy::kKind:
        if (!ParseUnitKind(key)) return Status::InvalidArgument(Field(ptr), "unknown unit kind");
        break;
      case CapBy::kYear:
        if (key.size() != 4 || !IsDigits(key)) {
          return Status::InvalidArgument(Field(ptr), "year key must be four digits");
        }
        break;
      case CapBy::kIssuer:
        break;
    }
    return Status::Ok();
  };
  for (const auto& [key, limit] : cap.limits) {
    std::string ptr = at + "/limits/" + JsonPointerEscape(key);
    LCB_RETURN_IF_ERROR(check_key(key, ptr));
    if (limit < 0 || limit > kMaxCenti)
      return Status::InvalidArgument(Field(ptr), "limit out of range");
  }
  if (cap.default_limit && (*cap.default_limit < 0 || *cap.default_limit > kMaxCenti)) {
    return Status::InvalidArgument(Field(at + "/default_limit"), "limit out of range");
  }
  for (const auto& [key, n] : cap.max_count) {
    std::string ptr = at + "/max_count/" + JsonPointerEscape(key);
    LCB_RETURN_IF_ERROR(check_key(key, ptr));
    if (n < 0 || n > kMaxCapCount) {
      return Status::InvalidArgument(Field(ptr),
                                     "max_count must be from 0 to " + std::to_string(kMaxCapCount));
    }
  }
  return Status::Ok();
}

Status ValidatePattern(const Pattern& p, const std::string& at) {
  bool other = p.kind || p.field_prefix || p.min_level || p.min_credits || p.issuer;
  if (p.unit) {
    if (other) {
      return Status::InvalidArgument(Field(at), "a unit pattern must not have other fields");
    }
    size_t colon = p.unit->find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == p.unit->size()) {
      return Status::InvalidArgument(Field(at + "/unit"), "must be <institution>:<code>");
    }
    return Status::Ok();
  }
  if (!other) {
    return Status::InvalidArgument(Field(at),
                                   "pattern needs unit or at least one of kind, field, "
                                   "min_level, min_credits, issuer");
  }
  if (p.field_prefix &&
      (p.field_prefix->size() < 2 || p.field_prefix->size() > 4 || !IsDigits(*p.field_prefix))) {
    return Status::InvalidArgument(Field(at + "/field"),
                                   "must be an ISCED-F code of 2 to 4 digits");
  }
  if (p.min_level && (*p.min_level < 1 || *p.min_level > 10)) {
    return Status::InvalidArgument(Field(at + "/min_level"), "must be 1..10");
  }
  if (p.min_credits && (*p.min_credits < 0 || *p.min_credits > kMaxCenti)) {
    return Status::InvalidArgument(Field(at + "/min_credits"), "out of range");
  }
  if (p.issuer && p.issuer->empty()) {
    return Status::InvalidArgument(Field(at + "/issuer"), "must not be empty");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateProgramPolicy(const Program& program) {
  if (program.total_credits <= 0 || program.total_credits > kMaxCenti) {
    return Status::InvalidArgument(Field("/total_credits"), "must be > 0");
  }
  if (program.requirements.size() > kMaxRequirements) {
    return Status::InvalidArgument(
        Field("/requirements"), "at most " + std::to_string(kMaxRequirements) + " requirements");
  }
  std::unordered_set<std::string_view> ids;
  for (size_t i = 0; i < program.requirements.size(); ++i) {
    const Requirement& req = program.requirements[i];
    std::string at = Ptr("/requirements", i);
    if (req.id.empty()) return Status::InvalidArgument(Field(at + "/id"), "must not be empty");
    if (!ids.insert(req.id).second) {
      return Status::InvalidArgument(Field(at + "/id"), "duplicate requirement id");
    }
    if (req.credits <= 0 || req.credits > kMaxCenti) {
      return Status::InvalidArgument(Field(at + "/credits"), "must be > 0");
    }
  }
  const Policy& policy = program.policy;
  if (policy.max_transfer_credits &&
      (*policy.max_transfer_credits < 0 || *policy.max_transfer_credits > kMaxCenti)) {
    return Status::InvalidArgument(Field("/policy/max_transfer_credits"), "out of range");
  }
  if (policy.max_transfer_ratio_bp &&
      (*policy.max_transfer_ratio_bp < 0 || *policy.max_transfer_ratio_bp > 10000)) {
    return Status::InvalidArgument(Field("/policy/max_transfer_ratio"), "must be 0..1");
  }
  if (policy.min_grade && (*policy.min_grade < 0 || *policy.min_grade > 100)) {
    return Status::InvalidArgument(Field("/policy/min_grade"), "must be 0..100");
  }
  if (policy.max_age_years &&
      (*policy.max_age_years < kMinAgeYears || *policy.max_age_years > kMaxAgeYears)) {
    return Status::InvalidArgument(Field("/policy/max_age_years"), "must be 1..100");
  }
  if (policy.caps.size() > kMaxCapFamilies) {
    return Status::InvalidArgument(Field("/policy/caps"),
                                   "at most " + std::to_string(kMaxCapFamilies) + " cap groups");
  }
  for (size_t i = 0; i < policy.caps.size(); ++i) {
    LCB_RETURN_IF_ERROR(ValidateCap(policy.caps[i], Ptr("/policy/caps", i)));
  }
  return Status::Ok();
}

Status ValidateRuleset(const Program& program, const Ruleset& ruleset) {
  if (ruleset.program != program.id) {
    return Status::InvalidArgument(Field("/program"), "does not name this program");
  }
  std::unordered_map<std::string_view, const Requirement*> reqs;
  reqs.reserve(program.requirements.size());
  for (const Requirement& req : program.requirements) reqs.emplace(req.id, &req);
  std::unordered_set<std::string_view> ids;
  ids.reserve(ruleset.rules.size());
  for (size_t i = 0; i < ruleset.rules.size(); ++i) {
    const Rule& rule = ruleset.rules[i];
    std::string at = Ptr("/rules", i);
    if (rule.id.empty() || rule.id.size() > kMaxRuleIdLength) {
      return Status::InvalidArgument(Field(at + "/id"), "must be 1..128 bytes");
    }
    if (!ids.insert(rule.id).second) {
      return Status::InvalidArgument(Field(at + "/id"), "duplicate rule id");
    }
    auto it = reqs.find(rule.target);
    if (it == reqs.end()) {
      return Status::InvalidArgument(Field(at + "/target"), "no such requirement in the program");
    }
    if (rule.grant <= 0) return Status::InvalidArgument(Field(at + "/grant"), "must be > 0");
    if (rule.grant > it->second->credits) {
      return Status::InvalidArgument(Field(at + "/grant"),
                                     "exceeds the target requirement's credits");
    }
    if (rule.sources.empty() || rule.sources.size() > kMaxRuleSources) {
      return Status::InvalidArgument(Field(at + "/sources"), "must have 1..8 patterns");
    }
    for (size_t j = 0; j < rule.sources.size(); ++j) {
      LCB_RETURN_IF_ERROR(ValidatePattern(rule.sources[j], Ptr(at + "/sources", j)));
    }
    if (rule.min_grade && (*rule.min_grade < 0 || *rule.min_grade > 100)) {
      return Status::InvalidArgument(Field(at + "/min_grade"), "must be 0..100");
    }
    if (rule.max_age_years && (*rule.max_age_years < 1 || *rule.max_age_years > 100)) {
      return Status::InvalidArgument(Field(at + "/max_age_years"), "must be 1..100");
    }
  }
  return Status::Ok();
}

}  // namespace lcb
