#include "storage/ledger.h"

#include <pthread.h>

#include <array>
#include <future>
#include <shared_mutex>
#include <unordered_map>

#include "common/date.h"
#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"

namespace lcb {
namespace {

constexpr std::string_view kMetaTreeSize = "tree_size";
constexpr std::string_view kMetaCheckpoint = "checkpoint";
// Largest number of entries one commit group takes, so one group's batch stays bounded.
constexpr size_t kMaxGroupEntries = 20000;

// (level, index) packed into one integer key for the node cache.
uint64_t PackedNode(int level, uint64_t index) {
  return (static_cast<uint64_t>(level) << 58) | index;
}

}  // namespace

class Ledger::NodeCache {
 public:
  bool Get(int level, uint64_t index, Hash* out) {
    std::shared_lock lock(mu_);
    auto it = map_.find(PackedNode(level, index));
    if (it == map_.end()) return false;
    *out = it->second;
    return true;
  }
  void Put(int level, uint64_t index, const Hash& h) {
    std::unique_lock lock(mu_);
    if (map_.size() >= Ledger::kMaxCachedNodes) return;
    map_.emplace(PackedNode(level, index), h);
  }

 private:
  std::shared_mutex mu_;
  std::unordered_map<uint64_t, Hash> map_;
};

// The frontier before a group plus the nodes the group completed: every node an inclusion
// proof for the group's new entries needs, in memory. At each level these are contiguous (the
// frontier's node there, if any, is the one just before the first node the group completed),
// so each level is a run of hashes from a base index and a proof's reads are array lookups.
class GroupNodes final : public NodeReader {
 public:
  // Nodes arrive in that order: the frontier's, then the group's in completion order. A node
  // out of order would be a bug; it makes every read fail (the group is then refused by its
  // consistency check) rather than answer a wrong hash.
  void Add(const StoredNode& n) {
    Level& l = levels_[static_cast<size_t>(n.level)];
    if (l.hashes.empty()) l.base = n.index;
    if (n.index != l.base + l.hashes.size()) broken_ = true;
    l.hashes.push_back(n.hash);
  }
  StatusOr<Hash> Node(int level, uint64_t index) override {
    if (!broken_ && level >= 0 && level < kLevels) {
      const Level& l = levels_[static_cast<size_t>(level)];
      if (index >= l.base && index - l.base < l.hashes.size()) return l.hashes[index - l.base];
    }
    return Status::Internal("commit group node not in memory");
  }

 private:
  static constexpr int kLevels = 64;
  struct Level {
    uint64_t base = 0;
    std::vector<Hash> hashes;
  };
  std::array<Level, kLevels> levels_;
  bool broken_ = false;
};

namespace {

// Reads complete-subtree hashes from the store. Upper levels go through the ledger's in-memory
// cache.
class StoreNodeReader final : public NodeReader {
 public:
  explicit StoreNodeReader(Kv* kv, Ledger::NodeCache* cache = nullptr) : kv_(kv), cache_(cache) {}
  StatusOr<Hash> Node(int level, uint64_t index) override {
    Hash cached;
    if (cache_ && level >= Ledger::kCachedLevel && cache_->Get(level, index, &cached)) {
      return cached;
    }
    std::string key = Ledger::NodeKey(level, index);
    std::string value;
    Status s = kv_->Get(Table::kLogNodes, key, &value);
    if (s.code() == StatusCode::kNotFound) {
      return Status::DataLoss("log node " + std::to_string(level) + "/" + std::to_string(index) +
                              " is missing from the store");
    }
    LCB_RETURN_IF_ERROR(s);
    if (value.size() != 32) return Status::DataLoss("log node has a wrong size");
    Hash h;
    std::copy(value.begin(), value.end(), h.begin());
    if (cache_ && level >= Ledger::kCachedLevel) cache_->Put(level, index, h);
    return h;
  }

 private:
  Kv* kv_;
  Ledger::NodeCache* cache_;
};

std::string UniqueValue(uint64_t leaf, std::string_view fingerprint, std::string_view id) {
  std::string v = BigEndian64(leaf);
  v.append(fingerprint);
  v.resize(8 + 32, '\0');
  v.append(id);
  return v;
}

}  // namespace

// Post-order number: appending leaf c-1 completes the nodes (l, c/2^l - 1) for l = 0..tz(c),
// and 2(c-1) - popcount(c-1) nodes were completed before it.
std::string Ledger::NodeKey(int level, uint64_t index) {
  const uint64_t before = ((index + 1) << level) - 1;
  const uint64_t number = 2 * before - static_cast<uint64_t>(__builtin_popcountll(before)) +
                          static_cast<uint64_t>(level);
  return BigEndian64(number);
}

void AppendResult::FillProofs() {
  if (!nodes) return;
  std::vector<uint64_t> leaves;
  std::vector<EntryOutcome*> targets;
  for (EntryOutcome& o : entries) {
    if (o.existed || !o.inclusion_proof.empty()) continue;
    leaves.push_back(o.leaf_index);
    targets.push_back(&o);
  }
  auto proofs = ::lcb::InclusionProofs(leaves, tree_size, *nodes);
  if (!proofs.ok()) return;  // callers fall back to proofs from the store
  for (size_t i = 0; i < targets.size(); ++i) targets[i]->inclusion_proof = std::move((*proofs)[i]);
}

Ledger::Ledger(Kv* kv, std::shared_ptr<const Ed25519Key> key, std::string origin)
    : kv_(kv), key_(std::move(key)), origin_(std::move(origin)),
      node_cache_(std::make_unique<NodeCache>()) {}

StatusOr<std::unique_ptr<Ledger>> Ledger::Open(Kv* kv, std::shared_ptr<const Ed25519Key> key,
                                               std::string origin) {
  std::unique_ptr<Ledger> ledger(new Ledger(kv, std::move(key), std::move(origin)));
  std::string value;
  uint64_t size = 0;
  Status s = kv->Get(Table::kMeta, kMetaTreeSize, &value);
  if (s.ok()) {
    if (value.size() != 8) return Status::DataLoss("stored tree size is corrupt");
    size = GetBigEndian64(value);
  } else if (s.code() != StatusCode::kNotFound) {
    return s;
  }
  StoreNodeReader reader(kv);
  LCB_ASSIGN_OR_RETURN(ledger->frontier_, Frontier::Load(size, reader));
  if (size > 0) {
    LCB_RETURN_IF_ERROR(kv->Get(Table::kMeta, kMetaCheckpoint, &ledger->checkpoint_));
    // The stored tree must match the last signed checkpoint: a restart never replays the log,
    // so this is where a damaged or rewritten tree is caught.
    std::string body = ledger->checkpoint_.substr(0, ledger->checkpoint_.find("\n\n") + 1);
    LCB_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointBody(body));
    if (cp.size != size || cp.root != ledger->frontier_.Root()) {
      return Status::DataLoss("stored log tree does not match the latest signed checkpoint");
    }
    if (cp.origin != ledger->origin_) {
      return Status::FailedPrecondition("the store's log origin is '" + cp.origin +
                                        "', configuration says '" + ledger->origin_ + "'");
    }
  }
  ledger->size_ = size;
  ledger->committer_ = std::thread([l = ledger.get()] { l->Run(); });
  return ledger;
}

Ledger::~Ledger() { Stop(); }

void Ledger::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !committer_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (committer_.joinable()) committer_.join();
}

void Ledger::Append(std::vector<LogEntry> entries, Callback done) {
  for (LogEntry& e : entries) e.leaf_hash = LeafHash(e.bytes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(Request{std::move(entries), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(Status::Unavailable("the log is shutting down"));
}

StatusOr<AppendResult> Ledger::AppendSync(std::vector<LogEntry> entries) {
  std::promise<StatusOr<AppendResult>> promise;
  auto future = promise.get_future();
  Append(std::move(entries),
         [&promise](StatusOr<AppendResult> r) { promise.set_value(std::move(r)); });
  StatusOr<AppendResult> result = future.get();
  if (result.ok()) result->FillProofs();
  return result;
}

// The unique keys of one prepared group, kept by the preparer until the writer has written the
// group: later groups resolve idempotency against them.
struct Ledger::Unwritten {
  struct Pending {
    std::string fingerprint;  // 32 bytes
    std::string id;
    uint64_t leaf;
  };
  uint64_t seq = 0;
  std::unordered_map<std::string, Pending> unique;
};

struct Ledger::PreparedGroup {
  uint64_t seq = 0;
  uint64_t epoch = 0;
  std::vector<Request> requests;
  std::vector<StatusOr<AppendResult>> results;  // per request; errors are final
  WriteBatch batch;
  bool any_new = false;
  Status status;      // a preparation failure (the preparer already rewound)
  Frontier before;    // the tree before this group
  uint64_t new_size = 0;
  std::string note;   // the signed checkpoint of new_size
  std::shared_ptr<GroupNodes> nodes;
};

void Ledger::Run() {
  pthread_setname_np(pthread_self(), "cb-log-prepare");
  writer_ = std::thread([this] { WriteLoop(); });
  for (;;) {
    {
      // Prepare only when the writer has taken the previous group: requests that arrive while
      // both threads are busy join the next group instead of making many small ones.
      std::unique_lock<std::mutex> lock(pipe_mu_);
      pipe_cv_.wait(lock, [&] { return slot_ == nullptr; });
    }
    std::vector<Request> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) break;
      size_t taken = 0;
      while (!queue_.empty() && (group.empty() || taken + queue_.front().entries.size() <=
                                                      kMaxGroupEntries)) {
        taken += queue_.front().entries.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    {
      // Just before preparing (the wait for requests may have been long): forget what the
      // writer has written (the store has it now), or rewind after a failed write.
      std::lock_guard<std::mutex> lock(pipe_mu_);
      if (write_epoch_ != epoch_) {
        epoch_ = write_epoch_;
        frontier_ = rewind_;
        unwritten_.clear();
      }
      while (!unwritten_.empty() && unwritten_.front()->seq <= written_seq_) {
        unwritten_.pop_front();
      }
    }
    std::unique_ptr<PreparedGroup> prepared = Prepare(std::move(group));
    {
      std::lock_guard<std::mutex> lock(pipe_mu_);
      slot_ = std::move(prepared);
    }
    pipe_cv_.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(pipe_mu_);
    preparer_done_ = true;
  }
  pipe_cv_.notify_all();
  writer_.join();
}

void Ledger::WriteLoop() {
  pthread_setname_np(pthread_self(), "cb-log-writer");
  for (;;) {
    std::unique_ptr<PreparedGroup> g;
    uint64_t epoch = 0;
    {
      std::unique_lock<std::mutex> lock(pipe_mu_);
      pipe_cv_.wait(lock, [&] { return slot_ != nullptr || preparer_done_; });
      if (slot_ == nullptr) return;
      g = std::move(slot_);
      epoch = write_epoch_;
    }
    pipe_cv_.notify_all();  // the slot is free: the preparer takes the next group
    Status status = g->status;
    bool stale = g->epoch != epoch;
    if (stale) {
      // Prepared on top of a group whose write failed: its tree will never exist.
      status = Status::Unavailable("log write failed: an earlier commit group could not be written");
    } else if (g->any_new && status.ok()) {
      status = kv_->Write(g->batch, /*sync=*/true);
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(pipe_mu_);
        write_epoch_++;
        rewind_ = g->before;
      }
    }
    Finish(*g, status, stale);
    {
      std::lock_guard<std::mutex> lock(pipe_mu_);
      written_seq_ = g->seq;
    }
  }
}

std::unique_ptr<Ledger::PreparedGroup> Ledger::Prepare(std::vector<Request> group) {
  auto g = std::make_unique<PreparedGroup>();
  g->seq = ++next_seq_;
  g->epoch = epoch_;
  g->requests = std::move(group);
  g->results.reserve(g->requests.size());
  g->before = frontier_;
  auto unwritten = std::make_shared<Unwritten>();
  unwritten->seq = g->seq;
  g->nodes = std::make_shared<GroupNodes>();
  for (const StoredNode& n : g->before.Nodes()) g->nodes->Add(n);
  std::vector<StoredNode> nodes;

  // Idempotency outcome of a unique key: this group, then the unwritten groups (newest first),
  // then the store.
  auto lookup = [&](const std::string& key, Unwritten::Pending* out) -> StatusOr<bool> {
    if (auto it = unwritten->unique.find(key); it != unwritten->unique.end()) {
      *out = it->second;
      return true;
    }
    for (auto u = unwritten_.rbegin(); u != unwritten_.rend(); ++u) {
      if (auto it = (*u)->unique.find(key); it != (*u)->unique.end()) {
        *out = it->second;
        return true;
      }
    }
    std::string value;
    Status s = kv_->Get(Table::kUnique, key, &value);
    if (s.code() == StatusCode::kNotFound) return false;
    LCB_RETURN_IF_ERROR(s);
    if (value.size() < 40) return Status::DataLoss("idempotency row is corrupt");
    out->leaf = GetBigEndian64(value);
    out->fingerprint = value.substr(8, 32);
    out->id = value.substr(40);
    return true;
  };

  for (Request& req : g->requests) {
    // Pass 1: resolve idempotency for every entry before touching the tree, so a conflicting
    // request leaves no trace.
    std::vector<EntryOutcome> outcomes(req.entries.size());
    std::vector<bool> fresh(req.entries.size(), true);
    std::unordered_map<std::string_view, size_t> in_request;
    Status failed;
    for (size_t i = 0; i < req.entries.size() && failed.ok(); ++i) {
      const LogEntry& e = req.entries[i];
      if (e.unique_key.empty()) continue;
      if (!in_request.emplace(e.unique_key, i).second) {
        failed = Status::AlreadyExists(Field(e.conflict_pointer), "posted twice in one request");
        break;
      }
      Unwritten::Pending found;
      StatusOr<bool> exists = lookup(e.unique_key, &found);
      if (!exists.ok()) {
        failed = exists.status();
        break;
      }
      if (!*exists) continue;
      std::string want = e.fingerprint;
      want.resize(32, '\0');
      if (found.fingerprint != want) {
        failed = Status::AlreadyExists(
            Field(e.conflict_pointer),
            "already used for different content (an idempotency key cannot be reused)");
        break;
      }
      fresh[i] = false;
      outcomes[i] = EntryOutcome{found.id, found.leaf, true, {}};
    }
    if (!failed.ok()) {
      g->results.emplace_back(failed);
      continue;
    }
    // Pass 2: append the fresh entries.
    for (size_t i = 0; i < req.entries.size(); ++i) {
      if (!fresh[i]) continue;
      LogEntry& e = req.entries[i];
      uint64_t leaf = frontier_.size();
      nodes.clear();
      frontier_.Append(e.leaf_hash, &nodes);
      for (const StoredNode& n : nodes) {
        g->batch.Put(Table::kLogNodes, NodeKey(n.level, n.index),
                     std::string_view(reinterpret_cast<const char*>(n.hash.data()), n.hash.size()));
        g->nodes->Add(n);
      }
      g->batch.Put(Table::kLogLeaves, BigEndian64(leaf), e.bytes);
      if (!e.id.empty() && e.id != e.unique_key) {
        g->batch.Put(Table::kObjects, e.id, BigEndian64(leaf));
      }
      if (!e.unique_key.empty()) {
        g->batch.Put(Table::kUnique, e.unique_key, UniqueValue(leaf, e.fingerprint, e.id));
        std::string fp = e.fingerprint;
        fp.resize(32, '\0');
        unwritten->unique[e.unique_key] = Unwritten::Pending{std::move(fp), e.id, leaf};
      }
      if (e.index_rows) e.index_rows(leaf, &g->batch);
      outcomes[i] = EntryOutcome{e.id, leaf, false, {}};
      g->any_new = true;
    }
    g->results.emplace_back(AppendResult{std::move(outcomes), {}, 0, nullptr});
  }

  g->new_size = frontier_.size();
  if (!g->any_new) return g;
  uint64_t old_size = g->before.size();
  // Refuse to sign a tree that is not an extension of the previous checkpoint. The proof needs
  // only the old frontier and the nodes this group completed, both in g->nodes.
  if (old_size > 0) {
    StatusOr<std::vector<Hash>> p = ::lcb::ConsistencyProof(old_size, g->new_size, *g->nodes);
    g->status = p.ok() ? VerifyConsistency(old_size, g->new_size, g->before.Root(),
                                           frontier_.Root(), *p)
                       : p.status();
  }
  if (!g->status.ok()) {
    frontier_ = g->before;  // nothing of this group is written; the next builds on `before`
    g->new_size = old_size;
    return g;
  }
  Checkpoint cp{origin_, g->new_size, frontier_.Root(), {}};
  g->note = SignNote(FormatCheckpointBody(cp), origin_, *key_);
  g->batch.Put(Table::kCheckpoints, BigEndian64(g->new_size), g->note);
  g->batch.Put(Table::kMeta, kMetaCheckpoint, g->note);
  g->batch.Put(Table::kMeta, kMetaTreeSize, BigEndian64(g->new_size));
  // Fencing (kv.h): the group is written only if the head is still where this writer left it.
  g->batch.MoveLogHead(old_size, g->new_size);
  unwritten_.push_back(std::move(unwritten));
  return g;
}

// Publishes a written group (tree size and checkpoint) and answers its requests, on the writer
// thread. `fail_all`: the group was prepared on a tree that will never exist, so even its
// retries' outcomes may name entries that were never written.
void Ledger::Finish(PreparedGroup& g, Status write_status, bool fail_all) {
  const bool written = g.any_new && write_status.ok() && !fail_all;
  std::string latest;
  uint64_t new_size = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (written) {
      size_ = g.new_size;
      checkpoint_ = g.note;
      stats_.groups++;
      for (const auto& r : g.results) {
        if (!r.ok()) continue;
        for (const auto& o : r->entries) stats_.entries += o.existed ? 0 : 1;
      }
      stats_.last_checkpoint_millis = NowMillis();
    }
    // Writes that were attempted and failed; a group failed only because an earlier one did
    // (fail_all) was never written.
    if (!write_status.ok() && g.any_new && !fail_all) stats_.failed_writes++;
    stats_.requests += g.requests.size();
    latest = checkpoint_;
    new_size = size_;
  }
  for (size_t r = 0; r < g.requests.size(); ++r) {
    StatusOr<AppendResult>& result = g.results[r];
    if (!result.ok()) {
      g.requests[r].done(fail_all ? write_status : result.status());
      continue;
    }
    if (!write_status.ok()) {
      // Failed too: a request with new entries, and a retry of an entry this group would have
      // written (its leaf is beyond the tree that exists).
      bool unwritten = fail_all;
      for (const auto& o : result->entries) {
        unwritten |= !o.existed || o.leaf_index >= g.before.size();
      }
      if (unwritten) {
        g.requests[r].done(write_status.code() == StatusCode::kUnavailable
                               ? write_status
                               : Status::Unavailable("log write failed: " + write_status.message()));
        continue;
      }
    }
    // Receipts' proofs come from these nodes in memory (AppendResult::FillProofs, on the
    // caller's side): the store would need O(log n) reads per record.
    if (written) result->nodes = g.nodes;
    result->checkpoint = latest;
    result->tree_size = new_size;
    g.requests[r].done(std::move(result));
  }
}

uint64_t Ledger::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_;
}

std::string Ledger::LatestCheckpoint() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checkpoint_;
}

LedgerStats Ledger::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

StatusOr<Hash> Ledger::LeafHashAt(uint64_t index) {
  if (index >= Size()) return Status::NotFound("leaf index beyond the tree size");
  StoreNodeReader reader(kv_);
  return reader.Node(0, index);
}

StatusOr<std::string> Ledger::Entry(uint64_t index) {
  if (index >= Size()) return Status::NotFound("leaf index beyond the tree size");
  std::string bytes;
  Status s = kv_->Get(Table::kLogLeaves, BigEndian64(index), &bytes);
  if (s.code() == StatusCode::kNotFound) {
    return Status::DataLoss("log entry " + std::to_string(index) + " is missing");
  }
  LCB_RETURN_IF_ERROR(s);
  LCB_ASSIGN_OR_RETURN(Hash stored, LeafHashAt(index));
  if (LeafHash(bytes) != stored) {
    return Status::DataLoss("log entry " + std::to_string(index) +
                            " does not match its leaf hash: the store was altered");
  }
  return bytes;
}

StatusOr<std::vector<Hash>> Ledger::InclusionProof(uint64_t index, uint64_t size) {
  if (size > Size()) return Status::InvalidArgument(Field("/size"), "beyond the current tree size");
  if (index >= size) return Status::InvalidArgument(Field("/index"), "must be less than size");
  StoreNodeReader reader(kv_, node_cache_.get());
  return ::lcb::InclusionProof(index, size, reader);
}

StatusOr<std::vector<Hash>> Ledger::ConsistencyProof(uint64_t first, uint64_t second) {
  if (second > Size())
    return Status::InvalidArgument(Field("/second"), "beyond the current tree size");
  if (first > second) return Status::InvalidArgument(Field("/first"), "must not exceed second");
  StoreNodeReader reader(kv_, node_cache_.get());
  return ::lcb::ConsistencyProof(first, second, reader);
}

StatusOr<Hash> Ledger::RootAt(uint64_t size) {
  if (size > Size()) return Status::InvalidArgument(Field("/size"), "beyond the current tree size");
  StoreNodeReader reader(kv_, node_cache_.get());
  return ::lcb::RootAt(size, reader);
}

StatusOr<std::string> Ledger::CheckpointAt(uint64_t size) {
  std::string note;
  Status s = kv_->Get(Table::kCheckpoints, BigEndian64(size), &note);
  if (s.code() == StatusCode::kNotFound) {
    return Status::NotFound("no checkpoint was signed at size " + std::to_string(size));
  }
  LCB_RETURN_IF_ERROR(s);
  return note;
}

StatusOr<uint64_t> Ledger::ObjectIndex(std::string_view id) {
  std::string value;
  // Entries whose unique key is their id (records) are found through their kUnique row.
  Status unique = kv_->Get(Table::kUnique, id, &value);
  if (unique.ok() && value.size() >= 40 && std::string_view(value).substr(40) == id) {
    return GetBigEndian64(value);
  }
  if (!unique.ok() && unique.code() != StatusCode::kNotFound) return unique;
  LCB_RETURN_IF_ERROR(kv_->Get(Table::kObjects, id, &value));
  if (value.size() != 8) return Status::DataLoss("object index row is corrupt");
  return GetBigEndian64(value);
}

Status Ledger::VerifyAll() {
  uint64_t size = Size();
  MemoryTree tree;
  Status status;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kLogLeaves, "", "", size,
                                [&](std::string_view key, std::string_view value) {
                                  if (GetBigEndian64(key) != tree.size()) {
                                    status = Status::DataLoss("log leaves are not contiguous");
                                    return false;
                                  }
                                  tree.Append(LeafHash(value));
                                  return true;
                                }));
  LCB_RETURN_IF_ERROR(status);
  if (tree.size() != size) return Status::DataLoss("log has fewer entries than its checkpoint");
  LCB_ASSIGN_OR_RETURN(Hash root, RootAt(size));
  LCB_ASSIGN_OR_RETURN(Hash recomputed, ::lcb::RootAt(size, tree));
  if (root != recomputed) return Status::DataLoss("log entries do not match the signed tree");
  return Status::Ok();
}

}  // namespace lcb
