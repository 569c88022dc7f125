#include "service/transcripts.h"

#include <algorithm>

#include "common/date.h"
#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "storage/keys.h"
#include "transcript/transcript.h"

namespace lcb {
namespace {

std::string CodeKey(std::string_view code) {
  return keys::TranscriptByCodeHash(HashHex(Sha256(code)));
}

bool IsCode(std::string_view code) {
  if (code.size() != 2 * TranscriptService::kCodeBytes) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The latest signed checkpoint as (origin, size, root); the empty tree when nothing is signed.
StatusOr<TranscriptRow> LatestCheckpoint(LogService& log) {
  TranscriptRow row;
  row.origin = log.origin();
  row.root_hash_hex = HashHex(EmptyRoot());
  const std::string note = log.LatestCheckpoint();
  if (note.empty()) return row;
  const size_t blank = note.find("\n\n");
  if (blank == std::string::npos) return Status::DataLoss("the latest checkpoint is not a note");
  LCB_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointBody(note.substr(0, blank + 1)));
  row.origin = cp.origin;
  row.tree_size = cp.size;
  row.root_hash_hex = HashHex(cp.root);
  return row;
}

// Collects the records of a replay from the start (status as of its end) that earned credit:
// not revoked, and a passing grade.
class ActiveSink : public LearnerEvents {
 public:
  explicit ActiveSink(std::vector<Record>* out) : out_(out) {}
  Status OnRecord(Record r) override {
    if (!r.revoked && r.passing) out_->push_back(std::move(r));
    return Status::Ok();
  }
  Status OnRevocation(const std::string&) override { return Status::Ok(); }

 private:
  std::vector<Record>* out_;
};

}  // namespace

StatusOr<std::vector<Record>> TranscriptService::ActiveAt(const std::string& learner,
                                                          uint64_t size) {
  std::vector<Record> active;
  if (size == 0) return active;
  ActiveSink sink(&active);
  LCB_RETURN_IF_ERROR(records_->Replay(learner, std::nullopt, size - 1, sink));
  // Printed by completion date; records of one date keep their log order.
  std::stable_sort(active.begin(), active.end(), [](const Record& a, const Record& b) {
    return a.completed_on < b.completed_on;
  });
  if (active.size() > kMaxTranscriptRecords) {
    return Status::ResourceExhausted("the learner has more than " +
                                     std::to_string(kMaxTranscriptRecords) +
                                     " active records: too many for one transcript");
  }
  return active;
}

StatusOr<TranscriptInput> TranscriptService::BuildInput(const std::string& learner,
                                                        std::vector<Record> records,
                                                        const TranscriptRow& held) {
  TranscriptInput in;
  in.learner_id = learner;
  LCB_ASSIGN_OR_RETURN(LearnerRow account, learners_->Get(learner));
  in.learner_name = account.display_name.value_or("");
  in.checkpoint = TranscriptCheckpoint{held.origin, held.tree_size, held.root_hash_hex};
  in.generated_at = held.generated_at;
  in.records.reserve(records.size());
  for (Record& r : records) {
    TranscriptRecord t;
    t.id = r.id;
    auto unit = catalog_->GetUnit(r.unit);
    t.unit_title = unit.ok() ? unit->title : r.unit;
    auto issuer = catalog_->GetInstitution(r.issuer);
    t.issuer = issuer.ok() ? issuer->name : r.issuer;
    t.kind = r.kind;
    t.level = r.level;
    t.credits = r.credits;
    t.grade = r.grade_value;
    t.completed_on = r.completed_on;
    in.records.push_back(std::move(t));
  }
  return in;
}

StatusOr<IssuedTranscript> TranscriptService::IssuePdf(const std::string& learner,
                                                       const std::string& verification_base) {
  if (!learners_->Exists(learner)) return Status::NotFound("no learner '" + learner + "'");
  IssuedTranscript out;
  LCB_ASSIGN_OR_RETURN(out.held, LatestCheckpoint(*log_));
  out.held.learner = learner;
  out.held.generated_at = NowRfc3339();
  LCB_ASSIGN_OR_RETURN(std::vector<Record> active, ActiveAt(learner, out.held.tree_size));
  for (const Record& r : active) {
    out.held.records.push_back(r.id);
    out.held.total_centi += r.credits;
  }
  out.code = HexEncode(RandomBytes(kCodeBytes));
  LCB_ASSIGN_OR_RETURN(TranscriptInput input, BuildInput(learner, std::move(active), out.held));
  input.verification_code = out.code;
  input.verification_url = verification_base + out.code;
  // Rendered before it is stored: a transcript that cannot be drawn leaves no code behind.
  LCB_ASSIGN_OR_RETURN(out.pdf, RenderTranscriptPdf(input));
  WriteBatch batch;
  batch.Put(Table::kLearners, CodeKey(out.code), EncodeTranscriptRow(out.held));
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  return out;
}

StatusOr<TranscriptCheck> TranscriptService::Check(const std::string& code) {
  if (!IsCode(code)) {
    return Status::InvalidArgument(Field("/code"),
                                   "a verification code is 32 lowercase hexadecimal digits");
  }
  std::string row;
  Status s = kv_->Get(Table::kLearners, CodeKey(code), &row);
  if (s.code() == StatusCode::kNotFound) return Status::NotFound("no transcript has this code");
  LCB_RETURN_IF_ERROR(s);
  TranscriptCheck check;
  LCB_ASSIGN_OR_RETURN(check.held, DecodeTranscriptRow(row));
  auto account = learners_->Get(check.held.learner);
  if (account.ok()) check.learner_name = account->display_name.value_or("");
  check.records.reserve(check.held.records.size());
  for (const std::string& id : check.held.records) {
    LCB_ASSIGN_OR_RETURN(StoredRecord r, records_->Read(id));
    check.records.push_back(TranscriptEntryStatus{
        id, r.record.unit, r.record.issuer, r.record.credits, r.record.revoked, r.revoked_by});
    check.any_revoked = check.any_revoked || r.record.revoked;
  }
  return check;
}

}  // namespace lcb
