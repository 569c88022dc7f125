// A small synchronous HTTP/1.1 client (keep-alive, http:// and https://) for the CLI and
// tests. No Beast in this header.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "api/http.h"
#include "common/status.h"

namespace lcb {

// An http(s) URL split for the clients here: scheme "http" or "https", authority (host, with
// its port if given; no user info, query or fragment) and path ("" when the URL has none).
// InvalidArgument naming `field` for anything else.
struct HttpUrl {
  std::string scheme, authority, path;
};
StatusOr<HttpUrl> SplitHttpUrl(std::string_view url, Field field);

struct ClientResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lowercase names
};

class HttpClient {
 public:
  // `base_url` is "http://host:port" or "https://host:port". With https, `ca_file` (PEM) is
  // the trust anchor; empty = system default store; `insecure` skips verification (tests).
  static StatusOr<std::unique_ptr<HttpClient>> Connect(const std::string& base_url,
                                                       const std::string& ca_file = "",
                                                       bool insecure = false);
  ~HttpClient();
  // Reconnects once if the server closed the keep-alive connection.
  StatusOr<ClientResponse> Request(const std::string& method, const std::string& target,
                                   const std::string& body = "",
                                   const std::map<std::string, std::string>& headers = {},
                                   int timeout_ms = 60'000);
  // By default a request is retried once on a new connection if the keep-alive connection
  // failed; tests of server behaviour turn that off to see every failure.
  void set_retry(bool retry) { retry_ = retry; }
  // Answers with a larger body fail (Unavailable); 1 GiB by default.
  void set_body_limit(uint64_t bytes);
  struct Impl;

 private:
  bool retry_ = true;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lcb
