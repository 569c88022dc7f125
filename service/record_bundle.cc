// RecordService::Bundle: a record with the receipts that prove its state (service/records.h).
//
// A revoked record is proven by two entries: the record and, later in the log, its revocation.
// Both receipts are made against the one checkpoint that covers the revocation (which covers the
// record too, an earlier leaf), so that one signature proves both and a verifier needs no
// consistency proof between two checkpoints.
#include "service/records.h"

namespace lcb {

StatusOr<RecordBundle> RecordService::Bundle(StoredRecord record) {
  RecordBundle out;
  if (record.revoked_by.empty()) {
    LCB_ASSIGN_OR_RETURN(out.receipt, log_->VerifiedReceipt(record.leaf_index, record.entry_bytes));
    out.stored = std::move(record);
    return out;
  }
  // The status row names the revocation; its entry is found by its id, as any logged object.
  const std::string& id = record.record.id;
  auto leaf = log_->ledger().ObjectIndex(record.revoked_by);
  if (!leaf.ok()) {
    if (leaf.status().code() != StatusCode::kNotFound) return leaf.status();
    return Status::DataLoss("record " + id + " is marked revoked by " + record.revoked_by +
                            ", which the log does not hold");
  }
  RevocationProof rev;
  rev.leaf_index = *leaf;
  log_->Reach(rev.leaf_index);
  LCB_ASSIGN_OR_RETURN(rev.entry_bytes, log_->ledger().Entry(rev.leaf_index));
  LCB_ASSIGN_OR_RETURN(rev.entry, ParseRevocationEntry(rev.entry_bytes, record.revoked_by));
  if (rev.entry.record != id || rev.entry.issuer != record.record.issuer ||
      rev.leaf_index <= record.leaf_index) {
    return Status::DataLoss("log entry " + std::to_string(rev.leaf_index) + " (" +
                            record.revoked_by + ") is not a later revocation of record " + id +
                            " by its issuer");
  }
  LCB_ASSIGN_OR_RETURN(rev.receipt, log_->VerifiedReceipt(rev.leaf_index, rev.entry_bytes));
  LCB_ASSIGN_OR_RETURN(
      out.receipt,
      log_->VerifiedReceiptAgainst(rev.receipt.checkpoint, record.leaf_index, record.entry_bytes));
  out.revocation = std::move(rev);
  out.stored = std::move(record);
  return out;
}

}  // namespace lcb
