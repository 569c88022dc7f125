// The CLI's one REST client: JSON requests over one keep-alive HttpClient connection, under
// the CLI's one retry policy. Every subcommand that talks to a running server goes through it.
//
// Retry policy (Send and Call):
//   - connection error, or a 503 answer: back off exponentially, 250, 500, 1000, 2000 ms
//     (kFirstBackoffMs doubled per retry); a 503's Retry-After is honoured when it is longer;
//   - 429 answer: wait the answer's Retry-After seconds (1 s when it is missing or an
//     HTTP-date), capped at kMaxRetryAfterSeconds;
//   - at most kMaxTries attempts in all; then Unavailable, naming the request and the last
//     answer (its problem detail) or connection error;
//   - any other answer is final and returned as it is (Send) or checked (Call).
// Requests are idempotent on the server where the CLI retries them (PUTs, records by
// external_ref, learners by national ID), so a retry after a lost answer is safe.
//
// Not thread-safe: one RestClient per connection and thread.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/http_client.h"
#include "common/status.h"

namespace lcb {

class RestClient {
 public:
  static constexpr int kMaxTries = 5;
  static constexpr int kFirstBackoffMs = 250;
  static constexpr int kMaxRetryAfterSeconds = 300;
  static constexpr int kDefaultTimeoutMs = 120'000;

  // Connects to `server` ("http://host:port" or "https://..."); `ca_file` and `insecure` as
  // for HttpClient::Connect.
  static StatusOr<std::unique_ptr<RestClient>> Connect(const std::string& server,
                                                       const std::string& ca_file = "",
                                                       bool insecure = false);
  // Over a connection the caller owns (and keeps alive longer than this client).
  explicit RestClient(HttpClient& http);
  ~RestClient();

  // One logical request under the retry policy. `token` (empty = none) is sent as a bearer
  // token; a non-empty `body` as application/json. The final answer, whatever its status.
  StatusOr<ClientResponse> Send(const std::string& method, const std::string& target,
                                const std::string& token, const std::string& body = "");

  // Send, then the answer's status must be one of `accept`: its body as JSON (null when empty
  // or not JSON); *status_out (if given) receives the status. Any other status is an error
  // naming the request, the status and the server's problem detail and pointer (NotFound for
  // 404, FailedPrecondition otherwise). A null `body` sends no body.
  StatusOr<nlohmann::json> Call(const std::string& method, const std::string& target,
                                const std::string& token, const nlohmann::json& body,
                                std::initializer_list<int> accept, int* status_out = nullptr);

  // Per-attempt timeout (default kDefaultTimeoutMs); an online backup takes longer.
  void set_timeout_ms(int ms) { timeout_ms_ = ms; }
  // Replaces the sleep between attempts, so a test can see the waits without waiting.
  void set_sleep_for_testing(std::function<void(std::chrono::milliseconds)> sleep) {
    sleep_ = std::move(sleep);
  }

  int requests() const { return requests_; }  // logical requests
  int retries() const { return retries_; }    // attempts beyond the first

 private:
  std::unique_ptr<HttpClient> owned_;
  HttpClient& http_;
  int timeout_ms_ = kDefaultTimeoutMs;
  std::function<void(std::chrono::milliseconds)> sleep_;
  int requests_ = 0;
  int retries_ = 0;
};

// The wait a 429 or 503 answer asks for through Retry-After, in seconds: delta-seconds capped
// at RestClient::kMaxRetryAfterSeconds; 1 when missing or an HTTP-date.
int RetryAfterSeconds(const ClientResponse& r);

// The server's problem+json "detail" with the first "pointer" (top-level or errors[0]), as
// "detail (at /pointer)"; the first 200 bytes of the body when it is not problem+json.
std::string ProblemDetail(const ClientResponse& r);

// Percent-encodes `s` for one path segment or query value.
std::string PathSegment(std::string_view s);

}  // namespace lcb
