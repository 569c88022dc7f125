// The bank's side of C2SP tlog-witness: one background thread per configured witness sends it
// each new checkpoint (POST <url>/add-checkpoint with the witness's last size and a consistency
// proof from it), verifies the cosignature it returns, and records it in the log's
// CosignedCheckpoints, from which /log/checkpoint is served.
//
// Protocol handling: the first request says `old N`, N the size the witness last cosigned as
// the store remembers it (0 if none); a 409 (text/x.tlog.size) gives the size to prove from,
// retried at once. A 409 naming the size
// just sent (another root at that size: the witness saw a fork), any other refusal, a bad
// cosignature or a network error is logged and retried with exponential backoff (100 ms to
// 10 s). A lagging witness is sent the newest checkpoint the others cosigned, so witnesses
// converge on the same checkpoint under load. Nothing here blocks ingestion: the threads only
// read the latest checkpoint and proofs. Successes and failures go to the log's
// CosignedCheckpoints (which keeps the cosignatures in the store and reports each witness's
// health); after a restart each witness is first assumed at the size it last cosigned there.
//
// Thread-safe; Stop() (or the destructor) joins the threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "service/log.h"

namespace lcb {

class WitnessClient {
 public:
  static constexpr int kMinBackoffMs = 100;
  static constexpr int kMaxBackoffMs = 10'000;
  static constexpr int kPollMs = 10;
  static constexpr int kInactivePollMs = 100;  // how often a non-writer looks again
  // After a cosignature, a witness is sent nothing newer for this long: at most four
  // checkpoints a second each, however fast the log grows (every one costs the witness a
  // signature and a durable write, and the bank a consistency proof).
  static constexpr int kCosignIntervalMs = 250;
  static constexpr int kRequestTimeoutMs = 5'000;

  // InvalidArgument naming the witness if a vkey does not parse.
  static StatusOr<std::unique_ptr<WitnessClient>> Create(LogService& log,
                                                         const std::vector<WitnessConfig>& ws);
  ~WitnessClient();
  // Witnesses are sent checkpoints only while `active()` holds (before Start): on a shared
  // store, while this node writes the log. The writer keeps the cosignatures in the store and
  // the other nodes read them from there (Services::FollowStore), so every node serves them
  // and the witnesses hear from one node at a time, whichever writes.
  void SetActive(std::function<bool()> active) { active_ = std::move(active); }
  void Start();
  void Stop();

  struct Peer;

 private:
  WitnessClient() = default;
  void Run(Peer& peer);
  // Sleeps up to `ms`; false when stopping.
  bool SleepFor(int ms);

  LogService* log_ = nullptr;
  std::function<bool()> active_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace lcb
