// `creditbank serve` as an operator starts it: what its start-up log says and what a failed
// start leaves on disk. Runs the real binary; on both backends where the test allows.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "tests/integration/test_server.h"
#include "tests/integration/witness_helpers.h"

namespace lcb::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `creditbank serve ARGS`, its stderr in `log`; waits until it listens (the port file) or exits.
class Serve {
 public:
  Serve(std::vector<std::string> args, const std::string& port_file, const std::string& log) {
    std::remove(port_file.c_str());
    args.insert(args.begin(), {CREDITBANK_BIN, "serve", "--port-file", port_file});
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(CREDITBANK_BIN, argv.data());
      _exit(127);
    }
    for (int i = 0; i < 600 && port_ == 0 && !exited_; ++i) {
      std::ifstream(port_file) >> port_;
      int status = 0;
      if (port_ == 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (port_ == 0 && !exited_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~Serve() { Stop(); }
  // SIGTERM and wait; the exit code.
  int Stop() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      exited_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return code_;
  }
  int port() const { return port_; }
  bool exited() const { return exited_; }
  int code() const { return code_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool exited_ = false;
  int code_ = -1;
};

// The JSON log line with this "msg", or null.
json LogLine(const std::string& log, const std::string& msg) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("msg", "") == msg) return j;
  }
  return nullptr;
}

// The "listening" line named DATA/admin.token even where there was none (a restored bank, a
// second PostgreSQL node, a file the operator moved away): it names the file only when it
// exists, and otherwise says how to mint an admin token.
TEST(ServeTest, ListeningNamesTheAdminTokenFileOnlyWhereOneExists) {
  TempDir dir;
  const std::string data = dir.sub("bank"), port_file = dir.sub("port"), log = dir.sub("log");
  std::vector<std::string> args = {
      "--data", data, "--listen", "127.0.0.1:0", "--log-level", "info", "--stats-build-on-start",
      "false"};
  if (TestOnPostgres()) {
    for (std::string a : {"--storage", "postgres", "--postgres-dsn"}) args.push_back(a);
    args.push_back(BackendDsn(data));
  }
  {
    Serve first(args, port_file, log);
    ASSERT_GT(first.port(), 0) << ReadAll(log);
    EXPECT_EQ(first.Stop(), 0);
  }
  const json named = LogLine(ReadAll(log), "listening");
  ASSERT_TRUE(named.is_object()) << ReadAll(log);
  EXPECT_EQ(named["admin_token_file"], data + "/admin.token") << named.dump();
  EXPECT_FALSE(named.contains("admin_token")) << named.dump();

  ASSERT_TRUE(std::filesystem::remove(data + "/admin.token"));
  {
    Serve again(args, port_file, log);
    ASSERT_GT(again.port(), 0) << ReadAll(log);
    EXPECT_EQ(again.Stop(), 0);
  }
  const json none = LogLine(ReadAll(log), "listening");
  ASSERT_TRUE(none.is_object()) << ReadAll(log);
  EXPECT_FALSE(none.contains("admin_token_file")) << none.dump();
  const std::string hint = none.value("admin_token", "");
  EXPECT_NE(hint.find("no admin token file"), std::string::npos) << none.dump();
  EXPECT_NE(hint.find("creditbank token create --role admin"), std::string::npos) << none.dump();
  EXPECT_FALSE(std::filesystem::exists(data + "/admin.token"));
}

// A node whose database cannot be reached fails with that reason and leaves no data directory
// behind: before, the directory (with a LOCK and a node_id) was made before connecting.
TEST(ServeTest, AnUnreachableDatabaseLeavesNoDataDirectory) {
  TempDir dir;
  const std::string data = dir.sub("node"), log = dir.sub("log");
  const std::string dsn = "postgresql://creditbank@127.0.0.1:" + std::to_string(FreePort()) +
                          "/creditbank?connect_timeout=2";
  Serve node(
      {"--data", data, "--listen", "127.0.0.1:0", "--storage", "postgres", "--postgres-dsn", dsn,
       "--key-file", dir.sub("log_key.pem"), "--secret-file", dir.sub("national_id.secret")},
      dir.sub("port"), log);
  ASSERT_TRUE(node.exited()) << "a node without its database started";
  EXPECT_EQ(node.code(), 1);
  const json error = LogLine(ReadAll(log), "cannot open the bank");
  ASSERT_TRUE(error.is_object()) << ReadAll(log);
  EXPECT_NE(error.value("error", "").find("cannot connect"), std::string::npos) << error.dump();
  EXPECT_FALSE(std::filesystem::exists(data)) << "left behind: " << data;
  EXPECT_FALSE(std::filesystem::exists(dir.sub("national_id.secret")));
  EXPECT_FALSE(std::filesystem::exists(dir.sub("log_key.pem")));
}

}  // namespace
}  // namespace lcb::testing
