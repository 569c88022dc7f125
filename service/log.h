// The transparency log as the rest of the bank sees it: the signing key and its published
// history, receipts, proofs, checkpoints and entries. Appends go through the Ledger
// (storage/ledger.h), which this service owns.
//
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codec/rows.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "service/cosignatures.h"
#include "storage/kv.h"
#include "storage/ledger.h"

namespace lcb {

// What a client needs to check that an entry is in the log the bank signed.
struct Receipt {
  uint64_t leaf_index = 0;
  std::string checkpoint;  // signed note
  uint64_t tree_size = 0;  // the checkpoint's size
  std::vector<Hash> inclusion_proof;
};

struct LogKeys {
  std::string origin;
  std::string verifier_key;  // the current key
  std::string public_key_pem;
  std::vector<LogKeyRow> keys;  // every key the log ever used, with validity
};

struct LogEntryView {
  uint64_t index = 0;
  Hash leaf_hash{};
  std::optional<std::string> bytes;  // only when asked for
};

struct LogEntries {
  std::vector<LogEntryView> entries;
  uint64_t tree_size = 0;
};

// The tree size a signed checkpoint note commits to (0 if it does not parse).
uint64_t CheckpointSize(const std::string& note);

class LogService {
 public:
  // Loads or creates the signing key (`key_file`, 0600), opens the Ledger over `kv` (which
  // refuses another origin than the log's), and only then records a new key in the published
  // list (closing the previous key's validity): a start refused changes nothing. The bank's key
  // under another origin is refused (a wrong --origin is not a rotation). Once the bank has a
  // key, a retired key file is refused, and a missing one is not made anew nor a key never
  // published taken unless `rotate` (config rotate_log_key): a wrong or lost key file must not
  // retire the bank's key (FailedPrecondition naming the file to put back). On a store several
  // nodes share (`shared_store`) a missing file is refused even then: one node must not retire
  // the key the others sign with.
  static StatusOr<std::unique_ptr<LogService>> Open(Kv* kv, const std::string& key_file,
                                                    const std::string& origin,
                                                    bool shared_store = false, bool rotate = false);
  ~LogService();

  Ledger& ledger() { return *ledger_; }
  void Stop() { ledger_->Stop(); }
  // Another node writes the log (shared store): Ledger::Follow.
  StatusOr<uint64_t> Follow() { return ledger_->Follow(); }
  // While `following()` is true (another node writes the log), a receipt asked for an entry
  // beyond the published tree (written by the writer since this node last followed) follows
  // the store first.
  void SetFollowing(std::function<bool()> following) { following_ = std::move(following); }
  // Follows the store at once when `leaf_index` (found in the store's indexes) is beyond the
  // published tree and another node writes the log.
  void Reach(uint64_t leaf_index) {
    if (leaf_index >= Size() && following_ && following_()) (void)ledger_->Follow();
  }

  LogKeys Keys() const;
  uint64_t Size() const { return ledger_->Size(); }
  LedgerStats Stats() const { return ledger_->Stats(); }
  std::string LatestCheckpoint() const { return ledger_->LatestCheckpoint(); }
  // What /log/checkpoint and /v1/log/checkpoint serve: the latest checkpoint, or with
  // witnesses the newest one cosigned by a quorum (service/cosignatures.h has the rule).
  std::string ServedCheckpoint() const {
    std::string latest = LatestCheckpoint();
    return cosigned_.Served(latest, CheckpointSize(latest));
  }
  CosignedCheckpoints& cosigned() { return cosigned_; }
  const CosignedCheckpoints& cosigned() const { return cosigned_; }
  StatusOr<std::string> CheckpointAt(uint64_t size) { return ledger_->CheckpointAt(size); }
  StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size) {
    return ledger_->InclusionProof(index, size);
  }
  StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second) {
    return ledger_->ConsistencyProof(first, second);
  }
  const std::string& origin() const { return origin_; }
  // C2SP tlog-tiles: a hash tile of `level` (0 = leaf hashes) or an entry bundle, `width`
  // hashes or entries wide (256 for a full tile).
  StatusOr<std::string> Tile(int level, uint64_t index, uint32_t width) {
    return ledger_->Tile(level, index, width);
  }
  StatusOr<std::string> EntryBundle(uint64_t index, uint32_t width) {
    return ledger_->EntryBundle(index, width);
  }
  // [start, end) clamped to the tree and to 1000 entries; bytes only when `with_bytes`.
  StatusOr<LogEntries> Entries(uint64_t start, uint64_t end, bool with_bytes);

  // The receipt of leaf `leaf_index` against the latest checkpoint.
  StatusOr<Receipt> ReceiptFor(uint64_t leaf_index);
  // The same after checking that `entry_bytes` are included in the tree the latest checkpoint
  // commits to (DataLoss if the store was altered).
  StatusOr<Receipt> VerifiedReceipt(uint64_t leaf_index, const std::string& entry_bytes);
  // The same against the signed `checkpoint` (a note this log signed, at least leaf_index + 1
  // leaves): a record and its revocation are proven against one checkpoint.
  StatusOr<Receipt> VerifiedReceiptAgainst(const std::string& checkpoint, uint64_t leaf_index,
                                           const std::string& entry_bytes);

 private:
  LogService() = default;
  // Sets key_ and keys_; *publish when keys_ changed and must be written once the log opened.
  Status LoadOrCreateKey(Kv* kv, const std::string& key_file, bool shared_store, bool rotate,
                         bool* publish);
  std::string ReceiptCheckpoint(uint64_t leaf_index) const;

  std::string origin_;
  std::shared_ptr<const Ed25519Key> key_;
  std::vector<LogKeyRow> keys_;
  std::unique_ptr<Ledger> ledger_;
  CosignedCheckpoints cosigned_;
  std::function<bool()> following_;
};

}  // namespace lcb
