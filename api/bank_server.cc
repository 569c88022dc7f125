#include "api/bank_server.h"

namespace lcb {

StatusOr<std::unique_ptr<BankServer>> BankServer::Open(const Config& config,
                                                       std::string* first_admin_token) {
  std::unique_ptr<BankServer> s(new BankServer());
  s->config_ = config;
  LCB_ASSIGN_OR_RETURN(s->services_, Services::Open(config, first_admin_token));
  s->workers_ = std::make_unique<WorkerPool>(config.worker_threads);
  s->blocking_ = std::make_unique<WorkerPool>(config.blocking_threads);
  WorkerPool* workers = s->workers_.get();
  WorkerPool* blocking = s->blocking_.get();
  s->services_->SetExecutors([workers](std::function<void()> f) { workers->Post(std::move(f)); },
                             [blocking](std::function<void()> f) { blocking->Post(std::move(f)); });
  s->app_ = std::make_unique<App>(
      *s->services_, [blocking](std::function<void()> f) { blocking->Post(std::move(f)); });
  ServerOptions options;
  options.host = config.host();
  options.port = config.port();
  options.threads = config.threads;
  options.max_body_bytes = config.max_body_bytes;
  options.max_header_bytes = config.max_header_bytes;
  options.read_timeout_ms = config.read_timeout_ms;
  options.idle_timeout_ms = config.idle_timeout_ms;
  options.max_connections = config.max_connections;
  options.tls_cert_file = config.tls_cert;
  options.tls_key_file = config.tls_key;
  App* app = s->app_.get();
  LCB_ASSIGN_OR_RETURN(s->http_, HttpServer::Create(options, [app](HttpRequest r, Respond respond) {
                         app->Dispatch(std::move(r), std::move(respond));
                       }));
  return s;
}

BankServer::~BankServer() { Stop(config_.shutdown_grace_ms); }

Status BankServer::Start() {
  LCB_RETURN_IF_ERROR(http_->Start());
  services_->credentials().SetDefaultPublicUrl(url());  // used when public_url is unset
  app_->AttachServer(http_.get());
  return Status::Ok();
}

void BankServer::Stop(int grace_ms) {
  if (stopped_) return;
  stopped_ = true;
  app_->SetReady(false);
  http_->Shutdown(grace_ms);
  services_->Stop();
  workers_->Stop();
  blocking_->Stop();
}

std::string BankServer::url() const {
  std::string scheme = config_.tls_cert.empty() ? "http" : "https";
  return scheme + "://" + config_.host() + ":" + std::to_string(http_->port());
}

}  // namespace lcb
