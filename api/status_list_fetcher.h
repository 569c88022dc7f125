// Fetches the status list a presented credential names (DESIGN.md, "Credentials as input":
// "checks its status list when the list is reachable"), for CredentialInputService. Only
// hosts the operator listed (config credential_status_hosts) are contacted, so a presenter
// cannot make the bank send requests anywhere else (to its own network, say): any other URL,
// or a scheme other than http/https, is refused without a request. GET only, no redirects
// followed, 5 s, a body of at most 1 MiB, answers other than 200 are failures. A fetched list
// is kept 60 s per URL (at most 256 URLs), so a burst of presentations fetches it once.
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace lcb {

class StatusListFetcher {
 public:
  explicit StatusListFetcher(std::vector<std::string> hosts) : hosts_(std::move(hosts)) {}
  // The body at `url`: PermissionDenied for a host not listed, InvalidArgument for a URL that
  // is not http(s)://host[:port]/path, Unavailable when the request fails or is not a 200.
  StatusOr<std::string> Fetch(const std::string& url);

  static constexpr uint64_t kMaxBodyBytes = 1u << 20;
  static constexpr int kTimeoutMs = 5'000;
  static constexpr std::chrono::seconds kKeep{60};
  static constexpr size_t kMaxKept = 256;

 private:
  struct Kept {
    std::string body;
    std::chrono::steady_clock::time_point at;
  };
  std::vector<std::string> hosts_;
  std::mutex mu_;  // guards kept_
  std::map<std::string, Kept> kept_;
};

}  // namespace lcb
