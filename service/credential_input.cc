#include "service/credential_input.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "crypto/ijson.h"
#include "crypto/jcs.h"
#include "crypto/jws.h"
#include "crypto/multikey.h"
#include "crypto/sha256.h"
#include "storage/keys.h"
#include "vc/status_list.h"
#include "vc/verifier.h"

namespace lcb {
namespace {

constexpr char kLearnerSubjectPrefix[] = "urn:creditbank:learner:";
constexpr size_t kCatalogPage = 1000;
constexpr size_t kExternalRefHexDigits = 32;

struct InstitutionKey {
  std::string institution;
  vc::VerificationKey key;
};

// Every Ed25519 JWK registered by an institution, with its owner. Read per presentation:
// presenting a credential is rare next to posting records, and the catalog is the truth.
StatusOr<std::vector<InstitutionKey>> RegisteredKeys(CatalogService& catalog) {
  std::vector<InstitutionKey> keys;
  std::string cursor;
  do {
    LCB_ASSIGN_OR_RETURN(auto page, catalog.ListInstitutions("", cursor, kCatalogPage));
    for (const auto& item : page.items) {
      for (const PublicJwk& jwk : item.value.public_keys) {
        if (jwk.is_rsa()) {  // RS256: the Open Badges 3.0 JWT profile
          StatusOr<vc::VerificationKey> rsa = vc::VerificationKeyFromJwk(
              {{"kty", "RSA"}, {"n", jwk.n}, {"e", jwk.e}, {"kid", jwk.kid}}, item.value.id);
          if (rsa.ok()) keys.push_back({item.value.id, std::move(rsa).value()});
          continue;  // (validated when registered)
        }
        std::optional<std::string> raw = Base64UrlDecode(jwk.x);
        if (!raw || raw->size() != 32) continue;  // validated when registered
        keys.push_back({item.value.id, vc::Ed25519VerificationKey(jwk.kid, item.value.id, *raw)});
      }
      // A did:key is its own key: its one verification method "did:key:z6Mk…#z6Mk…".
      if (item.value.did.starts_with("did:key:")) {
        StatusOr<std::string> raw = Ed25519FromDidKey(item.value.did);
        if (!raw.ok()) continue;  // validated when registered
        keys.push_back({item.value.id, vc::Ed25519VerificationKey(DidKeyVerificationMethod(*raw),
                                                                  item.value.id, *raw)});
      }
    }
    cursor = page.next_cursor;
  } while (!cursor.empty());
  return keys;
}

// The part of a key id after '#', or the whole id.
std::string_view Fragment(std::string_view key_id) {
  const size_t hash = key_id.rfind('#');
  return hash == std::string_view::npos ? key_id : key_id.substr(hash + 1);
}

// Resolves a credential's key among the institutions' keys (the rule in the header). With
// several matches (the same kid registered twice), `attempt` picks which one is returned, so
// the caller can try each in turn.
class InstitutionKeyResolver final : public vc::KeyResolver {
 public:
  explicit InstitutionKeyResolver(const std::vector<InstitutionKey>* keys) : keys_(keys) {}
  void set_attempt(size_t attempt) { attempt_ = attempt; }
  size_t matches() const { return matches_; }

  StatusOr<vc::VerificationKey> Resolve(const vc::KeyQuery& q) const override {
    std::vector<const vc::VerificationKey*> found;
    for (const InstitutionKey& k : *keys_) {
      if (Matches(k.key, q)) found.push_back(&k.key);
    }
    matches_ = found.size();
    if (q.key_id.empty() && q.jwk_thumbprint.empty()) {
      return Status::NotFound("the credential names no key (kid, verificationMethod or jwk)");
    }
    if (found.empty() || attempt_ >= found.size()) {
      return Status::NotFound("no registered institution key matches " +
                              std::string(q.key_id.empty() ? q.jwk_thumbprint : q.key_id));
    }
    return *found[attempt_];
  }

 private:
  static bool Matches(const vc::VerificationKey& key, const vc::KeyQuery& q) {
    if (q.alg != key.alg) return false;
    if (!q.key_id.empty()) return key.id == q.key_id || key.id == Fragment(q.key_id);
    return !q.jwk_thumbprint.empty() && key.thumbprint == q.jwk_thumbprint;
  }

  const std::vector<InstitutionKey>* keys_;
  size_t attempt_ = 0;
  mutable size_t matches_ = 0;
};

// The first error decides the answer: malformed is a 400, anything else a 422 rejection.
// not_yet_valid is reported as expired (outside the validity period: DESIGN.md's codes).
StatusOr<CredentialRejection> RejectionOf(const vc::VerificationResult& r) {
  for (const vc::VerifyError& e : r.errors) {
    if (e.reason == vc::reason::kMalformed) {
      return Status::InvalidArgument(Field(e.pointer),
                                     "not a credential the bank can read: " + e.message);
    }
  }
  const vc::VerifyError& first = r.errors.front();
  std::string reason =
      first.reason == vc::reason::kNotYetValid ? std::string(vc::reason::kExpired) : first.reason;
  return CredentialRejection{std::move(reason), first.message, first.pointer};
}

// completed_on: the UTC date of validFrom (VC 2.0) or issuanceDate (VC 1.1).
StatusOr<std::string> CompletedOn(const nlohmann::json& credential) {
  for (const char* name : {"validFrom", "issuanceDate"}) {
    const auto it = credential.find(name);
    if (it == credential.end() || !it->is_string()) continue;
    LCB_ASSIGN_OR_RETURN(vc::UnixSeconds t,
                         vc::ParseDateTimeStamp(it->get<std::string>(), std::string("/") + name));
    const int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    return FormatDate(static_cast<Days>(day));
  }
  return Status::InvalidArgument(Field("/validFrom"),
                                 "is required: the completion date of the record");
}

// The digest that names a credential (the header's rule): the canonical JSON, or the compact
// JWS without surrounding white space. Called only on input that verified, so it parses.
StatusOr<std::string> IdentityDigest(std::string_view bytes) {
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  const size_t last = bytes.find_last_not_of(" \t\r\n");
  const std::string_view trimmed = bytes.substr(first, last - first + 1);
  if (trimmed.front() != '{') return HashHex(Sha256(trimmed));
  LCB_ASSIGN_OR_RETURN(nlohmann::json doc, ParseIJson(trimmed));
  LCB_ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(doc));
  return HashHex(Sha256(canonical));
}

// Verifies `bytes` with the registered institution keys. The same kid under several
// institutions: the key that verifies is the issuer's, so each is tried.
vc::VerificationResult VerifyWithInstitutionKeys(std::string_view bytes,
                                                 const std::vector<InstitutionKey>& keys,
                                                 const vc::VerifyOptions& options) {
  InstitutionKeyResolver resolver(&keys);
  vc::VerificationResult result = vc::VerifyCredential(bytes, resolver, options);
  for (size_t attempt = 1;
       attempt < resolver.matches() && result.HasReason(vc::reason::kBadSignature); ++attempt) {
    resolver.set_attempt(attempt);
    result = vc::VerifyCredential(bytes, resolver, options);
  }
  return result;
}

// Reads the status lists a presenter supplied (each verified with the registered keys) into
// `lists` by URL: a rejection (pointing into "/status_lists/<i>") when one does not verify.
StatusOr<std::optional<CredentialRejection>> ReadStatusLists(
    const std::vector<std::string>& texts, const std::vector<InstitutionKey>& keys,
    vc::UnixSeconds now, std::map<std::string, vc::DecodedStatusList>* lists) {
  vc::VerifyOptions options;
  options.now = now;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string at = "/status_lists/" + std::to_string(i);
    vc::VerificationResult result = VerifyWithInstitutionKeys(texts[i], keys, options);
    if (!result.verified) {
      StatusOr<CredentialRejection> rejection = RejectionOf(result);
      if (!rejection.ok()) return rejection.status().WithPointerPrefix(at);
      rejection->message = "the status list " + std::to_string(i) + ": " + rejection->message;
      rejection->pointer = at + rejection->pointer;
      return std::optional<CredentialRejection>(std::move(rejection).value());
    }
    StatusOr<vc::DecodedStatusList> decoded = vc::DecodeStatusListCredential(result.credential);
    if (!decoded.ok()) return decoded.status().WithPointerPrefix(at);
    const std::string url = decoded->url;
    lists->insert_or_assign(url, std::move(decoded).value());
  }
  return std::optional<CredentialRejection>();
}

// The revocation lists a verification lacked (`missing`), fetched with `fetch`, verified with
// the registered keys and decoded into `lists`: true when one was added. A list that cannot be
// fetched, or does not verify, or is another URL's, is left out (the status stays unknown).
bool FetchMissingLists(const CredentialInputService::StatusListFetch& fetch,
                       const std::vector<std::string>& missing,
                       const std::vector<InstitutionKey>& keys, vc::UnixSeconds now,
                       std::map<std::string, vc::DecodedStatusList>* lists) {
  vc::VerifyOptions options;
  options.now = now;
  bool added = false;
  for (const std::string& url : missing) {
    if (lists->count(url)) continue;
    StatusOr<std::string> text = fetch(url);
    if (!text.ok()) continue;
    vc::VerificationResult result = VerifyWithInstitutionKeys(*text, keys, options);
    if (!result.verified) continue;
    StatusOr<vc::DecodedStatusList> decoded = vc::DecodeStatusListCredential(result.credential);
    if (!decoded.ok() || decoded->url != url) continue;
    lists->insert_or_assign(url, std::move(decoded).value());
    added = true;
  }
  return added;
}

}  // namespace

StatusOr<std::optional<std::string>> CredentialInputService::AlignedUnit(
    const std::string& institution, const std::string& achievement) {
  std::string cursor;
  do {
    LCB_ASSIGN_OR_RETURN(auto page, catalog_->ListUnits(institution + ":", cursor, kCatalogPage));
    for (const auto& item : page.items) {
      const auto& aligned = item.value.aligned_achievements;
      if (std::find(aligned.begin(), aligned.end(), achievement) != aligned.end()) {
        return std::optional<std::string>(item.value.id);
      }
    }
    cursor = page.next_cursor;
  } while (!cursor.empty());
  return std::optional<std::string>();
}

StatusOr<CredentialIntake> CredentialInputService::Check(
    const std::string& learner, std::string_view bytes, vc::UnixSeconds now,
    const std::vector<std::string>& status_lists) {
  if (bytes.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument(Field("/body"),
                                   "a credential (JSON) or a compact JWS is required");
  }
  LCB_ASSIGN_OR_RETURN(std::vector<InstitutionKey> keys, RegisteredKeys(*catalog_));
  CredentialIntake intake;
  vc::VerifyOptions options;
  options.now = now;
  options.expected_subject = kLearnerSubjectPrefix + learner;
  // A credential's status lists speak for it only when its own institution signed them: with
  // any registered key, another institution (or its stolen key) could sign a list of all zeros
  // under this one's list URL and issuer id, and a revoked credential would pass (a list
  // brought along is used instead of fetching the real one). So the credential is verified
  // first without lists, which names its institution, and only that one's keys verify them.
  vc::VerificationResult result = VerifyWithInstitutionKeys(bytes, keys, options);
  std::vector<InstitutionKey> list_keys;
  for (const InstitutionKey& k : keys) {
    // Not verified: refused below in any case, by a list's problem or its own.
    if (!result.verified || k.institution == result.key_owner) list_keys.push_back(k);
  }
  std::map<std::string, vc::DecodedStatusList> lists;
  LCB_ASSIGN_OR_RETURN(intake.rejection, ReadStatusLists(status_lists, list_keys, now, &lists));
  if (intake.rejection) return intake;
  if (!lists.empty()) {  // checked again, now with the lists brought along
    options.status_lists = &lists;
    result = VerifyWithInstitutionKeys(bytes, keys, options);
  }
  // Verified, but a list its status names was not brought: fetched, when allowed, and the
  // credential checked again with it.
  if (result.verified && result.status == vc::CredentialState::kUnknown && fetch_ &&
      FetchMissingLists(fetch_, result.missing_status_lists, list_keys, now, &lists)) {
    options.status_lists = &lists;
    result = VerifyWithInstitutionKeys(bytes, keys, options);
  }
  if (result.format) intake.format = std::string(vc::FormatName(*result.format));
  if (!result.verified) {
    LCB_ASSIGN_OR_RETURN(CredentialRejection rejection, RejectionOf(result));
    intake.rejection = std::move(rejection);
    return intake;
  }
  LCB_ASSIGN_OR_RETURN(std::string completed_on, CompletedOn(result.credential));
  intake.institution = result.key_owner;
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> unit,
                       AlignedUnit(intake.institution, result.achievement_id));
  if (!unit) {
    intake.rejection = CredentialRejection{std::string(vc::reason::kUnknownAchievement),
                                           "no unit of institution '" + intake.institution +
                                               "' lists achievement \"" + result.achievement_id +
                                               "\" in its aligned_achievements",
                                           "/credentialSubject/achievement/id"};
    return intake;
  }
  LCB_ASSIGN_OR_RETURN(const std::string identity, IdentityDigest(bytes));
  RecordInput& in = intake.input;
  in.learner = learner;
  in.unit = *unit;
  in.external_ref = "cred:" + identity.substr(0, kExternalRefHexDigits);
  in.grade_scale = "pass_fail";
  in.grade_value = "pass";
  in.completed_on = std::move(completed_on);
  in.evidence_sha256 = HashHex(Sha256(bytes));
  in.source = RecordSource::kCredential;
  // Presented before in other bytes: the record keeps the first presentation's evidence, so
  // that posting it again is the same record ("existing"), not a conflict.
  StatusOr<StoredRecord> stored = records_->Read(keys::RecordId(intake.institution, in.external_ref));
  if (stored.ok() && stored->record.learner == learner) {
    const nlohmann::json entry = nlohmann::json::parse(stored->entry_bytes, nullptr, false);
    const auto it = entry.is_object() ? entry.find("evidence_sha256") : entry.end();
    if (it != entry.end() && it->is_string()) in.evidence_sha256 = it->get<std::string>();
  }
  return intake;
}

void CredentialInputService::Present(const std::string& learner, std::string_view bytes,
                                     const std::vector<std::string>& status_lists, Done done) {
  StatusOr<CredentialIntake> intake = Check(learner, bytes, vc::NowSeconds(), status_lists);
  if (!intake.ok()) return done(intake.status(), std::nullopt);
  if (intake->rejection) {
    return done(Status::FailedPrecondition(intake->rejection->message), intake->rejection);
  }
  PresentedCredential presented;
  presented.institution = intake->institution;
  presented.format = intake->format;
  presented.input = intake->input;
  records_->Post(intake->institution, {intake->input}, false, Submission{},
                 [presented = std::move(presented), done = std::move(done)](
                     StatusOr<PostOutcome> outcome, BatchErrors) mutable {
                   if (!outcome.ok()) return done(outcome.status(), std::nullopt);
                   presented.outcome = std::move(outcome).value();
                   done(std::move(presented), std::nullopt);
                 });
}

}  // namespace lcb
