// Small helpers shared by the route files.
#pragma once

#include <string>

#include "api/http.h"
#include "api/problem.h"
#include "api/router.h"
#include "codec/json_util.h"
#include "service/learners.h"
#include "service/records.h"

namespace lcb {

inline HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = Dump(body);
  return r;
}

inline HttpResponse TextResponse(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

// The record index i of a "/records/<i>[/...]" pointer, or SIZE_MAX for any other pointer.
size_t RecordIndexOf(std::string_view pointer);

// Problem for a whole batch: the first error is the headline, every error is listed (a record
// may have several); with more than one, `detail` counts the records rejected (and the problems,
// when a record has more than one) before quoting the first.
HttpResponse BatchProblem(const Status& first, const BatchErrors& errors,
                          const std::string& request_id);

// Parses the body as a JSON object or answers 400/415 itself (returns false).
// `accepted`: what the 415 says the route takes.
bool ParseJsonRequest(const RouteContext& ctx, const Respond& respond, json* out,
                      const char* accepted = "application/json");
// Whether the Content-Type lets the body be read as JSON (ParseJsonRequest answers 415 if not).
bool JsonBodyType(const HttpRequest& request);

// Whether `text` is a number in canonical decimal: "0" or [1-9][0-9]* (no sign, no leading
// zero, no spaces) that fits in 64 bits. One number, one spelling: `index=01` and `index=1`
// would otherwise name the same proof under two URLs (two cache entries, two log lines).
bool ParseCanonicalUint(std::string_view text, uint64_t* out);
// Digits with a leading zero ("01", "007"): what ParseCanonicalUint refuses that from_chars
// would read, so a 400 can say so.
bool HasLeadingZero(std::string_view text);
inline constexpr const char* kCanonicalDecimal =
    " in canonical decimal, without leading zeros (0 or [1-9][0-9]*)";
// Why `text` is not a canonical decimal from 0 to `max_value` (for a 400's detail), or "".
std::string CanonicalUintProblem(std::string_view text, uint64_t max_value);

// Query parameter helpers; on a bad value they answer 400 and return false.
// QueryUint takes canonical decimal only (ParseCanonicalUint).
bool QueryUint(const RouteContext& ctx, const Respond& respond, const std::string& name,
               uint64_t default_value, uint64_t max_value, uint64_t* out, bool required = false);
// A yes/no switch (?dry_run=, ?create_learners=): absent is false; only "true", "1", "false" and
// "0" are read. Anything else is refused rather than taken as false, so ?dry_run=maybe never
// stores what its sender took for a test.
bool QueryBool(const RouteContext& ctx, const Respond& respond, const std::string& name, bool* out);
// A page size (?limit=): 1 to max_value, default_value when absent. 0 is refused: it would
// read as "no limit" or as the default, and neither is what was asked.
bool QueryLimit(const RouteContext& ctx, const Respond& respond, uint64_t default_value,
                uint64_t max_value, uint64_t* out);

// Object-level authorization (who may see a learner's data), in one place.
// The learner itself, auditors, and institutions the learner granted access to.
bool CanReadLearner(LearnerService& learners, const Principal& p, const std::string& learner);
// Everyone who may read the learner's data, plus the record's issuer.
bool CanReadRecord(LearnerService& learners, const Principal& p, const StoredRecord& rec);

// Answers a service result: the JSON of the value with `status`, or the problem.
template <typename T, typename ToJson>
void RespondWith(const RouteContext& ctx, const Respond& respond, StatusOr<T> result, int status,
                 ToJson to_json) {
  if (!result.ok()) return respond(ProblemResponse(result.status(), ctx.request.request_id));
  respond(JsonResponse(status, to_json(*result)));
}

}  // namespace lcb
