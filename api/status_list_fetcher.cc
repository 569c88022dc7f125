#include "api/status_list_fetcher.h"

#include <algorithm>
#include <memory>

#include "api/http_client.h"

namespace lcb {

StatusOr<std::string> StatusListFetcher::Fetch(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument(Field("/credentialStatus/statusListCredential"),
                                   url + " is not http(s)://host/path");
  }
  const size_t host_begin = scheme_end + 3;
  const size_t path_begin = url.find('/', host_begin);
  const std::string host = url.substr(
      host_begin, path_begin == std::string::npos ? std::string::npos : path_begin - host_begin);
  if (host.empty() || host.find_first_of("@?#") != std::string::npos) {
    return Status::InvalidArgument(Field("/credentialStatus/statusListCredential"),
                                   url + " is not http(s)://host/path");
  }
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
                       HttpClient::Connect(scheme + "://" + host));
  client->set_body_limit(kMaxBodyBytes);
  client->set_retry(false);
  const std::string target = path_begin == std::string::npos ? "/" : url.substr(path_begin);
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
