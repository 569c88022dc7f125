#include "service/records.h"

#include <algorithm>
#include <iterator>

#include "codec/entries.h"
#include "codec/json_util.h"
#include "codec/mapping.h"
#include "common/date.h"
#include "common/encoding.h"
#include "crypto/jws.h"
#include "crypto/sha256.h"
#include "engine/regimes.h"
#include "service/log_entries.h"
#include "storage/keys.h"

namespace lcb {
namespace {

constexpr size_t kMaxErrorsReported = 1000;

// The revocation entry of `record` (type "revocation"); a correction names the replacement.
LogEntry MakeRevocationEntry(const std::string& record, const std::string& learner,
                             const std::string& issuer, const std::string& reason,
                             const std::string& superseded_by) {
  RevocationEntry entry{
      keys::RevocationId(record), record, issuer, reason, NowRfc3339(), superseded_by,
      HexEncode(RandomBytes(16))};
  LogEntry e;
  e.id = entry.id;
  e.bytes = RevocationEntryBytes(entry);
  e.unique_key = keys::RevocationUnique(record);
  e.fingerprint = std::string(HashBytes(Sha256(RevocationFingerprintBytes(entry))));
  e.conflict_pointer = "/reason";
  e.index_rows = [record, learner, rev = e.id](uint64_t leaf, WriteBatch* batch) {
    batch->Put(Table::kStatus, record, rev);
    batch->Put(Table::kLearnerRecords, keys::OwnerLeaf(learner, leaf), rev);  // a learner event
  };
  return e;
}

// Inclusion proofs of the group's entries: new ones from the group's nodes in memory, retried
// ones (which the group did not write) from the store.
StatusOr<PostOutcome> OutcomeOf(AppendResult& result, Ledger& ledger) {
  result.FillProofs();
  PostOutcome out;
  out.checkpoint = result.checkpoint;
  out.tree_size = result.tree_size;
  out.records.reserve(result.entries.size());
  for (EntryOutcome& o : result.entries) {
    if (o.existed || o.inclusion_proof.empty()) {
      LCB_ASSIGN_OR_RETURN(o.inclusion_proof,
                           ledger.InclusionProof(o.leaf_index, result.tree_size));
    }
    out.records.push_back(
        PostedRecord{std::move(o.id), o.leaf_index, o.existed, std::move(o.inclusion_proof)});
  }
  return out;
}

// The idempotency fingerprint of an input: a retry of the same content matches it, other
// content under the same external_ref conflicts.
std::string InputFingerprint(const RecordInput& in, const std::string& supersedes) {
  auto doc = RecordInputCanonical(in, supersedes);
  return std::string(HashBytes(Sha256(doc.ok() ? *doc : std::string())));
}

}  // namespace

bool PostOutcome::any_new() const {
  for (const PostedRecord& r : records) {
    if (!r.existed) return true;
  }
  return false;
}

StatusOr<Submission> RecordService::CheckSubmission(const std::string& issuer,
                                                    const std::string* jws, std::string_view body) {
  auto inst = catalog_->GetInstitution(issuer);
  if (!jws) {
    if (inst.ok() && inst->require_signatures) {
      return Status::Unauthenticated("institution '" + issuer +
                                     "' requires signed submissions: send X-JWS-Signature");
    }
    return Submission{};
  }
  if (!inst.ok()) return inst.status();
  auto lookup = [&inst](std::string_view kid) -> std::optional<std::string> {
    for (const PublicJwk& k : inst->public_keys) {
      // Submissions are EdDSA (DESIGN.md); an RSA key is for credentials only.
      if (k.kid == kid && !k.is_rsa()) return Base64UrlDecode(k.x);
    }
    return std::nullopt;
  };
  auto verified = VerifyDetachedJws(*jws, body, lookup);
  if (!verified.ok()) {
    return Status::Unauthenticated("X-JWS-Signature does not verify: " +
                                   verified.status().message());
  }
  return Submission{*jws, HashHex(Sha256(body))};
}

StatusOr<LogEntry> RecordService::BuildEntry(
    const Institution& issuer, const GradeScales& scales, const RecordInput& in,
    const std::string& ptr, const std::string& supersedes, const Submission& submission, Days today,
    const std::string& recorded_at, const std::string& salt_hex, bool mark_posted,
    const std::unordered_set<std::string>* new_learners, std::vector<Status>* problems) {
  // Every problem of the record goes to *problems (with `ptr` before its pointer); the first is
  // also the error returned. Neither an unknown learner nor an unknown unit stops the checks.
  const size_t problems_before = problems->size();
  auto fail = [&]() -> Status {
    for (size_t i = problems_before; i < problems->size(); ++i) {
      (*problems)[i] = (*problems)[i].WithPointerPrefix(ptr);
    }
    return (*problems)[problems_before];
  };
  if (!in.learner.empty() && !(new_learners && new_learners->count(in.learner)) &&
      !learners_->Exists(in.learner)) {
    problems->push_back(Status::InvalidArgument(
        Field("/learner"),
        "no learner account '" + in.learner + "'; create it with POST /v1/learners"));
  }
  auto unit = catalog_->GetUnit(in.unit);
  if (!unit.ok()) {
    problems->push_back(
        in.unit.empty()
            ? Status::InvalidArgument(Field("/unit"), "is required")
            : Status::InvalidArgument(Field("/unit"), "no unit '" + in.unit + "' in the catalog"));
    CheckWithoutUnit(in, issuer, scales, today, problems);
    return fail();
  }
  auto recognized = Recognize(in, *unit, issuer, scales, today, problems);
  if (!recognized.ok() || problems->size() > problems_before) return fail();
  Record& rec = recognized.value();
  rec.id = keys::RecordId(issuer.id, in.external_ref);
  LogEntry e;
  e.id = rec.id;
  if (submission.jws.empty()) {
    // The hot path: canonical bytes written directly (equal to the tree path below).
    LCB_ASSIGN_OR_RETURN(e.bytes, RecordEntryCanonical(rec, in, recorded_at, salt_hex, supersedes));
  } else {
    LCB_ASSIGN_OR_RETURN(e.bytes, SignedRecordEntryBytes(rec, in, recorded_at, salt_hex, supersedes,
                                                         submission.jws, submission.body_sha256));
  }
  // The record id is a hash of (issuer, external_ref): it is the idempotency key, and its
  // kUnique row is also how the record is found by id.
  e.unique_key = rec.id;
  e.fingerprint = InputFingerprint(in, supersedes);
  e.conflict_pointer = ptr + "/external_ref";
  e.index_rows = [learner = rec.learner, id = rec.id, issuer = mark_posted ? issuer.id : ""](
                     uint64_t leaf, WriteBatch* batch) {
    batch->Put(Table::kLearnerRecords, keys::OwnerLeaf(learner, leaf), id);
    // The issuer's regime is frozen from now on (CatalogService::PutInstitution).
    if (!issuer.empty()) batch->Put(Table::kCatalog, keys::InstitutionPosted(issuer), "");
  };
  return e;
}

StatusOr<std::vector<LogEntry>> RecordService::Validate(const std::string& issuer_id,
                                                        const std::vector<RecordInput>& inputs,
                                                        bool batch, const Submission& submission,
                                                        BatchErrors* errors,
                                                        const std::unordered_set<std::string>* new_learners) {
  auto issuer = catalog_->GetInstitution(issuer_id);
  if (!issuer.ok()) {
    return Status::FailedPrecondition("institution '" + issuer_id +
                                      "' is not registered in the catalog");
  }
  if (inputs.empty())
    return Status::InvalidArgument(Field("/records"), "no records in the request");
  const Days today = TodayUtc();
  const std::string recorded_at = NowRfc3339();
  const std::string salts = RandomBytes(16 * inputs.size());  // one CSPRNG call per request
  const std::shared_ptr<const GradeScales> scales = catalog_->Scales();
  // The posted mark goes with the fresh entries of every batch until the store has it.
  LCB_ASSIGN_OR_RETURN(const bool posted, catalog_->HasPosted(issuer_id));
  std::vector<LogEntry> entries;
  entries.reserve(inputs.size());
  std::vector<Status> problems;  // of one record; empty while every record recognizes
  size_t rejected = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string ptr = batch ? "/records/" + std::to_string(i) : "";
    auto e = BuildEntry(*issuer, *scales, inputs[i], ptr, "", submission, today, recorded_at,
                        HexEncode(std::string_view(salts).substr(16 * i, 16)), !posted,
                        new_learners, &problems);
    if (!e.ok()) {
      if (problems.empty()) problems.push_back(e.status());  // not the record's: the codec's
      // Every problem of the first kMaxErrorsReported rejected records.
      if (++rejected <= kMaxErrorsReported) {
        std::move(problems.begin(), problems.end(), std::back_inserter(errors->errors));
      }
      problems.clear();
      continue;
    }
    entries.push_back(std::move(e).value());
  }
  if (!errors->empty()) return errors->errors.front();
  return entries;
}

Status RecordService::CheckConflicts(const std::vector<LogEntry>& entries, BatchErrors* errors) {
  // The first record of each key, so that a repeat names it (a registrar has two lines to
  // compare, and a file's route turns the pointer into its line: AddCsvLines).
  std::unordered_map<std::string_view, const LogEntry*> seen;
  for (const LogEntry& e : entries) {
    if (errors->errors.size() >= kMaxErrorsReported) break;
    if (e.unique_key.empty()) continue;
    auto [first, inserted] = seen.emplace(e.unique_key, &e);
    if (!inserted) {
      errors->errors.push_back(Status::AlreadyExists(
          Field(e.conflict_pointer),
          std::string(kPostedTwice) + ": also at " + first->second->conflict_pointer));
      continue;
    }
    LCB_ASSIGN_OR_RETURN(const bool conflict, log_->ledger().ConflictsWithStored(e));
    if (conflict) {
      errors->errors.push_back(Status::AlreadyExists(
          Field(e.conflict_pointer),
          "already used for different content (an idempotency key cannot be reused)"));
    }
  }
  if (!errors->empty()) return errors->errors.front();
  return Status::Ok();
}

Status RecordService::CheckInputConflicts(const std::string& issuer,
                                          const std::vector<RecordInput>& inputs,
                                          BatchErrors* errors) {
  std::vector<LogEntry> probes;
  probes.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].external_ref.empty()) continue;
    LogEntry probe;
    probe.unique_key = keys::RecordId(issuer, inputs[i].external_ref);
    probe.fingerprint = InputFingerprint(inputs[i], "");
    probe.conflict_pointer = "/records/" + std::to_string(i) + "/external_ref";
    probes.push_back(std::move(probe));
  }
  return CheckConflicts(probes, errors);
}

void RecordService::Post(const std::string& issuer, std::vector<RecordInput> inputs, bool batch,
                         const Submission& submission, PostDone done) {
  BatchErrors errors;
  auto entries = Validate(issuer, inputs, batch, submission, &errors);
  if (!entries.ok()) {
    counters_->records_rejected += inputs.size();
    return done(entries.status(), std::move(errors));
  }
  std::vector<std::string> learners;
  learners.reserve(inputs.size());
  for (const auto& in : inputs) learners.push_back(in.learner);
  const size_t n = inputs.size();
  Append(std::move(entries).value(), std::move(learners),
         [this, n, done = std::move(done)](StatusOr<PostOutcome> outcome) {
           if (!outcome.ok()) {
             counters_->records_rejected += n;
             return done(outcome.status(), {});
           }
           for (const PostedRecord& r : outcome->records) {
             if (!r.existed) counters_->records_ingested++;
           }
           done(std::move(outcome), {});
         });
}

void RecordService::Append(std::vector<LogEntry> entries, std::vector<std::string> learners,
                           std::function<void(StatusOr<PostOutcome>)> done) {
  const bool revokes = std::any_of(entries.begin(), entries.end(),
                                   [](const LogEntry& e) { return keys::IsRevocationId(e.id); });
  log_->ledger().Append(
      std::move(entries), [this, revokes, learners = std::move(learners),
                           done = std::move(done)](StatusOr<AppendResult> result) mutable {
        // Durable now (or failed): cached views of these learners are stale either way.
        for (const auto& l : learners) generations_->Touch(l);
        // After Touch: reloads see it. A batch that only adds records needs no mark: the
        // statistics read new records from the log's entries (StatsService::Refresh).
        if (changes_ && revokes) changes_->MarkAll(learners);
        if (revokes) revocation_generation_.fetch_add(1);
        post_([this, done = std::move(done), result = std::move(result)]() mutable {
          if (!result.ok()) return done(result.status());
          done(OutcomeOf(*result, log_->ledger()));
        });
      });
}

Status RecordService::ResolveDerived(Record& record, std::shared_ptr<const GradeScales>* scales) {
  // The common level is derived, not logged: it comes from the issuer's regime, which cannot
  // change once the issuer has posted (CatalogService::PutInstitution). A record whose level
  // does not resolve (an issuer gone from the catalog, or a store older than that rule) stays
  // unresolved and matches on its posted level (RecordMatchLevel).
  auto issuer = catalog_->GetInstitution(record.issuer);
  if (!issuer.ok() || !ResolveCommonLevel(*issuer, &record).ok()) {
    record.common_level = kCommonLevelUnresolved;
  }
  // Passing is derived too: a scale's pass mark never changes once registered (GradeScales
  // refuses to replace a scale). A scale the catalog cannot find even after reading it again is
  // an error, never a guess: a guess would be counted, and stored in the passbook's row.
  std::shared_ptr<const GradeScales> own;
  std::shared_ptr<const GradeScales>& known = scales ? *scales : own;
  if (known == nullptr || known->Find(record.grade_scale) == nullptr) {
    known = catalog_->ScalesKnowing(record.grade_scale);
  }
  if (known == nullptr) {
    return Status::DataLoss("record " + record.id + " is graded on the scale '" +
                            record.grade_scale + "', which the catalog does not hold");
  }
  record.passing = known->IsPassing(record.grade_scale, record.grade);
  return Status::Ok();
}

StatusOr<StoredRecord> RecordService::Read(const std::string& id) {
  auto leaf = log_->ledger().ObjectIndex(id);
  if (!leaf.ok()) {
    if (leaf.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no record '" + id + "'");
    }
    return leaf.status();
  }
  StoredRecord out;
  out.leaf_index = *leaf;
  log_->Reach(*leaf);
  LCB_ASSIGN_OR_RETURN(out.entry_bytes, log_->ledger().Entry(*leaf));
  LCB_ASSIGN_OR_RETURN(out.record, ParseRecordEntry(out.entry_bytes, id, *leaf));
  LCB_RETURN_IF_ERROR(ResolveDerived(out.record));
  Status s = kv_->Get(Table::kStatus, id, &out.revoked_by);
  if (s.ok()) {
    out.record.revoked = true;
  } else if (s.code() != StatusCode::kNotFound) {
    return s;
  }
  return out;
}

void RecordService::Revoke(const std::string& id, const std::string& issuer,
                           const std::string& reason,
                           std::function<void(StatusOr<Revocation>)> done) {
  auto rec = Read(id);
  if (!rec.ok()) return done(rec.status());
  if (rec->record.issuer != issuer) return done(Status::NotFound("no record '" + id + "'"));
  Append({MakeRevocationEntry(id, rec->record.learner, issuer, reason, "")}, {rec->record.learner},
         [this, id, done = std::move(done)](StatusOr<PostOutcome> r) {
           if (!r.ok()) {
             if (r.status().code() == StatusCode::kAlreadyExists) {
               return done(Status::AlreadyExists(
                   Field("/reason"), "record is already revoked (with another reason)"));
             }
             return done(r.status());
           }
           const PostedRecord& o = r->records.front();
           auto receipt = log_->ReceiptFor(o.leaf_index);
           if (!receipt.ok()) return done(receipt.status());
           done(Revocation{o.id, id, std::move(receipt).value()});
         });
}

void RecordService::Correct(const std::string& id, const std::string& issuer_id,
                            RecordInput replacement, const std::string& reason,
                            std::function<void(StatusOr<Correction>, BatchErrors)> done) {
  auto rec = Read(id);
  if (!rec.ok()) return done(rec.status(), {});
  if (rec->record.issuer != issuer_id) return done(Status::NotFound("no record '" + id + "'"), {});
  if (rec->record.revoked) {
    return done(Status::FailedPrecondition("record " + id + " is already revoked"), {});
  }
  auto issuer = catalog_->GetInstitution(issuer_id);
  if (!issuer.ok()) return done(issuer.status(), {});
  if (replacement.external_ref == rec->record.external_ref) {
    return done(Status::InvalidArgument(Field("/record/external_ref"),
                                        "a correction needs a new external_ref"),
                {});
  }
  auto posted = catalog_->HasPosted(issuer_id);
  if (!posted.ok()) return done(posted.status(), {});
  std::vector<Status> problems;
  auto entry =
      BuildEntry(*issuer, *catalog_->Scales(), replacement, "/record", id, Submission{}, TodayUtc(),
                 NowRfc3339(), HexEncode(RandomBytes(16)), !*posted, nullptr, &problems);
  if (!entry.ok()) {
    BatchErrors errors;
    errors.errors = std::move(problems);
    if (errors.empty()) errors.errors.push_back(entry.status());
    return done(entry.status(), std::move(errors));
  }
  std::vector<LogEntry> entries;
  entries.push_back(MakeRevocationEntry(id, rec->record.learner, issuer_id, reason, entry->id));
  entries.push_back(std::move(entry).value());
  Append(std::move(entries), {rec->record.learner, replacement.learner},
         [this, done = std::move(done)](StatusOr<PostOutcome> r) {
           if (!r.ok()) return done(r.status(), {});
           for (const PostedRecord& p : r->records) {
             if (!p.existed) counters_->records_ingested++;
           }
           done(Correction{std::move(r->records[0]), std::move(r->records[1]), r->checkpoint,
                           r->tree_size},
                {});
         });
}

StatusOr<RecordPage> RecordService::List(const std::string& learner, const std::string& cursor,
                                         size_t limit) {
  std::string start = keys::OwnerBegin(learner);
  if (!cursor.empty()) {
    auto raw = HexDecode(cursor);
    if (!raw || raw->size() != 8) {
      return Status::InvalidArgument(Field("/cursor"), "not a cursor from this API");
    }
    start = keys::OwnerLeaf(learner, GetBigEndian64(*raw) + 1);
  }
  std::vector<std::string> ids;
  uint64_t last_leaf = 0;
  bool more = false;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kLearnerRecords, start, keys::OwnerEnd(learner), SIZE_MAX,
                                [&](std::string_view key, std::string_view value) {
                                  if (keys::IsRevocationId(value)) return true;  // not a record
                                  if (ids.size() == limit) {
                                    more = true;
                                    return false;
                                  }
                                  ids.emplace_back(value);
                                  last_leaf = keys::LeafOfOwnerKey(key);
                                  return true;
                                }));
  RecordPage page;
  page.records.reserve(ids.size());
  for (const auto& id : ids) {
    LCB_ASSIGN_OR_RETURN(StoredRecord r, Read(id));
    page.records.push_back(std::move(r));
  }
  if (more) page.next_cursor = HexEncode(BigEndian64(last_leaf));
  return page;
}

Status RecordService::RecordsInEntries(uint64_t from, uint64_t to,
                                       const std::function<void(uint64_t, Record)>& each) {
  std::shared_ptr<const GradeScales> scales;  // one snapshot for the run (ResolveDerived)
  return ForEachLogEntry(*log_, from, to, [&](uint64_t leaf, std::string_view bytes) -> Status {
    if (std::optional<Record> fast = RecordFromEntryFast(bytes)) {
      LCB_RETURN_IF_ERROR(ResolveDerived(*fast, &scales));
      each(leaf, std::move(*fast));
      return Status::Ok();
    }
    const json entry = json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (!entry.is_object() || !entry.contains("type") || entry["type"] != "record") {
      return Status::Ok();
    }
    LCB_ASSIGN_OR_RETURN(Record r, RecordFromEntry(entry));  // parsed once, above
    LCB_RETURN_IF_ERROR(ResolveDerived(r, &scales));
    each(leaf, std::move(r));
    return Status::Ok();
  });
}

std::optional<uint64_t> RecordService::LastLeaf() const {
  const uint64_t size = log_->Size();
  if (size == 0) return std::nullopt;
  return size - 1;
}

Status RecordService::Replay(const std::string& learner, std::optional<uint64_t> after,
                             uint64_t upto, LearnerEvents& sink) {
  const std::string start =
      after ? keys::OwnerLeaf(learner, *after + 1) : keys::OwnerBegin(learner);
  const std::string end = keys::OwnerLeaf(learner, upto + 1);
  std::vector<std::pair<uint64_t, std::string>> events;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kLearnerRecords, start, end, SIZE_MAX,
                                [&](std::string_view key, std::string_view value) {
                                  events.emplace_back(keys::LeafOfOwnerKey(key), value);
                                  return true;
                                }));
  for (auto& [leaf, id] : events) {
    if (keys::IsRevocationId(id)) {
      // From the start, a revocation is in its record's status (below); after a known point,
      // it is an event of its own.
      if (after) LCB_RETURN_IF_ERROR(sink.OnRevocation(keys::RecordOfRevocation(id)));
      continue;
    }
    LCB_ASSIGN_OR_RETURN(StoredRecord r, Read(id));
    if (r.record.revoked) {
      // Revoked after `upto` (or, replaying after a point, at all): the revocation is an event
      // still to come (or coming in this replay), not part of the record's state here.
      auto rev_leaf = log_->ledger().ObjectIndex(r.revoked_by);
      if (after || (rev_leaf.ok() && *rev_leaf > upto)) r.record.revoked = false;
    }
    LCB_RETURN_IF_ERROR(sink.OnRecord(std::move(r.record)));
  }
  return Status::Ok();
}

namespace {

// Applies a learner's events to a list of records.
class RecordListSink : public LearnerEvents {
 public:
  explicit RecordListSink(std::vector<Record>* records) : records_(records) {
    for (size_t i = 0; i < records->size(); ++i) index_[(*records)[i].id] = i;
  }
  Status OnRecord(Record r) override {
    index_[r.id] = records_->size();
    records_->push_back(std::move(r));
    return Status::Ok();
  }
  Status OnRevocation(const std::string& record) override {
    auto it = index_.find(record);
    if (it == index_.end()) return Status::DataLoss("a revocation of an unknown record " + record);
    (*records_)[it->second].revoked = true;
    return Status::Ok();
  }

 private:
  std::vector<Record>* records_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace

StatusOr<std::shared_ptr<const std::vector<Record>>> RecordService::AllRecords(
    const std::string& learner) {
  const uint64_t generation = generations_->Of(learner);
  CachedRecords cached;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(learner);
    if (it != cache_.end()) {
      if (it->second.generation == generation) return it->second.records;
      cached = it->second;
    }
  }
  // Catch up from what is cached: only the events after it are read.
  const std::optional<uint64_t> upto = LastLeaf();
  auto records = std::make_shared<std::vector<Record>>();
  if (upto) {
    if (cached.records) *records = *cached.records;
    RecordListSink sink(records.get());
    LCB_RETURN_IF_ERROR(
        Replay(learner, cached.records ? cached.watermark : std::nullopt, *upto, sink));
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.size() >= kMaxCachedLearners) cache_.clear();
  CachedRecords& slot = cache_[learner];
  if (!slot.records || slot.generation != generation) {
    slot = CachedRecords{generation, upto, records};
  }
  return std::shared_ptr<const std::vector<Record>>(records);
}

}  // namespace lcb
