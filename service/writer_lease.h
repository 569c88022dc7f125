// The log writer's lease on a shared PostgreSQL-wire store (storage/pg_kv.h, DESIGN.md "One log
// writer at a time"): one `creditbank serve` node holds it and writes the log; the others serve
// reads and forward writes to it (api/forwarder.h). The holder renews the lease every ttl/3. A
// follower polls it often (at most every 500 ms) and follows the store on each poll (the
// `follow` callback: the log's new checkpoint, catalog changes); when the writer is gone (its
// lease expired, or it stepped down) the follower takes the lease, reports `kTookOver` after
// the `take_over` callback has brought its log to the stored tree, and writes from then on. A
// holder that finds its lease lost (another node took it, or a group of its was fenced) reports
// `kLost` and follows like any other node; it may take the lease again later.
#pragma once

#include <algorithm>
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
  enum class Event {
    kAcquired,
    kFollowing,
    kTookOver,
    kLost,
    kRenewFailed,
    kTakeOverFailed,
    kFollowFailed,  // reported once, when following starts to fail
    kFollowResumed,
  };
  using Listener = std::function<void(Event, const std::string& detail)>;
  struct Callbacks {
    Listener listener;                  // every event (logging)
    std::function<Status()> follow;     // on each poll while following
    std::function<Status()> take_over;  // once the lease is taken, before writing
  };

  WriterLeaseKeeper(PgKv* kv, std::string holder, std::chrono::milliseconds ttl)
      : kv_(kv), holder_(std::move(holder)), ttl_(ttl) {}
  ~WriterLeaseKeeper() { Stop(); }

  // Tries the lease once, before the log is opened (a node takes an expired lease or its own
  // back at once). Whether this node is the writer.
  bool AcquireAtStart();
  // Tells the listener the outcome of AcquireAtStart, then renews / polls on a thread.
  void Start(Callbacks callbacks);
  void Stop();
  bool is_writer() const { return kv_->IsWriter(); }
  const std::string& holder() const { return holder_; }
  // How often a follower polls.
  std::chrono::milliseconds poll_interval() const {
    return std::min<std::chrono::milliseconds>(ttl_ / 3, std::chrono::milliseconds(500));
  }

 private:
  void Run();
  void Tick();

  PgKv* kv_;
  const std::string holder_;
  const std::chrono::milliseconds ttl_;
  Callbacks callbacks_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool started_as_writer_ = false;
  bool was_writer_ = false;  // the lease thread's view, to report a loss once
  std::string lost_detail_;
  bool follow_failing_ = false;
  std::string start_detail_;
  std::thread thread_;
};

}  // namespace lcb
