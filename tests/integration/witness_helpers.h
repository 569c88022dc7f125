// Witnesses for integration tests: a C2SP tlog-witness server as `creditbank witness` runs it,
// on a loopback port, and the helpers that configure a bank for it and read its cosignatures.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/server.h"
#include "api/witness_server.h"
#include "crypto/checkpoint.h"
#include "crypto/cosignature.h"
#include "service/witness.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {

inline constexpr auto kWait = std::chrono::seconds(20);

// A free loopback port (bound then released), for a server that starts later.
inline uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A witness server as `creditbank witness` runs it.
class RunningWitness {
 public:
  // `clock`: the witness's cosignature timestamps (POSIX seconds); empty = the system clock.
  RunningWitness(const std::string& name, const std::string& state, const std::string& log_vkey,
                 uint16_t port = 0, std::function<uint64_t()> clock = {})
      : name_(name) {
    auto w = Witness::Open(name, Ed25519Key::FromSeed(Sha256Seed(name)).value(),
                           {ParseVerifierKey(log_vkey).value()}, state, std::move(clock));
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    witness_ = std::move(w).value();
    ServerOptions o;
    o.port = port;
    o.threads = 1;
    server_ = HttpServer::Create(o, WitnessDispatcher(*witness_)).value();
    Status s = server_->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  ~RunningWitness() { server_->Shutdown(500); }
  static std::string Sha256Seed(const std::string& name) {
    return std::string(HashBytes(Sha256("seed:" + name)));
  }
  static std::string VkeyOf(const std::string& name) {
    return CosignerKeyString(name, Ed25519Key::FromSeed(Sha256Seed(name)).value().PublicKey());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::string vkey() const { return witness_->vkey(); }
  Witness& witness() { return *witness_; }

 private:
  std::string name_;
  std::unique_ptr<Witness> witness_;
  std::unique_ptr<HttpServer> server_;
};

inline json WitnessesJson(const std::vector<std::pair<std::string, std::string>>& name_url) {
  json a = json::array();
  for (const auto& [name, url] : name_url) {
    a.push_back({{"name", name}, {"url", url}, {"vkey", RunningWitness::VkeyOf(name)}});
  }
  return a;
}

// Posts `n` records of tsinghua; returns the id of the last one.
inline std::string PostRecords(TestServer& s, const Catalog& cat, int n, const std::string& tag) {
  json batch = {{"records", json::array()}};
  for (int i = 0; i < n; ++i) {
    batch["records"].push_back(
        cat.Record(cat.learner_a, "tsinghua:CS101", tag + std::to_string(i)));
  }
  json r = s.CallJson("POST", "/v1/records", cat.tsinghua_token, batch, 201);
  return r["records"][n - 1]["id"];
}

inline size_t CosignaturesOn(const std::string& note, const std::vector<std::string>& vkeys) {
  std::vector<Cosigner> cs;
  for (const auto& v : vkeys) cs.push_back(ParseCosignerKey(v).value());
  auto found = VerifyCosignatures(note, cs);
  EXPECT_TRUE(found.ok()) << found.status().ToString();
  return found.ok() ? found->size() : 0;
}

// Polls GET /log/checkpoint until `pred` holds or kWait passes.
template <typename Pred>
std::string WaitForCheckpoint(TestServer& s, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  std::string note;
  while (std::chrono::steady_clock::now() < deadline) {
    note = s.Call("GET", "/log/checkpoint").body;
    if (pred(note)) return note;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return note;
}

inline std::string LogVkey(TestServer& s) {
  return s.CallJson("GET", "/v1/log/key", "", nullptr, 200).value("verifier_key", "");
}

// Writes a new log key to key_file (what the bank will sign with) and returns its verifier
// key as the key file gives it back, for witnesses configured before the bank starts; "" if
// the file could not be written or read.
inline std::string NewLogKey(const std::string& key_file) {
  if (!Ed25519Key::Generate().SavePem(key_file).ok()) return "";
  auto key = Ed25519Key::LoadPem(key_file);
  return key.ok() ? VerifierKeyString("creditbank.localhost/log", key->PublicKey()) : "";
}

}  // namespace lcb::testing
