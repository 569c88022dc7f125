// Routes of the web portal: sign-in codes and sessions (api/routes_sessions.cc), and the
// portal's and the API reference's static files (api/routes_portal.cc).
#pragma once

#include "service/services.h"
#include "api/router.h"
#include "api/sessions.h"

namespace lcb {

// POST /v1/sign-in-codes, POST /v1/sessions, GET and DELETE /v1/sessions/current,
// GET /v1/sessions and DELETE /v1/sessions/{id}.
void AddSessionRoutes(Router& router, Services& services, Sessions& sessions);
// What GET /v1/sessions/current answers: the caller's session with its CSRF token, or NotFound
// when the request was not made with a portal session cookie.
StatusOr<json> CurrentSessionJson(Sessions& sessions, const HttpRequest& request,
                                  const Principal& principal);
// GET /, /portal, /portal/, /portal/{file}, /docs, /docs/, /docs/{file}. A signed-in browser's
// /portal/ carries its session (as GET /v1/sessions/current would answer) in the page, so the
// portal draws its first page without asking for it first.
void AddPortalRoutes(Router& router, Sessions& sessions);

}  // namespace lcb
