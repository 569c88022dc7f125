#include "vc/verifier.h"

#include <algorithm>

#include "crypto/ijson.h"
#include "crypto/jws.h"
#include "vc/data_integrity.h"
#include "vc/open_badge.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

// JWT claims of the OB 3.0 profile that are not part of the credential.
constexpr const char* kJwtClaims[] = {"iss", "jti", "sub", "nbf", "exp", "iat", "aud"};

bool HasType(const Json& node, std::string_view type) {
  const auto it = node.find("type");
  if (it == node.end()) return false;
  if (it->is_string()) return *it == type;
  return it->is_array() && std::any_of(it->begin(), it->end(),
                                       [&](const Json& t) { return t.is_string() && t == type; });
}

// Messages may quote the input (a parser's "last read" bytes): invalid UTF-8 in them becomes
// U+FFFD, so that a result can always be written as JSON.
std::string ValidUtf8(const std::string& s) {
  const std::string quoted = Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
  return Json::parse(quoted).get<std::string>();
}

const Json* Member(const Json& obj, const char* name) {
  const auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

// Accumulates one credential's checks into a VerificationResult.
class Verification {
 public:
  Verification(const KeyResolver& keys, const VerifyOptions& options, VerificationResult* result)
      : keys_(keys), options_(options), r_(*result) {}

  void Fail(std::string_view reason, std::string message, std::string pointer = "") {
    r_.errors.push_back({std::string(reason), ValidUtf8(message), ValidUtf8(pointer)});
  }
  void Malformed(const Status& s) { Fail(reason::kMalformed, s.message(), s.pointer()); }
  void Pass(const char* check) { r_.checks.push_back(check); }

  // The parts every later check reads: issuer, subject, contexts and types. False (with an
  // error) when the credential cannot be read as one.
  bool ReadShape(const Json& cred) {
    if (!cred.is_object()) {
      Fail(reason::kMalformed, "a credential is a JSON object");
      return false;
    }
    const Json* ctx = Member(cred, "@context");
    const Json* first = ctx == nullptr                     ? nullptr
                        : ctx->is_array() && !ctx->empty() ? &(*ctx)[0]
                                                           : ctx;
    if (first == nullptr || !first->is_string() ||
        (*first != kVcV2Context && *first != kVcV1Context)) {
      Fail(reason::kMalformed, "@context must start with the VC 2.0 (or 1.1) context", "/@context");
      return false;
    }
    v1_ = *first == kVcV1Context;
    if (!HasType(cred, "VerifiableCredential")) {
      Fail(reason::kMalformed, "type must include VerifiableCredential", "/type");
      return false;
    }
    StatusOr<std::string> issuer = IssuerId(cred);
    if (!issuer.ok()) {
      Malformed(issuer.status());
      return false;
    }
    r_.issuer = *issuer;
    const Json* subject = Member(cred, "credentialSubject");
    if (subject == nullptr || !(subject->is_object() || subject->is_array())) {
      Fail(reason::kMalformed, "credentialSubject must be an object", "/credentialSubject");
      return false;
    }
    if (subject->is_object()) ReadSubject(*subject);
    return true;
  }

  // A resolved key was valid when the credential was signed (rotated keys keep verifying
  // what they signed before their retirement).
  void CheckKeyTime(const VerificationKey& key, std::optional<UnixSeconds> signed_at) {
    if (!signed_at) return;
    if (key.valid_until && *signed_at > *key.valid_until) {
      Fail(reason::kBadSignature, "signed at " + FormatDateTime(*signed_at) + " by key " + key.id +
                                      ", retired at " + FormatDateTime(*key.valid_until));
    } else if (key.valid_from && *signed_at < *key.valid_from) {
      Fail(reason::kBadSignature, "signed at " + FormatDateTime(*signed_at) + " by key " + key.id +
                                      ", valid only from " + FormatDateTime(*key.valid_from));
    }
  }

  // Resolves the key; false (with unknown_issuer) when no known key matches.
  std::optional<VerificationKey> Resolve(const KeyQuery& q, const std::string& pointer) {
    StatusOr<VerificationKey> key = keys_.Resolve(q);
    if (!key.ok()) {
      Fail(reason::kUnknownIssuer, key.status().message(), pointer);
      return std::nullopt;
    }
    r_.key_owner = key->owner;
    return std::move(*key);
  }

  // validFrom/validUntil (VC 2.0) or issuanceDate/expirationDate (VC 1.1); a JWT's nbf/exp are
  // compared as well.
  void CheckValidity(const Json& cred, std::optional<UnixSeconds> nbf,
                     std::optional<UnixSeconds> exp) {
    const size_t errors = r_.errors.size();
    std::optional<UnixSeconds> from = Time(cred, v1_ ? "issuanceDate" : "validFrom");
    std::optional<UnixSeconds> until = Time(cred, v1_ ? "expirationDate" : "validUntil");
    if (nbf && (!from || *nbf > *from)) from = nbf;
    if (exp && (!until || *exp < *until)) until = exp;
    if (from && options_.now < *from) {
      Fail(reason::kNotYetValid, "valid only from " + FormatDateTime(*from));
    }
    if (until && options_.now >= *until)
      Fail(reason::kExpired, "expired at " + FormatDateTime(*until));
    if (r_.errors.size() == errors) Pass("validity");
  }

  void CheckStatus(const Json& cred) {
    const Json* status = Member(cred, "credentialStatus");
    if (status == nullptr) {
      r_.status = CredentialState::kActive;
      return;
    }
    const Json entries = status->is_array() ? *status : Json::array({*status});
    bool checked = false;
    for (size_t i = 0; i < entries.size(); ++i) {
      const std::string at = status->is_array() ? "/credentialStatus/" + std::to_string(i)
                                                : std::string("/credentialStatus");
      StatusOr<StatusEntry> entry = ParseStatusEntry(entries[i]);
      if (!entry.ok()) {
        Malformed(entry.status().WithPointerPrefix(at));
        continue;
      }
      if (entry->purpose != kRevocation) continue;
      const DecodedStatusList* list = nullptr;
      if (options_.status_lists != nullptr) {
        const auto it = options_.status_lists->find(entry->list_url);
        if (it != options_.status_lists->end()) list = &it->second;
      }
      if (list == nullptr) {
        r_.missing_status_lists.push_back(entry->list_url);
        continue;
      }
      if (list->issuer != r_.issuer || list->purpose != kRevocation) {
        Fail(reason::kMalformed,
             "the status list " + entry->list_url +
                 " is not a revocation list of the credential's issuer",
             at);
        continue;
      }
      if (entry->index >= list->bits.size()) {
        Fail(reason::kMalformed, "statusListIndex is beyond the list", at + "/statusListIndex");
        continue;
      }
      checked = true;
      if (list->bits.Get(entry->index)) {
        r_.status = CredentialState::kRevoked;
        Fail(reason::kRevoked,
             "revoked: bit " + std::to_string(entry->index) + " of " + entry->list_url + " is set",
             at);
      }
    }
    if (checked && r_.status != CredentialState::kRevoked) {
      r_.status = CredentialState::kActive;
      Pass("status");
    }
  }

  void CheckSubjectAndAchievement() {
    if (!options_.expected_subject.empty()) {
      if (r_.subject_id != options_.expected_subject) {
        Fail(reason::kSubjectMismatch,
             "the credential's subject is \"" + r_.subject_id + "\", not " +
                 options_.expected_subject,
             "/credentialSubject/id");
      } else {
        Pass("subject");
      }
    }
    if (options_.achievement_known) {
      if (r_.achievement_id.empty() || !options_.achievement_known(r_.achievement_id)) {
        Fail(reason::kUnknownAchievement,
             "no unit recognizes achievement \"" + r_.achievement_id + "\"",
             "/credentialSubject/achievement/id");
      } else {
        Pass("achievement");
      }
    }
  }

  // The time the issuer says it signed: proof.created, else validFrom/issuanceDate.
  std::optional<UnixSeconds> IssueTime(const Json& cred, std::string_view created) {
    if (!created.empty()) {
      StatusOr<UnixSeconds> t = ParseDateTimeStamp(created, "");
      if (t.ok()) return *t;
    }
    return Time(cred, v1_ ? "issuanceDate" : "validFrom");
  }

 private:
  void ReadSubject(const Json& subject) {
    if (const Json* id = Member(subject, "id"); id != nullptr && id->is_string()) {
      r_.subject_id = *id;
    }
    const Json* achievement = Member(subject, "achievement");
    if (achievement != nullptr && achievement->is_object()) {
      if (const Json* id = Member(*achievement, "id"); id != nullptr && id->is_string()) {
        r_.achievement_id = *id;
      }
    }
  }

  // A date-time member, or nullopt when absent; a malformed one is an error.
  std::optional<UnixSeconds> Time(const Json& cred, const char* name) {
    const Json* v = Member(cred, name);
    if (v == nullptr) return std::nullopt;
    const std::string pointer = std::string("/") + name;
    if (!v->is_string()) {
      Fail(reason::kMalformed, "must be a date-time string", pointer);
      return std::nullopt;
    }
    StatusOr<UnixSeconds> t = ParseDateTimeStamp(v->get<std::string>(), pointer);
    if (!t.ok()) {
      if (std::none_of(r_.errors.begin(), r_.errors.end(),
                       [&](const VerifyError& e) { return e.pointer == pointer; })) {
        Malformed(t.status());
      }
      return std::nullopt;
    }
    return *t;
  }

  const KeyResolver& keys_;
  const VerifyOptions& options_;
  VerificationResult& r_;
  bool v1_ = false;
};

void VerifyDataIntegrity(const Json& cred, Verification& v, VerificationResult& r) {
  r.format = CredentialFormat::kDataIntegrity;
  r.credential = cred;
  if (!v.ReadShape(cred)) return;
  StatusOr<PendingProof> proof = ReadEddsaJcs2022Proof(cred);
  if (!proof.ok()) {
    v.Malformed(proof.status());
  } else if (proof->proof_purpose != kAssertionMethod) {
    v.Fail(reason::kMalformed, "proofPurpose must be assertionMethod", "/proof/proofPurpose");
  } else if (std::optional<VerificationKey> key =
                 v.Resolve({r.issuer, proof->verification_method, "", JwsAlgorithm::kEdDSA},
                           "/proof/verificationMethod")) {
    v.Pass("issuer");
    if (!VerifyPendingProof(*proof, key->ed25519)) {
      v.Fail(reason::kBadSignature, "the eddsa-jcs-2022 proof does not verify",
             "/proof/proofValue");
    } else {
      const size_t before = r.errors.size();
      v.CheckKeyTime(*key, v.IssueTime(cred, proof->created));
      if (r.errors.size() == before) v.Pass("proof");
    }
  }
  v.CheckValidity(cred, std::nullopt, std::nullopt);
  v.CheckStatus(cred);
  v.CheckSubjectAndAchievement();
}

std::optional<UnixSeconds> NumericClaim(const Json& payload, const char* name, Verification& v) {
  const Json* c = Member(payload, name);
  if (c == nullptr) return std::nullopt;
  // Years 0001-9999, as date-time strings allow: dates beyond have no calendar form.
  constexpr int64_t kMin = -62135596800;
  constexpr int64_t kMax = 253402300799;
  if (!c->is_number_integer() || c->get<int64_t>() < kMin || c->get<int64_t>() > kMax) {
    v.Fail(reason::kMalformed, std::string(name) + " must be a NumericDate (whole seconds)",
           std::string("/") + name);
    return std::nullopt;
  }
  return c->get<int64_t>();
}

// The OB 3.0 profile's claims must say what the credential says.
void CheckOb3Claims(const Json& payload, Verification& v, const VerificationResult& r) {
  const Json* iss = Member(payload, "iss");
  if (iss == nullptr || *iss != r.issuer) {
    v.Fail(reason::kMalformed, "iss must be the credential's issuer id", "/iss");
  }
  const Json* jti = Member(payload, "jti");
  const Json* id = Member(r.credential, "id");
  if (jti != nullptr && id != nullptr && *jti != *id) {
    v.Fail(reason::kMalformed, "jti must be the credential's id", "/jti");
  }
  const Json* sub = Member(payload, "sub");
  if (sub != nullptr && !r.subject_id.empty() && *sub != r.subject_id) {
    v.Fail(reason::kMalformed, "sub must be the credential subject's id", "/sub");
  }
}

void VerifyJws(std::string_view compact, Verification& v, VerificationResult& r,
               const VerifyOptions& options) {
  StatusOr<DecodedJws> jws = DecodeCompactJws(compact, options.max_input_bytes);
  if (!jws.ok()) return v.Malformed(jws.status());
  const auto typ = jws->header.find("typ");
  const bool vc_jwt = typ != jws->header.end() && *typ == kVcJwtType;
  r.format = vc_jwt ? CredentialFormat::kVcJwt : CredentialFormat::kOb3Jwt;
  StatusOr<Json> payload = ParseIJson(jws->payload);
  if (!payload.ok() || !payload->is_object()) {
    return v.Fail(reason::kMalformed, "the JWS payload is not a JSON object");
  }
  if (payload->contains("vc")) {
    return v.Fail(reason::kMalformed, "a \"vc\" claim (VC 1.1 JWT) is not supported", "/vc");
  }
  Json cred = *payload;
  if (!vc_jwt) {
    for (const char* claim : kJwtClaims) cred.erase(claim);
  }
  r.credential = cred;
  if (!v.ReadShape(cred)) return;
  if (!vc_jwt) CheckOb3Claims(*payload, v, r);
  const std::optional<UnixSeconds> nbf = NumericClaim(*payload, "nbf", v);
  const std::optional<UnixSeconds> exp = NumericClaim(*payload, "exp", v);
  const std::optional<UnixSeconds> iat = NumericClaim(*payload, "iat", v);

  std::string thumbprint;
  if (const auto jwk = jws->header.find("jwk"); jwk != jws->header.end()) {
    StatusOr<ParsedPublicJwk> embedded = ParsePublicJwk(*jwk);
    if (!embedded.ok()) return v.Malformed(embedded.status().WithPointerPrefix("/header/jwk"));
    thumbprint = embedded->thumbprint;
  }
  std::optional<VerificationKey> key =
      v.Resolve({r.issuer, jws->kid, thumbprint, jws->alg}, "/header/kid");
  if (key) {
    v.Pass("issuer");
    const bool ok = !thumbprint.empty() && thumbprint != key->thumbprint
                        ? false
                        : (key->rsa ? VerifyJwsSignature(*jws, *key->rsa)
                                    : VerifyJwsSignature(*jws, key->ed25519));
    if (!ok) {
      v.Fail(reason::kBadSignature, "the JWS signature does not verify");
    } else {
      const size_t before = r.errors.size();
      std::optional<UnixSeconds> signed_at = iat ? iat : nbf;
      if (!signed_at) signed_at = v.IssueTime(cred, "");
      v.CheckKeyTime(*key, signed_at);
      if (r.errors.size() == before) v.Pass("proof");
    }
  }
  v.CheckValidity(cred, nbf, exp);
  v.CheckStatus(cred);
  v.CheckSubjectAndAchievement();
}

void Finish(VerificationResult& r) {
  r.verified = r.errors.empty();
  if (r.status == CredentialState::kActive && !r.verified && !r.HasReason(reason::kRevoked)) {
    // "active" is said only of a credential that verified.
    r.status = CredentialState::kUnknown;
  }
}

}  // namespace

std::string_view StateName(CredentialState s) {
  switch (s) {
    case CredentialState::kActive:
      return "active";
    case CredentialState::kRevoked:
      return "revoked";
    case CredentialState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

bool VerificationResult::HasReason(std::string_view reason) const {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const VerifyError& e) { return e.reason == reason; });
}

Json VerificationResult::ToJson() const {
  Json errs = Json::array();
  for (const VerifyError& e : errors) {
    Json j = {{"reason", e.reason}, {"message", e.message}};
    if (!e.pointer.empty()) j["pointer"] = e.pointer;
    errs.push_back(std::move(j));
  }
  return {{"verified", verified}, {"format", format ? Json(FormatName(*format)) : Json(nullptr)},
          {"issuer", issuer},     {"status", StateName(status)},
          {"checks", checks},     {"errors", std::move(errs)}};
}

VerificationResult VerifyCredentialJson(const Json& credential, const KeyResolver& keys,
                                        const VerifyOptions& options) {
  VerificationResult r;
  Verification v(keys, options, &r);
  VerifyDataIntegrity(credential, v, r);
  Finish(r);
  return r;
}

VerificationResult VerifyCredential(std::string_view input, const KeyResolver& keys,
                                    const VerifyOptions& options) {
  VerificationResult r;
  Verification v(keys, options, &r);
  if (input.size() > options.max_input_bytes) {
    v.Fail(reason::kMalformed,
           "the credential is larger than " + std::to_string(options.max_input_bytes) + " bytes");
  } else {
    const size_t start = input.find_first_not_of(" \t\r\n");
    const std::string_view text =
        start == std::string_view::npos ? std::string_view() : input.substr(start);
    if (!text.empty() && text[0] == '{') {
      StatusOr<Json> parsed = ParseIJson(text);
      if (!parsed.ok()) {
        v.Malformed(parsed.status());
      } else {
        VerifyDataIntegrity(*parsed, v, r);
      }
    } else {
      std::string_view compact = text;
      while (!compact.empty() &&
             (compact.back() == '\n' || compact.back() == '\r' || compact.back() == ' ')) {
        compact.remove_suffix(1);
      }
      VerifyJws(compact, v, r, options);
    }
  }
  Finish(r);
  return r;
}

}  // namespace lcb::vc
