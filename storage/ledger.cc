#include "storage/ledger.h"

#include <pthread.h>

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

}  // namespace

class Ledger::NodeCache {
 public:
  bool Get(int level, uint64_t index, Hash* out) {
    std::shared_lock lock(mu_);
    auto it = map_.find(Key(level, index));
    if (it == map_.end()) return false;
    *out = it->second;
    return true;
  }
  void Put(int level, uint64_t index, const Hash& h) {
    std::unique_lock lock(mu_);
    if (map_.size() >= Ledger::kMaxCachedNodes) return;
    map_.emplace(Key(level, index), h);
  }

 private:
  static uint64_t Key(int level, uint64_t index) {
    return (static_cast<uint64_t>(level) << 58) | index;
  }
  std::shared_mutex mu_;
  std::unordered_map<uint64_t, Hash> map_;
};

namespace {

// Reads complete-subtree hashes from the store, with the nodes of a group being committed
// layered on top (they are not in the store yet). Upper levels go through the ledger's
// in-memory cache.
class StoreNodeReader final : public NodeReader {
 public:
  explicit StoreNodeReader(Kv* kv, Ledger::NodeCache* cache = nullptr) : kv_(kv), cache_(cache) {}
  void AddPending(const StoredNode& node) {
    pending_[Ledger::NodeKey(node.level, node.index)] = node.hash;
  }
  StatusOr<Hash> Node(int level, uint64_t index) override {
    Hash cached;
    if (cache_ && level >= Ledger::kCachedLevel && cache_->Get(level, index, &cached)) {
      return cached;
    }
    std::string key = Ledger::NodeKey(level, index);
    if (auto it = pending_.find(key); it != pending_.end()) return it->second;
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
  std::unordered_map<std::string, Hash> pending_;
};

}  // namespace

// The frontier before a group plus the nodes the group completed: every node an inclusion
// proof for the group's new entries needs, in memory.
class GroupNodes final : public NodeReader {
 public:
  void Add(const StoredNode& n) { nodes_[Key(n.level, n.index)] = n.hash; }
  StatusOr<Hash> Node(int level, uint64_t index) override {
    auto it = nodes_.find(Key(level, index));
    if (it == nodes_.end()) return Status::Internal("commit group node not in memory");
    return it->second;
  }

 private:
  static uint64_t Key(int level, uint64_t index) {
    return (static_cast<uint64_t>(level) << 58) | index;
  }
  std::unordered_map<uint64_t, Hash> nodes_;
};

namespace {

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

void Ledger::Run() {
  pthread_setname_np(pthread_self(), "cb-log-writer");
  std::vector<Request> group;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      size_t taken = 0;
      while (!queue_.empty() && (group.empty() || taken + queue_.front().entries.size() <=
                                                      kMaxGroupEntries)) {
        taken += queue_.front().entries.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitGroup(group);
    group.clear();
  }
}

void Ledger::CommitGroup(std::vector<Request>& group) {
  struct Pending {
    std::string fingerprint;
    std::string id;
    uint64_t leaf;
  };
  std::unordered_map<std::string, Pending> group_unique;  // unique keys written by this group
  std::vector<StatusOr<AppendResult>> results;
  results.reserve(group.size());
  WriteBatch batch;
  const Frontier before = frontier_;
  StoreNodeReader reader(kv_);
  auto group_nodes = std::make_shared<GroupNodes>();
  for (const StoredNode& n : before.Nodes()) group_nodes->Add(n);
  std::vector<StoredNode> nodes;
  bool any_new = false;

  for (Request& req : group) {
    // Pass 1: resolve idempotency for every entry before touching the tree, so a conflicting
    // request leaves no trace.
    std::vector<EntryOutcome> outcomes(req.entries.size());
    std::vector<bool> fresh(req.entries.size(), true);
    std::unordered_map<std::string, size_t> in_request;
    Status failed;
    for (size_t i = 0; i < req.entries.size() && failed.ok(); ++i) {
      const LogEntry& e = req.entries[i];
      if (e.unique_key.empty()) continue;
      if (auto it = in_request.find(e.unique_key); it != in_request.end()) {
        failed = Status::AlreadyExists("posted twice in one request", e.conflict_pointer);
        break;
      }
      in_request.emplace(e.unique_key, i);
      std::string fp;
      std::string id;
      uint64_t leaf = 0;
      bool found = false;
      if (auto it = group_unique.find(e.unique_key); it != group_unique.end()) {
        fp = it->second.fingerprint;
        id = it->second.id;
        leaf = it->second.leaf;
        found = true;
      } else {
        std::string value;
        Status s = kv_->Get(Table::kUnique, e.unique_key, &value);
        if (s.ok()) {
          if (value.size() < 40) {
            failed = Status::DataLoss("idempotency row is corrupt");
            break;
          }
          leaf = GetBigEndian64(value);
          fp = value.substr(8, 32);
          id = value.substr(40);
          found = true;
        } else if (s.code() != StatusCode::kNotFound) {
          failed = s;
          break;
        }
      }
      if (!found) continue;
      std::string want = e.fingerprint;
      want.resize(32, '\0');
      if (fp != want) {
        failed = Status::AlreadyExists(
            "already used for different content (an idempotency key cannot be reused)",
            e.conflict_pointer);
        break;
      }
      fresh[i] = false;
      outcomes[i] = EntryOutcome{id, leaf, true, {}};
    }
    if (!failed.ok()) {
      results.emplace_back(failed);
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
        batch.Put(Table::kLogNodes, NodeKey(n.level, n.index),
                  std::string_view(reinterpret_cast<const char*>(n.hash.data()), n.hash.size()));
        reader.AddPending(n);
        group_nodes->Add(n);
      }
      batch.Put(Table::kLogLeaves, BigEndian64(leaf), e.bytes);
      if (!e.id.empty() && e.id != e.unique_key) batch.Put(Table::kObjects, e.id, BigEndian64(leaf));
      if (!e.unique_key.empty()) {
        batch.Put(Table::kUnique, e.unique_key, UniqueValue(leaf, e.fingerprint, e.id));
        std::string fp = e.fingerprint;
        fp.resize(32, '\0');
        group_unique[e.unique_key] = Pending{std::move(fp), e.id, leaf};
      }
      if (e.index_rows) e.index_rows(leaf, &batch);
      outcomes[i] = EntryOutcome{e.id, leaf, false, {}};
      any_new = true;
    }
    results.emplace_back(AppendResult{std::move(outcomes), {}, 0});
  }

  std::string note;
  uint64_t new_size = frontier_.size();
  Status write_status;
  if (any_new) {
    uint64_t old_size = before.size();
    // Refuse to sign a tree that is not an extension of the previous checkpoint.
    if (old_size > 0) {
      StatusOr<std::vector<Hash>> p = ::lcb::ConsistencyProof(old_size, new_size, reader);
      if (!p.ok()) {
        write_status = p.status();
      } else {
        write_status = VerifyConsistency(old_size, new_size, before.Root(), frontier_.Root(), *p);
      }
    }
    if (write_status.ok()) {
      Checkpoint cp{origin_, new_size, frontier_.Root(), {}};
      note = SignNote(FormatCheckpointBody(cp), origin_, *key_);
      batch.Put(Table::kCheckpoints, BigEndian64(new_size), note);
      batch.Put(Table::kMeta, kMetaCheckpoint, note);
      batch.Put(Table::kMeta, kMetaTreeSize, BigEndian64(new_size));
      write_status = kv_->Write(batch, /*sync=*/true);
    }
    if (!write_status.ok()) {
      frontier_ = before;
      new_size = before.size();
    } else {
      // Receipts' proofs come from these nodes in memory (AppendResult::FillProofs, on the
      // caller's side): the store would need O(log n) reads per record.
      for (StatusOr<AppendResult>& result : results) {
        if (result.ok()) result->nodes = group_nodes;
      }
    }
  }

  std::string latest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (any_new && write_status.ok()) {
      size_ = new_size;
      checkpoint_ = note;
      stats_.groups++;
      stats_.last_checkpoint_millis = NowMillis();
    }
    if (!write_status.ok()) stats_.failed_writes++;
    stats_.requests += group.size();
    latest = checkpoint_;
    new_size = size_;
  }
  for (size_t r = 0; r < group.size(); ++r) {
    StatusOr<AppendResult>& result = results[r];
    if (!result.ok()) {
      group[r].done(result.status());
      continue;
    }
    if (!write_status.ok()) {
      bool had_new = false;
      for (const auto& o : result->entries) had_new |= !o.existed;
      if (had_new) {
        group[r].done(write_status.code() == StatusCode::kUnavailable
                          ? write_status
                          : Status::Unavailable("log write failed: " + write_status.message()));
        continue;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& o : result->entries) stats_.entries += o.existed ? 0 : 1;
    }
    result->checkpoint = latest;
    result->tree_size = new_size;
    group[r].done(std::move(result));
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
  if (size > Size()) return Status::InvalidArgument("/size", "beyond the current tree size");
  if (index >= size) return Status::InvalidArgument("/index", "must be less than size");
  StoreNodeReader reader(kv_, node_cache_.get());
  return ::lcb::InclusionProof(index, size, reader);
}

StatusOr<std::vector<Hash>> Ledger::ConsistencyProof(uint64_t first, uint64_t second) {
  if (second > Size()) return Status::InvalidArgument("/second", "beyond the current tree size");
  if (first > second) return Status::InvalidArgument("/first", "must not exceed second");
  StoreNodeReader reader(kv_, node_cache_.get());
  return ::lcb::ConsistencyProof(first, second, reader);
}

StatusOr<Hash> Ledger::RootAt(uint64_t size) {
  if (size > Size()) return Status::InvalidArgument("/size", "beyond the current tree size");
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
