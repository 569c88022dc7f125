// Private to crypto/: RAII holders for OpenSSL objects and shared helpers. Never include this
// from a public crypto header (OpenSSL types must not leak into other modules).
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace lcb::internal {

struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct EvpMdFree {
  void operator()(EVP_MD* p) const { EVP_MD_free(p); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct EvpPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};

using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;
using EvpMdPtr = std::unique_ptr<EVP_MD, EvpMdFree>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// SHA-256 fetched from the default provider once per process (EVP_MD_fetch is a locked
// lookup; doing it per hash costs more than hashing a short leaf).
const EVP_MD* Sha256Md();

// Drains OpenSSL's thread-local error queue into one line ("" if empty), so a failure
// message names the library's reason and a stale error never leaks into a later call.
std::string DrainOpenSslErrors();

// Aborts with `what` and the OpenSSL error queue. Only for failures that cannot happen with
// valid inputs (allocation failure, a missing built-in algorithm): there is no sane way on.
[[noreturn]] void FatalOpenSsl(const char* what);

}  // namespace lcb::internal
