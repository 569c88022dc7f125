// Secret files: created 0600 atomically, refused when group- or world-readable.
#pragma once

#include <string>

#include "common/status.h"

namespace lcb {

// Writes `contents` to `path` via a temporary file created O_EXCL with mode 0600, fsync and
// rename. Fails with AlreadyExists if `path` exists and `overwrite` is false.
Status WriteSecretFile(const std::string& path, const std::string& contents,
                       bool overwrite = false);
// Reads a secret file; FailedPrecondition if its mode lets group or others read it.
StatusOr<std::string> ReadSecretFile(const std::string& path);
bool FileExists(const std::string& path);
// mkdir -p with mode 0700 for directories it creates.
Status MakeDirs(const std::string& path);

}  // namespace lcb
