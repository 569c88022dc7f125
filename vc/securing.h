// The three ways the bank secures a credential, and their media types (DESIGN.md, "Portable
// credentials"):
//
//   di       application/vc      the credential with a Data Integrity eddsa-jcs-2022 proof
//   jwt      application/vc+jwt  VC-JOSE: compact JWS, header {alg: EdDSA, typ: "vc+jwt",
//                                cty: "vc", kid: the verification method}, payload = the
//                                credential (JCS bytes), no "vc" claim
//   ob3-jwt  application/jwt     OB 3.0 JWT profile: compact JWS, header {alg: RS256, typ: "JWT",
//                                kid | jwk}, payload = the credential + iss (issuer id), jti
//                                (credential id), sub (subject id), nbf (validFrom) and exp
//                                (validUntil) as NumericDates
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/rsa.h"

namespace lcb::vc {

enum class CredentialFormat { kDataIntegrity, kVcJwt, kOb3Jwt };

std::string_view FormatName(CredentialFormat f);  // "di", "jwt", "ob3-jwt"
std::optional<CredentialFormat> ParseFormat(std::string_view name);
std::string_view MediaType(CredentialFormat f);  // "application/vc", ...

inline constexpr std::string_view kVcJwtType = "vc+jwt";

// di: the credential with its eddsa-jcs-2022 proof (`created` may be empty).
StatusOr<nlohmann::json> SecureDataIntegrity(nlohmann::json credential, const Ed25519Key& key,
                                             std::string_view verification_method,
                                             std::string_view created);
// jwt: VC-JOSE with `kid` = the verification method.
StatusOr<std::string> SecureVcJwt(const nlohmann::json& credential, const Ed25519Key& key,
                                  std::string_view kid);
// ob3-jwt: with `kid` non-empty the header names it, else it embeds the public key as "jwk".
// InvalidArgument when the credential lacks what the claims come from (issuer id, validFrom).
StatusOr<std::string> SecureOb3Jwt(const nlohmann::json& credential, const RsaKey& key,
                                   std::string_view kid);

// The JWT claims of the OB 3.0 profile for `credential` (also what a verifier compares).
StatusOr<nlohmann::json> Ob3JwtClaims(const nlohmann::json& credential);

// The issuer id of a credential: "issuer" as a string, or its object's "id".
StatusOr<std::string> IssuerId(const nlohmann::json& credential);

}  // namespace lcb::vc
