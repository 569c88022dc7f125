#include "api/views.h"

#include "codec/mapping.h"
#include "common/encoding.h"
#include "engine/regimes.h"

namespace lcb {

json HashesJson(const std::vector<Hash>& hashes) {
  json arr = json::array();
  for (const Hash& h : hashes) arr.push_back(HashHex(h));
  return arr;
}

json ReceiptJson(const Receipt& r) {
  return json{{"leaf_index", r.leaf_index},
              {"checkpoint", r.checkpoint},
              {"tree_size", r.tree_size},
              {"inclusion_proof", HashesJson(r.inclusion_proof)}};
}

std::string PostOutcomeBody(const PostOutcome& outcome) {
  const std::string checkpoint = Dump(json(outcome.checkpoint));
  const std::string size_text = std::to_string(outcome.tree_size);
  std::string body = "{\"records\":[";
  body.reserve(outcome.records.size() * (checkpoint.size() + 1400));
  for (size_t i = 0; i < outcome.records.size(); ++i) {
    const PostedRecord& o = outcome.records[i];
    const std::string leaf = std::to_string(o.leaf_index);
    if (i > 0) body += ',';
    body.append("{\"id\":\"").append(o.id).append("\",\"leaf_index\":").append(leaf);
    body.append(o.existed ? ",\"status\":\"existing\"" : ",\"status\":\"created\"");
    body.append(",\"receipt\":{\"checkpoint\":").append(checkpoint);
    body.append(",\"inclusion_proof\":[");
    for (size_t k = 0; k < o.inclusion_proof.size(); ++k) {
      if (k > 0) body += ',';
      body += '"';
      AppendHex(HashBytes(o.inclusion_proof[k]), &body);
      body += '"';
    }
    body.append("],\"leaf_index\":").append(leaf).append(",\"tree_size\":").append(size_text);
    body.append("}}");
  }
  body += "]}";
  return body;
}

namespace {

json PostedJson(const PostedRecord& p, const std::string& checkpoint, uint64_t tree_size) {
  return json{
      {"id", p.id},
      {"leaf_index", p.leaf_index},
      {"status", p.existed ? "existing" : "created"},
      {"receipt", ReceiptJson(Receipt{p.leaf_index, checkpoint, tree_size, p.inclusion_proof})}};
}

}  // namespace

json CorrectionJson(const Correction& c) {
  return json{{"revocation", PostedJson(c.revocation, c.checkpoint, c.tree_size)},
              {"record", PostedJson(c.record, c.checkpoint, c.tree_size)}};
}

json RevocationJson(const Revocation& r) {
  return json{{"id", r.id},
              {"record", r.record},
              {"status", "revoked"},
              {"leaf_index", r.receipt.leaf_index},
              {"receipt", ReceiptJson(r.receipt)}};
}

namespace {

// What the bank derives from a record but does not log (engine/model.h): whether its grade
// passes (a failing one is kept but earns nothing) and the EQF level rules compare against.
void AddDerivedFields(const Record& r, json& out) {
  out["passing"] = r.passing;
  if (r.common_level != kCommonLevelUnresolved) out["common_level"] = r.common_level;
}

}  // namespace

StatusOr<json> RecordViewJson(const RecordBundle& b) {
  const StoredRecord& r = b.stored;
  json entry = json::parse(r.entry_bytes, nullptr, false);
  if (entry.is_discarded()) return Status::DataLoss("a stored record entry does not parse");
  json out = {{"record", std::move(entry)},
              {"status", r.status()},
              {"source", RecordSourceName(r.record.source)},
              {"receipt", ReceiptJson(b.receipt)}};
  if (!r.revoked_by.empty()) out["revoked_by"] = r.revoked_by;
  if (b.revocation) {
    // The entry as hashed (parsed, like "record"): JCS of it gives the leaf's bytes back.
    json rev = json::parse(b.revocation->entry_bytes, nullptr, false);
    if (!rev.is_object()) return Status::DataLoss("a stored revocation entry does not parse");
    out["revocation"] = json{{"entry", std::move(rev)},
                             {"leaf_index", b.revocation->leaf_index},
                             {"receipt", ReceiptJson(b.revocation->receipt)}};
  }
  AddDerivedFields(r.record, out);
  return out;
}

StatusOr<json> StoredConversionJson(const StoredConversion& c, const Receipt* receipt) {
  json entry = json::parse(c.entry_bytes, nullptr, false);
  if (!entry.is_object()) return Status::DataLoss("a stored conversion entry does not parse");
  if (receipt != nullptr) {
    return json{{"conversion", std::move(entry)},
                {"leaf_index", c.leaf_index},
                {"receipt", ReceiptJson(*receipt)}};
  }
  entry.erase("program_snapshot");
  entry["leaf_index"] = c.leaf_index;
  return entry;
}

StatusOr<json> RecordListItemJson(const StoredRecord& r) {
  json item = json::parse(r.entry_bytes, nullptr, false);
  if (item.is_discarded()) return Status::DataLoss("a stored record entry does not parse");
  item["status"] = r.status();
  item["leaf_index"] = r.leaf_index;
  // Posted records' entries carry no "source" (their bytes predate the field): say it here.
  item["source"] = RecordSourceName(r.record.source);
  AddDerivedFields(r.record, item);
  return item;
}

json InstitutionItemJson(const CatalogItem<Institution>& item) {
  json doc = InstitutionToJson(item.value);
  doc["updated_at"] = item.updated_at;
  return doc;
}

json UnitItemJson(const CatalogItem<Unit>& item) {
  json doc = UnitToJson(item.value);
  doc["updated_at"] = item.updated_at;
  return doc;
}

json ProgramItemJson(const CatalogItem<Program>& item) {
  json doc = ProgramToJson(item.value);
  doc["updated_at"] = item.updated_at;
  return doc;
}

json PublishedRulesetJson(const PublishedRuleset& p) {
  return json{{"program", p.program},
              {"version", p.version},
              {"sha256", p.sha256},
              {"published_at", p.published_at},
              {"published_by", p.published_by},
              {"leaf_index", p.leaf_index},
              {"ruleset", {{"program", p.program}, {"rules", RulesetToJson(p.ruleset)["rules"]}}},
              {"program_snapshot", ProgramToJson(p.program_snapshot)}};
}

json RulesetPublicationJson(const RulesetPublication& p) {
  return json{{"program", p.program},
              {"version", p.version},
              {"sha256", p.sha256},
              {"rules", p.rules},
              {"leaf_index", p.receipt.leaf_index},
              {"receipt", ReceiptJson(p.receipt)}};
}

json AppliedConversionJson(const AppliedConversion& a, const std::string& learner) {
  return json{{"id", a.id},
              {"leaf_index", a.receipt.leaf_index},
              {"receipt", ReceiptJson(a.receipt)},
              {"result", ConversionToJson(a.result, learner)}};
}

json WhatIfJson(const WhatIfReport& report, const std::string& learner, Days as_of) {
  json items = json::array();
  for (const WhatIfProgram& p : report.results) {
    const WhatIfEntry& w = p.entry;
    json item = {{"program", w.program},
                 {"ruleset_version", w.ruleset_version},
                 {"total_credits", CreditsJson(w.total_credits)},
                 {"transfer_cap", CreditsJson(w.transfer_cap)},
                 {"granted", CreditsJson(w.granted)},
                 {"remaining", CreditsJson(w.remaining)},
                 {"optimal", w.optimal}};
    if (!p.title.empty()) item["title"] = p.title;
    items.push_back(std::move(item));
  }
  return json{{"learner", learner},
              {"as_of", FormatDate(as_of)},
              {"programs_evaluated", report.programs_evaluated},
              {"results", items}};
}

json LogKeysJson(const LogKeys& keys) {
  json list = json::array();
  for (const LogKeyRow& k : keys.keys) {
    json item = {{"verifier_key", k.verifier_key},
                 {"public_key_pem", k.public_key_pem},
                 {"key_id", k.key_id},
                 {"valid_from", k.valid_from}};
    if (!k.valid_until.empty()) item["valid_until"] = k.valid_until;
    list.push_back(std::move(item));
  }
  return json{{"origin", keys.origin},
              {"verifier_key", keys.verifier_key},
              {"public_key_pem", keys.public_key_pem},
              {"keys", list}};
}

json LogEntriesJson(const LogEntries& entries) {
  json list = json::array();
  for (const LogEntryView& e : entries.entries) {
    json item = {{"index", e.index}, {"leaf_hash", HashHex(e.leaf_hash)}};
    if (e.bytes) item["entry"] = Base64Encode(*e.bytes);
    list.push_back(std::move(item));
  }
  return json{{"entries", list}, {"tree_size", entries.tree_size}};
}

json GrantJson(const GrantRow& g) {
  json out = {{"learner", g.learner}, {"institution", g.institution}, {"granted_at", g.granted_at}};
  if (!g.expires_at.empty()) out["expires_at"] = g.expires_at;
  return out;
}

json AdminActionJson(const AdminActionRow& a) {
  return json{{"seq", a.seq},           {"at", a.at},         {"by", a.by},
              {"token_id", a.token_id}, {"action", a.action}, {"object", a.object}};
}

json BackupManifestJson(const BackupManifest& m) {
  json out = {{"origin", m.origin}, {"tree_size", m.tree_size}, {"checkpoint", m.checkpoint}};
  if (!m.created_at.empty()) out["created_at"] = m.created_at;
  if (!m.verified.empty()) out["verified"] = m.verified;
  if (!m.files.empty()) out["files"] = m.files;
  return out;
}

}  // namespace lcb
