// Plain HTTP request/response types shared by the router and the handlers. No Beast here:
// api/server.cc converts between these and Beast messages, so handlers stay plain functions
// from request to response (STYLE.md).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lcb {

struct HttpRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // raw target, "/v1/records?x=1"
  std::string path;     // decoded path without the query
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string request_id;
  std::string remote;  // peer address

  const std::string* Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
  const std::string* Query(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? nullptr : &it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Handlers answer exactly once through Respond, from any thread.
using Respond = std::function<void(HttpResponse)>;

}  // namespace lcb
