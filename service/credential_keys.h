// The bank's credential keys (DESIGN.md, "Portable credentials"): an Ed25519 key that signs
// credentials (Data Integrity eddsa-jcs-2022 and VC-JOSE), separate from the log key, and the
// RSA key of the OB 3.0 JWT profile (RS256). Both are created on first start in the data dir
// (PKCS#8 PEM, mode 0600, never overwritten) and loaded on every later start.
//
// Files:    DATA/credential_key.pem       Ed25519
//           DATA/credential_rsa_key.pem   RSA 2048
// History:  kMeta "credential_keys" = JSON array, oldest first, of
//             {"multikey": "z6Mk...", "valid_from": RFC 3339, "valid_until"?: RFC 3339}
//           A key file replaced by the operator (rotation) adds a row and closes the previous
//           row's validity; old keys stay known so what they signed keeps verifying.
//
// The bank's identifier is the current key's did:key (resolved offline by any verifier);
// with public_url configured it is also did:web:<host>, whose document lists every key.
//
// Immutable after Open; thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/rsa.h"
#include "storage/kv.h"
#include "vc/keys.h"

namespace lcb {

struct CredentialKeyRow {
  std::string multikey;  // "z6Mk..."
  std::string valid_from;
  std::string valid_until;  // empty: current
  std::string rsa_kid;      // the RSA key used beside it (empty in rows written before it was kept)
};

// The key files' names in the data directory (backups copy them: service/backup.h).
inline constexpr char kCredentialKeyFile[] = "credential_key.pem";
inline constexpr char kCredentialRsaKeyFile[] = "credential_rsa_key.pem";

class CredentialKeys {
 public:
  // Loads or creates both keys in `data_dir` and brings the key history in `kv` up to date.
  // On a store several nodes share (`shared_store`), every node must sign with the bank's
  // current keys: once the bank has keys, missing key files are not made anew, and a retired
  // Ed25519 key or an RSA key other than the current one is refused (FailedPrecondition naming
  // the files to copy), so that no node's start retires the keys the other nodes sign with.
  static StatusOr<std::unique_ptr<CredentialKeys>> Open(Kv* kv, const std::string& data_dir,
                                                        bool shared_store = false);

  const Ed25519Key& ed25519() const { return *ed25519_; }
  const RsaKey& rsa() const { return *rsa_; }
  // did:key of the current Ed25519 key, and its verification method (did#multikey).
  const std::string& did() const { return did_; }
  const std::string& verification_method() const { return verification_method_; }
  // RFC 7638 thumbprint of the RSA key: its kid in the JWK Set and in ob3-jwt headers.
  const std::string& rsa_kid() const { return rsa_kid_; }
  const std::vector<CredentialKeyRow>& history() const { return history_; }

  // {"keys": [Ed25519 OKP JWK (kid = verification method), RSA JWK (kid = thumbprint)]}.
  nlohmann::json Jwks() const;
  // The did:web document for `public_url` listing every Ed25519 key, current and rotated, as
  // "<did:web>#key-<n>" (n = 1 for the oldest). InvalidArgument for a URL did:web cannot name.
  StatusOr<nlohmann::json> DidWebDocument(const std::string& public_url) const;
  // The keys a verifier of the bank's credentials trusts: every Ed25519 key of the history for
  // its own did:key (with its validity), the same keys under did:web when `did_web` is set, and
  // the RSA key by its kid. Owner "bank".
  void RegisterKeys(vc::KeyRegistry* registry, const std::string& did_web) const;

 private:
  CredentialKeys() = default;
  Status LoadHistory(Kv* kv, bool shared_store);

  std::unique_ptr<Ed25519Key> ed25519_;
  std::unique_ptr<RsaKey> rsa_;
  std::string did_, verification_method_, rsa_kid_;
  std::vector<CredentialKeyRow> history_;
};

}  // namespace lcb
