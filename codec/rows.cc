#include "codec/rows.h"

#include <nlohmann/json.hpp>

namespace lcb {
namespace {

using json = nlohmann::json;

StatusOr<json> ParseRow(std::string_view text, std::string_view what) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !(doc.is_object() || doc.is_array())) {
    return Status::DataLoss("stored " + std::string(what) + " row is corrupt");
  }
  return doc;
}

std::optional<std::string> OptionalMember(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

std::string EncodeTokenRow(const TokenRow& row) {
  json doc = {{"id", row.id}, {"role", row.role}, {"created_at", row.created_at}};
  if (!row.expires_at.empty()) doc["expires_at"] = row.expires_at;
  if (row.revoked) {
    doc["revoked"] = true;
    doc["revoked_at"] = row.revoked_at;
  }
  return doc.dump();
}

StatusOr<TokenRow> DecodeTokenRow(std::string_view text) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseRow(text, "token"));
  if (!doc.is_object() || !doc.contains("id") || !doc.contains("role")) {
    return Status::DataLoss("stored token row is corrupt");
  }
  TokenRow row;
  row.id = doc.value("id", "");
  row.role = doc.value("role", "");
  row.created_at = doc.value("created_at", "");
  row.expires_at = doc.value("expires_at", "");
  row.revoked = doc.value("revoked", false);
  row.revoked_at = doc.value("revoked_at", "");
  return row;
}

std::string EncodeLearnerRow(const LearnerRow& row) {
  json doc = {{"id", row.id}, {"created_at", row.created_at}, {"created_by", row.created_by}};
  if (row.display_name) doc["display_name"] = *row.display_name;
  if (row.national_id_hmac) doc["national_id_hmac"] = *row.national_id_hmac;
  return doc.dump();
}

StatusOr<LearnerRow> DecodeLearnerRow(std::string_view text) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseRow(text, "learner"));
  LearnerRow row;
  row.id = doc.value("id", "");
  row.created_at = doc.value("created_at", "");
  row.created_by = doc.value("created_by", "");
  row.display_name = OptionalMember(doc, "display_name");
  row.national_id_hmac = OptionalMember(doc, "national_id_hmac");
  return row;
}

std::string EncodeGrantRow(const GrantRow& row) {
  json doc = {
      {"learner", row.learner}, {"institution", row.institution}, {"granted_at", row.granted_at}};
  if (!row.expires_at.empty()) doc["expires_at"] = row.expires_at;
  return doc.dump();
}

StatusOr<GrantRow> DecodeGrantRow(std::string_view text) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseRow(text, "grant"));
  GrantRow row;
  row.learner = doc.value("learner", "");
  row.institution = doc.value("institution", "");
  row.granted_at = doc.value("granted_at", "");
  row.expires_at = doc.value("expires_at", "");
  return row;
}

std::string EncodeAdminActionRow(const AdminActionRow& row) {
  return json{{"seq", row.seq},           {"at", row.at},         {"by", row.by},
              {"token_id", row.token_id}, {"action", row.action}, {"object", row.object}}
      .dump();
}

StatusOr<AdminActionRow> DecodeAdminActionRow(std::string_view text) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseRow(text, "admin action"));
  AdminActionRow row;
  row.seq = doc.value("seq", uint64_t{0});
  row.at = doc.value("at", "");
  row.by = doc.value("by", "");
  row.token_id = doc.value("token_id", "");
  row.action = doc.value("action", "");
  row.object = doc.value("object", "");
  return row;
}

std::string EncodeLogKeyRows(const std::vector<LogKeyRow>& rows) {
  json list = json::array();
  for (const LogKeyRow& k : rows) {
    json item = {{"verifier_key", k.verifier_key},
                 {"public_key_pem", k.public_key_pem},
                 {"key_id", k.key_id},
                 {"valid_from", k.valid_from}};
    if (!k.valid_until.empty()) item["valid_until"] = k.valid_until;
    list.push_back(std::move(item));
  }
  return list.dump();
}

StatusOr<std::vector<LogKeyRow>> DecodeLogKeyRows(std::string_view text) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseRow(text, "log key list"));
  if (!doc.is_array()) return Status::DataLoss("stored log key list is corrupt");
  std::vector<LogKeyRow> rows;
  for (const json& k : doc) {
    if (!k.is_object()) return Status::DataLoss("stored log key list is corrupt");
    rows.push_back(LogKeyRow{k.value("verifier_key", ""), k.value("public_key_pem", ""),
                             k.value("key_id", ""), k.value("valid_from", ""),
                             k.value("valid_until", "")});
  }
  return rows;
}

}  // namespace lcb
