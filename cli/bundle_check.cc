// Checks of a record bundle (cli/bundle_check.h).
#include "cli/bundle_check.h"

#include "crypto/jcs.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"

namespace lcb {

using json = nlohmann::json;

bool HasReceiptShape(const json& receipt) {
  return receipt.is_object() && receipt.contains("checkpoint") &&
         receipt["checkpoint"].is_string() && receipt.contains("leaf_index") &&
         receipt["leaf_index"].is_number_unsigned() && receipt.contains("tree_size") &&
         receipt["tree_size"].is_number_unsigned() && receipt.contains("inclusion_proof") &&
         receipt["inclusion_proof"].is_array();
}

Status CheckInclusion(const json& entry, const json& receipt, const Checkpoint& cp,
                      const std::string& what) {
  auto bytes = CanonicalJson(entry);
  if (!bytes.ok()) {
    return Status::DataLoss("the " + what +
                            " cannot be canonicalized: " + bytes.status().message());
  }
  std::vector<Hash> proof;
  for (const auto& h : receipt["inclusion_proof"]) {
    auto hash = h.is_string() ? HashFromHex(h.get<std::string>()) : std::nullopt;
    if (!hash) {
      return Status::DataLoss("the " + what +
                              "'s inclusion_proof holds a value that is not a SHA-256 hex");
    }
    proof.push_back(*hash);
  }
  // The receipt's numbers are shown to whoever reads the bundle; they must be the signed
  // ones (docs/formats.md "Receipt": tree_size is the checkpoint's size), not merely unused.
  const uint64_t leaf = receipt["leaf_index"];
  const uint64_t tree_size = receipt["tree_size"];
  if (tree_size != cp.size) {
    return Status::DataLoss("the " + what + "'s receipt's tree_size " + std::to_string(tree_size) +
                            " is not the size of its signed checkpoint (" +
                            std::to_string(cp.size) + ")");
  }
  if (leaf >= cp.size) {
    return Status::DataLoss("the " + what + "'s receipt's leaf_index " + std::to_string(leaf) +
                            " is not below the signed checkpoint's size " +
                            std::to_string(cp.size));
  }
  Status included = VerifyInclusion(leaf, cp.size, LeafHash(*bytes), proof, cp.root);
  if (!included.ok()) {
    return Status::DataLoss("the " + what + " is not in the signed log as shown (altered " + what +
                            " or proof): " + included.message());
  }
  return Status::Ok();
}

std::string TextOf(const json& doc, const char* name) {
  auto it = doc.find(name);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

StatusOr<json> CheckRevocation(const json& bundle, const Checkpoint& cp) {
  const std::string status = TextOf(bundle, "status");
  if (!bundle.contains("revocation")) {
    if (status != "revoked") return json();
    return Status::DataLoss(
        "the bundle says the record is revoked but carries no revocation entry to prove it "
        "(fetch it again from the bank: GET /v1/records/{id})");
  }
  if (status != "revoked") {
    return Status::DataLoss("the bundle carries a revocation but its status is '" + status + "'");
  }
  const json& rev = bundle["revocation"];
  if (!rev.is_object() || !rev.contains("entry") || !rev["entry"].is_object() ||
      !rev.contains("leaf_index") || !rev["leaf_index"].is_number_unsigned() ||
      !rev.contains("receipt") || !HasReceiptShape(rev["receipt"])) {
    return Status::DataLoss(
        "the revocation is not {entry, leaf_index, receipt} with checkpoint, leaf_index, "
        "tree_size and inclusion_proof");
  }
  const json& receipt = rev["receipt"];
  if (receipt["checkpoint"] != bundle["receipt"]["checkpoint"]) {
    return Status::DataLoss(
        "the revocation's receipt is against another checkpoint than the record's; one signed "
        "checkpoint must cover both");
  }
  if (rev["leaf_index"] != receipt["leaf_index"]) {
    return Status::DataLoss("the revocation's leaf_index is not its receipt's");
  }
  const json& entry = rev["entry"];
  const json& record = bundle["record"];
  const std::string id = TextOf(record, "id");
  if (TextOf(entry, "type") != "revocation") {
    return Status::DataLoss("the revocation entry's type is '" + TextOf(entry, "type") +
                            "', not 'revocation'");
  }
  if (TextOf(entry, "record") != id) {
    return Status::DataLoss("the revocation revokes record '" + TextOf(entry, "record") +
                            "', not this record '" + id + "'");
  }
  if (TextOf(entry, "issuer") != TextOf(record, "issuer")) {
    return Status::DataLoss("the revocation was issued by '" + TextOf(entry, "issuer") +
                            "', not by the record's issuer '" + TextOf(record, "issuer") + "'");
  }
  if (TextOf(entry, "id") != TextOf(bundle, "revoked_by")) {
    return Status::DataLoss("the revocation entry is '" + TextOf(entry, "id") +
                            "', but the bundle's revoked_by says '" + TextOf(bundle, "revoked_by") +
                            "'");
  }
  if (rev["leaf_index"].get<uint64_t>() <= bundle["receipt"]["leaf_index"].get<uint64_t>()) {
    return Status::DataLoss("the revocation's leaf_index is not after the record's");
  }
  LCB_RETURN_IF_ERROR(CheckInclusion(entry, receipt, cp, "revocation"));
  return entry;
}

}  // namespace lcb
