// Routes: method + path pattern ("/v1/records/{id}") -> handler, with the roles that may call
// it. Authentication and the role check happen here, in one place, before any handler runs;
// object-level checks (is this the learner's own record?) go through api/handler_util.h.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
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
};

struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> params;
  bool path_known = false;  // some route has this path (for 405 vs 404)
};

class Router {
 public:
  void Add(std::string method, std::string pattern, unsigned roles, std::string summary,
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
