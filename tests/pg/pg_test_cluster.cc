// The ctest fixture around the PostgreSQL tests: `pg_test_cluster start STATE [--fsync]
// [--set name=value]...` starts one throwaway server (fsync off unless asked: benchmarks ask;
// --set adds a server setting, e.g. shared_buffers=4GB) for the whole ctest run and writes
// its port and directory to STATE (read by PgServer::ForTests through $LCB_PG_SERVER_FILE);
// `pg_test_cluster stop STATE` stops it and removes its directory. When PostgreSQL cannot start,
// `start` writes the reason instead (the tests then skip and say it) and exits 0, or 1 under
// LCB_REQUIRE_POSTGRES=1.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/pg/pg_server.h"

namespace {

int StartCluster(const std::string& state, const lcb::testing::PgServerOptions& options) {
  auto server = lcb::testing::PgServer::Start(options);
  std::ofstream out(state, std::ios::trunc);
  if (!server.ok()) {
    std::string why = server.status().message();
    for (char& c : why) c = c == '\n' ? ' ' : c;
    out << "unavailable=" << why << "\n";
    std::fprintf(stderr, "pg_test_cluster: PostgreSQL cannot start here: %s\n", why.c_str());
    return lcb::testing::PostgresRequired() ? 1 : 0;
  }
  out << "port=" << (*server)->port() << "\ndir=" << (*server)->dir() << "\n";
  out.close();
  std::printf("pg_test_cluster: PostgreSQL on 127.0.0.1:%u in %s\n", (*server)->port(),
              (*server)->dir().c_str());
  // Leave it running for the tests (the object goes, the server stays).
  (*server)->Detach();
  return 0;
}

int StopCluster(const std::string& state) {
  std::ifstream in(state);
  std::string line, dir;
  int port = 0;
  while (std::getline(in, line)) {
    if (line.rfind("port=", 0) == 0) port = std::atoi(line.c_str() + 5);
    if (line.rfind("dir=", 0) == 0) dir = line.substr(4);
  }
  std::error_code ec;
  std::filesystem::remove(state, ec);
  if (port == 0) return 0;  // nothing was started
  auto server = lcb::testing::PgServer::Attach(static_cast<uint16_t>(port), dir);
  lcb::Status s = server->Stop();
  if (!s.ok()) std::fprintf(stderr, "pg_test_cluster: %s\n", s.ToString().c_str());
  return s.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  lcb::testing::PgServerOptions options;
  bool usage = !(command == "start" && argc >= 3) && !(command == "stop" && argc == 3);
  for (int i = 3; command == "start" && i < argc && !usage; ++i) {
    const std::string arg = argv[i];
    if (arg == "--fsync") {
      options.fsync = true;
    } else if (arg == "--set" && i + 1 < argc) {
      options.settings.push_back(argv[++i]);
    } else {
      usage = true;
    }
  }
  if (usage) {
    std::fprintf(stderr,
                 "usage: pg_test_cluster start STATE_FILE [--fsync] [--set name=value]... | "
                 "stop STATE_FILE\n");
    return 2;
  }
  return command == "start" ? StartCluster(argv[2], options) : StopCluster(argv[2]);
}
