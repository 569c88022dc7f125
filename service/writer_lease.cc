#include "service/writer_lease.h"

namespace lcb {

bool WriterLeaseKeeper::AcquireAtStart() {
  StatusOr<WriterLease> lease = kv_->AcquireWriter(holder_, ttl_);
  started_as_writer_ = lease.ok();
  start_detail_ = lease.ok() ? "epoch " + std::to_string(lease->epoch) + ", log at size " +
                                   std::to_string(lease->tree_size)
                             : lease.status().message();
  return started_as_writer_;
}

void WriterLeaseKeeper::Start(Listener listener) {
  listener_ = std::move(listener);
  listener_(started_as_writer_ ? Event::kAcquired : Event::kFollowing, start_detail_);
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
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, ttl_ / 3, [this] { return stop_; })) {
    lock.unlock();
    Tick();
    lock.lock();
  }
}

void WriterLeaseKeeper::Tick() {
  if (kv_->IsWriter()) {
    StatusOr<WriterLease> renewed = kv_->RenewWriter(ttl_);
    if (renewed.ok()) return;
    listener_(kv_->IsWriter() ? Event::kRenewFailed : Event::kLost,
              renewed.status().message());
    return;
  }
  if (started_as_writer_) return;  // lost: fenced until restarted (the listener was told)
  StatusOr<WriterLease> lease = kv_->AcquireWriter(holder_, ttl_);
  if (lease.ok()) {
    listener_(Event::kTookOver, "epoch " + std::to_string(lease->epoch) + ", log at size " +
                                    std::to_string(lease->tree_size));
  }
}

}  // namespace lcb
