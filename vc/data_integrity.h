// Data Integrity proofs with the eddsa-jcs-2022 cryptosuite (W3C VC-DI-EdDSA §3.3): the proof
// that needs no JSON-LD processing, only RFC 8785 JCS, SHA-256 and Ed25519.
//
//   proof config  = proof options (type "DataIntegrityProof", cryptosuite "eddsa-jcs-2022",
//                   created?, verificationMethod, proofPurpose) + "@context" = the document's
//                   "@context" when it has one                                   (§3.3.1 step 2)
//   hash data     = SHA-256(JCS(proof config)) || SHA-256(JCS(document without "proof"))
//   proofValue    = "z" base58btc(Ed25519-sign(hash data))                       (64 bytes)
//
// On verification a proof that carries "@context" requires the document's "@context" to start
// with those values in order, and the document is hashed with the proof's "@context" in place
// of its own (§3.3.2 step 4), as digitalbazaar's implementation does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/ed25519.h"

namespace lcb::vc {

inline constexpr std::string_view kDataIntegrityProof = "DataIntegrityProof";
inline constexpr std::string_view kEddsaJcs2022 = "eddsa-jcs-2022";
inline constexpr std::string_view kAssertionMethod = "assertionMethod";

struct ProofOptions {
  std::string verification_method;  // e.g. "did:key:z6Mk...#z6Mk..."
  std::string created;              // dateTimeStamp; empty = no "created" member
  std::string proof_purpose = std::string(kAssertionMethod);
};

// Returns `document` with a "proof" member. InvalidArgument when `document` is not an object,
// already has a "proof", or holds a value JCS cannot serialize (the pointer names it).
StatusOr<nlohmann::json> AddEddsaJcs2022Proof(nlohmann::json document, const ProofOptions& options,
                                              const Ed25519Key& key);

// The 64 bytes signed for `document` (without "proof") under `proof_config` (with "@context").
StatusOr<std::string> EddsaJcs2022HashData(const nlohmann::json& document,
                                           const nlohmann::json& proof_config);

// A proof read back from a secured document, ready for its key to be resolved and checked.
struct PendingProof {
  std::string verification_method;
  std::string proof_purpose;
  std::string created;    // "" when absent
  std::string hash_data;  // the 64 bytes to verify the signature over
  std::string signature;  // 64 bytes
};

// Reads the single eddsa-jcs-2022 proof of `secured` (an object whose "proof" is one object,
// or an array holding exactly one such proof) and computes its hash data. InvalidArgument
// (pointer into the document, e.g. "/proof/proofValue") for a missing or malformed proof, an
// other type or cryptosuite, a bad "created", or a "@context" the document does not start with.
StatusOr<PendingProof> ReadEddsaJcs2022Proof(const nlohmann::json& secured);

// ReadEddsaJcs2022Proof's signature check against a resolved 32-byte key.
bool VerifyPendingProof(const PendingProof& proof, std::string_view ed25519_public_key32);

}  // namespace lcb::vc
