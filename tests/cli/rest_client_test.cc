// RestClient's retry policy (cli/rest_client.h) against a real loopback HTTP/1.1 server that
// answers from a script: each request gets the next scripted answer, and an empty answer
// closes the connection without one (a connection error for the client). The sleeps between
// attempts are recorded instead of slept, so the test sees the exact waits.
#include "cli/rest_client.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/http_client.h"
#include "tests/integration/scripted_server.h"

namespace lcb {
namespace {

using testing::Answer;
using testing::kDrop;
using testing::ScriptedServer;

// A RestClient over a connection to `server` that records its waits instead of sleeping.
// HttpClient's own reconnect-once is off, so each attempt is exactly one request.
struct Client {
  explicit Client(ScriptedServer& server) {
    auto connected = HttpClient::Connect(server.url());
    EXPECT_TRUE(connected.ok()) << connected.status().ToString();
    http = std::move(connected).value();
    http->set_retry(false);
    rest = std::make_unique<RestClient>(*http);
    rest->set_sleep_for_testing(
        [this](std::chrono::milliseconds d) { waits.push_back(static_cast<int>(d.count())); });
  }
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<RestClient> rest;
  std::vector<int> waits;
};

const char kOk[] = R"({"ok":true})";
const char kBusy[] = R"({"type":"about:blank","status":503,"detail":"busy"})";

TEST(RestClientTest, ServiceUnavailableBacksOffExponentially) {
  ScriptedServer server(
      {Answer(503, kBusy), Answer(503, kBusy), Answer(503, kBusy), Answer(200, kOk)});
  Client c(server);
  auto r = c.rest->Send("GET", "/v1/x", "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(c.waits, (std::vector<int>{250, 500, 1000}));
  EXPECT_EQ(c.rest->retries(), 3);
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(RestClientTest, ConnectionErrorsBackOffExponentially) {
  ScriptedServer server({kDrop, kDrop, Answer(201, kOk)});
  Client c(server);
  auto r = c.rest->Send("POST", "/v1/x", "", R"({"a":1})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(c.waits, (std::vector<int>{250, 500}));
}

TEST(RestClientTest, GivesUpAfterFiveTriesNamingTheLastAnswer) {
  ScriptedServer server({Answer(503, kBusy), Answer(503, kBusy), Answer(503, kBusy),
                         Answer(503, kBusy), Answer(503, kBusy), Answer(200, kOk)});
  Client c(server);
  auto r = c.rest->Send("GET", "/v1/units?limit=5", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("GET /v1/units"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("503"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("busy"), std::string::npos) << r.status().message();
  EXPECT_EQ(c.waits, (std::vector<int>{250, 500, 1000, 2000}));
  EXPECT_EQ(server.requests().size(), 5u);  // the sixth answer was never asked for
}

TEST(RestClientTest, GivesUpAfterFiveConnectionErrors) {
  ScriptedServer server({kDrop, kDrop, kDrop, kDrop, kDrop, Answer(200, kOk)});
  Client c(server);
  auto r = c.rest->Send("GET", "/v1/x", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("after 5 tries"), std::string::npos) << r.status().message();
  EXPECT_EQ(c.waits.size(), 4u);
}

TEST(RestClientTest, TooManyRequestsWaitsRetryAfterCapped) {
  ScriptedServer server({Answer(429, "{}", "Retry-After: 7\r\n"),
                         Answer(429, "{}", "Retry-After: 86400\r\n"), Answer(429, "{}"),
                         Answer(429, "{}", "Retry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n"),
                         Answer(200, kOk)});
  Client c(server);
  auto r = c.rest->Send("GET", "/v1/x", "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  // 7 s as asked; a day capped at 300 s; no header and an HTTP-date: 1 s.
  EXPECT_EQ(c.waits, (std::vector<int>{7000, 300'000, 1000, 1000}));
}

TEST(RestClientTest, ServiceUnavailableHonoursALongerRetryAfter) {
  ScriptedServer server({Answer(503, kBusy, "Retry-After: 3\r\n"),
                         Answer(503, kBusy, "Retry-After: 0\r\n"), Answer(200, kOk)});
  Client c(server);
  ASSERT_TRUE(c.rest->Send("GET", "/v1/x", "").ok());
  EXPECT_EQ(c.waits, (std::vector<int>{3000, 500}));
}

TEST(RestClientTest, OtherAnswersAreFinalAtOnce) {
  for (int status : {400, 401, 404, 409, 413, 500}) {
    ScriptedServer server({Answer(status, "{}"), Answer(200, kOk)});
    Client c(server);
    auto r = c.rest->Send("GET", "/v1/x", "");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, status);
    EXPECT_TRUE(c.waits.empty()) << status;
    EXPECT_EQ(server.requests().size(), 1u);
  }
}

TEST(RestClientTest, CallSendsTokenAndJsonAndParsesTheAnswer) {
  ScriptedServer server({Answer(201, R"({"id":"lrn_1"})")});
  Client c(server);
  int status = 0;
  auto doc = c.rest->Call("POST", "/v1/learners", "sekret", {{"display_name", "李雷"}}, {200, 201},
                          &status);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(status, 201);
  EXPECT_EQ(doc->value("id", ""), "lrn_1");
  ASSERT_EQ(server.requests().size(), 1u);
  const std::string request = server.requests()[0];
  EXPECT_NE(request.find("Authorization: Bearer sekret\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find(R"({"display_name":"李雷"})"), std::string::npos) << request;
}

TEST(RestClientTest, CallTurnsAProblemIntoAStatusNamingPointerAndDetail) {
  ScriptedServer server(
      {Answer(400, R"({"status":400,"detail":"batch refused","errors":[{"pointer":)"
                   R"("/records/3/unit","detail":"no such unit"}]})"),
       Answer(404, R"({"status":404,"detail":"no learner lrn_9","pointer":"/learner"})"),
       Answer(500, "not json at all")});
  Client c(server);
  auto bad =
      c.rest->Call("POST", "/v1/records", "t", {{"records", nlohmann::json::array()}}, {200, 201});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(bad.status().pointer(), "/records/3/unit");
  EXPECT_NE(bad.status().message().find("POST /v1/records: HTTP 400: batch refused"),
            std::string::npos)
      << bad.status().message();

  auto missing = c.rest->Call("GET", "/v1/learners/lrn_9", "t", nullptr, {200});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().pointer(), "/learner");
  EXPECT_NE(missing.status().message().find("no learner lrn_9"), std::string::npos);

  auto broken = c.rest->Call("GET", "/v1/x", "", nullptr, {200});
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("HTTP 500: not json at all"), std::string::npos)
      << broken.status().message();
  EXPECT_TRUE(c.waits.empty());
}

TEST(HttpUrlTest, SplitsHttpUrlsAndRefusesTheRest) {
  auto u = SplitHttpUrl("https://status.example.edu:8443/lists/3?x=1", Field("/url"));
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->authority, "status.example.edu:8443");
  EXPECT_EQ(u->path, "/lists/3?x=1");
  u = SplitHttpUrl("http://[::1]:9000", Field("/url"));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->authority, "[::1]:9000");
  EXPECT_EQ(u->path, "");
  for (const char* bad :
       {"ftp://h/x", "h/x", "http:///x", "http://user@h/x", "https://h?x", "http://h#f"}) {
    auto r = SplitHttpUrl(bad, Field("/url"));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().pointer(), "/url") << bad;
  }
}

}  // namespace
}  // namespace lcb
