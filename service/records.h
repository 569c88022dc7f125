// Records: recognition of posted outcomes, their log entries, posting (all or nothing),
// revocation and correction, reading back, and each learner's record list.
//
// A posted record is recognized against its unit and issuer (engine/recognition.h), turned
// into its canonical log entry (codec/mapping.h RecordEntryCanonical) with the bank's fields
// (id, issuer, recorded_at, salt) and appended by the Ledger with its index row
// (kLearnerRecords). Posting is asynchronous: `done` runs on the service executor once the
// group holding the records is durable (or failed). Nothing blocks on an fsync.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "codec/entries.h"
#include "engine/model.h"
#include "engine/recognition.h"
#include "service/catalog.h"
#include "service/context.h"
#include "service/learner_changes.h"
#include "service/learners.h"
#include "service/log.h"

namespace lcb {

// Every problem of a rejected request, each naming its field (a batch is stored not at all).
struct BatchErrors {
  std::vector<Status> errors;
  bool empty() const { return errors.empty(); }
};

// The reason of a record whose external_ref an earlier record of the same request has; the
// problem's detail goes on ": also at <the earlier record's pointer>".
inline constexpr std::string_view kPostedTwice = "posted twice in one request";

// A signed submission (X-JWS-Signature) kept with the records it covered.
struct Submission {
  std::string jws;          // empty: not signed
  std::string body_sha256;  // hex of the exact body bytes
};

struct PostedRecord {
  std::string id;
  uint64_t leaf_index = 0;
  bool existed = false;               // an idempotent retry: the record was already stored
  std::vector<Hash> inclusion_proof;  // in the tree of PostOutcome::tree_size
};

struct PostOutcome {
  std::vector<PostedRecord> records;  // in the order posted
  std::string checkpoint;             // signed note covering every record
  uint64_t tree_size = 0;
  bool any_new() const;
};

struct StoredRecord {
  Record record;            // status applied (record.revoked)
  std::string entry_bytes;  // the exact bytes the log hashed
  uint64_t leaf_index = 0;
  std::string revoked_by;  // id of the revoking entry, or empty
  const char* status() const { return record.revoked ? "revoked" : "active"; }
};

// A revoked record's revocation as the log holds it, with its receipt.
struct RevocationProof {
  RevocationEntry entry;
  std::string entry_bytes;  // the exact bytes the log hashed
  uint64_t leaf_index = 0;
  Receipt receipt;
};

// What GET /v1/records/{id} answers: the record, its receipt and, when it is revoked, the
// revocation entry with a receipt against the same checkpoint, so that one signed checkpoint
// proves both the record and its revocation offline.
struct RecordBundle {
  StoredRecord stored;
  Receipt receipt;
  std::optional<RevocationProof> revocation;  // set exactly when the record is revoked
};

struct RecordPage {
  std::vector<StoredRecord> records;
  std::string next_cursor;  // empty on the last page
};

struct Revocation {
  std::string id;      // the revocation entry
  std::string record;  // the revoked record
  Receipt receipt;
};

// What happened to a learner's records, in log order (RecordService::Replay).
class LearnerEvents {
 public:
  virtual ~LearnerEvents() = default;
  // A record entry (revoked = whether it is revoked within the replayed range).
  virtual Status OnRecord(Record record) = 0;
  // A revocation of one of the learner's records seen before (replays after a known point).
  virtual Status OnRevocation(const std::string& record_id) = 0;
};

struct Correction {
  PostedRecord revocation;  // the revocation entry
  PostedRecord record;      // the replacement
  std::string checkpoint;
  uint64_t tree_size = 0;
};

class RecordService {
 public:
  using PostDone = std::function<void(StatusOr<PostOutcome>, BatchErrors)>;

  RecordService(CatalogService* catalog, LearnerService* learners, LogService* log, Kv* kv,
                LearnerGenerations* generations, ServiceCounters* counters)
      : catalog_(catalog),
        learners_(learners),
        log_(log),
        kv_(kv),
        generations_(generations),
        counters_(counters) {}
  // Where completions run (off the log writer thread); inline by default.
  void SetExecutor(Executor post) { post_ = std::move(post); }
  // Marked with the learners of every durable write (for the statistics); none by default.
  void SetChanges(LearnerChanges* changes) { changes_ = changes; }

  // Checks an X-JWS-Signature (compact JWS with detached payload, EdDSA) over `body` against
  // the issuer's registered keys; an institution with require_signatures must send one.
  // Unauthenticated when it is missing or does not verify.
  StatusOr<Submission> CheckSubmission(const std::string& issuer, const std::string* jws,
                                       std::string_view body);

  // Recognizes every input and builds its log entry; nothing is stored. Every problem is in
  // *errors (pointers prefixed "/records/<i>" when `batch`), the first also returned: every
  // independent problem of each record (engine Recognize), in record order, then field order.
  // `new_learners`: learner ids taken as existing (placeholders for accounts a registrar file
  // will create only once its records are valid: POST /v1/records?mapping=...).
  StatusOr<std::vector<LogEntry>> Validate(
      const std::string& issuer, const std::vector<RecordInput>& inputs, bool batch,
      const Submission& submission, BatchErrors* errors,
      const std::unordered_set<std::string>* new_learners = nullptr);
  // Read-only: every entry whose idempotency key (issuer, external_ref) is already stored for
  // different content, or comes twice in `entries`, in *errors (at its conflict pointer,
  // ".../external_ref"), the first also returned; AlreadyExists (409) as Post would refuse it.
  // For dry runs, and for callers that must refuse a conflict before acting (creating learner
  // accounts). Groups still being committed are not seen: Post checks again.
  Status CheckConflicts(const std::vector<LogEntry>& entries, BatchErrors* errors);
  // CheckConflicts over the keys and fingerprints `issuer` would post `inputs` with (row i at
  // "/records/<i>/external_ref"), without recognizing them: for a caller that must refuse a
  // conflict before acting on rows not validated yet (POST /v1/records/table creating learner
  // accounts). Inputs without an external_ref are skipped (Validate refuses them).
  Status CheckInputConflicts(const std::string& issuer, const std::vector<RecordInput>& inputs,
                             BatchErrors* errors);
  // Validates, then appends all or nothing.
  void Post(const std::string& issuer, std::vector<RecordInput> inputs, bool batch,
            const Submission& submission, PostDone done);

  // The record with its status; common_level resolved with its issuer's regime.
  StatusOr<StoredRecord> Read(const std::string& id);
  // `record` (from Read) with its receipt and, when revoked, its revocation proven against the
  // same checkpoint (the one covering the revocation, the later entry); both inclusions are
  // checked first (DataLoss if the store was altered or holds no revocation it names).
  StatusOr<RecordBundle> Bundle(StoredRecord record);
  void Revoke(const std::string& id, const std::string& issuer, const std::string& reason,
              std::function<void(StatusOr<Revocation>)> done);
  // Revokes `id` and posts `replacement` (with "supersedes": id) in one request.
  void Correct(const std::string& id, const std::string& issuer, RecordInput replacement,
               const std::string& reason,
               std::function<void(StatusOr<Correction>, BatchErrors)> done);

  // A learner's records in leaf order after `cursor` (opaque, from a previous page).
  StatusOr<RecordPage> List(const std::string& learner, const std::string& cursor, size_t limit);
  // Every record of the learner (revoked ones flagged), never truncated; cached, and brought up
  // to date by reading only what changed since (O(records changed)).
  StatusOr<std::shared_ptr<const std::vector<Record>>> AllRecords(const std::string& learner);

  // The learner's events with leaves in (after, upto] — from the start when `after` is empty.
  // From the start, records come with their status as of `upto` and revocations are not
  // separate events; after a known point, records come as not revoked and each later
  // revocation is an event. (Stores written before revocations were learner events replay
  // correctly from the start.)
  Status Replay(const std::string& learner, std::optional<uint64_t> after, uint64_t upto,
                LearnerEvents& sink);
  // Every record entry among the log's leaves [from, to), in leaf order, as it was logged (not
  // revoked; common_level resolved): read a bundle of 256 entries at a time, O(to - from).
  Status RecordsInEntries(uint64_t from, uint64_t to,
                          const std::function<void(uint64_t leaf, Record)>& each);
  // The last leaf of the log, if any: the `upto` of a replay of everything committed now.
  std::optional<uint64_t> LastLeaf() const;
  // Moves once every group holding a revocation is durable (or failed): what was derived from
  // the revocations (the credential status lists) under an older value may be stale.
  uint64_t RevocationGeneration() const { return revocation_generation_.load(); }
  // Another node may have revoked records (several nodes on one store).
  void TouchRevocations() { revocation_generation_.fetch_add(1); }

 private:
  // The entry of one input. When the input does not recognize, every problem of it is appended
  // to *problems, prefixed with `ptr` (an unknown learner and the record's own problems; an
  // unknown unit ends the checks), and the first is returned.
  StatusOr<LogEntry> BuildEntry(const Institution& issuer, const GradeScales& scales,
                                const RecordInput& in, const std::string& ptr,
                                const std::string& supersedes, const Submission& submission,
                                Days today, const std::string& recorded_at,
                                const std::string& salt_hex, bool mark_posted,
                                const std::unordered_set<std::string>* new_learners,
                                std::vector<Status>* problems);
  // Sets what a record derives but does not log: common_level from its issuer's regime
  // (engine/regimes.h) and passing from its grade scale's pass mark (DataLoss when the
  // catalog does not hold the scale). `scales`, when given, is the caller's snapshot of the
  // grade scales, used while it knows the record's scale and replaced when it does not (one
  // snapshot for a run of records instead of one per record).
  Status ResolveDerived(Record& record, std::shared_ptr<const GradeScales>* scales = nullptr);
  // Appends validated entries; `learners` are touched once the group is durable or failed.
  void Append(std::vector<LogEntry> entries, std::vector<std::string> learners,
              std::function<void(StatusOr<PostOutcome>)> done);

  CatalogService* catalog_;
  LearnerService* learners_;
  LogService* log_;
  Kv* kv_;
  LearnerGenerations* generations_;
  ServiceCounters* counters_;
  Executor post_ = [](std::function<void()> f) { f(); };
  LearnerChanges* changes_ = nullptr;
  std::atomic<uint64_t> revocation_generation_{0};

  struct CachedRecords {
    uint64_t generation = 0;
    std::optional<uint64_t> watermark;  // the last leaf the records include
    std::shared_ptr<const std::vector<Record>> records;
  };
  static constexpr size_t kMaxCachedLearners = 200'000;
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedRecords> cache_;
};

}  // namespace lcb
