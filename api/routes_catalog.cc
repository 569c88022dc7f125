// Catalog: institutions, units, programs, grade scales and rulesets.
#include "api/handler_util.h"
#include "api/routes.h"
#include "api/views.h"
#include "codec/mapping.h"

namespace lcb {
namespace {

// Units and programs are "<institution>:<code>": the owner edits them, or an admin.
bool MayEdit(const Principal& p, const std::string& id) {
  if (p.is_admin()) return true;
  auto colon = id.find(':');
  return colon != std::string::npos && p.is_institution(id.substr(0, colon));
}

// One catalog kind: PUT (parse, put), GET one, GET a page.
template <typename T>
struct CatalogKindRoutes {
  std::string path;  // "units"
  std::string noun;  // "a unit"
  bool owner_edits = false;
  std::function<StatusOr<T>(const json&, const std::string&)> from_json;
  std::function<StatusOr<CatalogItem<T>>(T, const Principal&)> put;
  std::function<StatusOr<CatalogItem<T>>(const std::string&)> get;
  std::function<StatusOr<CatalogPage<T>>(const std::string&, const std::string&, size_t)> list;
  json (*item_json)(const CatalogItem<T>&);
  bool prefix_is_institution = false;  // ?institution=X lists ids "X:..." (units, programs)
};

template <typename T>
void AddCatalogKind(Router& router, CatalogKindRoutes<T> k) {
  auto kind = std::make_shared<CatalogKindRoutes<T>>(std::move(k));
  router.Add(
      "PUT", "/v1/" + kind->path + "/{id}",
      kind->owner_edits ? (kAdmin | kInstitutionRole) : kAdmin,
      "Create or replace " + kind->noun +
          (kind->owner_edits ? " (its institution or admin)" : " (admin)"),
      [kind](RouteContext& ctx, Respond respond) {
        const std::string& id = ctx.params["id"];
        if (kind->owner_edits && !MayEdit(ctx.principal, id)) {
          return respond(ProblemResponse(
              Status::PermissionDenied("only the owning institution or an admin may edit " +
                                       kind->noun + " '" + id + "'"),
              ctx.request.request_id));
        }
        json body;
        if (!ParseJsonRequest(ctx, respond, &body)) return;
        auto value = kind->from_json(body, id);
        if (!value.ok()) return respond(ProblemResponse(value.status(), ctx.request.request_id));
        RespondWith(ctx, respond, kind->put(std::move(value).value(), ctx.principal), 200,
                    kind->item_json);
      },
      RunOn::kBlockingPool);
  router.Add("GET", "/v1/" + kind->path + "/{id}", kAnyone, "Read " + kind->noun,
             [kind](RouteContext& ctx, Respond respond) {
               RespondWith(ctx, respond, kind->get(ctx.params["id"]), 200, kind->item_json);
             });
  router
      .Add("GET", "/v1/" + kind->path, kAnyone,
           "List " + kind->noun.substr(kind->noun.find(' ') + 1) +
               "s (?institution= prefix filter, ?cursor=, ?limit=)",
           [kind](RouteContext& ctx, Respond respond) {
             uint64_t limit = 0;
             if (!QueryLimit(ctx, respond, 100, 1000, &limit)) return;
             if (limit == 0) limit = 100;
             const std::string* inst = ctx.request.Query("institution");
             const std::string* cursor = ctx.request.Query("cursor");
             std::string prefix = inst ? *inst + (kind->prefix_is_institution ? ":" : "") : "";
             RespondWith(ctx, respond, kind->list(prefix, cursor ? *cursor : "", limit), 200,
                         [kind](const CatalogPage<T>& page) {
                           return CatalogPageJson(page, kind->item_json);
                         });
           })
      .Takes({StringParam("institution", kind->prefix_is_institution
                                             ? "only the items of this institution"
                                             : "only ids that start with this prefix"),
              CursorParam(), LimitParam(100, 1000)});
}

void AddGradeScaleRoutes(Router& router, CatalogService& catalog) {
  CatalogService* c = &catalog;
  router.Add(
      "PUT", "/v1/grade-scales/{id}", kAdmin,
      "Register a grade scale (admin; create-only: a stored grade never changes meaning)",
      [c](RouteContext& ctx, Respond respond) {
        json body;
        if (!ParseJsonRequest(ctx, respond, &body)) return;
        auto scale = GradeScaleFromJson(body, ctx.params["id"]);
        if (!scale.ok()) return respond(ProblemResponse(scale.status(), ctx.request.request_id));
        RespondWith(ctx, respond, c->RegisterGradeScale(std::move(scale).value(), ctx.principal),
                    201, GradeScaleToJson);
      },
      RunOn::kBlockingPool);
  router.Add("GET", "/v1/grade-scales/{id}", kAnyone, "Read a grade scale",
             [c](RouteContext& ctx, Respond respond) {
               RespondWith(ctx, respond, c->GetGradeScale(ctx.params["id"]), 200, GradeScaleToJson);
             });
  router.Add("GET", "/v1/grade-scales", kAnyone, "Every grade scale, built-in and registered",
             [c](RouteContext& ctx, Respond respond) {
               json items = json::array();
               for (const GradeScale& s : c->ListGradeScales())
                 items.push_back(GradeScaleToJson(s));
               respond(JsonResponse(200, json{{"scales", items}}));
             });
}

void AddRulesetRoutes(Router& router, RulesetService& rulesets) {
  RulesetService* rs = &rulesets;
  router.Add("PUT", "/v1/programs/{id}/ruleset", kInstitutionRole,
             "Publish a new immutable ruleset version (the program's institution); logged",
             [rs](RouteContext& ctx, Respond respond) {
               const std::string& id = ctx.params["id"];
               auto colon = id.find(':');
               if (colon == std::string::npos || !ctx.principal.is_institution(id.substr(0, colon))) {
                 return respond(ProblemResponse(
                     Status::PermissionDenied("only the program's institution may publish its rules"),
                     ctx.request.request_id));
               }
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               auto ruleset = RulesetFromJson(body, id);
               if (!ruleset.ok()) {
                 return respond(ProblemResponse(ruleset.status(), ctx.request.request_id));
               }
               std::string rid = ctx.request.request_id;
               rs->Publish(id, std::move(ruleset).value(), ctx.principal,
                           [respond, rid](StatusOr<RulesetPublication> r) {
                             if (!r.ok()) return respond(ProblemResponse(r.status(), rid));
                             respond(JsonResponse(201, RulesetPublicationJson(*r)));
                           });
             });

  router
      .Add("GET", "/v1/programs/{id}/ruleset", kAnyone,
           "The latest ruleset of a program, or ?version=N",
           [rs](RouteContext& ctx, Respond respond) {
             std::optional<int> version;
             if (ctx.request.Query("version")) {
               uint64_t v = 0;
               if (!QueryUint(ctx, respond, "version", 0, 1u << 30, &v)) return;
               version = static_cast<int>(v);
             }
             RespondWith(ctx, respond, rs->Get(ctx.params["id"], version), 200,
                         PublishedRulesetJson);
           })
      .Takes({IntegerParam("version", "that version instead of the latest")});
}

}  // namespace

void AddCatalogRoutes(Router& router, CatalogService& catalog, RulesetService& rulesets) {
  CatalogService* c = &catalog;
  AddCatalogKind<Institution>(
      router,
      {"institutions", "an institution", false, InstitutionFromJson,
       [c](Institution v, const Principal& by) { return c->PutInstitution(std::move(v), by); },
       [c](const std::string& id) { return c->InstitutionItem(id); },
       [c](const std::string& p, const std::string& cur, size_t n) {
         return c->ListInstitutions(p, cur, n);
       },
       InstitutionItemJson, false});
  AddCatalogKind<Unit>(router,
                       {"units", "a unit", true, UnitFromJson,
                        [c](Unit v, const Principal& by) { return c->PutUnit(std::move(v), by); },
                        [c](const std::string& id) { return c->UnitItem(id); },
                        [c](const std::string& p, const std::string& cur, size_t n) {
                          return c->ListUnits(p, cur, n);
                        },
                        UnitItemJson, true});
  AddCatalogKind<Program>(
      router, {"programs", "a program", true, ProgramFromJson,
               [c](Program v, const Principal& by) { return c->PutProgram(std::move(v), by); },
               [c](const std::string& id) { return c->ProgramItem(id); },
               [c](const std::string& p, const std::string& cur, size_t n) {
                 return c->ListPrograms(p, cur, n);
               },
               ProgramItemJson, true});
  AddGradeScaleRoutes(router, catalog);
  AddRulesetRoutes(router, rulesets);
}

}  // namespace lcb
