#include "codec/entries.h"

#include "codec/mapping.h"
#include "crypto/jcs.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

constexpr size_t kMaxSnapshotEntryBytes = 60000;  // below the 65,535 an entry may hold

// Entries are built from validated values, which always canonicalize; a failure is a bug.
std::string Canonical(const json& doc) {
  auto bytes = CanonicalJson(doc);
  return bytes.ok() ? std::move(bytes).value() : std::string();
}

std::string Stored(json doc, const std::string& updated_at) {
  doc["updated_at"] = updated_at;
  return Dump(doc);
}

StatusOr<json> ParseStored(std::string_view text, std::string* updated_at) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::DataLoss("a stored catalog document is corrupt");
  }
  *updated_at = doc.value("updated_at", "");
  doc.erase("updated_at");
  return doc;
}

}  // namespace

std::string RevocationEntryBytes(const RevocationEntry& e) {
  json entry = {{"type", "revocation"}, {"id", e.id},         {"record", e.record},
                {"issuer", e.issuer},   {"reason", e.reason}, {"recorded_at", e.recorded_at}};
  if (!e.superseded_by.empty()) entry["superseded_by"] = e.superseded_by;
  if (!e.salt_hex.empty()) entry["salt"] = e.salt_hex;
  return Canonical(entry);
}

std::string RevocationFingerprintBytes(const RevocationEntry& e) {
  json doc = {{"reason", e.reason}};
  if (!e.superseded_by.empty()) doc["superseded_by"] = e.superseded_by;
  return Canonical(doc);
}

StatusOr<RevocationEntry> ParseRevocationEntry(std::string_view bytes, const std::string& id) {
  const json entry = json::parse(bytes, nullptr, false);
  auto text = [&entry](const char* name) {
    auto it = entry.find(name);
    return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (!entry.is_object() || text("type") != "revocation" || text("id") != id ||
      text("record").empty() || text("issuer").empty()) {
    return Status::DataLoss("log entry does not hold revocation " + id);
  }
  return RevocationEntry{id,
                         text("record"),
                         text("issuer"),
                         text("reason"),
                         text("recorded_at"),
                         text("superseded_by"),
                         text("salt")};
}

std::string RulesetEntryId(std::string_view program, int version) {
  return "ruleset:" + std::string(program) + ":" + std::to_string(version);
}

StatusOr<std::string> RulesetEntryBytes(const RulesetEntry& e) {
  const std::string& program = e.program_snapshot.id;
  json entry = {{"type", "ruleset"},
                {"id", RulesetEntryId(program, e.version)},
                {"program", program},
                {"version", e.version},
                {"published_by", e.published_by},
                {"published_at", e.published_at},
                {"program_snapshot", ProgramToJson(e.program_snapshot)},
                {"rules", RulesetToJson(e.ruleset)["rules"]}};
  return CanonicalJson(entry);
}

StatusOr<RulesetEntry> ParseRulesetEntry(std::string_view bytes, const std::string& program) {
  json entry = json::parse(bytes, nullptr, false);
  if (entry.is_discarded() || entry.value("type", "") != "ruleset" ||
      entry.value("program", "") != program) {
    return Status::DataLoss("log entry is not a ruleset of " + program);
  }
  RulesetEntry out;
  out.version = entry.value("version", 0);
  out.published_at = entry.value("published_at", "");
  out.published_by = entry.value("published_by", "");
  auto rs = RulesetFromJson(json{{"program", program}, {"rules", entry["rules"]}}, program);
  if (!rs.ok()) return Status::DataLoss("logged ruleset " + program + " does not parse");
  out.ruleset = std::move(rs).value();
  out.ruleset.version = out.version;
  auto snapshot = ProgramFromJson(entry["program_snapshot"], program);
  if (!snapshot.ok())
    return Status::DataLoss("logged program snapshot " + program + " does not parse");
  out.program_snapshot = std::move(snapshot).value();
  return out;
}

StatusOr<std::string> ConversionEntryBytes(const std::string& id, const std::string& learner,
                                           const Program& program, const std::string& decided_by,
                                           const std::string& decided_at,
                                           const ConversionResult& result) {
  json decided = ConversionToJson(result, learner);
  decided.erase("unused");
  decided["unused_count"] = result.unused.size();
  json snapshot = ProgramToJson(program);
  LCB_ASSIGN_OR_RETURN(std::string snapshot_bytes, CanonicalJson(snapshot));
  json entry = {{"type", "conversion"},
                {"id", id},
                {"learner", learner},
                {"program", program.id},
                {"program_sha256", HashHex(Sha256(snapshot_bytes))},
                {"program_snapshot", std::move(snapshot)},
                {"decided_by", decided_by},
                {"decided_at", decided_at},
                {"result", std::move(decided)}};
  LCB_ASSIGN_OR_RETURN(std::string bytes, CanonicalJson(entry));
  // A program of thousands of cap keys can outgrow an entry (65,535 bytes): its SHA-256 then
  // stands for it (the same digest a snapshot from the catalog or a backup is checked with).
  if (bytes.size() > kMaxSnapshotEntryBytes) {
    entry.erase("program_snapshot");
    return CanonicalJson(entry);
  }
  return bytes;
}

StatusOr<std::string> SignedRecordEntryBytes(const Record& r, const RecordInput& in,
                                             const std::string& recorded_at,
                                             const std::string& salt_hex,
                                             const std::string& supersedes, const std::string& jws,
                                             const std::string& body_sha256) {
  json entry = RecordToEntry(r, in, recorded_at, salt_hex, supersedes);
  entry["submission"] = {{"jws", jws}, {"body_sha256", body_sha256}};
  return CanonicalJson(entry);
}

StatusOr<Record> ParseRecordEntry(std::string_view bytes, const std::string& id,
                                  uint64_t leaf_index) {
  json entry = json::parse(bytes, nullptr, false);
  if (entry.is_discarded() || entry.value("type", "") != "record" || entry.value("id", "") != id) {
    if (!entry.is_discarded() && entry.value("id", "") == id) {
      return Status::NotFound("'" + id + "' is not a record");
    }
    return Status::DataLoss("log entry " + std::to_string(leaf_index) + " does not hold record " +
                            id);
  }
  return RecordFromEntry(entry);
}

std::string StoredInstitution(const Institution& v, const std::string& updated_at) {
  return Stored(InstitutionToJson(v), updated_at);
}
std::string StoredUnit(const Unit& v, const std::string& updated_at) {
  return Stored(UnitToJson(v), updated_at);
}
std::string StoredProgram(const Program& v, const std::string& updated_at) {
  return Stored(ProgramToJson(v), updated_at);
}

StatusOr<Institution> ParseStoredInstitution(std::string_view text, const std::string& id,
                                             std::string* updated_at) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseStored(text, updated_at));
  return InstitutionFromJson(doc, id);
}
StatusOr<Unit> ParseStoredUnit(std::string_view text, const std::string& id,
                               std::string* updated_at) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseStored(text, updated_at));
  return UnitFromJson(doc, id);
}
StatusOr<Program> ParseStoredProgram(std::string_view text, const std::string& id,
                                     std::string* updated_at) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseStored(text, updated_at));
  return ProgramFromJson(doc, id);
}

std::string StoredGradeScale(const GradeScale& scale) { return Dump(GradeScaleToJson(scale)); }

StatusOr<GradeScale> ParseStoredGradeScale(std::string_view text, const std::string& id) {
  json doc = json::parse(text, nullptr, false);
  auto scale = GradeScaleFromJson(doc, id);
  if (!scale.ok())
    return Status::DataLoss("stored grade scale is corrupt: " + scale.status().ToString());
  return scale;
}

}  // namespace lcb
