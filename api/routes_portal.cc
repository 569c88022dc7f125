// The web portal (/portal/) and the API reference (/docs/), served from files compiled into
// the binary (api/static_assets.h). Content-hashed scripts and styles are immutable for a
// year; entry pages are revalidated by ETag. Every answer carries the security headers.
#include <optional>
#include <string>
#include <string_view>

#include "api/handler_util.h"
#include "api/portal_routes.h"
#include "api/static_assets.h"

namespace lcb {
namespace {

// The portal: its own scripts, styles and API calls only; no inline script or style, no
// frames, no plugins, no <base> rewriting.
constexpr const char* kPortalCsp =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'";
// The API reference renderer (Redoc) injects its styles as <style> elements at run time
// (styled-components) and draws logos from data: URLs, so /docs/ alone allows inline styles
// and data: images; scripts stay 'self' only. Nothing of the portal runs under this policy.
constexpr const char* kDocsCsp =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "object-src 'none'";

constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kRevalidate = "no-cache";

void AddSecurityHeaders(HttpResponse* r, const char* csp) {
  r->headers.emplace_back("Content-Security-Policy", csp);
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
  r->headers.emplace_back("X-Frame-Options", "DENY");
  // X-Content-Type-Options: nosniff is on every response (api/server.cc).
}

// RFC 9110 §13.1.2: If-None-Match holds "*" or a list of entity tags, weak ones included.
bool EtagMatches(const std::string& header, std::string_view etag) {
  if (header == "*") return true;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string::npos) comma = header.size();
    std::string_view tag = std::string_view(header).substr(pos, comma - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    pos = comma + 1;
  }
  return false;
}

HttpResponse Redirect(int status, const std::string& location, const char* csp) {
  HttpResponse r = TextResponse(status, "");
  r.headers.emplace_back("Location", location);
  AddSecurityHeaders(&r, csp);
  return r;
}

HttpResponse ServeAsset(const HttpRequest& req, const std::string& path, const char* csp) {
  const StaticAsset* asset = FindAsset(path);
  if (!asset) {
    HttpResponse r = ProblemResponse(404, "no such file: " + req.path, req.request_id);
    AddSecurityHeaders(&r, csp);
    return r;
  }
  HttpResponse r;
  r.content_type = std::string(asset->content_type);
  r.headers.emplace_back("ETag", std::string(asset->etag));
  r.headers.emplace_back("Cache-Control", asset->immutable ? kImmutable : kRevalidate);
  AddSecurityHeaders(&r, csp);
  const std::string* if_none_match = req.Header("if-none-match");
  if (if_none_match && EtagMatches(*if_none_match, asset->etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.body = std::string(asset->body);
  return r;
}

// JSON to sit inside <script type="application/json">: ASCII only, and no "<" (so neither
// "</script>" nor "<!--" can end or bend the block).
std::string ScriptSafeJson(const json& value) {
  std::string out;
  for (char c : value.dump(-1, ' ', /*ensure_ascii=*/true)) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

// The portal's entry page for a browser signed in by a session cookie: the page with the
// session (what GET /v1/sessions/current answers, CSRF token included) in a data block that
// main.js reads before anything else, so the first page's data is asked for at once. It is
// the caller's own, so it is never stored by a cache nor answered by ETag.
std::optional<HttpResponse> PageWithSession(Sessions& sessions, const RouteContext& ctx) {
  if (ctx.principal.session_id.empty()) return std::nullopt;
  auto session = CurrentSessionJson(sessions, ctx.request, ctx.principal);
  const StaticAsset* asset = FindAsset("/portal/index.html");
  if (!session.ok() || !asset) return std::nullopt;
  constexpr std::string_view kMarker = "<!-- session -->";
  std::string body(asset->body);
  size_t at = body.find(kMarker);
  if (at == std::string::npos) return std::nullopt;
  body.replace(at, kMarker.size(),
               "<script type=\"application/json\" id=\"cb-session\">" + ScriptSafeJson(*session) +
                   "</script>");
  HttpResponse r;
  r.status = 200;
  r.content_type = std::string(asset->content_type);
  r.headers.emplace_back("Cache-Control", "private, no-store");
  r.headers.emplace_back("Vary", "Cookie");
  AddSecurityHeaders(&r, kPortalCsp);
  r.body = std::move(body);
  return r;
}

// GET <mount> (redirect), <mount>/ (the entry page) and <mount>/{file}. `sessions` is set for
// the portal, whose entry page carries a signed-in browser's session.
void AddMount(Router& router, const std::string& mount, const std::string& what, const char* csp,
              Sessions* sessions) {
  router
      .Add("GET", mount, kAnyone, "Redirects to " + mount + "/",
           [mount, csp](RouteContext&, Respond respond) {
             respond(Redirect(301, mount + "/", csp));
           })
      .IgnoresQuery();
  router
      .Add("GET", mount + "/", kAnyone, what + " (HTML; revalidated by ETag)",
           [mount, csp, sessions](RouteContext& ctx, Respond respond) {
             if (sessions) {
               if (auto page = PageWithSession(*sessions, ctx)) return respond(std::move(*page));
             }
             respond(ServeAsset(ctx.request, mount + "/index.html", csp));
           })
      .IgnoresQuery();
  router
      .Add("GET", mount + "/{file}", kAnyone,
           "A file of " + what + "; content-hashed names are immutable for a year",
           [mount, csp](RouteContext& ctx, Respond respond) {
             respond(ServeAsset(ctx.request, mount + "/" + ctx.params["file"], csp));
           })
      .IgnoresQuery();
}

}  // namespace

void AddPortalRoutes(Router& router, Sessions& sessions) {
  router
      .Add("GET", "/", kAnyone, "Redirects to the web portal at /portal/",
           [](RouteContext&, Respond respond) { respond(Redirect(302, "/portal/", kPortalCsp)); })
      .IgnoresQuery();
  AddMount(router, "/portal", "the web portal for learners, registrars and auditors", kPortalCsp,
           &sessions);
  AddMount(router, "/docs", "this API's reference, rendered from /openapi.json", kDocsCsp, nullptr);
}

}  // namespace lcb
