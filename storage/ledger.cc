#include "storage/ledger.h"

#include <pthread.h>

#include <array>
#include <chrono>
#include <future>
#include <shared_mutex>
#include <unordered_map>

#include "common/date.h"
#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"
#include "storage/ledger_internal.h"
#include "storage/ledger_layout.h"

namespace lcb {

using namespace ledger_layout;  // NOLINT: the layout's keys and helpers, internal to the Ledger

namespace {

// Largest number of entries one commit group takes, so one group's batch stays bounded.
constexpr size_t kMaxGroupEntries = 20000;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

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

std::string UniqueValue(uint64_t leaf, std::string_view fingerprint, std::string_view id,
                        std::string_view key) {
  std::string v = BigEndian64(leaf);
  v.append(fingerprint);
  v.resize(8 + 32, '\0');
  // A record's id is its unique key: "=" says so instead of repeating it (28 of a row's ~100
  // bytes, in the table whose compactions are the largest cost of ingestion). Rows written
  // before hold the id itself; both read alike (UniqueRowId).
  v.append(id == key && !id.empty() ? kUniqueIdIsKey : id);
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
    : kv_(kv),
      key_(std::move(key)),
      origin_(std::move(origin)),
      empty_checkpoint_(
          SignNote(FormatCheckpointBody(Checkpoint{origin_, 0, EmptyRoot(), {}}), origin_, *key_)),
      tile_cache_(std::make_unique<TileCache>()),
      bundle_cache_(std::make_unique<BundleCache>()) {}

StatusOr<std::unique_ptr<Ledger>> Ledger::Open(Kv* kv, std::shared_ptr<const Ed25519Key> key,
                                               std::string origin) {
  std::unique_ptr<Ledger> ledger(new Ledger(kv, std::move(key), std::move(origin)));
  LCB_RETURN_IF_ERROR(MigrateToTiles(kv));
  LCB_RETURN_IF_ERROR(MigrateToRuns(kv));
  // The latest checkpoint, the partial tile's runs and the tree size are separate reads: on a
  // shared store the writer may commit (or fill the tile) between them when this node opens
  // the log under load. The tree is loaded at the checkpoint's size, as Follow does, and read
  // again when a run was folded meanwhile; the stored size may only be ahead of it. A
  // disagreement that persists is a damaged or rewritten tree.
  Edge edge;
  std::shared_ptr<Published> published;
  auto load = [&]() -> Status {
    published = std::make_shared<Published>();
    Status read = kv->Get(Table::kMeta, kMetaCheckpoint, &published->checkpoint);
    if (read.code() != StatusCode::kNotFound) LCB_RETURN_IF_ERROR(read);
    uint64_t size = 0;
    std::optional<Checkpoint> cp;
    if (read.ok()) {
      // The stored tree must match the last signed checkpoint: a restart never replays the
      // log, so this is where a damaged or rewritten tree is caught.
      const std::string& note = published->checkpoint;
      LCB_ASSIGN_OR_RETURN(cp, ParseCheckpointBody(note.substr(0, note.find("\n\n") + 1)));
      if (cp->origin != ledger->origin_) {
        return Status::FailedPrecondition("the store's log origin is '" + cp->origin +
                                          "', configuration says '" + ledger->origin_ + "'");
      }
      size = cp->size;
    }
    LCB_ASSIGN_OR_RETURN(edge, LoadEdge(kv, size));
    if (cp && cp->root != edge.tree.Root()) {
      return Status::DataLoss("stored log tree does not match the latest signed checkpoint");
    }
    LCB_ASSIGN_OR_RETURN(uint64_t stored_size, ReadTreeSize(kv));
    if (!cp && stored_size > 0) {
      return Status::DataLoss("the store holds a log of " + std::to_string(stored_size) +
                              " entries but no signed checkpoint");
    }
    if (stored_size < size) {
      return Status::DataLoss("the stored tree size (" + std::to_string(stored_size) +
                              ") is behind the latest signed checkpoint (" +
                              std::to_string(size) + ")");
    }
    published->size = size;
    if (!cp) published->checkpoint = ledger->empty_checkpoint_;
    published->edge = edge.tree;
    published->partial = std::make_shared<const std::string>(edge.bundle);
    return Status::Ok();
  };
  Status loaded = load();
  for (int attempt = 1; attempt < 10 && loaded.code() == StatusCode::kDataLoss; ++attempt) {
    loaded = load();
  }
  LCB_RETURN_IF_ERROR(loaded);
  ledger->edge_ = std::move(edge.tree);
  ledger->bundle_ = std::move(edge.bundle);
  ledger->published_ = std::move(published);
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
  for (LogEntry& e : entries) {
    if (e.bytes.size() > kMaxBundledEntryBytes) {
      return done(Status::ResourceExhausted(
          Field(""),
          "log entry " + (e.id.empty() ? std::string() : "'" + e.id + "' ") + "is " +
              std::to_string(e.bytes.size()) +
              " bytes; a log entry holds at most 65,535 (C2SP tlog-tiles entry bundles)"));
    }
    e.leaf_hash = LeafHash(e.bytes);
  }
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
  std::shared_ptr<Unwritten> unique;       // this group's new unique keys
  std::shared_ptr<const Published> after;  // what readers see once it is written
  std::vector<StoredNode> scratch;         // reused per entry
  std::vector<FullTile> full;              // reused per entry
  // The group's run of the partial tile (ledger_layout.h, "tiles/2"): its entries from leaf
  // run_start on, which are bundle_ from byte run_offset on. A tile the group fills moves both
  // to the next tile (the bundle row holds the entries then).
  uint64_t run_start = 0;
  size_t run_offset = 0;
  // The entry bundles this group completes, put in the bundle cache once it is written (the
  // statistics' keepers read them next).
  std::vector<std::pair<uint64_t, std::shared_ptr<const std::string>>> bundles;
  double lookup_seconds = 0;   // PrefetchUnique
  double prepare_seconds = 0;  // Prepare, lookups included
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
    std::vector<Request> group = TakeGroup();
    if (group.empty()) break;
    CatchUpWithWriter();
    const auto started = std::chrono::steady_clock::now();
    std::unique_ptr<PreparedGroup> prepared = Prepare(std::move(group));
    prepared->prepare_seconds = SecondsSince(started);
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

// Waits for requests and takes every waiting one (up to kMaxGroupEntries); empty when stopping.
std::vector<Ledger::Request> Ledger::TakeGroup() {
  std::vector<Request> group;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  size_t taken = 0;
  while (!queue_.empty() &&
         (group.empty() || taken + queue_.front().entries.size() <= kMaxGroupEntries)) {
    taken += queue_.front().entries.size();
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return group;
}

// Just before preparing (the wait for requests may have been long): forget the unique keys the
// writer has written (the store has them now), or, after a failed write, drop everything
// prepared on top of the last written tree and reload its edge from the store.
void Ledger::CatchUpWithWriter() {
  std::lock_guard<std::mutex> lock(pipe_mu_);
  if (write_epoch_ != epoch_) {
    epoch_ = write_epoch_;
    unwritten_.clear();
    reload_edge_ = true;
  }
  while (!unwritten_.empty() && unwritten_.front()->seq <= written_seq_) unwritten_.pop_front();
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
    double wrote = 0;  // seconds in the synced write
    if (stale) {
      // Prepared on top of a group whose write failed: its tree will never exist.
      status = Status::Unavailable("log write failed: an earlier commit group could not be written");
    } else if (g->any_new && status.ok()) {
      const auto started = std::chrono::steady_clock::now();
      status = kv_->Write(g->batch, /*sync=*/true);
      wrote = SecondsSince(started);
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(pipe_mu_);
        write_epoch_++;
      }
    }
    const auto finish_started = std::chrono::steady_clock::now();
    Finish(*g, status, stale);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.lookup_seconds += g->lookup_seconds;
      stats_.prepare_seconds += g->prepare_seconds;
      stats_.write_seconds += wrote;
      stats_.finish_seconds += SecondsSince(finish_started);
    }
    {
      std::lock_guard<std::mutex> lock(pipe_mu_);
      written_seq_ = g->seq;
    }
    pipe_cv_.notify_all();
  }
}

// Builds group `group`'s batch on top of every group prepared before it: idempotency, new
// leaves and tiles, index rows, the consistency check and the signed checkpoint.
std::unique_ptr<Ledger::PreparedGroup> Ledger::Prepare(std::vector<Request> group) {
  std::unique_ptr<PreparedGroup> g = NewGroup(std::move(group));
  if (!g->status.ok()) {
    for (size_t r = 0; r < g->requests.size(); ++r) g->results.emplace_back(g->status);
    return g;
  }
  const auto lookup_started = std::chrono::steady_clock::now();
  PrefetchUnique(g->requests);
  g->lookup_seconds = SecondsSince(lookup_started);
  for (Request& req : g->requests) {
    // Idempotency is resolved for every entry before the tree is touched, so a conflicting
    // request leaves no trace.
    std::vector<EntryOutcome> outcomes(req.entries.size());
    std::vector<bool> fresh(req.entries.size(), true);
    Status failed = ResolveIdempotency(req, *g->unique, &outcomes, &fresh);
    if (!failed.ok()) {
      g->results.emplace_back(failed);
      continue;
    }
    AppendFresh(req, fresh, g.get(), g->unique.get(), &outcomes);
    g->results.emplace_back(AppendResult{std::move(outcomes), {}, 0, nullptr});
  }
  g->new_size = edge_.size();
  if (g->any_new && bundle_.size() > g->run_offset) {
    g->batch.Put(Table::kLogLeaves, LeafKey(g->run_start),
                 std::string_view(bundle_).substr(g->run_offset));
  }
  if (g->any_new) g->status = SealGroup(g.get());
  use_stored_unique_ = false;
  stored_unique_.clear();
  return g;
}

// On a store across a network, one round trip for every idempotency key of the group instead
// of one per key. Read after CatchUpWithWriter: a group written since is either still in
// unwritten_ (looked up first) or in the store by now.
void Ledger::PrefetchUnique(const std::vector<Request>& group) {
  use_stored_unique_ = false;
  stored_unique_.clear();
  if (!kv_->BatchesReads()) return;
  std::vector<std::string> keys;
  for (const Request& req : group) {
    for (const LogEntry& e : req.entries) {
      if (!e.unique_key.empty() && stored_unique_.emplace(e.unique_key, std::nullopt).second) {
        keys.push_back(e.unique_key);
      }
    }
  }
  std::vector<std::optional<std::string>> values;
  if (keys.empty() || !kv_->MultiGet(Table::kUnique, keys, &values).ok()) {
    stored_unique_.clear();  // each key is read on its own (and its error reported) instead
    return;
  }
  for (size_t i = 0; i < keys.size(); ++i) stored_unique_[keys[i]] = std::move(values[i]);
  use_stored_unique_ = true;
}

// A new group on the preparer's current tree (reloaded from the store after a failed write).
std::unique_ptr<Ledger::PreparedGroup> Ledger::NewGroup(std::vector<Request> group) {
  auto g = std::make_unique<PreparedGroup>();
  g->seq = ++next_seq_;
  g->epoch = epoch_;
  g->requests = std::move(group);
  g->results.reserve(g->requests.size());
  g->unique = std::make_shared<Unwritten>();
  g->unique->seq = g->seq;
  if (reload_edge_) {
    {
      // The store is the tree to build on once every earlier group is finished (written or
      // failed); later groups of an older epoch are stale anyway.
      std::unique_lock<std::mutex> lock(pipe_mu_);
      pipe_cv_.wait(lock, [&] { return written_seq_ + 1 >= g->seq; });
      epoch_ = write_epoch_;
      g->epoch = epoch_;
      unwritten_.clear();
    }
    StatusOr<uint64_t> size = ReadTreeSize(kv_);
    StatusOr<Edge> edge = size.ok() ? LoadEdge(kv_, *size) : StatusOr<Edge>(size.status());
    if (!edge.ok()) {
      g->status = Status::Unavailable("log edge could not be reloaded: " + edge.status().message());
      return g;
    }
    edge_ = std::move(edge->tree);
    bundle_ = std::move(edge->bundle);
    reload_edge_ = false;
  }
  g->before = edge_.frontier();
  g->new_size = edge_.size();
  g->run_start = edge_.size();
  g->run_offset = bundle_.size();
  g->nodes = std::make_shared<GroupNodes>();
  for (const StoredNode& n : g->before.Nodes()) g->nodes->Add(n);
  return g;
}

// Looks a unique key up in this group, then the unwritten groups (newest first), then the store.
StatusOr<bool> Ledger::LookupUnique(const std::string& key, const Unwritten& group_keys,
                                    std::string* fingerprint, std::string* id, uint64_t* leaf) {
  auto from = [&](const Unwritten::Pending& p) {
    *fingerprint = p.fingerprint;
    *id = p.id;
    *leaf = p.leaf;
    return true;
  };
  if (auto it = group_keys.unique.find(key); it != group_keys.unique.end()) return from(it->second);
  for (auto u = unwritten_.rbegin(); u != unwritten_.rend(); ++u) {
    if (auto it = (*u)->unique.find(key); it != (*u)->unique.end()) return from(it->second);
  }
  std::string value;
  auto prefetched = use_stored_unique_ ? stored_unique_.find(key) : stored_unique_.end();
  if (prefetched != stored_unique_.end()) {
    if (!prefetched->second) return false;
    value = *prefetched->second;
  } else {
    Status s = kv_->Get(Table::kUnique, key, &value);
    if (s.code() == StatusCode::kNotFound) return false;
    LCB_RETURN_IF_ERROR(s);
  }
  if (value.size() < 40) return Status::DataLoss("idempotency row is corrupt");
  *leaf = GetBigEndian64(value);
  *fingerprint = value.substr(8, 32);
  *id = UniqueRowId(key, value);
  return true;
}

StatusOr<bool> Ledger::ConflictsWithStored(const LogEntry& entry) {
  if (entry.unique_key.empty()) return false;
  std::string value;
  Status s = kv_->Get(Table::kUnique, entry.unique_key, &value);
  if (s.code() == StatusCode::kNotFound) return false;
  LCB_RETURN_IF_ERROR(s);
  if (value.size() < 40) return Status::DataLoss("idempotency row is corrupt");
  std::string want = entry.fingerprint;
  want.resize(32, '\0');
  return std::string_view(value).substr(8, 32) != want;
}

// Marks each entry of `req` fresh or an idempotent retry (with its stored outcome); the first
// conflict fails the whole request.
Status Ledger::ResolveIdempotency(const Request& req, const Unwritten& group_keys,
                                  std::vector<EntryOutcome>* outcomes, std::vector<bool>* fresh) {
  std::unordered_map<std::string_view, size_t> in_request;
  for (size_t i = 0; i < req.entries.size(); ++i) {
    const LogEntry& e = req.entries[i];
    if (e.unique_key.empty()) continue;
    if (auto [first, inserted] = in_request.emplace(e.unique_key, i); !inserted) {
      // The words of service/records.h kPostedTwice, naming the first record of the key.
      return Status::AlreadyExists(
          Field(e.conflict_pointer),
          "posted twice in one request: also at " + req.entries[first->second].conflict_pointer);
    }
    std::string fingerprint, id;
    uint64_t leaf = 0;
    LCB_ASSIGN_OR_RETURN(bool exists,
                         LookupUnique(e.unique_key, group_keys, &fingerprint, &id, &leaf));
    if (!exists) continue;
    std::string want = e.fingerprint;
    want.resize(32, '\0');
    if (fingerprint != want) {
      return Status::AlreadyExists(
          Field(e.conflict_pointer),
          "already used for different content (an idempotency key cannot be reused)");
    }
    (*fresh)[i] = false;
    (*outcomes)[i] = EntryOutcome{id, leaf, true, {}};
  }
  return Status::Ok();
}

// Appends the fresh entries of a resolved request to the tree and the group's batch.
void Ledger::AppendFresh(Request& req, const std::vector<bool>& fresh, PreparedGroup* g,
                         Unwritten* group_keys, std::vector<EntryOutcome>* outcomes) {
  for (size_t i = 0; i < req.entries.size(); ++i) {
    if (!fresh[i]) continue;
    LogEntry& e = req.entries[i];
    const uint64_t leaf = edge_.size();
    AddLeafRows(e, leaf, g);
    if (!e.id.empty() && e.id != e.unique_key) {
      g->batch.Put(Table::kObjects, e.id, BigEndian64(leaf));
    }
    if (!e.unique_key.empty()) {
      g->batch.Put(Table::kUnique, e.unique_key,
                   UniqueValue(leaf, e.fingerprint, e.id, e.unique_key));
      std::string fp = e.fingerprint;
      fp.resize(32, '\0');
      group_keys->unique[e.unique_key] = Unwritten::Pending{std::move(fp), e.id, leaf};
    }
    if (e.index_rows) e.index_rows(leaf, &g->batch);
    (*outcomes)[i] = EntryOutcome{e.id, leaf, false, {}};
    g->any_new = true;
  }
}

// One leaf: the tree nodes the receipts need, and the rows of every tile it filled. Its bytes
// join bundle_; Prepare writes the group's run of the partial tile once, at the end.
void Ledger::AddLeafRows(const LogEntry& e, uint64_t leaf, PreparedGroup* g) {
  g->scratch.clear();
  edge_.Append(e.leaf_hash, &g->scratch, &g->full);
  for (const StoredNode& n : g->scratch) g->nodes->Add(n);
  // Append() refused entries that do not fit, so this cannot fail.
  (void)AppendBundleEntry(e.bytes, &bundle_);
  for (const FullTile& tile : g->full) {
    if (tile.level != 0) continue;
    g->bundles.emplace_back(tile.index, std::make_shared<std::string>(bundle_));
    g->run_start = leaf + 1;
    g->run_offset = 0;
  }
  AddFullTileRows(g->full, &bundle_, &g->batch);
}

// Refuses to sign a tree that is not an extension of the previous checkpoint, then signs the
// group's checkpoint. The proof needs only the old frontier and the nodes this group completed,
// both in g->nodes. On failure nothing of the group is written and the next group is prepared
// on the tree reloaded from the store.
Status Ledger::SealGroup(PreparedGroup* g) {
  const uint64_t old_size = g->before.size();
  if (old_size > 0) {
    StatusOr<std::vector<Hash>> p = ::lcb::ConsistencyProof(old_size, g->new_size, *g->nodes);
    Status s = p.ok() ? VerifyConsistency(old_size, g->new_size, g->before.Root(), edge_.Root(), *p)
                      : p.status();
    if (!s.ok()) {
      reload_edge_ = true;
      g->new_size = old_size;
      return s;
    }
  }
  Checkpoint cp{origin_, g->new_size, edge_.Root(), {}};
  g->note = SignNote(FormatCheckpointBody(cp), origin_, *key_);
  g->batch.Put(Table::kCheckpoints, BigEndian64(g->new_size), g->note);
  g->batch.Put(Table::kMeta, kMetaCheckpoint, g->note);
  g->batch.Put(Table::kMeta, kMetaTreeSize, BigEndian64(g->new_size));
  // Fencing (kv.h): the group is written only if the head is still where this writer left it.
  g->batch.MoveLogHead(old_size, g->new_size);
  auto after = std::make_shared<Published>();
  after->size = g->new_size;
  after->checkpoint = g->note;
  after->edge = edge_;
  after->partial = std::make_shared<const std::string>(bundle_);
  g->after = std::move(after);
  unwritten_.push_back(g->unique);
  return Status::Ok();
}

// Publishes a written group (tree size, checkpoint and edge) and answers its requests, on the
// writer thread. `fail_all`: the group was prepared on a tree that will never exist, so even
// its retries' outcomes may name entries that were never written.
void Ledger::Finish(PreparedGroup& g, Status write_status, bool fail_all) {
  const bool written = g.any_new && write_status.ok() && !fail_all;
  if (written) {
    for (auto& [index, bundle] : g.bundles) bundle_cache_->Put(index, std::move(bundle));
  }
  std::shared_ptr<const Published> latest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (written) {
      published_ = g.after;
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
    latest = published_;
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
    result->checkpoint = latest->checkpoint;
    result->tree_size = latest->size;
    g.requests[r].done(std::move(result));
  }
}

StatusOr<uint64_t> Ledger::Follow() {
  // The checkpoint row and the tree's rows are written in one transaction; the rows of a
  // partial tile are deleted once it is full, so an edge read while the writer commits may be
  // gone: read the newer checkpoint and try again.
  Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto published = std::make_shared<Published>();
    Status read = kv_->Get(Table::kMeta, kMetaCheckpoint, &published->checkpoint);
    if (read.code() == StatusCode::kNotFound) return Size();  // nothing logged yet
    LCB_RETURN_IF_ERROR(read);
    const std::string& note = published->checkpoint;
    LCB_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointBody(note.substr(0, note.find("\n\n") + 1)));
    if (cp.origin != origin_) {
      return Status::FailedPrecondition("the store's log origin is '" + cp.origin +
                                        "', this node's is '" + origin_ + "'");
    }
    NoteVerifier self{origin_, NoteKeyId(origin_, key_->PublicKey()), key_->PublicKey()};
    if (StatusOr<VerifiedNote> v = OpenNote(note, {self}); !v.ok()) {
      return Status::DataLoss(
          "the store's latest checkpoint does not verify with this log's "
          "key: " +
          v.status().message());
    }
    const uint64_t current = Size();
    if (cp.size <= current) {
      if (cp.size < current) {
        return Status::DataLoss("the store's log (size " + std::to_string(cp.size) +
                                ") is behind what this node served (" + std::to_string(current) +
                                ")");
      }
      return current;
    }
    StatusOr<Edge> edge = LoadEdge(kv_, cp.size);
    if (!edge.ok()) {
      last = edge.status();
      continue;
    }
    if (edge->tree.Root() != cp.root) {
      return Status::DataLoss("stored log tree does not match the latest signed checkpoint");
    }
    published->size = cp.size;
    published->edge = std::move(edge->tree);
    published->partial = std::make_shared<const std::string>(std::move(edge->bundle));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (published->size > published_->size) published_ = std::move(published);
    }
    {
      // The preparer reloads its edge from the store before its next group.
      std::lock_guard<std::mutex> lock(pipe_mu_);
      write_epoch_++;
    }
    return Size();
  }
  return last;
}

std::shared_ptr<const Ledger::Published> Ledger::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return published_;
}

uint64_t Ledger::Size() const { return Snapshot()->size; }

std::string Ledger::LatestCheckpoint() const { return Snapshot()->checkpoint; }

LedgerStats Ledger::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace lcb
