#include "service/passbook.h"

#include "codec/rows.h"
#include "storage/keys.h"

namespace lcb {
namespace {

// Applies a learner's events to running totals; revocations need the revoked record's fields.
class TotalsSink : public LearnerEvents {
 public:
  TotalsSink(PassbookTotals* totals, RecordService* records) : totals_(totals), records_(records) {}
  Status OnRecord(Record r) override {
    ++events_;
    if (r.revoked) {
      totals_->AddRevoked();
    } else {
      totals_->Add(r);
    }
    return Status::Ok();
  }
  Status OnRevocation(const std::string& record) override {
    ++events_;
    LCB_ASSIGN_OR_RETURN(StoredRecord stored, records_->Read(record));
    totals_->Revoke(stored.record);
    return Status::Ok();
  }
  uint64_t events() const { return events_; }

 private:
  PassbookTotals* totals_;
  RecordService* records_;
  uint64_t events_ = 0;
};

}  // namespace

std::shared_ptr<PassbookService::Entry> PassbookService::EntryOf(const std::string& learner) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = cache_[learner];
  if (!slot) {
    if (cache_.size() > kMaxCached) {
      cache_.clear();
      return cache_[learner] = std::make_shared<Entry>();
    }
    slot = std::make_shared<Entry>();
  }
  return slot;
}

void PassbookService::DropCache() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
}

void PassbookService::PersistAll() {
  std::vector<std::pair<std::string, std::shared_ptr<Entry>>> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries.assign(cache_.begin(), cache_.end());
  }
  for (auto& [learner, entry] : entries) {
    std::lock_guard<std::mutex> lock(entry->mu);
    if (entry->watermark && entry->unpersisted_events > 0) Persist(learner, *entry);
  }
}

void PassbookService::LoadStored(const std::string& learner, Entry& e) {
  e.loaded = true;
  std::string row;
  if (!kv_->Get(Table::kLearners, keys::LearnerPassbook(learner), &row).ok()) return;
  uint64_t watermark = 0;
  auto totals = DecodePassbookRow(row, &watermark);
  if (!totals.ok()) return;  // a cache: rebuilt from the records
  e.totals = std::move(totals).value();
  e.watermark = e.persisted = watermark;
}

void PassbookService::Persist(const std::string& learner, Entry& e) {
  // Not synced: the row is a cache, and a lost write only means a longer catch-up next time.
  WriteBatch batch;
  batch.Put(Table::kLearners, keys::LearnerPassbook(learner),
            EncodePassbookRow(*e.watermark, e.totals));
  if (kv_->Write(batch, /*sync=*/false).ok()) {
    e.persisted = e.watermark;
    e.unpersisted_events = 0;
  }
}

Status PassbookService::CatchUp(const std::string& learner, Entry& e) {
  if (!e.loaded) LoadStored(learner, e);
  const std::optional<uint64_t> upto = records_->LastLeaf();
  if (!upto || (e.watermark && *e.watermark >= *upto)) return Status::Ok();
  const bool full = !e.watermark;
  PassbookTotals next_if_full;
  PassbookTotals& target = full ? next_if_full : e.totals;
  TotalsSink sink(&target, records_);
  Status replayed = records_->Replay(learner, e.watermark, *upto, sink);
  if (!replayed.ok()) {
    // A partial catch-up left the totals unknown: start over next time.
    e.loaded = false;
    e.watermark.reset();
    e.persisted.reset();
    e.unpersisted_events = 0;
    e.totals = PassbookTotals{};
    e.passbook.reset();
    return replayed;
  }
  if (full) e.totals = std::move(next_if_full);
  e.watermark = upto;
  // Events of other learners move the watermark too, but cost this learner's replay nothing
  // (an empty key range): only the learner's own events count toward a new stored row.
  e.unpersisted_events += sink.events();
  if (full || !e.persisted || e.unpersisted_events >= kPersistEvery) Persist(learner, e);
  return Status::Ok();
}

StatusOr<PassbookView> PassbookService::Get(const std::string& learner, Days today) {
  if (!learners_->Exists(learner)) return Status::NotFound("no learner '" + learner + "'");
  std::shared_ptr<Entry> entry = EntryOf(learner);
  std::lock_guard<std::mutex> lock(entry->mu);
  const uint64_t generation = generations_->Of(learner);
  if (entry->passbook && entry->generation == generation && entry->as_of == today) {
    return PassbookView{entry->passbook, today, generation};
  }
  if (!entry->passbook || entry->generation != generation) {
    LCB_RETURN_IF_ERROR(CatchUp(learner, *entry));
  }
  entry->generation = generation;
  entry->as_of = today;
  entry->passbook = std::make_shared<const Passbook>(entry->totals.At(today));
  return PassbookView{entry->passbook, today, generation};
}

}  // namespace lcb
