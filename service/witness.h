// A C2SP tlog-witness (https://c2sp.org/tlog-witness): checks that each checkpoint a log
// submits extends the last one it cosigned for that log, remembers the new one on disk, and
// returns its tlog-cosignature. Run by `creditbank witness` (api/witness_server.h serves it).
//
// add-checkpoint request body (every line ends with LF):
//   request = "old" SP size LF *63( base64(hash) LF ) LF checkpoint_note
//   size    = "0" / %x31-39 *DIGIT
// Outcomes, as Status codes (api/witness_server.cc maps them to the spec's HTTP statuses):
//   Ok                  the cosignature line(s) to return (200)
//   InvalidArgument     malformed request, or old size above the checkpoint's (400)
//   NotFound            the checkpoint's origin is not a configured log (404)
//   PermissionDenied    no signature by a configured key of that log verifies (403)
//   FailedPrecondition  old size is not the size last cosigned, or the same size with another
//                       root; *known_size gets the size last cosigned (409)
//   DataLoss            the consistency proof does not verify (422)
//
// State: one file per log in the state directory, `<hex SHA-256(origin)>.checkpoint`, holding
// the body (checkpoint text) last cosigned. It is replaced atomically (temporary file, fsync,
// rename, fsync of the directory) before a cosignature is returned, and the check and the
// update happen under one lock, so two racing requests can never roll the state back.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/checkpoint.h"
#include "crypto/ed25519.h"
#include "crypto/signed_note.h"

namespace lcb {

inline constexpr size_t kMaxWitnessProofLines = 63;
inline constexpr size_t kMaxAddCheckpointBytes = 64 << 10;

class Witness {
 public:
  // `logs`: the verifier keys the witness trusts, the key name being the log's origin.
  // Loads the state of every configured log from `state_dir` (created if missing).
  // `clock` gives the cosignature timestamps (POSIX seconds); empty = the system clock.
  static StatusOr<std::unique_ptr<Witness>> Open(std::string name, Ed25519Key key,
                                                 std::vector<NoteVerifier> logs,
                                                 std::string state_dir,
                                                 std::function<uint64_t()> clock = {});

  const std::string& name() const { return name_; }
  // "name+keyid+base64(0x04||pubkey)", what logs and auditors configure.
  std::string vkey() const;

  // The add-checkpoint call; see the table above.
  StatusOr<std::string> AddCheckpoint(std::string_view request, uint64_t* known_size);

  // The size last cosigned for `origin` (0 if none; NotFound for an unknown log).
  StatusOr<uint64_t> KnownSize(const std::string& origin) const;

 private:
  struct LogState {
    std::vector<NoteVerifier> keys;
    Checkpoint latest;  // size 0 and the empty root until the first cosignature
  };
  Witness() = default;
  Status Load();
  Status Persist(const std::string& origin, const std::string& body) const;
  std::string StatePath(const std::string& origin) const;

  std::string name_;
  std::unique_ptr<Ed25519Key> key_;
  std::string state_dir_;
  std::function<uint64_t()> clock_;
  mutable std::mutex mu_;
  std::map<std::string, LogState> logs_;  // by origin; guarded by mu_
};

}  // namespace lcb
