#include "api/handler_util.h"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "formats/text_encoding.h"

namespace lcb {

size_t RecordIndexOf(std::string_view pointer) {
  constexpr std::string_view kPrefix = "/records/";
  if (!pointer.starts_with(kPrefix)) return SIZE_MAX;
  pointer.remove_prefix(kPrefix.size());
  size_t index = 0;
  const auto [end, ec] = std::from_chars(pointer.data(), pointer.data() + pointer.size(), index);
  if (ec != std::errc() || end == pointer.data() ||
      (end != pointer.data() + pointer.size() && *end != '/')) {
    return SIZE_MAX;
  }
  return index;
}

namespace {

// A problem+json lists this many problems at most (docs/api.md); `detail` counts them all.
constexpr size_t kMaxListedProblems = 1000;

// "N records were rejected", "1 record was rejected (3 problems)": the records named by the
// problems' pointers (problems of a single posted record, without "/records/<i>", are one).
std::string RejectedCount(const std::vector<Status>& problems) {
  std::unordered_set<size_t> records;
  for (const Status& s : problems) records.insert(RecordIndexOf(s.pointer()));
  std::string out = std::to_string(records.size()) +
                    (records.size() == 1 ? " record was rejected" : " records were rejected");
  if (problems.size() > records.size()) {
    out += " (" + std::to_string(problems.size()) + " problems)";
  }
  return out;
}

}  // namespace

HttpResponse BatchProblem(const Status& first, const BatchErrors& errors,
                          const std::string& request_id) {
  HttpResponse r = ProblemResponse(first, request_id);
  if (errors.errors.size() > 0) {
    json doc = json::parse(r.body);
    json list = json::array();
    const size_t listed = std::min(errors.errors.size(), kMaxListedProblems);
    for (size_t i = 0; i < listed; ++i) {
      const Status& s = errors.errors[i];
      list.push_back({{"pointer", s.pointer()}, {"detail", s.message()}});
    }
    doc["errors"] = list;
    if (errors.errors.size() > 1) {
      doc["detail"] =
          RejectedCount(errors.errors) + "; nothing was stored. First: " + first.message();
    }
    r.body = Dump(doc);
  }
  return r;
}

bool JsonBodyType(const HttpRequest& request) {
  const std::string* type = request.Header("content-type");
  if (!type) return true;
  // The media type (lower case, parameters aside): application/json, a structured +json type,
  // or what curl -d sends (application/x-www-form-urlencoded; the body decides).
  const std::string media = formats::MediaTypeOf(*type);
  return media == "application/json" || media == "application/x-www-form-urlencoded" ||
         (media.size() > 5 && media.ends_with("+json") && media.find('/') != std::string::npos);
}

bool ParseJsonRequest(const RouteContext& ctx, const Respond& respond, json* out,
                      const char* accepted) {
  if (!JsonBodyType(ctx.request)) {
    respond(ProblemResponse(415, std::string("expected Content-Type: ") + accepted,
                            ctx.request.request_id));
    return false;
  }
  auto parsed = ParseJsonBody(ctx.request.body);
  if (!parsed.ok()) {
    // What does not parse is the body itself: named so (a pointer to a member only for a
    // member's problem, as a duplicate key is).
    const Status& s = parsed.status();
    respond(ProblemResponse(s.pointer().empty() && s.code() == StatusCode::kInvalidArgument
                                ? Status::InvalidArgument(Field("/body"), s.message())
                                : s,
                            ctx.request.request_id));
    return false;
  }
  if (!parsed->is_object()) {
    respond(ProblemResponse(Status::InvalidArgument(Field("/body"), "body must be a JSON object"),
                            ctx.request.request_id));
    return false;
  }
  *out = std::move(parsed).value();
  return true;
}

bool HasLeadingZero(std::string_view text) {
  return text.size() > 1 && text[0] == '0' &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ParseCanonicalUint(std::string_view text, uint64_t* out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  *out = value;
  return true;
}

std::string CanonicalUintProblem(std::string_view text, uint64_t max_value) {
  const std::string range = "must be a whole number from 0 to " + std::to_string(max_value);
  uint64_t value = 0;
  if (!ParseCanonicalUint(text, &value)) {
    return HasLeadingZero(text) ? range + kCanonicalDecimal : range;
  }
  return value > max_value ? range : std::string();
}

bool QueryUint(const RouteContext& ctx, const Respond& respond, const std::string& name,
               uint64_t default_value, uint64_t max_value, uint64_t* out, bool required) {
  const std::string* v = ctx.request.Query(name);
  if (!v) {
    if (required) {
      respond(
          ProblemResponse(Status::InvalidArgument(Field("/" + name), "query parameter is required"),
                          ctx.request.request_id));
      return false;
    }
    *out = default_value;
    return true;
  }
  if (std::string why = CanonicalUintProblem(*v, max_value); !why.empty()) {
    respond(
        ProblemResponse(Status::InvalidArgument(Field("/" + name), why), ctx.request.request_id));
    return false;
  }
  ParseCanonicalUint(*v, out);
  return true;
}

bool QueryBool(const RouteContext& ctx, const Respond& respond, const std::string& name,
               bool* out) {
  const std::string* v = ctx.request.Query(name);
  if (!v || *v == "false" || *v == "0") {
    *out = false;
    return true;
  }
  if (*v == "true" || *v == "1") {
    *out = true;
    return true;
  }
  respond(ProblemResponse(
      Status::InvalidArgument(Field("/" + name), "must be true, false, 1 or 0, not '" + *v + "'"),
      ctx.request.request_id));
  return false;
}

bool QueryLimit(const RouteContext& ctx, const Respond& respond, uint64_t default_value,
                uint64_t max_value, uint64_t* out) {
  if (!QueryUint(ctx, respond, "limit", default_value, max_value, out)) return false;
  if (*out == 0) {
    respond(ProblemResponse(
        Status::InvalidArgument(Field("/limit"),
                                "must be a whole number from 1 to " + std::to_string(max_value)),
        ctx.request.request_id));
    return false;
  }
  return true;
}

bool CanReadLearner(LearnerService& learners, const Principal& p, const std::string& learner) {
  if (p.is_learner(learner) || p.is_auditor()) return true;
  if (p.kind == RoleKind::kInstitution) return learners.HasGrant(learner, p.subject);
  return false;
}

bool CanReadRecord(LearnerService& learners, const Principal& p, const StoredRecord& rec) {
  if (p.is_institution(rec.record.issuer)) return true;
  return CanReadLearner(learners, p, rec.record.learner);
}

}  // namespace lcb
