#include "api/forwarder.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "api/logging.h"
#include "api/problem.h"

namespace lcb {
namespace {

// Hop-by-hop and framing headers: the client sets its own.
bool Hop(std::string_view name) {
  static constexpr std::array<std::string_view, 10> kHop = {
      "connection",          "keep-alive",       "transfer-encoding", "te",  "trailer", "upgrade",
      "proxy-authorization", "proxy-connection", "content-length",    "host"};
  return std::find(kHop.begin(), kHop.end(), name) != kHop.end();
}

constexpr int kTimeoutMs = 60'000;
constexpr size_t kMaxIdlePerUrl = 64;

}  // namespace

void WriteForwarder::Forward(std::string base_url, std::shared_ptr<const HttpRequest> request,
                             std::string tag, Respond respond) {
  pool_.Post([this, base_url = std::move(base_url), request = std::move(request),
              tag = std::move(tag),
              respond = std::move(respond)] { respond(Send(base_url, *request, tag)); });
}

std::unique_ptr<HttpClient> WriteForwarder::TakeClient(const std::string& base_url, Status* error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& idle = idle_[base_url];
    if (!idle.empty()) {
      std::unique_ptr<HttpClient> c = std::move(idle.back());
      idle.pop_back();
      return c;
    }
  }
  StatusOr<std::unique_ptr<HttpClient>> c = HttpClient::Connect(base_url);
  if (!c.ok()) {
    *error = c.status();
    return nullptr;
  }
  return std::move(c).value();
}

void WriteForwarder::ReturnClient(const std::string& base_url, std::unique_ptr<HttpClient> client) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& idle = idle_[base_url];
  if (idle.size() < kMaxIdlePerUrl) idle.push_back(std::move(client));
}

HttpResponse WriteForwarder::Send(const std::string& base_url, const HttpRequest& request,
                                  const std::string& tag) {
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    if (!Hop(name)) headers[name] = value;
  }
  headers[kForwardedHeader] = tag;
  headers["x-forwarded-for"] = request.remote;
  headers["x-request-id"] = request.request_id;
  Status error;
  std::unique_ptr<HttpClient> client = TakeClient(base_url, &error);
  StatusOr<ClientResponse> answer =
      client ? client->Request(request.method, request.target, request.body, headers, kTimeoutMs)
             : StatusOr<ClientResponse>(error);
  if (!answer.ok()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      failed_++;
    }
    LogJson(LogLevel::kWarn, "could not forward a write to the log writer",
            {{"request_id", request.request_id},
             {"writer", base_url},
             {"error", answer.status().ToString()}});
    HttpResponse r = ProblemResponse(503,
                                     "the node that writes the log (" + base_url +
                                         ") could not be reached: " + answer.status().message() +
                                         "; retry (with the same idempotency key, a retry of a "
                                         "write that was committed is recognised)",
                                     request.request_id);
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  ReturnClient(base_url, std::move(client));
  {
    std::lock_guard<std::mutex> lock(mu_);
    forwarded_++;
  }
  HttpResponse r;
  r.status = answer->status;
  r.body = std::move(answer->body);
  r.content_type.clear();
  for (auto& [name, value] : answer->headers) {
    if (name == "content-type") {
      r.content_type = value;
    } else if (!Hop(name) && name != "date" && name != "server" &&
               name != "x-content-type-options") {
      r.headers.emplace_back(name, value);
    }
  }
  return r;
}

uint64_t WriteForwarder::forwarded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return forwarded_;
}

uint64_t WriteForwarder::failed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

}  // namespace lcb
