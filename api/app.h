// App: turns HTTP requests into handler calls. Routing, authentication, the role check of
// every route, rate limiting, metrics and the request log all happen here, in one place.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/forwarder.h"
#include "api/http.h"
#include "api/router.h"
#include "api/sessions.h"
#include "api/status_list_fetcher.h"
#include "codec/json_util.h"
#include "service/services.h"

namespace lcb {

class HttpServer;

// Per-token token-bucket rate limiter (anonymous callers are keyed by address).
class RateLimiter {
 public:
  RateLimiter(double rate_per_second, int burst) : rate_(rate_per_second), burst_(burst) {}
  // 0 if allowed, else seconds to wait (>= 1).
  int Acquire(const std::string& key);

 private:
  double rate_;
  double burst_;
  std::mutex mu_;
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  std::unordered_map<std::string, Bucket> buckets_;
};

class Metrics {
 public:
  void Observe(const std::string& method, const std::string& route, int status, double seconds);
  std::string Render() const;  // request counters and latency histograms

 private:
  static constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,   0.25,   0.5,   1,    2.5, 5};
  static constexpr size_t kNumBuckets = sizeof(kBuckets) / sizeof(kBuckets[0]);
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    uint64_t buckets[kNumBuckets] = {};
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Series> latency_;
};

class App {
 public:
  // `blocking` runs handlers of RunOn::kBlockingPool routes (inline when empty).
  App(Services& services, Executor blocking = {});
  ~App();
  void Dispatch(HttpRequest request, Respond respond);
  const Router& router() const { return router_; }
  Sessions& sessions() { return *sessions_; }
  // For /metrics gauges about connections.
  void AttachServer(const HttpServer* server) { server_ = server; }
  void SetReady(bool ready) { ready_ = ready; }
  // Several nodes on one store: writes (any method but GET and HEAD) that arrive while another
  // node writes the log go to that node through `forwarder` (api/forwarder.h).
  void SetForwarder(WriteForwarder* forwarder) { forwarder_ = forwarder; }

 private:
  std::string RenderMetrics();
  void RunHandler(const Route& route, std::shared_ptr<RouteContext> ctx, Respond finish);
  std::optional<HttpResponse> Authorize(const Route& route, const HttpRequest& req,
                                        Principal* principal);
  Services& services_;
  Executor blocking_;
  Router router_;
  Metrics metrics_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Sessions> sessions_;  // portal sessions: a cookie stands in for a token
  // Status lists of presented credentials (config credential_status_hosts; else none).
  std::unique_ptr<StatusListFetcher> status_lists_;
  const HttpServer* server_ = nullptr;
  WriteForwarder* forwarder_ = nullptr;
  std::atomic<bool> ready_{true};
  // Whether the store answers (Kv::Ping), looked at again at most once a second, so that
  // readiness probes cost the database one round trip a second whatever their rate; a change
  // is logged.
  Status StoreAnswers();
  std::mutex ping_mu_;
  std::optional<std::chrono::steady_clock::time_point> pinged_;
  Status ping_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// The OpenAPI 3.1 document of every route (api/openapi.cc).
nlohmann::json OpenApiDocument(const Router& router);

}  // namespace lcb
