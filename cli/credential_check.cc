#include "cli/credential_check.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>

#include "crypto/ed25519.h"
#include "crypto/ijson.h"
#include "crypto/jws.h"
#include "crypto/multikey.h"
#include "crypto/rsa.h"
#include "vc/securing.h"
#include "vc/status_list.h"

namespace lcb {
namespace {

using Json = nlohmann::json;

Status BadArgument(std::string pointer, std::string message) {
  return Status::InvalidArgument(Field(std::move(pointer)), std::move(message));
}

// Reads at most `max_bytes` + 1 bytes, so that an endless stream still ends.
StatusOr<std::string> ReadBounded(std::istream& in, const std::string& name, size_t max_bytes) {
  std::string text;
  char buf[64 * 1024];
  while (in && text.size() <= max_bytes) {
    in.read(buf, sizeof buf);
    text.append(buf, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Status::NotFound("cannot read " + name);
  if (text.size() > max_bytes) {
    return BadArgument("", name + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  return text;
}

StatusOr<std::vector<vc::VerificationKey>> KeysFromPem(std::string_view pem) {
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
    return BadArgument("", "the PEM holds a private key; give the issuer's public key");
  }
  StatusOr<std::string> ed25519 = PublicKeyFromPem(pem);
  if (ed25519.ok()) {
    return std::vector<vc::VerificationKey>{
        vc::Ed25519VerificationKey(DidKeyVerificationMethod(*ed25519), "issuer-key", *ed25519)};
  }
  StatusOr<RsaPublicKey> rsa = RsaPublicKey::FromPem(pem);
  if (rsa.ok()) {
    return std::vector<vc::VerificationKey>{
        vc::RsaVerificationKey(rsa->Thumbprint(), "issuer-key", *rsa)};
  }
  // Both parsers say what they found; the RSA one's message names a foreign key type.
  const bool is_rsa = ed25519.status().message().find("RSA") != std::string::npos;
  return BadArgument("", "not an Ed25519 or RSA public key: " +
                             (is_rsa ? rsa.status().message() : ed25519.status().message()));
}

StatusOr<std::vector<vc::VerificationKey>> KeysFromJwks(const Json& doc) {
  const bool is_set = doc.is_object() && doc.contains("keys");
  const Json jwks = is_set ? doc["keys"] : Json::array({doc});
  if (!jwks.is_array() || jwks.empty()) {
    return BadArgument("/keys", "a JWK Set lists its keys in a non-empty array");
  }
  std::vector<vc::VerificationKey> keys;
  for (size_t i = 0; i < jwks.size(); ++i) {
    StatusOr<vc::VerificationKey> key = vc::VerificationKeyFromJwk(jwks[i], "issuer-key");
    if (!key.ok()) {
      return key.status().WithPointerPrefix(is_set ? "/keys/" + std::to_string(i) : "");
    }
    if (key->id.empty()) key->id = key->thumbprint;
    keys.push_back(std::move(*key));
  }
  return keys;
}

// Tries `first`, then `second` for what `first` does not know.
class ChainResolver final : public vc::KeyResolver {
 public:
  ChainResolver(const vc::KeyResolver& first, const vc::KeyResolver& second)
      : first_(first), second_(second) {}
  StatusOr<vc::VerificationKey> Resolve(const vc::KeyQuery& q) const override {
    StatusOr<vc::VerificationKey> key = first_.Resolve(q);
    if (key.ok()) return key;
    StatusOr<vc::VerificationKey> other = second_.Resolve(q);
    return other.ok() ? other : key;
  }

 private:
  const vc::KeyResolver& first_;
  const vc::KeyResolver& second_;
};

// The resolver the arguments ask for (see the header), with a note saying what is trusted.
StatusOr<std::unique_ptr<vc::KeyResolver>> MakeResolver(const OfflineVerifyRequest& request,
                                                        std::vector<std::string>* notes) {
  if (!request.issuer_key_path.empty() && !request.did.empty()) {
    return BadArgument("", "give either --issuer-key or --did, not both");
  }
  if (!request.issuer_key_path.empty()) {
    StatusOr<std::string> text = ReadInputFile(request.issuer_key_path, kMaxKeyFileBytes);
    if (!text.ok()) return text.status();
    StatusOr<std::vector<vc::VerificationKey>> keys = ParseIssuerKeys(*text);
    if (!keys.ok()) {
      return BadArgument(keys.status().pointer(), "--issuer-key " + request.issuer_key_path + ": " +
                                                      keys.status().message());
    }
    return std::unique_ptr<vc::KeyResolver>(new PinnedKeyResolver(std::move(*keys)));
  }
  auto registry = std::make_unique<vc::KeyRegistry>();
  if (!request.did.empty()) {
    if (request.did.starts_with("did:web:")) {
      return BadArgument("", "--did " + request.did +
                                 ": a did:web is resolved over the network; fetch its key "
                                 "(e.g. /.well-known/jwks.json) and pass it with --issuer-key");
    }
    if (!request.did.starts_with(kDidKeyPrefix)) {
      return BadArgument("", "--did " + request.did + ": only did:key resolves offline");
    }
    Status added = registry->AddDidKey(request.did, request.did);
    if (!added.ok()) return BadArgument("", "--did " + request.did + ": " + added.message());
    return std::unique_ptr<vc::KeyResolver>(std::move(registry));
  }
  registry->set_accept_any_did_key(true);
  notes->push_back(
      "no --issuer-key or --did: a did:key issuer is trusted as itself; check that \"issuer\" "
      "is the one you expect (the bank's is \"id\" of GET /v1/credentials/issuer)");
  return std::unique_ptr<vc::KeyResolver>(std::move(registry));
}

// A status list file read and its proof checked: the list, or the verification that failed.
struct LoadedStatusList {
  std::optional<vc::DecodedStatusList> list;
  vc::VerificationResult proof;
};

StatusOr<LoadedStatusList> LoadStatusList(const std::string& path, const vc::KeyResolver& keys,
                                          vc::UnixSeconds now) {
  StatusOr<std::string> text = ReadInputFile(path, kMaxStatusListFileBytes);
  if (!text.ok()) return text.status();
  StatusOr<Json> doc = ParseIJson(*text);
  if (!doc.ok()) {
    return BadArgument(doc.status().pointer(),
                       "--status-list " + path + " is not JSON: " + doc.status().message());
  }
  // A list is signed with the issuer's Ed25519 key even when the credential is an RS256 JWT:
  // the list's own did:key issuer resolves too, and the verifier then requires that issuer to
  // be the credential's.
  vc::KeyRegistry own_did_key;
  own_did_key.set_accept_any_did_key(true);
  vc::VerifyOptions options;
  options.now = now;
  options.max_input_bytes = kMaxStatusListFileBytes;
  LoadedStatusList out;
  out.proof = vc::VerifyCredentialJson(*doc, ChainResolver(keys, own_did_key), options);
  if (!out.proof.verified) return out;
  StatusOr<vc::DecodedStatusList> list = vc::DecodeStatusListCredential(*doc);
  if (!list.ok()) {
    return BadArgument(list.status().pointer(),
                       "--status-list " + path +
                           " is not a BitstringStatusListCredential: " + list.status().message());
  }
  out.list = std::move(*list);
  return out;
}

// The credentialStatus list URLs of a verified credential.
std::vector<std::string> NamedLists(const Json& credential) {
  std::vector<std::string> urls;
  const auto status = credential.find("credentialStatus");
  if (status == credential.end()) return urls;
  const Json entries = status->is_array() ? *status : Json::array({*status});
  for (const Json& e : entries) {
    StatusOr<vc::StatusEntry> entry = vc::ParseStatusEntry(e);
    if (entry.ok()) urls.push_back(entry->list_url);
  }
  return urls;
}

// What a list that did not verify does to the result: the credential's status is not known
// and the credential is not verified (the caller asked for its status and cannot have it).
void RefuseStatusList(const std::string& path, const vc::VerificationResult& list_proof,
                      vc::VerificationResult* r) {
  const vc::VerifyError& why = list_proof.errors.front();
  r->errors.push_back({why.reason,
                       "the status list " + path + " does not verify: " + why.message +
                           (why.pointer.empty() ? "" : " (at " + why.pointer + ")"),
                       "/credentialStatus"});
  r->verified = false;
  if (r->status == vc::CredentialState::kActive) r->status = vc::CredentialState::kUnknown;
}

}  // namespace

StatusOr<std::string> ReadInputFile(const std::string& path, size_t max_bytes) {
  if (path == "-") return ReadBounded(std::cin, "standard input", max_bytes);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return BadArgument("", path + " is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  return ReadBounded(in, path, max_bytes);
}

StatusOr<std::vector<vc::VerificationKey>> ParseIssuerKeys(std::string_view text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos && text[start] == '{') {
    StatusOr<Json> doc = ParseIJson(text);
    if (!doc.ok()) return doc.status();
    return KeysFromJwks(*doc);
  }
  if (text.find("-----BEGIN") != std::string_view::npos) return KeysFromPem(text);
  return BadArgument("", "not a PEM public key, a JWK or a JWK Set");
}

StatusOr<vc::VerificationKey> PinnedKeyResolver::Resolve(const vc::KeyQuery& q) const {
  std::vector<const vc::VerificationKey*> candidates;
  for (const vc::VerificationKey& k : keys_) {
    if (k.alg == q.alg) candidates.push_back(&k);
  }
  const std::string alg(JwsAlgorithmName(q.alg));
  if (candidates.empty()) {
    return Status::NotFound("the credential is signed with " + alg +
                            "; --issuer-key holds no such key");
  }
  if (q.alg == JwsAlgorithm::kEdDSA && q.issuer.starts_with(kDidKeyPrefix)) {
    StatusOr<std::string> own = Ed25519FromDidKey(q.issuer);
    std::erase_if(candidates,
                  [&](const vc::VerificationKey* k) { return !own.ok() || k->ed25519 != *own; });
    if (candidates.empty()) {
      return Status::NotFound("the issuer " + std::string(q.issuer) +
                              " is a did:key of another key than --issuer-key");
    }
  }
  if (candidates.size() == 1) return *candidates.front();
  for (const vc::VerificationKey* k : candidates) {
    const bool named = (!q.key_id.empty() && (k->id == q.key_id || k->thumbprint == q.key_id)) ||
                       (!q.jwk_thumbprint.empty() && k->thumbprint == q.jwk_thumbprint);
    if (named) return *k;
  }
  return Status::NotFound("--issuer-key holds several " + alg + " keys and the credential names " +
                          (q.key_id.empty()
                               ? std::string("none of them")
                               : "\"" + std::string(q.key_id) + "\", not one of them"));
}

StatusOr<OfflineVerifyOutcome> VerifyCredentialOffline(const OfflineVerifyRequest& request) {
  if (request.credential_path.empty()) return BadArgument("", "--file is required");
  OfflineVerifyOutcome out;
  StatusOr<std::unique_ptr<vc::KeyResolver>> keys = MakeResolver(request, &out.notes);
  if (!keys.ok()) return keys.status();
  StatusOr<std::string> credential =
      ReadInputFile(request.credential_path, kMaxCredentialFileBytes);
  if (!credential.ok()) return credential.status();

  std::optional<LoadedStatusList> loaded;
  std::map<std::string, vc::DecodedStatusList> lists;
  if (!request.status_list_path.empty()) {
    StatusOr<LoadedStatusList> l = LoadStatusList(request.status_list_path, **keys, request.now);
    if (!l.ok()) return l.status();
    loaded = std::move(*l);
    if (loaded->list) lists.emplace(loaded->list->url, *loaded->list);
  }
  vc::VerifyOptions options;
  options.now = request.now;
  options.status_lists = &lists;
  out.result = vc::VerifyCredential(*credential, **keys, options);

  if (loaded && !loaded->list) {
    RefuseStatusList(request.status_list_path, loaded->proof, &out.result);
  } else if (loaded) {
    const std::vector<std::string> named = NamedLists(out.result.credential);
    if (std::find(named.begin(), named.end(), loaded->list->url) == named.end()) {
      out.notes.push_back("the status list given is " + loaded->list->url +
                          ", not a list the credential names: its status is unknown");
    }
  } else if (out.result.verified && out.result.status == vc::CredentialState::kUnknown) {
    out.notes.push_back("no --status-list: whether the credential was revoked is unknown");
  }
  return out;
}

}  // namespace lcb
