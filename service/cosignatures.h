// The witnesses' cosignatures on the bank's recent checkpoints, and which checkpoint the bank
// serves at /log/checkpoint and /v1/log/checkpoint because of them.
//
// Serving rule (DESIGN.md "Tiles, witnesses and monitors"): with witnesses configured and a
// quorum K >= 1, the served checkpoint is the newest one that K configured witnesses have
// cosigned, its cosignature lines appended after the log's signature; until one reaches K,
// the latest checkpoint is served with no cosignature line at all, so a checkpoint under
// quorum never looks cosigned. With K = 0 the latest checkpoint is served with whatever
// cosignatures it already has.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace lcb {

class CosignedCheckpoints {
 public:
  // Recent checkpoints kept (older ones are dropped once newer ones exist).
  static constexpr size_t kKept = 64;

  // `witnesses` = how many are configured (0 disables everything here).
  void Configure(size_t witnesses, size_t quorum);
  bool enabled() const;
  size_t quorum() const;

  // Records `line` (a verified cosignature line, with its LF) by `witness` on `note` (the log's
  // signed checkpoint note of tree size `size`).
  void Add(const std::string& note, uint64_t size, const std::string& witness,
           const std::string& line);

  // The note to serve given the log's latest signed checkpoint `latest` of size `latest_size`.
  std::string Served(const std::string& latest, uint64_t latest_size) const;

  // The newest checkpoint another witness cosigned that `witness` has not, above `min_size`
  // (so that witnesses converge on one checkpoint under load); empty if none.
  std::string Target(const std::string& witness, uint64_t min_size) const;

  // Witnesses that cosigned the checkpoint of `size` (0 if unknown).
  size_t CountAt(uint64_t size) const;

 private:
  struct Entry {
    std::string note;
    std::map<std::string, std::string> lines;  // witness name -> cosignature line
  };
  static std::string WithLines(const Entry& e);

  mutable std::mutex mu_;
  size_t witnesses_ = 0;
  size_t quorum_ = 0;
  std::map<uint64_t, Entry> by_size_;
};

}  // namespace lcb
