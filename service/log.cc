#include "service/log.h"

#include "common/date.h"
#include "crypto/checkpoint.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"
#include "service/log_entries.h"
#include "storage/keys.h"

namespace lcb {

uint64_t CheckpointSize(const std::string& note) {
  auto end = note.find("\n\n");
  if (end == std::string::npos) return 0;
  auto cp = ParseCheckpointBody(note.substr(0, end + 1));
  return cp.ok() ? cp->size : 0;
}

StatusOr<std::unique_ptr<LogService>> LogService::Open(Kv* kv, const std::string& key_file,
                                                       const std::string& origin, bool shared_store,
                                                       bool rotate) {
  std::unique_ptr<LogService> log(new LogService());
  log->origin_ = origin;
  bool publish = false;
  LCB_RETURN_IF_ERROR(log->LoadOrCreateKey(kv, key_file, shared_store, rotate, &publish));
  LCB_ASSIGN_OR_RETURN(log->ledger_, Ledger::Open(kv, log->key_, origin));
  if (publish) {
    WriteBatch batch;
    batch.Put(Table::kMeta, keys::kMetaLogKeys, EncodeLogKeyRows(log->keys_));
    LCB_RETURN_IF_ERROR(kv->Write(batch, true));
  }
  return log;
}

LogService::~LogService() {
  if (ledger_) ledger_->Stop();
}

Status LogService::LoadOrCreateKey(Kv* kv, const std::string& key_file, bool shared_store,
                                   bool rotate, bool* publish) {
  std::string stored;
  Status s = kv->Get(Table::kMeta, keys::kMetaLogKeys, &stored);
  if (s.ok()) {
    LCB_ASSIGN_OR_RETURN(keys_, DecodeLogKeyRows(stored));
  } else if (s.code() != StatusCode::kNotFound) {
    return s;
  }
  // On a shared store every node signs with the bank's one current key: a node never makes a
  // key of its own there (that would retire the key the other nodes sign with), nor signs with
  // a retired one.
  auto current = [&] {
    for (const LogKeyRow& k : keys_) {
      if (k.valid_until.empty()) return k.verifier_key;
    }
    return std::string("(none)");
  };
  auto loaded = Ed25519Key::LoadPem(key_file);
  if (loaded.ok()) {
    key_ = std::make_shared<const Ed25519Key>(std::move(loaded).value());
  } else if (loaded.status().code() != StatusCode::kNotFound) {
    return loaded.status();
  } else if (shared_store && !keys_.empty()) {
    return Status::FailedPrecondition(
        key_file + " is missing, and this bank's log is signed with " + current() +
        ": every node of a shared store signs with that key; copy its key file (mode 0600) "
        "from a node of this bank or from its backup");
  } else if (!keys_.empty() && !rotate) {
    // A key file gone astray (a wrong key_file, a restore without it) must not turn into a new
    // key: that would retire the bank's key, and every monitor and witness would see a rotation
    // nobody asked for.
    return Status::FailedPrecondition(
        key_file + " is missing, and this bank's log is signed with " + current() +
        ": put its key file back (mode 0600, from the bank's backup) or point key_file at it; "
        "to rotate to a new key on purpose, start once with rotate_log_key=true "
        "(--rotate-log-key true)");
  } else {
    Ed25519Key fresh = Ed25519Key::Generate();
    LCB_RETURN_IF_ERROR(fresh.SavePem(key_file));
    key_ = std::make_shared<const Ed25519Key>(std::move(fresh));
  }
  // The published key list: a new key (rotation) closes the validity of the previous one, and
  // old keys stay listed so that old checkpoints still verify.
  const std::string vkey = VerifierKeyString(origin_, key_->PublicKey());
  const std::string pem = key_->PublicKeyPem();
  for (const LogKeyRow& k : keys_) {
    if (k.verifier_key != vkey && k.public_key_pem == pem) {
      const std::string named = k.verifier_key.substr(0, k.verifier_key.find('+'));
      return Status::FailedPrecondition(
          key_file + " holds log key " + k.key_id + ", published for origin '" + named +
          "', and configuration says origin '" + origin_ + "': start with --origin " + named +
          " (or CREDITBANK_ORIGIN, or \"origin\" in the config file)");
    }
    if (k.verifier_key != vkey) continue;
    if (!k.valid_until.empty()) {
      // Signing with a retired key (which may have leaked) would make checkpoints that auditors
      // trusting the bank's current key refuse.
      return Status::FailedPrecondition(
          key_file + " holds log key " + k.key_id + ", retired at " + k.valid_until +
          "; this bank's log is now signed with " + current() +
          (shared_store ? ": copy the current key file (mode 0600) from a node of this bank"
                        : ": put the current key file back (mode 0600, from the bank's backup)"));
    }
    return Status::Ok();
  }
  const std::string key_id = vkey.substr(origin_.size() + 1, 8);
  if (!shared_store && !keys_.empty() && !rotate) {
    return Status::FailedPrecondition(
        key_file + " holds log key " + key_id + ", which this bank never published; its log is " +
        "signed with " + current() +
        ": point key_file at that key's file, or, to rotate the bank's log key to this one, "
        "start once with rotate_log_key=true (--rotate-log-key true)");
  }
  if (shared_store && !keys_.empty() && !rotate) {
    return Status::FailedPrecondition(
        key_file + " holds log key " + key_id +
        ", which this bank never published; its log is "
        "signed with " +
        current() +
        ": copy that key file (mode 0600) from a node of this bank, "
        "or, to rotate the bank's log key, start one node with this file and rotate_log_key=true "
        "(--rotate-log-key true), then copy the file to the others");
  }
  const std::string now = NowRfc3339();
  for (LogKeyRow& k : keys_) {
    if (k.valid_until.empty()) k.valid_until = now;
  }
  keys_.push_back(LogKeyRow{vkey, pem, key_id, now, ""});
  *publish = true;
  return Status::Ok();
}

LogKeys LogService::Keys() const {
  return LogKeys{origin_, VerifierKeyString(origin_, key_->PublicKey()), key_->PublicKeyPem(),
                 keys_};
}

StatusOr<LogEntries> LogService::Entries(uint64_t start, uint64_t end, bool with_bytes) {
  constexpr uint64_t kMaxEntries = 1000;
  LogEntries out;
  out.tree_size = ledger_->Size();
  if (start > out.tree_size)
    return Status::InvalidArgument(Field("/start"), "beyond the tree size");
  end = std::min(end, out.tree_size);
  if (end < start) return Status::InvalidArgument(Field("/end"), "must not be less than start");
  end = std::min(end, start + kMaxEntries);
  for (uint64_t i = start; i < end; ++i) {
    LogEntryView view;
    view.index = i;
    LCB_ASSIGN_OR_RETURN(view.leaf_hash, ledger_->LeafHashAt(i));
    out.entries.push_back(std::move(view));
  }
  if (with_bytes) {
    // A bundle per tile, not a read per entry (on PostgreSQL each read is a round trip); each
    // entry still checked against its leaf hash, as Ledger::Entry does.
    LCB_RETURN_IF_ERROR(ForEachLogEntry(*this, start, end, [&](uint64_t i, std::string_view b) {
      LogEntryView& view = out.entries[i - start];
      if (LeafHash(b) != view.leaf_hash) {
        return Status::DataLoss("log entry " + std::to_string(i) +
                                " does not match its leaf hash: the store was altered");
      }
      view.bytes.emplace(b.data(), b.size());
      return Status::Ok();
    }));
  }
  return out;
}

// The served checkpoint (with its witnesses' cosignatures) when it already covers the leaf, so
// that a record bundle carries them; else the latest.
std::string LogService::ReceiptCheckpoint(uint64_t leaf_index) const {
  std::string served = ServedCheckpoint();
  return CheckpointSize(served) > leaf_index ? served : ledger_->LatestCheckpoint();
}

StatusOr<Receipt> LogService::ReceiptFor(uint64_t leaf_index) {
  Reach(leaf_index);
  Receipt r;
  r.leaf_index = leaf_index;
  r.checkpoint = ReceiptCheckpoint(leaf_index);
  r.tree_size = CheckpointSize(r.checkpoint);
  LCB_ASSIGN_OR_RETURN(r.inclusion_proof, ledger_->InclusionProof(leaf_index, r.tree_size));
  return r;
}

StatusOr<Receipt> LogService::VerifiedReceipt(uint64_t leaf_index, const std::string& entry_bytes) {
  Reach(leaf_index);
  return VerifiedReceiptAgainst(ReceiptCheckpoint(leaf_index), leaf_index, entry_bytes);
}

StatusOr<Receipt> LogService::VerifiedReceiptAgainst(const std::string& checkpoint,
                                                     uint64_t leaf_index,
                                                     const std::string& entry_bytes) {
  Receipt r;
  r.leaf_index = leaf_index;
  r.checkpoint = checkpoint;
  auto end = r.checkpoint.find("\n\n");
  if (end == std::string::npos) return Status::DataLoss("no signed checkpoint covers the entry");
  LCB_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointBody(r.checkpoint.substr(0, end + 1)));
  if (leaf_index >= cp.size) {
    return Status::DataLoss("entry " + std::to_string(leaf_index) +
                            " is beyond the checkpoint it is to be proven against");
  }
  r.tree_size = cp.size;
  LCB_ASSIGN_OR_RETURN(r.inclusion_proof, ledger_->InclusionProof(leaf_index, cp.size));
  Status included =
      VerifyInclusion(leaf_index, cp.size, LeafHash(entry_bytes), r.inclusion_proof, cp.root);
  if (!included.ok()) {
    return Status::DataLoss("entry " + std::to_string(leaf_index) +
                            " is not in the signed tree: the store was altered (" +
                            included.message() + ")");
  }
  return r;
}

}  // namespace lcb
