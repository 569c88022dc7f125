// Portable credentials (DESIGN.md, "Portable credentials"): a record as an Open Badges 3.0
// credential in the three securing forms, a learner's CLR 2.0 transcript, the Bitstring Status
// Lists that revoke them, and verification. The JSON shapes are vc/'s builders; this service
// gathers their inputs from the store (record, unit, institution), signs with the bank's
// credential keys (service/credential_keys.h) and keeps the status lists current.
//
// Status list allocation: a record's status bit is fixed by its log leaf, which never changes:
//   list  = leaf / kStatusListSize      (decimal, the {list} of GET /v1/status/{list})
//   index = leaf % kStatusListSize      (statusListIndex)
// so no allocation state is stored. Leaves of other entries (revocations, rulesets,
// conversions) leave their bits unused, which the spec allows.
//
// A list is built from the revocations in the store (kStatus: every revoked record) and cached
// per list; the cache is used only while RecordService::RevocationGeneration() is unchanged,
// and that generation moves once a revocation is durable, so a list never misses a committed
// revocation.
//
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/config.h"
#include "service/catalog.h"
#include "service/credential_keys.h"
#include "service/log.h"
#include "service/records.h"
#include "vc/open_badge.h"
#include "vc/securing.h"
#include "vc/status_list.h"
#include "vc/verifier.h"

namespace lcb {

// Entries per status list: the spec's floor (vc::kMinStatusListBits, 131,072).
inline constexpr uint64_t kStatusListSize = vc::kMinStatusListBits;

struct IssuedCredential {
  std::string media_type;  // vc::MediaType of the format
  std::string body;        // JSON text (di) or a compact JWS
};

struct StatusListDocument {
  std::string body;  // the signed BitstringStatusListCredential, JSON
  std::string etag;  // quoted, strong
  vc::DecodedStatusList decoded;
};

class CredentialService {
 public:
  static StatusOr<std::unique_ptr<CredentialService>> Open(const Config& config, Kv* kv,
                                                           CatalogService* catalog,
                                                           RecordService* records, LogService* log);

  // The base of credential and status list URLs when public_url is not configured (the
  // server's listening URL, known once it listens). Call before serving.
  void SetDefaultPublicUrl(const std::string& url);
  std::string public_url() const;
  const CredentialKeys& keys() const { return *keys_; }

  // GET /v1/credentials/issuer: {"id", "verification_method", "public_key_multibase",
  // "did_document", "jwks", "did_web"?, "keys": [{"multikey", "valid_from", "valid_until"?}]}.
  nlohmann::json IssuerDocument() const;
  nlohmann::json Jwks() const { return keys_->Jwks(); }
  // The did:web document; NotFound when public_url is not configured.
  StatusOr<nlohmann::json> DidWebDocument() const;

  // The record's OpenBadgeCredential in `format`; `holder` (a DID, or empty) is the subject.
  // InvalidArgument naming "/holder" for a holder that is not a DID. A record's credential is
  // signed once and kept (at most kMaxKeptCredentials, for a day, and until the catalog
  // changes what it says): asked again, it is the same bytes (the `di` proof's `created` is
  // when it was first signed). Revocation shows in the status list, not in the credential.
  StatusOr<IssuedCredential> RecordCredential(const StoredRecord& record,
                                              vc::CredentialFormat format,
                                              const std::string& holder);
  // The CLR 2.0 ClrCredential (di form) embedding the di credential of every active record of
  // `learner`. NotFound when the learner has no active record. The handler of
  // GET /v1/learners/{id}/transcript?format=clr.
  StatusOr<nlohmann::json> TranscriptClr(const std::string& learner, const std::string& holder);

  // The signed list `list` (decimal, as in the URL). NotFound for a list no leaf maps to yet.
  StatusOr<std::shared_ptr<const StatusListDocument>> StatusList(std::string_view list);

  // VC-API issue: signs `credential` (VC 1.1 or 2.0, no proof yet) with eddsa-jcs-2022 and
  // the bank's did:key verification method. InvalidArgument naming the member for a
  // credential that is not an object, already has a proof, has no issuer, or that a JSON-LD
  // processor in safe mode would reject; PermissionDenied naming "/credential/issuer" when the
  // issuer is not the bank (the route answers 422).
  StatusOr<nlohmann::json> IssueVcApi(const nlohmann::json& credential);
  bool vc_api_issue_enabled() const { return config_.vc_api_issue; }

  // Verifies a credential (JSON text or compact JWS) against the bank's keys (current and
  // rotated) and any did:key issuer; the bank's own status lists are consulted directly.
  vc::VerificationResult Verify(std::string_view input);
  vc::VerificationResult VerifyJson(const nlohmann::json& credential);

 private:
  CredentialService() = default;
  vc::CredentialContext ContextFor(uint64_t leaf) const;
  StatusOr<vc::RecordCredentialInput> InputOf(const StoredRecord& stored,
                                              const std::string& holder);
  // RecordCredential, signed now (unix seconds `now` is the `di` proof's `created`).
  StatusOr<IssuedCredential> SignRecordCredential(const StoredRecord& stored,
                                                  vc::CredentialFormat format,
                                                  const std::string& holder, int64_t now);
  StatusOr<std::shared_ptr<const StatusListDocument>> BuildStatusList(uint64_t list);
  // The bank's status lists that `credential`'s credentialStatus names (one entry or an array).
  std::map<std::string, vc::DecodedStatusList> ListsFor(const nlohmann::json& credential);

  Config config_;
  Kv* kv_ = nullptr;
  CatalogService* catalog_ = nullptr;
  RecordService* records_ = nullptr;
  LogService* log_ = nullptr;
  std::unique_ptr<CredentialKeys> keys_;
  vc::KeyRegistry registry_;
  std::string did_web_;  // empty unless public_url is an https URL

  mutable std::mutex mu_;
  std::string default_public_url_;
  struct CachedList {
    uint64_t generation = 0;
    std::shared_ptr<const StatusListDocument> doc;
  };
  std::map<uint64_t, CachedList> lists_;

  // Signed record credentials by record id, format and holder.
  static constexpr size_t kMaxKeptCredentials = 100'000;
  static constexpr int64_t kKeptCredentialSeconds = 24 * 3600;
  struct KeptCredential {
    uint64_t catalog_version = 0;
    int64_t signed_at = 0;  // unix seconds
    IssuedCredential credential;
  };
  std::mutex kept_mu_;
  std::unordered_map<std::string, KeptCredential> kept_;
};

}  // namespace lcb
