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

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "api/problem.h"
#include "codec/json_util.h"
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

// A bad escape is an HTTP-layer error (about:blank, no pointer); a repeated name is an invalid
// argument at its pointer, as a bad value of it is (api/handler_util.cc).
Status BadEscape() {
  return Status(StatusCode::kInvalidArgument, "malformed percent-encoding in the request target");
}

// Splits the target into the decoded path and query. No route takes a parameter more than
// once (lists are comma-separated, ?programs=a,b), so a parameter given twice is refused here,
// for every route, rather than one of its values being taken silently.
Status ParseTarget(std::string_view target, HttpRequest* req) {
  size_t q = target.find('?');
  if (!UrlDecode(target.substr(0, q), false, &req->path)) return BadEscape();
  // An encoded '/' would be routed as a separator once decoded (/v1/records/x%2Fcredential as
  // x's credential): no id of the bank holds a '/', so it is refused, not routed.
  const std::string_view raw_path = target.substr(0, q);
  for (size_t at = raw_path.find('%'); at != std::string_view::npos;
       at = raw_path.find('%', at + 1)) {
    if (raw_path.substr(at, 3) == "%2F" || raw_path.substr(at, 3) == "%2f") {
      return Status::InvalidArgument(Field("/path"),
                                     "an encoded '/' (%2F) in the request path: no id holds one");
    }
  }
  if (q == std::string_view::npos) return Status::Ok();
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key, value;
    if (!UrlDecode(pair.substr(0, eq), true, &key)) return BadEscape();
    if (eq != std::string_view::npos && !UrlDecode(pair.substr(eq + 1), true, &value)) {
      return BadEscape();
    }
    if (!key.empty() && !req->query.emplace(key, std::move(value)).second) {
      // A name that is not text is named "query", as the UTF-8 check below names it.
      return Status::InvalidArgument(Field("/" + (ValidText(key) ? key : std::string("query"))),
                                     "query parameter is given twice");
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return Status::Ok();
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// What Shutdown needs of an open connection: a way to tell it, on its own thread, that the
// server is stopping.
class Drainable {
 public:
  // Called with Impl::sessions_mu held; posts the notice to the session's thread.
  virtual void PostStopping() = 0;

 protected:
  ~Drainable() = default;
};

// How long a keep-alive connection that is idle when shutdown begins stays open for one more
// request (answered 503 with Connection: close). Closing it at once, as many servers do, resets
// a request the client sent just then; a second covers a client busy with the last answer.
constexpr int kStoppingIdleMs = 1000;

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  Dispatcher dispatch;
  // Declared before the io_contexts: sessions destroyed with pending handlers still touch them.
  std::atomic<int> connections{0};
  std::atomic<int> in_flight{0};
  // Set once the listening socket is closed (Shutdown). Only then do responses carry
  // Connection: close, so a client told to reconnect finds the port refused instead of racing
  // the close into the listen backlog (where the kernel would reset its connection).
  std::atomic<bool> stopping{false};
  std::atomic<bool> shutdown_called{false};
  // Open sessions, so that Shutdown can give idle keep-alive connections a short deadline.
  std::mutex sessions_mu;
  std::unordered_set<Drainable*> sessions;
  std::optional<ssl::context> tls;
  // One io_context per thread, each run by exactly one thread: a connection's handlers all run
  // on its context's thread, so sessions need no strand and the reactor no cross-thread locking
  // on the hot path (the usual "io_context per core" layout for Asio servers).
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::optional<tcp::acceptor> acceptor;
  size_t next_context = 0;
  std::vector<std::thread> threads;
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;

  void Accept();
};

namespace {

using Clock = std::chrono::steady_clock;

// Request ids need to be unique, not secret: a per-thread generator seeded once from the CSPRNG
// costs nanoseconds where RAND_bytes per request showed up in profiles.
std::string NewRequestId() {
  thread_local uint64_t state = [] {
    std::string seed = RandomBytes(8);
    uint64_t s = 0;
    for (char c : seed) s = (s << 8) | static_cast<unsigned char>(c);
    return s;
  }();
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);  // splitmix64
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, z >>= 4) out[static_cast<size_t>(i)] = kHex[z & 15];
  return out;
}

// Parses a request straight into HttpRequest (no intermediate Beast fields container, which
// allocated per header and was then copied).
class RequestParser final : public http::basic_parser<true> {
 public:
  explicit RequestParser(uint64_t max_body) : max_body_(max_body) {}
  HttpRequest& request() { return req_; }
  unsigned version() const { return version_; }
  bool is_head() const { return verb_ == http::verb::head; }
  // Why a header was refused (the read then fails): its status and reason, or status 0.
  int refused_status() const { return refused_status_; }
  const std::string& refused_detail() const { return refused_detail_; }

 private:
  void on_request_impl(http::verb method, beast::string_view method_str,
                       beast::string_view target, int version, beast::error_code&) override {
    verb_ = method;
    req_.method.assign(method_str.data(), method_str.size());
    req_.target.assign(target.data(), target.size());
    version_ = static_cast<unsigned>(version);
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code& ec) override {
    ec = http::error::bad_version;  // never called for a request parser
  }
  void on_field_impl(http::field, beast::string_view name, beast::string_view value,
                     beast::error_code& ec) override {
    std::string key(name.data(), name.size());
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // A body framed by anything but chunked alone would be read as no body, and its bytes as
    // the next request on the connection (request smuggling): refused, and the connection
    // closed (RFC 9112, 6.1 and 6.3).
    if (key == "transfer-encoding" && !beast::iequals(Trimmed(value), "chunked")) {
      return Refuse(ec, 501,
                    "Transfer-Encoding '" + std::string(value.substr(0, 64)) +
                        "' is not supported: a request body is sent with Content-Length or "
                        "Transfer-Encoding: chunked");
    }
    // Two credentials (a proxy's and a client's) would leave which one acts to the order of
    // the headers.
    if (key == "authorization" && req_.headers.count(key)) {
      return Refuse(ec, 400, "the Authorization header appears more than once");
    }
    req_.headers[std::move(key)].assign(value.data(), value.size());  // the last one wins
  }
  void Refuse(beast::error_code& ec, int status, std::string detail) {
    refused_status_ = status;
    refused_detail_ = std::move(detail);
    ec = http::error::bad_field;
  }
  static beast::string_view Trimmed(beast::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code&) override {
    if (length) req_.body.reserve(static_cast<size_t>(std::min(*length, max_body_)));
  }
  std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    req_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 beast::error_code&) override {
    req_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  uint64_t max_body_;
  int refused_status_ = 0;
  std::string refused_detail_;
  HttpRequest req_;
  http::verb verb_ = http::verb::unknown;
  unsigned version_ = 11;
};

// Header values come from handlers; a CR or LF in one would split the response.
void AppendHeader(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ");
  for (char c : value) out->push_back(c == '\r' || c == '\n' ? ' ' : c);
  out->append("\r\n");
}

// One connection. Stream is tcp::socket or beast::ssl_stream<tcp::socket>.
//
// Deadlines use one lazily re-armed timer per connection: a request only stores its deadline
// (an integer); the timer, when it fires, closes the connection if the stored deadline has
// passed and otherwise sleeps until it. Re-arming a timer for every read and write (what
// beast::tcp_stream does) was a visible share of the per-request cost.
template <class Derived>
class Session : public Drainable {
 public:
  Session(HttpServer::Impl* server, const net::any_io_executor& executor)
      : server_(server), timer_(executor) {}

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }
  tcp::socket& socket() { return beast::get_lowest_layer(derived().stream()); }

  void Start() {
    beast::error_code ec;
    auto ep = socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
    std::lock_guard<std::mutex> lock(server_->sessions_mu);
    server_->sessions.insert(this);
  }
  // Called first thing by the most-derived destructor, so PostStopping never runs on a
  // half-destroyed session.
  void Unregister() {
    std::lock_guard<std::mutex> lock(server_->sessions_mu);
    server_->sessions.erase(this);
  }

 public:
  void PostStopping() override {
    net::post(timer_.get_executor(), [weak = derived().weak_from_this()] {
      if (auto self = weak.lock()) self->OnStopping();
    });
  }

 protected:
  // Shutdown has begun: a connection waiting for its next request, with no byte of it read,
  // gets kStoppingIdleMs to send one; a request already arriving is answered 503.
  void OnStopping() {
    if (closed_ || !parser_ || parser_->got_some() || buffer_.size() > 0) return;
    SetDeadline(kStoppingIdleMs);
  }

  void SetDeadline(int millis) {
    deadline_ = Clock::now() + std::chrono::milliseconds(millis);
    // A later deadline than the armed one is picked up when the timer fires; an earlier one
    // (a close after an idle wait) re-arms it.
    if (!timer_armed_ || deadline_ < armed_for_) ArmTimer();
  }
  void ClearDeadline() { deadline_ = Clock::time_point::max(); }
  void ArmTimer() {
    timer_armed_ = true;
    armed_for_ = deadline_;
    uint64_t generation = ++timer_generation_;  // a re-armed timer's old wait is ignored
    timer_.expires_at(deadline_);
    timer_.async_wait([self = derived().shared_from_this(), generation](beast::error_code ec) {
      if (generation == self->timer_generation_) self->OnTimer(ec);
    });
  }
  void OnTimer(beast::error_code ec) {
    timer_armed_ = false;
    if (ec || closed_ || deadline_ == Clock::time_point::max()) return;
    if (Clock::now() >= deadline_) return CloseNow();
    ArmTimer();
  }
  // Closes the socket: pending operations complete with operation_aborted.
  void CloseNow() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    socket().close(ec);
    timer_.cancel();
  }

  void DoRead() {
    head_ = false;
    parser_.emplace(server_->options.max_body_bytes);
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_->options.max_header_bytes));
    // The deadline covers the whole request (a slow client cannot stretch it byte by byte):
    // the read deadline for a connection's first request, the idle deadline for the next
    // request on a keep-alive connection.
    SetDeadline(server_->stopping.load()
                    ? std::min(kStoppingIdleMs, server_->options.read_timeout_ms)
                : requests_ == 0 ? server_->options.read_timeout_ms
                                 : server_->options.idle_timeout_ms);
    http::async_read(derived().stream(), buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, derived().shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (closed_) return;
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return derived().DoClose();
    }
    if (ec) {
      int status = 400;
      std::string detail = "malformed HTTP request: " + ec.message();
      if (parser_->refused_status() != 0) {
        status = parser_->refused_status();
        detail = parser_->refused_detail();
      } else if (ec == http::error::body_limit) {
        status = 413;
        detail = "request body exceeds " + std::to_string(server_->options.max_body_bytes) +
                 " bytes";
      } else if (ec == http::error::header_limit) {
        status = 431;
        detail = "request header exceeds " + std::to_string(server_->options.max_header_bytes) +
                 " bytes";
      }
      return Send(ProblemResponse(status, detail, NewRequestId()), /*keep_alive=*/false, 11);
    }
    ++requests_;
    HttpRequest req = std::move(parser_->request());
    const std::string* rid = req.Header("x-request-id");
    req.request_id = rid && ValidRequestId(*rid) ? *rid : NewRequestId();
    req.remote = remote_;
    bool keep_alive = parser_->keep_alive();
    unsigned version = parser_->version();
    head_ = parser_->is_head();
    parser_.reset();
    if (server_->stopping.load()) {
      // Shutting down: a request read now is answered at once (never dispatched), so that
      // the grace period covers it and no client is left without an answer.
      HttpResponse r = ProblemResponse(503, "the server is shutting down; retry shortly",
                                       req.request_id);
      r.headers.emplace_back("Retry-After", "1");
      return Send(std::move(r), /*keep_alive=*/false, version);
    }
    if (Status parsed = ParseTarget(req.target, &req); !parsed.ok()) {
      return Send(parsed.pointer().empty() ? ProblemResponse(400, parsed.message(), req.request_id)
                                           : ProblemResponse(parsed, req.request_id),
                  keep_alive, version);
    }
    // Query parameters are text: ids, cursors, filters. Bytes that are not UTF-8 (or control
    // characters) are refused here, naming the parameter, the same on every storage backend
    // (PostgreSQL's text keys could not even be compared with them).
    for (const auto& [key, value] : req.query) {
      if (ValidText(key) && ValidText(value)) continue;
      const std::string name = ValidText(key) ? key : "query";
      return Send(ProblemResponse(Status::InvalidArgument(
                                      Field("/" + name),
                                      "query parameter is not UTF-8 text without control "
                                      "characters"),
                                  req.request_id),
                  keep_alive, version);
    }
    // No reads while a request is being handled: one request at a time per connection.
    ClearDeadline();
    server_->in_flight++;
    auto self = derived().shared_from_this();
    std::string request_id = req.request_id;
    server_->dispatch(std::move(req), [self, keep_alive, version,
                                       request_id](HttpResponse response) mutable {
      auto executor = self->timer_.get_executor();
      net::dispatch(executor, [self, response = std::move(response), keep_alive, version,
                               request_id]() mutable {
        self->server_->in_flight--;
        response.headers.emplace_back("X-Request-Id", request_id);
        self->Send(std::move(response), keep_alive, version);
      });
    });
  }

  // Serializes the response head by hand (status line, fixed headers, the handler's headers,
  // Content-Length) and writes head and body as two buffers in one gathered write.
  void Send(HttpResponse r, bool keep_alive, unsigned version) {
    if (closed_) return;
    if (server_->stopping.load()) keep_alive = false;
    out_head_.clear();
    out_head_.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    out_head_.append(std::to_string(r.status));
    out_head_.push_back(' ');
    beast::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
    out_head_.append(reason.data(), reason.size());
    out_head_.append("\r\nServer: creditbank\r\n");
    AppendHeader(&out_head_, "Content-Type", r.content_type);
    // no-store unless the handler chose a caching policy (the portal's static files do).
    bool own_cache_control = std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) {
      return beast::iequals(h.first, "cache-control");
    });
    if (!own_cache_control) out_head_.append("Cache-Control: no-store\r\n");
    out_head_.append("X-Content-Type-Options: nosniff\r\n");
    for (const auto& [k, v] : r.headers) AppendHeader(&out_head_, k, v);
    // A 304 has no content and no Content-Length of its own (RFC 9110 §8.6, §15.4.5).
    if (r.status != 304) {
      out_head_.append("Content-Length: ");
      out_head_.append(std::to_string(r.body.size()));
      out_head_.append("\r\n");
    }
    if (!keep_alive) {
      out_head_.append("Connection: close\r\n");
    } else if (version == 10) {
      out_head_.append("Connection: keep-alive\r\n");
    }
    out_head_.append("\r\n");
    out_body_ = std::move(r.body);
    // HEAD gets a GET's headers, Content-Length included, and no body (RFC 9110 §9.3.2);
    // body bytes after them would be read as the start of the next response.
    if (head_) out_body_.clear();
    SetDeadline(server_->options.read_timeout_ms);
    std::array<net::const_buffer, 2> buffers{net::buffer(out_head_), net::buffer(out_body_)};
    net::async_write(derived().stream(), buffers,
                     [self = derived().shared_from_this(), keep_alive](beast::error_code ec,
                                                                       std::size_t) {
                       self->OnWrite(ec, keep_alive);
                     });
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    if (closed_) return;
    if (ec || !keep_alive) return derived().DoClose();
    if (out_body_.capacity() > (64u << 10)) std::string().swap(out_body_);
    DoRead();
  }

  HttpServer::Impl* server_;
  net::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timer_armed_ = false;
  Clock::time_point armed_for_;
  uint64_t timer_generation_ = 0;
  bool closed_ = false;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::string out_head_;
  std::string out_body_;
  std::string remote_;
  uint64_t requests_ = 0;
  bool head_ = false;  // the request being answered is HEAD
};

class PlainSession : public Session<PlainSession>,
                     public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket&& socket, HttpServer::Impl* server)
      : Session(server, socket.get_executor()), stream_(std::move(socket)) {}
  ~PlainSession() {
    Unregister();
    server_->connections--;
  }
  tcp::socket& stream() { return stream_; }
  void Run() {
    Start();
    DoRead();
  }
  // Over the connection limit: answer 503 and close.
  void Reject(HttpResponse r) {
    Start();
    Send(std::move(r), /*keep_alive=*/false, 11);
  }
  // Half-closes, then reads and discards what the client still sends (bounded in bytes and
  // time), so that closing does not reset the connection before the client has read our
  // answer (for example a 413 while it is still uploading).
  void DoClose() {
    if (closed_) return;
    beast::error_code ec;
    stream_.shutdown(tcp::socket::shutdown_send, ec);
    SetDeadline(2000);
    Drain();
  }
  void Drain() {
    stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](
                                                       beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kMaxDrainBytes) return self->CloseNow();
      self->Drain();
    });
  }
  friend class Session<PlainSession>;

 private:
  static constexpr size_t kMaxDrainBytes = 64u << 20;
  tcp::socket stream_;
  std::array<char, 16384> scratch_;
  size_t drained_ = 0;
};

class TlsSession : public Session<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(tcp::socket&& socket, ssl::context& ctx, HttpServer::Impl* server)
      : Session(server, socket.get_executor()), stream_(std::move(socket), ctx) {}
  ~TlsSession() {
    Unregister();
    server_->connections--;
  }
  beast::ssl_stream<tcp::socket>& stream() { return stream_; }
  void Run() { Handshake(std::nullopt); }
  // Over the connection limit: complete the handshake, answer 503 over TLS, and close.
  void Reject(HttpResponse r) { Handshake(std::move(r)); }
  void DoClose() {
    if (closed_ || shutting_down_) return;
    shutting_down_ = true;
    SetDeadline(5000);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->CloseNow(); });
  }
  friend class Session<TlsSession>;

 private:
  void Handshake(std::optional<HttpResponse> reject) {
    Start();
    SetDeadline(server_->options.read_timeout_ms);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this(), reject = std::move(reject)](
                                beast::error_code ec) mutable {
                              if (ec) return self->CloseNow();
                              if (reject) return self->Send(std::move(*reject), false, 11);
                              self->DoRead();
                            });
  }
  beast::ssl_stream<tcp::socket> stream_;
  bool shutting_down_ = false;
};

}  // namespace

void HttpServer::Impl::Accept() {
  net::io_context& peer = *contexts[next_context];
  next_context = (next_context + 1) % contexts.size();
  acceptor->async_accept(peer, [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (stopping.load() || ec == net::error::operation_aborted) return;
      return Accept();
    }
    socket.set_option(tcp::no_delay(true), ec);
    int open = ++connections;  // the session's destructor gives it back
    auto start = [open, max = options.max_connections](auto session) {
      if (open > max) {
        session->Reject(
            [] {
              HttpResponse r =
                  ProblemResponse(503, "too many open connections; retry shortly", NewRequestId());
              r.headers.emplace_back("Retry-After", "1");
              return r;
            }());
      } else {
        session->Run();
      }
    };
    // The session runs on its socket's io_context thread.
    auto executor = socket.get_executor();
    if (tls) {
      auto session = std::make_shared<TlsSession>(std::move(socket), *tls, this);
      net::dispatch(executor, [session, start] { start(session); });
    } else {
      auto session = std::make_shared<PlainSession>(std::move(socket), this);
      net::dispatch(executor, [session, start] { start(session); });
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
      return Status::InvalidArgument(
          Field("tls_cert"),
          "cannot load TLS certificate " + impl->options.tls_cert_file + ": " + ec.message());
    }
    impl->tls->use_private_key_file(impl->options.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument(
          Field("tls_key"),
          "cannot load TLS key " + impl->options.tls_key_file + ": " + ec.message());
    }
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Status HttpServer::Start() {
  Impl& s = *impl_;
  int n = s.options.threads > 0 ? s.options.threads
                                : std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < n; ++i) s.contexts.push_back(std::make_unique<net::io_context>(1));
  s.acceptor.emplace(*s.contexts[0]);
  beast::error_code ec;
  auto address = net::ip::make_address(s.options.host, ec);
  if (ec) return Status::InvalidArgument(Field("listen"), "not an IP address: " + s.options.host);
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + s.options.host + ":" +
                               std::to_string(s.options.port) + ": " + ec.message());
  }
  for (auto& ctx : s.contexts) s.work.push_back(net::make_work_guard(*ctx));
  s.Accept();
  for (auto& ctx : s.contexts) {
    s.threads.emplace_back([ctx = ctx.get()] {
      pthread_setname_np(pthread_self(), "cb-http");
      ctx->run();
    });
  }
  return Status::Ok();
}

uint16_t HttpServer::port() const {
  if (!impl_->acceptor) return 0;
  beast::error_code ec;
  auto ep = impl_->acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

int HttpServer::open_connections() const { return impl_->connections.load(); }
int HttpServer::in_flight() const { return impl_->in_flight.load(); }

void HttpServer::Shutdown(int grace_ms) {
  Impl& s = *impl_;
  if (s.shutdown_called.exchange(true)) return;
  if (s.acceptor && !s.threads.empty()) {
    // The acceptor belongs to contexts[0]'s thread; close it there and wait for that.
    std::promise<void> closed;
    net::post(*s.contexts[0], [&s, &closed] {
      beast::error_code ec;
      s.acceptor->close(ec);
      s.stopping = true;
      closed.set_value();
    });
    closed.get_future().wait();
  } else {
    s.stopping = true;
  }
  // Every open connection is told: one waiting for its next request gets kStoppingIdleMs to
  // send it. Requests in flight finish and are answered with Connection: close; a request read
  // from now on is answered 503. Shutdown waits until every connection has closed (or the grace
  // period ends), so no request a client sent on an open connection is cut off unanswered.
  {
    std::lock_guard<std::mutex> lock(s.sessions_mu);
    for (Drainable* session : s.sessions) session->PostStopping();
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  // (A request in flight holds its connection open, so this covers in_flight too.)
  while (s.connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  s.work.clear();
  for (auto& ctx : s.contexts) ctx->stop();
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
