#include "engine/catalog_validation.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>

#include "common/csv.h"

namespace lcb {
namespace {

bool IsLowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// ISCED-F 2013 substantive narrow (3-digit) and detailed (4-digit) fields, in code order.
// Residual "not further defined" (x0) and "not elsewhere classified" (x9) codes are handled
// by rule in IsIscedF2013.
constexpr std::string_view kNarrowFields[] = {
    "001", "002", "003",                // generic programmes and qualifications
    "011", "018",                       // education
    "021", "022", "023", "028",         // arts and humanities
    "031", "032", "038",                // social sciences, journalism and information
    "041", "042", "048",                // business, administration and law
    "051", "052", "053", "054", "058",  // natural sciences, mathematics and statistics
    "061", "068",                       // information and communication technologies
    "071", "072", "073", "078",         // engineering, manufacturing and construction
    "081", "082", "083", "084", "088",  // agriculture, forestry, fisheries and veterinary
    "091", "092", "098",                // health and welfare
    "101", "102", "103", "104", "108",  // services
    "999",                              // field unknown
};
constexpr std::string_view kDetailedFields[] = {
    "0011", "0021", "0031",                                  // generic
    "0111", "0112", "0113", "0114", "0188",                  // education
    "0211", "0212", "0213", "0214", "0215",                  // arts
    "0221", "0222", "0223", "0231", "0232", "0288",          // humanities, languages
    "0311", "0312", "0313", "0314", "0321", "0322", "0388",  // social sciences, journalism
    "0411", "0412", "0413", "0414", "0415", "0416", "0417",  // business and administration
    "0421", "0488",                                          // law
    "0511", "0512", "0521", "0522", "0531", "0532", "0533",  // sciences
    "0541", "0542", "0588",                                  // mathematics and statistics
    "0611", "0612", "0613", "0688",                          // ICT
    "0711", "0712", "0713", "0714", "0715", "0716",          // engineering
    "0721", "0722", "0723", "0724",                          // manufacturing and processing
    "0731", "0732", "0788",                                  // architecture and construction
    "0811", "0812", "0821", "0831", "0841", "0888",          // agriculture ... veterinary
    "0911", "0912", "0913", "0914", "0915", "0916", "0917",  // health
    "0921", "0922", "0923", "0988",                          // welfare
    "1011", "1012", "1013", "1014", "1015",                  // personal services
    "1021", "1022", "1031", "1032", "1041", "1088",          // hygiene, security, transport
    "9999",                                                  // field unknown
};

template <size_t N>
bool Contains(const std::string_view (&list)[N], std::string_view code) {
  return std::find(std::begin(list), std::end(list), code) != std::end(list);
}

bool IsBroadField(std::string_view code) {
  if (code.size() != 2 || !IsDigit(code[0]) || !IsDigit(code[1])) return false;
  const int v = (code[0] - '0') * 10 + (code[1] - '0');
  return v <= 10 || v == 99;
}

bool IsNarrowField(std::string_view code) {
  if (code.size() != 3 || !IsBroadField(code.substr(0, 2)) || !IsDigit(code[2])) return false;
  if (code.substr(0, 2) == "99") return code == "999";
  if (code[2] == '0' || code[2] == '9') return true;  // residual codes
  return Contains(kNarrowFields, code);
}

bool IsDetailedField(std::string_view code) {
  if (code.size() != 4 || !IsNarrowField(code.substr(0, 3)) || !IsDigit(code[3])) return false;
  if (code.substr(0, 2) == "99") return code == "9999";
  if (code[3] == '0' || code[3] == '9') return true;  // residual codes
  return Contains(kDetailedFields, code);
}

Status CheckCredits(Centi credits, std::string_view pointer, bool positive) {
  if (credits < 0 || credits > kMaxUnitCredits || (positive && credits == 0)) {
    return Status::InvalidArgument(
        Field(std::string(pointer)),
        positive ? "must be more than 0 and at most 1000 credits" : "must be 0 to 1000 credits");
  }
  return Status::Ok();
}

Status CheckKindToken(std::string_view kind, std::string_view pointer) {
  bool ok =
      !kind.empty() && kind.size() <= 32 && kind[0] >= 'a' && kind[0] <= 'z' &&
      std::all_of(kind.begin(), kind.end(), [](char c) { return IsLowerOrDigit(c) || c == '_'; });
  if (!ok) {
    return Status::InvalidArgument(Field(std::string(pointer)),
                                   "must be a lowercase token like \"university\" "
                                   "([a-z][a-z0-9_]{0,31})");
  }
  return Status::Ok();
}

Status CheckCatalogId(std::string_view id, std::string_view institution) {
  std::string_view owner;
  if (!IsCatalogId(id, &owner)) {
    return Status::InvalidArgument(
        Field("/id"), "must be \"<institution>:<code>\" with code of 1 to 64 of A-Z a-z 0-9 . _ -");
  }
  if (owner != institution) {
    return Status::InvalidArgument(
        Field("/institution"),
        "must be the part of the id before ':' (\"" + std::string(owner) + "\")");
  }
  return Status::Ok();
}

bool IsYearKey(std::string_view key) {
  if (key.size() != 4 || !std::all_of(key.begin(), key.end(), IsDigit)) return false;
  return key >= "1900" && key <= "2999";
}

Status CheckCapKey(CapBy by, std::string_view key, const std::string& pointer) {
  switch (by) {
    case CapBy::kKind:
      if (ParseUnitKind(key)) return Status::Ok();
      return Status::InvalidArgument(Field(pointer), "not a unit kind");
    case CapBy::kIssuer:
      if (IsInstitutionId(key)) return Status::Ok();
      return Status::InvalidArgument(Field(pointer), "not an institution id");
    case CapBy::kYear:
      if (IsYearKey(key)) return Status::Ok();
      return Status::InvalidArgument(Field(pointer), "not a year (1900..2999)");
  }
  return Status::InvalidArgument(Field(pointer), "unknown cap grouping");
}

Status ValidatePolicy(const Policy& policy) {
  if (policy.max_transfer_credits) {
    LCB_RETURN_IF_ERROR(
        CheckCredits(*policy.max_transfer_credits, "/policy/max_transfer_credits", false));
  }
  if (policy.max_transfer_ratio_bp &&
      (*policy.max_transfer_ratio_bp < 0 || *policy.max_transfer_ratio_bp > 10000)) {
    return Status::InvalidArgument(Field("/policy/max_transfer_ratio"), "must be from 0 to 1");
  }
  if (policy.min_grade && (*policy.min_grade < 0 || *policy.min_grade > 100)) {
    return Status::InvalidArgument(Field("/policy/min_grade"), "must be from 0 to 100");
  }
  if (policy.max_age_years &&
      (*policy.max_age_years < kMinAgeYears || *policy.max_age_years > kMaxAgeYears)) {
    return Status::InvalidArgument(Field("/policy/max_age_years"),
                                   "must be from " + std::to_string(kMinAgeYears) + " to " +
                                       std::to_string(kMaxAgeYears));
  }
  if (policy.caps.size() > kMaxCapFamilies) {
    return Status::InvalidArgument(Field("/policy/caps"),
                                   "at most " + std::to_string(kMaxCapFamilies) + " cap groups");
  }
  for (size_t cap_idx = 0; cap_idx < policy.caps.size(); ++cap_idx) {
    const Cap& cap = policy.caps[cap_idx];
    const std::string base = "/policy/caps/" + std::to_string(cap_idx);
    // One cap group per `by`: a reason such as "cap:kind:mooc" names the by and the key, so a
    // second group of the same by would leave it unsaid which of the two bound. (A regime's
    // default caps are applied only to a program sent without a policy, after this check: they
    // never meet the client's own.)
    for (size_t earlier = 0; earlier < cap_idx; ++earlier) {
      if (policy.caps[earlier].by != cap.by) continue;
      return Status::InvalidArgument(
          Field(base + "/by"), "\"" + std::string(CapByName(cap.by)) +
                                   "\" is already capped at index " + std::to_string(earlier) +
                                   ": one cap group per by (merge their limits)");
    }
    if (cap.limits.size() > kMaxCapKeys || cap.max_count.size() > kMaxCapKeys) {
      return Status::InvalidArgument(
          Field(base), "at most " + std::to_string(kMaxCapKeys) + " keys per cap group");
    }
    for (const auto& [key, limit] : cap.limits) {
      const std::string pointer = base + "/limits/" + JsonPointerEscape(key);
      LCB_RETURN_IF_ERROR(CheckCapKey(cap.by, key, pointer));
      LCB_RETURN_IF_ERROR(CheckCredits(limit, pointer, false));
    }
    if (cap.default_limit) {
      LCB_RETURN_IF_ERROR(CheckCredits(*cap.default_limit, base + "/default_limit", false));
    }
    for (const auto& [key, count] : cap.max_count) {
      const std::string pointer = base + "/max_count/" + JsonPointerEscape(key);
      LCB_RETURN_IF_ERROR(CheckCapKey(cap.by, key, pointer));
      if (count < 0 || count > kMaxCapCount) {
        return Status::InvalidArgument(Field(pointer),
                                       "must be from 0 to " + std::to_string(kMaxCapCount));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsInstitutionId(std::string_view id) {
  if (id.size() < 2 || id.size() > 63 || !IsLowerOrDigit(id[0])) return false;
  return std::all_of(id.begin() + 1, id.end(),
                     [](char c) { return IsLowerOrDigit(c) || c == '_' || c == '-'; });
}

bool IsCatalogCode(std::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool IsCatalogId(std::string_view id, std::string_view* institution) {
  const size_t colon = id.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view owner = id.substr(0, colon);
  if (!IsInstitutionId(owner) || !IsCatalogCode(id.substr(colon + 1))) return false;
  if (institution) *institution = owner;
  return true;
}

bool IsIscedF2013(std::string_view field) {
  switch (field.size()) {
    case 2:
      return IsBroadField(field);
    case 3:
      return IsNarrowField(field);
    case 4:
      return IsDetailedField(field);
    default:
      return false;
  }
}

Status ValidateText(std::string_view value, std::string_view pointer, size_t max_chars,
                    bool required) {
  if (value.empty()) {
    if (required) return Status::InvalidArgument(Field(std::string(pointer)), "is required");
    return Status::Ok();
  }
  if (FindInvalidUtf8(value) != std::string_view::npos) {
    return Status::InvalidArgument(Field(std::string(pointer)), "must be valid UTF-8");
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const auto b = static_cast<unsigned char>(value[i]);
    const bool c0_or_del = b < 0x20 || b == 0x7F;
    // C1 controls U+0080..U+009F are encoded C2 80..C2 9F.
    const bool c1 =
        b == 0xC2 && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) <= 0x9F;
    if (c0_or_del || c1) {
      return Status::InvalidArgument(Field(std::string(pointer)),
                                     "must not contain control characters");
    }
  }
  if (Utf8Length(value) > max_chars) {
    return Status::InvalidArgument(Field(std::string(pointer)),
                                   "must be at most " + std::to_string(max_chars) + " characters");
  }
  return Status::Ok();
}

Status ValidateInstitution(const Institution& institution) {
  if (!IsInstitutionId(institution.id)) {
    return Status::InvalidArgument(
        Field("/id"), "must be 2 to 63 of a-z 0-9 _ -, starting with a letter or digit");
  }
  LCB_RETURN_IF_ERROR(ValidateText(institution.name, "/name", kMaxTitleChars));
  LCB_RETURN_IF_ERROR(CheckKindToken(institution.kind, "/kind"));
  if (institution.hours_per_credit <= 0 || institution.hours_per_credit > kMaxHoursPerCredit) {
    return Status::InvalidArgument(Field("/hours_per_credit"),
                                   "must be more than 0 and at most 1000");
  }
  if (institution.certifies.size() > kMaxCertifies) {
    return Status::InvalidArgument(Field("/certifies"), "at most 1000 prefixes");
  }
  for (size_t idx = 0; idx < institution.certifies.size(); ++idx) {
    // A prefix is "<institution>:" optionally followed by the start of a code.
    const std::string& prefix = institution.certifies[idx];
    const size_t colon = prefix.find(':');
    const bool ok =
        colon != std::string::npos && IsInstitutionId(prefix.substr(0, colon)) &&
        (colon + 1 == prefix.size() || IsCatalogCode(std::string_view(prefix).substr(colon + 1)));
    if (!ok) {
      return Status::InvalidArgument(Field("/certifies/" + std::to_string(idx)),
                                     "must be a unit id prefix \"<institution>:[code prefix]\"");
    }
  }
  return Status::Ok();
}

namespace {

// An achievement id is an absolute URI (RFC 3986 scheme ":" then something), at most
// kMaxAchievementUriBytes, without spaces or control characters; no id twice in a unit.
Status ValidateAlignedAchievements(const std::vector<std::string>& ids) {
  if (ids.size() > kMaxAlignedAchievements) {
    return Status::InvalidArgument(
        Field("/aligned_achievements"),
        "at most " + std::to_string(kMaxAlignedAchievements) + " achievement ids");
  }
  std::set<std::string_view> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    const std::string ptr = "/aligned_achievements/" + std::to_string(i);
    const size_t colon = id.find(':');
    bool ok = id.size() <= kMaxAchievementUriBytes && colon != std::string::npos && colon > 0 &&
              colon + 1 < id.size() && std::isalpha(static_cast<unsigned char>(id[0]));
    for (size_t k = 0; ok && k < colon; ++k) {
      const unsigned char c = id[k];
      ok = std::isalnum(c) || c == '+' || c == '-' || c == '.';
    }
    for (size_t k = 0; ok && k < id.size(); ++k) {
      const unsigned char c = id[k];
      ok = c > 0x20 && c != 0x7f;
    }
    if (!ok) {
      return Status::InvalidArgument(
          Field(ptr), "must be an absolute URI (scheme:...) of at most " +
                          std::to_string(kMaxAchievementUriBytes) + " bytes without spaces");
    }
    if (!seen.insert(id).second) return Status::InvalidArgument(Field(ptr), "listed twice");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateUnit(const Unit& unit) {
  LCB_RETURN_IF_ERROR(CheckCatalogId(unit.id, unit.institution));
  LCB_RETURN_IF_ERROR(ValidateText(unit.title, "/title", kMaxTitleChars));
  if (static_cast<int>(unit.kind) >= kUnitKindCount) {
    return Status::InvalidArgument(Field("/kind"), "not a unit kind");
  }
  LCB_RETURN_IF_ERROR(CheckCredits(unit.credits, "/credits", false));
  if (unit.hours < 0 || unit.hours > kMaxUnitHours) {
    return Status::InvalidArgument(Field("/hours"), "must be 0 to 100000 hours");
  }
  if (unit.level < kMinLevel || unit.level > kMaxLevel) {
    return Status::InvalidArgument(Field("/level"), "must be a level from 1 to 10");
  }
  if (!IsIscedF2013(unit.field)) {
    return Status::InvalidArgument(
        Field("/field"),
        "must be an ISCED-F 2013 field code of 2 to 4 digits (\"06\", \"061\", \"0613\")");
  }
  if (unit.validity_years < 0 || unit.validity_years > kMaxValidityYears) {
    return Status::InvalidArgument(Field("/validity_years"),
                                   "must be from 0 (never expires) to 100");
  }
  return ValidateAlignedAchievements(unit.aligned_achievements);
}

Status ValidateProgramShape(const Program& program) {
  LCB_RETURN_IF_ERROR(CheckCatalogId(program.id, program.institution));
  LCB_RETURN_IF_ERROR(ValidateText(program.title, "/title", kMaxTitleChars));
  LCB_RETURN_IF_ERROR(CheckKindToken(program.kind, "/kind"));
  LCB_RETURN_IF_ERROR(CheckCredits(program.total_credits, "/total_credits", true));
  if (program.requirements.size() > kMaxRequirements) {
    return Status::InvalidArgument(
        Field("/requirements"), "at most " + std::to_string(kMaxRequirements) + " requirements");
  }
  std::set<std::string_view> seen;
  for (size_t req_idx = 0; req_idx < program.requirements.size(); ++req_idx) {
    const Requirement& req = program.requirements[req_idx];
    const std::string base = "/requirements/" + std::to_string(req_idx);
    if (!IsCatalogCode(req.id)) {
      return Status::InvalidArgument(Field(base + "/id"), "must be 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    if (!seen.insert(req.id).second) {
      return Status::InvalidArgument(Field(base + "/id"),
                                     "duplicate requirement id \"" + req.id + "\"");
    }
    LCB_RETURN_IF_ERROR(ValidateText(req.title, base + "/title", kMaxTitleChars, false));
    if (req.kind != RequirementKind::kCourse && req.kind != RequirementKind::kPool) {
      return Status::InvalidArgument(Field(base + "/kind"), "must be course or pool");
    }
    LCB_RETURN_IF_ERROR(CheckCredits(req.credits, base + "/credits", true));
    if (req.credits > program.total_credits) {
      return Status::InvalidArgument(Field(base + "/credits"),
                                     "exceeds the program's total_credits");
    }
  }
  return ValidatePolicy(program.policy);
}

}  // namespace lcb
