#include "vc/open_badge.h"

#include "vc/time.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kNormalizedScale = "normalized";

Status Bad(std::string pointer, std::string message) {
  return Status::InvalidArgument(Field(std::move(pointer)), std::move(message));
}

// Credits as a JSON number: an integer when whole (4, not 4.0), else the decimal (7.5).
Json CreditsJson(Centi c) {
  if (c % kCentiPerCredit == 0) return Json(c / kCentiPerCredit);
  return Json(CentiToDouble(c));
}

Status CheckContext(const CredentialContext& ctx) {
  if (ctx.issuer.id.empty()) return Bad("/issuer/id", "is required");
  if (ctx.issuer.name.empty()) return Bad("/issuer/name", "is required");
  const std::string_view url = ctx.public_url;
  const bool http = url.substr(0, 7) == "http://" || url.substr(0, 8) == "https://";
  if (!http || url.back() == '/') {
    return Bad("/public_url", "must be an http(s) URL without a trailing slash");
  }
  return Status::Ok();
}

Status CheckRecord(const RecordCredentialInput& r) {
  const std::pair<const char*, const std::string*> required[] = {
      {"/record_id", &r.record_id},
      {"/learner_id", &r.learner_id},
      {"/unit_id", &r.unit_id},
      {"/unit_title", &r.unit_title},
      {"/institution_id", &r.institution_id},
      {"/institution_name", &r.institution_name},
      {"/grade_scale", &r.grade_scale},
      {"/grade_value", &r.grade_value}};
  for (const auto& [pointer, value] : required) {
    if (value->empty()) return Bad(pointer, "is required");
  }
  if (r.unit_credits < 0) return Bad("/unit_credits", "must not be negative");
  if (r.credits_earned < 0) return Bad("/credits_earned", "must not be negative");
  if (r.grade_normalized < 0 || r.grade_normalized > 100) {
    return Bad("/grade_normalized", "must be 0 to 100");
  }
  return Status::Ok();
}

Json IssuerJson(const IssuerProfile& issuer) {
  Json profile = {{"id", issuer.id}, {"type", Json::array({"Profile"})}, {"name", issuer.name}};
  if (!issuer.url.empty()) profile["url"] = issuer.url;
  return profile;
}

std::string SubjectId(const std::string& holder_did, const std::string& learner_id) {
  return holder_did.empty() ? "urn:creditbank:learner:" + learner_id : holder_did;
}

std::string ScaleId(std::string_view scale) {
  return "urn:creditbank:grade-scale:" + std::string(scale);
}

std::string Description(const RecordCredentialInput& r) {
  std::string d = std::string(UnitKindName(r.unit_kind)) + " " + r.unit_id + " of " +
                  r.institution_name + ": " + CentiToString(r.unit_credits) + " credits";
  if (r.level > 0) d += ", level " + std::to_string(r.level);
  if (!r.field.empty()) d += ", ISCED-F " + r.field;
  return d;
}

Json AchievementJson(const RecordCredentialInput& r, const CredentialContext& ctx) {
  const std::string& base = ctx.public_url;
  Json achievement = {
      {"id", base + "/v1/units/" + r.unit_id},
      {"type", Json::array({"Achievement"})},
      {"name", r.unit_title},
      {"description", Description(r)},
      {"criteria",
       {{"narrative", "Completed and assessed by " + r.institution_name +
                          "; recognized by the credit bank under unit " + r.unit_id + "."}}},
      {"achievementType", AchievementTypeOf(r.unit_kind)},
      {"humanCode", r.unit_id.substr(r.unit_id.find(':') + 1)},
      {"creator",
       {{"id", base + "/v1/institutions/" + r.institution_id},
        {"type", Json::array({"Profile"})},
        {"name", r.institution_name}}},
      {"creditsAvailable", CreditsJson(r.unit_credits)},
      {"resultDescription", Json::array({{{"id", ScaleId(r.grade_scale)},
                                          {"type", Json::array({"ResultDescription"})},
                                          {"name", "Grade on the " + r.grade_scale + " scale"},
                                          {"resultType", ResultTypeOf(r.grade_scale)}},
                                         {{"id", ScaleId(kNormalizedScale)},
                                          {"type", Json::array({"ResultDescription"})},
                                          {"name", "Grade normalized to 0-100"},
                                          {"resultType", "ScaledScore"},
                                          {"valueMin", "0"},
                                          {"valueMax", "100"}}})}};
  if (!r.field.empty()) achievement["fieldOfStudy"] = r.field;
  return achievement;
}

Json SubjectJson(const RecordCredentialInput& r, const CredentialContext& ctx) {
  return {{"id", SubjectId(r.holder_did, r.learner_id)},
          {"type", Json::array({"AchievementSubject"})},
          {"achievement", AchievementJson(r, ctx)},
          {"creditsEarned", CreditsJson(r.credits_earned)},
          {"result", Json::array({{{"type", Json::array({"Result"})},
                                   {"resultDescription", ScaleId(r.grade_scale)},
                                   {"value", r.grade_value}},
                                  {{"type", Json::array({"Result"})},
                                   {"resultDescription", ScaleId(kNormalizedScale)},
                                   {"value", std::to_string(r.grade_normalized)}}})}};
}

Json EvidenceJson(const RecordCredentialInput& r, const CredentialContext& ctx) {
  const std::string& base = ctx.public_url;
  const std::string leaf = std::to_string(r.leaf_index);
  return Json::array(
      {{{"id", base + "/v1/records/" + r.record_id},
        {"type", Json::array({"Evidence"})},
        {"name", "Record " + r.record_id},
        {"description",
         "The record as the bank holds it, with its receipt: leaf index, "
         "signed checkpoint and inclusion proof."}},
       {{"id", base + "/v1/log/entries?start=" + leaf + "&end=" + std::to_string(r.leaf_index + 1)},
        {"type", Json::array({"Evidence"})},
        {"name", "Transparency log leaf " + leaf},
        {"description",
         "The record's entry in the bank's append-only log (RFC 9162); its leaf "
         "hash is SHA-256(0x00 || entry)."}}});
}

}  // namespace

std::string_view AchievementTypeOf(UnitKind kind) {
  switch (kind) {
    case UnitKind::kDegreeCourse:
    case UnitKind::kNonDegreeCourse:
    case UnitKind::kMooc:
      return "Course";
    case UnitKind::kVocationalCertificate:
      return "Certificate";
    case UnitKind::kSkillCertificate:
      return "Certification";
    case UnitKind::kTraining:
      return "CertificateOfCompletion";
    case UnitKind::kWorkExperience:
      return "Fieldwork";
    case UnitKind::kExam:
      return "Assessment";
    case UnitKind::kAward:
      return "Award";
  }
  return "Achievement";
}

std::string_view ResultTypeOf(std::string_view scale) {
  if (scale == "percent") return "Percent";
  if (scale == "gpa4") return "GradePointAverage";
  if (scale == "pass_fail") return "Status";
  if (scale == "letter" || scale == "five_level" || scale == "ects") return "LetterGrade";
  return "Result";
}

StatusOr<Json> BuildOpenBadgeCredential(const RecordCredentialInput& r,
                                        const CredentialContext& ctx) {
  LCB_RETURN_IF_ERROR(CheckContext(ctx));
  LCB_RETURN_IF_ERROR(CheckRecord(r));
  Json vc = {{"@context", Json::array({kVcV2Context, kOb303Context})},
             {"id", ctx.public_url + "/v1/records/" + r.record_id + "/credential"},
             {"type", Json::array({"VerifiableCredential", "OpenBadgeCredential"})},
             {"name", r.unit_title},
             {"issuer", IssuerJson(ctx.issuer)},
             {"validFrom", StartOfDay(r.completed_on)},
             {"credentialSubject", SubjectJson(r, ctx)},
             {"evidence", EvidenceJson(r, ctx)}};
  if (r.expires_on) vc["validUntil"] = StartOfDay(*r.expires_on);
  if (!ctx.status.is_null()) vc["credentialStatus"] = ctx.status;
  return vc;
}

StatusOr<Json> BuildClrCredential(const TranscriptInput& t, const CredentialContext& ctx) {
  LCB_RETURN_IF_ERROR(CheckContext(ctx));
  if (t.learner_id.empty()) return Bad("/learner_id", "is required");
  if (t.credentials.empty())
    return Bad("/credentials", "a transcript embeds at least one credential");
  LCB_RETURN_IF_ERROR(ParseDateTimeStamp(t.valid_from, "/valid_from").status());
  Json embedded = Json::array();
  for (const Json& c : t.credentials) embedded.push_back(c);
  const std::string name = t.learner_name.empty() ? t.learner_id : t.learner_name;
  return Json{{"@context", Json::array({kVcV2Context, kClr201Context, kOb303Context})},
              {"id", ctx.public_url + "/v1/learners/" + t.learner_id + "/transcript"},
              {"type", Json::array({"VerifiableCredential", "ClrCredential"})},
              {"name", "Learning-credit transcript of " + name},
              {"issuer", IssuerJson(ctx.issuer)},
              {"validFrom", t.valid_from},
              {"credentialSubject",
               {{"id", SubjectId(t.holder_did, t.learner_id)},
                {"type", Json::array({"ClrSubject"})},
                {"verifiableCredential", std::move(embedded)}}}};
}

}  // namespace lcb::vc
