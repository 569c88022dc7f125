#include "api/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <optional>

namespace lcb {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

struct HttpClient::Impl {
  std::string host, port;
  bool tls = false;
  std::string ca_file;
  bool insecure = false;
  uint64_t body_limit = 1ull << 30;
  net::io_context ioc;
  std::optional<ssl::context> ctx;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  Status Open() {
    plain.reset();
    secure.reset();
    buffer.clear();
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, port, ec);
    if (ec) return Status::Unavailable("cannot resolve " + host + ": " + ec.message());
    if (!tls) {
      plain.emplace(ioc);
      plain->expires_after(std::chrono::seconds(10));
      plain->connect(results, ec);
      if (ec) return Status::Unavailable("cannot connect to " + host + ":" + port + ": " + ec.message());
      return Status::Ok();
    }
    secure.emplace(ioc, *ctx);
    if (!SSL_set_tlsext_host_name(secure->native_handle(), host.c_str())) {
      return Status::Unavailable("cannot set TLS SNI");
    }
    if (!insecure) {
      secure->set_verify_callback(ssl::host_name_verification(host));
    }
    beast::get_lowest_layer(*secure).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(*secure).connect(results, ec);
    if (ec) return Status::Unavailable("cannot connect to " + host + ":" + port + ": " + ec.message());
    secure->handshake(ssl::stream_base::client, ec);
    if (ec) return Status::Unavailable("TLS handshake with " + host + " failed: " + ec.message());
    return Status::Ok();
  }

  template <class Stream>
  StatusOr<ClientResponse> Roundtrip(Stream& stream, http::request<http::string_body>& req,
                                     int timeout_ms) {
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(timeout_ms));
    http::write(stream, req, ec);
    // A server may answer early (413) and stop reading; its answer is still worth reading.
    beast::error_code write_ec = ec;
    ec = {};
    http::response_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    http::read(stream, buffer, parser, ec);
    if (ec) {
      if (write_ec) return Status::Unavailable("write failed: " + write_ec.message());
      return Status::Unavailable("read failed: " + ec.message());
    }
    auto& res = parser.get();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    if (!res.keep_alive()) {
      plain.reset();
      secure.reset();
    }
    return out;
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

void HttpClient::set_body_limit(uint64_t bytes) { impl_->body_limit = bytes; }

StatusOr<HttpUrl> SplitHttpUrl(std::string_view url, Field field) {
  const size_t scheme_end = url.find("://");
  HttpUrl out;
  out.scheme = scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
  if (out.scheme != "http" && out.scheme != "https") {
    return Status::InvalidArgument(field, std::string(url) + " is not http(s)://host/path");
  }
  const size_t host_begin = scheme_end + 3;
  const size_t path_begin = url.find('/', host_begin);
  out.authority =
      url.substr(host_begin, path_begin == std::string_view::npos ? std::string_view::npos
                                                                  : path_begin - host_begin);
  if (out.authority.empty() || out.authority.find_first_of("@?#") != std::string::npos) {
    return Status::InvalidArgument(field, std::string(url) + " is not http(s)://host/path");
  }
  if (path_begin != std::string_view::npos) out.path = url.substr(path_begin);
  return out;
}

StatusOr<std::unique_ptr<HttpClient>> HttpClient::Connect(const std::string& base_url,
                                                          const std::string& ca_file,
                                                          bool insecure) {
  auto impl = std::make_unique<Impl>();
  std::string rest;
  if (base_url.rfind("http://", 0) == 0) {
    rest = base_url.substr(7);
  } else if (base_url.rfind("https://", 0) == 0) {
    rest = base_url.substr(8);
    impl->tls = true;
  } else {
    return Status::InvalidArgument(Field("--server"), "must start with http:// or https://");
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::string hostport = rest.substr(0, rest.find('/'));
  if (!hostport.empty() && hostport[0] == '[') {
    auto close = hostport.find(']');
    impl->host = hostport.substr(1, close - 1);
    impl->port = close + 2 <= hostport.size() ? hostport.substr(close + 2) : "";
  } else {
    auto colon = hostport.rfind(':');
    impl->host = hostport.substr(0, colon);
    impl->port = colon == std::string::npos ? "" : hostport.substr(colon + 1);
  }
  if (impl->port.empty()) impl->port = impl->tls ? "443" : "80";
  if (impl->host.empty()) return Status::InvalidArgument(Field("--server"), "has no host");
  impl->ca_file = ca_file;
  impl->insecure = insecure;
  if (impl->tls) {
    impl->ctx.emplace(ssl::context::tls_client);
    if (insecure) {
      impl->ctx->set_verify_mode(ssl::verify_none);
    } else {
      impl->ctx->set_verify_mode(ssl::verify_peer);
      beast::error_code ec;
      if (!ca_file.empty()) impl->ctx->load_verify_file(ca_file, ec);
      else impl->ctx->set_default_verify_paths(ec);
      if (ec) return Status::InvalidArgument(Field("--ca"), "cannot load CA file: " + ec.message());
    }
  }
  LCB_RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

StatusOr<ClientResponse> HttpClient::Request(const std::string& method, const std::string& target,
                                             const std::string& body,
                                             const std::map<std::string, std::string>& headers,
                                             int timeout_ms) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, impl_->host);
  req.set(http::field::user_agent, "creditbank-cli");
  req.keep_alive(true);
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    req.set(k, v);
    if (k == "Content-Type" || k == "content-type") has_type = true;
  }
  if (!body.empty() && !has_type) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->plain && !impl_->secure) LCB_RETURN_IF_ERROR(impl_->Open());
    StatusOr<ClientResponse> r = impl_->tls ? impl_->Roundtrip(*impl_->secure, req, timeout_ms)
                                            : impl_->Roundtrip(*impl_->plain, req, timeout_ms);
    if (r.ok()) return r;
    impl_->plain.reset();
    impl_->secure.reset();
    if (attempt == 1 || !retry_) return r.status();
  }
  return Status::Unavailable("request failed");
}

}  // namespace lcb
