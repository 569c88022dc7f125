// Offline checks of a record bundle (the JSON of GET /v1/records/{id}, docs/api.md), for
// `creditbank verify --bundle`. Pure functions over the parsed bundle and the checkpoint the
// caller has already opened with the log's key; nothing is fetched. Every failure is DataLoss
// with a reason that names the part of the bundle that is wrong.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "crypto/checkpoint.h"

namespace lcb {

// Whether `receipt` is {checkpoint: string, leaf_index, tree_size: unsigned, inclusion_proof: []}.
bool HasReceiptShape(const nlohmann::json& receipt);

// OK when `entry` (a log entry parsed: its RFC 8785 canonical bytes are exactly the bytes the
// log hashed) is leaf receipt.leaf_index of the tree the signed checkpoint `cp` commits to, and
// the receipt's tree_size is the checkpoint's. `what` names the entry in the reason ("record",
// "revocation"). `receipt` has HasReceiptShape.
Status CheckInclusion(const nlohmann::json& entry, const nlohmann::json& receipt,
                      const Checkpoint& cp, const std::string& what);

// The string member `name` of `doc`, or "" when absent or not a string.
std::string TextOf(const nlohmann::json& doc, const char* name);

// A revoked record's bundle proves its revocation: "revocation": {"entry", "leaf_index",
// "receipt"}, the entry a revocation of this record (its "record" the record's id) by the
// record's issuer, its id the bundle's "revoked_by", later in the log than the record, and
// included in the tree of the record receipt's own checkpoint `cp` (the receipt's checkpoint
// must be the same signed note). Returns the revocation entry; null when the bundle neither is
// nor says it is revoked. A status "revoked" without a revocation, or a revocation under another
// status, is refused. `bundle` has a "record" object and a "receipt" with HasReceiptShape.
StatusOr<nlohmann::json> CheckRevocation(const nlohmann::json& bundle, const Checkpoint& cp);

}  // namespace lcb
