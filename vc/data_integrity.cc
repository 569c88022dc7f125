#include "vc/data_integrity.h"

#include <optional>

#include "crypto/base58.h"
#include "crypto/jcs.h"
#include "crypto/sha256.h"
#include "vc/time.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

Status Bad(std::string pointer, std::string message) {
  return Status::InvalidArgument(Field(std::move(pointer)), std::move(message));
}

StatusOr<std::string> JcsHash(const Json& value, std::string_view pointer_prefix) {
  StatusOr<std::string> jcs = CanonicalJson(value);
  if (!jcs.ok()) return jcs.status().WithPointerPrefix(pointer_prefix);
  return std::string(HashBytes(Sha256(*jcs)));
}

// A string member of the proof, or "" when absent; InvalidArgument when not a string.
StatusOr<std::string> ProofString(const Json& proof, const char* name, bool required,
                                  const std::string& at) {
  const auto it = proof.find(name);
  if (it == proof.end()) {
    if (required) return Bad(at + "/" + name, "is required");
    return std::string();
  }
  if (!it->is_string()) return Bad(at + "/" + name, "must be a string");
  return it->get<std::string>();
}

// §3.3.2 step 4: the document's @context must start with the proof's, element by element.
Status CheckProofContext(const Json& doc_context, const Json& proof_context,
                         const std::string& at) {
  const Json doc = doc_context.is_array() ? doc_context : Json::array({doc_context});
  const Json proof = proof_context.is_array() ? proof_context : Json::array({proof_context});
  if (proof.size() > doc.size()) {
    return Bad(at + "/@context", "the document's @context does not start with the proof's");
  }
  for (size_t i = 0; i < proof.size(); ++i) {
    if (proof[i] != doc[i]) {
      return Bad(at + "/@context", "the document's @context does not start with the proof's");
    }
  }
  return Status::Ok();
}

// The single proof object of `secured` and its JSON pointer.
StatusOr<std::pair<const Json*, std::string>> SingleProof(const Json& secured) {
  const auto it = secured.find("proof");
  if (it == secured.end()) return Bad("/proof", "the document has no proof");
  if (it->is_array()) {
    if (it->size() != 1) return Bad("/proof", "exactly one proof is supported");
    if (!(*it)[0].is_object()) return Bad("/proof/0", "must be an object");
    return std::make_pair(&(*it)[0], std::string("/proof/0"));
  }
  if (!it->is_object()) return Bad("/proof", "must be an object");
  return std::make_pair(&*it, std::string("/proof"));
}

}  // namespace

StatusOr<std::string> EddsaJcs2022HashData(const Json& document, const Json& proof_config) {
  LCB_ASSIGN_OR_RETURN(std::string proof_hash, JcsHash(proof_config, "/proof"));
  LCB_ASSIGN_OR_RETURN(std::string doc_hash, JcsHash(document, ""));
  return proof_hash + doc_hash;
}

StatusOr<Json> AddEddsaJcs2022Proof(Json document, const ProofOptions& options,
                                    const Ed25519Key& key) {
  if (!document.is_object()) return Bad("", "a secured document must be a JSON object");
  if (document.contains("proof")) return Bad("/proof", "the document already has a proof");
  if (options.verification_method.empty()) {
    return Bad("/proof/verificationMethod", "is required");
  }
  Json proof = {{"type", kDataIntegrityProof},
                {"cryptosuite", kEddsaJcs2022},
                {"verificationMethod", options.verification_method},
                {"proofPurpose", options.proof_purpose}};
  if (!options.created.empty()) proof["created"] = options.created;
  if (const auto ctx = document.find("@context"); ctx != document.end()) proof["@context"] = *ctx;
  LCB_ASSIGN_OR_RETURN(std::string hash_data, EddsaJcs2022HashData(document, proof));
  proof["proofValue"] = "z" + Base58BtcEncode(key.Sign(hash_data));
  document["proof"] = std::move(proof);
  return document;
}

StatusOr<PendingProof> ReadEddsaJcs2022Proof(const Json& secured) {
  if (!secured.is_object()) return Bad("", "a secured document must be a JSON object");
  LCB_ASSIGN_OR_RETURN(auto found, SingleProof(secured));
  const Json& proof = *found.first;
  const std::string& at = found.second;
  PendingProof out;
  LCB_ASSIGN_OR_RETURN(std::string type, ProofString(proof, "type", true, at));
  if (type != kDataIntegrityProof) return Bad(at + "/type", "must be DataIntegrityProof");
  LCB_ASSIGN_OR_RETURN(std::string suite, ProofString(proof, "cryptosuite", true, at));
  if (suite != kEddsaJcs2022) return Bad(at + "/cryptosuite", "must be eddsa-jcs-2022");
  LCB_ASSIGN_OR_RETURN(out.verification_method, ProofString(proof, "verificationMethod", true, at));
  LCB_ASSIGN_OR_RETURN(out.proof_purpose, ProofString(proof, "proofPurpose", true, at));
  LCB_ASSIGN_OR_RETURN(out.created, ProofString(proof, "created", false, at));
  if (!out.created.empty()) {
    LCB_RETURN_IF_ERROR(ParseDateTimeStamp(out.created, at + "/created").status());
  }
  LCB_ASSIGN_OR_RETURN(std::string value, ProofString(proof, "proofValue", true, at));
  std::optional<std::string> sig =
      value.size() > 1 && value[0] == 'z' ? Base58BtcDecode(value.substr(1)) : std::nullopt;
  if (!sig || sig->size() != kEd25519SignatureSize) {
    return Bad(at + "/proofValue", "must be 'z' + base58btc of a 64-byte Ed25519 signature");
  }
  out.signature = std::move(*sig);

  Json document = secured;
  document.erase("proof");
  Json config = proof;
  config.erase("proofValue");
  if (const auto ctx = config.find("@context"); ctx != config.end()) {
    const auto doc_ctx = document.find("@context");
    if (doc_ctx == document.end()) return Bad(at + "/@context", "the document has no @context");
    LCB_RETURN_IF_ERROR(CheckProofContext(*doc_ctx, *ctx, at));
    document["@context"] = *ctx;
  }
  LCB_ASSIGN_OR_RETURN(out.hash_data, EddsaJcs2022HashData(document, config));
  return out;
}

bool VerifyPendingProof(const PendingProof& proof, std::string_view ed25519_public_key32) {
  return Ed25519Verify(ed25519_public_key32, proof.hash_data, proof.signature);
}

}  // namespace lcb::vc
