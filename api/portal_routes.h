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
// GET /, /portal, /portal/, /portal/{file}, /docs, /docs/, /docs/{file}.
void AddPortalRoutes(Router& router);

}  // namespace lcb
