// The bank's side of C2SP tlog-witness: one background thread per configured witness sends it
// each new checkpoint (POST <url>/add-checkpoint with the witness's last size and a consistency
// proof from it), verifies the cosignature it returns, and records it in the log's
// CosignedCheckpoints, from which /log/checkpoint is served.
//
// Protocol handling: the witness's size is not stored; the first request says `old 0` and a
// 409 (text/x.tlog.size) gives the size to prove from, retried at once. A 409 naming the size
// just sent (another root at that size: the witness saw a fork), any other refusal, a bad
// cosignature or a network error is logged and retried with exponential backoff (100 ms to
// 10 s). A lagging witness is sent the newest checkpoint the others cosigned, so witnesses
// converge on the same checkpoint under load. Nothing here blocks ingestion: the threads only
// read the latest checkpoint and proofs.
//
// Thread-safe; Stop() (or the destructor) joins the threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "service/log.h"

namespace lcb {

struct WitnessStatus {
  std::string name;
  uint64_t cosigned_size = 0;  // largest size this witness cosigned (0: none yet)
  uint64_t failures = 0;
  std::string last_error;
};

class WitnessClient {
 public:
  static constexpr int kMinBackoffMs = 100;
  static constexpr int kMaxBackoffMs = 10'000;
  static constexpr int kPollMs = 10;
  static constexpr int kRequestTimeoutMs = 5'000;

  // InvalidArgument naming the witness if a vkey does not parse.
  static StatusOr<std::unique_ptr<WitnessClient>> Create(LogService& log,
                                                         const std::vector<WitnessConfig>& ws);
  ~WitnessClient();
  void Start();
  void Stop();
  std::vector<WitnessStatus> Statuses() const;

  struct Peer;

 private:
  WitnessClient() = default;
  void Run(Peer& peer);
  // Sleeps up to `ms`; false when stopping.
  bool SleepFor(int ms);

  LogService* log_ = nullptr;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace lcb
