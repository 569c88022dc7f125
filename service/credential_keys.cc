#include "service/credential_keys.h"

#include <filesystem>

#include "common/date.h"
#include "crypto/ijson.h"
#include "crypto/jws.h"
#include "crypto/multikey.h"
#include "storage/keys.h"
#include "vc/time.h"

namespace lcb {
namespace {

using Json = nlohmann::json;

template <typename Key>
StatusOr<std::unique_ptr<Key>> LoadOrCreate(const std::string& path, Key (*generate)()) {
  auto loaded = Key::LoadPem(path);
  if (loaded.ok()) return std::make_unique<Key>(std::move(loaded).value());
  if (loaded.status().code() != StatusCode::kNotFound) return loaded.status();
  Key fresh = generate();
  LCB_RETURN_IF_ERROR(fresh.SavePem(path));
  return std::make_unique<Key>(std::move(fresh));
}

RsaKey GenerateRsa() { return RsaKey::Generate(); }

StatusOr<std::vector<CredentialKeyRow>> DecodeRows(const std::string& stored) {
  LCB_ASSIGN_OR_RETURN(Json doc, ParseIJson(stored));
  if (!doc.is_array()) return Status::DataLoss("credential_keys is not a JSON array");
  std::vector<CredentialKeyRow> rows;
  for (const Json& r : doc) {
    if (!r.is_object() || !r.contains("multikey") || !r["multikey"].is_string()) {
      return Status::DataLoss("credential_keys holds a malformed row");
    }
    rows.push_back({r["multikey"], r.value("valid_from", ""), r.value("valid_until", ""),
                    r.value("rsa_kid", "")});
  }
  return rows;
}

std::string EncodeRows(const std::vector<CredentialKeyRow>& rows) {
  Json doc = Json::array();
  for (const CredentialKeyRow& r : rows) {
    Json row = {{"multikey", r.multikey}, {"valid_from", r.valid_from}};
    if (!r.valid_until.empty()) row["valid_until"] = r.valid_until;
    if (!r.rsa_kid.empty()) row["rsa_kid"] = r.rsa_kid;
    doc.push_back(std::move(row));
  }
  return doc.dump();
}

std::optional<vc::UnixSeconds> TimeOf(const std::string& rfc3339) {
  if (rfc3339.empty()) return std::nullopt;
  auto t = vc::ParseDateTimeStamp(rfc3339, "");
  return t.ok() ? std::optional<vc::UnixSeconds>(*t) : std::nullopt;
}

}  // namespace

StatusOr<std::unique_ptr<CredentialKeys>> CredentialKeys::Open(Kv* kv, const std::string& data_dir,
                                                               bool shared_store) {
  std::unique_ptr<CredentialKeys> keys(new CredentialKeys());
  std::string stored;
  Status s = kv->Get(Table::kMeta, keys::kMetaCredentialKeys, &stored);
  if (s.ok()) {
    LCB_ASSIGN_OR_RETURN(keys->history_, DecodeRows(stored));
  } else if (s.code() != StatusCode::kNotFound) {
    return s;
  }
  const std::string ed_path = data_dir + "/" + kCredentialKeyFile;
  const std::string rsa_path = data_dir + "/" + kCredentialRsaKeyFile;
  if (shared_store && !keys->history_.empty()) {
    for (const std::string& path : {ed_path, rsa_path}) {
      if (!std::filesystem::exists(path)) {
        return Status::FailedPrecondition(
            path +
            " is missing, and this bank already signs credentials: every node of a "
            "shared store signs with the same keys; copy " +
            std::string(kCredentialKeyFile) + " and " + kCredentialRsaKeyFile +
            " (mode 0600) from the data directory of a node of this bank, or from its backup");
      }
    }
  }
  LCB_ASSIGN_OR_RETURN(keys->ed25519_, LoadOrCreate<Ed25519Key>(ed_path, &Ed25519Key::Generate));
  LCB_ASSIGN_OR_RETURN(keys->rsa_, LoadOrCreate<RsaKey>(rsa_path, &GenerateRsa));
  const std::string& pub = keys->ed25519_->PublicKey();
  keys->did_ = DidKeyFromEd25519(pub);
  keys->verification_method_ = DidKeyVerificationMethod(pub);
  keys->rsa_kid_ = keys->rsa_->PublicKey().Thumbprint();
  LCB_RETURN_IF_ERROR(keys->LoadHistory(kv, shared_store));
  return keys;
}

// As the log key's history (service/log.cc): a key not yet listed closes the previous one.
Status CredentialKeys::LoadHistory(Kv* kv, bool shared_store) {
  const std::string multikey = Ed25519Multikey(ed25519_->PublicKey());
  const std::string copy = ": copy " + std::string(kCredentialKeyFile) + " and " +
                           kCredentialRsaKeyFile +
                           " (mode 0600) from the data directory of a node of this bank";
  for (CredentialKeyRow& r : history_) {
    if (r.multikey != multikey) continue;
    if (shared_store && !r.valid_until.empty()) {
      return Status::FailedPrecondition(std::string(kCredentialKeyFile) + " holds credential key " +
                                        multikey + ", retired at " + r.valid_until + copy);
    }
    if (r.rsa_kid == rsa_kid_ || !r.valid_until.empty()) return Status::Ok();
    if (shared_store && !r.rsa_kid.empty()) {
      return Status::FailedPrecondition(std::string(kCredentialRsaKeyFile) + " holds RSA key " +
                                        rsa_kid_ + ", not the bank's current " + r.rsa_kid + copy +
                                        " (to rotate, replace both files)");
    }
    // The RSA key beside the current Ed25519 key, kept from now on (or replaced alone).
    r.rsa_kid = rsa_kid_;
    WriteBatch batch;
    batch.Put(Table::kMeta, keys::kMetaCredentialKeys, EncodeRows(history_));
    return kv->Write(batch, true);
  }
  const std::string now = NowRfc3339();
  for (CredentialKeyRow& r : history_) {
    if (r.valid_until.empty()) r.valid_until = now;
  }
  history_.push_back({multikey, now, "", rsa_kid_});
  WriteBatch batch;
  batch.Put(Table::kMeta, keys::kMetaCredentialKeys, EncodeRows(history_));
  return kv->Write(batch, true);
}

Json CredentialKeys::Jwks() const {
  return {{"keys", Json::array({Ed25519PublicJwk(ed25519_->PublicKey(), verification_method_),
                                rsa_->PublicKey().Jwk(rsa_kid_)})}};
}

StatusOr<Json> CredentialKeys::DidWebDocument(const std::string& public_url) const {
  LCB_ASSIGN_OR_RETURN(std::string did, vc::DidWebFromUrl(public_url));
  std::vector<vc::DidKeyEntry> entries;
  for (size_t i = 0; i < history_.size(); ++i) {
    LCB_ASSIGN_OR_RETURN(std::string pub, Ed25519FromMultikey(history_[i].multikey));
    entries.push_back({"key-" + std::to_string(i + 1), std::move(pub)});
  }
  return vc::DidWebDocument(did, entries);
}

void CredentialKeys::RegisterKeys(vc::KeyRegistry* registry, const std::string& did_web) const {
  for (size_t i = 0; i < history_.size(); ++i) {
    const CredentialKeyRow& row = history_[i];
    auto pub = Ed25519FromMultikey(row.multikey);
    if (!pub.ok()) continue;  // history rows are written from real keys only
    vc::VerificationKey key =
        vc::Ed25519VerificationKey(DidKeyVerificationMethod(*pub), "bank", *pub);
    // Only the end of a key's validity is enforced: a JWS carries no signing time, so the
    // verifier takes validFrom (the completion date, often before the key existed) for it.
    key.valid_until = TimeOf(row.valid_until);
    if (!did_web.empty()) {
      vc::VerificationKey web = key;
      web.id = did_web + "#key-" + std::to_string(i + 1);
      registry->Add({did_web}, std::move(web));
    }
    registry->Add({DidKeyFromEd25519(*pub)}, std::move(key));
  }
  registry->Add({}, vc::RsaVerificationKey(rsa_kid_, "bank", rsa_->PublicKey()));
}

}  // namespace lcb
