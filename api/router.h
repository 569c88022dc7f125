// Routes: method + path pattern ("/v1/records/{id}") -> handler, with the roles that may call
// it. Authentication and the role check happen here, in one place, before any handler runs;
// object-level checks (is this the learner's own record?) go through api/handler_util.h.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "common/status.h"
#include "service/tokens.h"

namespace lcb {

struct RouteContext {
  const HttpRequest& request;
  std::map<std::string, std::string> params;  // path parameters
  Principal principal;
};

using Handler = std::function<void(RouteContext& ctx, Respond respond)>;

// Who may call a route. kAnyone skips authentication entirely.
enum RoleMask : unsigned {
  kAnyone = 0,
  kAdmin = 1u << 0,
  kInstitutionRole = 1u << 1,
  kLearnerRole = 1u << 2,
  kAuditorRole = 1u << 3,
  kAnyAuthenticated = kAdmin | kInstitutionRole | kLearnerRole | kAuditorRole,
  // Who may ask for a learner's data (records, passbook, credentials, transcripts): the
  // learner, auditors and institutions (the handler then requires a grant or the record's
  // issuer). The admin runs the catalog and tokens, not learners' files: 403 at the mask.
  kLearnerDataReaders = kInstitutionRole | kLearnerRole | kAuditorRole,
  // Regulators see aggregate statistics only: deliberately not in kAnyAuthenticated.
  kRegulatorRole = 1u << 4,
};

// Where a handler runs. A handler that may wait on a synced write (catalog puts, tokens,
// learner accounts, grants) runs on the blocking pool so that no HTTP thread ever waits on an
// fsync; log appends are asynchronous and complete on the worker pool.
enum class RunOn { kHttpThread, kBlockingPool };

// A query parameter a route reads. The declarations are the one list of what a route takes:
// the router refuses any other parameter (400 at its pointer, before the handler runs), and the
// OpenAPI document lists exactly these.
enum class QueryType { kString, kInteger, kBoolean };
struct QueryParam {
  std::string name;
  QueryType type = QueryType::kString;
  std::string description;
  bool required = false;
  std::vector<std::string> values;  // the only values accepted, when the handler has a fixed set
};

inline QueryParam StringParam(std::string name, std::string description,
                              std::vector<std::string> values = {}) {
  return {std::move(name), QueryType::kString, std::move(description), false, std::move(values)};
}
inline QueryParam IntegerParam(std::string name, std::string description) {
  return {std::move(name), QueryType::kInteger, std::move(description), false, {}};
}
// A yes/no switch (QueryBool): true, false, 1 or 0; absent is false.
inline QueryParam BooleanParam(std::string name, std::string description) {
  return {std::move(name), QueryType::kBoolean, std::move(description), false, {}};
}
inline QueryParam Required(QueryParam p) {
  p.required = true;
  return p;
}
// ?limit= and ?cursor= of a paginated list.
inline QueryParam LimitParam(uint64_t default_value, uint64_t max_value) {
  return IntegerParam("limit", "page size, 1 to " + std::to_string(max_value) + " (default " +
                                   std::to_string(default_value) + ")");
}
inline QueryParam CursorParam() {
  return StringParam("cursor", "the next_cursor of the previous page (opaque)");
}

struct Route {
  std::string method;
  std::string pattern;  // "/v1/records/{id}"; "{name}" matches one non-empty segment
  unsigned roles = kAnyone;
  std::string summary;  // for the OpenAPI document and --help
  Handler handler;
  std::vector<std::string> segments;  // split pattern
  RunOn run_on = RunOn::kHttpThread;
  // A route that runs on the HTTP thread may send some requests to the blocking pool (those
  // that will wait on the store, e.g. POST /v1/records with ?mapping=): true for them.
  std::function<bool(const HttpRequest&)> blocking_if;
  // The query parameters the handler reads; a request with any other is refused (400) before
  // the handler runs, so that a misspelt ?dry_run= never stores what was meant as a test.
  std::vector<QueryParam> query;
  // Pages and files a browser opens (the portal, the API docs): any query is ignored, as a
  // browser or a link may add one (?utm_source=...). Nothing there reads a parameter.
  bool any_query = false;

  // Declares the query parameters (chained after Router::Add).
  Route& Takes(std::vector<QueryParam> params) {
    query = std::move(params);
    return *this;
  }
  Route& IgnoresQuery() {
    any_query = true;
    return *this;
  }
  const QueryParam* FindQueryParam(const std::string& name) const;
};

// The first query parameter (in name order) of `request` that `route` does not declare, or
// nullptr; routes that ignore the query have none.
const std::string* UndeclaredQueryParam(const Route& route, const HttpRequest& request);
// The 400 for it: invalid-argument at its pointer, naming the parameters the route takes.
Status UnknownQueryParam(const Route& route, const std::string& name);

struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> params;
  bool path_known = false;  // some route has this path (for 405 vs 404)
};

class Router {
 public:
  // Returns the route added, to declare its query parameters: router.Add(...).Takes({...}).
  // The reference is good until the next Add.
  Route& Add(std::string method, std::string pattern, unsigned roles, std::string summary,
             Handler handler, RunOn run_on = RunOn::kHttpThread);
  // Requests of the route (method, pattern) for which `when` is true run on the blocking pool.
  void BlockWhen(std::string_view method, std::string_view pattern,
                 std::function<bool(const HttpRequest&)> when);
  RouteMatch Match(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace lcb
