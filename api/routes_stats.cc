// GET /v1/stats?group_by=region|kind|level|year|issuer[,…][&region=31][&region_level=…]
// [&limit=N][&cursor=C] (regulator:<prefix>, which sees only codes under its prefix, or admin):
// aggregate cells with k-anonymity suppression (service/stats.h); CSV with Accept: text/csv.
// With `limit`, an answer holds at most N cells and, when more follow, "next" (header
// X-Stats-Next for CSV): the cursor of the next page.
#include <algorithm>
#include <charconv>
#include <optional>
#include <sstream>

#include "api/content_negotiation.h"
#include "api/handler_util.h"
#include "api/routes.h"
#include "codec/json_util.h"
#include "common/encoding.h"
#include "service/stats_text.h"

namespace lcb {
namespace {

Status ParseGroupBy(const std::string* text, std::vector<StatsKey>* out) {
  const std::string value = text ? *text : "region";
  std::stringstream in(value);
  for (std::string name; std::getline(in, name, ',');) {
    StatsKey key;
    if (!ParseStatsKey(name, &key)) {
      return Status::InvalidArgument(
          Field("/group_by"), "'" + name + "' is not one of region, kind, level, year, issuer");
    }
    for (StatsKey seen : *out) {
      if (seen == key) return Status::InvalidArgument(Field("/group_by"), "'" + name + "' twice");
    }
    out->push_back(key);
  }
  if (out->empty() || value.back() == ',') {
    return Status::InvalidArgument(Field("/group_by"),
                                   "must list one or more keys, comma separated");
  }
  return Status::Ok();
}

// The region the query covers: a regulator's own prefix or a finer one inside it.
Status ParseRegion(const RouteContext& ctx, std::string* prefix) {
  const std::string* region = ctx.request.Query("region");
  if (region && !IsRegionPrefix(*region)) {
    return Status::InvalidArgument(
        Field("/region"),
        "must be a GB/T 2260 region prefix of 2, 4 or 6 digits (e.g. 31, 3101, 310000)");
  }
  // A province's or a city's own code, as the answers name them (310000, 310100), is its
  // prefix (31, 3101): every county under it, not the code alone.
  *prefix = region ? RegionPrefixOf(*region) : "";
  if (!ctx.principal.is_regulator()) return Status::Ok();
  const std::string& own = ctx.principal.subject;
  if (prefix->empty() || own.starts_with(*prefix)) {
    *prefix = own;  // not given, or coarser than the regulator's region: its own region
  } else if (!prefix->starts_with(own)) {
    return Status::PermissionDenied(
        Field("/region"), "region " + *prefix + " is outside this regulator's region " + own);
  }
  return Status::Ok();
}

constexpr size_t kMaxLimit = 100'000;

// The question a cursor belongs to: its keys, region prefix and (when grouped by region) level.
std::string QuestionOf(const StatsQuery& q) {
  std::string of;
  bool by_region = false;
  for (StatsKey key : q.group_by) {
    of += std::string(StatsKeyName(key)) + ",";
    by_region = by_region || key == StatsKey::kRegion;
  }
  of += "|" + q.region_prefix;
  if (by_region) of += "|" + std::string(RegionLevelName(q.region_level));
  return of;
}

// A page's cursor: base64url of {"after": the keys of its last cell, "as_of": the state the
// answer describes, "of": the question (QuestionOf)}. A cursor of another question is refused:
// read with this one's keys, it would skip cells or show none.
std::string Cursor(const StatsQuery& q, const StatsResult& page) {
  return Base64UrlEncode(
      json{{"after", page.cells.back().keys}, {"as_of", page.as_of}, {"of", QuestionOf(q)}}.dump());
}

Status ParsePage(const RouteContext& ctx, StatsQuery* q) {
  if (const std::string* limit = ctx.request.Query("limit")) {
    uint64_t n = 0;
    if (!ParseCanonicalUint(*limit, &n) || n < 1 || n > kMaxLimit) {
      return Status::InvalidArgument(
          Field("/limit"), "must be a whole number from 1 to " + std::to_string(kMaxLimit) +
                               (HasLeadingZero(*limit) ? kCanonicalDecimal : ""));
    }
    q->limit = n;
  }
  if (const std::string* cursor = ctx.request.Query("cursor")) {
    const std::optional<std::string> text = Base64UrlDecode(*cursor);
    const json parsed = text ? json::parse(*text, nullptr, false) : json();
    json keys;
    bool ok = parsed.is_object() && parsed.size() == 3;
    if (ok) {
      keys = parsed.value("after", json());
      const json as_of = parsed.value("as_of", json());
      const json of = parsed.value("of", json());
      ok = as_of.is_number_unsigned() && of.is_string() && of.get<std::string>() == QuestionOf(*q);
      if (ok) q->as_of = as_of.get<uint64_t>();
    }
    ok = ok && keys.is_array() && keys.size() == q->group_by.size();
    for (size_t i = 0; ok && i < keys.size(); ++i) ok = keys[i].is_string();
    if (!ok) {
      return Status::InvalidArgument(
          Field("/cursor"),
          "is not the `next` of an earlier answer to the same question (group_by, region and "
          "region_level); ask again without a cursor");
    }
    for (const json& key : keys) q->after.push_back(key.get<std::string>());
  }
  return Status::Ok();
}

StatusOr<StatsQuery> ParseQuery(const RouteContext& ctx, int k) {
  StatsQuery q;
  q.k = k;
  LCB_RETURN_IF_ERROR(ParseGroupBy(ctx.request.Query("group_by"), &q.group_by));
  LCB_RETURN_IF_ERROR(ParseRegion(ctx, &q.region_prefix));
  if (const std::string* level = ctx.request.Query("region_level")) {
    if (!ParseRegionLevel(*level, &q.region_level)) {
      return Status::InvalidArgument(Field("/region_level"), "must be county, city or province");
    }
  }
  // Grouped by a level coarser than the region asked, a cell would carry the code of the city
  // or province around it with only the region's part of its figures: the same code as in the
  // answer for the whole city, with other figures.
  const bool by_region =
      std::find(q.group_by.begin(), q.group_by.end(), StatsKey::kRegion) != q.group_by.end();
  if (by_region && q.region_prefix.size() > static_cast<size_t>(RegionDigits(q.region_level))) {
    const bool county = q.region_prefix.size() == 6;
    return Status::InvalidArgument(
        Field("/region_level"),
        "region " + q.region_prefix + " is " + (county ? "a county" : "a city") +
            ", finer than a " + std::string(RegionLevelName(q.region_level)) +
            ": group it by region_level=" + (county ? "county" : "city or county") +
            ", or ask a coarser region");
  }
  LCB_RETURN_IF_ERROR(ParsePage(ctx, &q));
  return q;
}

}  // namespace

void AddStatsRoutes(Router& router, StatsService& stats, int k) {
  StatsService* s = &stats;
  router
      .Add(
          "GET", "/v1/stats", kAdmin | kRegulatorRole,
          "Aggregate statistics by region, kind, level, year, issuer; cells of fewer than k "
          "learners suppressed; text/csv on request; pages with limit and cursor",
          [s, k](RouteContext& ctx, Respond respond) {
            auto query = ParseQuery(ctx, k);
            if (!query.ok())
              return respond(ProblemResponse(query.status(), ctx.request.request_id));
            auto result = s->Compute(*query);
            if (!result.ok())
              return respond(ProblemResponse(result.status(), ctx.request.request_id));
            const std::string next = result->more ? Cursor(*query, *result) : "";
            const std::string* accept = ctx.request.Header("accept");
            if (PreferredMediaType(accept, {"application/json", "text/csv"}) == 1) {
              HttpResponse r =
                  TextResponse(200, StatsCsvText(*query, *result), "text/csv; charset=utf-8");
              r.headers.emplace_back("X-Stats-K", std::to_string(result->k));
              r.headers.emplace_back("X-Stats-Suppressed", std::to_string(result->suppressed));
              r.headers.emplace_back("X-Stats-Tree-Size", std::to_string(result->tree_size));
              if (!next.empty()) r.headers.emplace_back("X-Stats-Next", next);
              return respond(std::move(r));
            }
            respond(TextResponse(200, StatsJsonText(*query, *result, next), "application/json"));
          },
          RunOn::kBlockingPool)
      .Takes({StringParam("group_by",
                          "keys, comma separated: region, kind, level, year, issuer (default "
                          "region)"),
              StringParam("region", "a GB/T 2260 region prefix of 2, 4 or 6 digits"),
              StringParam("region_level", "the level of the region key (default county)",
                          {"county", "city", "province"}),
              IntegerParam("limit", "cells per page, 1 to 100000 (default every cell)"),
              StringParam("cursor", "the next of the previous page (same question)")});
}

}  // namespace lcb
