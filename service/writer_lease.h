// The log writer's lease on a shared PostgreSQL-wire store (storage/pg_kv.h, DESIGN.md "One log
// writer at a time"): one `creditbank serve` node holds it and writes the log; the others serve
// reads, and their writes answer 503 naming the writer (PgKv fences them). The holder renews the
// lease every ttl/3. A follower polls it; when the writer is gone (its lease expired) the follower
// takes it and reports `kTookOver`: its Ledger was opened on an older tree, so the server restarts
// (crash-only: its supervisor starts it again and it takes its own lease back at once), and only
// then writes. A holder that finds its lease lost reports `kLost` and is fenced from then on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "storage/pg_kv.h"

namespace lcb {

class WriterLeaseKeeper {
 public:
  enum class Event { kAcquired, kFollowing, kTookOver, kLost, kRenewFailed };
  using Listener = std::function<void(Event, const std::string& detail)>;

  WriterLeaseKeeper(PgKv* kv, std::string holder, std::chrono::milliseconds ttl)
      : kv_(kv), holder_(std::move(holder)), ttl_(ttl) {}
  ~WriterLeaseKeeper() { Stop(); }

  // Tries the lease once, before the log is opened (a node takes an expired lease or its own
  // back at once). Whether this node is the writer.
  bool AcquireAtStart();
  // Tells `listener` the outcome of AcquireAtStart, then renews / polls on a thread.
  void Start(Listener listener);
  void Stop();
  bool is_writer() const { return kv_->IsWriter(); }

 private:
  void Run();
  void Tick();

  PgKv* kv_;
  const std::string holder_;
  const std::chrono::milliseconds ttl_;
  Listener listener_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool started_as_writer_ = false;
  std::string start_detail_;
  std::thread thread_;
};

}  // namespace lcb
