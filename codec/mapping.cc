#include "codec/mapping.h"

#include <algorithm>
#include <cmath>

#include "common/encoding.h"
#include "crypto/jcs.h"
#include "crypto/jws.h"
#include "crypto/multikey.h"
#include "engine/limits.h"
#include "engine/regimes.h"
#include "engine/regions.h"

namespace lcb {
namespace {

std::string Child(const std::string& ptr, std::string_view key) {
  return ptr + "/" + JsonPointerEscape(key);
}

StatusOr<UnitKind> KindFromJson(const json& doc, std::string_view key, const std::string& ptr) {
  LCB_ASSIGN_OR_RETURN(std::string name, RequiredString(doc, key, ptr, 64));
  auto kind = ParseUnitKind(name);
  if (!kind) {
    return Status::InvalidArgument(
        Field(Child(ptr, key)),
        "unknown kind '" + name +
            "'; one of degree_course, non_degree_course, vocational_certificate, "
            "skill_certificate, mooc, training, work_experience, exam, award");
  }
  return *kind;
}

// "public_keys": Ed25519 JWKs {"kty":"OKP","crv":"Ed25519","x","kid"} or RSA JWKs
// {"kty":"RSA","n","e","kid"} of 2048-8192 bits; a JWK with a private part ("d", "p", ...) is
// refused.
StatusOr<std::vector<PublicJwk>> PublicKeysFromJson(const json& doc) {
  std::vector<PublicJwk> keys;
  auto it = doc.find("public_keys");
  if (it == doc.end()) return keys;
  if (!it->is_array() || it->size() > 16) {
    return Status::InvalidArgument(Field("/public_keys"), "must be an array of at most 16 JWKs");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    std::string ptr = "/public_keys/" + std::to_string(i);
    const json& jwk = (*it)[i];
    if (!jwk.is_object()) {
      return Status::InvalidArgument(
          Field(ptr),
          "must be an Ed25519 JWK {\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\",\"kid\"}"
          " or an RSA JWK {\"kty\":\"RSA\",\"n\",\"e\",\"kid\"}");
    }
    if (jwk.size() > 8) return Status::InvalidArgument(Field(ptr), "too many members");
    auto parsed = ParsePublicJwk(jwk);
    if (!parsed.ok()) return parsed.status().WithPointerPrefix(ptr);
    if (parsed->kid.empty()) return Status::InvalidArgument(Field(ptr + "/kid"), "is required");
    if (parsed->rsa) {
      keys.push_back(PublicJwk{parsed->kid, "", Base64UrlEncode(parsed->rsa->modulus()),
                               Base64UrlEncode(parsed->rsa->exponent())});
    } else {
      keys.push_back(PublicJwk{parsed->kid, jwk["x"].get<std::string>()});
    }
  }
  return keys;
}

// "aligned_achievements": [URI]; the shape here, the URI grammar and bounds in
// engine/catalog_validation.cc (ValidateUnit).
StatusOr<std::vector<std::string>> AlignedAchievementsFromJson(const json& doc) {
  std::vector<std::string> ids;
  auto it = doc.find("aligned_achievements");
  if (it == doc.end()) return ids;
  if (!it->is_array() || it->size() > kMaxAlignedAchievements) {
    return Status::InvalidArgument(Field("/aligned_achievements"),
                                   "must be an array of at most " +
                                       std::to_string(kMaxAlignedAchievements) +
                                       " achievement ids (URIs)");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const json& id = (*it)[i];
    if (!id.is_string()) {
      return Status::InvalidArgument(Field("/aligned_achievements/" + std::to_string(i)),
                                     "must be a URI string");
    }
    ids.push_back(id.get<std::string>());
  }
  return ids;
}

StatusOr<Centi> RequiredCredits(const json& doc, std::string_view key, const std::string& ptr) {
  LCB_ASSIGN_OR_RETURN(std::optional<Centi> c, OptionalCredits(doc, key, ptr));
  if (!c) return Status::InvalidArgument(Field(Child(ptr, key)), "is required");
  return *c;
}

// An institution's `did`: a did:key of an Ed25519 key (the only key type credentials take
// here), or a did:web of a host name and optional path (did:web spec: ':'-separated, a port as
// %3A), nothing fetched. No fragment: it names the issuer, not one of its keys.
Status ValidateInstitutionDid(std::string_view did) {
  const auto bad = [](const std::string& why) {
    return Status::InvalidArgument(Field("/did"), why);
  };
  if (did.starts_with("did:key:")) {
    if (did.find('#') != std::string_view::npos) {
      return bad("is a DID, without a '#' fragment (the issuer, not one of its keys)");
    }
    if (!Ed25519FromDidKey(did).ok()) {
      return bad("is not a did:key of an Ed25519 key (did:key:z6Mk…)");
    }
    return Status::Ok();
  }
  if (did.starts_with("did:web:")) {
    const std::string_view rest = did.substr(8);
    const auto hex = [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    };
    bool chars = true;
    for (size_t i = 0; i < rest.size() && chars; ++i) {
      const char c = rest[i];
      if (c == '%') {  // a percent-encoding (the port's ':' as %3A), two hex digits
        chars = i + 2 < rest.size() && hex(rest[i + 1]) && hex(rest[i + 2]);
        i += 2;
      } else {
        chars = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == ':' || c == '_';
      }
    }
    if (rest.empty() || !chars || rest.front() == ':' || rest.front() == '.' ||
        rest.back() == ':') {
      return bad("is not a did:web of a host name (did:web:registrar.example.edu)");
    }
    return Status::Ok();
  }
  return bad("must be a did:key (Ed25519) or a did:web");
}

}  // namespace

StatusOr<Institution> InstitutionFromJson(const json& doc, const std::string& id) {
  LCB_RETURN_IF_ERROR(ExpectObject(doc, ""));
  LCB_RETURN_IF_ERROR(
      RejectUnknown(doc, "",
                    {"id", "name", "kind", "hours_per_credit", "certifies", "require_signatures",
                     "public_keys", "did", "regime", "region"}));
  Institution inst;
  inst.id = id;
  if (auto it = doc.find("id"); it != doc.end() && (!it->is_string() || *it != id)) {
    return Status::InvalidArgument(Field("/id"), "must equal the id in the path");
  }
  LCB_ASSIGN_OR_RETURN(inst.name, RequiredString(doc, "name", ""));
  LCB_ASSIGN_OR_RETURN(inst.kind, RequiredString(doc, "kind", "", 64));
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> regime, OptionalString(doc, "regime", "", 32));
  if (regime) {
    LCB_RETURN_IF_ERROR(ValidateRegimeId(*regime));
    inst.regime = *regime;
    // The regime's default; an explicit hours_per_credit below overrides it.
    if (const Regime* preset = FindRegime(*regime)) {
      inst.hours_per_credit = preset->hours_per_credit;
    }
  }
  LCB_ASSIGN_OR_RETURN(std::optional<Centi> hpc, OptionalCredits(doc, "hours_per_credit", ""));
  if (hpc) {
    if (*hpc <= 0) return Status::InvalidArgument(Field("/hours_per_credit"), "must be positive");
    inst.hours_per_credit = *hpc;
  }
  if (auto it = doc.find("certifies"); it != doc.end()) {
    if (!it->is_array() || it->size() > kMaxCertifies) {
      return Status::InvalidArgument(
          Field("/certifies"),
          "must be an array of at most " + std::to_string(kMaxCertifies) + " unit id prefixes");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const json& p = (*it)[i];
      if (!p.is_string() || p.get_ref<const std::string&>().empty() ||
          p.get_ref<const std::string&>().size() > 200) {
        return Status::InvalidArgument(Field("/certifies/" + std::to_string(i)),
                                       "must be a non-empty unit id prefix");
      }
      inst.certifies.push_back(p.get<std::string>());
    }
  }
  LCB_ASSIGN_OR_RETURN(std::optional<bool> req, OptionalBool(doc, "require_signatures", ""));
  inst.require_signatures = req.value_or(false);
  LCB_ASSIGN_OR_RETURN(inst.public_keys, PublicKeysFromJson(doc));
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> did, OptionalString(doc, "did", "", 256));
  if (did) {
    LCB_RETURN_IF_ERROR(ValidateInstitutionDid(*did));
    inst.did = *did;
  }
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> region, OptionalString(doc, "region", "", 6));
  if (region) {
    LCB_RETURN_IF_ERROR(ValidateRegionCode(*region, "/region"));
    inst.region = *region;
  }
  return inst;
}

json InstitutionToJson(const Institution& inst) {
  json public_keys = json::array();
  for (const PublicJwk& k : inst.public_keys) {
    if (k.is_rsa()) {
      public_keys.push_back({{"kty", "RSA"}, {"n", k.n}, {"e", k.e}, {"kid", k.kid}});
    } else {
      public_keys.push_back({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", k.x}, {"kid", k.kid}});
    }
  }
  json doc = {{"id", inst.id},
              {"name", inst.name},
              {"kind", inst.kind},
              {"hours_per_credit", CreditsJson(inst.hours_per_credit)},
              {"certifies", inst.certifies},
              {"require_signatures", inst.require_signatures},
              {"public_keys", public_keys.is_array() ? public_keys : json::array()}};
  if (!inst.did.empty()) doc["did"] = inst.did;
  if (!inst.regime.empty()) doc["regime"] = inst.regime;
  if (!inst.region.empty()) doc["region"] = inst.region;
  return doc;
}

StatusOr<Unit> UnitFromJson(const json& doc, const std::string& id) {
  LCB_RETURN_IF_ERROR(ExpectObject(doc, ""));
  LCB_RETURN_IF_ERROR(RejectUnknown(doc, "",
                                    {"id", "institution", "title", "kind", "credits", "hours",
                                     "level", "field", "validity_years", "aligned_achievements"}));
  if (auto it = doc.find("id"); it != doc.end() && (!it->is_string() || *it != id)) {
    return Status::InvalidArgument(Field("/id"), "must equal the id in the path");
  }
  Unit u;
  u.id = id;
  u.institution = id.substr(0, id.find(':'));
  if (auto it = doc.find("institution");
      it != doc.end() && (!it->is_string() || *it != u.institution)) {
    return Status::InvalidArgument(Field("/institution"), "must be the part of the id before ':'");
  }
  LCB_ASSIGN_OR_RETURN(u.title, RequiredString(doc, "title", ""));
  LCB_ASSIGN_OR_RETURN(u.kind, KindFromJson(doc, "kind", ""));
  LCB_ASSIGN_OR_RETURN(u.credits, RequiredCredits(doc, "credits", ""));
  LCB_ASSIGN_OR_RETURN(std::optional<Centi> hours, OptionalCredits(doc, "hours", ""));
  u.hours = hours.value_or(0);
  LCB_ASSIGN_OR_RETURN(std::optional<int64_t> level, OptionalInt(doc, "level", "", 1, 10));
  if (!level) return Status::InvalidArgument(Field("/level"), "is required");
  u.level = static_cast<int>(*level);
  LCB_ASSIGN_OR_RETURN(u.field, RequiredString(doc, "field", "", 4));
  LCB_ASSIGN_OR_RETURN(std::optional<int64_t> validity,
                       OptionalInt(doc, "validity_years", "", 0, 100));
  u.validity_years = static_cast<int>(validity.value_or(0));
  LCB_ASSIGN_OR_RETURN(u.aligned_achievements, AlignedAchievementsFromJson(doc));
  return u;
}

json UnitToJson(const Unit& u) {
  json doc = {{"id", u.id},
              {"institution", u.institution},
              {"title", u.title},
              {"kind", UnitKindName(u.kind)},
              {"credits", CreditsJson(u.credits)},
              {"level", u.level},
              {"field", u.field}};
  if (u.hours > 0) doc["hours"] = CreditsJson(u.hours);
  if (u.validity_years > 0) doc["validity_years"] = u.validity_years;
  if (!u.aligned_achievements.empty()) doc["aligned_achievements"] = u.aligned_achievements;
  return doc;
}

namespace {

StatusOr<Requirement> RequirementFromJson(const json& r, const std::string& ptr) {
  LCB_RETURN_IF_ERROR(ExpectObject(r, ptr));
  LCB_RETURN_IF_ERROR(RejectUnknown(r, ptr, {"id", "title", "kind", "credits"}));
  Requirement req;
  LCB_ASSIGN_OR_RETURN(req.id, RequiredString(r, "id", ptr, kMaxRequirementIdLength));
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> title, OptionalString(r, "title", ptr));
  req.title = title.value_or(req.id);
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> kind, OptionalString(r, "kind", ptr, 16));
  if (!kind || *kind == "course") {
    req.kind = RequirementKind::kCourse;
  } else if (*kind == "pool") {
    req.kind = RequirementKind::kPool;
  } else {
    return Status::InvalidArgument(Field(ptr + "/kind"), "must be course or pool");
  }
  LCB_ASSIGN_OR_RETURN(req.credits, RequiredCredits(r, "credits", ptr));
  return req;
}

StatusOr<Cap> CapFromJson(const json& cj, const std::string& ptr) {
  LCB_RETURN_IF_ERROR(ExpectObject(cj, ptr));
  LCB_RETURN_IF_ERROR(RejectUnknown(cj, ptr, {"by", "limits", "default_limit", "max_count"}));
  Cap cap;
  LCB_ASSIGN_OR_RETURN(std::string by, RequiredString(cj, "by", ptr, 16));
  if (by == "kind") {
    cap.by = CapBy::kKind;
  } else if (by == "issuer") {
    cap.by = CapBy::kIssuer;
  } else if (by == "year") {
    cap.by = CapBy::kYear;
  } else {
    return Status::InvalidArgument(Field(ptr + "/by"), "must be kind, issuer or year");
  }
  if (auto lim = cj.find("limits"); lim != cj.end()) {
    if (!lim->is_object()) {
      return Status::InvalidArgument(Field(ptr + "/limits"), "must be an object");
    }
    for (auto it = lim->begin(); it != lim->end(); ++it) {
      std::string lp = ptr + "/limits/" + JsonPointerEscape(it.key());
      if (!it->is_number()) return Status::InvalidArgument(Field(lp), "must be a number");
      LCB_ASSIGN_OR_RETURN(Centi c, CentiFromDouble(it->get<double>(), lp));
      cap.limits[it.key()] = c;
    }
  }
  LCB_ASSIGN_OR_RETURN(cap.default_limit, OptionalCredits(cj, "default_limit", ptr));
  if (auto mc = cj.find("max_count"); mc != cj.end()) {
    if (!mc->is_object()) {
      return Status::InvalidArgument(Field(ptr + "/max_count"), "must be an object");
    }
    for (auto it = mc->begin(); it != mc->end(); ++it) {
      std::string mp = ptr + "/max_count/" + JsonPointerEscape(it.key());
      if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > kMaxCapCount) {
        return Status::InvalidArgument(
            Field(mp), "must be a whole number from 0 to " + std::to_string(kMaxCapCount));
      }
      cap.max_count[it.key()] = static_cast<int>(it->get<int64_t>());
    }
  }
  return cap;
}

StatusOr<std::optional<int>> TransferRatioBp(const json& pj) {
  auto r = pj.find("max_transfer_ratio");
  if (r == pj.end() || r->is_null()) return std::optional<int>();
  if (!r->is_number() || r->get<double>() < 0 || r->get<double>() > 1) {
    return Status::InvalidArgument(Field("/policy/max_transfer_ratio"),
                                   "must be a number from 0 to 1");
  }
  double bp = r->get<double>() * 10000;
  if (std::fabs(bp - std::round(bp)) > 1e-6) {
    return Status::InvalidArgument(Field("/policy/max_transfer_ratio"), "at most four decimals");
  }
  return std::optional<int>(static_cast<int>(std::round(bp)));
}

StatusOr<Policy> PolicyFromJson(const json& pj) {
  LCB_RETURN_IF_ERROR(ExpectObject(pj, "/policy"));
  LCB_RETURN_IF_ERROR(RejectUnknown(
      pj, "/policy",
      {"max_transfer_credits", "max_transfer_ratio", "min_grade", "max_age_years", "caps"}));
  Policy policy;
  for (const auto& member : pj.items()) policy.given |= !member.value().is_null();
  LCB_ASSIGN_OR_RETURN(policy.max_transfer_credits,
                       OptionalCredits(pj, "max_transfer_credits", "/policy"));
  LCB_ASSIGN_OR_RETURN(std::optional<int> ratio, TransferRatioBp(pj));
  if (ratio) policy.max_transfer_ratio_bp = *ratio;
  LCB_ASSIGN_OR_RETURN(std::optional<int64_t> mg, OptionalInt(pj, "min_grade", "/policy", 0, 100));
  if (mg) policy.min_grade = static_cast<int>(*mg);
  LCB_ASSIGN_OR_RETURN(std::optional<int64_t> ma,
                       OptionalInt(pj, "max_age_years", "/policy", kMinAgeYears, kMaxAgeYears));
  if (ma) policy.max_age_years = static_cast<int>(*ma);
  auto caps = pj.find("caps");
  if (caps == pj.end()) return policy;
  if (!caps->is_array() || caps->size() > kMaxCapFamilies) {
    return Status::InvalidArgument(
        Field("/policy/caps"),
        "must be an array (at most " + std::to_string(kMaxCapFamilies) + ")");
  }
  for (size_t i = 0; i < caps->size(); ++i) {
    LCB_ASSIGN_OR_RETURN(Cap cap, CapFromJson((*caps)[i], "/policy/caps/" + std::to_string(i)));
    policy.caps.push_back(std::move(cap));
  }
  return policy;
}

}  // namespace

StatusOr<Program> ProgramFromJson(const json& doc, const std::string& id) {
  LCB_RETURN_IF_ERROR(ExpectObject(doc, ""));
  LCB_RETURN_IF_ERROR(RejectUnknown(
      doc, "", {"id", "institution", "title", "kind", "total_credits", "requirements", "policy"}));
  if (auto it = doc.find("id"); it != doc.end() && (!it->is_string() || *it != id)) {
    return Status::InvalidArgument(Field("/id"), "must equal the id in the path");
  }
  Program p;
  p.id = id;
  p.institution = id.substr(0, id.find(':'));
  if (auto it = doc.find("institution");
      it != doc.end() && (!it->is_string() || *it != p.institution)) {
    return Status::InvalidArgument(Field("/institution"), "must be the part of the id before ':'");
  }
  LCB_ASSIGN_OR_RETURN(p.title, RequiredString(doc, "title", ""));
  LCB_ASSIGN_OR_RETURN(p.kind, RequiredString(doc, "kind", "", 64));
  LCB_ASSIGN_OR_RETURN(p.total_credits, RequiredCredits(doc, "total_credits", ""));
  auto reqs = doc.find("requirements");
  if (reqs == doc.end() || !reqs->is_array() || reqs->empty() || reqs->size() > kMaxRequirements) {
    return Status::InvalidArgument(
        Field("/requirements"),
        "must be a non-empty array (at most " + std::to_string(kMaxRequirements) + ")");
  }
  for (size_t i = 0; i < reqs->size(); ++i) {
    LCB_ASSIGN_OR_RETURN(Requirement req,
                         RequirementFromJson((*reqs)[i], "/requirements/" + std::to_string(i)));
    p.requirements.push_back(std::move(req));
  }
  if (auto pol = doc.find("policy"); pol != doc.end()) {
    LCB_ASSIGN_OR_RETURN(p.policy, PolicyFromJson(*pol));
  }
  return p;
}

json ProgramToJson(const Program& p) {
  json reqs = json::array();
  for (const auto& r : p.requirements) {
    reqs.push_back({{"id", r.id},
                    {"title", r.title},
                    {"kind", r.kind == RequirementKind::kPool ? "pool" : "course"},
                    {"credits", CreditsJson(r.credits)}});
  }
  json policy = json::object();
  if (p.policy.max_transfer_credits) {
    policy["max_transfer_credits"] = CreditsJson(*p.policy.max_transfer_credits);
  }
  if (p.policy.max_transfer_ratio_bp) {
    policy["max_transfer_ratio"] = *p.policy.max_transfer_ratio_bp / 10000.0;
  }
  if (p.policy.min_grade) policy["min_grade"] = *p.policy.min_grade;
  if (p.policy.max_age_years) policy["max_age_years"] = *p.policy.max_age_years;
  json caps = json::array();
  for (const auto& c : p.policy.caps) {
    json cj = {{"by", CapByName(c.by)}};
    json limits = json::object();
    for (const auto& [k, v] : c.limits) limits[k] = CreditsJson(v);
    cj["limits"] = limits;
    if (c.default_limit) cj["default_limit"] = CreditsJson(*c.default_limit);
    if (!c.max_count.empty()) cj["max_count"] = c.max_count;
    caps.push_back(cj);
  }
  policy["caps"] = caps;
  return {{"id", p.id},
          {"institution", p.institution},
          {"title", p.title},
          {"kind", p.kind},
          {"total_credits", CreditsJson(p.total_credits)},
          {"requirements", reqs},
          {"policy", policy}};
}

StatusOr<GradeScale> GradeScaleFromJson(const json& doc, const std::string& id) {
  LCB_RETURN_IF_ERROR(ExpectObject(doc, ""));
  LCB_RETURN_IF_ERROR(RejectUnknown(
      doc, "", {"id", "kind", "min", "max", "factor", "decimals", "symbols", "pass_value"}));
  if (auto it = doc.find("id"); it != doc.end() && (!it->is_string() || *it != id)) {
    return Status::InvalidArgument(Field("/id"), "must equal the id in the path");
  }
  GradeScale scale;
  scale.id = id;
  LCB_ASSIGN_OR_RETURN(std::string kind, RequiredString(doc, "kind", "", 16));
  LCB_ASSIGN_OR_RETURN(std::optional<int64_t> pass, OptionalInt(doc, "pass_value", "", 0, 100));
  if (!pass) return Status::InvalidArgument(Field("/pass_value"), "is required");
  scale.pass_value = static_cast<int>(*pass);
  if (kind == "numeric") {
    if (doc.contains("symbols"))
      return Status::InvalidArgument(Field("/symbols"), "only for symbolic scales");
    NumericScale n;
    LCB_ASSIGN_OR_RETURN(std::optional<Centi> min, OptionalCredits(doc, "min", ""));
    LCB_ASSIGN_OR_RETURN(std::optional<Centi> max, OptionalCredits(doc, "max", ""));
    LCB_ASSIGN_OR_RETURN(std::optional<Centi> factor, OptionalCredits(doc, "factor", ""));
    LCB_ASSIGN_OR_RETURN(std::optional<int64_t> decimals, OptionalInt(doc, "decimals", "", 0, 2));
    if (!max) return Status::InvalidArgument(Field("/max"), "is required");
    if (!factor)
      return Status::InvalidArgument(Field("/factor"), "is required (normalized = value x factor)");
    n.min = min.value_or(0);
    n.max = *max;
    n.factor = *factor;
    n.decimals = static_cast<int>(decimals.value_or(2));
    scale.kind = n;
  } else if (kind == "symbolic") {
    SymbolicScale sym;
    auto it = doc.find("symbols");
    if (it == doc.end() || !it->is_array()) {
      return Status::InvalidArgument(Field("/symbols"), "must be an array of {symbol, value}");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      std::string ptr = "/symbols/" + std::to_string(i);
      const json& e = (*it)[i];
      LCB_RETURN_IF_ERROR(ExpectObject(e, ptr));
      LCB_RETURN_IF_ERROR(RejectUnknown(e, ptr, {"symbol", "value"}));
      LCB_ASSIGN_OR_RETURN(std::string symbol, RequiredString(e, "symbol", ptr, 64));
      LCB_ASSIGN_OR_RETURN(std::optional<int64_t> value, OptionalInt(e, "value", ptr, 0, 100));
      if (!value) return Status::InvalidArgument(Field(ptr + "/value"), "is required");
      sym.symbols.emplace_back(symbol, static_cast<int>(*value));
    }
    scale.kind = sym;
  } else {
    return Status::InvalidArgument(Field("/kind"), "must be numeric or symbolic");
  }
  Status valid = ValidateGradeScale(scale);
  if (!valid.ok()) return valid;
  return scale;
}

json GradeScaleToJson(const GradeScale& scale) {
  json out = {{"id", scale.id}, {"pass_value", scale.pass_value}};
  if (const auto* n = std::get_if<NumericScale>(&scale.kind)) {
    out["kind"] = "numeric";
    out["min"] = CreditsJson(n->min);
    out["max"] = CreditsJson(n->max);
    out["factor"] = CreditsJson(n->factor);
    out["decimals"] = n->decimals;
  } else {
    const auto& sym = std::get<SymbolicScale>(scale.kind);
    json symbols = json::array();
    for (const auto& [symbol, value] : sym.symbols) {
      symbols.push_back({{"symbol", symbol}, {"value", value}});
    }
    out["kind"] = "symbolic";
    out["symbols"] = symbols;
  }
  return out;
}

StatusOr<Ruleset> RulesetFromJson(const json& doc, const std::string& program) {
  LCB_RETURN_IF_ERROR(ExpectObject(doc, ""));
  LCB_RETURN_IF_ERROR(RejectUnknown(doc, "", {"program", "rules"}));
  if (auto it = doc.find("program"); it != doc.end() && (!it->is_string() || *it != program)) {
    return Status::InvalidArgument(Field("/program"), "must equal the program in the path");
  }
  Ruleset rs;
  rs.program = program;
  auto rules = doc.find("rules");
  if (rules == doc.end() || !rules->is_array() || rules->size() > 2'000'000) {
    return Status::InvalidArgument(Field("/rules"), "must be an array of rules");
  }
  rs.rules.reserve(rules->size());
  for (size_t i = 0; i < rules->size(); ++i) {
    std::string ptr = "/rules/" + std::to_string(i);
    const json& rj = (*rules)[i];
    LCB_RETURN_IF_ERROR(ExpectObject(rj, ptr));
    LCB_RETURN_IF_ERROR(
        RejectUnknown(rj, ptr, {"id", "target", "grant", "sources", "min_grade", "max_age_years"}));
    Rule rule;
    LCB_ASSIGN_OR_RETURN(rule.id, RequiredString(rj, "id", ptr, kMaxRuleIdLength));
    LCB_ASSIGN_OR_RETURN(rule.target, RequiredString(rj, "target", ptr, 64));
    LCB_ASSIGN_OR_RETURN(rule.grant, RequiredCredits(rj, "grant", ptr));
    LCB_ASSIGN_OR_RETURN(std::optional<int64_t> mg, OptionalInt(rj, "min_grade", ptr, 0, 100));
    if (mg) rule.min_grade = static_cast<int>(*mg);
    LCB_ASSIGN_OR_RETURN(std::optional<int64_t> ma,
                         OptionalInt(rj, "max_age_years", ptr, kMinAgeYears, kMaxAgeYears));
    if (ma) rule.max_age_years = static_cast<int>(*ma);
    auto sources = rj.find("sources");
    if (sources == rj.end() || !sources->is_array()) {
      return Status::InvalidArgument(Field(ptr + "/sources"), "must be an array of patterns");
    }
    for (size_t s = 0; s < sources->size(); ++s) {
      std::string sp = ptr + "/sources/" + std::to_string(s);
      const json& pj = (*sources)[s];
      LCB_RETURN_IF_ERROR(ExpectObject(pj, sp));
      LCB_RETURN_IF_ERROR(
          RejectUnknown(pj, sp, {"unit", "kind", "field", "min_level", "min_credits", "issuer"}));
      Pattern pat;
      LCB_ASSIGN_OR_RETURN(pat.unit, OptionalString(pj, "unit", sp, 200));
      if (pj.contains("kind")) {
        LCB_ASSIGN_OR_RETURN(UnitKind k, KindFromJson(pj, "kind", sp));
        pat.kind = k;
      }
      LCB_ASSIGN_OR_RETURN(pat.field_prefix, OptionalString(pj, "field", sp, 4));
      LCB_ASSIGN_OR_RETURN(std::optional<int64_t> ml, OptionalInt(pj, "min_level", sp, 1, 10));
      if (ml) pat.min_level = static_cast<int>(*ml);
      LCB_ASSIGN_OR_RETURN(pat.min_credits, OptionalCredits(pj, "min_credits", sp));
      LCB_ASSIGN_OR_RETURN(pat.issuer, OptionalString(pj, "issuer", sp, 64));
      rule.sources.push_back(std::move(pat));
    }
    rs.rules.push_back(std::move(rule));
  }
  return rs;
}

json RulesetToJson(const Ruleset& rs) {
  json rules = json::array();
  for (const auto& r : rs.rules) {
    json sources = json::array();
    for (const auto& p : r.sources) {
      json pj = json::object();
      if (p.unit) pj["unit"] = *p.unit;
      if (p.kind) pj["kind"] = UnitKindName(*p.kind);
      if (p.field_prefix) pj["field"] = *p.field_prefix;
      if (p.min_level) pj["min_level"] = *p.min_level;
      if (p.min_credits) pj["min_credits"] = CreditsJson(*p.min_credits);
      if (p.issuer) pj["issuer"] = *p.issuer;
      sources.push_back(pj);
    }
    json rj = {
        {"id", r.id}, {"target", r.target}, {"grant", CreditsJson(r.grant)}, {"sources", sources}};
    if (r.min_grade) rj["min_grade"] = *r.min_grade;
    if (r.max_age_years) rj["max_age_years"] = *r.max_age_years;
    rules.push_back(rj);
  }
  return {{"program", rs.program}, {"rules", rules}};
}

StatusOr<RecordInput> RecordInputFromJson(const json& doc, const std::string& ptr) {
  LCB_RETURN_IF_ERROR(ExpectObject(doc, ptr));
  LCB_RETURN_IF_ERROR(RejectUnknown(doc, ptr,
                                    {"learner", "unit", "external_ref", "credits", "hours", "level",
                                     "grade", "completed_on", "attendance", "evidence_sha256"}));
  RecordInput in;
  LCB_ASSIGN_OR_RETURN(in.learner, RequiredString(doc, "learner", ptr, kMaxLearnerChars));
  LCB_ASSIGN_OR_RETURN(in.unit, RequiredString(doc, "unit", ptr, kMaxUnitIdChars));
  LCB_ASSIGN_OR_RETURN(in.external_ref,
                       RequiredString(doc, "external_ref", ptr, kMaxExternalRefChars));
  LCB_ASSIGN_OR_RETURN(in.credits, OptionalCredits(doc, "credits", ptr));
  LCB_ASSIGN_OR_RETURN(in.hours, OptionalCredits(doc, "hours", ptr));
  LCB_ASSIGN_OR_RETURN(std::optional<int64_t> level, OptionalInt(doc, "level", ptr, 1, 10));
  if (level) in.level = static_cast<int>(*level);
  auto grade = doc.find("grade");
  if (grade == doc.end()) return Status::InvalidArgument(Field(ptr + "/grade"), "is required");
  LCB_RETURN_IF_ERROR(ExpectObject(*grade, ptr + "/grade"));
  LCB_RETURN_IF_ERROR(RejectUnknown(*grade, ptr + "/grade", {"scale", "value"}));
  LCB_ASSIGN_OR_RETURN(in.grade_scale,
                       RequiredString(*grade, "scale", ptr + "/grade", kMaxGradeScaleChars));
  auto value = grade->find("value");
  if (value == grade->end() || value->is_null()) {
    return Status::InvalidArgument(Field(ptr + "/grade/value"), "is required");
  }
  if (value->is_string()) {
    LCB_ASSIGN_OR_RETURN(in.grade_value,
                         RequiredString(*grade, "value", ptr + "/grade", kMaxGradeValueChars));
  } else if (value->is_number()) {
    // 85 and 3.7 are accepted as numbers; kept as their shortest decimal text.
    in.grade_value = value->dump();
  } else {
    return Status::InvalidArgument(Field(ptr + "/grade/value"), "must be a string or a number");
  }
  LCB_ASSIGN_OR_RETURN(in.completed_on, RequiredString(doc, "completed_on", ptr, 10));
  LCB_ASSIGN_OR_RETURN(in.attendance, OptionalString(doc, "attendance", ptr, kMaxAttendanceChars));
  LCB_ASSIGN_OR_RETURN(in.evidence_sha256, OptionalString(doc, "evidence_sha256", ptr, 64));
  return in;
}

namespace {

// The value types nlohmann's sax_parse hands a handler (those of `json`).
struct JsonSaxTypes {
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;
};

// SAX handler for ParseRecordBatchFast. Any event it does not expect, or any value the tree
// path would reject, makes it return false: sax_parse stops and the caller falls back.
class RecordBatchSax : public JsonSaxTypes {
 public:
  explicit RecordBatchSax(size_t max_batch) : max_batch_(max_batch) {}
  bool done() const { return state_ == State::kDone; }
  std::vector<RecordInput>& records() { return records_; }

  bool null() {
    if (state_ != State::kRecordValue) return false;
    // null is "absent" for the optional members, "is required" (an error) for the others.
    if (field_ != kCredits && field_ != kHours && field_ != kLevel && field_ != kAttendance &&
        field_ != kEvidence) {
      return false;
    }
    state_ = State::kRecord;
    return true;
  }
  bool boolean(bool) { return false; }
  bool binary(binary_t&) { return false; }
  bool number_integer(number_integer_t v) { return Number(static_cast<double>(v), v, true); }
  bool number_unsigned(number_unsigned_t v) {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    return Number(static_cast<double>(v), static_cast<int64_t>(v), true);
  }
  bool number_float(number_float_t v, const string_t&) {
    if (!(v >= -0x1p63 && v < 0x1p63) || v != std::trunc(v)) return Number(v, 0, false);
    return Number(v, static_cast<int64_t>(v), true);
  }
  bool string(string_t& v) {
    if (state_ == State::kRecordValue) {
      state_ = State::kRecord;
      switch (field_) {
        case kLearner:
          return Text(v, 128, &current_.learner);
        case kUnit:
          return Text(v, 200, &current_.unit);
        case kExternalRef:
          return Text(v, 128, &current_.external_ref);
        case kCompletedOn:
          return Text(v, 10, &current_.completed_on);
        case kAttendance:
          return Text(v, 64, &current_.attendance.emplace());
        case kEvidence:
          return Text(v, 64, &current_.evidence_sha256.emplace());
        default:
          return false;
      }
    }
    if (state_ == State::kGradeValue) {
      state_ = State::kGrade;
      return Text(v, 64, field_ == kScale ? &current_.grade_scale : &current_.grade_value);
    }
    return false;
  }
  bool start_object(std::size_t) {
    switch (state_) {
      case State::kStart:
        state_ = State::kTopKey;
        return true;
      case State::kArray:
        if (records_.size() >= max_batch_) return false;
        current_ = RecordInput();
        seen_ = 0;
        state_ = State::kRecord;
        return true;
      case State::kRecordValue:
        if (field_ != kGrade) return false;
        state_ = State::kGrade;
        return true;
      default:
        return false;
    }
  }
  bool key(string_t& k) {
    if (state_ == State::kTopKey) {
      if (k != "records") return false;
      state_ = State::kTopArray;
      return true;
    }
    static constexpr std::string_view kRecordKeys[] = {
        "learner", "unit",  "external_ref", "credits",    "hours",
        "level",   "grade", "completed_on", "attendance", "evidence_sha256"};
    static constexpr std::string_view kGradeKeys[] = {"scale", "value"};
    if (state_ == State::kRecord) {
      for (int i = 0; i < 10; ++i) {
        if (k == kRecordKeys[i]) return See(i, State::kRecordValue);
      }
      return false;
    }
    if (state_ == State::kGrade) {
      for (int i = 0; i < 2; ++i) {
        if (k == kGradeKeys[i]) return See(kScale + i, State::kGradeValue);
      }
      return false;
    }
    return false;
  }
  bool end_object() {
    switch (state_) {
      case State::kGrade:
        if (!(seen_ & (1u << kScale)) || !(seen_ & (1u << kValue))) return false;
        state_ = State::kRecord;
        return true;
      case State::kRecord: {
        const uint32_t required = (1u << kLearner) | (1u << kUnit) | (1u << kExternalRef) |
                                  (1u << kGrade) | (1u << kCompletedOn);
        if ((seen_ & required) != required) return false;
        records_.push_back(std::move(current_));
        state_ = State::kArray;
        return true;
      }
      case State::kTopEnd:
        state_ = State::kDone;
        return true;
      default:
        return false;
    }
  }
  bool start_array(std::size_t) {
    if (state_ != State::kTopArray) return false;
    state_ = State::kArray;
    return true;
  }
  bool end_array() {
    if (state_ != State::kArray) return false;
    state_ = State::kTopEnd;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  enum class State {
    kStart,
    kTopKey,
    kTopArray,
    kArray,
    kRecord,
    kRecordValue,
    kGrade,
    kGradeValue,
    kTopEnd,
    kDone
  };
  enum Field {
    kLearner,
    kUnit,
    kExternalRef,
    kCredits,
    kHours,
    kLevel,
    kGrade,
    kCompletedOn,
    kAttendance,
    kEvidence,
    kScale,
    kValue
  };

  bool See(int field, State next) {
    if (seen_ & (1u << field)) return false;  // a repeated member: the tree path decides
    seen_ |= 1u << field;
    field_ = static_cast<Field>(field);
    state_ = next;
    return true;
  }
  // As RequiredString / OptionalString.
  static bool Text(std::string& v, size_t max_len, std::string* out) {
    if (v.empty() || v.size() > max_len || !ValidText(v)) return false;
    *out = std::move(v);
    return true;
  }
  // As OptionalCredits (credits, hours) and OptionalInt(1, 10) (level).
  bool Number(double d, int64_t whole, bool is_whole) {
    if (state_ != State::kRecordValue) return false;
    state_ = State::kRecord;
    if (field_ == kCredits || field_ == kHours) {
      auto c = CentiFromDouble(d, "");
      if (!c.ok()) return false;
      (field_ == kCredits ? current_.credits : current_.hours) = *c;
      return true;
    }
    if (field_ == kLevel) {
      if (!is_whole || whole < 1 || whole > 10) return false;
      current_.level = static_cast<int>(whole);
      return true;
    }
    return false;
  }

  size_t max_batch_;
  State state_ = State::kStart;
  Field field_ = kLearner;
  uint32_t seen_ = 0;
  RecordInput current_;
  std::vector<RecordInput> records_;
};

}  // namespace

std::optional<std::vector<RecordInput>> ParseRecordBatchFast(std::string_view body,
                                                             size_t max_batch) {
  RecordBatchSax sax(max_batch);
  if (!json::sax_parse(body.begin(), body.end(), &sax) || !sax.done()) return std::nullopt;
  return std::move(sax.records());
}

json RecordInputToJson(const RecordInput& in) {
  json doc = {{"learner", in.learner},
              {"unit", in.unit},
              {"external_ref", in.external_ref},
              {"grade", {{"scale", in.grade_scale}, {"value", in.grade_value}}},
              {"completed_on", in.completed_on}};
  if (in.credits) doc["credits"] = CreditsJson(*in.credits);
  if (in.hours) doc["hours"] = CreditsJson(*in.hours);
  if (in.level) doc["level"] = *in.level;
  if (in.attendance) doc["attendance"] = *in.attendance;
  if (in.evidence_sha256) doc["evidence_sha256"] = *in.evidence_sha256;
  // Never in a posted body (RecordInputFromJson refuses it); part of the fingerprint only.
  if (in.source != RecordSource::kPost) doc["source"] = RecordSourceName(in.source);
  return doc;
}

json RecordToEntry(const Record& r, const RecordInput& in, const std::string& recorded_at,
                   const std::string& salt_hex, const std::string& supersedes) {
  json e = {
      {"type", "record"},
      {"id", r.id},
      {"issuer", r.issuer},
      {"learner", r.learner},
      {"unit", r.unit},
      {"external_ref", r.external_ref},
      {"kind", UnitKindName(r.kind)},
      {"credits", CreditsJson(r.credits)},
      {"level", r.level},
      {"field", r.field},
      {"grade", {{"scale", r.grade_scale}, {"value", r.grade_value}, {"normalized", r.grade}}},
      {"completed_on", FormatDate(r.completed_on)},
      {"recorded_at", recorded_at},
      {"salt", salt_hex}};
  if (in.hours) e["hours"] = CreditsJson(*in.hours);
  if (r.expires_on) e["expires_on"] = FormatDate(*r.expires_on);
  if (in.attendance) e["attendance"] = *in.attendance;
  if (in.evidence_sha256) e["evidence_sha256"] = *in.evidence_sha256;
  if (in.source != RecordSource::kPost) e["source"] = RecordSourceName(in.source);
  if (!supersedes.empty()) e["supersedes"] = supersedes;
  return e;
}

namespace {

// Appends `"name":` and the value; names are ASCII, so byte order is JCS (UTF-16) order.
class CanonicalObject {
 public:
  explicit CanonicalObject(std::string* out) : out_(out) { out_->push_back('{'); }
  Status String(std::string_view name, std::string_view value) {
    Name(name);
    return JcsAppendString(value, out_);
  }
  void Int(std::string_view name, int64_t value) {
    Name(name);
    out_->append(std::to_string(value));
  }
  // As CreditsJson: an integer when whole, else the double of the hundredths.
  void Credits(std::string_view name, Centi c) {
    if (c % kCentiPerCredit == 0) return Int(name, c / kCentiPerCredit);
    Name(name);
    JcsAppendDouble(CentiToDouble(c), out_);
  }
  void Open(std::string_view name) {
    Name(name);
    out_->push_back('{');
    first_ = true;
  }
  void Close() {
    out_->push_back('}');
    first_ = false;
  }

 private:
  void Name(std::string_view name) {
    if (!first_) out_->push_back(',');
    first_ = false;
    out_->push_back('"');
    out_->append(name);
    out_->append("\":");
  }
  std::string* out_;
  bool first_ = true;
};

}  // namespace

StatusOr<std::string> RecordInputCanonical(const RecordInput& in, const std::string& supersedes) {
  std::string out;
  out.reserve(256);
  CanonicalObject o(&out);
  if (in.attendance) LCB_RETURN_IF_ERROR(o.String("attendance", *in.attendance));
  LCB_RETURN_IF_ERROR(o.String("completed_on", in.completed_on));
  if (in.credits) o.Credits("credits", *in.credits);
  if (in.evidence_sha256) LCB_RETURN_IF_ERROR(o.String("evidence_sha256", *in.evidence_sha256));
  LCB_RETURN_IF_ERROR(o.String("external_ref", in.external_ref));
  o.Open("grade");
  LCB_RETURN_IF_ERROR(o.String("scale", in.grade_scale));
  LCB_RETURN_IF_ERROR(o.String("value", in.grade_value));
  o.Close();
  if (in.hours) o.Credits("hours", *in.hours);
  LCB_RETURN_IF_ERROR(o.String("learner", in.learner));
  if (in.level) o.Int("level", *in.level);
  if (in.source != RecordSource::kPost) {
    LCB_RETURN_IF_ERROR(o.String("source", RecordSourceName(in.source)));
  }
  if (!supersedes.empty()) LCB_RETURN_IF_ERROR(o.String("supersedes", supersedes));
  LCB_RETURN_IF_ERROR(o.String("unit", in.unit));
  out.push_back('}');
  return out;
}

StatusOr<std::string> RecordEntryCanonical(const Record& r, const RecordInput& in,
                                           const std::string& recorded_at,
                                           const std::string& salt_hex,
                                           const std::string& supersedes) {
  std::string out;
  out.reserve(512);
  CanonicalObject o(&out);
  if (in.attendance) LCB_RETURN_IF_ERROR(o.String("attendance", *in.attendance));
  LCB_RETURN_IF_ERROR(o.String("completed_on", FormatDate(r.completed_on)));
  o.Credits("credits", r.credits);
  if (in.evidence_sha256) LCB_RETURN_IF_ERROR(o.String("evidence_sha256", *in.evidence_sha256));
  if (r.expires_on) LCB_RETURN_IF_ERROR(o.String("expires_on", FormatDate(*r.expires_on)));
  LCB_RETURN_IF_ERROR(o.String("external_ref", r.external_ref));
  LCB_RETURN_IF_ERROR(o.String("field", r.field));
  o.Open("grade");
  o.Int("normalized", r.grade);
  LCB_RETURN_IF_ERROR(o.String("scale", r.grade_scale));
  LCB_RETURN_IF_ERROR(o.String("value", r.grade_value));
  o.Close();
  if (in.hours) o.Credits("hours", *in.hours);
  LCB_RETURN_IF_ERROR(o.String("id", r.id));
  LCB_RETURN_IF_ERROR(o.String("issuer", r.issuer));
  LCB_RETURN_IF_ERROR(o.String("kind", UnitKindName(r.kind)));
  LCB_RETURN_IF_ERROR(o.String("learner", r.learner));
  o.Int("level", r.level);
  LCB_RETURN_IF_ERROR(o.String("recorded_at", recorded_at));
  LCB_RETURN_IF_ERROR(o.String("salt", salt_hex));
  if (in.source != RecordSource::kPost) {
    LCB_RETURN_IF_ERROR(o.String("source", RecordSourceName(in.source)));
  }
  if (!supersedes.empty()) LCB_RETURN_IF_ERROR(o.String("supersedes", supersedes));
  LCB_RETURN_IF_ERROR(o.String("type", "record"));
  LCB_RETURN_IF_ERROR(o.String("unit", r.unit));
  out.push_back('}');
  return out;
}

StatusOr<Record> RecordFromEntry(const json& e) {
  try {
    Record r;
    r.id = e.at("id").get<std::string>();
    r.issuer = e.at("issuer").get<std::string>();
    r.learner = e.at("learner").get<std::string>();
    r.unit = e.at("unit").get<std::string>();
    r.external_ref = e.at("external_ref").get<std::string>();
    auto kind = ParseUnitKind(e.at("kind").get<std::string>());
    if (!kind) return Status::DataLoss("stored record has an unknown kind");
    r.kind = *kind;
    LCB_ASSIGN_OR_RETURN(r.credits, CentiFromDouble(e.at("credits").get<double>(), "/credits"));
    r.level = e.at("level").get<int>();
    r.field = e.at("field").get<std::string>();
    r.grade_scale = e.at("grade").at("scale").get<std::string>();
    r.grade_value = e.at("grade").at("value").get<std::string>();
    r.grade = e.at("grade").at("normalized").get<int>();
    LCB_ASSIGN_OR_RETURN(r.completed_on,
                         ParseDate(e.at("completed_on").get<std::string>(), "/completed_on"));
    if (e.contains("expires_on")) {
      LCB_ASSIGN_OR_RETURN(Days d, ParseDate(e["expires_on"].get<std::string>(), "/expires_on"));
      r.expires_on = d;
    }
    // Entries written before the field existed, and every posted record, have no "source".
    if (auto it = e.find("source"); it != e.end()) {
      if (*it != "credential") return Status::DataLoss("stored record has an unknown source");
      r.source = RecordSource::kCredential;
    }
    return r;
  } catch (const json::exception& ex) {
    return Status::DataLoss(std::string("stored record entry is malformed: ") + ex.what());
  }
}

namespace {

// `s` as a JSON string; record ids are plain ASCII, so the escaping of nlohmann is only the
// fallback.
void AppendJsonString(std::string_view s, std::string* out) {
  const bool plain = std::all_of(
      s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (plain) {
    out->push_back('"');
    out->append(s);
    out->push_back('"');
  } else {
    out->append(Dump(json(std::string(s))));
  }
}

void AppendCredits(Centi c, std::string* out) {
  if (c % kCentiPerCredit == 0) {
    out->append(std::to_string(c / kCentiPerCredit));
  } else {
    out->append(Dump(CreditsJson(c)));
  }
}

}  // namespace

std::string PassbookJsonText(const std::string& learner, const Passbook& p, json extra) {
  auto credits_map = [](const std::map<std::string, Centi>& m) {
    json o = json::object();
    for (const auto& [k, v] : m) o[k] = CreditsJson(v);
    return o;
  };
  extra["learner"] = learner;
  extra["total_credits"] = CreditsJson(p.total_credits);
  extra["by_kind"] = credits_map(p.by_kind);
  extra["by_level"] = credits_map(p.by_level);
  extra["by_field"] = credits_map(p.by_field);
  extra["by_issuer"] = credits_map(p.by_issuer);
  extra["by_year"] = credits_map(p.by_year);
  extra["revoked_count"] = p.revoked_count;
  extra["active_count"] = p.active_count;
  extra["expired_count"] = p.expired_count;
  extra["failed_count"] = p.failed_count;
  extra.erase("expiring");
  std::string text = Dump(extra);
  // `expiring` (one entry per record of the coming year: 10^4 and more for a learner with 10^5
  // records) is written directly, last; as json objects it took ~2 us an entry.
  text.pop_back();  // the closing brace
  text.append(",\"expiring\":[");
  text.reserve(text.size() + p.expiring.size() * 100 + 2);
  for (size_t i = 0; i < p.expiring.size(); ++i) {
    const ExpiringRecord& x = p.expiring[i];
    if (i > 0) text.push_back(',');
    text.append("{\"record\":");
    AppendJsonString(x.record, &text);
    text.append(",\"expires_on\":\"");
    text.append(FormatDate(x.expires_on));
    text.append("\",\"credits\":");
    AppendCredits(x.credits, &text);
    text.append(",\"unit\":");
    AppendJsonString(x.unit, &text);
    text.push_back('}');
  }
  text.append("]}");
  return text;
}

}  // namespace lcb

namespace lcb {

json ConversionToJson(const ConversionResult& r, const std::string& learner) {
  json reqs = json::array();
  for (const auto& q : r.requirements) {
    json apps = json::array();
    for (const auto& a : q.applications) {
      apps.push_back(
          {{"rule", a.rule}, {"records", a.records}, {"credits", CreditsJson(a.credits)}});
    }
    reqs.push_back({{"id", q.id}, {"granted", CreditsJson(q.granted)}, {"applications", apps}});
  }
  json unused = json::array();
  for (const auto& u : r.unused) unused.push_back({{"record", u.record}, {"reason", u.reason}});
  json out = {{"learner", learner},
              {"program", r.program},
              {"as_of", FormatDate(r.as_of)},
              {"ruleset_version", r.ruleset_version},
              {"ruleset_sha256", r.ruleset_sha256},
              {"total_credits", CreditsJson(r.total_credits)},
              {"transfer_cap", CreditsJson(r.transfer_cap)},
              {"granted", CreditsJson(r.granted)},
              {"remaining", CreditsJson(r.remaining)},
              {"optimal", r.optimal},
              {"requirements", reqs},
              {"unused", unused}};
  if (!r.optimal) out["upper_bound"] = CreditsJson(r.upper_bound);
  return out;
}

}  // namespace lcb
