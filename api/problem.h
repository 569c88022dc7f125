// RFC 9457 problem details: the one place that maps Status codes to HTTP statuses.
#pragma once

#include <string>

#include "api/http.h"
#include "common/status.h"

namespace lcb {

int HttpStatusFor(StatusCode code);
// {"type", "title", "status", "detail", "pointer"?, "request_id"} as application/problem+json.
HttpResponse ProblemResponse(const Status& status, const std::string& request_id);
HttpResponse ProblemResponse(int http_status, const std::string& detail,
                             const std::string& request_id, const std::string& pointer = {});

}  // namespace lcb
