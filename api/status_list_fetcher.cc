#include "api/status_list_fetcher.h"

#include <algorithm>
#include <memory>

#include "api/http_client.h"

namespace lcb {

StatusOr<std::string> StatusListFetcher::Fetch(const std::string& url) {
  LCB_ASSIGN_OR_RETURN(HttpUrl parts,
                       SplitHttpUrl(url, Field("/credentialStatus/statusListCredential")));
  const std::string& host = parts.authority;
  if (std::find(hosts_.begin(), hosts_.end(), host) == hosts_.end()) {
    return Status::PermissionDenied("status list host " + host +
                                    " is not in credential_status_hosts");
  }
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = kept_.find(url); it != kept_.end() && now - it->second.at < kKeep) {
      return it->second.body;
    }
  }
  LCB_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client,
                       HttpClient::Connect(parts.scheme + "://" + host));
  client->set_body_limit(kMaxBodyBytes);
  client->set_retry(false);
  const std::string target = parts.path.empty() ? "/" : parts.path;
  LCB_ASSIGN_OR_RETURN(
      ClientResponse r,
      client->Request("GET", target, "", {{"Accept", "application/vc+ld+json, application/json"}},
                      kTimeoutMs));
  if (r.status != 200) {
    return Status::Unavailable("status list " + url + " answered " + std::to_string(r.status));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (kept_.size() >= kMaxKept) kept_.clear();
  kept_[url] = Kept{r.body, now};
  return std::move(r.body);
}

}  // namespace lcb
