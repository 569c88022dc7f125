// The log monitor behind `creditbank monitor`: follows the log through its C2SP tiles and
// proves, for every checkpoint it sees, that the log only grew.
//
// Each Poll():
//   1. GET /log/checkpoint; the note must verify with the log's key (--log-vkey, else the key
//      saved in the state, else GET /v1/log/key on first use, saved thereafter).
//   2. Reads every new entry from the entry bundles (GET /log/tile/entries/<N>[.p/<W>], an
//      auditor's token) and the level-0 hash tiles beside them (GET /log/tile/0/<N>...):
//      each entry's RFC 9162 leaf hash must equal the tile's hash.
//   3. Appends the leaf hashes to the frontier it kept from the last checkpoint: the root must
//      equal the new checkpoint's, which proves the new tree extends the old one.
// Any mismatch (a smaller tree, another root at a known size, an entry that is not its leaf,
// a root that does not extend the old tree) is a rewrite: Poll returns DataLoss and
// `rewrite_json()` the JSON line to report. The state is only saved after a checked poll.
// A log that cannot be reached or read (a network error or timeout after the RestClient's
// retries, an HTTP 5xx) is Unavailable: nothing was judged (`creditbank monitor` exit 3).
//
// State (DIR/monitor.json, replaced atomically):
//   {"origin", "vkey", "size", "root": hex, "frontier": [hex ...] (largest subtree first),
//    "counts": {issuer-or-type: n}, "entries_checked": n, "checkpoint": note}
// Counts: records and revocations by their top-level "issuer", other entries by "type".
//
// Not thread-safe (one monitor, one thread).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"

namespace lcb {

struct MonitorOptions {
  std::string server;     // http(s)://host:port
  std::string state_dir;  // created if missing
  std::string token;      // auditor token for entry bundles
  std::string log_vkey;   // empty: from the state, else trust on first use
  std::string ca;
  bool insecure = false;
};

struct MonitorPoll {
  uint64_t old_size = 0;
  uint64_t size = 0;
  uint64_t new_entries = 0;
};

class RestClient;

class Monitor {
 public:
  static StatusOr<std::unique_ptr<Monitor>> Open(MonitorOptions options);
  ~Monitor();
  StatusOr<MonitorPoll> Poll();
  // After a DataLoss from Poll: {"event", "reason", "origin", "known_size", "known_root",
  // "size", "root"?, "checkpoint"?, "known_checkpoint"?, ...} on one line. "event" is "rewrite"
  // (with the contradicting signed checkpoint and the state's, the evidence of a split view),
  // "key_changed" (the log lists the pinned key as retired: confirm the new one with
  // --log-vkey) or "bad_signature" (not signed by the pinned key: not the log, or a forgery).
  // Only "rewrite" is evidence against the log.
  const std::string& rewrite_json() const { return rewrite_json_; }
  uint64_t size() const { return frontier_.size(); }
  const std::map<std::string, uint64_t>& counts() const { return counts_; }

 private:
  Monitor() = default;
  Status LoadState();
  Status SaveState(const std::string& note) const;
  Status EnsureVerifier();
  // Sets rewrite_json_ ({"event": `event`, ...}, with the contradicting signed note and the
  // state's own when `note` is given) and returns DataLoss.
  Status Rewrite(const std::string& reason, uint64_t size, const std::string& root_hex,
                 const std::string& note = "", const char* event = "rewrite");
  Status Unverified(const std::string& why);
  StatusOr<std::string> Get(const std::string& path, bool auth);
  // Checks and appends leaves [frontier_.size(), size) from the tiles.
  Status ReadEntries(uint64_t size, Frontier* frontier, std::map<std::string, uint64_t>* counts);

  MonitorOptions options_;
  std::unique_ptr<RestClient> http_;
  std::string origin_;
  std::string vkey_;
  NoteVerifier verifier_;
  Frontier frontier_;
  std::map<std::string, uint64_t> counts_;
  uint64_t entries_checked_ = 0;
  std::string rewrite_json_;
  std::string known_note_;  // the state's signed checkpoint
};

// The top-level string members "type" and "issuer" of a canonical JSON entry, without a full
// parse (the monitor's hot path); empty when absent.
struct EntryLabels {
  std::string type;
  std::string issuer;
};
EntryLabels ScanEntryLabels(std::string_view entry);

}  // namespace lcb
