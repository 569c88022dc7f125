// The HTTP shapes of the services' typed results (DESIGN.md "Shapes that clients rely on").
// Pure functions; the only place where a service result becomes JSON.
#pragma once

#include <string>

#include "codec/json_util.h"
#include "service/services.h"

namespace lcb {

json HashesJson(const std::vector<Hash>& hashes);
json ReceiptJson(const Receipt& receipt);

// The answer of POST /v1/records: {"records": [{id, leaf_index, status, receipt}...]}, written
// directly (a batch's receipts are most of its bytes; this is ingestion's hot path).
std::string PostOutcomeBody(const PostOutcome& outcome);
json CorrectionJson(const Correction& correction);
json RevocationJson(const Revocation& revocation);
// GET /v1/records/{id}: {"record": the logged entry, "status", "source", "receipt",
// "revoked_by"?, "revocation"?: {"entry", "leaf_index", "receipt"}, "passing", "common_level"?}.
StatusOr<json> RecordViewJson(const RecordBundle& bundle);
// An applied conversion: with a receipt, the bundle {"conversion": the entry as hashed,
// "leaf_index", "receipt"}; without, a list item (the entry without its program_snapshot, which
// GET /v1/conversions/{id} has, plus "leaf_index").
StatusOr<json> StoredConversionJson(const StoredConversion& c, const Receipt* receipt);
// An item of GET /v1/learners/{id}/records: the entry plus status and leaf_index.
StatusOr<json> RecordListItemJson(const StoredRecord& record);

json InstitutionItemJson(const CatalogItem<Institution>& item);
json UnitItemJson(const CatalogItem<Unit>& item);
json ProgramItemJson(const CatalogItem<Program>& item);
template <typename T>
json CatalogPageJson(const CatalogPage<T>& page, json (*item_json)(const CatalogItem<T>&)) {
  json items = json::array();
  for (const auto& item : page.items) items.push_back(item_json(item));
  return json{{"items", items},
              {"next_cursor", page.next_cursor.empty() ? json(nullptr) : json(page.next_cursor)}};
}

json PublishedRulesetJson(const PublishedRuleset& published);
json RulesetPublicationJson(const RulesetPublication& publication);

json AppliedConversionJson(const AppliedConversion& applied, const std::string& learner);
json WhatIfJson(const WhatIfReport& report, const std::string& learner, Days as_of);

json LogKeysJson(const LogKeys& keys);
json LogEntriesJson(const LogEntries& entries);

json GrantJson(const GrantRow& grant);
json AdminActionJson(const AdminActionRow& action);
json BackupManifestJson(const BackupManifest& manifest);

}  // namespace lcb
