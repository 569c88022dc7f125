// JOSE with Ed25519 (RFC 8037): JWK parsing, RFC 7638 thumbprints, and compact JWS
// verification, in particular with a detached payload (RFC 7515 Appendix F), which is how
// institutions sign request bodies (header X-JWS-Signature: "<header>..<signature>").
//
// Accepted protected header: a JSON object with "alg": "EdDSA", optionally "kid" (string),
// "typ", "cty" and other informational members. "crit" is refused (no extension is
// understood), and so is "b64": false (RFC 7797 unencoded payloads).
//
// Status codes: a malformed JWS or JWK, or a wrong alg, is InvalidArgument; an unknown kid
// or a signature that does not verify is Unauthenticated.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/rsa.h"

namespace lcb {

// Longest base64url protected header accepted (bounds work on untrusted input).
inline constexpr size_t kMaxJwsHeaderSize = 4096;

struct Ed25519Jwk {
  std::string kid;         // empty when the JWK has none
  std::string public_key;  // 32 raw bytes
};

// {"kty":"OKP","crv":"Ed25519","x":base64url(32 bytes),"kid"?: string}. A JWK carrying a
// private part ("d") is refused, so private keys are never registered by mistake. The
// Status pointer names the member ("/x").
StatusOr<Ed25519Jwk> ParseEd25519Jwk(const nlohmann::json& jwk);
// The public JWK {"crv":"Ed25519","kty":"OKP","x":...} (plus "kid" if non-empty).
nlohmann::json Ed25519PublicJwk(std::string_view public_key32, std::string_view kid);

// RFC 7638 JWK thumbprint (base64url of SHA-256 of {"crv":"Ed25519","kty":"OKP","x":...}).
std::string JwkThumbprint(std::string_view public_key32);

struct JwsHeader {
  std::string alg;
  std::string kid;  // empty if the header has none
};

// Returns the raw 32-byte public key registered under `kid`, or nullopt if unknown.
using JwsKeyLookup = std::function<std::optional<std::string>(std::string_view kid)>;

// Verifies "header..signature" over `payload` (the exact bytes, e.g. a request body). The
// header must name a kid.
StatusOr<JwsHeader> VerifyDetachedJws(std::string_view compact, std::string_view payload,
                                      const JwsKeyLookup& key_for_kid);

// Verifies an ordinary compact JWS "header.payload.signature" and returns the decoded
// payload in *payload. A header without kid looks up the empty kid.
StatusOr<JwsHeader> VerifyCompactJws(std::string_view compact, const JwsKeyLookup& key_for_kid,
                                     std::string* payload);

// "header..signature" with header {"alg":"EdDSA","kid":kid} over `payload`, for clients,
// tests and the demo.
std::string SignDetachedJws(std::string_view payload, std::string_view kid, const Ed25519Key& key);

// ---- Compact JWS with a caller-given protected header (VC-JOSE, the OB 3.0 JWT profile) ----
//
// Decoding and verifying are separate steps so that a verifier can read the header and the
// payload (kid, jwk, the issuer) to choose the key, then check the signature with it. Nothing
// in a decoded JWS may be trusted before VerifyJwsSignature returns true.

enum class JwsAlgorithm { kEdDSA, kRS256 };
std::string_view JwsAlgorithmName(JwsAlgorithm alg);  // "EdDSA", "RS256"

struct DecodedJws {
  nlohmann::json header;  // the protected header, an I-JSON object
  JwsAlgorithm alg = JwsAlgorithm::kEdDSA;
  std::string kid;            // "" when the header has none
  std::string payload;        // the decoded payload bytes
  std::string signing_input;  // ASCII(header_b64 "." payload_b64), RFC 7515 §5.2
  std::string signature;      // raw signature bytes
};

// Splits and decodes "header.payload.signature" without checking the signature. The header
// must be an I-JSON object (crypto/ijson.h) of at most kMaxJwsHeaderSize base64url characters
// with "alg" EdDSA or RS256, "kid" a string if present, no "crit", and "b64" absent or true.
// InvalidArgument for anything else; ResourceExhausted for a payload over `max_payload` bytes.
StatusOr<DecodedJws> DecodeCompactJws(std::string_view compact, size_t max_payload);

// True only when `jws.alg` matches the key type and the signature verifies.
bool VerifyJwsSignature(const DecodedJws& jws, std::string_view ed25519_public_key32);
bool VerifyJwsSignature(const DecodedJws& jws, const RsaPublicKey& key);

// "header.payload.signature" whose protected header is `header` (a JSON object; members are
// written in sorted order) with "alg" set to EdDSA or RS256 by these functions.
std::string SignCompactJws(const nlohmann::json& header, std::string_view payload,
                           const Ed25519Key& key);
std::string SignCompactJws(const nlohmann::json& header, std::string_view payload,
                           const RsaKey& key);

// A public JWK of either kind the bank uses: OKP/Ed25519 (EdDSA) or RSA (RS256).
struct ParsedPublicJwk {
  JwsAlgorithm alg = JwsAlgorithm::kEdDSA;
  std::string kid;                  // "" when the JWK has none
  std::string ed25519;              // 32 raw bytes when alg == kEdDSA
  std::optional<RsaPublicKey> rsa;  // set when alg == kRS256
  std::string thumbprint;           // RFC 7638, base64url
};
// Dispatches on "kty" to ParseEd25519Jwk or RsaPublicKey::FromJwk (the pointer names the member).
StatusOr<ParsedPublicJwk> ParsePublicJwk(const nlohmann::json& jwk);

}  // namespace lcb
