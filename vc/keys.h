// Keys that may sign credentials, and how a verifier finds them: the bank's current and
// rotated keys (with their validity), did:key (resolved offline from the identifier itself),
// institutions' registered Ed25519/RSA JWKs or DIDs, and did:web only from a DID document the
// caller pinned (the verifier never fetches anything).
//
// Matching a proof's verificationMethod or a JWS kid ("key id") against registered keys:
//   - a key registered for issuer identifiers (a DID, a URL) matches only credentials whose
//     issuer is one of them, by its full id ("did:web:bank.example#key-2") or, for a relative
//     key id ("#key-2"), by issuer + key id;
//   - a key registered without issuer identifiers (an institution's JWK) matches any issuer, by
//     its kid, by the fragment of a verificationMethod ("https://u.example/issuer#k1" -> "k1"),
//     or, for a JWS that embeds its key, by RFC 7638 thumbprint;
//   - with no key id and no embedded key, the only candidate key of the JWS's algorithm.
// Every key names its owner (e.g. "bank" or an institution id) so the caller knows whose key
// verified a credential.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/jws.h"
#include "crypto/rsa.h"
#include "vc/time.h"

namespace lcb::vc {

struct VerificationKey {
  std::string id;     // verification method id or JWK kid
  std::string owner;  // who holds it: "bank", an institution id, or the DID itself
  JwsAlgorithm alg = JwsAlgorithm::kEdDSA;
  std::string ed25519;              // 32 bytes when alg == kEdDSA
  std::optional<RsaPublicKey> rsa;  // when alg == kRS256
  std::string thumbprint;           // RFC 7638
  // A rotated key stays valid for what it signed before valid_until.
  std::optional<UnixSeconds> valid_from;
  std::optional<UnixSeconds> valid_until;
};

VerificationKey Ed25519VerificationKey(std::string id, std::string owner, std::string public_key32);
VerificationKey RsaVerificationKey(std::string id, std::string owner, const RsaPublicKey& key);
// From a public JWK (OKP/Ed25519 or RSA); the id is the JWK's kid ("" when none).
StatusOr<VerificationKey> VerificationKeyFromJwk(const nlohmann::json& jwk, std::string owner);

struct KeyQuery {
  std::string_view issuer;          // the credential's issuer id
  std::string_view key_id;          // a DI verificationMethod or a JWS kid; "" when none
  std::string_view jwk_thumbprint;  // of a JWS header's embedded "jwk"; "" when none
  JwsAlgorithm alg = JwsAlgorithm::kEdDSA;
};

class KeyResolver {
 public:
  virtual ~KeyResolver() = default;
  // The key that `query` names and that may sign for query.issuer; NotFound when none does.
  virtual StatusOr<VerificationKey> Resolve(const KeyQuery& query) const = 0;
};

class KeyRegistry final : public KeyResolver {
 public:
  // `key` signs for the issuer identifiers `issuers` (empty: any issuer, see above).
  void Add(std::vector<std::string> issuers, VerificationKey key);
  // A did:key identifier, resolved now from itself; its single key signs for it.
  Status AddDidKey(std::string_view did, std::string owner);
  // A DID document pinned for its "id" (a did:web or did:key): every verificationMethod that
  // "assertionMethod" lists (Multikey with publicKeyMultibase, or JsonWebKey / JsonWebKey2020
  // with publicKeyJwk) becomes a key of that DID. InvalidArgument naming the member otherwise.
  Status PinDidDocument(const nlohmann::json& document, std::string owner);
  // Resolve any did:key issuer offline, registered or not (the public verifier does; the
  // intake of institutions' credentials does not).
  void set_accept_any_did_key(bool on) { accept_any_did_key_ = on; }

  StatusOr<VerificationKey> Resolve(const KeyQuery& query) const override;

 private:
  struct Entry {
    std::vector<std::string> issuers;
    VerificationKey key;
  };
  std::vector<Entry> entries_;
  bool accept_any_did_key_ = false;
};

// The did:key DID document (Multikey verification method) of an Ed25519 key.
nlohmann::json DidKeyDocument(std::string_view public_key32);

// did:web for a public https URL: "https://bank.example" -> "did:web:bank.example",
// "https://h.example:8443/cb" -> "did:web:h.example%3A8443:cb". InvalidArgument for anything
// but an https URL with a host (did:web has no http form).
StatusOr<std::string> DidWebFromUrl(std::string_view public_url);

// A did:web document listing Ed25519 keys as Multikey methods "<did>#<fragment>", all under
// assertionMethod (current and rotated keys alike: what they signed must keep verifying).
struct DidKeyEntry {
  std::string fragment;    // e.g. "key-1"
  std::string public_key;  // 32 bytes
};
nlohmann::json DidWebDocument(std::string_view did, const std::vector<DidKeyEntry>& keys);

}  // namespace lcb::vc
