#include "crypto/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/encoding.h"
#include "crypto/internal/openssl_util.h"

namespace lcb {
namespace internal {

const EVP_MD* Sha256Md() {
  // Function-local static: initialised once, thread-safe. Destroyed at exit after every
  // thread_local hasher of the main thread, and before OpenSSL's own atexit cleanup (which
  // was registered earlier, during the first OpenSSL call made by EVP_MD_fetch itself).
  static const EvpMdPtr md = [] {
    EvpMdPtr fetched(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    if (!fetched) FatalOpenSsl("EVP_MD_fetch(SHA256)");
    return fetched;
  }();
  return md.get();
}

std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long err;  // NOLINT(runtime/int): OpenSSL's type
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

void FatalOpenSsl(const char* what) {
  std::fprintf(stderr, "fatal: OpenSSL %s failed: %s\n", what, DrainOpenSslErrors().c_str());
  std::abort();
}

}  // namespace internal

void Sha256Hasher::CtxDeleter::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex2(ctx_.get(), internal::Sha256Md(), nullptr) != 1) {
    internal::FatalOpenSsl("EVP_DigestInit_ex2(SHA256)");
  }
}

Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;

void Sha256Hasher::Update(const uint8_t* data, size_t size) {
  // Cannot fail for an initialised SHA-256 context.
  EVP_DigestUpdate(ctx_.get(), data, size);
}

void Sha256Hasher::Update(std::string_view data) {
  EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
}

Hash Sha256Hasher::Final() {
  Hash out;
  if (EVP_DigestFinal_ex(ctx_.get(), out.data(), nullptr) != 1 ||
      // Re-initialising with the same EVP_MD keeps the provider context: no allocation.
      EVP_DigestInit_ex2(ctx_.get(), internal::Sha256Md(), nullptr) != 1) {
    internal::FatalOpenSsl("SHA-256 final");
  }
  return out;
}

Hash Sha256(std::string_view data) {
  thread_local Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Final();
}

std::string HashHex(const Hash& hash) { return HexEncode(HashBytes(hash)); }

std::optional<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  std::optional<std::string> bytes = HexDecode(hex);
  if (!bytes) return std::nullopt;
  return HashFromBytes(*bytes);
}

std::optional<Hash> HashFromBytes(std::string_view bytes) {
  if (bytes.size() != 32) return std::nullopt;
  Hash h;
  std::memcpy(h.data(), bytes.data(), h.size());
  return h;
}

Hash HmacSha256(std::string_view key, std::string_view data) {
  Hash out;
  unsigned int len = 0;
  // HMAC() with an empty key needs a non-null pointer.
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  if (key.size() > INT_MAX ||
      HMAC(internal::Sha256Md(), key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    internal::FatalOpenSsl("HMAC-SHA256");
  }
  return out;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  while (n > 0) {
    const int chunk = static_cast<int>(std::min<size_t>(n, INT_MAX));
    if (RAND_bytes(p, chunk) != 1) internal::FatalOpenSsl("RAND_bytes");
    p += chunk;
    n -= static_cast<size_t>(chunk);
  }
  return out;
}

}  // namespace lcb
