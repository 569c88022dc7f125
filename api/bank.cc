#include "api/bank.h"

#include <algorithm>

#include "api/files.h"
#include "api/mapping.h"
#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/jcs.h"
#include "crypto/jws.h"
#include "crypto/sha256.h"
#include "crypto/signed_note.h"
#include "engine/catalog_validation.h"
#include "engine/passbook.h"
#include "engine/ruleset_validate.h"

namespace lcb {
namespace {

constexpr std::string_view kMetaAdminBootstrapped = "admin_bootstrapped";
constexpr std::string_view kMetaLogKeys = "log_keys";
constexpr size_t kMaxErrorsReported = 1000;

std::string Key2(std::string_view a, std::string_view b) {
  std::string k(a);
  k.push_back('\0');
  k.append(b);
  return k;
}

// Record ids are derived from (issuer, external_ref), which the bank keeps unique: the same
// posting always names the same record, even across a crash and retry.
std::string RecordId(std::string_view issuer, std::string_view external_ref) {
  std::string material = "record";
  material.push_back('\0');
  material.append(issuer);
  material.push_back('\0');
  material.append(external_ref);
  return "rec_" + HashHex(Sha256(material)).substr(0, 24);
}

std::string NormalizeNationalId(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (c == ' ' || c == '-') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// Entries are built from validated values (integers, strings, two-decimal credits), which
// always canonicalize; a failure here is a bug, reported as Internal by the callers.
std::string Canonical(const json& doc) {
  auto bytes = CanonicalJson(doc);
  return bytes.ok() ? std::move(bytes).value() : std::string();
}

// HMAC input for a national ID: a domain tag, a NUL, the normalized ID.
std::string NationalIdMaterial(const std::string& normalized) {
  return std::string("national_id\0", 12) + normalized;
}

std::string Fingerprint(const json& doc) {
  Hash h = Sha256(Canonical(doc));
  return std::string(HashBytes(h));
}

json ProofJson(const std::vector<Hash>& proof) {
  json arr = json::array();
  for (const Hash& h : proof) arr.push_back(HashHex(h));
  return arr;
}

uint64_t CheckpointSize(const std::string& note) {
  auto end = note.find("\n\n");
  if (end == std::string::npos) return 0;
  auto cp = ParseCheckpointBody(note.substr(0, end + 1));
  return cp.ok() ? cp->size : 0;
}

}  // namespace

Bank::~Bank() {
  if (ledger_) ledger_->Stop();
}

StatusOr<std::unique_ptr<Bank>> Bank::Open(const Config& config, std::string* first_admin_token) {
  std::unique_ptr<Bank> bank(new Bank());
  LCB_RETURN_IF_ERROR(bank->Init(config, first_admin_token));
  return bank;
}

Status Bank::Init(const Config& config, std::string* first_admin_token) {
  config_ = config;
  LCB_RETURN_IF_ERROR(MakeDirs(config_.data_dir));
  KvOptions kv_options;
  kv_options.min_free_bytes = config_.min_free_disk_bytes;
  LCB_ASSIGN_OR_RETURN(kv_, OpenRocksKv(config_.data_dir + "/db", kv_options));
  LCB_RETURN_IF_ERROR(LoadOrCreateKeys());

  auto secret = ReadSecretFile(config_.secret_file);
  if (secret.ok()) {
    if (secret->size() < 32) return Status::FailedPrecondition(config_.secret_file + " is too short");
    nid_secret_ = *secret;
  } else if (secret.status().code() == StatusCode::kNotFound) {
    nid_secret_ = RandomBytes(32);
    LCB_RETURN_IF_ERROR(WriteSecretFile(config_.secret_file, nid_secret_));
  } else {
    return secret.status();
  }

  LCB_ASSIGN_OR_RETURN(ledger_, Ledger::Open(kv_.get(), key_, config_.origin));
  tokens_ = std::make_unique<TokenStore>(kv_.get());

  std::string value;
  Status s = kv_->Get(Table::kMeta, kMetaAdminBootstrapped, &value);
  if (s.code() == StatusCode::kNotFound) {
    LCB_ASSIGN_OR_RETURN(NewToken admin, tokens_->Create("admin", ""));
    LCB_RETURN_IF_ERROR(WriteSecretFile(config_.admin_token_file, admin.token + "\n", true));
    WriteBatch batch;
    batch.Put(Table::kMeta, kMetaAdminBootstrapped, admin.id);
    LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
    if (first_admin_token) *first_admin_token = admin.token;
  } else {
    LCB_RETURN_IF_ERROR(s);
  }
  // Registered grade scales.
  Status load_scales;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kCatalog, "scale/", "scale0", SIZE_MAX,
                                [&](std::string_view key, std::string_view value) {
                                  auto doc = json::parse(value, nullptr, false);
                                  auto scale = GradeScaleFromJson(doc, std::string(key.substr(6)));
                                  if (!scale.ok()) {
                                    load_scales = Status::DataLoss("stored grade scale is corrupt: " +
                                                                   scale.status().ToString());
                                    return false;
                                  }
                                  load_scales = scales_.Register(std::move(scale).value());
                                  return load_scales.ok();
                                }));
  LCB_RETURN_IF_ERROR(load_scales);
  // Continue the admin action sequence after the last stored one.
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kAdminLog, "", "", SIZE_MAX,
                                [&](std::string_view key, std::string_view) {
                                  admin_seq_ = GetBigEndian64(key);
                                  return true;
                                }));
  return Status::Ok();
}

Status Bank::LoadOrCreateKeys() {
  auto loaded = Ed25519Key::LoadPem(config_.key_file);
  if (loaded.ok()) {
    key_ = std::make_shared<const Ed25519Key>(std::move(loaded).value());
  } else if (loaded.status().code() == StatusCode::kNotFound) {
    Ed25519Key fresh = Ed25519Key::Generate();
    LCB_RETURN_IF_ERROR(fresh.SavePem(config_.key_file));
    key_ = std::make_shared<const Ed25519Key>(std::move(fresh));
  } else {
    return loaded.status();
  }
  // The published key list: a new key (rotation) closes the validity of the previous one, and
  // old keys stay listed so that old checkpoints still verify.
  std::string vkey = VerifierKeyString(config_.origin, key_->PublicKey());
  std::string stored;
  Status s = kv_->Get(Table::kMeta, kMetaLogKeys, &stored);
  json keys = json::array();
  if (s.ok()) {
    keys = json::parse(stored, nullptr, false);
    if (!keys.is_array()) return Status::DataLoss("stored log key list is corrupt");
  } else if (s.code() != StatusCode::kNotFound) {
    return s;
  }
  bool known = false;
  for (const auto& k : keys) known |= k.value("verifier_key", "") == vkey;
  if (!known) {
    std::string now = NowRfc3339();
    for (auto& k : keys) {
      if (!k.contains("valid_until")) k["valid_until"] = now;
    }
    keys.push_back({{"verifier_key", vkey},
                    {"public_key_pem", key_->PublicKeyPem()},
                    {"key_id", vkey.substr(config_.origin.size() + 1, 8)},
                    {"valid_from", now}});
    WriteBatch batch;
    batch.Put(Table::kMeta, kMetaLogKeys, keys.dump());
    LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  }
  log_keys_ = keys;
  return Status::Ok();
}

// ---- Catalog ------------------------------------------------------------------------------

StatusOr<json> Bank::PutInstitution(const std::string& id, const json& doc, const Principal& by) {
  if (!IsInstitutionId(id)) {
    return Status::InvalidArgument(Field("/id"),
                                   "institution ids are slugs: [a-z0-9][a-z0-9_-]{1,62}");
  }
  LCB_ASSIGN_OR_RETURN(Institution inst, InstitutionFromJson(doc, id));
  LCB_RETURN_IF_ERROR(ValidateInstitution(inst));
  json keys = json::array();
  if (auto it = doc.find("public_keys"); it != doc.end()) {
    if (!it->is_array() || it->size() > 16) {
      return Status::InvalidArgument(Field("/public_keys"), "must be an array of at most 16 JWKs");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      std::string ptr = "/public_keys/" + std::to_string(i);
      const json& jwk = (*it)[i];
      if (!jwk.is_object()) {
        return Status::InvalidArgument(
            Field(ptr),
            "must be an Ed25519 JWK {\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\",\"kid\"}");
      }
      if (jwk.size() > 8) return Status::InvalidArgument(Field(ptr), "too many members");
      // Type-safe checks of kty, crv and x; a JWK with its private part ("d") is refused.
      auto parsed = ParseEd25519Jwk(jwk);
      if (!parsed.ok()) return parsed.status().WithPointerPrefix(ptr);
      if (parsed->kid.empty()) return Status::InvalidArgument(Field(ptr + "/kid"), "is required");
      keys.push_back({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", jwk["x"]}, {"kid", parsed->kid}});
    }
  }
  json out = InstitutionToJson(inst, keys);
  out["updated_at"] = NowRfc3339();
  WriteBatch batch;
  batch.Put(Table::kCatalog, "inst/" + id, Dump(out));
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  {
    std::unique_lock lock(cache_mu_);
    institutions_[id] = std::make_shared<const Institution>(inst);
  }
  AdminLog(by, "put_institution", id);
  return out;
}

StatusOr<json> Bank::GetInstitutionJson(const std::string& id) {
  std::string value;
  Status s = kv_->Get(Table::kCatalog, "inst/" + id, &value);
  if (s.code() == StatusCode::kNotFound) return Status::NotFound("no institution '" + id + "'");
  LCB_RETURN_IF_ERROR(s);
  return json::parse(value);
}

StatusOr<Institution> Bank::GetInstitution(const std::string& id) {
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = institutions_.find(id); it != institutions_.end()) return *it->second;
  }
  LCB_ASSIGN_OR_RETURN(json doc, GetInstitutionJson(id));
  json input = doc;
  input.erase("updated_at");
  LCB_ASSIGN_OR_RETURN(Institution inst, InstitutionFromJson(input, id));
  std::unique_lock lock(cache_mu_);
  institutions_[id] = std::make_shared<const Institution>(inst);
  return inst;
}

StatusOr<json> Bank::PutUnit(const std::string& id, const json& doc, const Principal& by) {
  std::string_view owner;
  if (!IsCatalogId(id, &owner)) {
    return Status::InvalidArgument(Field("/id"), "unit ids are <institution>:<code>");
  }
  auto inst = GetInstitution(std::string(owner));
  if (!inst.ok()) {
    return Status::FailedPrecondition("institution '" + std::string(owner) +
                                      "' is not registered; an admin registers it first");
  }
  LCB_ASSIGN_OR_RETURN(Unit unit, UnitFromJson(doc, id));
  LCB_RETURN_IF_ERROR(ValidateUnit(unit));
  json out = UnitToJson(unit);
  out["updated_at"] = NowRfc3339();
  WriteBatch batch;
  batch.Put(Table::kCatalog, "unit/" + id, Dump(out));
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  {
    std::unique_lock lock(cache_mu_);
    units_[id] = std::make_shared<const Unit>(unit);
  }
  AdminLog(by, "put_unit", id);
  return out;
}

StatusOr<json> Bank::GetUnitJson(const std::string& id) {
  std::string value;
  Status s = kv_->Get(Table::kCatalog, "unit/" + id, &value);
  if (s.code() == StatusCode::kNotFound) return Status::NotFound("no unit '" + id + "'");
  LCB_RETURN_IF_ERROR(s);
  return json::parse(value);
}

StatusOr<Unit> Bank::GetUnit(const std::string& id) {
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = units_.find(id); it != units_.end()) return *it->second;
  }
  LCB_ASSIGN_OR_RETURN(json doc, GetUnitJson(id));
  doc.erase("updated_at");
  LCB_ASSIGN_OR_RETURN(Unit unit, UnitFromJson(doc, id));
  std::unique_lock lock(cache_mu_);
  units_[id] = std::make_shared<const Unit>(unit);
  return unit;
}

StatusOr<json> Bank::PutProgram(const std::string& id, const json& doc, const Principal& by) {
  std::string_view owner;
  if (!IsCatalogId(id, &owner)) {
    return Status::InvalidArgument(Field("/id"), "program ids are <institution>:<code>");
  }
  if (!GetInstitution(std::string(owner)).ok()) {
    return Status::FailedPrecondition("institution '" + std::string(owner) +
                                      "' is not registered; an admin registers it first");
  }
  LCB_ASSIGN_OR_RETURN(Program program, ProgramFromJson(doc, id));
  LCB_RETURN_IF_ERROR(ValidateProgramShape(program));
  LCB_RETURN_IF_ERROR(ValidateProgramPolicy(program));
  // A published ruleset must stay valid against the program it converts into.
  auto current = GetRulesetJson(id, std::nullopt);
  if (current.ok()) {
    LCB_ASSIGN_OR_RETURN(Ruleset rs, RulesetFromJson((*current)["ruleset"], id));
    Status still = ValidateRuleset(program, rs);
    if (!still.ok()) {
      return Status::FailedPrecondition(
          "this change would invalidate the published ruleset (" + still.ToString() +
          "); publish a ruleset that fits the new requirements first");
    }
  }
  std::lock_guard<std::mutex> guard(ruleset_mu_);
  json out = ProgramToJson(program);
  out["updated_at"] = NowRfc3339();
  WriteBatch batch;
  batch.Put(Table::kCatalog, "prog/" + id, Dump(out));
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  {
    std::unique_lock lock(cache_mu_);
    programs_[id] = std::make_shared<const Program>(program);
    compiled_.erase(id);
  }
  AdminLog(by, "put_program", id);
  return out;
}

StatusOr<json> Bank::GetProgramJson(const std::string& id) {
  std::string value;
  Status s = kv_->Get(Table::kCatalog, "prog/" + id, &value);
  if (s.code() == StatusCode::kNotFound) return Status::NotFound("no program '" + id + "'");
  LCB_RETURN_IF_ERROR(s);
  return json::parse(value);
}

StatusOr<Program> Bank::GetProgram(const std::string& id) {
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = programs_.find(id); it != programs_.end()) return *it->second;
  }
  LCB_ASSIGN_OR_RETURN(json doc, GetProgramJson(id));
  doc.erase("updated_at");
  LCB_ASSIGN_OR_RETURN(Program p, ProgramFromJson(doc, id));
  std::unique_lock lock(cache_mu_);
  programs_[id] = std::make_shared<const Program>(p);
  return p;
}

StatusOr<json> Bank::ListCatalog(const std::string& kind, const std::string& prefix,
                                 const std::string& cursor, size_t limit) {
  std::string base = kind + "/";
  std::string start = base + (cursor.empty() ? prefix : cursor);
  std::string end = base;
  end.back() = static_cast<char>('/' + 1);
  json items = json::array();
  std::string last;
  bool more = false;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kCatalog, start, end, limit + 2,
                                [&](std::string_view key, std::string_view value) {
                                  std::string id(key.substr(base.size()));
                                  if (!cursor.empty() && id == cursor) return true;
                                  if (!id.starts_with(prefix)) return false;
                                  if (items.size() == limit) {
                                    more = true;
                                    return false;
                                  }
                                  items.push_back(json::parse(value));
                                  last = id;
                                  return true;
                                }));
  json out = {{"items", items}};
  out["next_cursor"] = more ? json(last) : json(nullptr);
  return out;
}

// ---- Grade scales ---------------------------------------------------------------------------

StatusOr<json> Bank::RegisterGradeScale(const std::string& id, const json& doc,
                                        const Principal& by) {
  LCB_ASSIGN_OR_RETURN(GradeScale scale, GradeScaleFromJson(doc, id));
  json out = GradeScaleToJson(scale);
  std::unique_lock lock(scales_mu_);
  GradeScales copy = scales_;
  LCB_RETURN_IF_ERROR(copy.Register(scale));
  WriteBatch batch;
  batch.Put(Table::kCatalog, "scale/" + id, Dump(out));
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  scales_ = std::move(copy);
  lock.unlock();
  AdminLog(by, "register_grade_scale", id);
  return out;
}

json Bank::ListGradeScales() {
  std::shared_lock lock(scales_mu_);
  json items = json::array();
  for (const auto& id : scales_.Ids()) items.push_back(GradeScaleToJson(*scales_.Find(id)));
  return json{{"scales", items}};
}

StatusOr<json> Bank::GetGradeScale(const std::string& id) {
  std::shared_lock lock(scales_mu_);
  const GradeScale* s = scales_.Find(id);
  if (!s) return Status::NotFound("no grade scale '" + id + "'");
  return GradeScaleToJson(*s);
}

// ---- Learners and grants ------------------------------------------------------------------

StatusOr<json> Bank::CreateLearner(const json& doc, const Principal& by) {
  LCB_RETURN_IF_ERROR(ExpectObject(doc, ""));
  LCB_RETURN_IF_ERROR(RejectUnknown(doc, "", {"national_id", "display_name"}));
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> nid, OptionalString(doc, "national_id", "", 64));
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> name, OptionalString(doc, "display_name", "", 200));
  std::string hmac_hex;
  if (nid) {
    std::string norm = NormalizeNationalId(*nid);
    if (norm.empty() || norm.size() > 32 ||
        !std::all_of(norm.begin(), norm.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); })) {
      return Status::InvalidArgument(Field("/national_id"), "must be 1-32 letters and digits");
    }
    hmac_hex = HashHex(HmacSha256(nid_secret_, NationalIdMaterial(norm)));
  }
  std::lock_guard<std::mutex> lock(learner_mu_);
  if (!hmac_hex.empty()) {
    std::string existing;
    Status s = kv_->Get(Table::kLearners, "n/" + hmac_hex, &existing);
    if (s.ok()) return json{{"id", existing}, {"created", false}};
    if (s.code() != StatusCode::kNotFound) return s;
  }
  std::string id = "lrn_" + HexEncode(RandomBytes(8));
  json row = {{"id", id}, {"created_at", NowRfc3339()}, {"created_by", by.role()}};
  if (name) row["display_name"] = *name;
  if (!hmac_hex.empty()) row["national_id_hmac"] = hmac_hex;
  WriteBatch batch;
  batch.Put(Table::kLearners, "l/" + id, Dump(row));
  if (!hmac_hex.empty()) batch.Put(Table::kLearners, "n/" + hmac_hex, id);
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  return json{{"id", id}, {"created", true}};
}

StatusOr<std::string> Bank::LookupLearner(const std::string& national_id) {
  std::string norm = NormalizeNationalId(national_id);
  if (norm.empty()) return Status::InvalidArgument(Field("/national_id"), "is required");
  std::string id;
  Status s = kv_->Get(Table::kLearners, "n/" + HashHex(HmacSha256(nid_secret_, NationalIdMaterial(norm))), &id);
  if (s.code() == StatusCode::kNotFound) return Status::NotFound("no learner with that national ID");
  LCB_RETURN_IF_ERROR(s);
  return id;
}

bool Bank::LearnerExists(const std::string& id) {
  {
    std::shared_lock lock(known_mu_);
    if (known_learners_.count(id)) return true;
  }
  std::string v;
  if (!kv_->Get(Table::kLearners, "l/" + id, &v).ok()) return false;
  std::unique_lock lock(known_mu_);
  if (known_learners_.size() > 1'000'000) known_learners_.clear();
  known_learners_.emplace(id, true);  // accounts are never deleted
  return true;
}

std::atomic<uint64_t>& Bank::GenerationOf(const std::string& learner) {
  return generations_[std::hash<std::string>()(learner) % kGenerationStripes];
}

StatusOr<json> Bank::PutGrant(const std::string& learner, const json& doc) {
  LCB_RETURN_IF_ERROR(ExpectObject(doc, ""));
  LCB_RETURN_IF_ERROR(RejectUnknown(doc, "", {"institution", "expires_at"}));
  LCB_ASSIGN_OR_RETURN(std::string inst, RequiredString(doc, "institution", "", 64));
  if (!GetInstitution(inst).ok()) {
    return Status::InvalidArgument(Field("/institution"), "no institution '" + inst + "'");
  }
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> expires, OptionalString(doc, "expires_at", "", 40));
  json row = {{"learner", learner}, {"institution", inst}, {"granted_at", NowRfc3339()}};
  if (expires) {
    LCB_ASSIGN_OR_RETURN(int64_t ms, ParseRfc3339Millis(*expires));
    if (ms <= NowMillis()) return Status::InvalidArgument(Field("/expires_at"), "is in the past");
    row["expires_at"] = *expires;
  }
  WriteBatch batch;
  batch.Put(Table::kGrants, Key2(learner, inst), Dump(row));
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  return row;
}

Status Bank::DeleteGrant(const std::string& learner, const std::string& institution) {
  std::string v;
  Status s = kv_->Get(Table::kGrants, Key2(learner, institution), &v);
  if (s.code() == StatusCode::kNotFound) return Status::NotFound("no grant to that institution");
  LCB_RETURN_IF_ERROR(s);
  WriteBatch batch;
  batch.Delete(Table::kGrants, Key2(learner, institution));
  return kv_->Write(batch, true);
}

StatusOr<json> Bank::ListGrants(const std::string& learner) {
  json items = json::array();
  std::string start = learner + std::string(1, '\0');
  std::string end = learner + std::string(1, '\1');
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kGrants, start, end, 10000,
                                [&](std::string_view, std::string_view value) {
                                  items.push_back(json::parse(value));
                                  return true;
                                }));
  return json{{"grants", items}};
}

bool Bank::HasGrant(const std::string& learner, const std::string& institution) {
  std::string v;
  if (!kv_->Get(Table::kGrants, Key2(learner, institution), &v).ok()) return false;
  auto row = json::parse(v, nullptr, false);
  if (row.is_discarded()) return false;
  if (row.contains("expires_at")) {
    auto ms = ParseRfc3339Millis(row["expires_at"].get<std::string>());
    if (!ms.ok() || *ms <= NowMillis()) return false;
  }
  return true;
}

// ---- Records ------------------------------------------------------------------------------

StatusOr<LogEntry> Bank::BuildRecordEntry(const Institution& issuer, const RecordInput& in,
                                          const std::string& ptr, const std::string& supersedes,
                                          const json& submission, Days today,
                                          const std::string& recorded_at,
                                          const std::string& salt_hex) {
  if (!in.learner.empty() && !LearnerExists(in.learner)) {
    return Status::InvalidArgument(
        Field(ptr + "/learner"),
        "no learner account '" + in.learner + "'; create it with POST /v1/learners");
  }
  auto unit = GetUnit(in.unit);
  if (!unit.ok()) {
    if (in.unit.empty()) return Status::InvalidArgument(Field(ptr + "/unit"), "is required");
    return Status::InvalidArgument(Field(ptr + "/unit"),
                                   "no unit '" + in.unit + "' in the catalog");
  }
  std::shared_lock scales_lock(scales_mu_);
  auto recognized = Recognize(in, *unit, issuer, scales_, today);
  scales_lock.unlock();
  if (!recognized.ok()) return recognized.status().WithPointerPrefix(ptr);
  Record& rec = recognized.value();
  rec.id = RecordId(issuer.id, in.external_ref);
  LogEntry e;
  e.id = rec.id;
  if (submission.is_null()) {
    // The hot path: canonical bytes written directly (equal to the tree path below).
    LCB_ASSIGN_OR_RETURN(e.bytes, RecordEntryCanonical(rec, in, recorded_at, salt_hex, supersedes));
  } else {
    json entry = RecordToEntry(rec, in, recorded_at, salt_hex, supersedes);
    entry["submission"] = submission;
    LCB_ASSIGN_OR_RETURN(e.bytes, CanonicalJson(entry));
  }
  // The record id is a hash of (issuer, external_ref): it is the idempotency key, and its
  // kUnique row is also how the record is found by id.
  e.unique_key = rec.id;
  auto fingerprint_doc = RecordInputCanonical(in, supersedes);
  e.fingerprint = HashBytes(Sha256(fingerprint_doc.ok() ? *fingerprint_doc : std::string()));
  e.conflict_pointer = ptr + "/external_ref";
  e.index_rows = [learner = rec.learner, id = rec.id](uint64_t leaf, WriteBatch* batch) {
    batch->Put(Table::kLearnerRecords, Key2(learner, BigEndian64(leaf)), id);
  };
  return e;
}

StatusOr<std::vector<LogEntry>> Bank::ValidateRecords(const std::string& issuer_id,
                                                      const std::vector<RecordInput>& inputs,
                                                      bool batch, const std::string& submission_jws,
                                                      const std::string& body_sha256,
                                                      BatchErrors* errors) {
  auto issuer = GetInstitution(issuer_id);
  if (!issuer.ok()) {
    return Status::FailedPrecondition("institution '" + issuer_id +
                                      "' is not registered in the catalog");
  }
  if (inputs.empty())
    return Status::InvalidArgument(Field("/records"), "no records in the request");
  json submission;
  if (!submission_jws.empty()) {
    submission = {{"jws", submission_jws}, {"body_sha256", body_sha256}};
  }
  Days today = TodayUtc();
  const std::string recorded_at = NowRfc3339();
  const std::string salts = RandomBytes(16 * inputs.size());  // one CSPRNG call per request
  std::vector<LogEntry> entries;
  entries.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string ptr = batch ? "/records/" + std::to_string(i) : "";
    auto e = BuildRecordEntry(*issuer, inputs[i], ptr, "", submission, today, recorded_at,
                              HexEncode(std::string_view(salts).substr(16 * i, 16)));
    if (!e.ok()) {
      if (errors->errors.size() < kMaxErrorsReported) errors->errors.push_back(e.status());
      continue;
    }
    entries.push_back(std::move(e).value());
  }
  if (!errors->empty()) return errors->errors.front();
  return entries;
}

void Bank::PostRecords(const std::string& issuer_id, std::vector<RecordInput> inputs, bool batch,
                       const std::string& submission_jws, const std::string& body_sha256,
                       std::function<void(StatusOr<PostResult>, BatchErrors)> done) {
  BatchErrors errors;
  auto entries = ValidateRecords(issuer_id, inputs, batch, submission_jws, body_sha256, &errors);
  if (!entries.ok()) {
    counters_.records_rejected += inputs.size();
    return done(entries.status(), std::move(errors));
  }
  std::vector<std::string> learners;
  learners.reserve(inputs.size());
  for (const auto& in : inputs) learners.push_back(in.learner);
  AppendPosted(std::move(entries).value(), std::move(learners), std::move(done));
}

void Bank::AppendPosted(std::vector<LogEntry> entries, std::vector<std::string> learners,
                        std::function<void(StatusOr<PostResult>, BatchErrors)> done) {
  size_t n = entries.size();
  ledger_->Append(std::move(entries), [this, n, learners = std::move(learners),
                                       done = std::move(done)](
                                          StatusOr<AppendResult> result) mutable {
    // Durable now (or failed): cached views of these learners are stale either way.
    for (const auto& l : learners) Touch(l);
    post_([this, n, done = std::move(done), result = std::move(result)]() mutable {
      if (!result.ok()) {
        counters_.records_rejected += n;
        return done(result.status(), {});
      }
      result->FillProofs();
      // Receipts are the bulk of a batch's answer (a checkpoint and ~log2(n) hashes per
      // record); they are written directly rather than through a JSON tree.
      const uint64_t size = result->tree_size;
      const std::string checkpoint = Dump(json(result->checkpoint));
      const std::string size_text = std::to_string(size);
      std::string body = "{\"records\":[";
      body.reserve(result->entries.size() * (checkpoint.size() + 1400));
      bool any_new = false;
      for (size_t i = 0; i < result->entries.size(); ++i) {
        EntryOutcome& o = result->entries[i];
        any_new |= !o.existed;
        if (o.existed || o.inclusion_proof.empty()) {
          auto proof = ledger_->InclusionProof(o.leaf_index, size);
          if (!proof.ok()) return done(proof.status(), {});
          o.inclusion_proof = std::move(proof).value();
        }
        if (!o.existed) counters_.records_ingested++;
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
      PostResult out;
      out.http_status = any_new ? 201 : 200;
      out.body_text = std::move(body);
      done(std::move(out), {});
    });
  });
}

StatusOr<StoredRecord> Bank::ReadRecord(const std::string& id) {
  auto leaf = ledger_->ObjectIndex(id);
  if (!leaf.ok()) {
    if (leaf.status().code() == StatusCode::kNotFound) return Status::NotFound("no record '" + id + "'");
    return leaf.status();
  }
  LCB_ASSIGN_OR_RETURN(std::string bytes, ledger_->Entry(*leaf));
  StoredRecord out;
  out.leaf_index = *leaf;
  out.entry = json::parse(bytes, nullptr, false);
  out.bytes = bytes;
  if (out.entry.is_discarded() || out.entry.value("type", "") != "record" ||
      out.entry.value("id", "") != id) {
    if (!out.entry.is_discarded() && out.entry.value("id", "") == id) {
      return Status::NotFound("'" + id + "' is not a record");
    }
    return Status::DataLoss("log entry " + std::to_string(*leaf) + " does not hold record " + id);
  }
  LCB_ASSIGN_OR_RETURN(out.record, RecordFromEntry(out.entry));
  std::string revoker;
  Status s = kv_->Get(Table::kStatus, id, &revoker);
  if (s.ok()) {
    out.status = "revoked";
    out.revoked_by = revoker;
    out.record.revoked = true;
  } else if (s.code() == StatusCode::kNotFound) {
    out.status = "active";
  } else {
    return s;
  }
  return out;
}

json Bank::ReceiptFor(uint64_t leaf_index) {
  std::string checkpoint = ledger_->LatestCheckpoint();
  uint64_t size = CheckpointSize(checkpoint);
  json receipt = {{"leaf_index", leaf_index}, {"checkpoint", checkpoint}, {"tree_size", size}};
  auto proof = ledger_->InclusionProof(leaf_index, size);
  receipt["inclusion_proof"] = proof.ok() ? ProofJson(*proof) : json::array();
  return receipt;
}

StatusOr<json> Bank::VerifiedReceipt(uint64_t leaf_index, const std::string& entry_bytes) {
  std::string checkpoint = ledger_->LatestCheckpoint();
  auto end = checkpoint.find("\n\n");
  if (end == std::string::npos) return Status::DataLoss("no signed checkpoint covers the entry");
  LCB_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointBody(checkpoint.substr(0, end + 1)));
  LCB_ASSIGN_OR_RETURN(std::vector<Hash> proof, ledger_->InclusionProof(leaf_index, cp.size));
  Status included = VerifyInclusion(leaf_index, cp.size, LeafHash(entry_bytes), proof, cp.root);
  if (!included.ok()) {
    return Status::DataLoss("entry " + std::to_string(leaf_index) +
                            " is not in the signed tree: the store was altered (" +
                            included.message() + ")");
  }
  return json{{"leaf_index", leaf_index},
              {"checkpoint", checkpoint},
              {"tree_size", cp.size},
              {"inclusion_proof", ProofJson(proof)}};
}

void Bank::RevokeRecord(const std::string& id, const std::string& issuer,
                        const std::string& reason, std::function<void(StatusOr<json>)> done) {
  auto rec = ReadRecord(id);
  if (!rec.ok()) return done(rec.status());
  if (rec->record.issuer != issuer) return done(Status::NotFound("no record '" + id + "'"));
  json entry = {{"type", "revocation"},
                {"id", "rev_" + id.substr(4)},
                {"record", id},
                {"issuer", issuer},
                {"reason", reason},
                {"recorded_at", NowRfc3339()}};
  LogEntry e;
  e.id = entry["id"];
  e.bytes = Canonical(entry);
  e.unique_key = "revoke/" + id;
  e.fingerprint = Fingerprint(json{{"reason", reason}});
  e.conflict_pointer = "/reason";
  e.index_rows = [id, rev = e.id](uint64_t, WriteBatch* batch) {
    batch->Put(Table::kStatus, id, rev);
  };
  ledger_->Append({std::move(e)}, [this, id, learner = rec->record.learner,
                                   done = std::move(done)](StatusOr<AppendResult> r) {
    Touch(learner);
    post_([this, id, done, r = std::move(r)]() {
      if (!r.ok()) {
        if (r.status().code() == StatusCode::kAlreadyExists) {
          return done(Status::AlreadyExists(Field("/reason"),
                                            "record is already revoked (with another reason)"));
        }
        return done(r.status());
      }
      const EntryOutcome& o = r->entries.front();
      done(json{{"id", o.id},
                {"record", id},
                {"status", "revoked"},
                {"leaf_index", o.leaf_index},
                {"receipt", ReceiptFor(o.leaf_index)}});
    });
  });
}

void Bank::CorrectRecord(const std::string& id, const std::string& issuer_id,
                         RecordInput replacement, const std::string& reason,
                         std::function<void(StatusOr<PostResult>, BatchErrors)> done) {
  auto rec = ReadRecord(id);
  if (!rec.ok()) return done(rec.status(), {});
  if (rec->record.issuer != issuer_id) return done(Status::NotFound("no record '" + id + "'"), {});
  if (rec->status == "revoked") {
    return done(Status::FailedPrecondition("record " + id + " is already revoked"), {});
  }
  auto issuer = GetInstitution(issuer_id);
  if (!issuer.ok()) return done(issuer.status(), {});
  if (replacement.external_ref == rec->record.external_ref) {
    return done(Status::InvalidArgument(Field("/record/external_ref"),
                                        "a correction needs a new external_ref"),
                {});
  }
  auto entry = BuildRecordEntry(*issuer, replacement, "/record", id, json(), TodayUtc(),
                                NowRfc3339(), HexEncode(RandomBytes(16)));
  if (!entry.ok()) {
    BatchErrors errors;
    errors.errors.push_back(entry.status());
    return done(entry.status(), std::move(errors));
  }
  json rev = {{"type", "revocation"},
              {"id", "rev_" + id.substr(4)},
              {"record", id},
              {"issuer", issuer_id},
              {"reason", reason},
              {"superseded_by", entry->id},
              {"recorded_at", NowRfc3339()}};
  LogEntry r;
  r.id = rev["id"];
  r.bytes = Canonical(rev);
  r.unique_key = "revoke/" + id;
  r.fingerprint = Fingerprint(json{{"reason", reason}, {"superseded_by", entry->id}});
  r.conflict_pointer = "/reason";
  r.index_rows = [id, rid = r.id](uint64_t, WriteBatch* batch) {
    batch->Put(Table::kStatus, id, rid);
  };
  std::vector<std::string> ids = {rec->record.learner, replacement.learner};
  std::vector<LogEntry> entries;
  entries.push_back(std::move(r));
  entries.push_back(std::move(entry).value());
  AppendPosted(std::move(entries), std::move(ids), std::move(done));
}

StatusOr<std::vector<StoredRecord>> Bank::LearnerRecords(const std::string& learner,
                                                         const std::string& cursor, size_t limit,
                                                         std::string* next_cursor) {
  std::string start = Key2(learner, "");
  if (!cursor.empty()) {
    auto raw = HexDecode(cursor);
    if (!raw || raw->size() != 8)
      return Status::InvalidArgument(Field("/cursor"), "not a cursor from this API");
    start = Key2(learner, BigEndian64(GetBigEndian64(*raw) + 1));
  }
  std::string end = learner + std::string(1, '\1');
  std::vector<std::string> ids;
  std::string last_leaf;
  bool more = false;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kLearnerRecords, start, end, limit + 1,
                                [&](std::string_view key, std::string_view value) {
                                  if (ids.size() == limit) {
                                    more = true;
                                    return false;
                                  }
                                  ids.emplace_back(value);
                                  last_leaf = std::string(key.substr(key.size() - 8));
                                  return true;
                                }));
  std::vector<StoredRecord> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    LCB_ASSIGN_OR_RETURN(StoredRecord r, ReadRecord(id));
    out.push_back(std::move(r));
  }
  if (next_cursor) *next_cursor = more ? HexEncode(last_leaf) : "";
  return out;
}

StatusOr<std::shared_ptr<const std::vector<Record>>> Bank::ActiveView(
    const std::string& learner) {
  uint64_t generation = GenerationOf(learner).load();
  {
    std::lock_guard<std::mutex> lock(views_mu_);
    auto it = views_.find(learner);
    if (it != views_.end() && it->second.generation == generation && it->second.records) {
      return it->second.records;
    }
  }
  std::string next;
  LCB_ASSIGN_OR_RETURN(std::vector<StoredRecord> stored,
                       LearnerRecords(learner, "", 100000, &next));
  auto records = std::make_shared<std::vector<Record>>();
  records->reserve(stored.size());
  for (auto& s : stored) records->push_back(std::move(s.record));
  std::lock_guard<std::mutex> lock(views_mu_);
  if (views_.size() >= kMaxCachedViews) views_.clear();
  LearnerView& view = views_[learner];
  if (view.generation != generation || !view.records) view = LearnerView{generation, records, -1, {}};
  return std::shared_ptr<const std::vector<Record>>(records);
}

StatusOr<json> Bank::Passbook(const std::string& learner, Days today) {
  if (!LearnerExists(learner)) return Status::NotFound("no learner '" + learner + "'");
  LCB_ASSIGN_OR_RETURN(std::string text, PassbookText(learner, today));
  return json::parse(text);
}

StatusOr<std::string> Bank::PassbookText(const std::string& learner, Days today) {
  uint64_t generation = GenerationOf(learner).load();
  {
    std::lock_guard<std::mutex> lock(views_mu_);
    auto it = views_.find(learner);
    if (it != views_.end() && it->second.generation == generation &&
        it->second.passbook_day == today) {
      return it->second.passbook;
    }
  }
  LCB_ASSIGN_OR_RETURN(auto records, ActiveView(learner));
  struct Passbook p = ComputePassbook(*records, today);
  json out = PassbookToJson(learner, p);
  out["as_of"] = FormatDate(today);
  std::string text = Dump(out);
  std::lock_guard<std::mutex> lock(views_mu_);
  auto it = views_.find(learner);
  if (it != views_.end() && it->second.generation == generation && it->second.records == records) {
    it->second.passbook_day = today;
    it->second.passbook = text;
  }
  return text;
}

// ---- Log ----------------------------------------------------------------------------------

json Bank::LogKeyJson() {
  return {{"origin", config_.origin},
          {"verifier_key", VerifierKeyString(config_.origin, key_->PublicKey())},
          {"public_key_pem", key_->PublicKeyPem()},
          {"keys", log_keys_}};
}

StatusOr<json> Bank::LogEntries(uint64_t start, uint64_t end, bool with_entries) {
  uint64_t size = ledger_->Size();
  if (start > size) return Status::InvalidArgument(Field("/start"), "beyond the tree size");
  if (end > size) end = size;
  if (end < start) return Status::InvalidArgument(Field("/end"), "must not be less than start");
  constexpr uint64_t kMaxEntries = 1000;
  end = std::min(end, start + kMaxEntries);
  json entries = json::array();
  for (uint64_t i = start; i < end; ++i) {
    LCB_ASSIGN_OR_RETURN(Hash leaf, ledger_->LeafHashAt(i));
    json item = {{"index", i}, {"leaf_hash", HashHex(leaf)}};
    if (with_entries) {
      LCB_ASSIGN_OR_RETURN(std::string bytes, ledger_->Entry(i));
      item["entry"] = Base64Encode(bytes);
    }
    entries.push_back(std::move(item));
  }
  return json{{"entries", entries}, {"tree_size", size}};
}

// ---- Admin action log -----------------------------------------------------------------------

void Bank::AdminLog(const Principal& by, const std::string& action, const std::string& object) {
  std::lock_guard<std::mutex> lock(admin_mu_);
  uint64_t seq = ++admin_seq_;
  json row = {{"seq", seq},
              {"at", NowRfc3339()},
              {"by", by.role()},
              {"token_id", by.token_id},
              {"action", action},
              {"object", object}};
  WriteBatch batch;
  batch.Put(Table::kAdminLog, BigEndian64(seq), Dump(row));
  // The action already happened; a failure to log it is reported in the server log.
  (void)kv_->Write(batch, true);
}

StatusOr<json> Bank::ListAdminLog(uint64_t after, size_t limit) {
  json items = json::array();
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kAdminLog, BigEndian64(after + 1), "", limit,
                                [&](std::string_view, std::string_view value) {
                                  items.push_back(json::parse(value));
                                  return true;
                                }));
  return json{{"actions", items}};
}

}  // namespace lcb
