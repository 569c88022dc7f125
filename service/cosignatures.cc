#include "service/cosignatures.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include "codec/rows.h"
#include "common/date.h"
#include "crypto/checkpoint.h"
#include "storage/keys.h"

namespace lcb {
namespace {

// The tree size of a signed note and its text (without signature lines).
StatusOr<uint64_t> NoteSize(const std::string& note, std::string* text) {
  LCB_ASSIGN_OR_RETURN(NoteParts parts, SplitNote(note));
  LCB_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointBody(parts.text));
  *text = std::move(parts.text);
  return cp.size;
}

// Printable ASCII only, cut to `max` bytes: the text comes partly from the witness (a
// response body) and ends up in JSON and logs.
std::string CleanError(const std::string& error, size_t max) {
  std::string out = error.substr(0, max);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = u >= 0x80 ? '?' : ' ';
  }
  return out;
}

}  // namespace

void CosignedCheckpoints::Configure(std::vector<Cosigner> witnesses, size_t quorum, Kv* kv) {
  std::lock_guard<std::mutex> lock(mu_);
  witnesses_ = std::move(witnesses);
  quorum_ = quorum;
  kv_ = kv;
  peers_.clear();
  for (const Cosigner& w : witnesses_) {
    WitnessPeerHealth p;
    p.name = w.name;
    peers_.push_back(std::move(p));
  }
}

bool CosignedCheckpoints::enabled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !witnesses_.empty();
}

size_t CosignedCheckpoints::quorum() const {
  std::lock_guard<std::mutex> lock(mu_);
  return quorum_;
}

WitnessPeerHealth* CosignedCheckpoints::PeerLocked(const std::string& name) {
  for (WitnessPeerHealth& p : peers_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

void CosignedCheckpoints::AddLocked(const std::string& note, uint64_t size,
                                    const std::string& witness, const std::string& line,
                                    int64_t when_ms) {
  Entry& e = by_size_[size];
  if (e.note != note) {  // a new checkpoint of that size (a restarted log): start again
    e.note = note;
    e.lines.clear();
  }
  e.lines[witness] = line;
  while (by_size_.size() > kKept) by_size_.erase(by_size_.begin());
  if (WitnessPeerHealth* p = PeerLocked(witness); p && size >= p->cosigned_size) {
    p->cosigned_size = size;
    p->last_success_ms = std::max(p->last_success_ms, when_ms);
  }
}

Status CosignedCheckpoints::Add(const std::string& note, uint64_t size, const std::string& witness,
                                const std::string& line) {
  std::lock_guard<std::mutex> persist(persist_mu_);
  std::string kept;
  Kv* kv = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    AddLocked(note, size, witness, line, NowMillis());
    if (kv_) kept = EncodeKeptLocked();
    kv = kv_;
  }
  if (!kv) return Status::Ok();
  WriteBatch batch;
  batch.Put(Table::kMeta, keys::kMetaWitnessCosignatures, kept);
  return kv->Write(batch, /*sync=*/false);
}

void CosignedCheckpoints::RecordFailure(const std::string& witness, const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  WitnessPeerHealth* p = PeerLocked(witness);
  if (!p) return;
  ++p->failures;
  p->last_error_ms = NowMillis();
  p->last_error = CleanError(error, kMaxErrorBytes);
}

const CosignedCheckpoints::Sized* CosignedCheckpoints::QuorumEntryLocked(
    uint64_t latest_size) const {
  for (auto it = by_size_.rbegin(); it != by_size_.rend(); ++it) {
    if (it->first <= latest_size && it->second.lines.size() >= std::max<size_t>(quorum_, 1)) {
      return &*it;
    }
  }
  return nullptr;
}

// The newest entry with a quorum and each witness's newest entry, oldest first.
std::string CosignedCheckpoints::EncodeKeptLocked() const {
  std::set<uint64_t> sizes;
  if (const Sized* q = QuorumEntryLocked(UINT64_MAX); q && quorum_ > 0) sizes.insert(q->first);
  for (const Cosigner& w : witnesses_) {
    for (auto it = by_size_.rbegin(); it != by_size_.rend(); ++it) {
      if (it->second.lines.count(w.name)) {
        sizes.insert(it->first);
        break;
      }
    }
  }
  std::vector<CosignedNoteRow> rows;
  for (uint64_t size : sizes) {
    const Entry& e = by_size_.at(size);
    rows.push_back(CosignedNoteRow{e.note, e.lines});
  }
  return EncodeCosignedNoteRows(rows);
}

StatusOr<CosignaturesRestored> CosignedCheckpoints::Restore(
    const std::function<StatusOr<std::string>(uint64_t)>& checkpoint_at) {
  std::lock_guard<std::mutex> persist(persist_mu_);
  Kv* kv;
  {
    std::lock_guard<std::mutex> lock(mu_);
    kv = kv_;
  }
  CosignaturesRestored out;
  if (!kv) return out;
  std::string stored;
  Status s = kv->Get(Table::kMeta, keys::kMetaWitnessCosignatures, &stored);
  if (s.code() == StatusCode::kNotFound) return out;
  LCB_RETURN_IF_ERROR(s);
  // A follower calls this every poll: a row it has already read back entirely is not
  // verified again.
  if (stored == restored_row_) return out;
  LCB_ASSIGN_OR_RETURN(std::vector<CosignedNoteRow> rows, DecodeCosignedNoteRows(stored));
  for (CosignedNoteRow& row : rows) {
    std::string text;
    auto size = NoteSize(row.note, &text);
    StatusOr<std::string> signed_note = Status::NotFound("not a checkpoint");
    if (size.ok()) signed_note = checkpoint_at(*size);
    if (!signed_note.ok() || *signed_note != row.note) {
      out.dropped += row.lines.size();  // not a checkpoint this log signed
      continue;
    }
    const size_t kept = RestoreEntry(row, *size, text);
    out.lines += kept;
    out.dropped += row.lines.size() - kept;
  }
  // Rows with a note this node has not followed to yet are read again next time.
  restored_row_ = out.dropped == 0 ? stored : std::string();
  return out;
}

// Adds the lines of `stored` that verify with a configured witness's key; how many.
size_t CosignedCheckpoints::RestoreEntry(const CosignedNoteRow& stored, uint64_t size,
                                         const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t kept = 0;
  for (const auto& [name, line] : stored.lines) {
    for (const Cosigner& w : witnesses_) {
      if (w.name != name) continue;
      auto timestamp = VerifyCosignatureLine(line, text, w);
      if (!timestamp.ok()) break;
      AddLocked(stored.note, size, name, line, static_cast<int64_t>(*timestamp) * 1000);
      ++kept;
    }
  }
  return kept;
}

std::string CosignedCheckpoints::WithLines(const Entry& e) {
  std::string out = e.note;
  for (const auto& [name, line] : e.lines) out += line;
  return out;
}

std::string CosignedCheckpoints::Served(const std::string& latest, uint64_t latest_size) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (witnesses_.empty()) return latest;
  if (quorum_ == 0) {
    auto it = by_size_.find(latest_size);
    return it != by_size_.end() && it->second.note == latest ? WithLines(it->second) : latest;
  }
  const Sized* e = QuorumEntryLocked(latest_size);
  return e ? WithLines(e->second) : latest;
}

std::string CosignedCheckpoints::Target(const std::string& witness, uint64_t min_size) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = by_size_.rbegin(); it != by_size_.rend() && it->first > min_size; ++it) {
    if (!it->second.lines.empty() && it->second.lines.count(witness) == 0) return it->second.note;
  }
  return "";
}

std::string CosignedCheckpoints::LastCosigned(const std::string& witness) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = by_size_.rbegin(); it != by_size_.rend(); ++it) {
    if (it->second.lines.count(witness)) return it->second.note;
  }
  return "";
}

size_t CosignedCheckpoints::CountAt(uint64_t size) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_size_.find(size);
  return it == by_size_.end() ? 0 : it->second.lines.size();
}

WitnessHealth CosignedCheckpoints::Health(uint64_t latest_size) const {
  std::lock_guard<std::mutex> lock(mu_);
  WitnessHealth h;
  h.quorum = quorum_;
  h.witnesses = peers_;
  if (quorum_ == 0) {
    auto it = by_size_.find(latest_size);
    h.cosigned_size = it != by_size_.end() && !it->second.lines.empty() ? latest_size : 0;
    h.quorum_met = true;
    return h;
  }
  if (const Sized* q = QuorumEntryLocked(latest_size)) {
    h.cosigned_size = q->first;
    h.quorum_met = true;
  }
  return h;
}

}  // namespace lcb
