// Verification of a credential presented as JSON (Data Integrity eddsa-jcs-2022) or as a
// compact JWS (VC-JOSE "vc+jwt", or the OB 3.0 JWT profile): its form, its signature and the
// issuer's key (through a KeyResolver: nothing is fetched), its validity dates at a given time,
// its status in a decoded Bitstring Status List, and optionally that its subject is a given
// holder and its achievement one the caller knows.
//
// Every problem found is one error with a reason code; a credential is verified when there is
// none. Reason codes (DESIGN.md, "Credentials as input", plus the last two):
//   bad_signature        the proof or JWS signature does not verify, or the key was retired
//                        before the credential was signed
//   unknown_issuer       no known key of the issuer matches the verification method / kid
//   revoked              the credential's status bit is set
//   expired              validUntil (or expirationDate, or exp) is in the past
//   subject_mismatch     credentialSubject.id is not the expected holder
//   unknown_achievement  the achievement's id is not one the caller recognizes
//   not_yet_valid        validFrom (or nbf) is in the future
//   malformed            not a credential this verifier can read (the pointer names the member)
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vc/keys.h"
#include "vc/securing.h"
#include "vc/status_list.h"
#include "vc/time.h"

namespace lcb::vc {

namespace reason {
inline constexpr std::string_view kBadSignature = "bad_signature";
inline constexpr std::string_view kUnknownIssuer = "unknown_issuer";
inline constexpr std::string_view kRevoked = "revoked";
inline constexpr std::string_view kExpired = "expired";
inline constexpr std::string_view kSubjectMismatch = "subject_mismatch";
inline constexpr std::string_view kUnknownAchievement = "unknown_achievement";
inline constexpr std::string_view kNotYetValid = "not_yet_valid";
inline constexpr std::string_view kMalformed = "malformed";
}  // namespace reason

enum class CredentialState { kActive, kRevoked, kUnknown };
std::string_view StateName(CredentialState s);  // "active", "revoked", "unknown"

struct VerifyError {
  std::string reason;   // one of vc::reason
  std::string message;  // for people
  std::string pointer;  // JSON pointer into the credential, or ""
};

struct VerificationResult {
  bool verified = false;
  std::optional<CredentialFormat> format;  // unset when the input is neither JSON nor a JWS
  std::string issuer;                      // the credential's issuer id, once read
  std::string key_owner;                   // VerificationKey::owner of the key that verified
  CredentialState status = CredentialState::kUnknown;
  // Checks that passed, in order: "proof", "issuer", "validity", "status", "subject",
  // "achievement" (the last three only when asked for / possible).
  std::vector<std::string> checks;
  std::vector<VerifyError> errors;
  nlohmann::json credential;   // the credential read (a JWT's payload without its JWT claims)
  std::string subject_id;      // credentialSubject.id, when there is one
  std::string achievement_id;  // credentialSubject.achievement.id, when there is one
  // URLs of revocation lists the credential names that VerifyOptions::status_lists lacked.
  std::vector<std::string> missing_status_lists;

  bool HasReason(std::string_view reason) const;
  // {"verified", "format", "issuer", "status", "checks", "errors": [{"reason", "message",
  // "pointer"?}]}
  nlohmann::json ToJson() const;
};

struct VerifyOptions {
  UnixSeconds now = 0;
  // Decoded lists by their URL (statusListCredential); each must already be verified (e.g.
  // with VerifyCredential) and be the credential issuer's. A credential whose list is absent
  // has status "unknown"; one without credentialStatus is "active" (nothing can revoke it).
  const std::map<std::string, DecodedStatusList>* status_lists = nullptr;
  // When set, credentialSubject.id must equal it (subject_mismatch otherwise).
  std::string expected_subject;
  // When set, credentialSubject.achievement.id must satisfy it (unknown_achievement otherwise).
  std::function<bool(std::string_view achievement_id)> achievement_known;
  size_t max_input_bytes = 1 << 20;
};

// `input` is JSON text (an object: Data Integrity) or a compact JWS.
VerificationResult VerifyCredential(std::string_view input, const KeyResolver& keys,
                                    const VerifyOptions& options);
// A credential already parsed (Data Integrity only), e.g. from a VC-API request body.
VerificationResult VerifyCredentialJson(const nlohmann::json& credential, const KeyResolver& keys,
                                        const VerifyOptions& options);

}  // namespace lcb::vc
