// Portal sessions and one-time sign-in codes (DESIGN.md "Web portal and sessions").
//
// A learner signs in to the portal with a one-time code that an admin, an institution or the
// learner itself (on another device) asked for; staff sign in by pasting an API token once.
// Either way the answer is a random session secret in an HttpOnly, SameSite=Strict cookie,
// and the session then acts with the learner's or the token's role. Nothing secret is stored:
// codes and session secrets are kept only as SHA-256 hashes, in rows of the tokens table
// beside the API tokens' rows ("h/", "i/", storage/keys.h), so no new table is needed:
//
//   "c/"  hex(SHA-256(code))    -> {"learner", "created_by", "created_at", "expires_ms"}
//   "s/"  hex(SHA-256(secret))  -> {"id", "role", "via": "code"|"token", "token_id"?,
//                                   "created_by"?, "created_ms", "expires_ms", "last_seen_ms",
//                                   "indexed"?: true}
//   "si/" session id            -> hex(SHA-256(secret))
//   "sl/" learner id "/" session id -> hex(SHA-256(secret))
//
// "sl/" indexes a learner's sessions (role learner:<id>, by code or by token), so that the
// learner lists the sessions opened in its name (ListForLearner) without a scan of every
// session of the bank; a learner id never holds "/" (ParseRole, service/tokens.h), and every
// listed row is checked against its session's own role anyway. The row is written with the
// session ("indexed": true in its "s/" row) and removed with it: at sign-out, when an admin or
// the learner ends it, when it is found expired, and by the sweep. A learner session opened
// before the index existed has no "indexed" flag; it gets its row at its next request
// (Authenticate), so it is missing from the learner's list only until it is used again, and
// an unused one ends by idle expiry within session_idle_timeout_s.
//
//   code    = 12 symbols of Crockford base32 (60 bits), shown as XXXX-XXXX-XXXX; input is
//             read case-insensitively, without spaces or hyphens, with O as 0 and I, L as 1
//   secret  = "cbs_" base64url(32 random bytes)          (the cookie value)
//   csrf    = base64url(HMAC-SHA256(secret, "csrf"))     (derived, so never stored)
//
// Expiry: a code after sign_in_code_ttl_s or its first use. A session after
// session_max_age_s (never later than the token it came from), after session_idle_timeout_s
// without a request, when an admin or its owner ends it, or when its token is revoked.
// `last_seen_ms` is written at most once a minute (or a quarter of the idle timeout), so
// idle expiry is exact to that much.
//
// Failed code attempts are limited per submitted code and per client address: after
// sign_in_max_failures failures of one code, or sign_in_max_failures_per_address from one
// address, within sign_in_failure_window_s, further attempts of that code (or from that
// address) get 429 with Retry-After until the oldest failure leaves the window; a blocked
// attempt is not even checked, so a lucky guess while blocked does not sign in. The address
// limit is ten times the code's: a school's computer room or a mobile carrier puts hundreds
// of learners behind one address, and five typing slips among them must not lock all out.
// With 60-bit codes, 10^6 addresses guessing at 50 tries per 15 minutes against 10^3 live
// codes succeed with probability ~4e-6 a day. Behind a reverse proxy every client shares its
// address; run the proxy's own limit there.
//
// Thread safety: every method may be called concurrently. Code use is serialized by a mutex
// (the Kv has no compare-and-set), so one code yields one session within a process.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "service/tokens.h"
#include "api/http.h"
#include "common/date.h"
#include "common/status.h"
#include "config/config.h"
#include "storage/kv.h"

namespace lcb {

struct SessionOptions {
  int64_t idle_timeout_ms = 30 * 60 * 1000;
  int64_t max_age_ms = 12 * 60 * 60 * 1000;
  int64_t code_ttl_ms = 10 * 60 * 1000;
  int max_failures = 5;               // of one typed code
  int max_failures_per_address = 50;  // from one client address
  int64_t failure_window_ms = 15 * 60 * 1000;
  bool secure_cookie = false;  // add Secure to the cookie (the server speaks TLS)

  static SessionOptions FromConfig(const Config& config);
};

struct SignInCode {
  std::string code;  // XXXX-XXXX-XXXX, shown once
  std::string learner;
  int64_t expires_ms = 0;
};

struct SessionInfo {
  std::string id;  // "ses_<16 hex>"
  Principal principal;
  std::string via;         // "code" or "token"
  std::string created_by;  // the role that asked for the code, or the token's id
  int64_t created_ms = 0;
  int64_t expires_ms = 0;  // absolute expiry
  int64_t last_seen_ms = 0;
  int64_t idle_expires_ms = 0;  // when it ends if unused
};

struct NewSession {
  std::string secret;  // the cookie value, shown once
  std::string csrf_token;
  SessionInfo info;
};

class Sessions {
 public:
  using Clock = std::function<int64_t()>;  // epoch milliseconds
  Sessions(Kv* kv, SessionOptions options, Clock now = &NowMillis);

  const SessionOptions& options() const { return options_; }

  // A new one-time code for `learner`. Who may ask is the caller's decision.
  StatusOr<SignInCode> CreateCode(const std::string& learner, const Principal& by);
  // Exchanges a code for a learner session. Unauthenticated for a wrong, used or expired code
  // (a failure counted against `remote` and the code); ResourceExhausted with
  // *retry_after_s > 0 while either is over the failure limit.
  StatusOr<NewSession> SignInWithCode(std::string_view code, const std::string& remote,
                                      int* retry_after_s);
  // A session with the role of an authenticated API token (its token_id must be set).
  StatusOr<NewSession> SignInWithToken(const Principal& token_principal);

  // The live session whose cookie value is `secret`; Unauthenticated if there is none.
  // Counts as use of the session (idle expiry restarts).
  StatusOr<SessionInfo> Authenticate(std::string_view secret);
  // For a request without an Authorization header: the principal of its session cookie.
  // OK with *out untouched when there is no cookie; also when, on a public route
  // (`public_route`), the cookie is stale or a state change lacks the CSRF token (the request
  // then goes on as anonymous). Otherwise Unauthenticated for a stale cookie, and
  // PermissionDenied for a POST/PUT/PATCH/DELETE whose X-CSRF-Token does not match.
  Status AuthenticateRequest(const HttpRequest& request, bool public_route, Principal* out);

  // Ends a session (sign-out, or an admin's revocation). NotFound if there is none.
  Status End(const std::string& session_id);
  // Ends a session of `learner` (the learner ending a session opened in its name). NotFound,
  // as for an unknown id, when the session is not that learner's.
  Status EndForLearner(const std::string& session_id, const std::string& learner);
  // Live sessions, ordered by random id (not by age).
  StatusOr<std::vector<SessionInfo>> List(size_t limit);
  // The live sessions whose principal is `learner`, from its "sl/" rows (at most `limit` rows
  // read), ordered by id.
  StatusOr<std::vector<SessionInfo>> ListForLearner(const std::string& learner, size_t limit);

  static std::string CsrfToken(std::string_view secret);
  // Canonical XXXX-XXXX-XXXX form of a typed code, or nullopt if it cannot be one.
  static std::optional<std::string> NormalizeCode(std::string_view typed);
  // Set-Cookie values that set and clear the session cookie.
  std::string SetCookie(std::string_view secret) const;
  std::string ClearCookie() const;

 private:
  struct Row;
  StatusOr<NewSession> Open(Principal principal, const std::string& via,
                            const std::string& created_by, int64_t expires_ms,
                            const std::string& spent_code_key);
  StatusOr<Row> ReadSession(const std::string& hash_hex);
  // Deletes a session's rows: "s/", "si/" and, for a learner's, "sl/".
  Status DeleteSession(const std::string& hash_hex, const SessionInfo& info);
  // `session_id`'s rows when `learner` is null or the session is that learner's.
  Status EndIf(const std::string& session_id, const std::string* learner);
  // The session at `hash_hex` as a listing shows it (the last use this process saw), or
  // nullopt when it has ended or expired.
  std::optional<SessionInfo> LiveInfo(const std::string& hash_hex, int64_t now);
  // Whether the token a session came from is still live (not revoked, not expired).
  StatusOr<bool> TokenLive(const std::string& token_id, int64_t* expires_ms);
  // 0 when an attempt from `remote` with code hash `code_key` may be checked, else seconds.
  int RetryAfter(const std::string& remote, const std::string& code_key);
  void RecordFailure(const std::string& remote, const std::string& code_key);
  void MaybeSweep();

  Kv* kv_;
  SessionOptions options_;
  Clock now_;

  std::mutex code_mu_;  // one sign-in per code at a time
  // Serializes a session row's last-use rewrite with its deletion: a request that read the row
  // before it was ended must not write it back (the ended session would sign in again).
  // Within one process; across PostgreSQL nodes the window stays (the Kv has no conditional
  // write), at most one touch (kTouchEveryMs) per session per minute.
  std::mutex row_mu_;
  std::mutex mu_;                                       // guards everything below
  std::unordered_map<std::string, int64_t> last_seen_;  // session hash -> last use
  std::unordered_map<std::string, std::deque<int64_t>> failures_by_address_;
  std::unordered_map<std::string, std::deque<int64_t>> failures_by_code_;
  uint64_t writes_ = 0;  // sweeps of expired rows run every kSweepEvery writes
};

// The value of the cb_session cookie in a Cookie header, if any.
std::optional<std::string_view> SessionCookieValue(std::string_view cookie_header);

// RFC 3339 UTC with milliseconds: 2026-11-29T05:31:00.123Z.
std::string FormatRfc3339Millis(int64_t epoch_ms);

}  // namespace lcb
