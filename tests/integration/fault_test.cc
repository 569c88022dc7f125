// Storage faults: a full disk answers 503 problem+json, stores nothing partial, keeps the
// server alive, and the bank recovers by itself when space returns. Uses a small tmpfs, so
// it needs root (CI runs as root); elsewhere it is skipped with the reason.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <fstream>

#include "api/logging.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

class TmpfsMount {
 public:
  explicit TmpfsMount(const std::string& dir, const std::string& size) : dir_(dir) {
    std::filesystem::create_directories(dir);
    ok_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~TmpfsMount() {
    if (ok_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }
  bool Resize(const std::string& size) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }

 private:
  std::string dir_;
  bool ok_ = false;
};

TEST(FaultTest, FullDiskIs503AndRecovers) {
  TempDir dir;
  TmpfsMount fs(dir.sub("small"), "24m");
  if (!fs.ok()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  std::string data = dir.sub("small") + "/bank";
  // Writes stop while less than 8 MiB is free: RocksDB itself never sees ENOSPC.
  TestServer server(data, {{"min_free_disk_bytes", std::to_string(8 << 20)}});
  Catalog cat;
  cat.Load(server);
  auto client = server.Client();
  int refused = 0;
  uint64_t acked = 0;
  std::map<std::string, uint64_t> acked_ids;
  for (int i = 0; i < 2000 && refused < 3; ++i) {
    json batch = {{"records", json::array()}};
    for (int k = 0; k < 100; ++k) {
      json r = cat.Record(cat.learner_a, "tsinghua:CS101",
                          "FULL-" + std::to_string(i) + "-" + std::to_string(k));
      batch["records"].push_back(r);
    }
    auto r = client->Request("POST", "/v1/records", batch.dump(),
                             {{"Authorization", "Bearer " + cat.tsinghua_token}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status == 201) {
      json body = json::parse(r->body);
      for (const auto& rec : body["records"]) acked_ids[rec["id"]] = rec["leaf_index"];
      acked += 100;
      continue;
    }
    ASSERT_EQ(r->status, 503) << r->body;
    EXPECT_EQ(r->headers["content-type"], "application/problem+json");
    EXPECT_EQ(r->headers["retry-after"], "1");  // temporary: space may return
    ++refused;
  }
  ASSERT_GT(refused, 0) << "the disk never filled";
  ASSERT_GT(acked, 0u);
  // Alive, and nothing partial: the log holds exactly the acknowledged records plus nothing.
  EXPECT_EQ(server.Call("GET", "/healthz").status, 200);
  EXPECT_EQ(server.ledger().Size(), acked);

  // Space returns: the bank writes again and everything acknowledged is still there.
  ASSERT_TRUE(fs.Resize("512m"));
  int status = 0;
  for (int attempt = 0; attempt < 150 && status != 201; ++attempt) {
    auto r = client->Request("POST", "/v1/records",
                             cat.Record(cat.learner_a, "tsinghua:MA101", "AFTER-SPACE").dump(),
                             {{"Authorization", "Bearer " + cat.tsinghua_token}});
    ASSERT_TRUE(r.ok());
    status = r->status;
    if (status != 201 && attempt == 149) ADD_FAILURE() << r->body;
    if (status != 201) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status, 201);
  int checked = 0;
  for (const auto& [id, leaf] : acked_ids) {
    if (++checked % 97 != 0) continue;
    json got = server.CallJson("GET", "/v1/records/" + id, cat.learner_a_token, nullptr, 200);
    EXPECT_EQ(got["receipt"]["leaf_index"], leaf);
  }
}

// The disk fills from outside (another process's files) while the bank runs: writes get 503,
// and stopping the bank must not abort. Before, the stop flushed the memtables into the full
// disk, and RocksDB aborted on an assertion in its file writer (an outside review, SIGTERM).
// Everything acknowledged is in the synced WAL, so the flush is left to the next start.
TEST(FaultTest, AStopOnAFullDiskLosesNothingAndDoesNotAbort) {
  TempDir dir;
  TmpfsMount fs(dir.sub("small"), "32m");
  if (!fs.ok()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  const std::string data = dir.sub("small") + "/bank";
  std::map<std::string, uint64_t> acked;
  Catalog cat;
  {
    TestServer server(data, {{"min_free_disk_bytes", std::to_string(1 << 20)}});
    cat.Load(server);
    for (int i = 0; i < 20; ++i) {
      json batch = {{"records", json::array()}};
      for (int k = 0; k < 50; ++k) {
        batch["records"].push_back(
            cat.Record(cat.learner_a, "tsinghua:CS101",
                       "STOP-" + std::to_string(i) + "-" + std::to_string(k)));
      }
      json body = server.CallJson("POST", "/v1/records", cat.tsinghua_token, batch, 201);
      for (const auto& rec : body["records"]) acked[rec["id"]] = rec["leaf_index"];
    }
    // Another process fills the disk to the last byte.
    {
      std::ofstream filler(dir.sub("small") + "/filler", std::ios::binary);
      const std::string block(1 << 16, 'x');
      while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
      }
    }
    EXPECT_EQ(server
                  .Call("POST", "/v1/records", cat.tsinghua_token,
                        cat.Record(cat.learner_a, "tsinghua:CS101", "STOP-FULL").dump())
                  .status,
              503);
  }  // stopped here, on a full disk
  std::filesystem::remove(dir.sub("small") + "/filler");
  TestServer again(data, {{"min_free_disk_bytes", std::to_string(1 << 20)}});
  // The catalog's entries are not records: every acknowledged record is there, each at its leaf.
  EXPECT_GE(again.ledger().Size(), acked.size());
  int checked = 0;
  for (const auto& [id, leaf] : acked) {
    if (++checked % 101 != 0) continue;
    json got = again.CallJson("GET", "/v1/records/" + id, cat.learner_a_token, nullptr, 200);
    EXPECT_EQ(got["receipt"]["leaf_index"], leaf);
  }
}

// Bytes free on the filesystem of `path`, as the disk guard counts them.
uint64_t FreeBytes(const std::string& path) {
  struct statvfs fs;
  if (::statvfs(path.c_str(), &fs) != 0) return 0;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

// The value of an unlabelled series in /metrics, or -1.
double Metric(TestServer& server, const std::string& name) {
  const std::string text = server.Call("GET", "/metrics").body;
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// While the disk guard refuses writes, /readyz answers 503 problem+json (Retry-After, the
// reason) instead of 200, /metrics shows the free bytes under the floor, and the server's log
// has one warning when the guard starts refusing and one when it stops, not one per request.
TEST(FaultTest, ADiskBelowItsFloorIsNotReadyAndIsLoggedOnce) {
  TempDir dir;
  TmpfsMount fs(dir.sub("small"), "32m");
  if (!fs.ok()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  const std::string data = dir.sub("small") + "/bank";
  constexpr uint64_t kFloor = 8 << 20;
  TestServer server(data, {{"min_free_disk_bytes", std::to_string(kFloor)}});
  Catalog cat;
  cat.Load(server);
  EXPECT_EQ(server.Call("GET", "/readyz").status, 200);
  EXPECT_EQ(Metric(server, "creditbank_disk_min_free_bytes"), static_cast<double>(kFloor));
  EXPECT_GT(Metric(server, "creditbank_disk_free_bytes"), static_cast<double>(kFloor));

  SetLogLevel("warn");
  ::testing::internal::CaptureStderr();
  // Another process's file leaves 4 MiB free: below the floor, with room for RocksDB itself.
  const std::string filler = dir.sub("small") + "/filler";
  {
    std::ofstream out(filler, std::ios::binary);
    const std::string block(1 << 16, 'x');
    while (FreeBytes(data) > (4u << 20) + block.size()) {
      if (!out.write(block.data(), static_cast<std::streamsize>(block.size())).flush()) break;
    }
  }
  ASSERT_LT(FreeBytes(data), kFloor);
  for (int i = 0; i < 3; ++i) {
    ClientResponse r = server.Call(
        "POST", "/v1/records", cat.tsinghua_token,
        cat.Record(cat.learner_a, "tsinghua:CS101", "FLOOR-" + std::to_string(i)).dump());
    EXPECT_EQ(r.status, 503) << r.body;
    ClientResponse ready = server.Call("GET", "/readyz");
    EXPECT_EQ(ready.status, 503) << ready.body;
    EXPECT_EQ(ready.headers["content-type"], "application/problem+json");
    EXPECT_EQ(ready.headers["retry-after"], "1");
    EXPECT_NE(ready.body.find("below its free-space floor"), std::string::npos) << ready.body;
  }
  EXPECT_LT(Metric(server, "creditbank_disk_free_bytes"), static_cast<double>(kFloor));
  EXPECT_EQ(server.Call("GET", "/healthz").status, 200);  // alive, only not ready

  // Space returns: ready again, writes accepted, and one line says so.
  std::filesystem::remove(filler);
  EXPECT_EQ(server.Call("GET", "/readyz").status, 200);
  EXPECT_EQ(server.Call("GET", "/readyz").status, 200);
  server.CallJson("POST", "/v1/records", cat.tsinghua_token,
                  cat.Record(cat.learner_a, "tsinghua:CS101", "FLOOR-AFTER"), 201);
  const std::string log = ::testing::internal::GetCapturedStderr();
  SetLogLevel("error");
  EXPECT_EQ(Count(log, "disk below its free-space floor"), 1u) << log;
  EXPECT_EQ(Count(log, "disk above its free-space floor again"), 1u) << log;
  EXPECT_LT(log.find("disk below its free-space floor"),
            log.find("disk above its free-space floor again"));
  EXPECT_NE(log.find("\"min_free_bytes\":" + std::to_string(kFloor)), std::string::npos) << log;
}

}  // namespace
}  // namespace lcb::testing
