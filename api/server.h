// The HTTP/1.1 server: Boost.Beast parser over Asio, one io_context per thread, keep-alive,
// optional TLS.
// This header has no Beast in it; the session code lives in server.cc.
//
// Limits on everything from the network (STYLE.md): body and header size, a read deadline for
// a whole request (slow clients are dropped), an idle deadline between keep-alive requests,
// and a maximum number of open connections (beyond it new connections get 503 and are closed).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http.h"
#include "common/status.h"

namespace lcb {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = ephemeral
  int threads = 0;       // 0 = hardware concurrency
  uint64_t max_body_bytes = 8u << 20;
  uint64_t max_header_bytes = 16u << 10;
  int read_timeout_ms = 30'000;
  int idle_timeout_ms = 60'000;
  int max_connections = 1024;
  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;
};

// Called for every complete request; must call `respond` exactly once (any thread).
using Dispatcher = std::function<void(HttpRequest request, Respond respond)>;

class HttpServer {
 public:
  static StatusOr<std::unique_ptr<HttpServer>> Create(ServerOptions options, Dispatcher dispatch);
  ~HttpServer();

  // Binds and starts the worker threads; returns once the port is listening.
  Status Start();
  uint16_t port() const;
  // Stops accepting, answers the requests in flight and any that arrive on open connections,
  // and waits up to `grace_ms` for every connection to close; then stops the threads. Must not
  // be called from one of the server's own threads. Safe to call twice.
  void Shutdown(int grace_ms);
  // Blocks until Shutdown has completed.
  void Wait();
  int open_connections() const;
  int in_flight() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lcb
