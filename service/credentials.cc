#include "service/credentials.h"

#include <algorithm>
#include <charconv>

#include "common/encoding.h"
#include "crypto/ijson.h"
#include "crypto/multikey.h"
#include "crypto/sha256.h"
#include "storage/keys.h"
#include "vc/data_integrity.h"
#include "vc/open_badge.h"
#include "vc/safe_mode.h"
#include "vc/time.h"

namespace lcb {
namespace {

using Json = nlohmann::json;

constexpr char kIssuerName[] = "Learning Credit Bank";
constexpr size_t kMaxHolderLength = 512;

// DID syntax (W3C DID Core §3.1), without percent-decoding: did:<method>:<method-specific-id>.
bool IsDid(std::string_view s) {
  if (s.size() > kMaxHolderLength || !s.starts_with("did:")) return false;
  s.remove_prefix(4);
  const size_t colon = s.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (char c : s.substr(0, colon)) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  const std::string_view id = s.substr(colon + 1);
  if (id.empty() || id.back() == ':') return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == ':' || c == '%';
    if (!ok) return false;
  }
  return true;
}

// A list id as it appears in a URL: a decimal number without leading zeros.
std::optional<uint64_t> ParseListId(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The credential given as JSON text or as a compact JWS (its payload), or null when the input
// cannot be read (the verifier reports why).
Json CredentialOf(std::string_view input) {
  Json doc;
  const size_t start = input.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos && input[start] == '{') {
    auto parsed = ParseIJson(input);
    if (!parsed.ok()) return nullptr;
    doc = std::move(parsed).value();
  } else {
    const size_t a = input.find('.');
    const size_t b = a == std::string_view::npos ? a : input.find('.', a + 1);
    if (b == std::string_view::npos) return nullptr;
    auto payload = Base64UrlDecode(input.substr(a + 1, b - a - 1));
    if (!payload) return nullptr;
    auto parsed = ParseIJson(*payload);
    if (!parsed.ok()) return nullptr;
    doc = std::move(parsed).value();
  }
  return doc.is_object() ? doc : Json(nullptr);
}

}  // namespace

StatusOr<std::unique_ptr<CredentialService>> CredentialService::Open(const Config& config, Kv* kv,
                                                                     CatalogService* catalog,
                                                                     RecordService* records,
                                                                     LogService* log) {
  std::unique_ptr<CredentialService> s(new CredentialService());
  s->config_ = config;
  s->kv_ = kv;
  s->catalog_ = catalog;
  s->records_ = records;
  s->log_ = log;
  LCB_ASSIGN_OR_RETURN(
      s->keys_, CredentialKeys::Open(kv, config.data_dir, config.storage_backend == "postgres"));
  if (config.public_url.starts_with("https://")) {
    auto did_web = vc::DidWebFromUrl(config.public_url);
    if (did_web.ok()) s->did_web_ = *did_web;
  }
  s->keys_->RegisterKeys(&s->registry_, s->did_web_);
  s->registry_.set_accept_any_did_key(true);  // a public verifier: did:key resolves offline
  return s;
}

void CredentialService::SetDefaultPublicUrl(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  default_public_url_ = url;
  lists_.clear();  // their URLs change with the base
}

std::string CredentialService::public_url() const {
  if (!config_.public_url.empty()) return config_.public_url;
  std::lock_guard<std::mutex> lock(mu_);
  if (!default_public_url_.empty()) return default_public_url_;
  return "http://" + config_.listen;
}

Json CredentialService::IssuerDocument() const {
  Json history = Json::array();
  for (const CredentialKeyRow& r : keys_->history()) {
    Json row = {{"multikey", r.multikey}, {"valid_from", r.valid_from}};
    if (!r.valid_until.empty()) row["valid_until"] = r.valid_until;
    history.push_back(std::move(row));
  }
  Json out = {{"id", keys_->did()},
              {"verification_method", keys_->verification_method()},
              {"public_key_multibase", Ed25519Multikey(keys_->ed25519().PublicKey())},
              {"did_document", vc::DidKeyDocument(keys_->ed25519().PublicKey())},
              {"jwks", keys_->Jwks()},
              {"keys", std::move(history)}};
  if (!did_web_.empty()) out["did_web"] = did_web_;
  return out;
}

StatusOr<Json> CredentialService::DidWebDocument() const {
  if (did_web_.empty()) {
    return Status::NotFound("no did:web: the bank has no https public_url configured");
  }
  return keys_->DidWebDocument(config_.public_url);
}

vc::CredentialContext CredentialService::ContextFor(uint64_t leaf) const {
  vc::CredentialContext ctx;
  ctx.public_url = public_url();
  ctx.issuer = {keys_->did(), kIssuerName, ctx.public_url};
  ctx.status = vc::BuildStatusEntry(ctx.public_url, std::to_string(leaf / kStatusListSize),
                                    leaf % kStatusListSize);
  return ctx;
}

StatusOr<vc::RecordCredentialInput> CredentialService::InputOf(const StoredRecord& stored,
                                                               const std::string& holder) {
  if (!holder.empty() && !IsDid(holder)) {
    return Status::InvalidArgument(Field("/holder"),
                                   "must be a DID (did:<method>:<id>, at most 512 characters)");
  }
  const Record& r = stored.record;
  LCB_ASSIGN_OR_RETURN(Unit unit, catalog_->GetUnit(r.unit));
  LCB_ASSIGN_OR_RETURN(Institution inst, catalog_->GetInstitution(r.issuer));
  vc::RecordCredentialInput in;
  in.record_id = r.id;
  in.leaf_index = stored.leaf_index;
  in.learner_id = r.learner;
  in.holder_did = holder;
  in.unit_id = unit.id;
  in.unit_title = unit.title;
  in.unit_kind = unit.kind;
  in.unit_credits = unit.credits;
  in.level = r.level;
  in.field = r.field;
  in.institution_id = inst.id;
  in.institution_name = inst.name;
  in.grade_scale = r.grade_scale;
  in.grade_value = r.grade_value;
  in.grade_normalized = r.grade;
  // A failing grade earned no credit: the credential says so (its result shows the grade).
  in.credits_earned = r.passing ? r.credits : 0;
  in.completed_on = r.completed_on;
  in.expires_on = r.expires_on;
  return in;
}

StatusOr<IssuedCredential> CredentialService::RecordCredential(const StoredRecord& stored,
                                                               vc::CredentialFormat format,
                                                               const std::string& holder) {
  std::string key = stored.record.id;
  key += '\0';
  key += vc::FormatName(format);
  key += '\0';
  key += holder;
  const uint64_t catalog_version = catalog_->Version();
  const int64_t now = vc::NowSeconds();
  {
    std::lock_guard<std::mutex> lock(kept_mu_);
    auto it = kept_.find(key);
    if (it != kept_.end() && it->second.catalog_version == catalog_version &&
        now - it->second.signed_at < kKeptCredentialSeconds) {
      return it->second.credential;
    }
  }
  LCB_ASSIGN_OR_RETURN(IssuedCredential out, SignRecordCredential(stored, format, holder, now));
  std::lock_guard<std::mutex> lock(kept_mu_);
  if (kept_.size() >= kMaxKeptCredentials) kept_.clear();
  kept_[key] = KeptCredential{catalog_version, now, out};
  return out;
}

StatusOr<IssuedCredential> CredentialService::SignRecordCredential(const StoredRecord& stored,
                                                                   vc::CredentialFormat format,
                                                                   const std::string& holder,
                                                                   int64_t now) {
  LCB_ASSIGN_OR_RETURN(vc::RecordCredentialInput in, InputOf(stored, holder));
  LCB_ASSIGN_OR_RETURN(Json credential,
                       vc::BuildOpenBadgeCredential(in, ContextFor(stored.leaf_index)));
  IssuedCredential out;
  out.media_type = std::string(vc::MediaType(format));
  switch (format) {
    case vc::CredentialFormat::kDataIntegrity: {
      LCB_ASSIGN_OR_RETURN(Json secured,
                           vc::SecureDataIntegrity(std::move(credential), keys_->ed25519(),
                                                   keys_->verification_method(),
                                                   vc::FormatDateTime(now)));
      out.body = secured.dump();
      break;
    }
    case vc::CredentialFormat::kVcJwt: {
      LCB_ASSIGN_OR_RETURN(
          out.body, vc::SecureVcJwt(credential, keys_->ed25519(), keys_->verification_method()));
      break;
    }
    case vc::CredentialFormat::kOb3Jwt: {
      LCB_ASSIGN_OR_RETURN(out.body, vc::SecureOb3Jwt(credential, keys_->rsa(), keys_->rsa_kid()));
      break;
    }
  }
  return out;
}

StatusOr<Json> CredentialService::TranscriptClr(const std::string& learner,
                                                const std::string& holder) {
  LCB_ASSIGN_OR_RETURN(auto records, records_->AllRecords(learner));
  const std::string now = vc::FormatDateTime(vc::NowSeconds());
  vc::TranscriptInput transcript;
  transcript.learner_id = learner;
  transcript.holder_did = holder;
  transcript.valid_from = now;
  for (const Record& r : *records) {
    // A CLR gathers achievements: a record with a failing grade achieved nothing.
    if (r.revoked || !r.passing) continue;
    LCB_ASSIGN_OR_RETURN(StoredRecord stored, records_->Read(r.id));
    if (stored.record.revoked) continue;  // revoked since the list was read
    LCB_ASSIGN_OR_RETURN(vc::RecordCredentialInput in, InputOf(stored, holder));
    LCB_ASSIGN_OR_RETURN(Json credential,
                         vc::BuildOpenBadgeCredential(in, ContextFor(stored.leaf_index)));
    LCB_ASSIGN_OR_RETURN(Json secured,
                         vc::SecureDataIntegrity(std::move(credential), keys_->ed25519(),
                                                 keys_->verification_method(), now));
    transcript.credentials.push_back(std::move(secured));
  }
  if (transcript.credentials.empty()) {
    return Status::NotFound("learner '" + learner + "' has no active record to put in a CLR");
  }
  vc::CredentialContext ctx = ContextFor(0);
  ctx.status = nullptr;  // the transcript is reissued on demand; its records carry status
  LCB_ASSIGN_OR_RETURN(Json clr, vc::BuildClrCredential(transcript, ctx));
  return vc::SecureDataIntegrity(std::move(clr), keys_->ed25519(), keys_->verification_method(),
                                 now);
}

StatusOr<std::shared_ptr<const StatusListDocument>> CredentialService::StatusList(
    std::string_view list_text) {
  const std::optional<uint64_t> list = ParseListId(list_text);
  if (!list || *list > (UINT64_MAX / kStatusListSize) ||
      *list * kStatusListSize >= std::max<uint64_t>(log_->Size(), 1)) {
    return Status::NotFound("no status list '" + std::string(list_text) + "'");
  }
  const uint64_t generation = records_->RevocationGeneration();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = lists_.find(*list);
    if (it != lists_.end() && it->second.generation == generation) return it->second.doc;
  }
  LCB_ASSIGN_OR_RETURN(auto doc, BuildStatusList(*list));
  std::lock_guard<std::mutex> lock(mu_);
  CachedList& slot = lists_[*list];
  // A concurrent build that saw a later generation wins.
  if (!slot.doc || slot.generation <= generation) slot = CachedList{generation, doc};
  return doc;
}

// Every revoked record is a kStatus row; its leaf says which list and bit it has. The cost is
// one scan of the revocations plus a leaf lookup each, then GZIP and one signature.
StatusOr<std::shared_ptr<const StatusListDocument>> CredentialService::BuildStatusList(
    uint64_t list) {
  vc::StatusBitstring bits(kStatusListSize);
  std::vector<std::string> revoked;
  LCB_RETURN_IF_ERROR(
      kv_->Scan(Table::kStatus, "", "", SIZE_MAX, [&](std::string_view record, std::string_view) {
        revoked.emplace_back(record);
        return true;
      }));
  for (const std::string& id : revoked) {
    LCB_ASSIGN_OR_RETURN(uint64_t leaf, log_->ledger().ObjectIndex(id));
    if (leaf / kStatusListSize == list) bits.Set(leaf % kStatusListSize, true);
  }
  const std::string url = vc::StatusListUrl(public_url(), std::to_string(list));
  const std::string now = vc::FormatDateTime(vc::NowSeconds());
  LCB_ASSIGN_OR_RETURN(
      Json signed_list,
      vc::SecureDataIntegrity(vc::BuildStatusListCredential(url, keys_->did(), now, bits),
                              keys_->ed25519(), keys_->verification_method(), now));
  auto doc = std::make_shared<StatusListDocument>();
  doc->body = signed_list.dump();
  doc->etag = "\"" + HexEncode(HashBytes(Sha256(doc->body))).substr(0, 32) + "\"";
  doc->decoded =
      vc::DecodedStatusList{url, keys_->did(), std::string(vc::kRevocation), std::move(bits)};
  return std::shared_ptr<const StatusListDocument>(std::move(doc));
}

std::map<std::string, vc::DecodedStatusList> CredentialService::ListsFor(const Json& credential) {
  std::map<std::string, vc::DecodedStatusList> out;
  if (!credential.is_object() || !credential.contains("credentialStatus")) return out;
  const Json& status = credential["credentialStatus"];
  // A list is signed by the current key's did:key; a credential signed before a rotation names
  // an older did:key of the bank. Both are the bank, so the list covers it.
  auto issuer = vc::IssuerId(credential);
  const bool bank_issuer =
      issuer.ok() &&
      std::any_of(keys_->history().begin(), keys_->history().end(), [&](const CredentialKeyRow& r) {
        return *issuer == std::string(kDidKeyPrefix) + r.multikey;
      });
  const std::string prefix = vc::StatusListUrl(public_url(), "");
  auto add = [&](const Json& entry) {
    if (!entry.is_object() || !entry.contains("statusListCredential")) return;
    const Json& url = entry["statusListCredential"];
    if (!url.is_string()) return;
    const std::string u = url.get<std::string>();
    if (!u.starts_with(prefix) || out.count(u)) return;
    auto list = StatusList(std::string_view(u).substr(prefix.size()));
    if (!list.ok()) return;
    vc::DecodedStatusList decoded = (*list)->decoded;
    if (bank_issuer) decoded.issuer = *issuer;
    out.emplace(u, std::move(decoded));
  };
  if (status.is_array()) {
    for (size_t i = 0; i < status.size() && i < 8; ++i) add(status[i]);
  } else {
    add(status);
  }
  return out;
}

StatusOr<Json> CredentialService::IssueVcApi(const Json& credential) {
  if (!credential.is_object()) {
    return Status::InvalidArgument(Field("/credential"), "must be a credential object");
  }
  if (credential.contains("proof")) {
    return Status::InvalidArgument(Field("/credential/proof"),
                                   "the credential already has a proof; send it unsigned");
  }
  auto issuer = vc::IssuerId(credential);
  if (!issuer.ok()) return issuer.status().WithPointerPrefix("/credential");
  if (*issuer != keys_->did() && (did_web_.empty() || *issuer != did_web_)) {
    return Status::PermissionDenied(Field("/credential/issuer"),
                                    "the bank issues only as " + keys_->did() + ", not " + *issuer);
  }
  Status safe = vc::CheckJsonLdSafeMode(credential);
  if (!safe.ok()) return safe.WithPointerPrefix("/credential");
  return vc::SecureDataIntegrity(credential, keys_->ed25519(), keys_->verification_method(),
                                 vc::FormatDateTime(vc::NowSeconds()));
}

vc::VerificationResult CredentialService::Verify(std::string_view input) {
  const auto lists = ListsFor(CredentialOf(input));
  vc::VerifyOptions options;
  options.now = vc::NowSeconds();
  options.status_lists = &lists;
  return vc::VerifyCredential(input, registry_, options);
}

vc::VerificationResult CredentialService::VerifyJson(const Json& credential) {
  const auto lists = ListsFor(credential);
  vc::VerifyOptions options;
  options.now = vc::NowSeconds();
  options.status_lists = &lists;
  return vc::VerifyCredentialJson(credential, registry_, options);
}

}  // namespace lcb
