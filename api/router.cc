#include "api/router.h"

namespace lcb {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

}  // namespace

Route& Router::Add(std::string method, std::string pattern, unsigned roles, std::string summary,
                   Handler handler, RunOn run_on) {
  Route r{std::move(method),
          pattern,
          roles,
          std::move(summary),
          std::move(handler),
          Split(pattern),
          run_on,
          {},
          {},
          false};
  routes_.push_back(std::move(r));
  return routes_.back();
}

const QueryParam* Route::FindQueryParam(const std::string& name) const {
  for (const QueryParam& p : query) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const std::string* UndeclaredQueryParam(const Route& route, const HttpRequest& request) {
  if (route.any_query) return nullptr;
  for (const auto& entry : request.query) {
    if (!route.FindQueryParam(entry.first)) return &entry.first;
  }
  return nullptr;
}

Status UnknownQueryParam(const Route& route, const std::string& name) {
  std::string takes;
  for (const QueryParam& p : route.query) takes += (takes.empty() ? "" : ", ") + p.name;
  return Status::InvalidArgument(
      Field("/" + name), "unknown query parameter '" + name + "': " + route.method + " " +
                             route.pattern +
                             (takes.empty() ? " takes no query parameters" : " takes " + takes));
}

void Router::BlockWhen(std::string_view method, std::string_view pattern,
                       std::function<bool(const HttpRequest&)> when) {
  for (Route& r : routes_) {
    if (r.method == method && r.pattern == pattern) r.blocking_if = when;
  }
}

RouteMatch Router::Match(const std::string& method, const std::string& path) const {
  RouteMatch m;
  if (path.empty() || path[0] != '/') return m;
  std::vector<std::string> segs = Split(path);
  for (const Route& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const std::string& p = r.segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        if (segs[i].empty()) ok = false;
        else params[p.substr(1, p.size() - 2)] = segs[i];
      } else if (p != segs[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    m.path_known = true;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
  }
  return m;
}

}  // namespace lcb
