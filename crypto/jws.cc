#include "crypto/jws.h"

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/ijson.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

using Json = nlohmann::json;

Status BadJws(std::string why) { return Status::InvalidArgument(Field(""), "bad JWS: " + why); }

struct CompactParts {
  std::string_view header_b64;
  std::string_view payload_b64;
  std::string_view signature_b64;
};

StatusOr<CompactParts> SplitCompact(std::string_view compact) {
  const size_t d1 = compact.find('.');
  const size_t d2 = d1 == std::string_view::npos ? d1 : compact.find('.', d1 + 1);
  if (d2 == std::string_view::npos || compact.find('.', d2 + 1) != std::string_view::npos) {
    return BadJws("compact serialization has three parts separated by two dots");
  }
  return CompactParts{compact.substr(0, d1), compact.substr(d1 + 1, d2 - d1 - 1),
                      compact.substr(d2 + 1)};
}

StatusOr<JwsHeader> ParseProtectedHeader(std::string_view header_b64) {
  if (header_b64.empty()) return BadJws("empty protected header");
  if (header_b64.size() > kMaxJwsHeaderSize) return BadJws("protected header is too long");
  std::optional<std::string> raw = Base64UrlDecode(header_b64);
  if (!raw) return BadJws("protected header is not base64url");
  const Json header = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return BadJws("protected header is not a JSON object");
  JwsHeader out;
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return BadJws("protected header has no alg");
  out.alg = alg->get<std::string>();
  if (out.alg != "EdDSA") {
    return Status::InvalidArgument(Field(""), "bad JWS: alg must be EdDSA, got " + out.alg);
  }
  if (const auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string()) return BadJws("kid is not a string");
    out.kid = kid->get<std::string>();
  }
  if (header.contains("crit")) return BadJws("critical header parameters are not supported");
  if (const auto b64 = header.find("b64"); b64 != header.end() && *b64 != Json(true)) {
    return BadJws("unencoded payloads (b64) are not supported");
  }
  return out;
}

// The shared core of attached and detached verification: `signing_input` is
// ASCII(header_b64 "." payload_b64) exactly as RFC 7515 §5.2 defines it.
StatusOr<JwsHeader> VerifyParts(std::string_view header_b64, std::string_view signing_input,
                                std::string_view signature_b64, bool require_kid,
                                const JwsKeyLookup& key_for_kid) {
  LCB_ASSIGN_OR_RETURN(JwsHeader header, ParseProtectedHeader(header_b64));
  if (require_kid && header.kid.empty()) return BadJws("protected header has no kid");
  std::optional<std::string> sig = Base64UrlDecode(signature_b64);
  if (!sig || sig->size() != kEd25519SignatureSize) {
    return BadJws("signature is not base64url of 64 bytes");
  }
  std::optional<std::string> key = key_for_kid(header.kid);
  if (!key) return Status::Unauthenticated("JWS kid \"" + header.kid + "\" is not a known key");
  if (!Ed25519Verify(*key, signing_input, *sig)) {
    return Status::Unauthenticated("JWS signature does not verify");
  }
  return header;
}

}  // namespace

StatusOr<Ed25519Jwk> ParseEd25519Jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return Status::InvalidArgument(Field(""), "JWK must be a JSON object");
  const auto member = [&](const char* name) -> const Json* {
    auto it = jwk.find(name);
    return it == jwk.end() ? nullptr : &*it;
  };
  const Json* kty = member("kty");
  if (kty == nullptr || *kty != "OKP")
    return Status::InvalidArgument(Field("/kty"), "must be \"OKP\"");
  const Json* crv = member("crv");
  if (crv == nullptr || *crv != "Ed25519") {
    return Status::InvalidArgument(Field("/crv"), "must be \"Ed25519\"");
  }
  if (member("d") != nullptr) {
    return Status::InvalidArgument(Field("/d"),
                                   "JWK holds a private key; register the public key only");
  }
  const Json* x = member("x");
  std::optional<std::string> raw = x != nullptr && x->is_string()
                                       ? Base64UrlDecode(x->get_ref<const std::string&>())
                                       : std::nullopt;
  if (!raw || raw->size() != kEd25519PublicKeySize) {
    return Status::InvalidArgument(Field("/x"), "must be base64url (unpadded) of 32 bytes");
  }
  Ed25519Jwk out;
  out.public_key = std::move(*raw);
  if (const Json* kid = member("kid"); kid != nullptr) {
    if (!kid->is_string()) return Status::InvalidArgument(Field("/kid"), "must be a string");
    out.kid = kid->get<std::string>();
  }
  return out;
}

nlohmann::json Ed25519PublicJwk(std::string_view public_key32, std::string_view kid) {
  Json jwk = {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", Base64UrlEncode(public_key32)}};
  if (!kid.empty()) jwk["kid"] = std::string(kid);
  return jwk;
}

std::string JwkThumbprint(std::string_view public_key32) {
  // RFC 7638 §3.2: the required members only, sorted, no whitespace. Base64url text needs
  // no JSON escaping, so the canonical form is spelled out directly.
  const std::string canonical =
      R"({"crv":"Ed25519","kty":"OKP","x":")" + Base64UrlEncode(public_key32) + R"("})";
  return Base64UrlEncode(HashBytes(Sha256(canonical)));
}

StatusOr<JwsHeader> VerifyDetachedJws(std::string_view compact, std::string_view payload,
                                      const JwsKeyLookup& key_for_kid) {
  LCB_ASSIGN_OR_RETURN(CompactParts parts, SplitCompact(compact));
  if (!parts.payload_b64.empty()) return BadJws("payload must be detached (header..signature)");
  std::string signing_input(parts.header_b64);
  signing_input += '.';
  signing_input += Base64UrlEncode(payload);
  return VerifyParts(parts.header_b64, signing_input, parts.signature_b64,
                     /*require_kid=*/true, key_for_kid);
}

StatusOr<JwsHeader> VerifyCompactJws(std::string_view compact, const JwsKeyLookup& key_for_kid,
                                     std::string* payload) {
  LCB_ASSIGN_OR_RETURN(CompactParts parts, SplitCompact(compact));
  std::optional<std::string> decoded = Base64UrlDecode(parts.payload_b64);
  if (!decoded) return BadJws("payload is not base64url");
  const std::string_view signing_input =
      compact.substr(0, parts.header_b64.size() + 1 + parts.payload_b64.size());
  LCB_ASSIGN_OR_RETURN(JwsHeader header,
                       VerifyParts(parts.header_b64, signing_input, parts.signature_b64,
                                   /*require_kid=*/false, key_for_kid));
  if (payload != nullptr) *payload = std::move(*decoded);
  return header;
}

std::string SignDetachedJws(std::string_view payload, std::string_view kid, const Ed25519Key& key) {
  const Json header = {{"alg", "EdDSA"}, {"kid", std::string(kid)}};
  const std::string header_b64 =
      Base64UrlEncode(header.dump(-1, ' ', false, Json::error_handler_t::replace));
  std::string signing_input = header_b64;
  signing_input += '.';
  signing_input += Base64UrlEncode(payload);
  return header_b64 + ".." + Base64UrlEncode(key.Sign(signing_input));
}

// ---- Compact JWS with a caller-given protected header -------------------------------------

namespace {

StatusOr<Json> DecodeGeneralHeader(std::string_view header_b64, JwsAlgorithm* alg,
                                   std::string* kid) {
  if (header_b64.empty()) return BadJws("empty protected header");
  if (header_b64.size() > kMaxJwsHeaderSize) return BadJws("protected header is too long");
  std::optional<std::string> raw = Base64UrlDecode(header_b64);
  if (!raw) return BadJws("protected header is not base64url");
  StatusOr<Json> header = ParseIJson(*raw);
  if (!header.ok() || !header->is_object()) return BadJws("protected header is not a JSON object");
  const auto alg_it = header->find("alg");
  if (alg_it == header->end() || !alg_it->is_string()) return BadJws("protected header has no alg");
  if (*alg_it == "EdDSA") {
    *alg = JwsAlgorithm::kEdDSA;
  } else if (*alg_it == "RS256") {
    *alg = JwsAlgorithm::kRS256;
  } else {
    return Status::InvalidArgument(
        Field(""), "bad JWS: alg must be EdDSA or RS256, got " + alg_it->get<std::string>());
  }
  if (const auto k = header->find("kid"); k != header->end()) {
    if (!k->is_string()) return BadJws("kid is not a string");
    *kid = k->get<std::string>();
  }
  if (header->contains("crit")) return BadJws("critical header parameters are not supported");
  if (const auto b64 = header->find("b64"); b64 != header->end() && *b64 != Json(true)) {
    return BadJws("unencoded payloads (b64) are not supported");
  }
  return header;
}

std::string SignCompact(const nlohmann::json& header, JwsAlgorithm alg, std::string_view payload,
                        const std::function<std::string(std::string_view)>& sign) {
  Json h = header.is_object() ? header : Json::object();
  h["alg"] = std::string(JwsAlgorithmName(alg));
  std::string signing_input =
      Base64UrlEncode(h.dump(-1, ' ', false, Json::error_handler_t::replace));
  signing_input += '.';
  signing_input += Base64UrlEncode(payload);
  const std::string signature = sign(signing_input);
  signing_input += '.';
  signing_input += Base64UrlEncode(signature);
  return signing_input;
}

}  // namespace

std::string_view JwsAlgorithmName(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kRS256 ? "RS256" : "EdDSA";
}

StatusOr<DecodedJws> DecodeCompactJws(std::string_view compact, size_t max_payload) {
  LCB_ASSIGN_OR_RETURN(CompactParts parts, SplitCompact(compact));
  DecodedJws out;
  LCB_ASSIGN_OR_RETURN(out.header, DecodeGeneralHeader(parts.header_b64, &out.alg, &out.kid));
  if (parts.payload_b64.size() / 4 * 3 > max_payload + 3) {
    return Status::ResourceExhausted(
        Field(""), "JWS payload is larger than " + std::to_string(max_payload) + " bytes");
  }
  std::optional<std::string> payload = Base64UrlDecode(parts.payload_b64);
  if (!payload) return BadJws("payload is not base64url");
  if (payload->size() > max_payload) {
    return Status::ResourceExhausted(
        Field(""), "JWS payload is larger than " + std::to_string(max_payload) + " bytes");
  }
  std::optional<std::string> signature = Base64UrlDecode(parts.signature_b64);
  if (!signature || signature->empty()) return BadJws("signature is not base64url");
  out.payload = std::move(*payload);
  out.signature = std::move(*signature);
  out.signing_input =
      std::string(compact.substr(0, parts.header_b64.size() + 1 + parts.payload_b64.size()));
  return out;
}

bool VerifyJwsSignature(const DecodedJws& jws, std::string_view ed25519_public_key32) {
  return jws.alg == JwsAlgorithm::kEdDSA &&
         Ed25519Verify(ed25519_public_key32, jws.signing_input, jws.signature);
}

bool VerifyJwsSignature(const DecodedJws& jws, const RsaPublicKey& key) {
  return jws.alg == JwsAlgorithm::kRS256 && key.VerifyRs256(jws.signing_input, jws.signature);
}

std::string SignCompactJws(const nlohmann::json& header, std::string_view payload,
                           const Ed25519Key& key) {
  return SignCompact(header, JwsAlgorithm::kEdDSA, payload,
                     [&](std::string_view input) { return key.Sign(input); });
}

std::string SignCompactJws(const nlohmann::json& header, std::string_view payload,
                           const RsaKey& key) {
  return SignCompact(header, JwsAlgorithm::kRS256, payload,
                     [&](std::string_view input) { return key.SignRs256(input); });
}

StatusOr<ParsedPublicJwk> ParsePublicJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return Status::InvalidArgument(Field(""), "JWK must be a JSON object");
  const auto kty = jwk.find("kty");
  ParsedPublicJwk out;
  if (kty != jwk.end() && *kty == "RSA") {
    LCB_ASSIGN_OR_RETURN(RsaPublicKey rsa, RsaPublicKey::FromJwk(jwk));
    out.alg = JwsAlgorithm::kRS256;
    out.thumbprint = rsa.Thumbprint();
    out.rsa = std::move(rsa);
  } else if (kty != jwk.end() && *kty == "OKP") {
    LCB_ASSIGN_OR_RETURN(Ed25519Jwk ed, ParseEd25519Jwk(jwk));
    out.alg = JwsAlgorithm::kEdDSA;
    out.thumbprint = JwkThumbprint(ed.public_key);
    out.ed25519 = std::move(ed.public_key);
  } else {
    return Status::InvalidArgument(Field("/kty"), "must be \"OKP\" (Ed25519) or \"RSA\"");
  }
  if (const auto kid = jwk.find("kid"); kid != jwk.end()) {
    if (!kid->is_string()) return Status::InvalidArgument(Field("/kid"), "must be a string");
    out.kid = kid->get<std::string>();
  }
  return out;
}

}  // namespace lcb
