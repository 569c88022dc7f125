// Beast session code, following the structure of Beast's async server examples: the session
// only does I/O in DoRead/OnRead pairs; the handler is a plain function.
#include "api/server.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

#include <array>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "api/problem.h"
#include "common/encoding.h"
#include "crypto/sha256.h"

namespace lcb {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {

int FromHex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; '+' means space only in queries. Returns false on a bad escape.
bool UrlDecode(std::string_view in, bool query, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = FromHex(in[i + 1]);
      int lo = FromHex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && query) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseTarget(std::string_view target, HttpRequest* req) {
  size_t q = target.find('?');
  if (!UrlDecode(target.substr(0, q), false, &req->path)) return false;
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key, value;
    if (!UrlDecode(pair.substr(0, eq), true, &key)) return false;
    if (eq != std::string_view::npos && !UrlDecode(pair.substr(eq + 1), true, &value)) return false;
    if (!key.empty()) req->query.emplace(std::move(key), std::move(value));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return true;
}

std::string NewRequestId() { return HexEncode(RandomBytes(8)); }

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  Dispatcher dispatch;
  // Declared before ioc: sessions destroyed with ioc's pending handlers still touch them.
  std::atomic<int> connections{0};
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  std::optional<ssl::context> tls;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;

  void Accept();
};

namespace {

// One connection. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Derived>
class Session {
 public:
  explicit Session(HttpServer::Impl* server) : server_(server) {}

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(derived().stream()); }

  void DoRead() {
    head_ = false;
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_->options.max_header_bytes));
    // The deadline covers the whole request (a slow client cannot stretch it byte by byte):
    // the read deadline for a connection's first request, the idle deadline for the next
    // request on a keep-alive connection.
    tcp().expires_after(std::chrono::milliseconds(requests_ == 0 ? server_->options.read_timeout_ms
                                                                 : server_->options.idle_timeout_ms));
    http::async_read(derived().stream(), buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, derived().shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset) {
      return derived().DoClose();
    }
    if (ec) {
      int status = 400;
      std::string detail = "malformed HTTP request: " + ec.message();
      if (ec == http::error::body_limit) {
        status = 413;
        detail = "request body exceeds " + std::to_string(server_->options.max_body_bytes) +
                 " bytes";
      } else if (ec == http::error::header_limit) {
        status = 431;
        detail = "request header exceeds " + std::to_string(server_->options.max_header_bytes) +
                 " bytes";
      }
      HttpResponse r = ProblemResponse(status, detail, NewRequestId());
      return Send(std::move(r), /*keep_alive=*/false, 11);
    }
    ++requests_;
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    const std::string* rid = req.Header("x-request-id");
    req.request_id = rid && ValidRequestId(*rid) ? *rid : NewRequestId();
    req.body = std::move(msg.body());
    beast::error_code ep_ec;
    auto ep = tcp().socket().remote_endpoint(ep_ec);
    if (!ep_ec) req.remote = ep.address().to_string();
    bool keep_alive = msg.keep_alive();
    unsigned version = msg.version();
    head_ = msg.method() == http::verb::head;
    if (!ParseTarget(req.target, &req)) {
      return Send(ProblemResponse(400, "malformed percent-encoding in the request target",
                                  req.request_id),
                  keep_alive, version);
    }
    // No reads while a request is being handled: one request at a time per connection.
    tcp().expires_never();
    server_->in_flight++;
    auto self = derived().shared_from_this();
    auto executor = tcp().get_executor();
    std::string request_id = req.request_id;
    server_->dispatch(std::move(req), [self, executor, keep_alive, version,
                                       request_id](HttpResponse response) mutable {
      net::dispatch(executor, [self, response = std::move(response), keep_alive, version,
                               request_id]() mutable {
        self->server_->in_flight--;
        response.headers.emplace_back("X-Request-Id", request_id);
        self->Send(std::move(response), keep_alive, version);
      });
    });
  }

  void Send(HttpResponse r, bool keep_alive, unsigned version) {
    if (server_->stopping.load()) keep_alive = false;
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    res->set(http::field::server, "creditbank");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive);
    res->body() = std::move(r.body);
    res->prepare_payload();
    // HEAD gets a GET's headers, Content-Length included, and no body (RFC 9110 §9.3.2);
    // body bytes after them would be read as the start of the next response.
    if (head_) res->body().clear();
    tcp().expires_after(std::chrono::milliseconds(server_->options.read_timeout_ms));
    http::async_write(derived().stream(), *res,
                      [self = derived().shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->OnWrite(ec, res->keep_alive());
                      });
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    if (ec) return derived().DoClose();
    if (!keep_alive) return derived().DoClose();
    DoRead();
  }

  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  uint64_t requests_ = 0;
  bool head_ = false;  // the request being answered is HEAD
};

class PlainSession : public Session<PlainSession>,
                     public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket&& socket, HttpServer::Impl* server)
      : Session(server), stream_(std::move(socket)) {}
  ~PlainSession() { server_->connections--; }
  beast::tcp_stream& stream() { return stream_; }
  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&PlainSession::DoRead, shared_from_this()));
  }
  // Half-closes, then reads and discards what the client still sends (bounded in bytes and
  // time), so that closing does not reset the connection before the client has read our
  // answer (for example a 413 while it is still uploading).
  void DoClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    Drain();
  }
  void Drain() {
    stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](
                                                       beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kMaxDrainBytes) return;
      self->Drain();
    });
  }
  friend class Session<PlainSession>;

 private:
  static constexpr size_t kMaxDrainBytes = 64u << 20;
  beast::tcp_stream stream_;
  std::array<char, 16384> scratch_;
  size_t drained_ = 0;
};

class TlsSession : public Session<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(tcp::socket&& socket, ssl::context& ctx, HttpServer::Impl* server)
      : Session(server), stream_(std::move(socket), ctx) {}
  ~TlsSession() { server_->connections--; }
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_)
          .expires_after(std::chrono::milliseconds(self->server_->options.read_timeout_ms));
      self->stream_.async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&TlsSession::OnHandshake, self));
    });
  }
  void OnHandshake(beast::error_code ec) {
    if (ec) return;
    DoRead();
  }
  void DoClose() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
  }
  friend class Session<TlsSession>;

 private:
  beast::ssl_stream<beast::tcp_stream> stream_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (stopping.load() || ec == net::error::operation_aborted) return;
      return Accept();
    }
    int open = ++connections;
    if (open > options.max_connections) {
      // Over the limit: answer 503 synchronously (tiny write) and close.
      std::string body =
          ProblemResponse(503, "too many open connections; retry shortly", NewRequestId()).body;
      std::string msg = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                        "application/problem+json\r\nRetry-After: 1\r\nConnection: close\r\n"
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      beast::error_code wec;
      net::write(socket, net::buffer(msg), wec);
      socket.shutdown(tcp::socket::shutdown_both, wec);
      socket.close(wec);
      connections--;
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      if (tls) {
        std::make_shared<TlsSession>(std::move(socket), *tls, this)->Run();
      } else {
        std::make_shared<PlainSession>(std::move(socket), this)->Run();
      }
    }
    Accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Shutdown(0);
  Wait();
}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(ServerOptions options,
                                                         Dispatcher dispatch) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->dispatch = std::move(dispatch);
  if (!impl->options.tls_cert_file.empty()) {
    impl->tls.emplace(ssl::context::tls_server);
    impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    beast::error_code ec;
    impl->tls->use_certificate_chain_file(impl->options.tls_cert_file, ec);
    if (ec) {
      return Status::InvalidArgument("tls_cert", "cannot load TLS certificate " +
                                                     impl->options.tls_cert_file + ": " +
                                                     ec.message());
    }
    impl->tls->use_private_key_file(impl->options.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument("tls_key", "cannot load TLS key " +
                                                    impl->options.tls_key_file + ": " + ec.message());
    }
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Status HttpServer::Start() {
  Impl& s = *impl_;
  beast::error_code ec;
  auto address = net::ip::make_address(s.options.host, ec);
  if (ec) return Status::InvalidArgument("listen", "not an IP address: " + s.options.host);
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + s.options.host + ":" +
                               std::to_string(s.options.port) + ": " + ec.message());
  }
  s.work.emplace(s.ioc.get_executor());
  s.Accept();
  int n = s.options.threads > 0 ? s.options.threads
                                : std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < n; ++i) {
    s.threads.emplace_back([&s] {
      pthread_setname_np(pthread_self(), "cb-http");
      s.ioc.run();
    });
  }
  return Status::Ok();
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

int HttpServer::open_connections() const { return impl_->connections.load(); }
int HttpServer::in_flight() const { return impl_->in_flight.load(); }

void HttpServer::Shutdown(int grace_ms) {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) return;
  net::post(s.ioc, [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
  });
  // In-flight requests finish (their responses carry Connection: close); idle keep-alive
  // connections are cut when the io_context stops.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (s.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Give the last responses a moment to be written.
  std::this_thread::sleep_for(std::chrono::milliseconds(grace_ms > 0 ? 50 : 0));
  s.work.reset();
  s.ioc.stop();
  for (auto& t : s.threads) {
    if (t.joinable()) t.join();
  }
  std::lock_guard<std::mutex> lock(s.done_mu);
  s.done = true;
  s.done_cv.notify_all();
}

void HttpServer::Wait() {
  std::unique_lock<std::mutex> lock(impl_->done_mu);
  impl_->done_cv.wait(lock, [&] { return impl_->done; });
}

}  // namespace lcb
