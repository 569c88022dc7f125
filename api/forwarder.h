// Forwards the writes that arrive at a node which does not write the log to the node that does
// (several `creditbank serve` nodes on one PostgreSQL-wire store; DESIGN.md "Other nodes
// forward appends to the writer"). The request goes on as it came, with the caller's own
// credentials: the writer authenticates and authorizes it again, so a follower is trusted with
// nothing a caller could not do directly. The writer's answer comes back unchanged. A request
// carries kForwardedHeader on its way and is never forwarded twice (a node that lost the lease
// meanwhile answers it itself: 503 when its log is fenced). The header's value is a tag
// (Services::ForwardTag) over the request id and the client's address in x-forwarded-for: the
// writer takes that address as the client's (sign-in failure limits, rate limits, logs) only
// when the tag verifies, so a client cannot pose as another address.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/http.h"
#include "api/http_client.h"
#include "api/worker_pool.h"

namespace lcb {

class WriteForwarder {
 public:
  static constexpr const char* kForwardedHeader = "x-creditbank-forwarded";
  // `threads` forwarded requests are in flight at once (each waits for the writer's answer).
  explicit WriteForwarder(int threads) : pool_(threads) {}
  ~WriteForwarder() { Stop(); }

  // Sends `request` to the writer at `base_url` and answers through `respond` (503 with
  // Retry-After when the writer cannot be reached: the caller retries, its idempotency key
  // making a retry of a committed request harmless).
  // `tag` (Services::ForwardTag of the request id and the client's address) goes in
  // kForwardedHeader, so that the writer believes the x-forwarded-for it sends.
  void Forward(std::string base_url, std::shared_ptr<const HttpRequest> request, std::string tag,
               Respond respond);
  // Answers what is queued, then joins.
  void Stop() { pool_.Stop(); }
  uint64_t forwarded() const;
  uint64_t failed() const;

 private:
  HttpResponse Send(const std::string& base_url, const HttpRequest& request,
                    const std::string& tag);
  std::unique_ptr<HttpClient> TakeClient(const std::string& base_url, Status* error);
  void ReturnClient(const std::string& base_url, std::unique_ptr<HttpClient> client);

  WorkerPool pool_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<HttpClient>>> idle_;  // keep-alive, per URL
  uint64_t forwarded_ = 0;
  uint64_t failed_ = 0;
};

}  // namespace lcb
