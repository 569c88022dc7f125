#include "api/problem.h"

#include <nlohmann/json.hpp>

#include "api/logging.h"

namespace lcb {
namespace {

const char* TitleFor(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

const char* TypeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return "urn:creditbank:problem:invalid-argument";
    case StatusCode::kNotFound: return "urn:creditbank:problem:not-found";
    case StatusCode::kAlreadyExists: return "urn:creditbank:problem:conflict";
    case StatusCode::kFailedPrecondition: return "urn:creditbank:problem:failed-precondition";
    case StatusCode::kPermissionDenied: return "urn:creditbank:problem:forbidden";
    case StatusCode::kUnauthenticated: return "urn:creditbank:problem:unauthenticated";
    case StatusCode::kResourceExhausted: return "urn:creditbank:problem:limit";
    case StatusCode::kUnavailable: return "urn:creditbank:problem:unavailable";
    case StatusCode::kDataLoss: return "urn:creditbank:problem:data-loss";
    default: return "urn:creditbank:problem:internal";
  }
}

}  // namespace

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kResourceExhausted: return 413;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDataLoss: return 500;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

HttpResponse ProblemResponse(int http_status, const std::string& detail,
                             const std::string& request_id, const std::string& pointer) {
  nlohmann::json doc = {{"type", "about:blank"},
                        {"title", TitleFor(http_status)},
                        {"status", http_status},
                        {"detail", detail},
                        {"request_id", request_id}};
  if (!pointer.empty()) doc["pointer"] = pointer;
  HttpResponse r;
  r.status = http_status;
  r.content_type = "application/problem+json";
  r.body = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse ProblemResponse(const Status& status, const std::string& request_id) {
  int http = HttpStatusFor(status.code());
  // What the storage engine says (RocksDB's file names, libpq's host, port and user) is for
  // the operator's log, not for whoever sent the request: the answer says what happened.
  if (status.backend()) {
    LogJson(LogLevel::kWarn, "database error",
            {{"request_id", request_id}, {"error", status.message()}});
    return ProblemResponse(Status(status.code(), status.code() == StatusCode::kUnavailable
                                                     ? "the database does not answer; try again "
                                                       "later (the server's log has the reason)"
                                                     : "the database failed (the server's log "
                                                       "has the reason)"),
                           request_id);
  }
  HttpResponse r = ProblemResponse(http, status.message(), request_id, status.pointer());
  // Keep the problem type specific to the cause.
  auto doc = nlohmann::json::parse(r.body);
  doc["type"] = TypeFor(status.code());
  if (status.code() == StatusCode::kInvalidArgument && !status.pointer().empty()) {
    doc["errors"] = nlohmann::json::array({{{"pointer", status.pointer()},
                                            {"detail", status.message()}}});
  }
  r.body = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Every 503 of a Status (a full disk, a database away, a lease being taken) is temporary:
  // clients and the CLI's retries wait a second (RFC 9110 10.2.3).
  if (status.code() == StatusCode::kUnavailable) r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace lcb
