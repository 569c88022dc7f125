#include "api/witness_client.h"

#include "api/http_client.h"
#include "api/logging.h"
#include "common/encoding.h"
#include "crypto/cosignature.h"

namespace lcb {

struct WitnessClient::Peer {
  WitnessConfig config;
  Cosigner cosigner;
  std::string prefix;  // the URL's path, "" or "/x"
  std::unique_ptr<HttpClient> http;
  uint64_t known_size = 0;  // the witness's size as it last told us
  std::string last_note;    // the note it last cosigned
};

namespace {

std::string UrlPrefix(const std::string& url) {
  auto parts = SplitHttpUrl(url, Field("/url"));
  std::string path = parts.ok() ? parts->path : "";
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

std::string AddCheckpointBody(uint64_t old_size, const std::vector<Hash>& proof,
                              const std::string& note) {
  std::string body = "old " + std::to_string(old_size) + "\n";
  for (const Hash& h : proof) body += Base64Encode(HashBytes(h)) + "\n";
  body += "\n";
  body += note;
  return body;
}

// Outcome of one add-checkpoint round trip.
enum class Sent { kCosigned, kRetryNow, kFailed };

}  // namespace

StatusOr<std::unique_ptr<WitnessClient>> WitnessClient::Create(
    LogService& log, const std::vector<WitnessConfig>& ws) {
  std::unique_ptr<WitnessClient> c(new WitnessClient());
  c->log_ = &log;
  for (const WitnessConfig& w : ws) {
    auto cosigner = ParseCosignerKey(w.vkey);
    if (!cosigner.ok()) {
      return Status::InvalidArgument(Field("/witnesses/" + w.name), cosigner.status().message());
    }
    auto peer = std::make_unique<Peer>();
    peer->config = w;
    peer->cosigner = std::move(cosigner).value();
    peer->prefix = UrlPrefix(w.url);
    // What the store remembers (CosignedCheckpoints::Restore): the witness's size, and no
    // second request for a checkpoint it already cosigned.
    peer->last_note = log.cosigned().LastCosigned(w.name);
    peer->known_size = peer->last_note.empty() ? 0 : CheckpointSize(peer->last_note);
    c->peers_.push_back(std::move(peer));
  }
  return c;
}

WitnessClient::~WitnessClient() { Stop(); }

void WitnessClient::Start() {
  for (auto& peer : peers_) {
    Peer* p = peer.get();
    threads_.emplace_back([this, p] { Run(*p); });
  }
}

void WitnessClient::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

bool WitnessClient::SleepFor(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
  return !stopping_;
}

namespace {

// One add-checkpoint call for `note` of `size`; updates the peer's known size on 409.
Sent SendOnce(LogService& log, WitnessClient::Peer& p, const std::string& note, uint64_t size,
              std::string* error, std::string* line) {
  if (p.known_size > size) {
    *error = "the witness has cosigned size " + std::to_string(p.known_size) +
             ", larger than the log's " + std::to_string(size);
    return Sent::kFailed;
  }
  auto proof = log.ConsistencyProof(p.known_size, size);
  if (!proof.ok()) {
    *error = "consistency proof: " + proof.status().ToString();
    return Sent::kFailed;
  }
  if (!p.http) {
    auto http = HttpClient::Connect(p.config.url);
    if (!http.ok()) {
      *error = http.status().message();
      return Sent::kFailed;
    }
    p.http = std::move(http).value();
  }
  auto resp = p.http->Request(
      "POST", p.prefix + "/add-checkpoint", AddCheckpointBody(p.known_size, *proof, note),
      {{"Content-Type", "text/plain; charset=utf-8"}}, WitnessClient::kRequestTimeoutMs);
  if (!resp.ok()) {
    p.http.reset();
    *error = resp.status().message();
    return Sent::kFailed;
  }
  if (resp->status == 409) {
    std::string text = resp->body;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    const uint64_t theirs = std::strtoull(text.c_str(), nullptr, 10);
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
        theirs == p.known_size) {
      *error = "409 at size " + std::to_string(p.known_size) + ": " + resp->body;
      return Sent::kFailed;
    }
    p.known_size = theirs;
    return Sent::kRetryNow;
  }
  if (resp->status != 200) {
    *error = "HTTP " + std::to_string(resp->status) + ": " + resp->body;
    return Sent::kFailed;
  }
  const std::string body = note.substr(0, note.rfind("\n\n") + 1);
  std::string_view lines = resp->body;
  std::string why;  // why the last line of this witness's name was refused
  while (!lines.empty()) {
    const size_t eol = lines.find('\n');
    if (eol == std::string_view::npos) break;
    std::string_view one = lines.substr(0, eol + 1);
    lines.remove_prefix(eol + 1);
    // Dated more than kMaxCosignatureFutureSkewSeconds ahead of this clock is refused too.
    StatusOr<uint64_t> checked = VerifyCosignatureLine(one, body, p.cosigner);
    if (checked.ok()) {
      *line = std::string(one);
      p.known_size = size;
      return Sent::kCosigned;
    }
    if (checked.status().message().find(" is not from ") == std::string::npos) {
      why = checked.status().message();
    }
  }
  *error = "the witness answered 200 without a valid cosignature from " + p.cosigner.name +
           (why.empty() ? "" : ": " + why);
  return Sent::kFailed;
}

}  // namespace

void WitnessClient::Run(Peer& p) {
  int backoff_ms = 0;
  int retries_now = 0;
  int wait_ms = kPollMs;
  while (SleepFor(backoff_ms > 0 ? backoff_ms : wait_ms)) {
    wait_ms = kPollMs;
    if (active_ && !active_()) {
      wait_ms = kInactivePollMs;
      backoff_ms = 0;
      continue;
    }
    std::string note = log_->cosigned().Target(p.config.name, p.known_size);
    if (note.empty()) note = log_->LatestCheckpoint();
    if (note.empty() || note == p.last_note) continue;
    const uint64_t size = CheckpointSize(note);
    std::string error, line;
    Sent sent;
    do {
      sent = SendOnce(*log_, p, note, size, &error, &line);
    } while (sent == Sent::kRetryNow && ++retries_now < 4);
    retries_now = 0;
    if (sent == Sent::kRetryNow) error = "the witness kept answering 409 with another size";
    if (sent == Sent::kCosigned) {
      Status kept = log_->cosigned().Add(note, size, p.config.name, line);
      if (!kept.ok()) {
        LogJson(LogLevel::kWarn, "cannot keep a witness cosignature in the store",
                {{"witness", p.config.name}, {"error", kept.ToString()}});
      }
      p.last_note = note;
      backoff_ms = 0;
      wait_ms = kCosignIntervalMs;
      continue;
    }
    log_->cosigned().RecordFailure(p.config.name, error);
    backoff_ms = std::min(kMaxBackoffMs, std::max(kMinBackoffMs, backoff_ms * 2));
    LogJson(LogLevel::kWarn, "witness refused or unreachable",
            {{"witness", p.config.name}, {"error", error}, {"retry_ms", backoff_ms}});
  }
}

}  // namespace lcb
