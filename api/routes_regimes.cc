// GET /v1/regimes: the regime presets of engine/regimes.h with their sources, for anyone.
// Every value carries "source", an index into its regime's "sources" list
// (docs/regimes.md explains each).
#include "api/handler_util.h"
#include "api/routes.h"
#include "engine/regimes.h"

namespace lcb {
namespace {

json Names(std::string_view zh, std::string_view en) { return {{"zh", zh}, {"en", en}}; }

json LevelsJson(const Regime& r) {
  json levels = json::array();
  for (const RegimeLevel& l : r.levels) {
    levels.push_back({{"level", l.level},
                      {"name", Names(l.name_zh, l.name_en)},
                      {"eqf", l.eqf > 0 ? json(l.eqf) : json(nullptr)},
                      {"isced_2011", l.isced >= 0 ? json(l.isced) : json(nullptr)},
                      {"source", l.source}});
  }
  return levels;
}

json PolicyJson(const Regime& r) {
  json policy = json::object();
  if (r.max_transfer_ratio_bp) {
    policy["max_transfer_ratio"] = *r.max_transfer_ratio_bp / 10000.0;
    policy["max_transfer_ratio_source"] = r.ratio_source;
  }
  json caps = json::array();
  for (const RegimeCap& c : r.caps) {
    caps.push_back({{"by", CapByName(c.by)},
                    {"default_limit", CreditsJson(c.limit)},
                    {"note", c.note},
                    {"source", c.source}});
  }
  policy["caps"] = caps;
  return policy;
}

json RegimeJson(const Regime& r) {
  json scales = json::array();
  for (const RegimeGradeScale& g : r.grade_scales) {
    scales.push_back({{"scale", g.scale}, {"source", g.source}});
  }
  json sources = json::array();
  for (const RegimeSource& s : r.sources) {
    sources.push_back(
        {{"title", s.title}, {"publisher", s.publisher}, {"url", s.url}, {"section", s.section}});
  }
  return {{"id", r.id},
          {"name", Names(r.name_zh, r.name_en)},
          {"hours_per_credit",
           {{"default", CreditsJson(r.hours_per_credit)},
            {"min", CreditsJson(r.hours_per_credit_min)},
            {"max", CreditsJson(r.hours_per_credit_max)},
            {"source", r.hours_source}}},
          {"framework",
           {{"name", Names(r.framework_zh, r.framework_en)},
            {"source", r.framework_source},
            {"common_scale", "eqf"},
            {"levels", LevelsJson(r)}}},
          {"grade_scales", scales},
          {"default_policy", PolicyJson(r)},
          {"sources", sources}};
}

}  // namespace

void AddRegimeRoutes(Router& router) {
  router.Add("GET", "/v1/regimes", kAnyone,
             "Regime presets (hours per credit, framework levels with their EQF / ISCED 2011 "
             "correspondence, grade scales, default caps), each value with its source",
             [](RouteContext&, Respond respond) {
               static const json body = [] {
                 json regimes = json::array();
                 for (const Regime& r : Regimes()) regimes.push_back(RegimeJson(r));
                 return json{{"regimes", regimes}};
               }();
               respond(JsonResponse(200, body));
             });
}

}  // namespace lcb
