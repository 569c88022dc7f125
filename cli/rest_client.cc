#include "cli/rest_client.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <thread>

#include "codec/json_util.h"
#include "crypto/gzip.h"

namespace lcb {
namespace {

std::string Describe(const std::string& method, const std::string& target) {
  return method + " " + target.substr(0, target.find('?'));
}

// The problem document's detail and pointer (either may be empty).
std::pair<std::string, std::string> DetailAndPointer(const ClientResponse& r) {
  json doc = json::parse(r.body, nullptr, false);
  if (!doc.is_object()) return {r.body.substr(0, 200), ""};
  std::string detail = doc.contains("detail") && doc["detail"].is_string()
                           ? doc["detail"].get<std::string>()
                           : r.body.substr(0, 200);
  std::string pointer;
  if (doc.contains("pointer") && doc["pointer"].is_string()) {
    pointer = doc["pointer"].get<std::string>();
  } else if (doc.contains("errors") && doc["errors"].is_array() && !doc["errors"].empty() &&
             doc["errors"][0].is_object() && doc["errors"][0].contains("pointer") &&
             doc["errors"][0]["pointer"].is_string()) {
    pointer = doc["errors"][0]["pointer"].get<std::string>();
  }
  return {detail, pointer};
}

// A gzip-encoded answer's body, decoded in place (at most kMaxDecodedBytes); any other coding
// than gzip or identity is an error, as is a body that does not decode.
Status DecodeBody(ClientResponse& r, const std::string& what) {
  constexpr size_t kMaxDecodedBytes = size_t{512} << 20;
  auto it = r.headers.find("content-encoding");
  if (it == r.headers.end() || it->second.empty() || it->second == "identity") return Status::Ok();
  if (it->second != "gzip") {
    return Status::DataLoss(what + ": the server answered in Content-Encoding '" + it->second +
                            "', which was not asked for");
  }
  auto decoded = GzipDecompress(r.body, kMaxDecodedBytes);
  if (!decoded.ok()) {
    return Status::DataLoss(
        what + ": the gzip-encoded answer does not decode: " + decoded.status().message());
  }
  r.body = std::move(decoded).value();
  r.headers.erase(it);
  return Status::Ok();
}

}  // namespace

int RetryAfterSeconds(const ClientResponse& r) {
  auto it = r.headers.find("retry-after");
  if (it == r.headers.end() || it->second.empty()) return 1;
  int seconds = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9') return 1;  // an HTTP-date: not worth parsing, wait a second
    seconds = std::min(RestClient::kMaxRetryAfterSeconds, seconds * 10 + (c - '0'));
  }
  return seconds;
}

std::string ProblemDetail(const ClientResponse& r) {
  auto [detail, pointer] = DetailAndPointer(r);
  return pointer.empty() ? detail : detail + " (at " + pointer + ")";
}

std::string PathSegment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

StatusOr<std::unique_ptr<RestClient>> RestClient::Connect(const std::string& server,
                                                          const std::string& ca_file,
                                                          bool insecure) {
  LCB_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http,
                       HttpClient::Connect(server, ca_file, insecure));
  HttpClient& ref = *http;
  auto rest = std::make_unique<RestClient>(ref);
  rest->owned_ = std::move(http);
  return rest;
}

RestClient::RestClient(HttpClient& http)
    : http_(http), sleep_([](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }) {}

RestClient::~RestClient() = default;

StatusOr<ClientResponse> RestClient::Send(const std::string& method, const std::string& target,
                                          const std::string& token, const std::string& body) {
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  // The bank gzips entry bundles for clients that take it; the body is handed on decoded.
  headers["Accept-Encoding"] = "gzip";
  ++requests_;
  StatusOr<ClientResponse> last = Status::Unavailable("no attempt made");
  for (int attempt = 0; attempt < kMaxTries; ++attempt) {
    last = http_.Request(method, target, body, headers, timeout_ms_);
    int wait_ms = kFirstBackoffMs << attempt;
    if (last.ok()) {
      if (last->status == 429) {
        wait_ms = RetryAfterSeconds(*last) * 1000;
      } else if (last->status == 503) {
        if (last->headers.count("retry-after")) {
          wait_ms = std::max(wait_ms, RetryAfterSeconds(*last) * 1000);
        }
      } else {
        LCB_RETURN_IF_ERROR(DecodeBody(*last, Describe(method, target)));
        return last;
      }
    }
    if (attempt + 1 == kMaxTries) break;
    ++retries_;
    sleep_(std::chrono::milliseconds(wait_ms));
  }
  const std::string what = Describe(method, target);
  if (last.ok()) {
    return Status::Unavailable(what + ": the server still answers " + std::to_string(last->status) +
                               " after " + std::to_string(kMaxTries) +
                               " tries: " + ProblemDetail(*last));
  }
  return Status::Unavailable(what + ": " + last.status().message() + " (after " +
                             std::to_string(kMaxTries) + " tries)");
}

StatusOr<json> RestClient::Call(const std::string& method, const std::string& target,
                                const std::string& token, const json& body,
                                std::initializer_list<int> accept, int* status_out) {
  LCB_ASSIGN_OR_RETURN(ClientResponse r,
                       Send(method, target, token, body.is_null() ? "" : Dump(body)));
  if (status_out) *status_out = r.status;
  if (std::find(accept.begin(), accept.end(), r.status) == accept.end()) {
    auto [detail, pointer] = DetailAndPointer(r);
    std::string message = Describe(method, target) + ": HTTP " + std::to_string(r.status) + ": " +
                          detail + (pointer.empty() ? "" : " (at " + pointer + ")");
    StatusCode code = r.status == 404 ? StatusCode::kNotFound : StatusCode::kFailedPrecondition;
    if (pointer.empty()) return Status(code, std::move(message));
    return Status(code, Field(pointer), std::move(message));
  }
  json doc = json::parse(r.body, nullptr, false);
  return doc.is_discarded() ? json() : doc;
}

}  // namespace lcb
