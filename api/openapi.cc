// The OpenAPI 3.1 document, generated from the router so that no route can go undocumented.
#include <map>
#include <string>
#include <vector>

#include "api/app.h"
#include "api/routes_tiles.h"

namespace lcb {
namespace {

std::vector<std::string> RoleNames(unsigned roles) {
  std::vector<std::string> out;
  if (roles == kAnyone) return {"anyone"};
  if (roles & kAdmin) out.push_back("admin");
  if (roles & kInstitutionRole) out.push_back("institution");
  if (roles & kLearnerRole) out.push_back("learner");
  if (roles & kAuditorRole) out.push_back("auditor");
  if (roles & kRegulatorRole) out.push_back("regulator");
  return out;
}

nlohmann::json ProblemRef(const char* why) {
  return {{"description", why},
          {"content",
           {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

using json = nlohmann::json;

json MergeProblem(json schemas, const json& problem) {
  schemas.update(problem);
  return schemas;
}

const char* QueryTypeName(QueryType type) {
  switch (type) {
    case QueryType::kInteger:
      return "integer";
    case QueryType::kBoolean:
      return "boolean";
    case QueryType::kString:
      return "string";
  }
  return "string";
}

json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }
json Str() { return {{"type", "string"}}; }
json Int() { return {{"type", "integer"}}; }
json Num() { return {{"type", "number"}}; }
json Bool() { return {{"type", "boolean"}}; }
json Arr(json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
json Obj(json props, std::vector<std::string> required = {}) {
  json o = {{"type", "object"}, {"properties", std::move(props)}};
  if (!required.empty()) o["required"] = required;
  return o;
}
json MapOf(json value) { return {{"type", "object"}, {"additionalProperties", std::move(value)}}; }

// Shapes of the main documents (DESIGN.md "Shapes that clients rely on").
json Schemas() {
  json s;
  s["Grade"] = Obj({{"scale", Str()}, {"value", {{"type", json::array({"string", "number"})}}}},
                   {"scale", "value"});
  s["RecordInput"] = Obj({{"learner", Str()}, {"unit", Str()}, {"external_ref", Str()},
                          {"credits", Num()}, {"hours", Num()}, {"level", Int()},
                          {"grade", Ref("Grade")}, {"completed_on", Str()},
                          {"attendance", Str()}, {"evidence_sha256", Str()}},
                         {"learner", "unit", "external_ref", "grade", "completed_on"});
  s["RecordBatch"] = Obj({{"records", Arr(Ref("RecordInput"))}}, {"records"});
  s["Receipt"] = Obj({{"leaf_index", Int()}, {"checkpoint", Str()}, {"tree_size", Int()},
                      {"inclusion_proof", Arr(Str())}},
                     {"leaf_index", "checkpoint", "inclusion_proof"});
  s["Receipts"] = Obj({{"records", Arr(Obj({{"id", Str()}, {"leaf_index", Int()},
                                            {"status", Str()}, {"receipt", Ref("Receipt")}},
                                           {"id", "leaf_index", "receipt"}))}},
                      {"records"});
  s["RecordEntry"] = Obj({{"type", Str()}, {"id", Str()}, {"issuer", Str()}, {"learner", Str()},
                          {"unit", Str()}, {"external_ref", Str()}, {"kind", Str()},
                          {"credits", Num()}, {"level", Int()}, {"field", Str()},
                          {"grade", Obj({{"scale", Str()}, {"value", Str()}, {"normalized", Int()}})},
                          {"completed_on", Str()}, {"expires_on", Str()}, {"recorded_at", Str()},
                          {"salt", Str()}, {"supersedes", Str()}, {"evidence_sha256", Str()},
                          {"source", {{"enum", json::array({"credential"})}}}},
                         {"type", "id", "issuer", "learner", "unit", "external_ref", "credits",
                          "recorded_at", "salt"});
  s["RevocationEntry"] = Obj({{"type", {{"enum", {"revocation"}}}},
                              {"id", Str()},
                              {"record", Str()},
                              {"issuer", Str()},
                              {"reason", Str()},
                              {"recorded_at", Str()},
                              {"salt", Str()},
                              {"superseded_by", Str()}},
                             {"type", "id", "record", "issuer", "reason", "recorded_at"});
  // A revoked record's revocation, its receipt against the record receipt's checkpoint.
  s["RecordRevocation"] =
      Obj({{"entry", Ref("RevocationEntry")}, {"leaf_index", Int()}, {"receipt", Ref("Receipt")}},
          {"entry", "leaf_index", "receipt"});
  s["RecordView"] = Obj({{"record", Ref("RecordEntry")},
                         {"status", {{"enum", {"active", "revoked"}}}},
                         {"source", {{"enum", {"post", "credential"}}}},
                         {"receipt", Ref("Receipt")},
                         {"revoked_by", Str()},
                         {"revocation", Ref("RecordRevocation")},
                         {"passing", Bool()},
                         {"common_level", Int()}},
                        {"record", "status", "receipt", "passing"});
  s["Passbook"] = Obj(
      {{"learner", Str()},
       {"total_credits", Num()},
       {"by_kind", MapOf(Num())},
       {"by_level", MapOf(Num())},
       {"by_field", MapOf(Num())},
       {"by_issuer", MapOf(Num())},
       {"by_year", MapOf(Num())},
       {"expiring",
        Arr(Obj({{"record", Str()}, {"expires_on", Str()}, {"credits", Num()}, {"unit", Str()}}))},
       {"revoked_count", Int()},
       {"active_count", Int()},
       {"expired_count", Int()},
       {"failed_count", Int()},
       {"as_of", Str()},
       {"issuer_names", MapOf(Str())}},
      {"learner", "total_credits", "by_kind", "by_level", "by_field", "by_issuer", "by_year",
       "expiring", "revoked_count"});
  s["ConversionRequest"] = Obj({{"learner", Str()}, {"program", Str()}, {"as_of", Str()}},
                               {"learner", "program"});
  s["ConversionResult"] = Obj(
      {{"learner", Str()}, {"program", Str()}, {"as_of", Str()}, {"ruleset_version", Int()},
       {"ruleset_sha256", Str()}, {"total_credits", Num()}, {"transfer_cap", Num()},
       {"granted", Num()}, {"remaining", Num()}, {"optimal", Bool()}, {"upper_bound", Num()},
       {"requirements", Arr(Obj({{"id", Str()}, {"granted", Num()},
                                 {"applications", Arr(Obj({{"rule", Str()}, {"records", Arr(Str())},
                                                           {"credits", Num()}}))}}))},
       {"unused", Arr(Obj({{"record", Str()}, {"reason", Str()}}))}},
      {"granted", "transfer_cap", "remaining", "optimal", "requirements", "unused",
       "ruleset_version", "ruleset_sha256", "as_of"});
  // A "conversion" log entry (and, listed, with its leaf_index and without program_snapshot):
  // the result without `unused` (its count in result.unused_count).
  s["ConversionEntry"] =
      Obj({{"type", {{"enum", {"conversion"}}}},
           {"id", Str()},
           {"learner", Str()},
           {"program", Str()},
           {"program_sha256", Str()},
           {"program_snapshot", Obj(json::object())},
           {"decided_by", Str()},
           {"decided_at", Str()},
           {"result", Obj(json::object())},
           {"leaf_index", Int()}},
          {"type", "id", "learner", "program", "decided_by", "decided_at", "result"});
  s["AppliedConversion"] = Obj({{"id", Str()}, {"leaf_index", Int()}, {"receipt", Ref("Receipt")},
                                {"result", Ref("ConversionResult")}},
                               {"id", "leaf_index", "receipt", "result"});
  s["WhatIf"] = Obj({{"learner", Str()}, {"as_of", Str()}, {"programs_evaluated", Int()},
                     {"results", Arr(Obj({{"program", Str()}, {"title", Str()},
                                          {"ruleset_version", Int()}, {"total_credits", Num()},
                                          {"transfer_cap", Num()}, {"granted", Num()},
                                          {"remaining", Num()}, {"optimal", Bool()}}))}},
                    {"learner", "results"});
  s["InclusionProof"] = Obj({{"leaf_index", Int()}, {"tree_size", Int()}, {"proof", Arr(Str())}},
                            {"leaf_index", "tree_size", "proof"});
  s["ConsistencyProof"] = Obj({{"first", Int()}, {"second", Int()}, {"proof", Arr(Str())}},
                              {"first", "second", "proof"});
  s["Entries"] = Obj({{"tree_size", Int()},
                      {"entries", Arr(Obj({{"index", Int()}, {"leaf_hash", Str()}, {"entry", Str()}},
                                          {"index", "leaf_hash"}))}},
                     {"entries"});
  s["LogKey"] = Obj({{"origin", Str()}, {"verifier_key", Str()}, {"public_key_pem", Str()},
                     {"keys", Arr(Obj({{"verifier_key", Str()}, {"public_key_pem", Str()},
                                       {"key_id", Str()}, {"valid_from", Str()},
                                       {"valid_until", Str()}}))}},
                    {"origin", "verifier_key", "public_key_pem", "keys"});
  s["TokenRequest"] = Obj({{"role", Str()}, {"expires_at", Str()}}, {"role"});
  s["Token"] = Obj({{"id", Str()}, {"token", Str()}, {"role", Str()}, {"expires_at", Str()}},
                   {"id", "token", "role"});
  s["LearnerRequest"] = Obj({{"national_id", Str()}, {"display_name", Str()}});
  s["LearnerId"] = Obj({{"id", Str()}, {"created", Bool()}}, {"id"});
  s["Institution"] = Obj({{"id", Str()},
                          {"name", Str()},
                          {"kind", Str()},
                          {"hours_per_credit", Num()},
                          {"certifies", Arr(Str())},
                          {"require_signatures", Bool()},
                          {"regime", Str()},
                          {"public_keys", Arr(Obj({{"kty", Str()},
                                                   {"crv", Str()},
                                                   {"x", Str()},
                                                   {"n", Str()},
                                                   {"e", Str()},
                                                   {"kid", Str()}}))}},
                         {"name", "kind"});
  s["Unit"] = Obj({{"id", Str()}, {"institution", Str()}, {"title", Str()}, {"kind", Str()},
                   {"credits", Num()}, {"hours", Num()}, {"level", Int()}, {"field", Str()},
                   {"validity_years", Int()}, {"aligned_achievements", Arr(Str())}},
                  {"title", "kind", "credits", "level", "field"});
  s["Program"] = Obj({{"id", Str()}, {"institution", Str()}, {"title", Str()}, {"kind", Str()},
                      {"total_credits", Num()},
                      {"requirements", Arr(Obj({{"id", Str()}, {"title", Str()},
                                                {"kind", {{"enum", {"course", "pool"}}}},
                                                {"credits", Num()}}, {"id", "credits"}))},
                      {"policy", Obj({{"max_transfer_credits", Num()}, {"max_transfer_ratio", Num()},
                                      {"min_grade", Int()}, {"max_age_years", Int()},
                                      {"caps", Arr(Obj({{"by", {{"enum", {"kind", "issuer", "year"}}}},
                                                        {"limits", MapOf(Num())},
                                                        {"default_limit", Num()},
                                                        {"max_count", MapOf(Int())}}, {"by"}))}})}},
                     {"title", "kind", "total_credits", "requirements"});
  s["Pattern"] = Obj({{"unit", Str()}, {"kind", Str()}, {"field", Str()}, {"min_level", Int()},
                      {"min_credits", Num()}, {"issuer", Str()}});
  s["Ruleset"] = Obj({{"rules", Arr(Obj({{"id", Str()}, {"target", Str()}, {"grant", Num()},
                                         {"sources", Arr(Ref("Pattern"))}, {"min_grade", Int()},
                                         {"max_age_years", Int()}},
                                        {"id", "target", "grant", "sources"}))}},
                     {"rules"});
  s["GradeScale"] = Obj({{"id", Str()}, {"kind", {{"enum", {"numeric", "symbolic"}}}},
                         {"min", Num()}, {"max", Num()}, {"factor", Num()}, {"decimals", Int()},
                         {"symbols", Arr(Obj({{"symbol", Str()}, {"value", Int()}}))},
                         {"pass_value", Int()}},
                        {"kind", "pass_value"});
  s["Grant"] = Obj({{"institution", Str()}, {"expires_at", Str()}}, {"institution"});
  json names = Obj({{"zh", Str()}, {"en", Str()}}, {"zh", "en"});
  json nullable_int = {{"type", json::array({"integer", "null"})}};
  s["Regimes"] = Obj(
      {{"regimes",
        Arr(Obj({{"id", Str()},
                 {"name", names},
                 {"hours_per_credit", Obj({{"default", Num()}, {"min", Num()}, {"max", Num()},
                                           {"source", Int()}})},
                 {"framework",
                  Obj({{"name", names}, {"source", Int()}, {"common_scale", Str()},
                       {"levels", Arr(Obj({{"level", Int()}, {"name", names},
                                           {"eqf", nullable_int}, {"isced_2011", nullable_int},
                                           {"source", Int()}}))}})},
                 {"grade_scales", Arr(Obj({{"scale", Str()}, {"source", Int()}}))},
                 {"default_policy",
                  Obj({{"max_transfer_ratio", Num()}, {"max_transfer_ratio_source", Int()},
                       {"caps", Arr(Obj({{"by", Str()}, {"default_limit", Num()},
                                         {"note", Str()}, {"source", Int()}}))}})},
                 {"sources", Arr(Obj({{"title", Str()}, {"publisher", Str()}, {"url", Str()},
                                      {"section", Str()}}))}},
                {"id", "name", "hours_per_credit", "framework", "sources"}))}},
      {"regimes"});
  s["SignInCode"] =
      Obj({{"code", Str()}, {"learner", Str()}, {"expires_at", Str()}, {"url", Str()}},
          {"code", "expires_at", "url"});
  s["Session"] = Obj({{"id", Str()},
                      {"role", Str()},
                      {"learner", Str()},
                      {"via", {{"enum", {"code", "token"}}}},
                      {"csrf_token", Str()},
                      {"created_at", Str()},
                      {"expires_at", Str()},
                      {"idle_expires_at", Str()},
                      {"last_seen_at", Str()},
                      {"created_by", Str()},
                      {"current", Bool()}},
                     {"id", "role", "expires_at"});
  s["LearnerRequest"]["properties"]["region"] = Str();
  s["LearnerId"]["properties"]["region"] = Str();
  const json nullable_str = {{"type", json::array({"string", "null"})}};
  s["Learner"] = Obj({{"id", Str()},
                      {"display_name", nullable_str},
                      {"region", nullable_str},
                      {"created_at", Str()},
                      {"created_by", Str()}},
                     {"id", "display_name", "region", "created_at", "created_by"});
  s["LearnerRegion"] = Obj({{"region", nullable_str}}, {"region"});
  s["Institution"]["properties"]["region"] = Str();
  s["Institution"]["properties"]["did"] = Str();
  s["TranscriptCheck"] =
      Obj({{"code", Str()},
           {"learner", Str()},
           {"learner_name", Str()},
           {"generated_at", Str()},
           {"checkpoint", Obj({{"origin", Str()}, {"tree_size", Int()}, {"root_hash", Str()}})},
           {"records", Arr(Obj({{"id", Str()},
                                {"unit", Str()},
                                {"issuer", Str()},
                                {"credits", Num()},
                                {"status", Str()},
                                {"revoked_by", Str()}}))},
           {"total_credits", Num()},
           {"any_revoked", Bool()},
           {"revoked", Arr(Str())}},
          {"code", "learner", "checkpoint", "records", "any_revoked"});
  s["Stats"] = Obj({{"cells", Arr(Obj({{"region", Str()},
                                       {"kind", Str()},
                                       {"level", Int()},
                                       {"year", Int()},
                                       {"issuer", Str()},
                                       {"learners", Int()},
                                       {"records", Int()},
                                       {"credits", Num()},
                                       {"conversions", Int()}}))},
                    {"k", Int()},
                    {"suppressed", Int()},
                    {"next", Str()}},
                   {"cells", "k", "suppressed"});
  const json str_or_null = {{"type", json::array({"string", "null"})}};
  s["Ready"] = Obj({{"status", Str()},
                    {"tree_size", Int()},
                    {"witnesses", Obj({{"quorum", Int()},
                                       {"quorum_met", Bool()},
                                       {"cosigned_size", Int()},
                                       {"list", Arr(Obj({{"name", Str()},
                                                         {"cosigned_size", Int()},
                                                         {"last_success", str_or_null},
                                                         {"failures", Int()},
                                                         {"last_error", str_or_null},
                                                         {"last_error_at", str_or_null}},
                                                        {"name", "cosigned_size", "failures"}))}},
                                      {"quorum", "quorum_met", "cosigned_size", "list"})}},
                   {"status", "tree_size"});
  return s;
}

struct Shapes {
  json request;   // null = no body
  json response;  // schema of the success body
  std::string response_type = "application/json";
  std::string status = "";  // the success status when not 200 (GET) or 201 (POST, PUT)
};

// Route -> request and response shapes. Routes not listed answer a JSON object.
std::map<std::string, Shapes> RouteShapes() {
  auto csv_or_json = json{{"oneOf", json::array({Ref("RecordInput"), Ref("RecordBatch")})}};
  std::map<std::string, Shapes> shapes = {
      {"POST /v1/records", {csv_or_json, Ref("Receipts")}},
      {"POST /v1/records/table",
       {nullptr,
        Obj({{"header", Arr(Str())},
             {"header_line", Int()},
             {"letters", Arr(Str())},
             {"columns", Arr(Str())},
             {"pending_learners", Int()},
             {"created_learners", Int()},
             {"rows", Arr(Obj({{"line", Int()}, {"fields", Arr(Str())}}, {"line", "fields"}))}},
            {"header", "header_line", "letters", "columns", "pending_learners", "created_learners",
             "rows"}),
        "application/json", "200"}},
      {"GET /v1/records/{id}", {nullptr, Ref("RecordView")}},
      {"POST /v1/records/{id}/correct",
       {Obj({{"record", Ref("RecordInput")}, {"reason", Str()}}, {"record"}),
        Obj({{"revocation", Obj(json::object())}, {"record", Obj(json::object())}})}},
      {"POST /v1/records/{id}/revoke",
       {Obj({{"reason", Str()}}),
        Obj({{"id", Str()}, {"record", Str()}, {"status", Str()}, {"receipt", Ref("Receipt")}})}},
      {"GET /v1/learners/{id}/passbook", {nullptr, Ref("Passbook")}},
      {"GET /v1/learners/{id}/conversions",
       {nullptr, Obj({{"conversions", Arr(Ref("ConversionEntry"))},
                      {"next_cursor", {{"type", json::array({"string", "null"})}}}})}},
      {"GET /v1/conversions/{id}",
       {nullptr, Obj({{"conversion", Ref("ConversionEntry")},
                      {"leaf_index", Int()},
                      {"receipt", Ref("Receipt")}},
                     {"conversion", "leaf_index", "receipt"})}},
      {"GET /v1/learners/{id}/records",
       {nullptr, Obj({{"records", Arr(Ref("RecordEntry"))},
                      {"next_cursor", {{"type", json::array({"string", "null"})}}}})}},
      {"POST /v1/learners", {Ref("LearnerRequest"), Ref("LearnerId")}},
      {"GET /v1/learners/lookup", {nullptr, Ref("LearnerId")}},
      {"GET /v1/learners/{id}", {nullptr, Ref("Learner")}},
      {"PATCH /v1/learners/{id}", {Ref("LearnerRegion"), Ref("Learner")}},
      {"POST /v1/learners/lookup",
       {Obj({{"national_ids", Arr(Str())}}, {"national_ids"}),
        Obj({{"ids", Arr({{"type", json::array({"string", "null"})}})}}, {"ids"}),
        "application/json", "200"}},
      {"POST /v1/learners/{id}/grants", {Ref("Grant"), Ref("Grant")}},
      {"POST /v1/conversions/evaluate", {Ref("ConversionRequest"), Ref("ConversionResult")}},
      {"POST /v1/conversions", {Ref("ConversionRequest"), Ref("AppliedConversion")}},
      {"GET /v1/learners/{id}/what-if", {nullptr, Ref("WhatIf")}},
      {"GET /v1/log/proof/inclusion", {nullptr, Ref("InclusionProof")}},
      {"GET /v1/log/proof/consistency", {nullptr, Ref("ConsistencyProof")}},
      {"GET /v1/log/entries", {nullptr, Ref("Entries")}},
      {"GET /v1/log/key", {nullptr, Ref("LogKey")}},
      {"GET /v1/log/checkpoint", {nullptr, Str(), "text/plain"}},
      {"GET /v1/log/checkpoints/{size}", {nullptr, Str(), "text/plain"}},
      {"GET /metrics", {nullptr, Str(), "text/plain"}},
      {"GET /readyz", {nullptr, Ref("Ready")}},
      {"POST /v1/tokens", {Ref("TokenRequest"), Ref("Token")}},
      {"GET /v1/tokens/current", {nullptr, Obj({{"id", Str()}, {"role", Str()}}, {"id", "role"})}},
      {"PUT /v1/institutions/{id}", {Ref("Institution"), Ref("Institution")}},
      {"GET /v1/institutions/{id}", {nullptr, Ref("Institution")}},
      {"PUT /v1/units/{id}", {Ref("Unit"), Ref("Unit")}},
      {"GET /v1/units/{id}", {nullptr, Ref("Unit")}},
      {"PUT /v1/programs/{id}", {Ref("Program"), Ref("Program")}},
      {"GET /v1/programs/{id}", {nullptr, Ref("Program")}},
      {"PUT /v1/programs/{id}/ruleset",
       {Ref("Ruleset"), Obj({{"program", Str()},
                             {"version", Int()},
                             {"sha256", Str()},
                             {"leaf_index", Int()},
                             {"receipt", Ref("Receipt")}})}},
      {"GET /v1/programs/{id}/ruleset",
       {nullptr, Obj({{"program", Str()},
                      {"version", Int()},
                      {"sha256", Str()},
                      {"ruleset", Ref("Ruleset")}})}},
      {"PUT /v1/grade-scales/{id}", {Ref("GradeScale"), Ref("GradeScale")}},
      {"GET /v1/grade-scales/{id}", {nullptr, Ref("GradeScale")}},
      {"GET /v1/grade-scales", {nullptr, Obj({{"scales", Arr(Ref("GradeScale"))}})}},
      {"GET /log/checkpoint", {nullptr, Str(), "text/plain"}},
      {"GET /v1/regimes", {nullptr, Ref("Regimes")}},
      // Portal sign-in (api/sessions.h) and the portal's files (api/routes_portal.cc).
      {"POST /v1/sign-in-codes", {Obj({{"learner", Str()}}, {"learner"}), Ref("SignInCode")}},
      {"POST /v1/sessions",
       {json{{"oneOf",
              json::array({Obj({{"code", Str()}}, {"code"}), Obj({{"token", Str()}}, {"token"})})}},
        Ref("Session")}},
      {"GET /v1/sessions/current", {nullptr, Ref("Session")}},
      {"DELETE /v1/sessions/current", {nullptr, Obj({{"signed_out", Bool()}}, {"signed_out"})}},
      {"GET /v1/sessions", {nullptr, Obj({{"sessions", Arr(Ref("Session"))}}, {"sessions"})}},
      {"DELETE /v1/sessions/{id}", {nullptr, Obj({{"id", Str()}, {"ended", Bool()}})}},
      {"GET /", {nullptr, Str(), "text/plain", "302"}},
      {"GET /portal", {nullptr, Str(), "text/plain", "301"}},
      {"GET /portal/", {nullptr, Str(), "text/html"}},
      {"GET /portal/{file}", {nullptr, Str(), "*/*"}},
      {"GET /docs", {nullptr, Str(), "text/plain", "301"}},
      {"GET /docs/", {nullptr, Str(), "text/html"}},
      {"GET /docs/{file}", {nullptr, Str(), "*/*"}},
      // Portable credentials (api/routes_credentials.cc). A record's credential is
      // application/vc (format=di), application/vc+jwt (jwt) or application/jwt (ob3-jwt).
      {"GET /v1/credentials/issuer",
       {nullptr,
        Obj({{"id", Str()},
             {"verification_method", Str()},
             {"public_key_multibase", Str()},
             {"did_document", Obj(json::object())},
             {"jwks", Obj({{"keys", Arr(Obj(json::object()))}})},
             {"did_web", Str()},
             {"keys",
              Arr(Obj({{"multikey", Str()}, {"valid_from", Str()}, {"valid_until", Str()}}))}})}},
      {"GET /.well-known/jwks.json",
       {nullptr, Obj({{"keys", Arr(Obj(json::object()))}}), "application/jwk-set+json"}},
      {"GET /.well-known/did.json", {nullptr, Obj({{"id", Str()}}), "application/did+json"}},
      {"GET /v1/records/{id}/credential", {nullptr, Obj(json::object()), "application/vc"}},
      {"GET /v1/status/{list}", {nullptr, Obj(json::object()), "application/vc"}},
      {"GET /v1/learners/{id}/transcript", {nullptr, Obj(json::object()), "application/vc"}},
      {"POST /v1/credentials/verify",
       {{{"oneOf", json::array({Obj(json::object()), Str()})}},
        Obj({{"verified", {{"type", "boolean"}}},
             {"format", Str()},
             {"issuer", Str()},
             {"status", Str()},
             {"checks", Arr(Str())},
             {"errors", Arr(Obj({{"reason", Str()}, {"message", Str()}, {"pointer", Str()}}))}})}},
      {"POST /vc-api/credentials/verify",
       {Obj({{"verifiableCredential", {{"oneOf", json::array({Obj(json::object()), Str()})}}},
             {"options", Obj({{"checks", Arr(Str())}})}},
            {"verifiableCredential"}),
        Obj({{"verified", {{"type", "boolean"}}},
             {"checks", Arr(Str())},
             {"warnings", Arr(Obj(json::object()))},
             {"errors", Arr(Obj(json::object()))}})}},
      {"POST /vc-api/credentials/issue",
       {Obj({{"credential", Obj(json::object())}, {"options", Obj(json::object())}},
            {"credential"}),
        Obj({{"verifiableCredential", Obj(json::object())}})}},
      {"GET /v1/learners/{id}/transcript",
       {nullptr, {{"type", "string"}, {"format", "binary"}}, "application/pdf"}},
      {"GET /v1/transcripts/{code}", {nullptr, Ref("TranscriptCheck")}},
      // Credentials as input: the body is the credential (JSON) or a compact JWS (text).
      {"POST /v1/learners/{id}/credentials",
       {{{"oneOf", json::array({Obj(json::object()), Str()})}},
        Obj({{"id", Str()},
             {"leaf_index", Int()},
             {"status", {{"enum", {"created", "existing"}}}},
             {"receipt", Ref("Receipt")},
             {"issuer", Str()},
             {"unit", Str()},
             {"source", {{"enum", json::array({"credential"})}}},
             {"format", {{"enum", {"di", "jwt", "ob3-jwt"}}}},
             {"evidence_sha256", Str()}},
            {"id", "leaf_index", "status", "receipt", "issuer", "unit", "source"})}},
      {"GET /v1/stats", {nullptr, Ref("Stats")}},
  };
  // C2SP tlog-tiles: 32-byte hashes, or uint16-BE length-prefixed entries.
  for (const std::string& pattern : TileRoutePatterns()) {
    shapes["GET " + pattern] = {
        nullptr, {{"type", "string"}, {"format", "binary"}}, "application/octet-stream"};
  }
  return shapes;
}

}  // namespace

nlohmann::json OpenApiDocument(const Router& router) {
  static const std::map<std::string, Shapes> shapes = RouteShapes();
  using json = nlohmann::json;
  json paths = json::object();
  for (const Route& r : router.routes()) {
    json op = {{"summary", r.summary},
               {"operationId", r.method + " " + r.pattern},
               {"x-roles", RoleNames(r.roles)}};
    json params = json::array();
    for (const auto& seg : r.segments) {
      if (seg.size() > 2 && seg.front() == '{') {
        params.push_back({{"name", seg.substr(1, seg.size() - 2)},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
      }
    }
    // The query parameters are the route's own declarations (Router::Add(...).Takes), which the
    // router enforces: an operation answers 400 to any parameter not listed here.
    for (const QueryParam& q : r.query) {
      json schema = {{"type", QueryTypeName(q.type)}};
      if (!q.values.empty()) schema["enum"] = q.values;
      params.push_back({{"name", q.name},
                        {"in", "query"},
                        {"required", q.required},
                        {"description", q.description},
                        {"schema", std::move(schema)}});
    }
    if (!params.empty()) op["parameters"] = params;
    // Pages and files a browser opens ignore any query (?utm_source=...) instead.
    if (r.any_query) op["x-ignores-query"] = true;
    auto shape_it = shapes.find(r.method + " " + r.pattern);
    json response_schema = shape_it != shapes.end() ? shape_it->second.response : json{{"type", "object"}};
    std::string response_type = shape_it != shapes.end() ? shape_it->second.response_type : "application/json";
    std::string success = r.method == "POST" || r.method == "PUT" ? "201" : "200";
    if (shape_it != shapes.end() && !shape_it->second.status.empty()) {
      success = shape_it->second.status;
    }
    json responses = {
        {success,
         {{"description", "success"},
          {"content", {{response_type, {{"schema", response_schema}}}}}}},
        {"400", ProblemRef(r.any_query ? "invalid input; `pointer` names the field"
                                       : "invalid input, or a query parameter this operation "
                                         "does not list; `pointer` names the field or "
                                         "parameter")},
        {"404", ProblemRef("not found, or not visible to this caller")},
        {"429", ProblemRef("rate limit exceeded; see Retry-After")},
        {"503", ProblemRef("storage unavailable; retry")}};
    if (r.method == "PATCH") {
      op["requestBody"] = {{"required", true},
                           {"content",
                            {{"application/json",
                              {{"schema", shape_it != shapes.end() ? shape_it->second.request
                                                                   : json{{"type", "object"}}}}}}}};
    }
    if (r.method == "POST" || r.method == "PUT") {
      responses["200"] = {{"description", "success (idempotent repeat)"},
                          {"content", {{response_type, {{"schema", response_schema}}}}}};
      responses["409"] = ProblemRef("conflict with stored state");
      responses["413"] = ProblemRef("body or batch too large");
      json request_schema = shape_it != shapes.end() && !shape_it->second.request.is_null()
                                ? shape_it->second.request
                                : json{{"type", "object"}};
      json content = {{"application/json", {{"schema", request_schema}}}};
      if (r.pattern == "/v1/records" || r.pattern == "/v1/records/table") {
        if (r.pattern == "/v1/records/table") content.erase("application/json");
        content["text/csv"] = {{"schema", {{"type", "string"}, {"description",
            "header row: learner, unit, external_ref, credits, hours, level, grade_scale, "
            "grade_value, completed_on, attendance, evidence_sha256; empty cell = unset; "
            "charset utf-8 (default), gb18030 or gbk"}}}};
        content["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] = {
            {"schema", {{"type", "string"}, {"format", "binary"}, {"description",
            "XLSX workbook: the first sheet, or ?sheet=NAME, with the CSV header in row 1"}}}};
      }
      if (r.pattern == "/v1/learners/{id}/credentials") {
        content["application/jwt"] = {{"schema", Str()}};
        content["text/plain"] = {{"schema", Str()}};
        responses["422"] = ProblemRef(
            "the credential was refused; `reason` is one of bad_signature, unknown_issuer, "
            "revoked, expired, subject_mismatch, unknown_achievement");
      }
      op["requestBody"] = {{"required", r.method != "DELETE"}, {"content", content}};
    }
    if (r.roles != kAnyone) {
      op["security"] = json::array({{{"bearer", json::array()}}, {{"session", json::array()}}});
      responses["401"] = ProblemRef("missing, invalid, expired or revoked token");
      responses["403"] = ProblemRef("the token's role may not call this");
    }
    op["responses"] = responses;
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.pattern][method] = op;
  }
  return {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", "creditbank"},
        {"version", "1.0.0"},
        {"description",
         "Learning-credit bank: recognition, accumulation and conversion of learning outcomes, "
         "with a signed transparency log."}}},
      {"servers", json::array({{{"url", "/"}}})},
      {"paths", paths},
      {"components",
       {{"securitySchemes",
         {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
          {"session",
           {{"type", "apiKey"},
            {"in", "cookie"},
            {"name", "cb_session"},
            {"description",
             "A portal session from POST /v1/sessions. A POST, PUT, PATCH or DELETE signed in "
             "by it must also send X-CSRF-Token: the session's csrf_token."}}}}},
        {"schemas",
         MergeProblem(Schemas(), {{"Problem",
           {{"type", "object"},
            {"required", json::array({"type", "title", "status", "detail"})},
            {"properties",
             {{"type", {{"type", "string"}}},
              {"title", {{"type", "string"}}},
              {"status", {{"type", "integer"}}},
              {"detail", {{"type", "string"}}},
              {"pointer", {{"type", "string"}}},
              {"reason", {{"type", "string"}}},
              {"request_id", {{"type", "string"}}},
              {"errors", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}}}})}}}};
}

}  // namespace lcb
