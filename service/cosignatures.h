// The witnesses' cosignatures on the bank's recent checkpoints, which checkpoint the bank
// serves at /log/checkpoint and /v1/log/checkpoint because of them, and how each witness fares
// (for /readyz and /metrics).
//
// Serving rule (DESIGN.md "Tiles, witnesses and monitors"): with witnesses configured and a
// quorum K >= 1, the served checkpoint is the newest one that K configured witnesses have
// cosigned, its cosignature lines appended after the log's signature; until one reaches K,
// the latest checkpoint is served with no cosignature line at all, so a checkpoint under
// quorum never looks cosigned. With K = 0 the latest checkpoint is served with whatever
// cosignatures it already has.
//
// Kept across restarts: with a store attached (Configure), every Add rewrites kMeta
// "witness_cosignatures" (codec/rows.h CosignedNoteRow) with the newest checkpoint that has a
// quorum and each witness's newest cosigned checkpoint, each with all its lines (at most one
// row per witness, plus one). The write is not synced: a crash may lose the last few
// cosignatures, which the witness client then asks for again. Restore reads that row back at
// start, keeping only notes the log itself signed at that size and lines that verify with the
// configured witness's key, so a changed key or a removed witness drops its lines. Nodes that
// share a store but do not write the log (their witness client idles) call Restore at every
// poll, so they serve the cosignatures the writer got.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/cosignature.h"
#include "storage/kv.h"

namespace lcb {

struct CosignedNoteRow;  // codec/rows.h

// How one witness fares. Times are milliseconds since the epoch, 0 for never.
struct WitnessPeerHealth {
  std::string name;
  uint64_t cosigned_size = 0;   // the newest size it cosigned
  int64_t last_success_ms = 0;  // when the bank got that cosignature (after a restart: the
                                // cosignature's own timestamp, until a new one comes)
  uint64_t failures = 0;        // failed attempts since the process started
  int64_t last_error_ms = 0;
  std::string last_error;  // the last failure (no secrets: HTTP status, network error)
};

struct WitnessHealth {
  size_t quorum = 0;
  // The served checkpoint's size when it carries a quorum of cosignatures, else 0.
  uint64_t cosigned_size = 0;
  // The served checkpoint carries >= quorum cosignatures (always true with quorum 0).
  bool quorum_met = false;
  std::vector<WitnessPeerHealth> witnesses;  // in configuration order
};

// What Restore kept and dropped.
struct CosignaturesRestored {
  size_t lines = 0;    // cosignature lines restored
  size_t dropped = 0;  // lines of unknown witnesses, bad lines, notes the log did not sign
};

class CosignedCheckpoints {
 public:
  // Recent checkpoints kept (older ones are dropped once newer ones exist).
  static constexpr size_t kKept = 64;
  // Last errors longer than this are cut.
  static constexpr size_t kMaxErrorBytes = 200;

  // `witnesses` = the configured witnesses (none disables everything here). With `kv`, Add
  // keeps the cosignatures in it and Restore reads them back.
  void Configure(std::vector<Cosigner> witnesses, size_t quorum, Kv* kv = nullptr);
  bool enabled() const;
  size_t quorum() const;

  // Reads back what Add kept. `checkpoint_at(size)` is the log's signed note at that size
  // (NotFound if none). DataLoss if the stored row does not parse (nothing is restored).
  StatusOr<CosignaturesRestored> Restore(
      const std::function<StatusOr<std::string>(uint64_t)>& checkpoint_at);

  // Records `line` (a verified cosignature line, with its LF) by `witness` on `note` (the log's
  // signed checkpoint note of tree size `size`), then keeps it in the store (the store's
  // error, if any, is returned; the cosignature is recorded in memory either way).
  Status Add(const std::string& note, uint64_t size, const std::string& witness,
             const std::string& line);
  // Records a failed attempt to get `witness`'s cosignature.
  void RecordFailure(const std::string& witness, const std::string& error);

  // The note to serve given the log's latest signed checkpoint `latest` of size `latest_size`.
  std::string Served(const std::string& latest, uint64_t latest_size) const;

  // The newest checkpoint another witness cosigned that `witness` has not, above `min_size`
  // (so that witnesses converge on one checkpoint under load); empty if none.
  std::string Target(const std::string& witness, uint64_t min_size) const;
  // The newest note `witness` cosigned (empty if none), e.g. after Restore.
  std::string LastCosigned(const std::string& witness) const;

  // Witnesses that cosigned the checkpoint of `size` (0 if unknown).
  size_t CountAt(uint64_t size) const;

  // Quorum state and each witness's, given the log's latest size.
  WitnessHealth Health(uint64_t latest_size) const;

 private:
  struct Entry {
    std::string note;
    std::map<std::string, std::string> lines;  // witness name -> cosignature line
  };
  static std::string WithLines(const Entry& e);
  void AddLocked(const std::string& note, uint64_t size, const std::string& witness,
                 const std::string& line, int64_t when_ms);
  using Sized = std::pair<const uint64_t, Entry>;
  // The newest entry with a quorum (at least one line with quorum 0) at or below
  // `latest_size`, or null.
  const Sized* QuorumEntryLocked(uint64_t latest_size) const;
  std::string EncodeKeptLocked() const;
  size_t RestoreEntry(const CosignedNoteRow& stored, uint64_t size, const std::string& text);
  WitnessPeerHealth* PeerLocked(const std::string& name);

  std::mutex persist_mu_;  // orders the store writes; taken before mu_
  mutable std::mutex mu_;
  Kv* kv_ = nullptr;
  std::vector<Cosigner> witnesses_;
  size_t quorum_ = 0;
  std::map<uint64_t, Entry> by_size_;
  std::string restored_row_;  // the stored row as Restore last kept all of it (persist_mu_)
  std::vector<WitnessPeerHealth> peers_;  // parallel to witnesses_
};

}  // namespace lcb
