// Ed25519 (RFC 8032, pure EdDSA) keys, signing and verification via OpenSSL 3 EVP.
//
// Keys on disk are PKCS#8 PEM ("BEGIN PRIVATE KEY"), mode 0600. Public keys travel as the
// 32 raw bytes of RFC 8032, or as SPKI PEM ("BEGIN PUBLIC KEY").
//
// Thread safety: an Ed25519Key is immutable after construction; Sign() and the accessors may
// be called concurrently. Ed25519Verify is safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, opaque here.

namespace lcb {

inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

class Ed25519Key {
 public:
  // A fresh key from the CSPRNG.
  static Ed25519Key Generate();
  // The key whose RFC 8032 secret ("seed") is `seed` (32 bytes; InvalidArgument otherwise).
  static StatusOr<Ed25519Key> FromSeed(std::string_view seed);
  // Reads a PKCS#8 PEM private key. Refuses (FailedPrecondition) a file that group or others
  // have any access to, naming the path and its mode; NotFound if absent; InvalidArgument if
  // the file is not an unencrypted Ed25519 PEM private key.
  static StatusOr<Ed25519Key> LoadPem(const std::string& path);

  // Writes the key as PKCS#8 PEM to `path`, atomically and never readable by others: a
  // temporary file is created beside it with O_CREAT|O_EXCL and mode 0600, written, fsynced,
  // then linked into place and the directory fsynced. Refuses to replace an existing file
  // (AlreadyExists): overwriting a signing key would orphan every checkpoint it signed.
  Status SavePem(const std::string& path) const;

  Ed25519Key(Ed25519Key&&) noexcept;
  Ed25519Key& operator=(Ed25519Key&&) noexcept;
  Ed25519Key(const Ed25519Key&) = delete;
  Ed25519Key& operator=(const Ed25519Key&) = delete;
  ~Ed25519Key();

  // 32 raw bytes (RFC 8032 encoding).
  const std::string& PublicKey() const { return public_key_; }
  // SPKI PEM ("-----BEGIN PUBLIC KEY-----\n...").
  std::string PublicKeyPem() const;
  // 64-byte RFC 8032 signature of `msg` (deterministic).
  std::string Sign(std::string_view msg) const;

 private:
  struct PkeyDeleter {
    void operator()(evp_pkey_st* p) const;
  };
  explicit Ed25519Key(std::unique_ptr<evp_pkey_st, PkeyDeleter> pkey);

  std::unique_ptr<evp_pkey_st, PkeyDeleter> pkey_;
  std::string public_key_;
};

// THE Ed25519 verification used everywhere in the server (signed notes, JWS). True only for
// a 32-byte public key, a 64-byte signature and a valid RFC 8032 signature of `msg` (OpenSSL
// rejects non-canonical S >= L and small-order/invalid points as RFC 8032 requires).
bool Ed25519Verify(std::string_view public_key_raw32, std::string_view msg, std::string_view sig64);

// The 32 raw bytes of an Ed25519 SPKI PEM public key; InvalidArgument for anything else.
StatusOr<std::string> PublicKeyFromPem(std::string_view pem);
// The SPKI PEM of a 32-byte Ed25519 public key; InvalidArgument for another length.
StatusOr<std::string> PublicKeyToPem(std::string_view public_key_raw32);

}  // namespace lcb
