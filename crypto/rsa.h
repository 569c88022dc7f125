// RSA keys for the Open Badges 3.0 JWT profile: RS256 (RSASSA-PKCS1-v1_5 with SHA-256,
// RFC 7518 §3.3), JWKs (RFC 7517 §6.3) and their RFC 7638 thumbprints.
//
// Keys on disk are PKCS#8 PEM, mode 0600, as for Ed25519Key (crypto/ed25519.h): SavePem never
// overwrites, LoadPem refuses a file that group or others may access.
//
// Thread safety: RsaKey and RsaPublicKey are immutable after construction; every method may be
// called concurrently.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, opaque here.

namespace lcb {

// Size of keys the bank generates (OB 3.0 requires RS256 with at least 2048 bits).
inline constexpr int kRsaKeyBits = 2048;
// Public keys accepted for verification: below 2048 bits is too weak, above 8192 bits only
// makes a verifier spend time on an attacker's key.
inline constexpr int kRsaMinBits = 2048;
inline constexpr int kRsaMaxBits = 8192;

class RsaPublicKey {
 public:
  // {"kty":"RSA","n":b64url,"e":b64url, "kid"?, ...}. Refuses private members ("d", "p", ...)
  // and sizes outside [kRsaMinBits, kRsaMaxBits]; the Status pointer names the member.
  static StatusOr<RsaPublicKey> FromJwk(const nlohmann::json& jwk);
  // Big-endian unsigned modulus and public exponent.
  static StatusOr<RsaPublicKey> FromComponents(std::string_view modulus, std::string_view exponent);
  // An SPKI PEM ("-----BEGIN PUBLIC KEY-----"), with the size limits of FromJwk.
  // InvalidArgument for anything else, naming the key type found when it is not RSA.
  static StatusOr<RsaPublicKey> FromPem(std::string_view pem);

  RsaPublicKey(const RsaPublicKey& other);
  RsaPublicKey& operator=(const RsaPublicKey& other);
  RsaPublicKey(RsaPublicKey&&) noexcept;
  RsaPublicKey& operator=(RsaPublicKey&&) noexcept;
  ~RsaPublicKey();

  // Minimal big-endian bytes (no leading zero), as in a JWK.
  const std::string& modulus() const { return n_; }
  const std::string& exponent() const { return e_; }
  int bits() const;

  // {"e","kty":"RSA","n"} plus "kid" when non-empty.
  nlohmann::json Jwk(std::string_view kid) const;
  // SPKI PEM, as FromPem reads it.
  std::string Pem() const;
  // RFC 7638: base64url(SHA-256({"e":..,"kty":"RSA","n":..})).
  std::string Thumbprint() const;
  // True only for a valid RS256 signature of `msg`.
  bool VerifyRs256(std::string_view msg, std::string_view signature) const;

 private:
  friend class RsaKey;
  struct PkeyDeleter {
    void operator()(evp_pkey_st* p) const;
  };
  explicit RsaPublicKey(std::unique_ptr<evp_pkey_st, PkeyDeleter> pkey);

  std::unique_ptr<evp_pkey_st, PkeyDeleter> pkey_;
  std::string n_;
  std::string e_;
};

class RsaKey {
 public:
  // A fresh key (public exponent 65537) from the CSPRNG; bits >= kRsaMinBits.
  static RsaKey Generate(int bits = kRsaKeyBits);
  // As Ed25519Key::LoadPem; InvalidArgument also for a key that is not RSA or whose size is
  // outside [kRsaMinBits, kRsaMaxBits].
  static StatusOr<RsaKey> LoadPem(const std::string& path);
  // As Ed25519Key::SavePem: 0600, atomic, AlreadyExists rather than overwrite.
  Status SavePem(const std::string& path) const;

  RsaKey(RsaKey&&) noexcept;
  RsaKey& operator=(RsaKey&&) noexcept;
  RsaKey(const RsaKey&) = delete;
  RsaKey& operator=(const RsaKey&) = delete;
  ~RsaKey();

  const RsaPublicKey& PublicKey() const { return public_key_; }
  // RS256 signature of `msg` (bits/8 bytes).
  std::string SignRs256(std::string_view msg) const;

 private:
  RsaKey(std::unique_ptr<evp_pkey_st, RsaPublicKey::PkeyDeleter> pkey, RsaPublicKey public_key);

  std::unique_ptr<evp_pkey_st, RsaPublicKey::PkeyDeleter> pkey_;
  RsaPublicKey public_key_;
};

}  // namespace lcb
