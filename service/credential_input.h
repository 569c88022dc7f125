// Credentials as input (DESIGN.md, "Portable credentials" -> "Credentials as input"): an Open
// Badges 3.0 credential that a registered institution issued outside the bank becomes a record
// of that institution, once verified. The learner presents the exact bytes (JSON with a Data
// Integrity eddsa-jcs-2022 proof, or a compact JWS: VC-JOSE "vc+jwt" or the OB 3.0 JWT profile
// signed EdDSA); vc/verifier.h does the cryptography.
//
// The rules, in the order they are applied:
//   issuer       The signing key is found among the institutions' registered public_keys
//                (Ed25519 JWKs): a JWK whose kid equals the JWS header's kid or the proof's
//                verificationMethod, or the fragment of either after '#'
//                ("https://u.example/issuer#k1" -> "k1"); for a JWS with an embedded "jwk" and
//                no kid, the JWK with the same RFC 7638 thumbprint. The institution holding
//                that key is the issuer of the record, whatever the credential's issuer id
//                says (institutions have no registered DID yet). When several institutions
//                registered the same kid, the one whose key verifies the signature is taken.
//                None -> unknown_issuer.
//   signature    The proof / JWS signature verifies with that key -> else bad_signature.
//   validity     validFrom/validUntil (issuanceDate/expirationDate in VC 1.1), and a JWT's
//                nbf/exp, enclose now -> else expired (a credential not valid yet is also
//                reported as expired: outside its validity period).
//   status       revoked when its revocation entry's bit is set in one of the status lists
//                the presenter brought (each verified with the registered keys, and of the
//                credential's issuer), or, when it did not bring the list its entry names and
//                a fetcher is set (config credential_status_hosts), in the list fetched from
//                that URL and verified the same way. A list that cannot be fetched or does
//                not verify leaves the status unknown; an unknown status does not refuse the
//                credential.
//   subject      credentialSubject.id == "urn:creditbank:learner:<learner id>", the form the
//                bank's own credentials give a learner -> else subject_mismatch.
//   achievement  credentialSubject.achievement.id is listed by aligned_achievements of a unit
//                of the issuing institution (the first such unit in id order) -> else
//                unknown_achievement.
// Anything unreadable (not JSON or a compact JWS, no VerifiableCredential type, a malformed
// date, no validFrom) is malformed: InvalidArgument naming the member (400).
//
// The record: learner, that unit, grade pass_fail "pass" (an Open Badge attests an achievement
// earned), completed_on = the UTC date of validFrom (issuanceDate in VC 1.1), credits and
// level from the unit, evidence_sha256 = SHA-256 hex of the bytes presented, source
// "credential", external_ref = "cred:" + the first 32 hex digits of the SHA-256 of the
// credential as signed: for JSON its RFC 8785 canonical form (so a copy re-indented or with its
// members reordered is the same credential), for a compact JWS the token without the white
// space around it. The external_ref makes a second presentation of the same credential the same
// record (the records' (issuer, external_ref) idempotency): no second record. A copy whose bytes
// differ keeps the first presentation's evidence_sha256 (Present reads the stored record).
//
// Thread-safe (the catalog and records services are).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/recognition.h"
#include "service/catalog.h"
#include "service/records.h"
#include "vc/time.h"

namespace lcb {

// Why a credential was refused (422): reason is one of bad_signature, unknown_issuer, revoked,
// expired, subject_mismatch, unknown_achievement (vc::reason).
struct CredentialRejection {
  std::string reason;
  std::string message;
  std::string pointer;  // into the credential, or ""
};

// What a verified credential maps to (before it is stored).
struct CredentialIntake {
  std::optional<CredentialRejection> rejection;  // set: refused, nothing else is
  std::string institution;                       // the record's issuer
  std::string format;                            // "di", "jwt", "ob3-jwt"
  RecordInput input;
};

struct PresentedCredential {
  std::string institution;
  std::string format;
  RecordInput input;
  PostOutcome outcome;  // one record; existed = a repeated presentation
};

class CredentialInputService {
 public:
  CredentialInputService(CatalogService* catalog, RecordService* records)
      : catalog_(catalog), records_(records) {}

  // Verifies `bytes` for `learner` at `now` and maps it to a record input; nothing is stored.
  // InvalidArgument (400) for a malformed credential; a rejection (422) in the intake.
  // `status_lists` are signed BitstringStatusListCredentials (JSON or compact JWS) the
  // presenter brought with the credential: each must verify against a registered institution
  // key (a rejection pointing at "/status_lists/<i>" otherwise), and a credential whose status
  // entry names one of them with its bit set is rejected as `revoked`. Without the list its
  // entry names, a credential's status is not known and does not refuse it.
  StatusOr<CredentialIntake> Check(const std::string& learner, std::string_view bytes,
                                   vc::UnixSeconds now,
                                   const std::vector<std::string>& status_lists = {});

  using Done =
      std::function<void(StatusOr<PresentedCredential>, std::optional<CredentialRejection>)>;
  // Fetches a status list by its URL (api/status_list_fetcher.h); unset = nothing is fetched.
  using StatusListFetch = std::function<StatusOr<std::string>(const std::string& url)>;
  void SetStatusListFetch(StatusListFetch fetch) { fetch_ = std::move(fetch); }

  // Check, then post the record (asynchronously, as RecordService::Post). `done` gets the
  // rejection (with an OK-less status ignored) or the outcome.
  void Present(const std::string& learner, std::string_view bytes,
               const std::vector<std::string>& status_lists, Done done);

 private:
  // The unit of `institution` whose aligned_achievements lists `achievement`.
  StatusOr<std::optional<std::string>> AlignedUnit(const std::string& institution,
                                                   const std::string& achievement);

  CatalogService* catalog_;
  RecordService* records_;
  StatusListFetch fetch_;
};

}  // namespace lcb
