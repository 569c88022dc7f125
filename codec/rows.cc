#include "codec/rows.h"

#include <algorithm>
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
  if (row.region) doc["region"] = *row.region;
  if (row.logged_before) doc["logged_before"] = *row.logged_before;
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
  row.region = OptionalMember(doc, "region");
  if (auto it = doc.find("logged_before"); it != doc.end() && it->is_number_unsigned())
    row.logged_before = it->get<uint64_t>();
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

namespace {

class RowWriter {
 public:
  void U64(uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<char>(v >> shift));
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void U32(uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<char>(v >> shift));
  }
  void Bytes(std::string_view b) {
    U32(static_cast<uint32_t>(b.size()));
    out_.append(b);
  }
  void Tally(const PassbookTotals::Tally& t) {
    I64(t.credits);
    I64(t.records);
  }
  void Key(const std::string& k) { Bytes(k); }
  void Key(int k) { I64(k); }
  template <typename K>
  void Map(const std::map<K, PassbookTotals::Tally>& m) {
    U32(static_cast<uint32_t>(m.size()));
    for (const auto& [k, t] : m) {
      Key(k);
      Tally(t);
    }
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class RowReader {
 public:
  explicit RowReader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  uint64_t U64() {
    if (!Need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in_[pos_ + i]);
    pos_ += 8;
    return v;
  }
  int64_t I64() { return static_cast<int64_t>(U64()); }
  uint8_t U8() {
    if (!Need(1)) return 0;
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint32_t U32() {
    if (!Need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in_[pos_ + i]);
    pos_ += 4;
    return v;
  }
  std::string Bytes() {
    uint32_t n = U32();
    if (!Need(n)) return {};
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  PassbookTotals::Tally Tally() {
    PassbookTotals::Tally t;
    t.credits = I64();
    t.records = I64();
    return t;
  }
  void Key(std::string* k) { *k = Bytes(); }
  void Key(int* k) { *k = static_cast<int>(I64()); }
  template <typename K>
  void Map(std::map<K, PassbookTotals::Tally>* m) {
    uint32_t n = U32();
    for (uint32_t i = 0; i < n && ok_; ++i) {
      K key{};
      Key(&key);
      (*m)[key] = Tally();
    }
  }
  bool AtEnd() const { return pos_ == in_.size(); }
  size_t Remaining() const { return in_.size() - pos_; }

 private:
  bool Need(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// PBT1 (until 2026-12) kept one entry per dated record with all its keys; such a row is not
// read (a cache: the totals are rebuilt from the records and stored as PBT2).
constexpr std::string_view kPassbookMagic = "PBT3";

void WriteTallies(const PassbookTotals::Tallies& t, RowWriter* w) {
  w->Tally(t.total);
  for (const auto& k : t.by_kind) w->Tally(k);
  w->Map(t.by_level);
  w->Map(t.by_field);
  w->Map(t.by_issuer);
  w->Map(t.by_year);
}

void ReadTallies(RowReader* r, PassbookTotals::Tallies* t) {
  t->total = r->Tally();
  for (auto& k : t->by_kind) k = r->Tally();
  r->Map(&t->by_level);
  r->Map(&t->by_field);
  r->Map(&t->by_issuer);
  r->Map(&t->by_year);
}

}  // namespace

std::string EncodePassbookRow(uint64_t watermark, const PassbookTotals& p) {
  RowWriter w;
  w.out().append(kPassbookMagic);
  w.U64(watermark);
  WriteTallies(p.tallies, &w);
  w.I64(p.revoked_count);
  w.I64(p.failed_count);
  w.U32(static_cast<uint32_t>(p.by_expiry.size()));
  for (const auto& [day, expiring] : p.by_expiry) {
    w.I64(day);
    WriteTallies(expiring.tallies, &w);
    w.U32(static_cast<uint32_t>(expiring.records.size()));
    for (const auto& e : expiring.records) {
      w.Bytes(e.record);
      w.I64(e.credits);
      w.Bytes(e.unit);
    }
  }
  return std::move(w.out());
}

StatusOr<PassbookTotals> DecodePassbookRow(std::string_view bytes, uint64_t* watermark) {
  if (!bytes.starts_with(kPassbookMagic)) return Status::DataLoss("passbook row: unknown format");
  RowReader r(bytes.substr(kPassbookMagic.size()));
  PassbookTotals p;
  *watermark = r.U64();
  ReadTallies(&r, &p.tallies);
  p.revoked_count = r.I64();
  p.failed_count = r.I64();
  const uint32_t days = r.U32();
  auto hint = p.by_expiry.end();
  for (uint32_t i = 0; i < days && r.ok(); ++i) {
    const auto day = static_cast<Days>(r.I64());
    hint = p.by_expiry.emplace_hint(hint, day, PassbookTotals::ExpiryDay{});
    PassbookTotals::ExpiryDay& expiring = hint->second;
    ReadTallies(&r, &expiring.tallies);
    const uint32_t n = r.U32();
    // Each entry takes at least 16 bytes: a count past the row's end is not reserved.
    expiring.records.reserve(std::min<size_t>(n, r.Remaining() / 16));
    for (uint32_t k = 0; k < n && r.ok(); ++k) {
      PassbookTotals::ExpiryDay::Entry e;
      e.record = r.Bytes();
      e.credits = r.I64();
      e.unit = r.Bytes();
      expiring.records.push_back(std::move(e));
    }
  }
  if (!r.ok() || !r.AtEnd()) return Status::DataLoss("passbook row is truncated");
  return p;
}

std::string EncodeTranscriptRow(const TranscriptRow& row) {
  json doc = {
      {"learner", row.learner},
      {"generated_at", row.generated_at},
      {"checkpoint",
       {{"origin", row.origin}, {"tree_size", row.tree_size}, {"root_hash", row.root_hash_hex}}},
      {"records", row.records},
      {"credits", row.total_centi}};
  return doc.dump();
}

StatusOr<TranscriptRow> DecodeTranscriptRow(std::string_view text) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseRow(text, "transcript"));
  TranscriptRow row;
  try {
    row.learner = doc.at("learner").get<std::string>();
    row.generated_at = doc.at("generated_at").get<std::string>();
    const json& cp = doc.at("checkpoint");
    row.origin = cp.at("origin").get<std::string>();
    row.tree_size = cp.at("tree_size").get<uint64_t>();
    row.root_hash_hex = cp.at("root_hash").get<std::string>();
    row.records = doc.at("records").get<std::vector<std::string>>();
    row.total_centi = doc.at("credits").get<int64_t>();
  } catch (const json::exception& e) {
    return Status::DataLoss(std::string("transcript row: ") + e.what());
  }
  return row;
}

std::string EncodeCosignedNoteRows(const std::vector<CosignedNoteRow>& rows) {
  json doc = json::array();
  for (const CosignedNoteRow& r : rows) {
    doc.push_back({{"note", r.note}, {"cosignatures", r.lines}});
  }
  return doc.dump();
}

StatusOr<std::vector<CosignedNoteRow>> DecodeCosignedNoteRows(std::string_view text) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseRow(text, "witness cosignatures"));
  if (!doc.is_array()) return Status::DataLoss("stored witness cosignatures are not an array");
  std::vector<CosignedNoteRow> rows;
  try {
    for (const json& r : doc) {
      CosignedNoteRow row;
      row.note = r.at("note").get<std::string>();
      row.lines = r.at("cosignatures").get<std::map<std::string, std::string>>();
      rows.push_back(std::move(row));
    }
  } catch (const json::exception& e) {
    return Status::DataLoss(std::string("stored witness cosignatures: ") + e.what());
  }
  return rows;
}

}  // namespace lcb
