// SHA-256, HMAC-SHA-256 and random bytes, backed by OpenSSL 3 EVP.
//
// OpenSSL types stay out of this header: the incremental hasher holds an opaque context
// released by a deleter defined in sha256.cc.
//
// Thread safety: the free functions are safe to call from any thread (each thread reuses its
// own cached digest context). A Sha256Hasher object is not thread-safe; use one per thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, opaque here.

namespace lcb {

using Hash = std::array<uint8_t, 32>;

// SHA-256 of `data`.
Hash Sha256(std::string_view data);

// Incremental SHA-256. The digest algorithm is fetched once per process and the context is
// reinitialised in place after Final(), so a hasher can be reused without allocation.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  void Update(const uint8_t* data, size_t size);
  // Returns the digest of everything passed to Update() since construction or the previous
  // Final(), and resets the hasher for the next message.
  Hash Final();

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;
};

// Lowercase hex of a hash (64 characters).
std::string HashHex(const Hash& hash);
// Parses exactly 64 hex digits (either case); nullopt otherwise.
std::optional<Hash> HashFromHex(std::string_view hex);
// The hash as a 32-byte string (for storage keys and signing inputs).
inline std::string_view HashBytes(const Hash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}
// Copies exactly 32 bytes into a Hash; nullopt for any other length.
std::optional<Hash> HashFromBytes(std::string_view bytes);

// HMAC-SHA-256 (RFC 2104) of `data` under `key`.
Hash HmacSha256(std::string_view key, std::string_view data);

// `n` bytes from OpenSSL's CSPRNG. Aborts the process if the CSPRNG cannot produce output:
// continuing with weak keys, salts or tokens would be worse than stopping.
std::string RandomBytes(size_t n);

}  // namespace lcb
