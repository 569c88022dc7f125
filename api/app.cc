#include "api/app.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "api/handler_util.h"
#include "api/logging.h"
#include "api/portal_routes.h"
#include "api/routes.h"
#include "api/routes_tiles.h"
#include "api/server.h"
#include "api/witness_views.h"

namespace lcb {
namespace {

// The method as a metric label. Any token is a valid HTTP method, so labels come from a fixed
// set: one series per client-chosen method would let any client grow /metrics without bound.
const std::string& MetricMethod(const std::string& method) {
  static const std::string kKnown[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  static const std::string kOther = "OTHER";
  for (const std::string& m : kKnown) {
    if (m == method) return m;
  }
  return kOther;
}

}  // namespace

int RateLimiter::Acquire(const std::string& key) {
  if (rate_ <= 0) return 0;
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  if (buckets_.size() > 100000) buckets_.clear();  // bounded memory under a flood of keys
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
  b.last = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / rate_)));
}

void Metrics::Observe(const std::string& method, const std::string& route, int status,
                      double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_[{method, route, status}]++;
  Series& s = latency_[{method, route}];
  s.count++;
  s.sum += seconds;
  for (size_t i = 0; i < kNumBuckets; ++i) {
    if (seconds <= kBuckets[i]) s.buckets[i]++;
  }
}

std::string Metrics::Render() const {
  std::ostringstream out;
  out << std::setprecision(15);  // sums of seconds in full, not 6 digits
  std::lock_guard<std::mutex> lock(mu_);
  out << "# HELP creditbank_http_requests_total HTTP requests by route and status.\n"
         "# TYPE creditbank_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out << "creditbank_http_requests_total{method=\"" << std::get<0>(key) << "\",route=\""
        << std::get<1>(key) << "\",status=\"" << std::get<2>(key) << "\"} " << n << "\n";
  }
  out << "# HELP creditbank_http_request_duration_seconds Request latency.\n"
         "# TYPE creditbank_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : latency_) {
    std::string labels = "method=\"" + key.first + "\",route=\"" + key.second + "\"";
    for (size_t i = 0; i < kNumBuckets; ++i) {
      out << "creditbank_http_request_duration_seconds_bucket{" << labels << ",le=\""
          << kBuckets[i] << "\"} " << s.buckets[i] << "\n";
    }
    out << "creditbank_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} "
        << s.count << "\n";
    out << "creditbank_http_request_duration_seconds_sum{" << labels << "} " << s.sum << "\n";
    out << "creditbank_http_request_duration_seconds_count{" << labels << "} " << s.count << "\n";
  }
  return out.str();
}

App::App(Services& services, Executor blocking)
    : services_(services), blocking_(std::move(blocking)) {
  const Config& config = services.config();
  limiter_ = std::make_unique<RateLimiter>(config.rate_limit_rps, config.rate_limit_burst);
  sessions_ = std::make_unique<Sessions>(&services.kv(), SessionOptions::FromConfig(config));
  if (!config.credential_status_hosts.empty()) {
    status_lists_ = std::make_unique<StatusListFetcher>(config.credential_status_hosts);
    services.credential_input().SetStatusListFetch(
        [fetcher = status_lists_.get()](const std::string& url) { return fetcher->Fetch(url); });
  }
  router_.Add("GET", "/healthz", kAnyone, "Liveness: the process is up",
              [](RouteContext&, Respond respond) {
                respond(JsonResponse(200, json{{"status", "ok"}}));
              });
  router_.Add(
      "GET", "/readyz", kAnyone,
      "Readiness: the store answers and the log is open (and how the witnesses fare)",
      [this](RouteContext& ctx, Respond respond) {
        if (!ready_) {
          return respond(
              ProblemResponse(Status::Unavailable("shutting down"), ctx.request.request_id));
        }
        // What the store said stays in the log, not in this public answer.
        if (!StoreAnswers().ok()) {
          return respond(
              ProblemResponse(Status::Unavailable("the database does not answer; writes and reads "
                                                  "that need it get 503 until it does"),
                              ctx.request.request_id));
        }
        // The disk guard refuses every write: a node that can take none is not ready for the
        // traffic a load balancer would send it. (The sizes are the operator's: /metrics.)
        if (const std::optional<DiskSpace> disk = services_.kv().Disk(); disk && disk->refusing()) {
          return respond(ProblemResponse(
              Status::Unavailable("the disk is below its free-space floor (min_free_disk_bytes): "
                                  "writes get 503 until space returns"),
              ctx.request.request_id));
        }
        const uint64_t size = services_.log().Size();
        json body{{"status", "ready"}, {"tree_size", size}};
        if (services_.log().cosigned().enabled()) {
          body["witnesses"] = WitnessHealthJson(CurrentWitnessHealth(services_.log()));
        }
        respond(JsonResponse(200, body));
      },
      // A store across a network may take a moment to answer (or to fail to).
      services.writer_lease() != nullptr ? RunOn::kBlockingPool : RunOn::kHttpThread);
  router_.Add("GET", "/metrics", kAnyone, "Prometheus metrics (text format)",
              [this](RouteContext&, Respond respond) {
                respond(TextResponse(200, RenderMetrics(), "text/plain; version=0.0.4"));
              });
  router_.Add("GET", "/openapi.json", kAnyone, "This API's OpenAPI 3.1 document",
              [this](RouteContext&, Respond respond) {
                respond(JsonResponse(200, OpenApiDocument(router_)));
              });
  AddAdminRoutes(router_, services.tokens(), services.admin_log(),
                 [&services](const std::string& dir) { return services.Backup(dir); });
  AddCatalogRoutes(router_, services.catalog(), services.rulesets());
  AddRecordRoutes(router_, services.records(), services.learners(), services.passbook(),
                  services.catalog(), config.max_batch);
  AddConversionRoutes(router_, services.conversions(), services.learners(), services.log());
  AddLogRoutes(router_, services.log());
  AddTileRoutes(router_, services.log());
  AddRegimeRoutes(router_);
  AddSessionRoutes(router_, services, *sessions_);
  AddPortalRoutes(router_, *sessions_);
  // Before the credential routes: this handler owns GET /v1/learners/{id}/transcript and hands
  // format=clr to the credential service.
  AddTranscriptRoutes(router_, services.transcripts(), services.learners(), services.credentials(),
                      {config.public_url, !config.tls_cert.empty()});
  AddStatsRoutes(router_, services.stats(), config.stats_k);
  AddCredentialRoutes(router_, services.credentials(), services.records(), services.learners());
  AddCredentialInputRoutes(router_, services.credential_input(), services.learners());
  // One line when the disk guard starts refusing writes and one when it stops, not one per
  // refused request (each of those is in the request log as a 503).
  services.kv().SetDiskGuardListener([](const DiskSpace& disk) {
    const nlohmann::json fields = {{"free_bytes", disk.free_bytes},
                                   {"min_free_bytes", disk.min_free_bytes}};
    if (disk.refusing()) {
      LogJson(LogLevel::kWarn,
              "disk below its free-space floor (min_free_disk_bytes): writes refused (503) until "
              "space returns",
              fields);
    } else {
      LogJson(LogLevel::kWarn, "disk above its free-space floor again: writes accepted", fields);
    }
  });
}

App::~App() {
  // The services may outlive this App (tests): they must not call the fetcher freed here.
  if (status_lists_) services_.credential_input().SetStatusListFetch(nullptr);
  services_.kv().SetDiskGuardListener(nullptr);
}

Status App::StoreAnswers() {
  std::lock_guard<std::mutex> lock(ping_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (pinged_ && now - *pinged_ < std::chrono::seconds(1)) return ping_;
  Status s = services_.kv().Ping();
  if (!s.ok() && (!pinged_ || ping_.ok())) {
    LogJson(LogLevel::kWarn, "the store does not answer: not ready", {{"error", s.message()}});
  } else if (s.ok() && pinged_ && !ping_.ok()) {
    LogJson(LogLevel::kInfo, "the store answers again: ready");
  }
  ping_ = s;
  pinged_ = now;
  return s;
}

std::string App::RenderMetrics() {
  std::ostringstream out;
  // Counters past a million in full (the default 6 digits printed 10,000,000 as 1e+07).
  out << std::setprecision(15) << metrics_.Render();
  auto gauge = [&](const char* name, const char* help, const char* type, double value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
        << name << " " << value << "\n";
  };
  ServiceCounters& c = services_.counters();
  gauge("creditbank_records_ingested_total", "Records appended to the log.", "counter",
        static_cast<double>(c.records_ingested.load()));
  gauge("creditbank_records_rejected_total", "Records in rejected requests.", "counter",
        static_cast<double>(c.records_rejected.load()));
  gauge("creditbank_conversions_evaluated_total", "Conversion evaluations (dry runs and what-if).",
        "counter", static_cast<double>(c.conversions_evaluated.load()));
  gauge("creditbank_conversions_applied_total", "Conversions applied and logged.", "counter",
        static_cast<double>(c.conversions_applied.load()));
  LedgerStats ls = services_.log().Stats();
  gauge("creditbank_log_size", "Entries in the transparency log.", "gauge",
        static_cast<double>(services_.log().Size()));
  gauge("creditbank_log_commit_groups_total", "Commit groups (one checkpoint each).", "counter",
        static_cast<double>(ls.groups));
  gauge("creditbank_log_failed_writes_total", "Log writes that failed (nothing acknowledged).",
        "counter", static_cast<double>(ls.failed_writes));
  gauge("creditbank_log_lookup_seconds_total",
        "Seconds commit groups spent reading their idempotency keys from the store.", "counter",
        ls.lookup_seconds);
  gauge("creditbank_log_prepare_seconds_total",
        "Seconds the log's preparer spent on commit groups (lookups, tree, checkpoint, batch).",
        "counter", ls.prepare_seconds);
  gauge("creditbank_log_write_seconds_total",
        "Seconds the log's writer spent in synced writes of commit groups.", "counter",
        ls.write_seconds);
  gauge("creditbank_log_finish_seconds_total",
        "Seconds the log's writer spent answering the requests of written groups.", "counter",
        ls.finish_seconds);
  double age = ls.last_checkpoint_millis == 0
                   ? 0
                   : static_cast<double>(NowMillis() - ls.last_checkpoint_millis) / 1000.0;
  gauge("creditbank_checkpoint_age_seconds", "Seconds since this process signed a checkpoint.",
        "gauge", age);
  StatsService& stats = services_.stats();
  gauge("creditbank_stats_keeper_passes_total",
        "Passes of the /v1/stats keepers (while regulators ask, and between questions) that "
        "brought the figures up to the log's size.",
        "counter",
        static_cast<double>(stats.keeper_passes()));
  gauge("creditbank_stats_catch_ups_total",
        "/v1/stats questions that brought the figures up to date themselves.", "counter",
        static_cast<double>(stats.catch_ups()));
  gauge("creditbank_stats_catch_up_entries_total",
        "Log entries /v1/stats questions read themselves (what the keepers had not read yet).",
        "counter", static_cast<double>(stats.catch_up_entries()));
  const uint64_t counted = stats.counted_to(), size = services_.log().Size();
  gauge("creditbank_stats_lag_entries", "Log entries the /v1/stats figures do not count yet.",
        "gauge", static_cast<double>(size > counted ? size - counted : 0));
  if (server_) {
    gauge("creditbank_open_connections", "Open HTTP connections.", "gauge",
          server_->open_connections());
    gauge("creditbank_in_flight_requests", "Requests being handled.", "gauge",
          server_->in_flight());
  }
  gauge("creditbank_uptime_seconds", "Seconds since start.", "gauge",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  if (services_.log().cosigned().enabled()) {
    out << WitnessMetrics(CurrentWitnessHealth(services_.log()));
  }
  if (forwarder_) {
    gauge("creditbank_forwarded_writes_total",
          "Writes this node forwarded to the node that writes the log.", "counter",
          static_cast<double>(forwarder_->forwarded()));
    gauge("creditbank_forward_failures_total", "Writes that could not be forwarded (answered 503).",
          "counter", static_cast<double>(forwarder_->failed()));
  }
  if (const std::optional<DiskSpace> disk = services_.kv().Disk()) {
    gauge("creditbank_disk_free_bytes",
          "Bytes free on the store's disk (for this process: statvfs f_bavail).", "gauge",
          static_cast<double>(disk->free_bytes));
    gauge("creditbank_disk_min_free_bytes",
          "The disk guard's floor (min_free_disk_bytes): below it writes answer 503.", "gauge",
          static_cast<double>(disk->min_free_bytes));
  }
  for (const auto& [name, value] : services_.StorageStats()) {
    std::string full = "creditbank_" + name;
    gauge(full.c_str(), name.starts_with("postgres_") ? "PostgreSQL figure." : "RocksDB figure.",
          full.ends_with("_total") ? "counter" : "gauge", value);
  }
  return out.str();
}

namespace {

// The role-mask bit of a caller's kind (api/router.h); anonymous callers have none.
unsigned RoleBit(RoleKind kind) {
  switch (kind) {
    case RoleKind::kAdmin: return kAdmin;
    case RoleKind::kInstitution: return kInstitutionRole;
    case RoleKind::kLearner: return kLearnerRole;
    case RoleKind::kAuditor: return kAuditorRole;
    case RoleKind::kRegulator: return kRegulatorRole;
    case RoleKind::kAnonymous: return 0;
  }
  return 0;
}

}  // namespace

// Who is calling (a bearer token, else a portal session cookie) and whether that role may call
// `route`: the refusal to send (401, 403), or nothing, with *principal set.
std::optional<HttpResponse> App::Authorize(const Route& route, const HttpRequest& req,
                                           Principal* principal) {
  const std::string* auth = req.Header("authorization");
  if (!auth) {
    // No token: a portal session cookie may stand in for one (api/sessions.h).
    Status s = sessions_->AuthenticateRequest(req, route.roles == kAnyone, principal);
    if (!s.ok()) {
      HttpResponse r = ProblemResponse(s, req.request_id);
      if (s.code() == StatusCode::kUnauthenticated) {
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        r.headers.emplace_back("Set-Cookie", sessions_->ClearCookie());
      }
      return r;
    }
  }
  if (route.roles != kAnyone && !auth && principal->kind == RoleKind::kAnonymous) {
    HttpResponse r = ProblemResponse(
        Status::Unauthenticated(
            "this endpoint needs Authorization: Bearer <token> or a portal session"),
        req.request_id);
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (auth) {
    auto p = services_.tokens().Authenticate(*auth);
    if (!p.ok()) {
      HttpResponse r = ProblemResponse(p.status(), req.request_id);
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return r;
    }
    *principal = *p;
  }
  if (route.roles != kAnyone) {
    const unsigned bit = RoleBit(principal->kind);
    if ((route.roles & bit) == 0) {
      return ProblemResponse(
          Status::PermissionDenied("role " + principal->role() + " may not call " + req.method +
                                   " " + route.pattern),
          req.request_id);
    }
  }
  return std::nullopt;
}

void App::Dispatch(HttpRequest request, Respond respond) {
  auto start = std::chrono::steady_clock::now();
  auto req = std::make_shared<HttpRequest>(std::move(request));
  // A write another node of this bank forwarded (api/forwarder.h): the client is the address
  // that node names, when its tag verifies; else the request stays the forwarding node's.
  if (const std::string* tag = req->Header(WriteForwarder::kForwardedHeader)) {
    const std::string* client = req->Header("x-forwarded-for");
    if (client && !client->empty() && client->size() <= 64 &&
        services_.ForwardTagValid(req->request_id, *client, *tag)) {
      req->remote = *client;
    }
  }
  RouteMatch match = router_.Match(req->method, req->path);
  std::string route_name = match.route ? match.route->pattern : "unmatched";
  auto principal = std::make_shared<Principal>();

  // Wraps `respond` with the request log and metrics.
  Respond finish = [this, req, start, route_name, principal,
                    respond = std::move(respond)](HttpResponse response) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_.Observe(MetricMethod(req->method), route_name, response.status, seconds);
    LogLevel level = response.status >= 500 ? LogLevel::kError : LogLevel::kInfo;
    if (LogEnabled(level)) {
      LogJson(level, "request",
              {{"request_id", req->request_id},
               {"method", req->method},
               {"route", route_name},
               {"status", response.status},
               {"duration_ms", std::round(seconds * 1e5) / 100},
               {"role", principal->role()},
               {"remote", req->remote},
               {"bytes_in", req->body.size()},
               {"bytes_out", response.body.size()}});
    }
    respond(std::move(response));
  };

  if (!match.route) {
    if (match.path_known) {
      return finish(ProblemResponse(405, "method " + req->method + " is not allowed on " + req->path,
                                    req->request_id));
    }
    return finish(ProblemResponse(404, "no such endpoint: " + req->path, req->request_id));
  }
  const Route& route = *match.route;
  if (std::optional<HttpResponse> refused = Authorize(route, *req, principal.get())) {
    return finish(std::move(*refused));
  }
  std::string limit_key = principal->token_id.empty() ? "ip:" + req->remote : principal->token_id;
  if (int wait = limiter_->Acquire(limit_key); wait > 0) {
    HttpResponse r = ProblemResponse(429, "rate limit exceeded; retry after " +
                                              std::to_string(wait) + " s",
                                     req->request_id);
    r.headers.emplace_back("Retry-After", std::to_string(wait));
    return finish(std::move(r));
  }
  // A query parameter the route does not read is refused, naming it, before anything runs (or
  // is forwarded): ignored, a misspelt ?dry_run= would store what was meant as a test.
  if (const std::string* unknown = UndeclaredQueryParam(route, *req)) {
    return finish(ProblemResponse(UnknownQueryParam(route, *unknown), req->request_id));
  }
  if (forwarder_ && req->method != "GET" && req->method != "HEAD" &&
      !req->Header(WriteForwarder::kForwardedHeader)) {
    StatusOr<std::string> writer = services_.WriteTarget();
    if (!writer.ok()) {
      HttpResponse r = ProblemResponse(writer.status(), req->request_id);
      if (r.status != 503) r.headers.emplace_back("Retry-After", "1");
      return finish(std::move(r));
    }
    if (!writer->empty()) {
      std::string tag = services_.ForwardTag(req->request_id, req->remote);
      return forwarder_->Forward(*writer, req, std::move(tag), std::move(finish));
    }
  }
  auto ctx = std::make_shared<RouteContext>(RouteContext{*req, std::move(match.params), *principal});
  if ((route.run_on == RunOn::kBlockingPool || (route.blocking_if && route.blocking_if(*req))) &&
      blocking_) {
    // req is kept alive by `finish`, which the closure holds.
    return blocking_([this, &route, ctx, finish] { RunHandler(route, ctx, finish); });
  }
  RunHandler(route, ctx, std::move(finish));
}

void App::RunHandler(const Route& route, std::shared_ptr<RouteContext> ctx, Respond finish) {
  try {
    // ctx must outlive asynchronous handlers: keep it alive in the respond callback.
    route.handler(*ctx, [ctx, finish](HttpResponse r) { finish(std::move(r)); });
  } catch (const std::exception& e) {
    LogJson(LogLevel::kError, "handler threw",
            {{"request_id", ctx->request.request_id}, {"what", e.what()}});
    finish(ProblemResponse(500, "internal error", ctx->request.request_id));
  }
}

}  // namespace lcb
