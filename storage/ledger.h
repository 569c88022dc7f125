// Ledger: the single writer of the transparency log, with group commit.
//
// Callers hand it entries (exact bytes to log plus the index rows that go with them). A
// committer thread takes every request that is waiting, checks idempotency keys, assigns leaf
// indexes, extends the Merkle tree, signs ONE checkpoint for the whole group, and writes
// entries, tree nodes, index rows and the checkpoint in ONE WriteBatch with the WAL synced.
// Only then are the callers told: acknowledged means durable.
//
// A request is atomic: if any of its entries conflicts (same unique key, different
// fingerprint) the whole request fails with AlreadyExists and nothing of it is written; the
// other requests of the group are unaffected. If the write fails (disk full), every request of
// the group fails with Unavailable and the in-memory tree is rolled back, so a retry is clean.
// Each group's batch moves the log head from the old tree size to the new one
// (WriteBatch::MoveLogHead): on a shared SQL store, a writer that lost its lease is fenced
// there, its group fails with Unavailable "fenced", and nothing of the group is written.
//
// Stored layout (see storage/kv.h for tables; docs/formats.md has the grammars): the log is
// kept as C2SP tlog-tiles (crypto/tiles.h), so a commit group adds one append-only row of log
// entries (two when it crosses a tile's end) and a proof reads about one row per 8 tree levels.
//   kLogLeaves  BE64(i)                -> a run: the entries [i, i + k) that one commit group
//               added to the unfinished (partial) level-0 tile, in the bundle form (BE16
//               length and bytes each); when the tile's 256th leaf arrives, the same batch
//               writes the bundle and the hash tile and range-deletes the tile's runs
//   kLogBundles BE64(n)                -> the full entry bundle n (256 length-prefixed entries)
//   kLogTiles   level(1) BE64(n)       -> the full hash tile (level, n) with its subtree's
//               interior nodes (crypto/tiles.h "stored tile", 16,320 bytes)
//   kObjects    id                     -> BE64(leaf index); not written for an entry whose
//               unique key is its id (records): the kUnique row already maps it
//   kUnique     key                    -> BE64(leaf index) fingerprint(32) id, or "=" for an
//               id equal to the key (records; rows written before 2026-12-03 repeat it)
//   kCheckpoints BE64(size)            -> signed note;  kMeta "checkpoint" -> latest note,
//   kMeta "tree_size" -> BE64(size), kMeta "log_layout" -> "tiles/2"
// Partial tiles of levels above 0 are not stored: they are rebuilt at start-up from the full
// tiles below them (at most 255 rows a level). Readers take the partial tile's entries from
// the published snapshot, never from its runs. Stores written with an earlier layout are
// migrated on Open: before tiles (kLogLeaves for every leaf, kLogNodes for every complete
// subtree), and "tiles/1" (one kLogLeaves row per leaf of the partial tile).
//
// Thread safety: all public methods may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/tiles.h"
#include "storage/kv.h"

namespace lcb {

struct LogEntry {
  std::string id;           // object id indexed in kObjects (may be empty)
  std::string bytes;        // exact bytes that are hashed into the log
  std::string unique_key;   // idempotency key in kUnique (may be empty)
  std::string fingerprint;  // 32 bytes compared on a retry under the same unique key
  std::string conflict_pointer;  // JSON pointer named in a 409
  // Extra rows written in the same batch once the leaf index is known. Not called for an entry
  // that already existed.
  std::function<void(uint64_t leaf_index, WriteBatch* batch)> index_rows;
  // Set by Ledger::Append on the caller's thread, so the single committer does not hash.
  Hash leaf_hash{};
};

struct EntryOutcome {
  std::string id;
  uint64_t leaf_index = 0;
  bool existed = false;  // an idempotent retry: nothing new was written
  // For new entries: the inclusion proof in the tree of AppendResult::tree_size, computed in
  // memory by the committer (no store reads). Empty for entries that existed.
  std::vector<Hash> inclusion_proof;
};

class GroupNodes;

struct AppendResult {
  std::vector<EntryOutcome> entries;  // in request order
  std::string checkpoint;             // signed note covering every entry
  uint64_t tree_size = 0;             // the checkpoint's size
  // The tree nodes a proof for this group's new entries needs, kept in memory: FillProofs
  // computes the new entries' inclusion proofs from them off the committer thread.
  std::shared_ptr<GroupNodes> nodes;
  // Fills inclusion_proof of every new entry (Append's callers; AppendSync already did).
  void FillProofs();
};

struct LedgerStats {
  uint64_t groups = 0;
  uint64_t entries = 0;
  uint64_t requests = 0;
  uint64_t failed_writes = 0;
  int64_t last_checkpoint_millis = 0;
  // Where commit groups spend their time (wall seconds, summed over groups): the preparer
  // thread's lookup of the idempotency keys in the store and its whole preparation (lookups
  // included), and the writer thread's synced write and its answering of the requests. The
  // two threads overlap, so the slower of prepare and write+finish sets the rate.
  double lookup_seconds = 0;
  double prepare_seconds = 0;
  double write_seconds = 0;
  double finish_seconds = 0;
};

class Ledger {
 public:
  using Callback = std::function<void(StatusOr<AppendResult>)>;

  // `origin` is the log's name (first checkpoint line and the signed-note key name).
  static StatusOr<std::unique_ptr<Ledger>> Open(Kv* kv, std::shared_ptr<const Ed25519Key> key,
                                                std::string origin);
  ~Ledger();

  // Queues a request; `done` runs on the log writer thread once the group is durable (or
  // failed). Keep `done` short: post the work elsewhere (including AppendResult::FillProofs).
  // An entry longer than 65,535 bytes (the most a C2SP entry bundle holds) fails the request
  // at once with ResourceExhausted (413), naming the entry.
  void Append(std::vector<LogEntry> entries, Callback done);
  StatusOr<AppendResult> AppendSync(std::vector<LogEntry> entries);
  // Fails queued requests with Unavailable, waits for the committer to finish.
  void Stop();
  // For a node that does not write the log (another node holds the writer's lease on a shared
  // store): publishes the tree the store holds now, checked against its latest signed
  // checkpoint, so this node's reads (size, checkpoint, proofs, tiles) follow the writer; and
  // has the next group prepared on the stored tree, so a node that takes the lease over
  // appends where the old writer stopped. Returns the size published (never smaller than
  // before).
  StatusOr<uint64_t> Follow();

  const std::string& origin() const { return origin_; }
  uint64_t Size() const;
  // The latest signed checkpoint; on an empty log, the signed checkpoint of size 0 (C2SP
  // tlog-checkpoint clients expect one), which is never stored.
  std::string LatestCheckpoint() const;
  LedgerStats Stats() const;

  // Entry bytes at `index`, checked against the stored leaf hash (DataLoss on mismatch).
  StatusOr<std::string> Entry(uint64_t index);
  StatusOr<Hash> LeafHashAt(uint64_t index);
  StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size);
  StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second);
  StatusOr<Hash> RootAt(uint64_t size);
  // The checkpoint signed when the log reached `size` (NotFound if none was); for 0, the
  // empty tree's checkpoint signed with the current key.
  StatusOr<std::string> CheckpointAt(uint64_t size);
  // Leaf index of an object id (NotFound).
  StatusOr<uint64_t> ObjectIndex(std::string_view id);
  // Read-only: whether `entry`'s unique key is already written with a different fingerprint,
  // the conflict Append would refuse. Sees only what the store holds, not groups still being
  // committed: Append stays the authority. Lets a caller refuse a conflict (and report it
  // with the rest of a request's problems) before it does anything of its own.
  StatusOr<bool> ConflictsWithStored(const LogEntry& entry);
  // Verifies the whole stored tree against the latest checkpoint: every leaf hash matches its
  // entry bytes, every stored tile matches the tiles recomputed from the entries, and the root
  // matches. O(n) time, O(1) memory; used by backup verification and `verify-store`. The
  // partial tile's entries are the ones Open (or Follow) read from the store's runs and checked
  // against the checkpoint then: call it on a freshly opened Ledger to check the store.
  Status VerifyAll();

  // C2SP tlog-tiles, as of the latest checkpoint (served under /log/ by api/routes_tiles.cc).
  // The hash tile (level, index) cut to `width` hashes (256 = full): width * 32 bytes. A
  // narrower width of a wider (or full) tile is its prefix. NotFound when the tree has no
  // such tile or only a narrower one.
  StatusOr<std::string> Tile(int level, uint64_t index, uint32_t width);
  // The entry bundle `index` cut to `width` entries (256 = full), the same way.
  StatusOr<std::string> EntryBundle(uint64_t index, uint32_t width);

  // The key of a complete subtree in kLogNodes, the layout before tiles (read only by the
  // migration): its post-order number.
  static std::string NodeKey(int level, uint64_t index);

 private:
  struct Request {
    std::vector<LogEntry> entries;
    Callback done;
  };
  struct PreparedGroup;
  struct Unwritten;
  struct Published;
  class TileReader;
  class TileCache;
  class BundleCache;
  Ledger(Kv* kv, std::shared_ptr<const Ed25519Key> key, std::string origin);
  // The commit pipeline has two threads. The preparer (Run) takes the queued requests as one
  // group, resolves idempotency, extends the tree, builds the WriteBatch and signs the new
  // checkpoint; the writer (WriteLoop) writes that batch with one synced write and answers the
  // group's requests. Group N+1 is prepared while group N is written, on top of N's unwritten
  // state; if N's write fails, N+1 (prepared on a tree that will never exist) fails too and the
  // preparer rewinds to the last written tree.
  void Run();
  void WriteLoop();
  std::vector<Request> TakeGroup();
  void CatchUpWithWriter();
  std::unique_ptr<PreparedGroup> Prepare(std::vector<Request> group);
  std::unique_ptr<PreparedGroup> NewGroup(std::vector<Request> group);
  Status ResolveIdempotency(const Request& req, const Unwritten& group_keys,
                            std::vector<EntryOutcome>* outcomes, std::vector<bool>* fresh);
  StatusOr<bool> LookupUnique(const std::string& key, const Unwritten& group_keys,
                              std::string* fingerprint, std::string* id, uint64_t* leaf);
  void AppendFresh(Request& req, const std::vector<bool>& fresh, PreparedGroup* g,
                   Unwritten* group_keys, std::vector<EntryOutcome>* outcomes);
  void AddLeafRows(const LogEntry& e, uint64_t leaf, PreparedGroup* g);
  Status SealGroup(PreparedGroup* g);
  void Finish(PreparedGroup& g, Status write_status, bool fail_all);
  std::shared_ptr<const Published> Snapshot() const;
  StatusOr<std::string> StoredTile(int level, uint64_t index);
  // The full entry bundle `index` (NotFound while its tile is not full), from bundle_cache_ or
  // the store.
  StatusOr<std::shared_ptr<const std::string>> FullBundle(uint64_t index);

  Kv* kv_;
  std::shared_ptr<const Ed25519Key> key_;
  std::string origin_;
  // The checkpoint of the empty tree (size 0, the root SHA-256 of the empty string, RFC 6962),
  // signed with the current key: what an empty log serves as its latest checkpoint and what
  // CheckpointAt(0) answers. Never stored: Ed25519 signatures are deterministic, so every node
  // and every restart with the same key and origin signs the same bytes.
  std::string empty_checkpoint_;

  mutable std::mutex mu_;  // guards queue_, stopping_, published_, stats_
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  // What readers see: the latest written tree (size, checkpoint, right edge). Replaced, never
  // changed, after each written group.
  std::shared_ptr<const Published> published_;
  LedgerStats stats_;

  // Preparer thread only: the tree including every prepared group (its right edge and the
  // partial entry bundle), and the unique keys of prepared groups the writer has not written
  // yet (oldest first). After a failed write the edge is reloaded from the store.
  TileEdge edge_;
  std::string bundle_;
  bool reload_edge_ = false;
  uint64_t epoch_ = 0;
  uint64_t next_seq_ = 0;
  std::deque<std::shared_ptr<const Unwritten>> unwritten_;

  // Hand-off between the preparer and the writer, guarded by pipe_mu_.
  std::mutex pipe_mu_;
  std::condition_variable pipe_cv_;
  std::unique_ptr<PreparedGroup> slot_;  // prepared, not yet taken by the writer
  bool preparer_done_ = false;
  uint64_t written_seq_ = 0;   // groups up to this sequence number are finished (either way)
  uint64_t write_epoch_ = 0;   // bumped by a failed write: groups of older epochs are stale

  // Full hash tiles of level >= 1 (one per 65,536 leaves) are kept in memory once read: a
  // proof then reads one stored row, the level-0 tile.
  std::unique_ptr<TileCache> tile_cache_;
  std::unique_ptr<BundleCache> bundle_cache_;
  // Preparer thread only, during Prepare on a store that batches reads: the stored idempotency
  // rows of the group's keys, read in one MultiGet (nullopt = absent).
  std::unordered_map<std::string, std::optional<std::string>> stored_unique_;
  bool use_stored_unique_ = false;
  void PrefetchUnique(const std::vector<Request>& group);
  std::thread committer_;  // the preparer; it starts and joins the writer
  std::thread writer_;
};

}  // namespace lcb
