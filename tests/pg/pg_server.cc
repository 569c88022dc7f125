#include "tests/pg/pg_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "common/encoding.h"
#include "crypto/sha256.h"  // RandomBytes
#include "storage/pg_conn.h"

extern char** environ;

namespace lcb::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kServerUser[] = "postgres";  // Debian's postgresql package creates it

// The newest /usr/lib/postgresql/<version>/bin holding initdb ($LCB_PG_BINDIR overrides).
std::string FindBindir() {
  if (const char* env = std::getenv("LCB_PG_BINDIR"); env && *env) return env;
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && fs::exists(entry.path() / "bin" / "initdb", ec)) {
      best_version = version;
      best = (entry.path() / "bin").string();
    }
  }
  return best;
}

// The user the server runs as: itself when not root (PostgreSQL refuses to run as root).
StatusOr<std::string> ServerUser() {
  if (::geteuid() != 0) return std::string();
  if (::getpwnam(kServerUser) == nullptr) {
    return Status::FailedPrecondition(
        "running as root and there is no unprivileged 'postgres' user to run the server as");
  }
  return std::string(kServerUser);
}

// Runs argv (as `user` through runuser when set) with stdout and stderr appended to `log`.
int Run(std::vector<std::string> argv, const std::string& user, const std::string& log) {
  if (!user.empty()) argv.insert(argv.begin(), {"runuser", "-u", user, "--"});
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return 127;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 1500 ? s.substr(s.size() - 1500) : s;
}

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// A directory the server's user can reach: under /tmp when running as root (the root's own
// TMPDIR may not be traversable by it).
StatusOr<std::string> MakeDir(const std::string& user) {
  fs::path base = user.empty() ? fs::temp_directory_path() : fs::path("/tmp");
  std::string templ = (base / "creditbank_pg_XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    return Status::FailedPrecondition("cannot create a temp directory under " + base.string());
  }
  if (!user.empty()) {
    const passwd* pw = ::getpwnam(user.c_str());
    if (::chown(templ.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      fs::remove_all(templ);
      return Status::FailedPrecondition("cannot give " + templ + " to user " + user);
    }
  }
  return templ;
}

Status Admin(uint16_t port, const std::string& sql) {
  auto conn = pg::Conn::Open("host=127.0.0.1 port=" + std::to_string(port) +
                             " user=postgres dbname=postgres connect_timeout=10");
  LCB_RETURN_IF_ERROR(conn.status());
  return (*conn)->Exec(sql);
}

}  // namespace

bool PostgresRequired() {
  const char* env = std::getenv("LCB_REQUIRE_POSTGRES");
  return env && std::string(env) == "1";
}

StatusOr<std::unique_ptr<PgServer>> PgServer::Start(const PgServerOptions& options) {
  // The sanitizer run (scripts/test.sh asan): the PostgreSQL suite runs once, in the default
  // run, so its cases skip rather than start a server of their own per test process.
  if (const char* skip = std::getenv("LCB_SKIP_POSTGRES"); skip && std::string(skip) == "1") {
    return Status::FailedPrecondition(
        "LCB_SKIP_POSTGRES=1: the PostgreSQL suite runs in the default run only");
  }
  std::string bindir = FindBindir();
  if (bindir.empty()) {
    return Status::FailedPrecondition(
        "no PostgreSQL server in /usr/lib/postgresql/*/bin (scripts/deps.sh installs it: "
        "apt-get install postgresql)");
  }
  std::string extra;
  for (const std::string& s : options.settings) {
    const size_t eq = s.find('=');
    const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '=';
    });
    if (eq == 0 || eq == std::string::npos || eq + 1 == s.size() || !plain ||
        s.find('=', eq + 1) != std::string::npos) {
      return Status::FailedPrecondition(
          "server setting '" + s + "': expected name=value of letters, digits, '_' and '.'");
    }
    extra += " -c " + s;  // pg_ctl passes -o through a shell: nothing else gets in
  }
  LCB_ASSIGN_OR_RETURN(std::string user, ServerUser());
  LCB_ASSIGN_OR_RETURN(std::string dir, MakeDir(user));
  std::unique_ptr<PgServer> server(new PgServer());
  server->dir_ = dir;
  server->bindir_ = bindir;
  server->owned_ = true;
  const std::string data = dir + "/data";
  if (Run({bindir + "/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
           "--locale=C", "--no-sync"},
          user, dir + "/initdb.log") != 0) {
    std::string log = Tail(dir + "/initdb.log");
    return Status::FailedPrecondition("initdb failed: " + log);
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    uint16_t port = FreePort();
    std::string settings = "-p " + std::to_string(port) + " -k " + dir +
                           " -h 127.0.0.1 -c max_connections=300 -c shared_buffers=128MB "
                           "-c deadlock_timeout=200ms";
    if (!options.fsync) {
      settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    }
    settings += extra;  // later -c options win
    if (Run({bindir + "/pg_ctl", "-D", data, "-l", dir + "/server.log", "-w", "-t", "60", "-o",
             settings, "start"},
            user, dir + "/pg_ctl.log") == 0) {
      server->port_ = port;
      server->settings_ = settings;
      return server;
    }
  }
  return Status::FailedPrecondition("pg_ctl start failed: " + Tail(dir + "/server.log") +
                                    Tail(dir + "/pg_ctl.log"));
}

std::unique_ptr<PgServer> PgServer::Attach(uint16_t port, std::string dir) {
  std::unique_ptr<PgServer> server(new PgServer());
  server->port_ = port;
  server->dir_ = std::move(dir);
  server->bindir_ = FindBindir();
  return server;
}

PgServer::~PgServer() {
  if (owned_) (void)Stop();
}

Status PgServer::Stop() {
  if (dir_.empty()) return Status::Ok();
  StatusOr<std::string> user = ServerUser();
  int rc = Run({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"},
               user.ok() ? *user : std::string(), dir_ + "/pg_ctl.log");
  std::error_code ec;
  fs::remove_all(dir_, ec);
  dir_.clear();
  owned_ = false;
  return rc == 0 ? Status::Ok() : Status::Internal("pg_ctl stop failed");
}

Status PgServer::Pause() {
  if (!owned_) return Status::FailedPrecondition("not a server this process started");
  LCB_ASSIGN_OR_RETURN(std::string user, ServerUser());
  if (Run({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"}, user,
          dir_ + "/pg_ctl.log") != 0) {
    return Status::Internal("pg_ctl stop failed: " + Tail(dir_ + "/pg_ctl.log"));
  }
  return Status::Ok();
}

Status PgServer::Resume() {
  if (!owned_) return Status::FailedPrecondition("not a server this process started");
  LCB_ASSIGN_OR_RETURN(std::string user, ServerUser());
  if (Run({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "60",
           "-o", settings_, "start"},
          user, dir_ + "/pg_ctl.log") != 0) {
    return Status::Internal("pg_ctl start failed: " + Tail(dir_ + "/server.log"));
  }
  return Status::Ok();
}

std::string PgServer::Dsn(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + database +
         " connect_timeout=10";
}

StatusOr<std::string> PgServer::CreateDatabase() {
  std::string name = "lcb_" + HexEncode(RandomBytes(6));
  LCB_RETURN_IF_ERROR(Admin(port_, "CREATE DATABASE " + name));
  return Dsn(name);
}

Status PgServer::DropDatabase(const std::string& dsn) {
  auto at = dsn.find("dbname=");
  if (at == std::string::npos) return Status::InvalidArgument(Field("dsn"), "no dbname");
  std::string name = dsn.substr(at + 7, dsn.find(' ', at) - at - 7);
  return Admin(port_, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

PgServer* PgServer::ForTests(std::string* why) {
  static std::once_flag once;
  static std::unique_ptr<PgServer> server;
  static std::string reason;
  std::call_once(once, [] {
    if (const char* file = std::getenv("LCB_PG_SERVER_FILE"); file && fs::exists(file)) {
      std::ifstream in(file);
      std::string line, dir;
      int port = 0;
      while (std::getline(in, line)) {
        if (line.rfind("port=", 0) == 0) port = std::atoi(line.c_str() + 5);
        if (line.rfind("dir=", 0) == 0) dir = line.substr(4);
        if (line.rfind("unavailable=", 0) == 0) reason = line.substr(12);
      }
      if (port > 0) server = Attach(static_cast<uint16_t>(port), dir);
      if (server || !reason.empty()) return;
    }
    auto started = Start();
    if (started.ok()) {
      server = std::move(started).value();
    } else {
      reason = started.status().message();
    }
  });
  if (!server) *why = reason;
  return server.get();
}

PgDatabase::~PgDatabase() {
  if (server_ && !dsn_.empty()) (void)server_->DropDatabase(dsn_);
}

bool PgDatabase::Create() {
  server_ = PgServer::ForTests(&why_);
  if (!server_) return false;
  auto dsn = server_->CreateDatabase();
  if (!dsn.ok()) {
    why_ = dsn.status().ToString();
    server_ = nullptr;
    return false;
  }
  dsn_ = *dsn;
  return true;
}

}  // namespace lcb::testing
