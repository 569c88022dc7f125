// Offline verification of a portable credential, for `creditbank credential verify`
// (DESIGN.md, "Portable credentials"): the vc/ verifier of POST /v1/credentials/verify, with
// the issuer's key taken from the caller instead of the bank's store, and the status list from
// a file instead of the bank's lists. Nothing is fetched.
//
// Which keys may sign:
//   --issuer-key FILE  the keys in FILE, whatever the credential's verification method or kid
//                      names (the caller vouches for them), except that a did:key issuer can
//                      only be its own key: an Ed25519 key is refused for a did:key issuer whose
//                      identifier names another key. FILE is an SPKI PEM public key (Ed25519 or
//                      RSA), a public JWK, or a JWK Set as served at /.well-known/jwks.json.
//   --did DID          a did:key, resolved from itself; the credential's issuer must be it.
//                      A did:web needs its document, which is on the network: refused.
//   neither            any did:key issuer, resolved from itself (the caller then checks that
//                      the reported "issuer" is the one expected).
// The status list (a BitstringStatusListCredential) must verify with the same keys, or be
// signed by the credential's own did:key issuer; the verifier then checks that it is a
// revocation list of the credential's issuer and reads the credential's bit. Without it, or
// when it is not the list the credential names, the status is "unknown".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "vc/keys.h"
#include "vc/time.h"
#include "vc/verifier.h"

namespace lcb {

// Larger files are refused before reading: a credential is verified only up to the verifier's
// 1 MiB, and a 131,072-entry list compresses to a few hundred bytes.
inline constexpr size_t kMaxCredentialFileBytes = 4u << 20;
inline constexpr size_t kMaxStatusListFileBytes = 32u << 20;
inline constexpr size_t kMaxKeyFileBytes = 1u << 20;

struct OfflineVerifyRequest {
  std::string credential_path;   // "-" = standard input
  std::string issuer_key_path;   // "" = none
  std::string did;               // "" = none
  std::string status_list_path;  // "" = none
  vc::UnixSeconds now = 0;
};

struct OfflineVerifyOutcome {
  vc::VerificationResult result;   // printed as POST /v1/credentials/verify answers
  std::vector<std::string> notes;  // for people (stderr): what was trusted, what did not apply
};

// The verification, or a bad-arguments Status (exit 2): InvalidArgument for conflicting or
// malformed arguments and for a key or status list file that is not one, NotFound for a file
// that cannot be read. A credential file that is not a credential is a result with a
// "malformed" error, not a bad argument.
StatusOr<OfflineVerifyOutcome> VerifyCredentialOffline(const OfflineVerifyRequest& request);

// The public keys of an --issuer-key file's text (see above), each with an id: the did:key
// verification method of an Ed25519 key, the RFC 7638 thumbprint of an RSA key, or a JWK's kid.
StatusOr<std::vector<vc::VerificationKey>> ParseIssuerKeys(std::string_view text);

// Resolves every query to one of the caller's keys (the rules above).
class PinnedKeyResolver final : public vc::KeyResolver {
 public:
  explicit PinnedKeyResolver(std::vector<vc::VerificationKey> keys) : keys_(std::move(keys)) {}
  StatusOr<vc::VerificationKey> Resolve(const vc::KeyQuery& query) const override;

 private:
  std::vector<vc::VerificationKey> keys_;
};

// The file's bytes; NotFound when it cannot be read, InvalidArgument beyond `max_bytes` or for
// a directory. "-" reads standard input.
StatusOr<std::string> ReadInputFile(const std::string& path, size_t max_bytes);

}  // namespace lcb
