// The transparency log served as C2SP tlog-tiles under /log/ (api/routes_tiles.cc).
#pragma once

#include <string>
#include <vector>

#include "api/router.h"
#include "service/log.h"

namespace lcb {

// GET /log/checkpoint, GET /log/tile/<L>/<N>[.p/<W>] and GET /log/tile/entries/<N>[.p/<W>].
// Hash tiles are public; entry bundles follow GET /v1/log/entries: entry bytes for auditors
// only (401 without a token, 403 for any other role).
void AddTileRoutes(Router& router, LogService& log);

// The router patterns the tile paths are registered under: one per number of path segments
// after /log/tile/{L} (the index takes 1-7, a partial tile one more), since a pattern
// parameter matches one segment. For the OpenAPI document.
std::vector<std::string> TileRoutePatterns();

}  // namespace lcb
