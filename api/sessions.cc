#include "api/sessions.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

using json = nlohmann::json;

constexpr std::string_view kCookieName = "cb_session";
constexpr std::string_view kSecretPrefix = "cbs_";
constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kCodeSymbols = 12;
constexpr size_t kMaxSecretBytes = 128;
constexpr int64_t kTouchEveryMs = 60 * 1000;
constexpr uint64_t kSweepEvery = 64;     // writes between sweeps of expired rows
constexpr size_t kSweepRows = 1000;      // rows a sweep looks at, per prefix
constexpr size_t kMaxTracked = 100'000;  // bound on in-memory maps under a flood

std::string HashKeyHex(std::string_view secret) { return HashHex(Sha256(secret)); }
std::string CodeKey(const std::string& hash_hex) { return "c/" + hash_hex; }
std::string SessionKey(const std::string& hash_hex) { return "s/" + hash_hex; }
std::string SessionIdKey(const std::string& id) { return "si/" + id; }
std::string LearnerIndexPrefix(const std::string& learner) { return "sl/" + learner + "/"; }
std::string LearnerIndexKey(const std::string& learner, const std::string& id) {
  return LearnerIndexPrefix(learner) + id;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool StateChanging(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// Drops failures older than the window from the front of a time-ordered queue.
void Prune(std::deque<int64_t>* times, int64_t oldest_kept) {
  while (!times->empty() && times->front() < oldest_kept) times->pop_front();
}

}  // namespace

struct Sessions::Row {
  SessionInfo info;
  std::string token_id;
  json doc;
};

SessionOptions SessionOptions::FromConfig(const Config& config) {
  SessionOptions o;
  o.idle_timeout_ms = int64_t{config.session_idle_timeout_s} * 1000;
  o.max_age_ms = int64_t{config.session_max_age_s} * 1000;
  o.code_ttl_ms = int64_t{config.sign_in_code_ttl_s} * 1000;
  o.max_failures = config.sign_in_max_failures;
  // Unset: ten times the code's limit, so an operator who tightened that one (before the two
  // were apart, it was the address's too) keeps a proportionate address limit.
  o.max_failures_per_address = config.sign_in_max_failures_per_address > 0
                                   ? config.sign_in_max_failures_per_address
                                   : 10 * config.sign_in_max_failures;
  o.failure_window_ms = int64_t{config.sign_in_failure_window_s} * 1000;
  o.secure_cookie = !config.tls_cert.empty();
  return o;
}

std::string FormatRfc3339Millis(int64_t ms) {
  Days days = static_cast<Days>(ms / 86'400'000);
  int64_t rem = ms % 86'400'000;
  CivilDate d = CivilFromDays(days);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", d.year, d.month, d.day,
                static_cast<int>(rem / 3'600'000), static_cast<int>(rem / 60'000 % 60),
                static_cast<int>(rem / 1000 % 60), static_cast<int>(rem % 1000));
  return buf;
}

std::optional<std::string_view> SessionCookieValue(std::string_view header) {
  // RFC 6265 §5.4: "name=value" pairs separated by "; ". The first cb_session wins.
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = header.substr(pos, end - pos);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == kCookieName) {
      return pair.substr(eq + 1);
    }
    pos = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> Sessions::NormalizeCode(std::string_view typed) {
  std::string symbols;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (u == 'O') u = '0';
    if (u == 'I' || u == 'L') u = '1';
    if (kCrockford.find(u) == std::string_view::npos) return std::nullopt;
    symbols.push_back(u);
    if (symbols.size() > kCodeSymbols) return std::nullopt;
  }
  if (symbols.size() != kCodeSymbols) return std::nullopt;
  return symbols.substr(0, 4) + "-" + symbols.substr(4, 4) + "-" + symbols.substr(8, 4);
}

std::string Sessions::CsrfToken(std::string_view secret) {
  Hash mac = HmacSha256(secret, "csrf");
  return Base64UrlEncode(HashBytes(mac));
}

std::string Sessions::SetCookie(std::string_view secret) const {
  // No Max-Age: the browser forgets the cookie when it closes (shared computers); the server
  // enforces the idle and absolute expiry either way.
  std::string c =
      std::string(kCookieName) + "=" + std::string(secret) + "; HttpOnly; SameSite=Strict; Path=/";
  if (options_.secure_cookie) c += "; Secure";
  return c;
}

std::string Sessions::ClearCookie() const {
  std::string c = std::string(kCookieName) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";
  if (options_.secure_cookie) c += "; Secure";
  return c;
}

Sessions::Sessions(Kv* kv, SessionOptions options, Clock now)
    : kv_(kv), options_(options), now_(std::move(now)) {}

StatusOr<SignInCode> Sessions::CreateCode(const std::string& learner, const Principal& by) {
  SignInCode out;
  std::string random = RandomBytes(kCodeSymbols);
  std::string symbols;
  for (unsigned char b : random) symbols.push_back(kCrockford[b & 31]);
  out.code = *NormalizeCode(symbols);
  out.learner = learner;
  int64_t now = now_();
  out.expires_ms = now + options_.code_ttl_ms;
  json row = {{"learner", learner},
              {"created_by", by.role()},
              {"created_at", FormatRfc3339Millis(now)},
              {"expires_ms", out.expires_ms}};
  WriteBatch batch;
  batch.Put(Table::kTokens, CodeKey(HashKeyHex(out.code)), row.dump());
  LCB_RETURN_IF_ERROR(kv_->Write(batch, /*sync=*/true));
  MaybeSweep();
  return out;
}

int Sessions::RetryAfter(const std::string& remote, const std::string& code_key) {
  int64_t now = now_();
  int64_t oldest_kept = now - options_.failure_window_ms;
  int64_t until = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto* map : {&failures_by_address_, &failures_by_code_}) {
    const std::string& key = map == &failures_by_address_ ? remote : code_key;
    auto it = map->find(key);
    if (it == map->end()) continue;
    Prune(&it->second, oldest_kept);
    const int most =
        map == &failures_by_address_ ? options_.max_failures_per_address : options_.max_failures;
    if (static_cast<int>(it->second.size()) >= most) {
      until = std::max(until, it->second.front() + options_.failure_window_ms);
    }
  }
  if (until <= now) return 0;
  return static_cast<int>(std::max<int64_t>(1, (until - now + 999) / 1000));
}

void Sessions::RecordFailure(const std::string& remote, const std::string& code_key) {
  int64_t now = now_();
  std::lock_guard<std::mutex> lock(mu_);
  if (failures_by_address_.size() > kMaxTracked) failures_by_address_.clear();
  if (failures_by_code_.size() > kMaxTracked) failures_by_code_.clear();
  failures_by_address_[remote].push_back(now);
  failures_by_code_[code_key].push_back(now);
}

StatusOr<NewSession> Sessions::SignInWithCode(std::string_view typed, const std::string& remote,
                                              int* retry_after_s) {
  *retry_after_s = 0;
  std::optional<std::string> code = NormalizeCode(typed);
  // A code that cannot be one still counts, under its own spelling, so that nothing is free.
  std::string code_hash = HashKeyHex(code ? *code : std::string(typed.substr(0, 64)));
  if (int wait = RetryAfter(remote, code_hash); wait > 0) {
    *retry_after_s = wait;
    return Status::ResourceExhausted("too many failed sign-in attempts; retry after " +
                                     std::to_string(wait) + " s");
  }
  auto fail = [&](const std::string& why) {
    RecordFailure(remote, code_hash);
    return Status::Unauthenticated(why);
  };
  if (!code) return fail("that is not a sign-in code: it has 12 letters and digits");
  std::lock_guard<std::mutex> lock(code_mu_);
  std::string value;
  Status s = kv_->Get(Table::kTokens, CodeKey(code_hash), &value);
  if (s.code() == StatusCode::kNotFound) {
    return fail("the sign-in code is not valid: it may have been used already");
  }
  LCB_RETURN_IF_ERROR(s);
  json row = json::parse(value, nullptr, false);
  if (row.is_discarded() || !row.contains("learner"))
    return Status::DataLoss("code row is corrupt");
  int64_t now = now_();
  if (row.value("expires_ms", int64_t{0}) <= now) {
    WriteBatch batch;
    batch.Delete(Table::kTokens, CodeKey(code_hash));
    LCB_RETURN_IF_ERROR(kv_->Write(batch, /*sync=*/false));
    return fail("the sign-in code has expired: ask for a new one");
  }
  Principal p;
  p.kind = RoleKind::kLearner;
  p.subject = row["learner"].get<std::string>();
  return Open(p, "code", row.value("created_by", ""), now + options_.max_age_ms,
              CodeKey(code_hash));
}

StatusOr<NewSession> Sessions::SignInWithToken(const Principal& token_principal) {
  if (token_principal.token_id.empty()) return Status::Internal("a token principal has an id");
  int64_t token_expires = 0;
  LCB_ASSIGN_OR_RETURN(bool live, TokenLive(token_principal.token_id, &token_expires));
  if (!live) return Status::Unauthenticated("the token is not valid");
  int64_t expires = now_() + options_.max_age_ms;
  if (token_expires != 0) expires = std::min(expires, token_expires);
  Principal p = token_principal;
  p.session_id.clear();
  return Open(p, "token", token_principal.token_id, expires, "");
}

StatusOr<NewSession> Sessions::Open(Principal principal, const std::string& via,
                                    const std::string& created_by, int64_t expires_ms,
                                    const std::string& spent_code_key) {
  NewSession out;
  out.secret = std::string(kSecretPrefix) + Base64UrlEncode(RandomBytes(32));
  out.csrf_token = CsrfToken(out.secret);
  int64_t now = now_();
  SessionInfo& info = out.info;
  info.id = "ses_" + HexEncode(RandomBytes(8));
  info.via = via;
  info.created_by = created_by;
  info.created_ms = now;
  info.expires_ms = expires_ms;
  info.last_seen_ms = now;
  info.idle_expires_ms = std::min(expires_ms, now + options_.idle_timeout_ms);
  json row = {{"id", info.id},     {"role", principal.role()}, {"via", via},
              {"created_ms", now}, {"expires_ms", expires_ms}, {"last_seen_ms", now}};
  if (!created_by.empty()) row["created_by"] = created_by;
  if (via == "token") row["token_id"] = principal.token_id;
  const bool learner = principal.kind == RoleKind::kLearner;
  if (learner) row["indexed"] = true;
  principal.session_id = info.id;
  info.principal = principal;
  std::string hash = HashKeyHex(out.secret);
  WriteBatch batch;
  batch.Put(Table::kTokens, SessionKey(hash), row.dump());
  batch.Put(Table::kTokens, SessionIdKey(info.id), hash);
  if (learner) batch.Put(Table::kTokens, LearnerIndexKey(principal.subject, info.id), hash);
  if (!spent_code_key.empty()) batch.Delete(Table::kTokens, spent_code_key);
  LCB_RETURN_IF_ERROR(kv_->Write(batch, /*sync=*/true));
  MaybeSweep();
  return out;
}

StatusOr<Sessions::Row> Sessions::ReadSession(const std::string& hash) {
  std::string value;
  Status s = kv_->Get(Table::kTokens, SessionKey(hash), &value);
  if (s.code() == StatusCode::kNotFound) return Status::Unauthenticated("not signed in");
  LCB_RETURN_IF_ERROR(s);
  Row row;
  row.doc = json::parse(value, nullptr, false);
  if (row.doc.is_discarded() || !row.doc.contains("role") || !row.doc.contains("id")) {
    return Status::DataLoss("session row is corrupt");
  }
  auto p = ParseRole(row.doc["role"].get<std::string>());
  if (!p.ok()) return Status::DataLoss("session row is corrupt");
  SessionInfo& info = row.info;
  info.id = row.doc["id"].get<std::string>();
  info.principal = *p;
  info.principal.session_id = info.id;
  info.via = row.doc.value("via", "");
  info.created_by = row.doc.value("created_by", "");
  info.created_ms = row.doc.value("created_ms", int64_t{0});
  info.expires_ms = row.doc.value("expires_ms", int64_t{0});
  info.last_seen_ms = row.doc.value("last_seen_ms", int64_t{0});
  row.token_id = row.doc.value("token_id", "");
  // A token session acts as its token: the same id keys the per-token rate limit.
  info.principal.token_id = row.token_id.empty() ? info.id : row.token_id;
  return row;
}

Status Sessions::DeleteSession(const std::string& hash, const SessionInfo& info) {
  WriteBatch batch;
  batch.Delete(Table::kTokens, SessionKey(hash));
  batch.Delete(Table::kTokens, SessionIdKey(info.id));
  if (info.principal.kind == RoleKind::kLearner) {
    batch.Delete(Table::kTokens, LearnerIndexKey(info.principal.subject, info.id));
  }
  {
    std::lock_guard<std::mutex> rows(row_mu_);
    LCB_RETURN_IF_ERROR(kv_->Write(batch, /*sync=*/true));
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_seen_.erase(hash);
  return Status::Ok();
}

StatusOr<bool> Sessions::TokenLive(const std::string& token_id, int64_t* expires_ms) {
  // The token rows' grammar is storage/keys.h's: "i/<id>" -> hash hex, "h/<hash>" -> JSON.
  std::string hash, value;
  Status s = kv_->Get(Table::kTokens, "i/" + token_id, &hash);
  if (s.code() == StatusCode::kNotFound) return false;
  LCB_RETURN_IF_ERROR(s);
  s = kv_->Get(Table::kTokens, "h/" + hash, &value);
  if (s.code() == StatusCode::kNotFound) return false;
  LCB_RETURN_IF_ERROR(s);
  json doc = json::parse(value, nullptr, false);
  if (doc.is_discarded()) return Status::DataLoss("token row is corrupt");
  if (doc.value("revoked", false)) return false;
  *expires_ms = 0;
  if (doc.contains("expires_at") && doc["expires_at"].is_string()) {
    LCB_ASSIGN_OR_RETURN(*expires_ms, ParseRfc3339Millis(doc["expires_at"].get<std::string>()));
    if (*expires_ms <= now_()) return false;
  }
  return true;
}

StatusOr<SessionInfo> Sessions::Authenticate(std::string_view secret) {
  if (secret.size() > kMaxSecretBytes || !secret.starts_with(kSecretPrefix)) {
    return Status::Unauthenticated("not signed in");
  }
  std::string hash = HashKeyHex(secret);
  LCB_ASSIGN_OR_RETURN(Row row, ReadSession(hash));
  SessionInfo& info = row.info;
  int64_t now = now_();
  int64_t last_seen = info.last_seen_ms;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = last_seen_.find(hash); it != last_seen_.end()) {
      last_seen = std::max(last_seen, it->second);
    }
  }
  bool expired = now >= info.expires_ms || now - last_seen >= options_.idle_timeout_ms;
  if (!expired && !row.token_id.empty()) {
    int64_t token_expires = 0;
    LCB_ASSIGN_OR_RETURN(bool live, TokenLive(row.token_id, &token_expires));
    expired = !live;
  }
  if (expired) {
    LCB_RETURN_IF_ERROR(DeleteSession(hash, info));
    return Status::Unauthenticated("the session has ended: sign in again");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last_seen_.size() > kMaxTracked) last_seen_.clear();
    last_seen_[hash] = now;
  }
  int64_t touch_every = std::min(kTouchEveryMs, options_.idle_timeout_ms / 4);
  // A learner session opened before the "sl/" index existed gets its row now (sessions.h).
  const bool unindexed =
      info.principal.kind == RoleKind::kLearner && !row.doc.value("indexed", false);
  if (unindexed || now - info.last_seen_ms >= touch_every) {
    row.doc["last_seen_ms"] = now;
    WriteBatch batch;
    if (unindexed) {
      row.doc["indexed"] = true;
      batch.Put(Table::kTokens, LearnerIndexKey(info.principal.subject, info.id), hash);
    }
    batch.Put(Table::kTokens, SessionKey(hash), row.doc.dump());
    // Idle bookkeeping, and an index row that a lost write only postpones to the next request;
    // written only while the row still exists (row_mu_).
    std::lock_guard<std::mutex> rows(row_mu_);
    std::string still;
    Status there = kv_->Get(Table::kTokens, SessionKey(hash), &still);
    if (there.code() == StatusCode::kNotFound) {
      return Status::Unauthenticated("the session has ended: sign in again");
    }
    LCB_RETURN_IF_ERROR(there);
    LCB_RETURN_IF_ERROR(kv_->Write(batch, /*sync=*/false));
  }
  info.last_seen_ms = now;
  info.idle_expires_ms = std::min(info.expires_ms, now + options_.idle_timeout_ms);
  return info;
}

Status Sessions::AuthenticateRequest(const HttpRequest& request, bool public_route,
                                     Principal* out) {
  const std::string* header = request.Header("cookie");
  if (!header) return Status::Ok();
  std::optional<std::string_view> secret = SessionCookieValue(*header);
  if (!secret) return Status::Ok();
  auto info = Authenticate(*secret);
  if (!info.ok()) {
    if (public_route && info.status().code() == StatusCode::kUnauthenticated) return Status::Ok();
    return info.status();
  }
  if (StateChanging(request.method)) {
    const std::string* csrf = request.Header("x-csrf-token");
    if (!csrf || !ConstantTimeEqual(*csrf, CsrfToken(*secret))) {
      if (public_route) return Status::Ok();
      return Status::PermissionDenied(
          "a request signed in by the session cookie that changes anything must carry the "
          "session's X-CSRF-Token header");
    }
  }
  *out = info->principal;
  return Status::Ok();
}

Status Sessions::End(const std::string& session_id) { return EndIf(session_id, nullptr); }

Status Sessions::EndForLearner(const std::string& session_id, const std::string& learner) {
  return EndIf(session_id, &learner);
}

Status Sessions::EndIf(const std::string& session_id, const std::string* learner) {
  const Status unknown = Status::NotFound("no session '" + session_id + "'");
  std::string hash;
  Status s = kv_->Get(Table::kTokens, SessionIdKey(session_id), &hash);
  if (s.code() == StatusCode::kNotFound) return unknown;
  LCB_RETURN_IF_ERROR(s);
  // The session's own row says whose it is (and whose "sl/" row to remove). A row that is gone
  // or unreadable leaves only its "si/" row, which an admin may still clear.
  SessionInfo info;
  info.id = session_id;
  auto row = ReadSession(hash);
  if (row.ok()) {
    info = row->info;
  } else if (row.status().code() != StatusCode::kUnauthenticated &&
             row.status().code() != StatusCode::kDataLoss) {
    return row.status();
  }
  if (learner && (!row.ok() || !info.principal.is_learner(*learner) || info.id != session_id)) {
    return unknown;
  }
  return DeleteSession(hash, info);
}

std::optional<SessionInfo> Sessions::LiveInfo(const std::string& hash, int64_t now) {
  auto row = ReadSession(hash);
  if (!row.ok()) return std::nullopt;  // ended between the scan and the read
  SessionInfo info = row->info;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = last_seen_.find(hash); it != last_seen_.end()) {
      info.last_seen_ms = std::max(info.last_seen_ms, it->second);
    }
  }
  info.idle_expires_ms = std::min(info.expires_ms, info.last_seen_ms + options_.idle_timeout_ms);
  if (info.idle_expires_ms <= now) return std::nullopt;
  return info;
}

StatusOr<std::vector<SessionInfo>> Sessions::List(size_t limit) {
  std::vector<SessionInfo> out;
  std::vector<std::string> hashes;
  LCB_RETURN_IF_ERROR(
      kv_->Scan(Table::kTokens, "si/", "si0", limit, [&](std::string_view, std::string_view hash) {
        hashes.emplace_back(hash);
        return true;
      }));
  int64_t now = now_();
  for (const std::string& hash : hashes) {
    if (auto info = LiveInfo(hash, now)) out.push_back(std::move(*info));
  }
  return out;
}

StatusOr<std::vector<SessionInfo>> Sessions::ListForLearner(const std::string& learner,
                                                            size_t limit) {
  const std::string prefix = LearnerIndexPrefix(learner);
  std::string end = prefix;
  end.back() = '0';  // the byte after '/': the range holds exactly the keys under the prefix
  std::vector<std::pair<std::string, std::string>> rows;  // {session id, secret hash}
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kTokens, prefix, end, limit,
                                [&](std::string_view key, std::string_view hash) {
                                  rows.emplace_back(key.substr(prefix.size()), hash);
                                  return true;
                                }));
  std::vector<SessionInfo> out;
  int64_t now = now_();
  for (const auto& [id, hash] : rows) {
    auto info = LiveInfo(hash, now);
    // The index row only points: the session's own row must name this learner and this id.
    if (!info || !info->principal.is_learner(learner) || info->id != id) continue;
    out.push_back(std::move(*info));
  }
  return out;
}

void Sessions::MaybeSweep() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (++writes_ % kSweepEvery != 0) return;
  }
  // Expired codes and sessions are deleted when they are next presented; a sweep removes the
  // ones nobody presents again, a bounded number of rows at a time.
  int64_t now = now_();
  WriteBatch batch;
  (void)kv_->Scan(Table::kTokens, "c/", "c0", kSweepRows,
                  [&](std::string_view key, std::string_view value) {
                    json row = json::parse(value, nullptr, false);
                    if (row.is_discarded() || row.value("expires_ms", int64_t{0}) <= now) {
                      batch.Delete(Table::kTokens, key);
                    }
                    return true;
                  });
  (void)kv_->Scan(
      Table::kTokens, "s/", "s0", kSweepRows, [&](std::string_view key, std::string_view value) {
        json row = json::parse(value, nullptr, false);
        if (row.is_discarded()) return true;
        int64_t idle_end =
            row.value("last_seen_ms", int64_t{0}) + options_.idle_timeout_ms + kTouchEveryMs;
        if (row.value("expires_ms", int64_t{0}) <= now || idle_end <= now) {
          const std::string id = row.value("id", "");
          batch.Delete(Table::kTokens, key);
          batch.Delete(Table::kTokens, SessionIdKey(id));
          auto p = ParseRole(row.value("role", ""));
          if (p.ok() && p->kind == RoleKind::kLearner) {
            batch.Delete(Table::kTokens, LearnerIndexKey(p->subject, id));
          }
        }
        return true;
      });
  if (!batch.empty()) (void)kv_->Write(batch, /*sync=*/false);
}

}  // namespace lcb
