#include "service/writer_lease.h"

#include <pthread.h>

namespace lcb {

bool WriterLeaseKeeper::AcquireAtStart() {
  StatusOr<WriterLease> lease = kv_->AcquireWriter(holder_, ttl_);
  started_as_writer_ = lease.ok();
  was_writer_ = started_as_writer_;
  start_detail_ = lease.ok() ? "epoch " + std::to_string(lease->epoch) + ", log at size " +
                                   std::to_string(lease->tree_size)
                             : lease.status().message();
  return started_as_writer_;
}

void WriterLeaseKeeper::Start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  callbacks_.listener(started_as_writer_ ? Event::kAcquired : Event::kFollowing, start_detail_);
  thread_ = std::thread([this] { Run(); });
}

void WriterLeaseKeeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (kv_->IsWriter()) (void)kv_->StepDown();  // a clean stop hands over without waiting
}

void WriterLeaseKeeper::Run() {
  pthread_setname_np(pthread_self(), "cb-lease");
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    const auto wait = kv_->IsWriter() ? ttl_ / 3 : poll_interval();
    if (cv_.wait_for(lock, wait, [this] { return stop_; })) return;
    lock.unlock();
    Tick();
    lock.lock();
  }
}

void WriterLeaseKeeper::Tick() {
  if (kv_->IsWriter()) {
    StatusOr<WriterLease> renewed = kv_->RenewWriter(ttl_);
    if (renewed.ok()) return;
    if (kv_->IsWriter()) {
      callbacks_.listener(Event::kRenewFailed, renewed.status().message());
      return;
    }
    lost_detail_ = renewed.status().message();
  }
  if (was_writer_) {
    // The lease was lost (not renewed in time, or a group was fenced): follow from now on.
    was_writer_ = false;
    callbacks_.listener(Event::kLost, lost_detail_.empty() ? "fenced" : lost_detail_);
    lost_detail_.clear();
  }
  StatusOr<WriterLease> lease = kv_->AcquireWriter(holder_, ttl_);
  if (!lease.ok()) {
    Status followed = callbacks_.follow ? callbacks_.follow() : Status::Ok();
    if (followed.ok() == follow_failing_) {
      follow_failing_ = !followed.ok();
      callbacks_.listener(followed.ok() ? Event::kFollowResumed : Event::kFollowFailed,
                          followed.ok() ? "" : followed.ToString());
    }
    return;
  }
  // The old writer is fenced from now on (the epoch moved): the stored log is final until
  // this node appends, so the log is brought to it before the first group.
  Status taken = callbacks_.take_over ? callbacks_.take_over() : Status::Ok();
  const std::string detail =
      "epoch " + std::to_string(lease->epoch) + ", log at size " + std::to_string(lease->tree_size);
  if (!taken.ok()) {
    // Writing on a log this node could not load would fail every group: hand the lease on.
    (void)kv_->StepDown();
    callbacks_.listener(Event::kTakeOverFailed, detail + ": " + taken.ToString());
    return;
  }
  was_writer_ = true;
  callbacks_.listener(Event::kTookOver, detail);
}

}  // namespace lcb
