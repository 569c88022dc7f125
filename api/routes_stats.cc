// GET /v1/stats?group_by=region|kind|level|year|issuer[,…][&region=31][&region_level=…]
// [&limit=N][&cursor=C] (regulator:<prefix>, which sees only codes under its prefix, or admin):
// aggregate cells with k-anonymity suppression (service/stats.h); CSV with Accept: text/csv.
// With `limit`, an answer holds at most N cells and, when more follow, "next" (header
// X-Stats-Next for CSV): the cursor of the next page.
#include <charconv>
#include <optional>
#include <sstream>

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
        Field("/region"), "must be a GB/T 2260 region prefix of 2, 4 or 6 digits (e.g. 31, 3101)");
  }
  *prefix = region ? *region : "";
  if (!ctx.principal.is_regulator()) return Status::Ok();
  const std::string& own = ctx.principal.subject;
  if (prefix->empty() || own.starts_with(*prefix)) {
    *prefix = own;  // not given, or coarser than the regulator's region: its own region
  } else if (!prefix->starts_with(own)) {
    return Status::PermissionDenied("region " + *prefix + " is outside this regulator's region " +
                                    own);
  }
  return Status::Ok();
}

constexpr size_t kMaxLimit = 100'000;

// A page's cursor: base64url of {"after": the keys of its last cell, "as_of": the state the
// answer describes} (a bare array of keys, as cursors were before as_of, is still read).
std::string Cursor(const StatsResult& page) {
  return Base64UrlEncode(json{{"after", page.cells.back().keys}, {"as_of", page.as_of}}.dump());
}

Status ParsePage(const RouteContext& ctx, StatsQuery* q) {
  if (const std::string* limit = ctx.request.Query("limit")) {
    size_t n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n < 1 || n > kMaxLimit) {
      return Status::InvalidArgument(
          Field("/limit"), "must be a whole number from 1 to " + std::to_string(kMaxLimit));
    }
    q->limit = n;
  }
  if (const std::string* cursor = ctx.request.Query("cursor")) {
    const std::optional<std::string> text = Base64UrlDecode(*cursor);
    const json parsed = text ? json::parse(*text, nullptr, false) : json();
    json keys = parsed;
    bool ok = true;
    if (parsed.is_object()) {
      keys = parsed.value("after", json());
      const json as_of = parsed.value("as_of", json());
      ok = parsed.size() == 2 && as_of.is_number_unsigned();
      if (ok) q->as_of = as_of.get<uint64_t>();
    }
    ok = ok && keys.is_array() && keys.size() == q->group_by.size();
    for (size_t i = 0; ok && i < keys.size(); ++i) ok = keys[i].is_string();
    if (!ok) {
      return Status::InvalidArgument(
          Field("/cursor"), "is not the `next` of an earlier answer with the same group_by");
    }
    for (const json& key : keys) q->after.push_back(key.get<std::string>());
  }
  return Status::Ok();
}

StatusOr<StatsQuery> ParseQuery(const RouteContext& ctx, int k) {
  StatsQuery q;
  q.k = k;
  LCB_RETURN_IF_ERROR(ParseGroupBy(ctx.request.Query("group_by"), &q.group_by));
  LCB_RETURN_IF_ERROR(ParsePage(ctx, &q));
  LCB_RETURN_IF_ERROR(ParseRegion(ctx, &q.region_prefix));
  if (const std::string* level = ctx.request.Query("region_level")) {
    if (!ParseRegionLevel(*level, &q.region_level)) {
      return Status::InvalidArgument(Field("/region_level"), "must be county, city or province");
    }
  }
  return q;
}

}  // namespace

void AddStatsRoutes(Router& router, StatsService& stats, int k) {
  StatsService* s = &stats;
  router.Add(
      "GET", "/v1/stats", kAdmin | kRegulatorRole,
      "Aggregate statistics by region, kind, level, year, issuer; cells of fewer than k learners "
      "suppressed; text/csv on request; pages with limit and cursor",
      [s, k](RouteContext& ctx, Respond respond) {
        auto query = ParseQuery(ctx, k);
        if (!query.ok()) return respond(ProblemResponse(query.status(), ctx.request.request_id));
        auto result = s->Compute(*query);
        if (!result.ok()) return respond(ProblemResponse(result.status(), ctx.request.request_id));
        const std::string next = result->more ? Cursor(*result) : "";
        const std::string* accept = ctx.request.Header("accept");
        if (accept && accept->find("text/csv") != std::string::npos) {
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
      RunOn::kBlockingPool);
}

}  // namespace lcb
