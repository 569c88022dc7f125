#include "api/bank_server.h"

#include <chrono>
#include <csignal>

#include "api/logging.h"
#include "crypto/cosignature.h"

namespace lcb {
namespace {

// The served-checkpoint rule, and the cosignatures kept in the store from the last run. A
// stored row that does not parse is logged and ignored: the witnesses are asked again.
Status ConfigureWitnesses(const Config& config, Services& services) {
  std::vector<Cosigner> cosigners;
  for (const WitnessConfig& w : config.witnesses) {
    auto c = ParseCosignerKey(w.vkey);
    if (!c.ok())
      return Status::InvalidArgument(Field("/witnesses/" + w.name), c.status().message());
    cosigners.push_back(std::move(c).value());
  }
  LogService& log = services.log();
  log.cosigned().Configure(std::move(cosigners), static_cast<size_t>(config.witness_quorum),
                           &services.kv());
  if (config.witnesses.empty()) return Status::Ok();
  auto restored = log.cosigned().Restore([&log](uint64_t size) { return log.CheckpointAt(size); });
  if (restored.ok()) {
    LogJson(LogLevel::kInfo, "witness cosignatures restored",
            {{"lines", restored->lines}, {"dropped", restored->dropped}});
  } else if (restored.status().code() == StatusCode::kDataLoss) {
    LogJson(LogLevel::kError, "stored witness cosignatures are unreadable; asking again",
            {{"error", restored.status().ToString()}});
  } else {
    return restored.status();
  }
  return Status::Ok();
}

}  // namespace

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
  if (s->services_->writer_lease()) {
    // Each forwarded write holds a thread while the writer answers: as many as the writer's
    // commit groups usually gather.
    s->forwarder_ = std::make_unique<WriteForwarder>(32);
    s->app_->SetForwarder(s->forwarder_.get());
  }
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
  LCB_RETURN_IF_ERROR(ConfigureWitnesses(config, *s->services_));
  if (!config.witnesses.empty()) {
    LCB_ASSIGN_OR_RETURN(s->witnesses_,
                         WitnessClient::Create(s->services_->log(), config.witnesses));
    if (WriterLeaseKeeper* lease = s->services_->writer_lease()) {
      s->witnesses_->SetActive([lease] { return lease->is_writer(); });
    }
  }
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
  if (services_->writer_lease()) {
    const std::string advertise =
        config_.storage_postgres_advertise.empty() ? url() : config_.storage_postgres_advertise;
    LCB_RETURN_IF_ERROR(services_->AdvertiseNode(advertise));
    LogJson(LogLevel::kInfo, "advertised for forwarded writes", {{"url", advertise}});
  }
  services_->StartWriterLease([](WriterLeaseKeeper::Event event, const std::string& detail) {
    using E = WriterLeaseKeeper::Event;
    switch (event) {
      case E::kAcquired:
        LogJson(LogLevel::kInfo, "this node writes the log", {{"lease", detail}});
        break;
      case E::kFollowing:
        LogJson(LogLevel::kInfo,
                "another node writes the log: this one serves reads and "
                "forwards writes to it",
                {{"lease", detail}});
        break;
      case E::kTookOver:
        LogJson(LogLevel::kWarn, "took over the log writer's lease: this node writes the log",
                {{"lease", detail}});
        break;
      case E::kTakeOverFailed:
        LogJson(LogLevel::kError,
                "took the log writer's lease but could not load the log: "
                "stepped down",
                {{"detail", detail}});
        break;
      case E::kLost:
        LogJson(LogLevel::kError,
                "lost the log writer's lease: this node now forwards writes "
                "to the new writer",
                {{"detail", detail}});
        break;
      case E::kRenewFailed:
        LogJson(LogLevel::kWarn, "could not renew the log writer's lease", {{"detail", detail}});
        break;
      case E::kFollowFailed:
        LogJson(LogLevel::kError, "cannot follow the shared store (reads may be stale)",
                {{"detail", detail}});
        break;
      case E::kFollowResumed:
        LogJson(LogLevel::kInfo, "following the shared store again");
        break;
    }
  });
  if (witnesses_) witnesses_->Start();
  services_->stats().StartKeeper(std::chrono::milliseconds(config_.stats_max_staleness_ms),
                                 std::chrono::milliseconds(0), config_.stats_idle_keeper);
  if (config_.stats_build_on_start) {
    // One scan of every learner (seconds to a minute at 10^6): done now, beside the first
    // requests, rather than inside a regulator's first GET /v1/stats.
    Services* services = services_.get();
    blocking_->Post([services] {
      const auto started = std::chrono::steady_clock::now();
      StatusOr<size_t> built = services->stats().Build();
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count();
      if (built.ok()) {
        LogJson(LogLevel::kInfo, "statistics aggregates built",
                {{"learners", *built}, {"duration_ms", ms}});
      } else {
        LogJson(LogLevel::kWarn, "statistics aggregates not built (the first request retries)",
                {{"error", built.status().ToString()}, {"duration_ms", ms}});
      }
    });
  }
  return Status::Ok();
}

void BankServer::Stop(int grace_ms) {
  if (stopped_) return;
  stopped_ = true;
  // Open() may have failed part way (a store another process holds, a port in use): only what
  // was made is stopped.
  if (app_) app_->SetReady(false);
  if (http_) http_->Shutdown(grace_ms);
  if (forwarder_) forwarder_->Stop();
  if (witnesses_) witnesses_->Stop();
  if (services_) services_->Stop();
  if (workers_) workers_->Stop();
  if (blocking_) blocking_->Stop();
}

std::string BankServer::url() const {
  std::string scheme = config_.tls_cert.empty() ? "http" : "https";
  return scheme + "://" + config_.host() + ":" + std::to_string(http_->port());
}

}  // namespace lcb
