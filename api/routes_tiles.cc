// The transparency log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles) under /log/:
//   GET /log/checkpoint                      the latest signed checkpoint (text, not cached)
//   GET /log/tile/<L>/<N>[.p/<W>]            hash tiles (anyone)
//   GET /log/tile/entries/<N>[.p/<W>]        entry bundles (auditors, as GET /v1/log/entries)
// A tile or bundle of a given (L, N, W) never changes once it exists, so every 200 carries
// `Cache-Control: ... max-age=31536000, immutable` and an ETag naming it; an entry bundle is
// `private` (it answers an authenticated request), a hash tile `public`. A tile the tree does
// not have (yet) is 404 and not cached. Bundles are not gzip-encoded (the spec's SHOULD).
#include "api/routes_tiles.h"

#include "api/handler_util.h"
#include "crypto/sha256.h"
#include "crypto/tiles.h"

namespace lcb {
namespace {

constexpr char kTilePrefix[] = "/log/tile/";
constexpr int kMaxPathSegments = 8;  // 7 index groups, or 7 and the width of a partial tile

// Strong validator for an immutable resource: the log's identity and the resource's name
// (the same (L, N, W) of one log always holds the same bytes; no hashing per request).
std::string ETagFor(const std::string& log_id, const TileRef& ref) {
  return "\"" + log_id + "-" + (ref.entries() ? std::string("e") : std::to_string(ref.level)) +
         "-" + std::to_string(ref.index) + "-" + std::to_string(ref.width) + "\"";
}

HttpResponse TileResponse(const RouteContext& ctx, const TileRef& ref, std::string body,
                          const std::string& log_id) {
  HttpResponse r;
  const std::string etag = ETagFor(log_id, ref);
  r.headers.emplace_back("Cache-Control", ref.entries() ? "private, max-age=31536000, immutable"
                                                        : "public, max-age=31536000, immutable");
  r.headers.emplace_back("ETag", etag);
  const std::string* match = ctx.request.Header("if-none-match");
  if (match != nullptr && *match == etag) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.status = 200;
  r.content_type = "application/octet-stream";
  r.body = std::move(body);
  return r;
}

// Who may read entry bytes: auditors (DESIGN.md, GET /v1/log/entries). Anyone may read the
// level-0 hash tiles, which hold the same leaf hashes /v1/log/entries gives them.
Status MayReadEntries(const Principal& p) {
  if (p.is_auditor()) return Status::Ok();
  if (p.kind == RoleKind::kAnonymous) {
    return Status::Unauthenticated("entry bundles need an auditor's token (Authorization: Bearer)");
  }
  return Status::PermissionDenied("entry bundles are for auditors; hash tiles are public");
}

void ServeTile(LogService* log, const std::string& log_id, RouteContext& ctx, Respond respond) {
  const std::string& path = ctx.request.path;
  auto ref = ParseTilePath(std::string_view(path).substr(sizeof(kTilePrefix) - 1));
  if (!ref.ok()) return respond(ProblemResponse(ref.status(), ctx.request.request_id));
  if (ref->entries()) {
    Status may = MayReadEntries(ctx.principal);
    if (!may.ok()) {
      HttpResponse r = ProblemResponse(may, ctx.request.request_id);
      if (may.code() == StatusCode::kUnauthenticated)
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return respond(std::move(r));
    }
  }
  auto body = ref->entries() ? log->EntryBundle(ref->index, ref->width)
                             : log->Tile(ref->level, ref->index, ref->width);
  if (!body.ok()) return respond(ProblemResponse(body.status(), ctx.request.request_id));
  respond(TileResponse(ctx, *ref, std::move(body).value(), log_id));
}

}  // namespace

std::vector<std::string> TileRoutePatterns() {
  std::vector<std::string> out;
  std::string pattern = "/log/tile/{L}";
  for (int k = 1; k <= kMaxPathSegments; ++k) {
    pattern += "/{P" + std::to_string(k) + "}";
    out.push_back(pattern);
  }
  return out;
}

void AddTileRoutes(Router& router, LogService& log) {
  LogService* l = &log;
  router.Add("GET", "/log/checkpoint", kAnyone,
             "C2SP tlog-tiles: the latest signed checkpoint (text; not cached)",
             [l](RouteContext& ctx, Respond respond) {
               HttpResponse r = TextResponse(200, l->ServedCheckpoint());
               r.headers.emplace_back("Cache-Control", "no-cache");
               respond(std::move(r));
             });
  const std::string log_id = HashHex(Sha256(l->origin())).substr(0, 16);
  for (const std::string& pattern : TileRoutePatterns()) {
    router.Add("GET", pattern, kAnyone,
               "C2SP tlog-tiles: hash tile tile/<L>/<N>[.p/<W>] (anyone) or entry bundle "
               "tile/entries/<N>[.p/<W>] (auditors); <N> in 3-digit groups, x-prefixed but the "
               "last (x001/x234/067); immutable",
               [l, log_id](RouteContext& ctx, Respond respond) {
                 ServeTile(l, log_id, ctx, std::move(respond));
               });
  }
}

}  // namespace lcb
