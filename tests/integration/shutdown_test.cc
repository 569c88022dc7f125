// Graceful shutdown: SIGTERM under load. Every acknowledged request is durable, every request
// the server read gets an answer, the process exits 0, and a restart serves everything. On
// both backends (the postgres/ run stores the bank in PostgreSQL).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

class ServerProcess {
 public:
  ServerProcess(const std::string& data, const std::string& port_file) {
    std::remove(port_file.c_str());
    std::vector<std::string> args = {CREDITBANK_BIN, "serve", "--data", data, "--listen",
                                     "127.0.0.1:0", "--port-file", port_file, "--log-level",
                                     "warn", "--shutdown-grace-ms", "10000", "--rate-limit-rps",
                                     "0"};
    if (TestOnPostgres()) {  // the postgres/ run: the bank's own database on the test server
      for (std::string a : {"--storage", "postgres", "--postgres-dsn"}) args.push_back(a);
      args.push_back(BackendDsn(data));
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      execv(CREDITBANK_BIN, argv.data());
      _exit(127);
    }
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::ifstream in(port_file);
      in >> port_;
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~ServerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int Terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool exited_ = false;
};

ClientResponse Must(HttpClient& c, const std::string& method, const std::string& target,
                    const std::string& token, const std::string& body) {
  auto r = c.Request(method, target, body, {{"Authorization", "Bearer " + token}});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : ClientResponse{};
}

TEST(ShutdownTest, SigtermUnderLoadLosesNothing) {
  TempDir dir;
  std::string data = dir.sub("bank"), port_file = dir.sub("port");
  std::map<std::string, uint64_t> acked;
  std::string inst_token, learner;
  {
    ServerProcess server(data, port_file);
    ASSERT_GT(server.port(), 0) << "server did not start";
    std::string admin;
    std::ifstream(data + "/admin.token") >> admin;
    auto c = HttpClient::Connect(server.url());
    ASSERT_TRUE(c.ok());
    Must(**c, "PUT", "/v1/institutions/tsinghua", admin, R"({"name":"T","kind":"university"})");
    Must(**c, "PUT", "/v1/units/tsinghua:CS101", admin,
         R"({"title":"C","kind":"degree_course","credits":4,"level":6,"field":"0613"})");
    inst_token = json::parse(Must(**c, "POST", "/v1/tokens", admin,
                                  R"({"role":"institution:tsinghua"})").body)["token"];
    learner = json::parse(Must(**c, "POST", "/v1/learners", inst_token, "{}").body)["id"];

    std::mutex mu;
    std::atomic<int> unanswered{0}, answered{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> loaders;
    // Four busy loaders, and a fifth that pauses 300 ms between requests: when SIGTERM comes
    // it is most likely idle on a keep-alive connection, and its next request must still be
    // answered (503 with Connection: close), not reset by a server that already stopped.
    for (int t = 0; t < 5; ++t) {
      loaders.emplace_back([&, t] {
        auto client = HttpClient::Connect(server.url());
        if (!client.ok()) return;
        (*client)->set_retry(false);
        for (int i = 0; !stop; ++i) {
          json batch = {{"records", json::array()}};
          for (int k = 0; k < 50; ++k) {
            batch["records"].push_back(
                {{"learner", learner}, {"unit", "tsinghua:CS101"},
                 {"external_ref", "SD-" + std::to_string(t) + "-" + std::to_string(i) + "-" + std::to_string(k)},
                 {"grade", {{"scale", "percent"}, {"value", "80"}}}, {"completed_on", "2024-01-01"}});
          }
          auto r = (*client)->Request("POST", "/v1/records", batch.dump(),
                                      {{"Authorization", "Bearer " + inst_token}});
          if (!r.ok()) {
            // After shutdown the only acceptable failure is a refused connection.
            if (r.status().message().find("cannot connect") == std::string::npos) {
              unanswered++;
              ADD_FAILURE() << "request without an answer: " << r.status().ToString();
            }
            return;
          }
          answered++;
          if (t == 4) std::this_thread::sleep_for(std::chrono::milliseconds(300));
          if (r->status != 201) continue;  // 503 while shutting down is an answer too
          json body = json::parse(r->body);
          std::lock_guard<std::mutex> lock(mu);
          for (const auto& rec : body["records"]) acked[rec["id"]] = rec["leaf_index"];
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    EXPECT_EQ(server.Terminate(), 0);
    stop = true;
    for (auto& l : loaders) l.join();
    EXPECT_EQ(unanswered.load(), 0);
    EXPECT_GT(answered.load(), 0);
  }
  ASSERT_FALSE(acked.empty());
  ServerProcess again(data, port_file);
  ASSERT_GT(again.port(), 0);
  auto c = HttpClient::Connect(again.url());
  ASSERT_TRUE(c.ok());
  for (const auto& [id, leaf] : acked) {
    auto r = (*c)->Request("GET", "/v1/records/" + id, "", {{"Authorization", "Bearer " + inst_token}});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200) << id << ": " << r->body;
    EXPECT_EQ(json::parse(r->body)["receipt"]["leaf_index"], leaf);
  }
  EXPECT_EQ(again.Terminate(), 0);
}

}  // namespace
}  // namespace lcb::testing
