// The OpenAPI 3.1 document, generated from the router so that no route can go undocumented.
#include <regex>

#include "api/app.h"

namespace lcb {
namespace {

std::vector<std::string> RoleNames(unsigned roles) {
  std::vector<std::string> out;
  if (roles == kAnyone) return {"anyone"};
  if (roles & kAdmin) out.push_back("admin");
  if (roles & kInstitutionRole) out.push_back("institution");
  if (roles & kLearnerRole) out.push_back("learner");
  if (roles & kAuditorRole) out.push_back("auditor");
  return out;
}

nlohmann::json ProblemRef(const char* why) {
  return {{"description", why},
          {"content",
           {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

}  // namespace

nlohmann::json OpenApiDocument(const Router& router) {
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
    if (!params.empty()) op["parameters"] = params;
    json responses = {
        {r.method == "POST" || r.method == "PUT" ? "201" : "200",
         {{"description", "success"}, {"content", {{"application/json", {{"schema", json::object()}}}}}}},
        {"400", ProblemRef("invalid input; `pointer` names the field")},
        {"404", ProblemRef("not found, or not visible to this caller")},
        {"429", ProblemRef("rate limit exceeded; see Retry-After")},
        {"503", ProblemRef("storage unavailable; retry")}};
    if (r.method == "POST" || r.method == "PUT") {
      responses["200"] = {{"description", "success (idempotent repeat)"},
                          {"content", {{"application/json", {{"schema", json::object()}}}}}};
      responses["409"] = ProblemRef("conflict with stored state");
      responses["413"] = ProblemRef("body or batch too large");
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", json::object()}}}}}};
    }
    if (r.roles != kAnyone) {
      op["security"] = json::array({{{"bearer", json::array()}}});
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
       {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas",
         {{"Problem",
           {{"type", "object"},
            {"required", json::array({"type", "title", "status", "detail"})},
            {"properties",
             {{"type", {{"type", "string"}}},
              {"title", {{"type", "string"}}},
              {"status", {{"type", "integer"}}},
              {"detail", {{"type", "string"}}},
              {"pointer", {{"type", "string"}}},
              {"request_id", {{"type", "string"}}},
              {"errors", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}}}}}}}};
}

}  // namespace lcb
