// Portal sessions and sign-in codes (api/sessions.h): the Sessions class over a real RocksDB
// with a clock the test moves, then the HTTP contract on a real server (DESIGN.md "Web portal
// and sessions"): one-time codes, the cookie's attributes, CSRF on state changes, rate-limited
// failures, sign-out, idle and absolute expiry, admin listing and ending, token sessions that
// end with their token, and Secure under TLS.
#include "api/sessions.h"

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>

#include "api/logging.h"
#include "storage/kv.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;  // 2027-01-15, milliseconds

class SessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kv = OpenBankStore(dir_.sub("kv"));  // RocksDB, or PostgreSQL in the postgres/ run
    ASSERT_TRUE(kv.ok()) << kv.status().ToString();
    kv_ = std::move(kv).value();
    options_.idle_timeout_ms = 30 * 60'000;
    options_.max_age_ms = 12 * 3'600'000;
    options_.code_ttl_ms = 10 * 60'000;
    options_.max_failures = 3;
    options_.max_failures_per_address = 3;
    options_.failure_window_ms = 15 * 60'000;
    sessions_ = std::make_unique<Sessions>(kv_.get(), options_, [this] { return now_; });
    learner_.kind = RoleKind::kLearner;
    learner_.subject = "lrn_0123456789abcdef";
    admin_.kind = RoleKind::kAdmin;
  }

  std::string NewCode() {
    auto c = sessions_->CreateCode(learner_.subject, admin_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->code : "";
  }
  StatusOr<NewSession> Exchange(const std::string& code, const std::string& remote = "10.0.0.1",
                                int* retry = nullptr) {
    int ignored = 0;
    return sessions_->SignInWithCode(code, remote, retry ? retry : &ignored);
  }
  // Every row of the tokens table, keys and values, as one string.
  std::string TokensTable() {
    std::string all;
    EXPECT_TRUE(kv_->Scan(Table::kTokens, "", "", 100000,
                          [&](std::string_view k, std::string_view v) {
                            all.append(k).append("=").append(v).append("\n");
                            return true;
                          })
                    .ok());
    return all;
  }

  // The keys of the learners' session index ("sl/"), one a line.
  std::string IndexRows() {
    std::string keys;
    EXPECT_TRUE(kv_->Scan(Table::kTokens, "sl/", "sl0", 100000,
                          [&](std::string_view k, std::string_view) {
                            keys.append(k).append("\n");
                            return true;
                          })
                    .ok());
    return keys;
  }

  TempDir dir_;
  std::unique_ptr<Kv> kv_;
  SessionOptions options_;
  std::unique_ptr<Sessions> sessions_;
  int64_t now_ = kT0;
  Principal learner_, admin_;
};

TEST_F(SessionsTest, ACodeSignsInOnceAsItsLearner) {
  std::string code = NewCode();
  EXPECT_TRUE(std::regex_match(
      code, std::regex("[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")))
      << code;
  auto s = Exchange(code);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->info.principal.role(), "learner:" + learner_.subject);
  EXPECT_EQ(s->info.via, "code");
  EXPECT_EQ(s->info.created_by, "admin");
  EXPECT_EQ(s->info.expires_ms, kT0 + options_.max_age_ms);
  EXPECT_EQ(s->csrf_token, Sessions::CsrfToken(s->secret));
  auto again = Exchange(code);
  EXPECT_EQ(again.status().code(), StatusCode::kUnauthenticated);
  auto who = sessions_->Authenticate(s->secret);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->principal.subject, learner_.subject);
  EXPECT_EQ(who->principal.session_id, s->info.id);
}

TEST_F(SessionsTest, TypedCodesAreReadForgivingly) {
  std::string code = NewCode();
  std::string typed = code;
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  typed.erase(std::remove(typed.begin(), typed.end(), '-'), typed.end());
  typed.insert(4, " ");
  EXPECT_TRUE(Exchange(typed).ok()) << typed;
  EXPECT_EQ(Sessions::NormalizeCode("o1il-0000-zzzz"), "0111-0000-ZZZZ");
  EXPECT_FALSE(Sessions::NormalizeCode("ABCD-EFGH-JKM").has_value());    // 11 symbols
  EXPECT_FALSE(Sessions::NormalizeCode("ABCD-EFGH-JKMNP").has_value());  // 13
  EXPECT_FALSE(Sessions::NormalizeCode("ABCD-EFGH-JKMU").has_value());   // U is not Crockford
}

TEST_F(SessionsTest, ACodeExpires) {
  std::string code = NewCode();
  now_ += options_.code_ttl_ms;
  auto s = Exchange(code);
  EXPECT_EQ(s.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.status().message().find("expired"), std::string::npos) << s.status().message();
  now_ -= 1;  // the row was deleted: earlier is no help now
  EXPECT_FALSE(Exchange(code).ok());
}

TEST_F(SessionsTest, NothingSecretIsStored) {
  std::string code = NewCode();
  auto s = Exchange(code);
  ASSERT_TRUE(s.ok());
  std::string other = NewCode();
  std::string table = TokensTable();
  EXPECT_EQ(table.find(code), std::string::npos);
  EXPECT_EQ(table.find(other), std::string::npos);
  EXPECT_EQ(table.find(s->secret), std::string::npos);
  EXPECT_EQ(table.find(s->csrf_token), std::string::npos);
  EXPECT_NE(table.find("s/"), std::string::npos);
  EXPECT_NE(table.find("c/"), std::string::npos);
}

TEST_F(SessionsTest, IdleExpiryRestartsWithUseAndAbsoluteExpiryDoesNot) {
  auto s = Exchange(NewCode());
  ASSERT_TRUE(s.ok());
  // Used every 29 minutes, the session lives until its absolute end, and not past it.
  int64_t end = kT0 + options_.max_age_ms;
  while (now_ + 29 * 60'000 < end) {
    now_ += 29 * 60'000;
    ASSERT_TRUE(sessions_->Authenticate(s->secret).ok()) << (now_ - kT0) / 60'000 << " min";
  }
  now_ = end;
  EXPECT_EQ(sessions_->Authenticate(s->secret).status().code(), StatusCode::kUnauthenticated);

  now_ = kT0;
  auto idle = Exchange(NewCode());
  ASSERT_TRUE(idle.ok());
  now_ += options_.idle_timeout_ms - 1;
  ASSERT_TRUE(sessions_->Authenticate(idle->secret).ok());
  now_ += options_.idle_timeout_ms;
  EXPECT_EQ(sessions_->Authenticate(idle->secret).status().code(), StatusCode::kUnauthenticated);
  // An ended session is gone from the store, not only refused.
  EXPECT_EQ(sessions_->End(idle->info.id).code(), StatusCode::kNotFound);
}

TEST_F(SessionsTest, IdleExpirySurvivesARestart) {
  auto s = Exchange(NewCode());
  ASSERT_TRUE(s.ok());
  now_ += 20 * 60'000;
  ASSERT_TRUE(sessions_->Authenticate(s->secret).ok());  // written: older than a minute
  // A new process (no memory of last use) still counts idle time from the stored last use.
  Sessions restarted(kv_.get(), options_, [this] { return now_; });
  now_ += 29 * 60'000;
  EXPECT_TRUE(restarted.Authenticate(s->secret).ok());
  now_ += 30 * 60'000;
  EXPECT_FALSE(restarted.Authenticate(s->secret).ok());
}

TEST_F(SessionsTest, FailuresAreLimitedPerAddressAndPerCode) {
  std::string good = NewCode();
  for (int i = 0; i < 3; ++i) {
    auto r = Exchange("AAAA-AAAA-AAA" + std::to_string(i), "10.0.0.1");
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  }
  // The address is blocked: even the right code is not checked (so not spent).
  int retry = 0;
  auto blocked = Exchange(good, "10.0.0.1", &retry);
  EXPECT_EQ(blocked.status().code(), StatusCode::kResourceExhausted);
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 15 * 60);
  // Another address is not.
  EXPECT_TRUE(Exchange(good, "10.0.0.2").ok());
  // One wrong code tried from many addresses is blocked after three failures.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Exchange("BBBB-BBBB-BBBB", "10.1.0." + std::to_string(i)).status().code(),
              StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(Exchange("BBBB-BBBB-BBBB", "10.1.0.9", &retry).status().code(),
            StatusCode::kResourceExhausted);
  // Once the oldest failure leaves the window, the address may try again.
  now_ += options_.failure_window_ms;
  EXPECT_TRUE(Exchange(NewCode(), "10.0.0.1").ok());
  // Malformed input counts as a failure too.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Exchange("nonsense", "10.2.0.1").ok());
  EXPECT_EQ(Exchange(NewCode(), "10.2.0.1").status().code(), StatusCode::kResourceExhausted);
}

TEST_F(SessionsTest, ATokenSessionEndsWithItsToken) {
  TokenService tokens(kv_.get());
  now_ = NowMillis();  // the token store checks expiry against the real clock
  const int64_t token_end = (now_ / 1000 + 3600) * 1000;  // in an hour, before the session's 12
  auto t = tokens.Create("institution:tsinghua", FormatRfc3339Millis(token_end));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto p = tokens.Authenticate("Bearer " + t->token);
  ASSERT_TRUE(p.ok());
  auto s = sessions_->SignInWithToken(*p);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->info.principal.role(), "institution:tsinghua");
  EXPECT_EQ(s->info.via, "token");
  EXPECT_EQ(s->info.expires_ms, token_end);
  ASSERT_TRUE(sessions_->Authenticate(s->secret).ok());
  ASSERT_TRUE(tokens.Revoke(t->id).ok());
  EXPECT_EQ(sessions_->Authenticate(s->secret).status().code(), StatusCode::kUnauthenticated);
}

// A session ended while a request of it is being authenticated stays ended: the request's
// last-use write must not bring its row back (found by a review: it did, and the cookie then
// signed in again). Each round ends a session under a thread that keeps using it, with a clock
// that makes every use rewrite the row.
TEST_F(SessionsTest, ASessionEndedWhileInUseStaysEnded) {
  SessionOptions options = options_;
  options.max_age_ms = int64_t{1} << 50;
  std::atomic<int64_t> clock{kT0};
  Sessions sessions(kv_.get(), options, [&] { return clock.fetch_add(61'000); });
  int resurrected = 0;
  for (int round = 0; round < 60; ++round) {
    auto code = sessions.CreateCode(learner_.subject, admin_);
    ASSERT_TRUE(code.ok()) << code.status().ToString();
    int retry = 0;
    auto s = sessions.SignInWithCode(code->code, "10.0.0.9", &retry);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    std::atomic<bool> stop{false};
    std::atomic<int> uses{0};
    std::thread user([&] {
      while (!stop.load()) {
        (void)sessions.Authenticate(s->secret);
        uses.fetch_add(1);
      }
    });
    while (uses.load() < 2 + round % 5) std::this_thread::yield();
    ASSERT_TRUE(sessions.End(s->info.id).ok());
    stop = true;
    user.join();
    if (sessions.Authenticate(s->secret).ok()) ++resurrected;
  }
  EXPECT_EQ(resurrected, 0) << "sessions that signed in again after they were ended";
}

TEST_F(SessionsTest, ListShowsLiveSessionsAndEndRemovesThem) {
  auto a = Exchange(NewCode());
  auto b = Exchange(NewCode());
  ASSERT_TRUE(a.ok() && b.ok());
  auto list = sessions_->List(100);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  ASSERT_TRUE(sessions_->End(a->info.id).ok());
  EXPECT_FALSE(sessions_->Authenticate(a->secret).ok());
  EXPECT_TRUE(sessions_->Authenticate(b->secret).ok());
  EXPECT_EQ(sessions_->List(100)->size(), 1u);
  now_ += options_.idle_timeout_ms;
  EXPECT_TRUE(sessions_->List(100)->empty());
}

// A learner's sessions are listed from its "sl/" rows: only its own, whoever asked for the
// code; it ends its own and no other learner's; the index row goes with the session.
TEST_F(SessionsTest, ALearnerListsAndEndsOnlyTheSessionsOpenedInItsName) {
  Principal institution;
  institution.kind = RoleKind::kInstitution;
  institution.subject = "tsinghua";
  auto by_institution = sessions_->CreateCode(learner_.subject, institution);
  ASSERT_TRUE(by_institution.ok());
  auto a = Exchange(by_institution->code);
  auto a_self = Exchange(NewCode());
  auto b_code = sessions_->CreateCode("lrn_fedcba9876543210", admin_);
  ASSERT_TRUE(b_code.ok());
  auto b = Exchange(b_code->code);
  // A learner whose id starts with A's falls outside A's prefix, and A's inside its.
  auto longer_code = sessions_->CreateCode(learner_.subject + "0", admin_);
  ASSERT_TRUE(longer_code.ok());
  auto longer = Exchange(longer_code->code);
  ASSERT_TRUE(a.ok() && a_self.ok() && b.ok() && longer.ok());
  const std::string a_row = "sl/" + learner_.subject + "/" + a->info.id;
  EXPECT_NE(TokensTable().find(a_row + "="), std::string::npos) << TokensTable();

  auto mine = sessions_->ListForLearner(learner_.subject, 100);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  ASSERT_EQ(mine->size(), 2u);
  std::map<std::string, SessionInfo> by_id;
  for (const SessionInfo& info : *mine) by_id[info.id] = info;
  ASSERT_TRUE(by_id.count(a->info.id) && by_id.count(a_self->info.id));
  EXPECT_EQ(by_id[a->info.id].created_by, "institution:tsinghua");
  EXPECT_EQ(by_id[a->info.id].via, "code");
  EXPECT_EQ(by_id[a->info.id].principal.role(), "learner:" + learner_.subject);
  EXPECT_EQ(by_id[a_self->info.id].created_by, "admin");
  auto theirs = sessions_->ListForLearner("lrn_fedcba9876543210", 100);
  ASSERT_TRUE(theirs.ok());
  ASSERT_EQ(theirs->size(), 1u);
  EXPECT_EQ(theirs->front().id, b->info.id);
  EXPECT_EQ(sessions_->ListForLearner(learner_.subject + "0", 100)->size(), 1u);
  EXPECT_TRUE(sessions_->ListForLearner("lrn_nobody", 100)->empty());

  // Another learner cannot end it (NotFound, as for an unknown id), and it stays live.
  EXPECT_EQ(sessions_->EndForLearner(a->info.id, "lrn_fedcba9876543210").code(),
            StatusCode::kNotFound);
  EXPECT_EQ(sessions_->EndForLearner("ses_0000000000000000", learner_.subject).code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(sessions_->Authenticate(a->secret).ok());
  // The learner can.
  ASSERT_TRUE(sessions_->EndForLearner(a->info.id, learner_.subject).ok());
  EXPECT_EQ(sessions_->Authenticate(a->secret).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(TokensTable().find(a_row), std::string::npos) << "the index row went with it";
  EXPECT_EQ(sessions_->ListForLearner(learner_.subject, 100)->size(), 1u);
  EXPECT_EQ(sessions_->EndForLearner(a->info.id, learner_.subject).code(), StatusCode::kNotFound);
  // A token session of a staff role is nobody's learner session.
  TokenService tokens(kv_.get());
  auto t = tokens.Create("institution:tsinghua", "");
  ASSERT_TRUE(t.ok());
  auto staff = sessions_->SignInWithToken(*tokens.Authenticate("Bearer " + t->token));
  ASSERT_TRUE(staff.ok());
  EXPECT_EQ(IndexRows().find(staff->info.id), std::string::npos);
  EXPECT_EQ(sessions_->EndForLearner(staff->info.id, learner_.subject).code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(sessions_->End(staff->info.id).ok());
}

// An index row is only a pointer: one that points at another learner's session (a forged or
// stale row) shows nothing.
TEST_F(SessionsTest, AnIndexRowNeverShowsAnotherLearnersSession) {
  auto b_code = sessions_->CreateCode("lrn_fedcba9876543210", admin_);
  ASSERT_TRUE(b_code.ok());
  auto b = Exchange(b_code->code);
  ASSERT_TRUE(b.ok());
  std::string hash;
  ASSERT_TRUE(kv_->Get(Table::kTokens, "si/" + b->info.id, &hash).ok());
  WriteBatch batch;
  batch.Put(Table::kTokens, "sl/" + learner_.subject + "/" + b->info.id, hash);
  batch.Put(Table::kTokens, "sl/" + learner_.subject + "/ses_0000000000000000", hash);
  ASSERT_TRUE(kv_->Write(batch, true).ok());
  EXPECT_TRUE(sessions_->ListForLearner(learner_.subject, 100)->empty());
  EXPECT_EQ(sessions_->EndForLearner(b->info.id, learner_.subject).code(), StatusCode::kNotFound);
  EXPECT_TRUE(sessions_->Authenticate(b->secret).ok());
}

// A learner session opened before the index existed (no "sl/" row, no "indexed" flag) is
// indexed at its next request.
TEST_F(SessionsTest, ASessionFromBeforeTheIndexIsIndexedWhenNextUsed) {
  auto s = Exchange(NewCode());
  ASSERT_TRUE(s.ok());
  std::string hash, value;
  ASSERT_TRUE(kv_->Get(Table::kTokens, "si/" + s->info.id, &hash).ok());
  ASSERT_TRUE(kv_->Get(Table::kTokens, "s/" + hash, &value).ok());
  json row = json::parse(value);
  EXPECT_EQ(row["indexed"], true);
  row.erase("indexed");
  WriteBatch old;
  old.Put(Table::kTokens, "s/" + hash, row.dump());
  old.Delete(Table::kTokens, "sl/" + learner_.subject + "/" + s->info.id);
  ASSERT_TRUE(kv_->Write(old, true).ok());
  EXPECT_TRUE(sessions_->ListForLearner(learner_.subject, 100)->empty());
  now_ += 1000;  // well within the minute between last-use writes
  ASSERT_TRUE(sessions_->Authenticate(s->secret).ok());
  auto mine = sessions_->ListForLearner(learner_.subject, 100);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().id, s->info.id);
}

// An expired session's index row goes when it is found expired, and when the sweep finds it.
TEST_F(SessionsTest, ExpiredSessionsLeaveNoIndexRow) {
  auto presented = Exchange(NewCode());
  auto forgotten = Exchange(NewCode());
  ASSERT_TRUE(presented.ok() && forgotten.ok());
  now_ += options_.idle_timeout_ms + 2 * 60'000;
  EXPECT_TRUE(sessions_->ListForLearner(learner_.subject, 100)->empty());
  EXPECT_FALSE(sessions_->Authenticate(presented->secret).ok());
  EXPECT_EQ(TokensTable().find("/" + presented->info.id + "="), std::string::npos);
  EXPECT_NE(TokensTable().find("sl/" + learner_.subject + "/" + forgotten->info.id),
            std::string::npos);
  for (int i = 0; i < 64; ++i) NewCode();  // a sweep runs every 64 writes
  std::string table = TokensTable();
  EXPECT_EQ(table.find("sl/"), std::string::npos) << table;
  EXPECT_EQ(table.find("s/"), std::string::npos) << table;
}

TEST(SessionCookieTest, FindsTheSessionCookieAmongOthers) {
  EXPECT_EQ(SessionCookieValue("cb_session=abc"), "abc");
  EXPECT_EQ(SessionCookieValue("a=1; cb_session=abc; b=2"), "abc");
  EXPECT_EQ(SessionCookieValue("xcb_session=abc"), std::nullopt);
  EXPECT_EQ(SessionCookieValue("a=1"), std::nullopt);
  EXPECT_EQ(SessionCookieValue(""), std::nullopt);
}

// ---- Over HTTP ------------------------------------------------------------------------------

class SessionsHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel("error");
    server_ = std::make_unique<TestServer>(
        dir_.sub("bank"),
        std::map<std::string, std::string>{{"sign_in_max_failures", "3"},
                                           {"sign_in_max_failures_per_address", "3"}});
    cat_.Load(*server_);
  }
  json NewCode(const std::string& token, const std::string& learner, int status = 201) {
    return server_->CallJson("POST", "/v1/sign-in-codes", token, {{"learner", learner}}, status);
  }
  // Calls with the session cookie (and the CSRF header when `csrf` is not empty).
  ClientResponse WithCookie(const std::string& method, const std::string& target,
                            const std::string& cookie, const std::string& csrf = "",
                            const std::string& body = "") {
    std::map<std::string, std::string> headers = {{"Cookie", "cb_session=" + cookie}};
    if (!csrf.empty()) headers["X-CSRF-Token"] = csrf;
    return server_->Call(method, target, "", body, headers);
  }
  static std::string CookieOf(const ClientResponse& r) {
    auto it = r.headers.find("set-cookie");
    if (it == r.headers.end()) return "";
    std::smatch m;
    std::regex_search(it->second, m, std::regex("cb_session=([^;]*)"));
    return m[1];
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
};

// A regulator signed in to the portal by token reads its own session, as every role does (the
// portal's first call), and its statistics; a learner's data stays closed to it.
TEST_F(SessionsHttpTest, ARegulatorsSessionDescribesItself) {
  const std::string token = server_->NewToken("regulator:31");
  ClientResponse r = server_->Call("POST", "/v1/sessions", "", json{{"token", token}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string cookie = CookieOf(r);
  ClientResponse current = WithCookie("GET", "/v1/sessions/current", cookie);
  ASSERT_EQ(current.status, 200) << current.body;
  EXPECT_EQ(json::parse(current.body)["role"], "regulator:31");
  EXPECT_EQ(WithCookie("GET", "/v1/stats", cookie).status, 200);
  EXPECT_EQ(WithCookie("GET", "/v1/learners/" + cat_.learner_a + "/passbook", cookie).status, 403);
}

TEST_F(SessionsHttpTest, SignInWithACodeThenActAndSignOut) {
  json code = NewCode(server_->admin_token(), cat_.learner_a);
  ASSERT_TRUE(code.contains("expires_at"));
  EXPECT_NE(code["url"].get<std::string>().find("/portal/#/sign-in?code=" +
                                                code["code"].get<std::string>()),
            std::string::npos);
  ClientResponse r = server_->Call("POST", "/v1/sessions", "", json{{"code", code["code"]}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  std::string set_cookie = r.headers["set-cookie"];
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(set_cookie.find("Path=/"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);  // plain HTTP
  json body = json::parse(r.body);
  EXPECT_EQ(body["role"], "learner:" + cat_.learner_a);
  EXPECT_EQ(body["learner"], cat_.learner_a);
  std::string csrf = body["csrf_token"];
  std::string cookie = CookieOf(r);
  ASSERT_FALSE(cookie.empty());
  EXPECT_EQ(body.dump().find(cookie), std::string::npos) << "the secret is only in the cookie";

  // The cookie acts as the learner; reads need no CSRF token.
  EXPECT_EQ(WithCookie("GET", "/v1/learners/" + cat_.learner_a + "/passbook", cookie).status, 200);
  EXPECT_EQ(WithCookie("GET", "/v1/learners/" + cat_.learner_b + "/passbook", cookie).status, 404);
  // A state change without the CSRF token, or with a wrong one, is refused and changes nothing.
  std::string grants = "/v1/learners/" + cat_.learner_a + "/grants";
  std::string grant = R"({"institution":"ouchn"})";
  ClientResponse no_csrf = WithCookie("POST", grants, cookie, "", grant);
  EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
  EXPECT_EQ(no_csrf.headers["content-type"], "application/problem+json");
  EXPECT_EQ(WithCookie("POST", grants, cookie, csrf + "x", grant).status, 403);
  EXPECT_EQ(json::parse(WithCookie("GET", grants, cookie).body)["grants"].size(), 0u);
  EXPECT_EQ(WithCookie("POST", grants, cookie, csrf, grant).status, 201);
  // The session describes itself, with the CSRF token again (for a reloaded page).
  ClientResponse current = WithCookie("GET", "/v1/sessions/current", cookie);
  ASSERT_EQ(current.status, 200) << current.body;
  EXPECT_EQ(json::parse(current.body)["csrf_token"], csrf);
  // A token caller has no session to describe.
  EXPECT_EQ(server_->Call("GET", "/v1/sessions/current", cat_.learner_a_token).status, 404);

  // The code was spent.
  EXPECT_EQ(server_->Call("POST", "/v1/sessions", "", json{{"code", code["code"]}}.dump()).status,
            401);

  // Sign-out needs the CSRF token too; without it the cookie is only cleared in the browser.
  ClientResponse weak = WithCookie("DELETE", "/v1/sessions/current", cookie);
  EXPECT_EQ(weak.status, 200);
  EXPECT_EQ(json::parse(weak.body)["signed_out"], false);
  EXPECT_EQ(WithCookie("GET", "/v1/sessions/current", cookie).status, 200);
  ClientResponse out = WithCookie("DELETE", "/v1/sessions/current", cookie, csrf);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(json::parse(out.body)["signed_out"], true);
  EXPECT_NE(out.headers["set-cookie"].find("Max-Age=0"), std::string::npos);
  ClientResponse after = WithCookie("GET", "/v1/learners/" + cat_.learner_a + "/passbook", cookie);
  EXPECT_EQ(after.status, 401);
  EXPECT_NE(after.headers["set-cookie"].find("Max-Age=0"), std::string::npos);
  // A stale cookie does not stand in the way of public routes.
  EXPECT_EQ(WithCookie("GET", "/v1/units/tsinghua:CS101", cookie).status, 200);
}

// A signed-in browser's entry page carries its session, so the portal need not ask for it:
// exactly what GET /v1/sessions/current answers, never stored by a cache, never a 304.
TEST_F(SessionsHttpTest, TheEntryPageCarriesTheCallersSession) {
  json code = NewCode(server_->admin_token(), cat_.learner_a);
  ClientResponse r = server_->Call("POST", "/v1/sessions", "", json{{"code", code["code"]}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string cookie = CookieOf(r);
  const std::string csrf = json::parse(r.body)["csrf_token"];

  ClientResponse anonymous = server_->Call("GET", "/portal/");
  ASSERT_EQ(anonymous.status, 200);
  EXPECT_EQ(anonymous.body.find("cb-session"), std::string::npos);
  EXPECT_EQ(anonymous.body.find(csrf), std::string::npos);

  ClientResponse page = WithCookie("GET", "/portal/", cookie);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers["cache-control"], "private, no-store");
  EXPECT_EQ(page.headers["vary"], "Cookie");
  EXPECT_EQ(page.headers.count("etag"), 0u);
  EXPECT_NE(page.headers["content-security-policy"].find("default-src 'self'"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      page.body, m,
      std::regex(R"re(<script type="application/json" id="cb-session">([^<]*)</script>)re")))
      << page.body;
  json embedded = json::parse(m[1].str());
  json current = json::parse(WithCookie("GET", "/v1/sessions/current", cookie).body);
  EXPECT_EQ(embedded["csrf_token"], csrf);
  EXPECT_EQ(embedded["role"], "learner:" + cat_.learner_a);
  EXPECT_EQ(embedded["learner"], cat_.learner_a);
  EXPECT_EQ(embedded["id"], current["id"]);
  EXPECT_EQ(page.body.find(cookie), std::string::npos) << "the secret stays in the cookie";
  // The anonymous page's ETag does not turn the signed-in page into a 304.
  ClientResponse revalidated = server_->Call(
      "GET", "/portal/", "", "",
      {{"Cookie", "cb_session=" + cookie}, {"If-None-Match", anonymous.headers["etag"]}});
  EXPECT_EQ(revalidated.status, 200);
  EXPECT_NE(revalidated.body.find("cb-session"), std::string::npos);

  // A bearer token is not a browser session; a signed-out cookie gets the anonymous page.
  EXPECT_EQ(server_->Call("GET", "/portal/", cat_.learner_a_token).body.find("cb-session"),
            std::string::npos);
  ASSERT_EQ(WithCookie("DELETE", "/v1/sessions/current", cookie, csrf).status, 200);
  ClientResponse after = WithCookie("GET", "/portal/", cookie);
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body.find("cb-session"), std::string::npos);
}

// A code is the learner's whole file and the power to grant access. Posting a record is not a
// relation: any institution can post for an account it names (by national ID), so an outside
// review had ouchn post one record for tsinghua's learner, mint a code, sign in as them and grant
// itself access. Only the institution that created the account, one the learner granted, the
// admin and the learner itself make codes.
TEST_F(SessionsHttpTest, PostingForALearnerDoesNotLetAnInstitutionSignInAsThem) {
  server_->CallJson("POST", "/v1/records", cat_.ouchn_token,
                    {{"records", {cat_.Record(cat_.learner_a, "ouchn:ENG1", "O-1")}}}, 201);
  json refused = NewCode(cat_.ouchn_token, cat_.learner_a, 404);
  EXPECT_EQ(refused["status"], 404);
  NewCode(cat_.ouchn_token, cat_.learner_b, 404);  // nothing posted, no grant: 404 as before
  NewCode(cat_.tsinghua_token, cat_.learner_a);    // the institution that created the account
  // A learner's grant lets the institution in; withdrawing it shuts the door again.
  server_->CallJson("POST", "/v1/learners/" + cat_.learner_a + "/grants", cat_.learner_a_token,
                    {{"institution", "ouchn"}}, 201);
  NewCode(cat_.ouchn_token, cat_.learner_a);
  server_->Call("DELETE", "/v1/learners/" + cat_.learner_a + "/grants/ouchn", cat_.learner_a_token);
  NewCode(cat_.ouchn_token, cat_.learner_a, 404);
  // An account ouchn creates is one it may hand a first code for.
  std::string own = server_->CallJson("POST", "/v1/learners", cat_.ouchn_token,
                                      {{"display_name", "王五"}}, 201)["id"];
  NewCode(cat_.ouchn_token, own);
}

TEST_F(SessionsHttpTest, BadRequestsNameTheField) {
  auto post = [&](const std::string& body) {
    return server_->Call("POST", "/v1/sessions", "", body);
  };
  EXPECT_EQ(post("{}").status, 400);
  EXPECT_EQ(post(R"({"code":"A","token":"B"})").status, 400);
  ClientResponse r = post(R"({"code":7})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["pointer"], "/code");
  EXPECT_EQ(post(R"({"code":"x","extra":1})").status, 400);
  EXPECT_EQ(post(R"({"token":"cb_nope"})").status, 401);
  ClientResponse learner = server_->Call("POST", "/v1/sign-in-codes", server_->admin_token(), "{}");
  EXPECT_EQ(learner.status, 400);
  EXPECT_EQ(json::parse(learner.body)["pointer"], "/learner");
  NewCode(server_->admin_token(), "lrn_nobody", 404);
}

TEST_F(SessionsHttpTest, FailedCodesGet429WithRetryAfter) {
  for (int i = 0; i < 3; ++i) {
    ClientResponse r = server_->Call("POST", "/v1/sessions", "", R"({"code":"AAAA-BBBB-CCCC"})");
    EXPECT_EQ(r.status, 401) << r.body;
  }
  json good = NewCode(server_->admin_token(), cat_.learner_a);
  ClientResponse r = server_->Call("POST", "/v1/sessions", "", json{{"code", good["code"]}}.dump());
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  int retry = std::stoi(r.headers["retry-after"]);
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 900);
}

// The address limit defaults to ten times the code's, so a tightened code limit (before the
// two were apart it was the address's too) keeps a proportionate address limit.
TEST(SessionsLimitsTest, TheAddressLimitDefaultsToTenTimesTheCodes) {
  Config config;
  EXPECT_EQ(SessionOptions::FromConfig(config).max_failures_per_address, 50);
  config.sign_in_max_failures = 3;
  EXPECT_EQ(SessionOptions::FromConfig(config).max_failures_per_address, 30);
  config.sign_in_max_failures_per_address = 7;
  EXPECT_EQ(SessionOptions::FromConfig(config).max_failures_per_address, 7);
}

// One address holds many learners (a school's computer room): slips of different codes from
// it do not lock the others out until the address limit (ten times the code's by default);
// the same code tried again is blocked at its own limit.
TEST(SessionsLimitsTest, ManyLearnersBehindOneAddressAreNotLockedOutByFewSlips) {
  SetLogLevel("error");
  TempDir dir;
  TestServer server(dir.sub("bank"),
                    {{"sign_in_max_failures", "2"}, {"sign_in_max_failures_per_address", "6"}});
  std::string learner =
      server.CallJson("POST", "/v1/learners", server.admin_token(), json::object(), 201)["id"];
  auto sign_in = [&](const std::string& code) {
    return server.Call("POST", "/v1/sessions", "", json{{"code", code}}.dump()).status;
  };
  for (int i = 0; i < 4; ++i) EXPECT_EQ(sign_in("AAAA-BBBB-CC" + std::to_string(10 + i)), 401);
  EXPECT_EQ(sign_in("AAAA-BBBB-CC10"), 401);  // that code's second failure
  EXPECT_EQ(sign_in("AAAA-BBBB-CC10"), 429) << "that code's own limit (2) is reached";
  json good = server.CallJson("POST", "/v1/sign-in-codes", server.admin_token(),
                              {{"learner", learner}}, 201);
  EXPECT_EQ(sign_in(good["code"]), 201) << "5 slips of others leave the address open";
  EXPECT_EQ(sign_in("AAAA-BBBB-CC20"), 401);  // the sixth failure from this address
  json next = server.CallJson("POST", "/v1/sign-in-codes", server.admin_token(),
                              {{"learner", learner}}, 201);
  EXPECT_EQ(sign_in(next["code"]), 429) << "the address limit (6) is reached";
}

// A sign-in another node of the bank forwarded (several nodes on one PostgreSQL store) counts
// against the client address that node names, but only under the node's valid tag: a client
// that writes those headers itself is counted as itself.
TEST_F(SessionsHttpTest, ForwardedSignInsCountAgainstTheClientTheNodeVouchesFor) {
  int n = 0;
  auto forwarded = [&](const std::string& client, const std::string& tagged_client) {
    ++n;
    const std::string rid = "fwd" + std::to_string(n);
    // A code of its own each time, so that only the address limit can block it.
    const std::string wrong = "AAAA-BBBB-CC" + std::to_string(10 + n);
    return server_->Call(
        "POST", "/v1/sessions", "", json{{"code", wrong}}.dump(),
        {{"x-request-id", rid},
         {"x-forwarded-for", client},
         {"x-creditbank-forwarded", server_->services().ForwardTag(rid, tagged_client)}});
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(forwarded("10.0.0.1", "10.0.0.1").status, 401);
  EXPECT_EQ(forwarded("10.0.0.1", "10.0.0.1").status, 429);
  EXPECT_EQ(forwarded("10.0.0.2", "10.0.0.2").status, 401);  // another client is not blocked
  json good = NewCode(server_->admin_token(), cat_.learner_a);
  EXPECT_EQ(server_->Call("POST", "/v1/sessions", "", json{{"code", good["code"]}}.dump()).status,
            201);  // nor is this one, whose address the forwarded failures did not name

  // Tags made for another address (or none) are not believed: these failures are this
  // client's own, and block it.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(forwarded("10.0.0.9", "10.0.0.8").status, 401);
  good = NewCode(server_->admin_token(), cat_.learner_a);
  EXPECT_EQ(server_->Call("POST", "/v1/sessions", "", json{{"code", good["code"]}}.dump()).status,
            429);
}

TEST_F(SessionsHttpTest, StaffSignInWithATokenAndAnAdminEndsSessions) {
  json t = server_->CallJson("POST", "/v1/tokens", server_->admin_token(),
                             {{"role", "institution:tsinghua"}}, 201);
  ClientResponse r = server_->Call("POST", "/v1/sessions", "", json{{"token", t["token"]}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  json body = json::parse(r.body);
  EXPECT_EQ(body["role"], "institution:tsinghua");
  EXPECT_FALSE(body.contains("learner"));
  std::string cookie = CookieOf(r), csrf = body["csrf_token"];
  // The institution's session posts records (with the CSRF token).
  ClientResponse posted = WithCookie("POST", "/v1/records", cookie, csrf,
                                     cat_.Record(cat_.learner_a, "tsinghua:CS101", "S-1").dump());
  EXPECT_EQ(posted.status, 201) << posted.body;
  // A second session (a learner's), then the admin's view of both.
  json code = NewCode(cat_.tsinghua_token, cat_.learner_a);  // tsinghua posted for learner A
  ClientResponse learner =
      server_->Call("POST", "/v1/sessions", "", json{{"code", code["code"]}}.dump());
  ASSERT_EQ(learner.status, 201);
  json list = server_->CallJson("GET", "/v1/sessions", server_->admin_token(), nullptr, 200);
  ASSERT_EQ(list["sessions"].size(), 2u);
  std::string listed = list.dump();
  EXPECT_EQ(listed.find(cookie), std::string::npos);
  EXPECT_EQ(listed.find(csrf), std::string::npos);
  EXPECT_NE(listed.find("\"created_by\":\"institution:tsinghua\""), std::string::npos) << listed;
  std::string learner_session = json::parse(learner.body)["id"];
  server_->CallJson("DELETE", "/v1/sessions/" + learner_session, server_->admin_token(), nullptr,
                    200);
  EXPECT_EQ(
      WithCookie("GET", "/v1/learners/" + cat_.learner_a + "/passbook", CookieOf(learner)).status,
      401);
  server_->CallJson("DELETE", "/v1/sessions/" + learner_session, server_->admin_token(), nullptr,
                    404);
  // Revoking the token ends its session.
  server_->CallJson("DELETE", "/v1/tokens/" + t["id"].get<std::string>(), server_->admin_token(),
                    nullptr, 200);
  EXPECT_EQ(
      WithCookie("GET",
                 "/v1/records/" + json::parse(posted.body)["records"][0]["id"].get<std::string>(),
                 cookie)
          .status,
      401);
}

// The security review's case: an institution asks for a code for learner A and signs in as A
// itself. A sees that session among those opened in its name (who asked for the code, how,
// when), ends it, and the institution's cookie is refused from then on. Another learner sees
// none of A's sessions and cannot end one.
TEST_F(SessionsHttpTest, ALearnerSeesAndEndsASessionAnInstitutionOpenedInItsName) {
  json code = NewCode(cat_.tsinghua_token, cat_.learner_a);  // tsinghua opened A's account
  ClientResponse as_a =
      server_->Call("POST", "/v1/sessions", "", json{{"code", code["code"]}}.dump());
  ASSERT_EQ(as_a.status, 201) << as_a.body;
  const std::string intruder = CookieOf(as_a);
  const std::string intruder_id = json::parse(as_a.body)["id"];
  const std::string passbook = "/v1/learners/" + cat_.learner_a + "/passbook";
  ASSERT_EQ(WithCookie("GET", passbook, intruder).status, 200);
  // A staff session (not a learner's) and learner B's own session.
  ClientResponse staff =
      server_->Call("POST", "/v1/sessions", "", json{{"token", cat_.tsinghua_token}}.dump());
  ASSERT_EQ(staff.status, 201);
  const std::string staff_id = json::parse(staff.body)["id"];
  ClientResponse b =
      server_->Call("POST", "/v1/sessions", "", json{{"token", cat_.learner_b_token}}.dump());
  ASSERT_EQ(b.status, 201);
  const std::string b_cookie = CookieOf(b), b_csrf = json::parse(b.body)["csrf_token"];
  const std::string b_id = json::parse(b.body)["id"];

  // Learner A, signed in on its own device with its token.
  ClientResponse own =
      server_->Call("POST", "/v1/sessions", "", json{{"token", cat_.learner_a_token}}.dump());
  ASSERT_EQ(own.status, 201);
  const std::string a_cookie = CookieOf(own), a_csrf = json::parse(own.body)["csrf_token"];
  const std::string a_id = json::parse(own.body)["id"];
  ClientResponse listed = WithCookie("GET", "/v1/sessions", a_cookie);
  ASSERT_EQ(listed.status, 200) << listed.body;
  json sessions = json::parse(listed.body)["sessions"];
  ASSERT_EQ(sessions.size(), 2u) << sessions.dump();
  std::map<std::string, json> by_id;
  for (const json& s : sessions) by_id[s["id"]] = s;
  ASSERT_TRUE(by_id.count(intruder_id) && by_id.count(a_id)) << sessions.dump();
  const json& theirs = by_id[intruder_id];
  EXPECT_EQ(theirs["via"], "code");
  EXPECT_EQ(theirs["created_by"], "institution:tsinghua");
  EXPECT_EQ(theirs["role"], "learner:" + cat_.learner_a);
  EXPECT_EQ(theirs["current"], false);
  for (const char* field : {"created_at", "last_seen_at", "expires_at"}) {
    EXPECT_TRUE(theirs.contains(field)) << field;
  }
  EXPECT_EQ(by_id[a_id]["current"], true);
  EXPECT_EQ(by_id[a_id]["via"], "token");
  EXPECT_EQ(listed.body.find(intruder), std::string::npos) << "never a secret";
  // With its bearer token, the same two, neither current.
  json by_token = server_->CallJson("GET", "/v1/sessions", cat_.learner_a_token, nullptr, 200);
  ASSERT_EQ(by_token["sessions"].size(), 2u);
  for (const json& s : by_token["sessions"]) EXPECT_EQ(s["current"], false);
  // Staff other than the admin do not list sessions.
  EXPECT_EQ(server_->Call("GET", "/v1/sessions", cat_.tsinghua_token).status, 403);

  // Learner B sees only its own, and cannot end A's (404, as for an unknown id).
  json b_list = json::parse(WithCookie("GET", "/v1/sessions", b_cookie).body);
  ASSERT_EQ(b_list["sessions"].size(), 1u) << b_list.dump();
  EXPECT_EQ(b_list["sessions"][0]["id"], b_id);
  EXPECT_EQ(WithCookie("DELETE", "/v1/sessions/" + intruder_id, b_cookie, b_csrf).status, 404);
  EXPECT_EQ(server_->Call("DELETE", "/v1/sessions/" + intruder_id, cat_.learner_b_token).status,
            404);
  EXPECT_EQ(WithCookie("GET", passbook, intruder).status, 200) << "still live";
  // Nor can A end a session that is not a learner's, or one that does not exist.
  EXPECT_EQ(WithCookie("DELETE", "/v1/sessions/" + staff_id, a_cookie, a_csrf).status, 404);
  EXPECT_EQ(WithCookie("DELETE", "/v1/sessions/ses_0000000000000000", a_cookie, a_csrf).status,
            404);

  // A ends it: the CSRF token is needed, as for every change a cookie makes.
  EXPECT_EQ(WithCookie("DELETE", "/v1/sessions/" + intruder_id, a_cookie).status, 403);
  ClientResponse ended = WithCookie("DELETE", "/v1/sessions/" + intruder_id, a_cookie, a_csrf);
  ASSERT_EQ(ended.status, 200) << ended.body;
  EXPECT_EQ(json::parse(ended.body)["ended"], true);
  EXPECT_EQ(WithCookie("GET", passbook, intruder).status, 401);
  EXPECT_EQ(WithCookie("DELETE", "/v1/sessions/" + intruder_id, a_cookie, a_csrf).status, 404);
  json after = json::parse(WithCookie("GET", "/v1/sessions", a_cookie).body);
  ASSERT_EQ(after["sessions"].size(), 1u);
  EXPECT_EQ(after["sessions"][0]["id"], a_id);
  // Its index row went with it; the others' stay.
  std::string rows;
  ASSERT_TRUE(server_->services()
                  .kv()
                  .Scan(Table::kTokens, "sl/", "sl0", 1000,
                        [&](std::string_view key, std::string_view) {
                          rows.append(key).append("\n");
                          return true;
                        })
                  .ok());
  EXPECT_EQ(rows.find(intruder_id), std::string::npos) << rows;
  EXPECT_NE(rows.find("sl/" + cat_.learner_a + "/" + a_id), std::string::npos) << rows;
  EXPECT_NE(rows.find("sl/" + cat_.learner_b + "/" + b_id), std::string::npos) << rows;
  // The admin log records who ended it.
  json actions =
      server_->CallJson("GET", "/v1/admin/actions", server_->admin_token(), nullptr, 200);
  bool logged = false;
  for (const json& a : actions["actions"]) {
    logged = logged || (a["action"] == "end_session" && a["object"] == intruder_id &&
                        a["by"] == "learner:" + cat_.learner_a);
  }
  EXPECT_TRUE(logged) << actions.dump();
  // The admin still sees every session (A's, B's and the staff one).
  json all = server_->CallJson("GET", "/v1/sessions", server_->admin_token(), nullptr, 200);
  EXPECT_EQ(all["sessions"].size(), 3u) << all.dump();
}

// A bearer token wins over a cookie: the request acts as the token says.
TEST_F(SessionsHttpTest, AnAuthorizationHeaderOverridesTheCookie) {
  json code = NewCode(server_->admin_token(), cat_.learner_a);
  ClientResponse r = server_->Call("POST", "/v1/sessions", "", json{{"code", code["code"]}}.dump());
  std::string cookie = CookieOf(r);
  ClientResponse as_b =
      server_->Call("GET", "/v1/learners/" + cat_.learner_b + "/passbook", cat_.learner_b_token, "",
                    {{"Cookie", "cb_session=" + cookie}});
  EXPECT_EQ(as_b.status, 200);
  // And a state change with a token needs no CSRF token, cookie or not.
  ClientResponse grant =
      server_->Call("POST", "/v1/learners/" + cat_.learner_b + "/grants", cat_.learner_b_token,
                    R"({"institution":"ouchn"})", {{"Cookie", "cb_session=" + cookie}});
  EXPECT_EQ(grant.status, 201) << grant.body;
}

bool MakeCertificate(const std::string& cert, const std::string& key) {
  std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
      " -keyout '" +
      key + "' -out '" + cert +
      "' -days 2 -subj /CN=127.0.0.1"
      " -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Behind a proxy the Host the bank sees is not what learners reach: a configured public URL
// is where a sign-in code's link points, whatever Host the caller sent.
TEST(SessionsPublicUrlTest, TheSignInLinkUsesThePublicUrl) {
  SetLogLevel("error");
  TempDir dir;
  TestServer server(dir.sub("bank"), {{"public_url", "https://credits.example.org"}});
  std::string learner =
      server.CallJson("POST", "/v1/learners", server.admin_token(), json::object(), 201)["id"];
  json code = server.CallJson("POST", "/v1/sign-in-codes", server.admin_token(),
                              {{"learner", learner}}, 201);
  EXPECT_EQ(code["url"],
            "https://credits.example.org/portal/#/sign-in?code=" + code["code"].get<std::string>());
}

TEST(SessionsTlsTest, TheCookieIsSecureUnderTls) {
  SetLogLevel("error");
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl command";
  TempDir dir;
  ASSERT_TRUE(MakeCertificate(dir.sub("cert.pem"), dir.sub("key.pem")));
  TestServer server(dir.sub("bank"),
                    {{"tls_cert", dir.sub("cert.pem")}, {"tls_key", dir.sub("key.pem")}});
  std::string learner =
      server.CallJson("POST", "/v1/learners", server.admin_token(), json::object(), 201)["id"];
  json code = server.CallJson("POST", "/v1/sign-in-codes", server.admin_token(),
                              {{"learner", learner}}, 201);
  EXPECT_EQ(code["url"].get<std::string>().rfind("https://", 0), 0u) << code;
  ClientResponse r = server.Call("POST", "/v1/sessions", "", json{{"code", code["code"]}}.dump());
  ASSERT_EQ(r.status, 201);
  EXPECT_NE(r.headers["set-cookie"].find("; Secure"), std::string::npos) << r.headers["set-cookie"];
}

}  // namespace
}  // namespace lcb::testing
