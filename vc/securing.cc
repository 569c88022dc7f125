#include "vc/securing.h"

#include "crypto/jcs.h"
#include "crypto/jws.h"
#include "vc/data_integrity.h"
#include "vc/time.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

Status Bad(std::string pointer, std::string message) {
  return Status::InvalidArgument(Field(std::move(pointer)), std::move(message));
}

}  // namespace

std::string_view FormatName(CredentialFormat f) {
  switch (f) {
    case CredentialFormat::kDataIntegrity:
      return "di";
    case CredentialFormat::kVcJwt:
      return "jwt";
    case CredentialFormat::kOb3Jwt:
      return "ob3-jwt";
  }
  return "di";
}

std::optional<CredentialFormat> ParseFormat(std::string_view name) {
  if (name == "di") return CredentialFormat::kDataIntegrity;
  if (name == "jwt") return CredentialFormat::kVcJwt;
  if (name == "ob3-jwt") return CredentialFormat::kOb3Jwt;
  return std::nullopt;
}

std::string_view MediaType(CredentialFormat f) {
  switch (f) {
    case CredentialFormat::kDataIntegrity:
      return "application/vc";
    case CredentialFormat::kVcJwt:
      return "application/vc+jwt";
    case CredentialFormat::kOb3Jwt:
      return "application/jwt";
  }
  return "application/vc";
}

StatusOr<std::string> IssuerId(const Json& credential) {
  const auto it = credential.find("issuer");
  if (it != credential.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
    return it->get<std::string>();
  }
  if (it != credential.end() && it->is_object()) {
    const auto id = it->find("id");
    if (id != it->end() && id->is_string() && !id->get_ref<const std::string&>().empty()) {
      return id->get<std::string>();
    }
    return Bad("/issuer/id", "must be a non-empty string");
  }
  return Bad("/issuer", "must be an identifier or an object with an id");
}

StatusOr<Json> SecureDataIntegrity(Json credential, const Ed25519Key& key,
                                   std::string_view verification_method, std::string_view created) {
  ProofOptions options;
  options.verification_method = std::string(verification_method);
  options.created = std::string(created);
  return AddEddsaJcs2022Proof(std::move(credential), options, key);
}

StatusOr<std::string> SecureVcJwt(const Json& credential, const Ed25519Key& key,
                                  std::string_view kid) {
  LCB_ASSIGN_OR_RETURN(std::string payload, CanonicalJson(credential));
  const Json header = {{"typ", kVcJwtType}, {"cty", "vc"}, {"kid", kid}};
  return SignCompactJws(header, payload, key);
}

StatusOr<Json> Ob3JwtClaims(const Json& credential) {
  if (!credential.is_object()) return Bad("", "a credential must be a JSON object");
  Json claims = Json::object();
  LCB_ASSIGN_OR_RETURN(claims["iss"], IssuerId(credential));
  if (const auto id = credential.find("id"); id != credential.end() && id->is_string()) {
    claims["jti"] = *id;
  }
  const auto subject = credential.find("credentialSubject");
  if (subject != credential.end() && subject->is_object()) {
    if (const auto sub = subject->find("id"); sub != subject->end() && sub->is_string()) {
      claims["sub"] = *sub;
    }
  }
  const auto from = credential.find("validFrom");
  if (from == credential.end() || !from->is_string()) {
    return Bad("/validFrom", "is required for a JWT's nbf claim");
  }
  LCB_ASSIGN_OR_RETURN(claims["nbf"], ParseDateTimeStamp(from->get<std::string>(), "/validFrom"));
  if (const auto until = credential.find("validUntil"); until != credential.end()) {
    if (!until->is_string()) return Bad("/validUntil", "must be a date-time string");
    LCB_ASSIGN_OR_RETURN(claims["exp"],
                         ParseDateTimeStamp(until->get<std::string>(), "/validUntil"));
  }
  return claims;
}

StatusOr<std::string> SecureOb3Jwt(const Json& credential, const RsaKey& key,
                                   std::string_view kid) {
  LCB_ASSIGN_OR_RETURN(Json payload, Ob3JwtClaims(credential));
  for (auto it = credential.begin(); it != credential.end(); ++it) {
    if (payload.contains(it.key())) return Bad("/" + it.key(), "collides with a JWT claim");
    payload[it.key()] = it.value();
  }
  LCB_ASSIGN_OR_RETURN(std::string bytes, CanonicalJson(payload));
  Json header = {{"typ", "JWT"}};
  if (kid.empty()) {
    header["jwk"] = key.PublicKey().Jwk("");
  } else {
    header["kid"] = kid;
  }
  return SignCompactJws(header, bytes, key);
}

}  // namespace lcb::vc
