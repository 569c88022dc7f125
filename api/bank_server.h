// BankServer: the running bank, in the one order start-up and shutdown must happen in. Used
// by `creditbank serve` and by the integration tests' server, so that order exists once.
//
// Start: services (store, log, ...) -> worker and blocking pools -> App -> HTTP server
// listening. Stop: not ready (/readyz 503) -> the HTTP server stops accepting and answers
// what is in flight (grace period) -> the log writer stops -> the pools drain -> the store
// closes.
#pragma once

#include <memory>
#include <string>

#include "api/app.h"
#include "api/server.h"
#include "api/witness_client.h"
#include "api/worker_pool.h"
#include "config/config.h"
#include "service/services.h"

namespace lcb {

class BankServer {
 public:
  // Opens the services; on first start *first_admin_token gets the admin token (also written
  // to config.admin_token_file).
  static StatusOr<std::unique_ptr<BankServer>> Open(const Config& config,
                                                    std::string* first_admin_token = nullptr);
  ~BankServer();

  // Binds config.listen and starts serving.
  Status Start();
  // Idempotent; waits up to `grace_ms` for open connections.
  void Stop(int grace_ms);

  uint16_t port() const { return http_->port(); }
  std::string url() const;
  Services& services() { return *services_; }
  // Null when no witness is configured.
  WitnessClient* witness_client() { return witnesses_.get(); }
  App& app() { return *app_; }

 private:
  BankServer() = default;

  Config config_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<WorkerPool> blocking_;
  std::unique_ptr<WriteForwarder> forwarder_;  // storage.backend postgres only
  std::unique_ptr<App> app_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<WitnessClient> witnesses_;
  bool stopped_ = false;
};

}  // namespace lcb
