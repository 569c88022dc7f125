#include "vc/keys.h"

#include <algorithm>

#include "crypto/multikey.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kDidV1Context = "https://www.w3.org/ns/did/v1";
constexpr std::string_view kMultikeyContext = "https://w3id.org/security/multikey/v1";

Status Bad(std::string pointer, std::string message) {
  return Status::InvalidArgument(Field(std::move(pointer)), std::move(message));
}

std::string_view Fragment(std::string_view id) {
  const size_t hash = id.find('#');
  return hash == std::string_view::npos ? std::string_view() : id.substr(hash + 1);
}

std::string_view DidOf(std::string_view method_id) {
  return method_id.substr(0, method_id.find('#'));
}

bool Matches(const VerificationKey& key, bool bound, const KeyQuery& q) {
  if (key.alg != q.alg) return false;
  if (!q.key_id.empty()) {
    if (key.id == q.key_id) return true;
    if (bound) return q.key_id[0] == '#' && key.id == std::string(q.issuer) + std::string(q.key_id);
    return !key.id.empty() && key.id.find('#') == std::string::npos && Fragment(q.key_id) == key.id;
  }
  if (!q.jwk_thumbprint.empty()) return key.thumbprint == q.jwk_thumbprint;
  return true;  // no way to name the key: every key of the algorithm is a candidate
}

// A verification method of a DID document as a key, or InvalidArgument naming `at`.
StatusOr<VerificationKey> MethodKey(const Json& vm, const std::string& at,
                                    const std::string& owner) {
  if (!vm.is_object()) return Bad(at, "a verification method must be an object");
  const auto id = vm.find("id");
  if (id == vm.end() || !id->is_string()) return Bad(at + "/id", "must be a string");
  if (const auto mk = vm.find("publicKeyMultibase"); mk != vm.end()) {
    if (!mk->is_string()) return Bad(at + "/publicKeyMultibase", "must be a string");
    StatusOr<std::string> pub = Ed25519FromMultikey(mk->get<std::string>());
    if (!pub.ok()) return pub.status().WithPointerPrefix(at + "/publicKeyMultibase");
    return Ed25519VerificationKey(id->get<std::string>(), owner, std::move(*pub));
  }
  if (const auto jwk = vm.find("publicKeyJwk"); jwk != vm.end()) {
    StatusOr<VerificationKey> key = VerificationKeyFromJwk(*jwk, owner);
    if (!key.ok()) return key.status().WithPointerPrefix(at + "/publicKeyJwk");
    key->id = id->get<std::string>();
    return key;
  }
  return Bad(at, "needs publicKeyMultibase (Ed25519 Multikey) or publicKeyJwk");
}

}  // namespace

VerificationKey Ed25519VerificationKey(std::string id, std::string owner,
                                       std::string public_key32) {
  VerificationKey key;
  key.id = std::move(id);
  key.owner = std::move(owner);
  key.alg = JwsAlgorithm::kEdDSA;
  key.thumbprint = JwkThumbprint(public_key32);
  key.ed25519 = std::move(public_key32);
  return key;
}

VerificationKey RsaVerificationKey(std::string id, std::string owner, const RsaPublicKey& rsa) {
  VerificationKey key;
  key.id = std::move(id);
  key.owner = std::move(owner);
  key.alg = JwsAlgorithm::kRS256;
  key.thumbprint = rsa.Thumbprint();
  key.rsa = rsa;
  return key;
}

StatusOr<VerificationKey> VerificationKeyFromJwk(const Json& jwk, std::string owner) {
  LCB_ASSIGN_OR_RETURN(ParsedPublicJwk parsed, ParsePublicJwk(jwk));
  if (parsed.alg == JwsAlgorithm::kRS256) {
    return RsaVerificationKey(parsed.kid, std::move(owner), *parsed.rsa);
  }
  return Ed25519VerificationKey(parsed.kid, std::move(owner), std::move(parsed.ed25519));
}

void KeyRegistry::Add(std::vector<std::string> issuers, VerificationKey key) {
  entries_.push_back(Entry{std::move(issuers), std::move(key)});
}

Status KeyRegistry::AddDidKey(std::string_view did, std::string owner) {
  if (did.find('#') != std::string_view::npos) return Bad("", "a DID, not a verification method");
  LCB_ASSIGN_OR_RETURN(std::string pub, Ed25519FromDidKey(did));
  Add({std::string(did)},
      Ed25519VerificationKey(DidKeyVerificationMethod(pub), std::move(owner), pub));
  return Status::Ok();
}

Status KeyRegistry::PinDidDocument(const Json& doc, std::string owner) {
  if (!doc.is_object()) return Bad("", "a DID document must be an object");
  const auto id = doc.find("id");
  if (id == doc.end() || !id->is_string()) return Bad("/id", "must be a DID");
  const std::string did = *id;
  // Methods by id, from "verificationMethod" and embedded in "assertionMethod".
  std::map<std::string, std::pair<const Json*, std::string>> methods;
  if (const auto vms = doc.find("verificationMethod"); vms != doc.end() && vms->is_array()) {
    for (size_t i = 0; i < vms->size(); ++i) {
      const Json& vm = (*vms)[i];
      if (vm.is_object() && vm.contains("id") && vm["id"].is_string()) {
        methods[vm["id"].get<std::string>()] = {&vm, "/verificationMethod/" + std::to_string(i)};
      }
    }
  }
  const auto assertion = doc.find("assertionMethod");
  if (assertion == doc.end() || !assertion->is_array()) {
    return Bad("/assertionMethod", "must list the keys that sign credentials");
  }
  std::vector<VerificationKey> keys;
  for (size_t i = 0; i < assertion->size(); ++i) {
    const Json& ref = (*assertion)[i];
    const std::string at = "/assertionMethod/" + std::to_string(i);
    StatusOr<VerificationKey> key = Status::NotFound("");
    if (ref.is_string()) {
      std::string ref_id = ref.get<std::string>();
      if (!ref_id.empty() && ref_id[0] == '#') ref_id = did + ref_id;
      const auto found = methods.find(ref_id);
      if (found == methods.end()) return Bad(at, "names no verificationMethod of the document");
      key = MethodKey(*found->second.first, found->second.second, owner);
    } else {
      key = MethodKey(ref, at, owner);
    }
    if (!key.ok()) return key.status();
    if (!key->id.empty() && key->id[0] == '#') key->id = did + key->id;
    if (DidOf(key->id) != did) return Bad(at, "a method of another DID");
    keys.push_back(std::move(*key));
  }
  for (VerificationKey& key : keys) Add({did}, std::move(key));
  return Status::Ok();
}

StatusOr<VerificationKey> KeyRegistry::Resolve(const KeyQuery& q) const {
  std::vector<const VerificationKey*> candidates;
  for (const Entry& e : entries_) {
    const bool bound = !e.issuers.empty();
    if (bound && std::find(e.issuers.begin(), e.issuers.end(), q.issuer) == e.issuers.end()) {
      continue;
    }
    if (Matches(e.key, bound, q)) candidates.push_back(&e.key);
  }
  if (candidates.size() == 1) return *candidates.front();
  if (candidates.size() > 1) {
    // Several keys only when the key id named none in particular.
    if (q.key_id.empty() && q.jwk_thumbprint.empty()) {
      return Status::NotFound("the JWS names no key (kid or jwk) and the issuer has several");
    }
    return *candidates.front();
  }
  // did:key: the method's DID must be the issuer, and the identifier is the key.
  if (accept_any_did_key_ && q.alg == JwsAlgorithm::kEdDSA &&
      q.key_id.substr(0, kDidKeyPrefix.size()) == kDidKeyPrefix && DidOf(q.key_id) == q.issuer) {
    StatusOr<std::string> pub = Ed25519FromDidKey(q.key_id);
    if (pub.ok()) {
      return Ed25519VerificationKey(std::string(q.key_id), std::string(q.issuer), std::move(*pub));
    }
  }
  return Status::NotFound("no known key of issuer " + std::string(q.issuer) + " matches " +
                          (q.key_id.empty() ? std::string("the JWS") : std::string(q.key_id)));
}

Json DidKeyDocument(std::string_view public_key32) {
  const std::string did = DidKeyFromEd25519(public_key32);
  const std::string vm = DidKeyVerificationMethod(public_key32);
  const Json refs = Json::array({vm});
  return {{"@context", Json::array({kDidV1Context, kMultikeyContext})},
          {"id", did},
          {"verificationMethod",
           Json::array({{{"id", vm},
                         {"type", "Multikey"},
                         {"controller", did},
                         {"publicKeyMultibase", Ed25519Multikey(public_key32)}}})},
          {"authentication", refs},
          {"assertionMethod", refs},
          {"capabilityDelegation", refs},
          {"capabilityInvocation", refs}};
}

StatusOr<std::string> DidWebFromUrl(std::string_view url) {
  constexpr std::string_view kHttps = "https://";
  if (url.substr(0, kHttps.size()) != kHttps) {
    return Bad("/public_url", "did:web needs an https:// public URL");
  }
  std::string_view rest = url.substr(kHttps.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const size_t slash = rest.find('/');
  const std::string_view host = rest.substr(0, slash);
  if (host.empty() || host.find_first_of("?#@") != std::string_view::npos) {
    return Bad("/public_url", "did:web needs a host name");
  }
  std::string did = "did:web:";
  for (char c : host) did += c == ':' ? std::string("%3A") : std::string(1, c);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    did += ':';  // did:web path segments are ':'-separated after the host
    for (char c : rest.substr(slash + 1)) did += c == '/' ? ':' : c;
  }
  return did;
}

Json DidWebDocument(std::string_view did, const std::vector<DidKeyEntry>& keys) {
  Json methods = Json::array();
  Json refs = Json::array();
  for (const DidKeyEntry& k : keys) {
    const std::string id = std::string(did) + "#" + k.fragment;
    methods.push_back({{"id", id},
                       {"type", "Multikey"},
                       {"controller", did},
                       {"publicKeyMultibase", Ed25519Multikey(k.public_key)}});
    refs.push_back(id);
  }
  return {{"@context", Json::array({kDidV1Context, kMultikeyContext})},
          {"id", did},
          {"verificationMethod", methods},
          {"assertionMethod", refs},
          {"authentication", refs}};
}

}  // namespace lcb::vc
