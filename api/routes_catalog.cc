// Catalog: institutions, units, programs and rulesets.
#include "api/handler_util.h"
#include "api/routes.h"
#include "engine/catalog_validation.h"

namespace lcb {
namespace {

// Units and programs are "<institution>:<code>": the owner edits them, or an admin.
bool MayEdit(const Principal& p, const std::string& id) {
  if (p.is_admin()) return true;
  auto colon = id.find(':');
  return colon != std::string::npos && p.is_institution(id.substr(0, colon));
}

using PutFn = StatusOr<json> (Bank::*)(const std::string&, const json&, const Principal&);
using GetFn = StatusOr<json> (Bank::*)(const std::string&);

void AddCatalogKind(Router& router, Bank* b, const std::string& path, const std::string& kind,
                    const std::string& noun, PutFn put, GetFn get, bool owner_edits) {
  router.Add("PUT", "/v1/" + path + "/{id}", owner_edits ? (kAdmin | kInstitutionRole) : kAdmin,
             "Create or replace " + noun + (owner_edits ? " (its institution or admin)" : " (admin)"),
             [b, put, owner_edits, noun](RouteContext& ctx, Respond respond) {
               const std::string& id = ctx.params["id"];
               if (owner_edits && !MayEdit(ctx.principal, id)) {
                 return respond(ProblemResponse(
                     Status::PermissionDenied("only the owning institution or an admin may edit " + noun +
                                              " '" + id + "'"),
                     ctx.request.request_id));
               }
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               auto r = (b->*put)(id, body, ctx.principal);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               respond(JsonResponse(200, *r));
             });
  router.Add("GET", "/v1/" + path + "/{id}", kAnyone, "Read " + noun,
             [b, get](RouteContext& ctx, Respond respond) {
               auto r = (b->*get)(ctx.params["id"]);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               respond(JsonResponse(200, *r));
             });
  router.Add("GET", "/v1/" + path, kAnyone,
             "List " + noun + "s (?institution= prefix filter, ?cursor=, ?limit=)",
             [b, kind](RouteContext& ctx, Respond respond) {
               uint64_t limit = 0;
               if (!QueryUint(ctx, respond, "limit", 100, 1000, &limit)) return;
               if (limit == 0) limit = 100;
               const std::string* inst = ctx.request.Query("institution");
               const std::string* cursor = ctx.request.Query("cursor");
               std::string prefix = inst ? *inst + (kind == "inst" ? "" : ":") : "";
               auto r = b->ListCatalog(kind, prefix, cursor ? *cursor : "", limit);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               respond(JsonResponse(200, *r));
             });
}

}  // namespace

void AddCatalogRoutes(Router& router, Bank& bank) {
  Bank* b = &bank;
  AddCatalogKind(router, b, "institutions", "inst", "an institution", &Bank::PutInstitution,
                 &Bank::GetInstitutionJson, false);
  AddCatalogKind(router, b, "units", "unit", "a unit", &Bank::PutUnit, &Bank::GetUnitJson, true);
  AddCatalogKind(router, b, "programs", "prog", "a program", &Bank::PutProgram,
                 &Bank::GetProgramJson, true);

  router.Add("PUT", "/v1/grade-scales/{id}", kAdmin,
             "Register a grade scale (admin; create-only: a stored grade never changes meaning)",
             [b](RouteContext& ctx, Respond respond) {
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               auto r = b->RegisterGradeScale(ctx.params["id"], body, ctx.principal);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               respond(JsonResponse(201, *r));
             });
  router.Add("GET", "/v1/grade-scales/{id}", kAnyone, "Read a grade scale",
             [b](RouteContext& ctx, Respond respond) {
               auto r = b->GetGradeScale(ctx.params["id"]);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               respond(JsonResponse(200, *r));
             });
  router.Add("GET", "/v1/grade-scales", kAnyone, "Every grade scale, built-in and registered",
             [b](RouteContext& ctx, Respond respond) {
               respond(JsonResponse(200, b->ListGradeScales()));
             });

  router.Add("PUT", "/v1/programs/{id}/ruleset", kInstitutionRole,
             "Publish a new immutable ruleset version (the program's institution); logged",
             [b](RouteContext& ctx, Respond respond) {
               const std::string& id = ctx.params["id"];
               auto colon = id.find(':');
               if (colon == std::string::npos || !ctx.principal.is_institution(id.substr(0, colon))) {
                 return respond(ProblemResponse(
                     Status::PermissionDenied("only the program's institution may publish its rules"),
                     ctx.request.request_id));
               }
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               std::string rid = ctx.request.request_id;
               b->PublishRuleset(id, body, ctx.principal, [respond, rid](StatusOr<json> r) {
                 if (!r.ok()) return respond(ProblemResponse(r.status(), rid));
                 respond(JsonResponse(201, *r));
               });
             });

  router.Add("GET", "/v1/programs/{id}/ruleset", kAnyone,
             "The latest ruleset of a program, or ?version=N",
             [b](RouteContext& ctx, Respond respond) {
               std::optional<int> version;
               if (ctx.request.Query("version")) {
                 uint64_t v = 0;
                 if (!QueryUint(ctx, respond, "version", 0, 1u << 30, &v)) return;
                 version = static_cast<int>(v);
               }
               auto r = b->GetRulesetJson(ctx.params["id"], version);
               if (!r.ok()) return respond(ProblemResponse(r.status(), ctx.request.request_id));
               respond(JsonResponse(200, *r));
             });
}

}  // namespace lcb
