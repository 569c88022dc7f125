// Private to crypto/: reading and writing private key files, shared by the key classes that
// came after Ed25519Key (crypto/ed25519.cc keeps its own copy of the same rules).
//
// Rules: PKCS#8 PEM, unencrypted; written 0600 through a temporary file linked into place
// (never replacing an existing key); refused on load when group or others have any access.
#pragma once

#include <string>

#include "common/status.h"
#include "crypto/internal/openssl_util.h"

namespace lcb::internal {

// Reads the private key in `path`. NotFound if absent; FailedPrecondition for a file group or
// others may access (naming path and mode); InvalidArgument for anything not an unencrypted
// PEM private key.
StatusOr<EvpPkeyPtr> ReadPrivateKeyFile(const std::string& path);

// Writes `pkey` as PKCS#8 PEM to `path` (mode 0600, fsynced, directory fsynced). AlreadyExists
// when `path` exists: overwriting a signing key would orphan everything it signed.
Status WritePrivateKeyFile(const std::string& path, EVP_PKEY* pkey);

}  // namespace lcb::internal
