// Secret files: created 0600 atomically, refused when group- or world-readable.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace lcb {

// Writes `contents` to `path` via a temporary file created O_EXCL with mode 0600, fsync and
// rename. Fails with AlreadyExists if `path` exists and `overwrite` is false.
Status WriteSecretFile(const std::string& path, const std::string& contents,
                       bool overwrite = false);
// Writes `contents` to `path` (mode 0644 less the umask) via a temporary file in the same
// directory, fsync, rename and an fsync of the directory, replacing any file at `path`: a
// reader sees the old contents or the new, never a part. The error names `path` and the reason.
Status WriteFileReplacing(const std::string& path, const std::string& contents);
// Reads a secret file; FailedPrecondition if its mode lets group or others read it.
StatusOr<std::string> ReadSecretFile(const std::string& path);
bool FileExists(const std::string& path);
// mkdir -p with mode 0700 for directories it creates.
Status MakeDirs(const std::string& path);

// An exclusive lock on `dir`/LOCK (flock), held while the object lives: one server per data
// directory. Unavailable, naming the lock, when another process holds it.
class DirLock {
 public:
  static StatusOr<std::unique_ptr<DirLock>> Take(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

// This node's name in a shared database: "<host>:<dir>#<id>", where <id> is a random id made
// once and kept in `dir`/node_id. Stable across restarts on the same directory; different for
// two machines with the same paths, and for two directories on one machine.
StatusOr<std::string> NodeName(const std::string& dir);

}  // namespace lcb
