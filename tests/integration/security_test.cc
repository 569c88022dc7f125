// Security end to end, against the real server over real sockets:
//   TokenTest     expiry, revocation, malformed Authorization headers, and secrets (tokens,
//                 national IDs, key material) kept out of responses and out of the server log
//   TlsTest       HTTPS with a certificate made at test time: verified clients (HttpClient,
//                 curl, openssl s_client), keep-alive, and plain HTTP to the TLS port
//   LimitsTest    body, header and batch limits, slow clients, max connections, rate limits,
//                 garbage on the wire and odd requests: never a crash, /healthz answers after
//   JwsTest       institution-signed submissions (X-JWS-Signature, detached compact JWS,
//                 EdDSA) made by tests/integration/jws/sign.mjs with the npm package jose, so
//                 the signer shares no code with the verifier
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <thread>

#include "api/logging.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// RFC 3339 UTC with milliseconds, `ms_from_now` from now.
std::string Rfc3339In(int64_t ms_from_now) {
  int64_t t = NowMillis() + ms_from_now;
  time_t secs = static_cast<time_t>(t / 1000);
  tm g{};
  gmtime_r(&secs, &g);
  char base[32], out[48];
  std::strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &g);
  std::snprintf(out, sizeof out, "%s.%03dZ", base, static_cast<int>(t % 1000));
  return out;
}

// Runs a shell command; returns its exit code and stdout.
struct CommandResult {
  int exit_code = -1;
  std::string out;
};
CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool HaveCommand(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

// A raw TCP connection to the server, for what a well-behaved client never sends.
class RawConn {
 public:
  explicit RawConn(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConn() { Close(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // False once the peer has reset the connection.
  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  struct ReadResult {
    std::string data;
    bool closed = false;  // the server closed (FIN or RST)
    int64_t ms = 0;       // how long the read took
  };
  // Reads until the server closes, `until` has arrived (if given), or `timeout_ms`.
  ReadResult Read(int timeout_ms, std::string_view until = {}) {
    ReadResult r;
    auto start = Clock::now();
    while (true) {
      if (!until.empty() && r.data.find(until) != std::string::npos) break;
      int left = timeout_ms - static_cast<int>(MillisSince(start));
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) continue;
      char buf[16384];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        r.closed = true;
        break;
      }
      r.data.append(buf, static_cast<size_t>(n));
    }
    r.ms = MillisSince(start);
    return r;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

void ExpectAlive(TestServer& s, const std::string& after) {
  ClientResponse r = s.Call("GET", "/healthz");
  EXPECT_EQ(r.status, 200) << "/healthz after " << after;
}

// ---- Tokens and secrets ------------------------------------------------------------------

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel("error");  // the request log is noise here
    server_ = std::make_unique<TestServer>(dir_.path());
    cat_.Load(*server_);
  }
  std::string Passbook() { return "/v1/learners/" + cat_.learner_a + "/passbook"; }
  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
};

TEST_F(TokenTest, ExpiredTokenIs401) {
  json t = server_->CallJson("POST", "/v1/tokens", server_->admin_token(),
                             {{"role", "auditor"}, {"expires_at", Rfc3339In(1500)}}, 201);
  std::string token = t["token"];
  EXPECT_EQ(t["expires_at"].get<std::string>().size(), 24u);
  EXPECT_EQ(server_->Call("GET", Passbook(), token).status, 200);  // valid, and now cached
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  ClientResponse r = server_->Call("GET", Passbook(), token);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_NE(r.headers["www-authenticate"].find("invalid_token"), std::string::npos);
  // A token that was presented is checked even on public routes (RFC 6750 §3.1).
  EXPECT_EQ(server_->Call("GET", "/v1/log/key", token).status, 401);
  // Tokens cannot be born expired.
  json past = server_->CallJson("POST", "/v1/tokens", server_->admin_token(),
                                {{"role", "auditor"}, {"expires_at", Rfc3339In(-1000)}}, 400);
  EXPECT_EQ(past["pointer"], "/expires_at");
  json garbage = server_->CallJson("POST", "/v1/tokens", server_->admin_token(),
                                   {{"role", "auditor"}, {"expires_at", "tomorrow"}}, 400);
  EXPECT_EQ(garbage["pointer"], "/expires_at");
}

// A token acts as its subject, so none is made for an institution that is not registered or a
// learner that does not exist: 409 at /role, naming it. (It used to be 201, and the token could
// create learners for the unregistered institution.)
TEST_F(TokenTest, TokensOnlyForSubjectsThatExist) {
  const std::string& admin = server_->admin_token();
  for (const std::string role : {"institution:ghostu", "learner:lrn_ghost"}) {
    SCOPED_TRACE(role);
    json p = server_->CallJson("POST", "/v1/tokens", admin, {{"role", role}}, 409);
    EXPECT_EQ(p["pointer"], "/role") << p.dump();
    EXPECT_NE(p.value("detail", "").find(role.substr(role.find(':') + 1)), std::string::npos)
        << p.dump();
  }
  json list = server_->CallJson("GET", "/v1/tokens", admin, nullptr, 200);
  for (const auto& item : list["tokens"])
    EXPECT_EQ(item["role"].get<std::string>().find("ghost"), std::string::npos);
  server_->CallJson("POST", "/v1/tokens", admin, {{"role", "institution:tsinghua"}}, 201);
  server_->CallJson("POST", "/v1/tokens", admin, {{"role", "learner:" + cat_.learner_a}}, 201);
  server_->CallJson("POST", "/v1/tokens", admin, {{"role", "auditor"}}, 201);
}

TEST_F(TokenTest, RevokedTokenIs401AtOnce) {
  json t = server_->CallJson("POST", "/v1/tokens", server_->admin_token(),
                             {{"role", "institution:tsinghua"}}, 201);
  std::string token = t["token"], id = t["id"];
  EXPECT_EQ(server_->Call("GET", "/v1/learners/lookup?national_id=110101199003070011", token).status,
            200);
  server_->CallJson("DELETE", "/v1/tokens/" + id, server_->admin_token(), nullptr, 200);
  ClientResponse r = server_->Call("GET", "/v1/learners/lookup?national_id=110101199003070011", token);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers["www-authenticate"].find("Bearer"), std::string::npos);
  server_->CallJson("DELETE", "/v1/tokens/tok_0000000000000000", server_->admin_token(), nullptr,
                    404);
  // The list shows it revoked, by id and role only.
  json list = server_->CallJson("GET", "/v1/tokens", server_->admin_token(), nullptr, 200);
  bool found = false;
  for (const auto& item : list["tokens"]) {
    EXPECT_FALSE(item.contains("token"));
    if (item["id"] == id) {
      found = true;
      EXPECT_EQ(item["revoked"], true);
    }
  }
  EXPECT_TRUE(found);
  // An admin revoking its own token locks itself out, nothing else.
  json admin2 = server_->CallJson("POST", "/v1/tokens", server_->admin_token(), {{"role", "admin"}}, 201);
  server_->CallJson("DELETE", "/v1/tokens/" + admin2["id"].get<std::string>(),
                    admin2["token"].get<std::string>(), nullptr, 200);
  EXPECT_EQ(server_->Call("GET", "/v1/tokens", admin2["token"].get<std::string>()).status, 401);
  EXPECT_EQ(server_->Call("GET", "/v1/tokens", server_->admin_token()).status, 200);
}

TEST_F(TokenTest, MalformedAuthorizationIs401WithoutCrash) {
  const std::string good = cat_.auditor_token;
  std::vector<std::string> headers = {
      "Bearer",
      "Bearer ",
      "Bearer  " + good,  // two spaces: the token would start with a space
      "Basic dXNlcjpwYXNzd29yZA==",
      "Token " + good,
      good,  // no scheme
      "Bearer " + good + "x",
      "Bearer " + good.substr(0, good.size() - 1),
      "Bearer cb_" + std::string(300, 'A'),
      "Bearer " + std::string(12000, 'z'),  // long, but under the header limit
      "Bearer \"" + good + "\"",
      "Bearer " + good + ", Bearer " + good,
      "Bearer %00%00",
      "Bearer \xff\xfe\xfd",
  };
  for (const std::string& h : headers) {
    for (const char* target : {"/v1/learners/lookup?national_id=1", "/v1/log/key"}) {
      ClientResponse r = server_->Call("GET", target, "", "", {{"Authorization", h}});
      EXPECT_EQ(r.status, 401) << "Authorization: " << h.substr(0, 60) << " on " << target;
      EXPECT_EQ(r.headers["content-type"], "application/problem+json");
      EXPECT_EQ(r.body.find(good), std::string::npos);
    }
  }
  // The scheme is case-insensitive (RFC 9110 §11.1): "bearer" works like "Bearer".
  EXPECT_EQ(server_->Call("GET", Passbook(), "", "", {{"Authorization", "bearer " + good}}).status,
            200);
  EXPECT_EQ(server_->Call("GET", Passbook(), "", "", {{"Authorization", "BEARER " + good}}).status,
            200);
  // Longer than the header limit: 431 before authentication is even tried.
  ClientResponse huge = server_->Call("GET", Passbook(), "", "",
                                      {{"Authorization", "Bearer " + std::string(40000, 'z')}});
  EXPECT_EQ(huge.status, 431);
  ExpectAlive(*server_, "malformed Authorization headers");
  EXPECT_EQ(server_->Call("GET", Passbook(), good).status, 200);
}

// Tokens, national IDs and key material never leave the server except where they must (a
// new token, once), neither in responses nor in the request log (info level, captured).
TEST_F(TokenTest, SecretsStayOutOfResponsesAndLogs) {
  const std::string admin = server_->admin_token();
  const std::string nid = "310101198001010022", nid_spaced = "310101 19800101 0022";
  const std::string bogus = "cb_" + std::string(43, 'Q');
  std::vector<ClientResponse> responses;
  std::string new_token;

  SetLogLevel("info");
  ::testing::internal::CaptureStderr();
  {
    ClientResponse created = server_->Call("POST", "/v1/tokens", admin, R"({"role":"auditor"})");
    new_token = json::parse(created.body).value("token", "");
    responses.push_back(server_->Call("GET", Passbook(), new_token));
    responses.push_back(server_->Call("GET", Passbook(), bogus));
    responses.push_back(server_->Call("POST", "/v1/learners", cat_.ouchn_token,
                                      json{{"national_id", nid}, {"display_name", "赵六"}}.dump()));
    responses.push_back(server_->Call("POST", "/v1/learners", cat_.tsinghua_token,
                                      json{{"national_id", nid_spaced}}.dump()));
    responses.push_back(
        server_->Call("GET", "/v1/learners/lookup?national_id=" + nid, cat_.tsinghua_token));
    responses.push_back(server_->Call("GET", "/v1/learners/lookup?national_id=" + nid, bogus));
    responses.push_back(server_->Call("POST", "/v1/learners", cat_.tsinghua_token,
                                      json{{"national_id", nid + "!"}}.dump()));  // 400
    responses.push_back(server_->Call("GET", "/v1/tokens", admin));
    responses.push_back(server_->Call("GET", "/v1/admin/actions", admin));
    responses.push_back(server_->Call("GET", "/v1/log/key", new_token));
    responses.push_back(server_->Call("GET", "/metrics"));
    responses.push_back(server_->Call("POST", "/v1/records", cat_.tsinghua_token,
                                      cat_.Record(cat_.learner_a, "tsinghua:CS101", "S-1").dump()));
    responses.push_back(server_->Call("DELETE", "/v1/tokens/" + json::parse(created.body).value("id", ""),
                                      admin));
  }
  std::string log = ::testing::internal::GetCapturedStderr();
  SetLogLevel("error");
  ASSERT_NE(log.find("\"msg\":\"request\""), std::string::npos) << "no request log captured";
  EXPECT_NE(log.find("\"status\":401"), std::string::npos);
  ASSERT_FALSE(new_token.empty());

  std::vector<std::pair<std::string, std::string>> secrets = {
      {"admin token", admin},
      {"new token", new_token},
      {"bogus token", bogus},
      {"tsinghua token", cat_.tsinghua_token},
      {"ouchn token", cat_.ouchn_token},
      {"national ID", nid},
      {"national ID (spaced)", nid_spaced},
      {"fixture national ID", "110101199003070011"},
  };
  for (const std::string& t : {admin, new_token, cat_.tsinghua_token}) {
    secrets.emplace_back("token hash", HashHex(Sha256(t)));
  }
  std::string nid_secret = ReadAll(dir_.sub("national_id.secret"));
  ASSERT_GE(nid_secret.size(), 32u);
  secrets.emplace_back("national ID secret (hex)", HexEncode(nid_secret));
  secrets.emplace_back("national ID secret (base64)", Base64Encode(nid_secret).substr(0, 40));
  // Each base64 line of the log's private key PEM.
  std::string pem = ReadAll(dir_.sub("log_key.pem"));
  ASSERT_NE(pem.find("PRIVATE KEY"), std::string::npos);
  std::istringstream pem_lines(pem);
  for (std::string line; std::getline(pem_lines, line);) {
    if (!line.empty() && line[0] != '-') secrets.emplace_back("log private key", line);
  }
  for (const auto& [what, secret] : secrets) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "the server log holds the " << what;
    for (const ClientResponse& r : responses) {
      EXPECT_EQ(r.body.find(secret), std::string::npos) << "a response holds the " << what << ": "
                                                       << r.body.substr(0, 200);
    }
  }
  EXPECT_EQ(log.find("PRIVATE KEY"), std::string::npos);
  for (const ClientResponse& r : responses) {
    EXPECT_EQ(r.body.find("PRIVATE KEY"), std::string::npos);
  }
}

// ---- TLS -----------------------------------------------------------------------------------

// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI.
bool MakeCertificate(const std::string& cert, const std::string& key) {
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                    " -keyout '" + key + "' -out '" + cert + "' -days 2 -subj /CN=127.0.0.1"
                    " -addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel("error");  // the request log is noise here
    if (!HaveCommand("openssl")) GTEST_SKIP() << "the openssl command is not installed";
    cert_ = dir_.sub("cert.pem");
    key_ = dir_.sub("key.pem");
    ASSERT_TRUE(MakeCertificate(cert_, key_));
    server_ = std::make_unique<TestServer>(
        dir_.sub("bank"),
        std::map<std::string, std::string>{
            {"tls_cert", cert_}, {"tls_key", key_}, {"read_timeout_ms", "1000"}});
    base_ = "https://127.0.0.1:" + std::to_string(server_->port());
  }
  std::unique_ptr<HttpClient> Verified(const std::string& base = "") {
    auto c = HttpClient::Connect(base.empty() ? base_ : base, cert_, /*insecure=*/false);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  TempDir dir_;
  std::string cert_, key_, base_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(TlsTest, VerifiedClientKeepsTheConnection) {
  auto client = Verified();
  ASSERT_NE(client, nullptr);
  const std::map<std::string, std::string> auth = {
      {"Authorization", "Bearer " + server_->admin_token()}};
  for (int i = 0; i < 5; ++i) {
    auto r = client->Request("GET", i % 2 ? "/v1/log/key" : "/healthz");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->headers["connection"], "close");
  }
  auto t = client->Request("POST", "/v1/tokens", R"({"role":"auditor"})", auth);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status, 201);
  // Every request above went over this one connection: the server holds exactly one.
  auto m = client->Request("GET", "/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->body.find("\ncreditbank_open_connections 1\n"), std::string::npos) << m->body;
  // localhost is in the certificate too.
  auto by_name = Verified("https://localhost:" + std::to_string(server_->port()));
  ASSERT_NE(by_name, nullptr);
  auto r = by_name->Request("GET", "/healthz");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsTest, UntrustedCertificateIsRefused) {
  std::string other_cert = dir_.sub("other.pem"), other_key = dir_.sub("other.key");
  ASSERT_TRUE(MakeCertificate(other_cert, other_key));
  auto c = HttpClient::Connect(base_, other_cert, /*insecure=*/false);
  EXPECT_FALSE(c.ok());
  if (!c.ok()) {
    EXPECT_NE(c.status().message().find("TLS handshake"), std::string::npos);
  }
  ExpectAlive(*server_, "an aborted handshake");
}

TEST_F(TlsTest, CurlAndOpensslClientVerifyAndReuse) {
  if (HaveCommand("curl")) {
    // Two transfers in one curl run: the second reuses the connection (num_connects 0).
    CommandResult r = RunCommand("curl -sS --max-time 10 --cacert '" + cert_ + "' -o /dev/null -o /dev/null"
                          " -w '%{http_code} %{num_connects}\\n' " + base_ + "/healthz " + base_ +
                          "/readyz");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "200 1\n200 0\n");
    // Without the CA, curl refuses the certificate.
    CommandResult bad = RunCommand("curl -sS --max-time 10 -o /dev/null " + base_ + "/healthz 2>/dev/null");
    EXPECT_NE(bad.exit_code, 0);
  } else {
    std::printf("curl is not installed: skipping the curl part\n");
  }
  // s_client: two requests written at once on one TLS connection, both answered.
  std::string requests = "GET /healthz HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n"
                         "GET /readyz HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n";
  CommandResult s = RunCommand("printf '" + requests + "' | timeout 20 openssl s_client -connect 127.0.0.1:" +
                        std::to_string(server_->port()) + " -servername localhost -CAfile '" +
                        cert_ + "' -verify_return_error -quiet 2>/dev/null");
  size_t oks = 0;
  for (size_t pos = 0; (pos = s.out.find("HTTP/1.1 200 OK", pos)) != std::string::npos; ++pos) ++oks;
  EXPECT_EQ(oks, 2u) << s.out;
  EXPECT_NE(s.out.find("\"status\":\"ready\""), std::string::npos);
}

TEST_F(TlsTest, PlainHttpToTheTlsPortFailsCleanly) {
  auto start = Clock::now();
  auto plain = HttpClient::Connect("http://127.0.0.1:" + std::to_string(server_->port()));
  ASSERT_TRUE(plain.ok());  // TCP connects
  auto r = (*plain)->Request("GET", "/healthz", "", {}, 5000);
  EXPECT_TRUE(!r.ok() || r->status != 200);
  EXPECT_LT(MillisSince(start), 4000) << "a plain client must be refused, not left hanging";
  {
    RawConn raw(server_->port());
    ASSERT_TRUE(raw.connected());
    raw.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    RawConn::ReadResult got = raw.Read(3000);
    EXPECT_TRUE(got.closed);
    EXPECT_EQ(got.data.find("HTTP/1.1 200"), std::string::npos);
  }
  // A TCP connection that never starts the handshake is dropped after read_timeout_ms.
  {
    RawConn idle(server_->port());
    RawConn::ReadResult got = idle.Read(5000);
    EXPECT_TRUE(got.closed);
    EXPECT_GE(got.ms, 700);
    EXPECT_LT(got.ms, 4000);
  }
  auto client = Verified();
  ASSERT_NE(client, nullptr);
  auto ok = client->Request("GET", "/healthz");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 200);
}

TEST_F(TlsTest, LimitsHoldOverTls) {
  auto client = Verified();
  ASSERT_NE(client, nullptr);
  auto big = client->Request("POST", "/v1/records", std::string(9u << 20, ' '),
                             {{"Authorization", "Bearer " + server_->admin_token()}});
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(big->headers["content-type"], "application/problem+json");
  auto after = client->Request("GET", "/healthz");  // reconnects: the 413 closed the connection
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->status, 200);
}

// Over max_connections a TLS port answers 503 problem+json inside TLS (a plaintext answer
// would reach a TLS client as a handshake failure, with no Retry-After to act on).
TEST_F(TlsTest, OverTheConnectionLimitAnswers503OverTls) {
  TestServer limited(dir_.sub("limited"), std::map<std::string, std::string>{
                                              {"tls_cert", cert_}, {"tls_key", key_},
                                              {"max_connections", "1"}});
  std::string base = "https://127.0.0.1:" + std::to_string(limited.port());
  auto held = Verified(base);
  ASSERT_NE(held, nullptr);
  auto first = held->Request("GET", "/healthz");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->status, 200);
  auto extra = Verified(base);
  ASSERT_NE(extra, nullptr);
  auto r = extra->Request("GET", "/healthz");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->headers["content-type"], "application/problem+json");
  EXPECT_EQ(r->headers["retry-after"], "1");
  EXPECT_NE(r->body.find("too many open connections"), std::string::npos) << r->body;
  // The held connection still works.
  auto again = held->Request("GET", "/healthz");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, 200);
}

// ---- Limits ------------------------------------------------------------------------------

class LimitsTest : public ::testing::Test {
 protected:
  void Start(std::map<std::string, std::string> flags) {
    SetLogLevel("error");  // the request log is noise here
    server_ = std::make_unique<TestServer>(dir_.path(), std::move(flags));
  }
  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
};

TEST_F(LimitsTest, BodyHeaderAndBatchLimits) {
  Start({{"max_body_bytes", "65536"}, {"max_batch", "5"}});
  cat_.Load(*server_);
  const std::string& token = cat_.tsinghua_token;
  // Body over max_body_bytes: 413, with Content-Length ...
  ClientResponse r = server_->Call("POST", "/v1/records", token, std::string(100000, ' '));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_NE(json::parse(r.body)["detail"].get<std::string>().find("65536"), std::string::npos);
  ExpectAlive(*server_, "413");
  // ... announced but not sent (answered before the upload) ...
  {
    RawConn raw(server_->port());
    raw.Send("POST /v1/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
             "\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n");
    RawConn::ReadResult got = raw.Read(3000, "}");
    EXPECT_EQ(got.data.rfind("HTTP/1.1 413", 0), 0u) << got.data;
  }
  // ... and chunked, where the size is only known while reading.
  {
    RawConn raw(server_->port());
    std::string req = "POST /v1/records HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      "Content-Type: application/json\r\n\r\n";
    std::string chunk(16384, 'a');
    for (int i = 0; i < 6; ++i) req += "4000\r\n" + chunk + "\r\n";
    req += "0\r\n\r\n";
    raw.Send(req);
    RawConn::ReadResult got = raw.Read(3000, "}");
    EXPECT_EQ(got.data.rfind("HTTP/1.1 413", 0), 0u) << got.data.substr(0, 200);
  }
  ExpectAlive(*server_, "chunked 413");
  // Header over max_header_bytes (the default 16 KiB): 431, one big header or many small ones.
  EXPECT_EQ(Config{}.max_header_bytes, 16u << 10);
  r = server_->Call("GET", "/healthz", "", "", {{"X-Big", std::string(20000, 'h')}});
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  std::map<std::string, std::string> many;
  for (int i = 0; i < 1500; ++i) many["X-H" + std::to_string(i)] = "0123456789";
  EXPECT_EQ(server_->Call("GET", "/healthz", "", "", many).status, 431);
  // A target longer than the header limit.
  EXPECT_EQ(server_->Call("GET", "/v1/units/" + std::string(20000, 'u')).status, 431);
  ExpectAlive(*server_, "431");
  // Batch over max_batch: 413 naming /records, nothing stored; JSON and CSV alike.
  uint64_t size_before = server_->ledger().Size();
  json batch = {{"records", json::array()}};
  std::string csv = "learner,unit,external_ref,grade_scale,grade_value,completed_on\n";
  for (int i = 0; i < 6; ++i) {
    batch["records"].push_back(
        cat_.Record(cat_.learner_a, "tsinghua:CS101", "BL-" + std::to_string(i)));
    csv += cat_.learner_a + ",tsinghua:CS101,BLC-" + std::to_string(i) + ",percent,80,2024-01-01\n";
  }
  json p = server_->CallJson("POST", "/v1/records", token, batch, 413);
  EXPECT_EQ(p["pointer"], "/records");
  r = server_->Call("POST", "/v1/records", token, csv, {{"Content-Type", "text/csv"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(json::parse(r.body)["pointer"], "/records");
  EXPECT_EQ(server_->ledger().Size(), size_before);
  batch["records"].erase(5);
  server_->CallJson("POST", "/v1/records", token, batch, 201);
  ExpectAlive(*server_, "batch limits");
}

TEST_F(LimitsTest, SlowClientsAreDroppedOthersServed) {
  Start({{"read_timeout_ms", "500"}});
  // Half a request line and headers, then silence.
  RawConn half_header(server_->port());
  ASSERT_TRUE(half_header.connected());
  half_header.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  // Complete headers, half the body, then silence.
  RawConn half_body(server_->port());
  half_body.Send("POST /v1/learners HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Content-Length: 100\r\n\r\n{\"display_name\":");
  auto stall_start = Clock::now();
  // While they stall, others are served promptly.
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    EXPECT_EQ(server_->Call("GET", "/healthz").status, 200);
    EXPECT_LT(MillisSince(t0), 300);
  }
  for (RawConn* c : {&half_header, &half_body}) {
    RawConn::ReadResult got = c->Read(4000);
    EXPECT_TRUE(got.closed) << "a stalled client was not dropped";
    int64_t since = MillisSince(stall_start);
    EXPECT_LT(since, 3000);
    EXPECT_EQ(got.data.find("HTTP/1.1 2"), std::string::npos);
  }
  EXPECT_GE(MillisSince(stall_start), 400);
  // Dripping one byte every 100 ms does not stretch the deadline: it covers the whole request.
  RawConn drip(server_->port());
  std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: " + std::string(100, 'd');
  auto drip_start = Clock::now();
  bool dropped = false;
  for (char ch : req) {
    if (!drip.Send(std::string(1, ch))) {
      dropped = true;
      break;
    }
    RawConn::ReadResult got = drip.Read(100);
    if (got.closed) {
      dropped = true;
      break;
    }
  }
  EXPECT_TRUE(dropped);
  EXPECT_LT(MillisSince(drip_start), 2500);
  ExpectAlive(*server_, "slow clients");
}

TEST_F(LimitsTest, MaxConnectionsGives503ThenRecovers) {
  Start({{"max_connections", "8"}});
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 8; ++i) {
    auto c = std::make_unique<RawConn>(server_->port());
    ASSERT_TRUE(c->connected());
    c->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");  // keep-alive: stays open afterwards
    RawConn::ReadResult got = c->Read(3000, "{\"status\":\"ok\"}");
    ASSERT_EQ(got.data.rfind("HTTP/1.1 200", 0), 0u) << got.data;
    held.push_back(std::move(c));
  }
  for (int i = 0; i < 3; ++i) {
    RawConn extra(server_->port());
    ASSERT_TRUE(extra.connected());
    RawConn::ReadResult got = extra.Read(3000);
    EXPECT_TRUE(got.closed);
    EXPECT_EQ(got.data.rfind("HTTP/1.1 503", 0), 0u) << got.data;
    EXPECT_NE(got.data.find("Retry-After: 1"), std::string::npos);
    EXPECT_NE(got.data.find("application/problem+json"), std::string::npos);
  }
  // The held connections still work.
  held[0]->Send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(held[0]->Read(3000, "}").data.rfind("HTTP/1.1 200", 0), 0u);
  // Closing connections frees their slots once the server has seen the close, which it does
  // asynchronously: poll (bounded) rather than expect the very next connection to fit.
  auto served_again = [&] {
    auto start = Clock::now();
    while (MillisSince(start) < 5000) {
      RawConn c(server_->port());
      c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      if (c.Read(3000).data.rfind("HTTP/1.1 200", 0) == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  held[6]->Close();
  held[7]->Close();
  EXPECT_TRUE(served_again()) << "the server did not serve again after connections closed";
  held.clear();
  EXPECT_TRUE(served_again()) << "the server did not serve after every connection closed";
  ExpectAlive(*server_, "max connections");
}

TEST_F(LimitsTest, RateLimitPerToken) {
  Start({{"rate_limit_rps", "5"}, {"rate_limit_burst", "5"}});
  // Tokens straight from the store: no HTTP call spends a rate-limit token on setup.
  std::string a = server_->services().tokens().Create("auditor", "")->token;
  std::string b = server_->services().tokens().Create("auditor", "")->token;
  auto client = server_->Client();
  auto get = [&](const std::string& token) {
    auto r = client->Request("GET", "/v1/log/key", "", {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : ClientResponse{};
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get(a).status, 200) << "burst request " << i;
  ClientResponse limited;
  for (int i = 0; i < 10 && limited.status != 429; ++i) limited = get(a);
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers["content-type"], "application/problem+json");
  ASSERT_TRUE(limited.headers.count("retry-after"));
  int wait = std::stoi(limited.headers["retry-after"]);
  EXPECT_GE(wait, 1);
  EXPECT_LE(wait, 2);
  // Other tokens and anonymous callers have their own buckets.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get(b).status, 200);
  EXPECT_EQ(server_->Call("GET", "/healthz").status, 200);
  std::this_thread::sleep_for(std::chrono::seconds(wait));
  EXPECT_EQ(get(a).status, 200);
  ExpectAlive(*server_, "rate limiting");
}

TEST_F(LimitsTest, GarbageOnTheWireIs400AndTheServerStaysUp) {
  Start({});
  std::mt19937 rng(42);
  std::string binary(4096, '\0');
  for (char& c : binary) c = static_cast<char>(rng() & 0xff);
  binary[0] = '\0';
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"TLS ClientHello to the plain port",
       std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(64, '\x42')},
      {"random bytes", binary},
      {"no request line", "HELLO\r\n\r\n"},
      {"bad version", "GET /healthz HTTP/7.5\r\nHost: x\r\n\r\n"},
      {"header without colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nNo Colon Here\r\n\r\n"},
      {"NUL in a header value", std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", 42)},
      {"negative Content-Length", "POST /v1/learners HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"},
      {"two Content-Lengths",
       "POST /v1/learners HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}}"},
      {"bad chunk size",
       "POST /v1/learners HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nab\r\n0\r\n\r\n"},
      {"bad percent-encoding", "GET /v1/units/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
      {"space in the target", "GET /v1/units/a b HTTP/1.1\r\nHost: x\r\n\r\n"},
  };
  for (const auto& [what, bytes] : cases) {
    RawConn raw(server_->port());
    ASSERT_TRUE(raw.connected());
    raw.Send(bytes);
    RawConn::ReadResult got = raw.Read(3000);
    EXPECT_EQ(got.data.rfind("HTTP/1.1 400", 0), 0u) << what << ": " << got.data.substr(0, 120);
    EXPECT_NE(got.data.find("application/problem+json"), std::string::npos) << what;
    EXPECT_TRUE(got.closed) << what;
    ExpectAlive(*server_, what);
  }
  // A body framed by a Transfer-Encoding other than chunked alone would be read as no body and
  // its bytes as a second request (smuggled past whatever is in front): 501, one answer only,
  // and the connection closed. Two Authorization headers: 400, not "the last one wins".
  for (const std::string te :
       {"gzip", "identity", "xchunked", "gzip, chunked", "chunked, identity"}) {
    RawConn raw(server_->port());
    ASSERT_TRUE(raw.connected());
    raw.Send(
        "POST /v1/credentials/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: " +
        te +
        "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
        "Connection: close\r\n\r\n");
    RawConn::ReadResult got = raw.Read(3000);
    EXPECT_EQ(got.data.rfind("HTTP/1.1 501", 0), 0u) << te << ": " << got.data.substr(0, 200);
    EXPECT_EQ(got.data.find("\"ok\""), std::string::npos) << te << ": smuggled /healthz answered";
    EXPECT_TRUE(got.closed) << te;
  }
  {
    RawConn raw(server_->port());
    raw.Send(
        "GET /v1/sessions/current HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
        "Authorization: Bearer b\r\n\r\n");
    RawConn::ReadResult got = raw.Read(3000);
    EXPECT_EQ(got.data.rfind("HTTP/1.1 400", 0), 0u) << got.data.substr(0, 200);
    EXPECT_NE(got.data.find("Authorization header appears more than once"), std::string::npos)
        << got.data;
  }
  ExpectAlive(*server_, "transfer codings");
  // What anyone may post is refused past what it can need, before it is parsed.
  for (const auto& [path, size] : std::vector<std::pair<std::string, size_t>>{
           {"/v1/sessions", 20 * 1024}, {"/vc-api/credentials/verify", (1 << 20) + 16}}) {
    const std::string body = "{\"code\": \"" + std::string(size, 'a') + "\"}";
    ClientResponse r = server_->Call("POST", path, "", body);
    EXPECT_EQ(r.status, 413) << path << " " << r.body.substr(0, 200);
    EXPECT_EQ(json::parse(r.body, nullptr, false).value("pointer", ""), "/body") << path;
  }
  // Two requests in one write are both answered, in order.
  RawConn pipelined(server_->port());
  pipelined.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n"
                 "Connection: close\r\n\r\n");
  RawConn::ReadResult both = pipelined.Read(3000);
  EXPECT_NE(both.data.find("\"ok\""), std::string::npos);
  EXPECT_NE(both.data.find("\"ready\""), std::string::npos);
}

// A query parameter given twice is refused on every route, naming it: taking one of the values
// silently could run ?dry_run=false&dry_run=true for real, or page by the limit not meant.
TEST_F(LimitsTest, QueryParameterGivenTwiceIs400) {
  Start({});
  cat_.Load(*server_);
  struct Case {
    std::string method, target, token, pointer;
  };
  const std::vector<Case> cases = {
      {"GET", "/v1/stats?limit=5&limit=10", cat_.auditor_token, "/limit"},
      {"GET", "/v1/units?limit=5&limit=5", "", "/limit"},
      {"GET", "/v1/units?cursor=a&limit=1&lim%69t=2", "", "/limit"},
      {"GET", "/v1/units?institution&institution=tsinghua", "", "/institution"},
      {"POST", "/v1/records?dry_run=false&dry_run=true", cat_.tsinghua_token, "/dry_run"},
      {"GET", "/v1/log/proof/inclusion?index=0&size=1&index=0", "", "/index"},
      {"GET", "/healthz?x=1&x=2", "", "/x"},
  };
  for (const Case& c : cases) {
    ClientResponse r = server_->Call(c.method, c.target, c.token, "{\"records\":[]}");
    ASSERT_EQ(r.status, 400) << c.method << " " << c.target << ": " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json") << c.target;
    json problem = json::parse(r.body);
    EXPECT_EQ(problem["pointer"], c.pointer) << c.target << ": " << r.body;
    EXPECT_NE(problem["detail"].get<std::string>().find("is given twice"), std::string::npos)
        << c.target << ": " << r.body;
  }
  // Different parameters, and a list given the documented way, are still fine.
  EXPECT_EQ(server_->Call("GET", "/v1/units?limit=1&institution=tsinghua").status, 200);
  ExpectAlive(*server_, "repeated query parameters");
}

// Whether `r` is the 400 for the unknown query parameter `name`.
void ExpectUnknownQueryParameter(const ClientResponse& r, const std::string& name,
                                 const std::string& what) {
  ASSERT_EQ(r.status, 400) << what << ": " << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/problem+json") << what;
  json problem = json::parse(r.body, nullptr, false);
  EXPECT_EQ(problem.value("type", ""), "urn:creditbank:problem:invalid-argument") << what;
  EXPECT_EQ(problem.value("pointer", ""), "/" + name) << what << ": " << r.body;
  EXPECT_NE(problem.value("detail", "").find("unknown query parameter '" + name + "'"),
            std::string::npos)
      << what << ": " << r.body;
}

// A query parameter the route does not take is refused, naming it, before the handler runs: a
// registrar who typed ?dryrun=true stores nothing, and ?limt=5 is not a page of the default
// size. The detail lists what the route takes.
TEST_F(LimitsTest, UnknownQueryParameterIs400AndStoresNothing) {
  Start({});
  cat_.Load(*server_);
  const std::string& inst = cat_.tsinghua_token;
  const uint64_t size_before = server_->ledger().Size();

  // A POST with a valid body: refused, nothing stored (a real run of it stores the record).
  const std::string record = cat_.Record(cat_.learner_a, "tsinghua:CS101", "UQ-1").dump();
  ClientResponse r = server_->Call("POST", "/v1/records?dryrun=true", inst, record);
  ExpectUnknownQueryParameter(r, "dryrun", "POST /v1/records?dryrun=true");
  EXPECT_NE(json::parse(r.body)["detail"].get<std::string>().find(
                "takes dry_run, sheet, mapping, create_learners"),
            std::string::npos)
      << r.body;
  const std::string csv = "learner,unit,external_ref,grade_scale,grade_value,completed_on\n" +
                          cat_.learner_a + ",tsinghua:CS101,UQ-2,percent,80,2024-01-01\n";
  r = server_->Call("POST", "/v1/records?dry_run=true&create_learner=true", inst, csv,
                    {{"Content-Type", "text/csv"}});
  ExpectUnknownQueryParameter(r, "create_learner", "a CSV with ?create_learner=");
  r = server_->Call("POST", "/v1/learners?dry_run=true", inst,
                    json{{"national_id", "110101199001010000"}, {"display_name", "王五"}}.dump());
  ExpectUnknownQueryParameter(r, "dry_run", "POST /v1/learners?dry_run=true");
  EXPECT_EQ(server_->ledger().Size(), size_before) << "a refused request was stored";
  EXPECT_EQ(server_->Call("GET", "/v1/learners/lookup?national_id=110101199001010000", inst).status,
            404)
      << "a refused POST /v1/learners created the account";
  json listed = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/records",
                                  cat_.auditor_token, nullptr, 200);
  EXPECT_TRUE(listed["records"].empty()) << listed.dump();

  // GETs: a misspelling, a parameter of another route, a bare name, the C2SP tile routes (the
  // spec gives them no query), a route that takes none at all.
  struct Case {
    std::string target, token, name;
  };
  const std::vector<Case> cases = {
      {"/v1/units?limt=5", "", "limt"},
      {"/v1/units?institution=tsinghua&limit=1&dry_run=true", "", "dry_run"},
      {"/v1/learners/" + cat_.learner_a + "/records?limit=1&page=2", cat_.auditor_token, "page"},
      {"/v1/log/entries?start=0&end=1&format=json", "", "format"},
      {"/v1/log/checkpoint?fresh", "", "fresh"},
      {"/log/checkpoint?x=1", "", "x"},
      {"/log/tile/0/000?v=2", "", "v"},
      {"/healthz?verbose=1", "", "verbose"},
      {"/openapi.json?format=yaml", "", "format"},
      {"/v1/stats?group_by=kind&k=1", server_->admin_token(), "k"},
  };
  for (const Case& c : cases) {
    ExpectUnknownQueryParameter(server_->Call("GET", c.target, c.token), c.name, c.target);
  }
  // Who may not call the route learns that first: 401 and 403 come before the query.
  EXPECT_EQ(server_->Call("POST", "/v1/records?dryrun=true", "", record).status, 401);
  EXPECT_EQ(server_->Call("POST", "/v1/records?dryrun=true", cat_.auditor_token, record).status,
            403);
  // The portal's pages and files, and the API docs, are opened by browsers and links that may
  // add a query (?utm_source=): ignored there.
  EXPECT_EQ(server_->Call("GET", "/?utm_source=mail").status, 302);
  EXPECT_EQ(server_->Call("GET", "/portal?lang=en").status, 301);
  EXPECT_EQ(server_->Call("GET", "/portal/?utm_source=mail&x").status, 200);
  EXPECT_EQ(server_->Call("GET", "/portal/index.html?v=3").status, 200);
  EXPECT_EQ(server_->Call("GET", "/docs/?utm_source=mail").status, 200);
  EXPECT_EQ(server_->ledger().Size(), size_before);
  ExpectAlive(*server_, "unknown query parameters");
}

// Every parameter the routes document is still taken, as the portal, the CLI and docs/api.md
// send them.
TEST_F(LimitsTest, DocumentedQueryParametersAreTaken) {
  Start({});
  cat_.Load(*server_);
  const std::string& inst = cat_.tsinghua_token;
  const std::string& admin = server_->admin_token();
  const std::string& a = cat_.learner_a;
  const std::string rec = cat_.Record(a, "tsinghua:CS101", "DQ-1").dump();
  const uint64_t size_before = server_->ledger().Size();
  EXPECT_EQ(server_->Call("POST", "/v1/records?dry_run=true", inst, rec).status, 200);
  EXPECT_EQ(
      server_->Call("POST", "/v1/records?dry_run=1&sheet=Sheet1&create_learners=false", inst, rec)
          .status,
      200);
  EXPECT_EQ(server_->ledger().Size(), size_before) << "?dry_run=1 stored";
  json posted = server_->CallJson("POST", "/v1/records?dry_run=false", inst, json::parse(rec), 201);
  const std::string id = posted["records"][0].value("id", "");
  server_->CallJson("POST", "/v1/records", inst, cat_.Record(a, "tsinghua:MA101", "DQ-2"), 201);
  const std::string size = std::to_string(server_->ledger().Size());

  struct Case {
    std::string target, token;
    int status = 200;
  };
  json units = server_->CallJson("GET", "/v1/units?institution=tsinghua&limit=1", "", nullptr, 200);
  ASSERT_TRUE(units["next_cursor"].is_string()) << units.dump();
  json page = server_->CallJson("GET", "/v1/learners/" + a + "/records?limit=1", cat_.auditor_token,
                                nullptr, 200);
  ASSERT_TRUE(page["next_cursor"].is_string()) << page.dump();
  const std::vector<Case> cases = {
      {"/v1/units?institution=tsinghua&limit=1&cursor=" + units["next_cursor"].get<std::string>(),
       ""},
      {"/v1/institutions?institution=ts&limit=5", ""},
      {"/v1/learners/" + a + "/records?limit=1&cursor=" + page["next_cursor"].get<std::string>(),
       cat_.auditor_token},
      {"/v1/learners/lookup?national_id=110101199003070011", inst},
      {"/v1/log/proof/inclusion?index=0&size=" + size, ""},
      {"/v1/log/proof/consistency?first=1&second=" + size, ""},
      {"/v1/log/entries?start=0&end=" + size, cat_.auditor_token},
      {"/v1/admin/actions?after=0&limit=5", admin},
      {"/v1/stats?group_by=region,kind&region=11&region_level=county&limit=1", admin},
      {"/v1/records/" + id + "/credential?format=jwt&holder=did:example:h", cat_.learner_a_token},
      {"/v1/learners/" + a + "/transcript?format=clr&holder=did:example:h", cat_.learner_a_token},
      {"/v1/learners/" + a + "/what-if?programs=all&limit=5&as_of=2025-01-01",
       cat_.learner_a_token},
      {"/v1/programs/tsinghua:NONE/ruleset?version=1", "", 404},
  };
  for (const Case& c : cases) {
    ClientResponse r = server_->Call("GET", c.target, c.token);
    EXPECT_EQ(r.status, c.status) << c.target << ": " << r.body.substr(0, 300);
  }
  // A registrar's file read as a table (nothing stored); ?mapping= and ?sheet= (an XLSX's; a
  // CSV has none, 400) are tested at length in registrar_import_test.cc.
  const std::string csv = "learner,unit,external_ref,grade_scale,grade_value,completed_on\n" + a +
                          ",tsinghua:CS101,DQ-3,percent,80,2024-01-01\n";
  ClientResponse table = server_->Call("POST", "/v1/records/table?create_learners=false", inst, csv,
                                       {{"Content-Type", "text/csv"}});
  EXPECT_EQ(table.status, 200) << table.body;
  ExpectAlive(*server_, "documented query parameters");
}

// The OpenAPI document lists exactly the query parameters each route declares (the same list
// the router enforces), and every route that declares its query refuses one it does not.
TEST_F(LimitsTest, OpenApiListsExactlyTheDeclaredQueryParameters) {
  Start({});
  cat_.Load(*server_);
  const std::string regulator = server_->NewToken("regulator:11");
  const uint64_t size_before = server_->ledger().Size();
  json doc = server_->CallJson("GET", "/openapi.json", "", nullptr, 200);
  size_t routes = 0, with_query = 0;
  for (const Route& route : server_->app().router().routes()) {
    ++routes;
    std::string method = route.method;
    for (char& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const std::string what = route.method + " " + route.pattern;
    ASSERT_TRUE(doc["paths"].contains(route.pattern)) << what;
    ASSERT_TRUE(doc["paths"][route.pattern].contains(method)) << what;
    const json& op = doc["paths"][route.pattern][method];
    std::map<std::string, json> listed;
    for (const json& p : op.value("parameters", json::array())) {
      if (p.value("in", "") != "query") continue;
      EXPECT_TRUE(listed.emplace(p.value("name", ""), p).second) << what << " lists a name twice";
    }
    EXPECT_EQ(listed.size(), route.query.size()) << what;
    for (const QueryParam& q : route.query) {
      ASSERT_TRUE(listed.count(q.name)) << what << " does not list ?" << q.name << "=";
      const json& p = listed[q.name];
      const char* type = q.type == QueryType::kInteger   ? "integer"
                         : q.type == QueryType::kBoolean ? "boolean"
                                                         : "string";
      EXPECT_EQ(p["schema"]["type"], type) << what << " ?" << q.name;
      EXPECT_EQ(p.value("required", false), q.required) << what << " ?" << q.name;
      EXPECT_FALSE(p.value("description", "").empty()) << what << " ?" << q.name;
    }
    EXPECT_EQ(op.value("x-ignores-query", false), route.any_query) << what;
    if (!route.query.empty()) ++with_query;

    // The router refuses what the route does not declare, before its handler runs (so that
    // writes to made-up ids are safe here), once the caller may call the route at all.
    std::string token;
    if (route.roles & kAdmin) {
      token = server_->admin_token();
    } else if (route.roles & kInstitutionRole) {
      token = cat_.tsinghua_token;
    } else if (route.roles & kLearnerRole) {
      token = cat_.learner_a_token;
    } else if (route.roles & kAuditorRole) {
      token = cat_.auditor_token;
    } else if (route.roles & kRegulatorRole) {
      token = regulator;
    }
    std::string path;
    for (const std::string& seg : route.segments) {
      path += "/" + (seg.size() > 2 && seg.front() == '{' ? std::string("x") : seg);
    }
    ClientResponse r = server_->Call(route.method, path + "?zz_not_a_parameter=1", token);
    if (route.any_query) {
      EXPECT_EQ(r.body.find("unknown query parameter"), std::string::npos) << what;
    } else {
      ExpectUnknownQueryParameter(r, "zz_not_a_parameter", what);
    }
  }
  EXPECT_GT(routes, 50u);
  EXPECT_GE(with_query, 15u);
  EXPECT_EQ(server_->ledger().Size(), size_before);
}

// Odd but well-formed HTTP: every answer a 4xx (or 2xx), never a crash.
TEST_F(LimitsTest, OddRequestsNeverCrash) {
  Start({});
  cat_.Load(*server_);
  const std::string& audit = cat_.auditor_token;
  const std::string& inst = cat_.tsinghua_token;
  struct Case {
    std::string method, target, token, body;
    int want;
  };
  std::string deep_array(200000, '[');
  std::string deep_object;
  for (int i = 0; i < 50000; ++i) deep_object += "{\"a\":";
  std::vector<Case> cases = {
      {"FOO", "/healthz", "", "", 405},
      {"FOO", "/nowhere", "", "", 404},
      {"GET", "/v1/records/abc%00def", audit, "", 404},
      {"GET", "/v1/learners/%00/records", audit, "", 404},
      {"GET", "/v1/learners/" + std::string(4000, 'x') + "/passbook", audit, "", 404},
      {"GET", "/v1/units/%2F..%2F..%2Fetc%2Fpasswd", "", "", 400},
      // An encoded '/' is not a separator: refused, not routed to another route.
      {"GET", "/v1/records/abc%2Fcredential", audit, "", 400},
      {"POST", "/v1/records/abc%2frevoke", inst, "{}", 400},
      {"GET", "/v1/units/tsinghua:%E4%B8%AD", "", "", 404},
      {"GET", "/v1/log/proof/inclusion?index=18446744073709551615&size=18446744073709551615", "",
       "", 400},
      {"GET", "/v1/log/proof/inclusion?index=99999999999999999999&size=1", "", "", 400},
      {"GET", "/v1/log/proof/consistency?first=5&second=2", "", "", 400},
      {"GET", "/v1/log/checkpoints/99999999999999999999999", "", "", 400},
      {"GET", "/v1/log/checkpoints/-1", "", "", 400},
      {"GET", "/v1/log/checkpoints/abc", "", "", 400},
      {"GET", "/v1/log/checkpoints/0x10", "", "", 400},
      {"GET", "/v1/log/checkpoints/1.5", "", "", 400},
      {"GET", "/v1/log/checkpoints/18446744073709551615", "", "", 404},
      {"GET", "/v1/log/entries?start=0&end=18446744073709551615", "", "", 200},
      {"GET", "/v1/log/entries?start=18446744073709551615&end=0", "", "", 400},
      {"GET", "/v1/units?limit=abc", "", "", 400},
      {"GET", "/v1/units?limit=1&limit=2", "", "", 400},
      // Query parameters are UTF-8 text on every backend (a cursor this server gave always is).
      {"GET", "/v1/units?limit=1&cursor=%FF%FE", "", "", 400},
      {"GET", "/v1/units?institution=ts%01", "", "", 400},
      {"GET", "/v1/units?%FF=1", "", "", 400},
      {"GET", "/v1/learners/" + cat_.learner_a + "/records?cursor=zz", audit, "", 400},
      {"GET", "/v1/learners/" + cat_.learner_a + "/records?cursor=ffffffffffffffff", audit, "",
       200},
      {"POST", "/v1/records", inst, deep_array, 400},
      {"POST", "/v1/records", inst, "{\"records\":" + deep_array, 400},
      {"POST", "/v1/records", inst, deep_object, 400},
      {"POST", "/v1/learners", inst, std::string(1000, '\0'), 400},
      {"POST", "/v1/learners", inst, "{\"display_name\":\"\xff\xfe\"}", 400},
      {"POST", "/v1/learners", inst, "{\"display_name\":\"a\\u0000b\"}", 400},
      {"POST", "/v1/learners", inst, "[1,2,3]", 400},
      {"POST", "/v1/learners", inst, "{\"display_name\":1e999999}", 400},
      {"POST", "/v1/records", inst, "{\"records\":[1,\"x\",null,[],{}]}", 400},
      {"POST", "/v1/records", inst, "{\"records\":{}}", 400},
      {"PUT", "/v1/programs/tsinghua:X", inst,
       "{\"title\":\"x\",\"kind\":\"bachelor\",\"total_credits\":1e308,\"requirements\":[]}", 400},
      {"PUT", "/v1/institutions/odd", server_->admin_token(),
       R"({"name":"x","kind":"university","public_keys":[{"kty":5,"crv":[],"x":{},"kid":1}]})",
       400},
      {"PUT", "/v1/institutions/odd", server_->admin_token(),
       R"({"name":"x","kind":"university","public_keys":[{"kty":"OKP","crv":"Ed25519","x":"AA"}]})",
       400},
      {"PUT", "/v1/institutions/odd", server_->admin_token(),
       R"({"name":"x","kind":"university","public_keys":"nope","require_signatures":"yes"})", 400},
      {"POST", "/v1/conversions/evaluate", inst,
       "{\"learner\":\"" + cat_.learner_a +
           "\",\"program\":\"tsinghua:NOPE\",\"as_of\":\"9999-99-99\"}",
       400},
  };
  for (const Case& c : cases) {
    ClientResponse r = server_->Call(c.method, c.target, c.token, c.body);
    EXPECT_EQ(r.status, c.want) << c.method << " " << c.target.substr(0, 80) << " "
                                << c.body.substr(0, 40) << ": " << r.body.substr(0, 200);
    if (r.status >= 400) {
      EXPECT_EQ(r.headers["content-type"], "application/problem+json");
    }
    ExpectAlive(*server_, c.method + " " + c.target.substr(0, 60));
  }
  json bad_cursor = json::parse(server_->Call("GET", "/v1/units?cursor=%FF%FE").body);
  EXPECT_EQ(bad_cursor["pointer"], "/cursor") << bad_cursor.dump();
  // HEAD is GET without a body: the next response starts right after HEAD's headers.
  RawConn raw(server_->port());
  raw.Send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n"
           "Connection: close\r\n\r\n");
  std::string both = raw.Read(3000).data;
  EXPECT_EQ(both.rfind("HTTP/1.1 200", 0), 0u) << both;
  EXPECT_NE(both.find("Content-Length: 15\r\n"), std::string::npos) << both;
  size_t end_of_head = both.find("\r\n\r\n");
  ASSERT_NE(end_of_head, std::string::npos);
  EXPECT_EQ(both.find("HTTP/1.1 200", 1), end_of_head + 4) << both;
  EXPECT_NE(both.find("\"ready\""), std::string::npos);
}

// A number in a query (or a tree size in a path) has one spelling: canonical decimal, 0 or
// [1-9][0-9]*. `index=01` was read as 1, so one proof had many URLs; now it is 400 naming the
// parameter and why, on the log proof API and on every other whole-number parameter.
TEST_F(LimitsTest, NumbersAreCanonicalDecimal) {
  Start({});
  cat_.Load(*server_);
  for (int i = 0; i < 3; ++i) {
    server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                      cat_.Record(cat_.learner_a, "tsinghua:CS101", "CANON-" + std::to_string(i)),
                      201);
  }
  const std::string size = std::to_string(server_->ledger().Size());
  struct Case {
    std::string target, pointer;
  };
  const std::vector<Case> refused = {
      {"/v1/log/proof/inclusion?index=01&size=" + size, "/index"},
      {"/v1/log/proof/inclusion?index=1&size=0" + size, "/size"},
      {"/v1/log/proof/inclusion?index=00&size=" + size, "/index"},
      {"/v1/log/proof/consistency?first=01&second=" + size, "/first"},
      {"/v1/log/proof/consistency?first=1&second=0" + size, "/second"},
      {"/v1/log/entries?start=00&end=1", "/start"},
      {"/v1/log/entries?start=0&end=01", "/end"},
      {"/v1/log/checkpoints/0" + size, "/size"},
      {"/v1/units?limit=010", "/limit"},
      {"/v1/stats?group_by=kind&limit=05", "/limit"},
  };
  const std::string regulator = server_->NewToken("regulator:31");
  for (const Case& c : refused) {
    const std::string token = c.target.starts_with("/v1/stats") ? regulator : "";
    ClientResponse r = server_->Call("GET", c.target, token);
    EXPECT_EQ(r.status, 400) << c.target << ": " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json") << c.target;
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << c.target;
    ASSERT_TRUE(body.contains("errors")) << c.target << ": " << r.body;
    EXPECT_EQ(body["errors"][0]["pointer"], c.pointer) << c.target;
    EXPECT_NE(body["detail"].get<std::string>().find("without leading zeros"), std::string::npos)
        << c.target << ": " << r.body;
  }
  // The canonical spellings of the same numbers answer.
  for (const std::string& target : std::vector<std::string>{
           "/v1/log/proof/inclusion?index=1&size=" + size,
           "/v1/log/proof/inclusion?index=0&size=" + size,
           "/v1/log/proof/consistency?first=1&second=" + size, "/v1/log/entries?start=0&end=1",
           "/v1/log/checkpoints/" + size, "/v1/units?limit=10"}) {
    EXPECT_EQ(server_->Call("GET", target).status, 200) << target;
  }
  EXPECT_EQ(server_->Call("GET", "/v1/stats?group_by=kind&limit=5", regulator).status, 200);
}

// Metric labels come from the route table, never from what a client chooses to send.
TEST_F(LimitsTest, ClientChosenMethodsDoNotGrowMetrics) {
  Start({});
  for (int i = 0; i < 40; ++i) {
    std::string method = "X" + std::to_string(i) + "METHOD";
    EXPECT_EQ(server_->Call(method, "/nowhere/" + std::to_string(i)).status, 404);
  }
  std::string metrics = server_->Call("GET", "/metrics").body;
  EXPECT_EQ(metrics.find("X7METHOD"), std::string::npos);
  EXPECT_EQ(metrics.find("/nowhere/"), std::string::npos);
  EXPECT_NE(metrics.find("method=\"OTHER\",route=\"unmatched\",status=\"404\"} 40"),
            std::string::npos)
      << metrics.substr(0, 2000);
}

// ---- Institution-signed submissions ----------------------------------------------------------

class JwsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel("error");  // the request log is noise here
    script_ = std::string(LCB_SOURCE_DIR) + "/tests/integration/jws/sign.mjs";
    if (!HaveCommand("node")) {
      GTEST_SKIP() << "node is not installed; the JWS signer (tests/integration/jws/sign.mjs) "
                      "needs node and the npm package jose (scripts/deps.sh, scripts/test.sh)";
    }
    if (std::system(("node '" + script_ + "' check").c_str()) != 0) {
      GTEST_SKIP() << "the npm package jose is not installed for " << script_
                   << "; run npm ci in tests/integration/jws (scripts/test.sh does)";
    }
    server_ = std::make_unique<TestServer>(dir_.sub("bank"));
    cat_.Load(*server_);
  }

  // A key pair made by jose; returns the public JWK, keeps the private one in a file.
  json Keygen(const std::string& name, const std::string& kid) {
    std::string path = dir_.sub(name + ".jwk");
    CommandResult r =
        RunCommand("node '" + script_ + "' keygen --out '" + path + "' --kid '" + kid + "'");
    EXPECT_EQ(r.exit_code, 0);
    key_files_[name] = path;
    return json::parse(r.out, nullptr, false);
  }
  // The detached JWS over `body`'s exact bytes, by the key `name`.
  std::string Sign(const std::string& name, const std::string& body) {
    std::string body_path = dir_.sub("body-" + std::to_string(++bodies_));
    WriteFile(body_path, body);
    CommandResult r = RunCommand("node '" + script_ + "' sign --key '" + key_files_[name] +
                          "' --body '" + body_path + "'");
    EXPECT_EQ(r.exit_code, 0);
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  void RegisterKeys(const std::string& inst, const std::string& name, const std::string& kind,
                    json keys, bool required) {
    server_->CallJson("PUT", "/v1/institutions/" + inst, server_->admin_token(),
                      {{"name", name}, {"kind", kind}, {"public_keys", keys},
                       {"require_signatures", required}},
                      200);
  }
  ClientResponse PostSigned(const std::string& token, const std::string& body,
                            const std::string& jws, const std::string& type = "") {
    std::map<std::string, std::string> headers;
    if (!jws.empty()) headers["X-JWS-Signature"] = jws;
    if (!type.empty()) headers["Content-Type"] = type;
    return server_->Call("POST", "/v1/records", token, body, headers);
  }

  TempDir dir_;
  std::string script_;
  std::map<std::string, std::string> key_files_;
  int bodies_ = 0;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
};

TEST_F(JwsTest, SignedSubmissionIsVerifiedAndStored) {
  json pub = Keygen("tsinghua", "tsinghua-2025");
  ASSERT_EQ(pub["kty"], "OKP");
  ASSERT_EQ(pub["crv"], "Ed25519");
  ASSERT_FALSE(pub.contains("d"));
  RegisterKeys("tsinghua", "清华大学", "university", json::array({pub}), true);
  json inst = server_->CallJson("GET", "/v1/institutions/tsinghua", "", nullptr, 200);
  EXPECT_EQ(inst["require_signatures"], true);
  EXPECT_EQ(inst["public_keys"][0]["x"], pub["x"]);

  const std::string body = cat_.Record(cat_.learner_a, "tsinghua:CS101", "J-1").dump();
  const std::string jws = Sign("tsinghua", body);
  ASSERT_NE(jws.find(".."), std::string::npos) << jws;  // detached: header..signature
  ClientResponse r = PostSigned(cat_.tsinghua_token, body, jws);
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = json::parse(r.body)["records"][0]["id"];
  json got = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
  ASSERT_TRUE(got["record"].contains("submission")) << got.dump();
  EXPECT_EQ(got["record"]["submission"]["jws"], jws);
  EXPECT_EQ(got["record"]["submission"]["body_sha256"], HashHex(Sha256(body)));
  // The submission is part of the logged entry bytes, so the Merkle log commits to it.
  uint64_t leaf = got["receipt"]["leaf_index"];
  json entries = server_->CallJson("GET", "/v1/log/entries?start=" + std::to_string(leaf) +
                                       "&end=" + std::to_string(leaf + 1),
                                   cat_.auditor_token, nullptr, 200);
  std::string bytes = *Base64Decode(entries["entries"][0]["entry"].get<std::string>());
  EXPECT_NE(bytes.find(jws), std::string::npos);

  // A signed batch and a signed CSV: every record carries the submission.
  json batch = {{"records",
                 {cat_.Record(cat_.learner_a, "tsinghua:CS101", "J-2"),
                  cat_.Record(cat_.learner_b, "tsinghua:MA101", "J-3")}}};
  std::string batch_body = batch.dump();
  std::string batch_jws = Sign("tsinghua", batch_body);
  r = PostSigned(cat_.tsinghua_token, batch_body, batch_jws);
  ASSERT_EQ(r.status, 201) << r.body;
  std::string second = json::parse(r.body)["records"][1]["id"];
  got = server_->CallJson("GET", "/v1/records/" + second, cat_.learner_b_token, nullptr, 200);
  EXPECT_EQ(got["record"]["submission"]["jws"], batch_jws);
  std::string csv = "learner,unit,external_ref,grade_scale,grade_value,completed_on\n" +
                    cat_.learner_a + ",tsinghua:MA101,J-4,percent,88,2024-02-01\n";
  r = PostSigned(cat_.tsinghua_token, csv, Sign("tsinghua", csv), "text/csv");
  EXPECT_EQ(r.status, 201) << r.body;
  // Replaying the same signed body is the idempotent repost, not a new record.
  r = PostSigned(cat_.tsinghua_token, body, jws);
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(JwsTest, MissingWrongOrAlteredSignatureIs401) {
  json pub = Keygen("tsinghua", "tsinghua-2025");
  json same_kid_other_key = Keygen("impostor", "tsinghua-2025");
  Keygen("unknown", "not-registered");
  json ouchn_pub = Keygen("ouchn", "ouchn-1");
  RegisterKeys("tsinghua", "清华大学", "university", json::array({pub}), true);
  RegisterKeys("ouchn", "国家开放大学", "open_university", json::array({ouchn_pub}), false);
  const uint64_t size_before = server_->ledger().Size();

  const std::string body = cat_.Record(cat_.learner_a, "tsinghua:CS101", "W-1").dump();
  const std::string good = Sign("tsinghua", body);
  auto expect_401 = [&](const std::string& what, const std::string& b, const std::string& jws) {
    ClientResponse r = PostSigned(cat_.tsinghua_token, b, jws);
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json") << what;
  };
  expect_401("missing signature", body, "");
  expect_401("same kid, another key", body, Sign("impostor", body));
  expect_401("unregistered kid", body, Sign("unknown", body));
  // ouchn's registered key does not sign for tsinghua: keys are looked up per issuer.
  expect_401("another institution's key", body, Sign("ouchn", body));
  std::string altered = body;
  altered.replace(altered.find("\"90\""), 4, "\"99\"");
  expect_401("altered body", altered, good);
  expect_401("one more space", body + " ", good);
  std::string attached = good;
  attached.insert(attached.find("..") + 1, Base64UrlEncode(body));
  expect_401("attached payload", body, attached);
  std::string none_header = Base64UrlEncode(R"({"alg":"none","kid":"tsinghua-2025"})");
  expect_401("alg none", body, none_header + ".." + good.substr(good.find("..") + 2));
  std::string flipped = good;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  expect_401("flipped signature bit", body, flipped);
  expect_401("garbage", body, "not a jws");
  expect_401("empty parts", body, "..");
  EXPECT_EQ(server_->ledger().Size(), size_before) << "a refused submission was stored";

  // The good one goes in.
  EXPECT_EQ(PostSigned(cat_.tsinghua_token, body, good).status, 201);

  // An institution that does not require signatures: unsigned is fine, signed must verify.
  std::string ob = cat_.Record(cat_.learner_a, "ouchn:ENG1", "W-2").dump();
  EXPECT_EQ(PostSigned(cat_.ouchn_token, ob, Sign("impostor", ob)).status, 401);
  ClientResponse r = PostSigned(cat_.ouchn_token, ob, Sign("ouchn", ob));
  EXPECT_EQ(r.status, 201) << r.body;
  std::string ob2 = cat_.Record(cat_.learner_a, "ouchn:ENG1", "W-3").dump();
  EXPECT_EQ(PostSigned(cat_.ouchn_token, ob2, "").status, 201);
}

// A JWK with its private part is refused at registration (the key is compromised; the bank
// says so rather than silently dropping "d").
TEST_F(JwsTest, PrivateJwkIsRefused) {
  Keygen("tsinghua", "tsinghua-2025");
  json priv = json::parse(ReadAll(key_files_["tsinghua"]));
  ASSERT_TRUE(priv.contains("d"));
  ClientResponse r = server_->Call(
      "PUT", "/v1/institutions/tsinghua", server_->admin_token(),
      json{{"name", "清华大学"}, {"kind", "university"}, {"public_keys", {priv}}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["pointer"], "/public_keys/0/d");
  EXPECT_EQ(r.body.find(priv["d"].get<std::string>()), std::string::npos);
  json inst = server_->CallJson("GET", "/v1/institutions/tsinghua", "", nullptr, 200);
  EXPECT_TRUE(inst["public_keys"].empty());
}

}  // namespace
}  // namespace lcb::testing
