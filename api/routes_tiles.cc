// The transparency log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles) under /log/:
//   GET /log/checkpoint                      the latest signed checkpoint (text, not cached)
//   GET /log/tile/<L>/<N>[.p/<W>]            hash tiles (anyone)
//   GET /log/tile/entries/<N>[.p/<W>]        entry bundles (auditors, as GET /v1/log/entries)
// A tile or bundle of a given (L, N, W) never changes once it exists, so every 200 carries
// `Cache-Control: ... max-age=31536000, immutable` and an ETag naming it; an entry bundle is
// `private` (it answers an authenticated request), a hash tile `public`. A tile the tree does
// not have (yet) is 404 and not cached. An entry bundle is sent gzip-encoded to a client that
// accepts it (`Accept-Encoding: gzip`; JSON entries shrink ~7x, and an auditor reads the whole
// log), with `Vary: Accept-Encoding` and its own ETag; hash tiles (random hashes) never are.
#include "api/routes_tiles.h"

#include <cctype>
#include <optional>

#include "api/handler_util.h"
#include "crypto/gzip.h"
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

// Whether an Accept-Encoding header value takes gzip: "gzip", "x-gzip" or "*", without q=0
// (RFC 9110 12.5.3; a coding named explicitly wins over "*").
bool AcceptsGzip(const std::string* header) {
  if (header == nullptr) return false;
  std::optional<bool> named, any;
  size_t pos = 0;
  while (pos <= header->size()) {
    size_t comma = header->find(',', pos);
    if (comma == std::string::npos) comma = header->size();
    std::string item = header->substr(pos, comma - pos);
    pos = comma + 1;
    std::string coding, params;
    const size_t semi = item.find(';');
    coding = item.substr(0, semi);
    if (semi != std::string::npos) params = item.substr(semi + 1);
    auto trim = [](std::string s) {
      std::string out;
      for (char c : s) {
        if (c != ' ' && c != '\t')
          out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      return out;
    };
    coding = trim(coding);
    params = trim(params);
    // q=0, q=0.0, q=0.000: refused; any other weight (or none) accepts.
    bool refused = false;
    if (params.rfind("q=", 0) == 0) {
      const std::string q = params.substr(2);
      refused = !q.empty() && q.find_first_not_of("0.") == std::string::npos;
    }
    if (coding == "gzip" || coding == "x-gzip") named = !refused;
    if (coding == "*") any = !refused;
  }
  if (named) return *named;
  return any.value_or(false);
}

HttpResponse TileResponse(const RouteContext& ctx, const TileRef& ref, std::string body,
                          const std::string& log_id) {
  HttpResponse r;
  const bool gzip = ref.entries() && AcceptsGzip(ctx.request.Header("accept-encoding"));
  // Each representation has its own strong validator.
  std::string etag = ETagFor(log_id, ref);
  if (gzip) etag.insert(etag.size() - 1, "-gz");
  r.headers.emplace_back("Cache-Control", ref.entries() ? "private, max-age=31536000, immutable"
                                                        : "public, max-age=31536000, immutable");
  r.headers.emplace_back("ETag", etag);
  if (ref.entries()) r.headers.emplace_back("Vary", "Accept-Encoding");
  const std::string* match = ctx.request.Header("if-none-match");
  if (match != nullptr && *match == etag) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.status = 200;
  r.content_type = "application/octet-stream";
  if (gzip) {
    // Level 1: this runs on the HTTP thread, and the fastest level already shrinks JSON entries
    // about 7-fold.
    r.body = GzipCompress(body, 1);
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body = std::move(body);
  }
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
