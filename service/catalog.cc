#include "service/catalog.h"

#include "codec/entries.h"
#include "common/date.h"
#include "common/encoding.h"
#include "engine/catalog_validation.h"
#include "engine/regimes.h"
#include "storage/keys.h"

namespace lcb {
namespace {

using keys::CatalogKind;

constexpr int kInst = static_cast<int>(CatalogKind::kInstitution);
constexpr int kUnitKind = static_cast<int>(CatalogKind::kUnit);
constexpr int kProg = static_cast<int>(CatalogKind::kProgram);

template <typename T>
StatusOr<T> FromStored(std::string_view text, const std::string& id, std::string* updated_at);
template <>
StatusOr<Institution> FromStored(std::string_view text, const std::string& id,
                                 std::string* updated_at) {
  return ParseStoredInstitution(text, id, updated_at);
}
template <>
StatusOr<Unit> FromStored(std::string_view text, const std::string& id, std::string* updated_at) {
  return ParseStoredUnit(text, id, updated_at);
}
template <>
StatusOr<Program> FromStored(std::string_view text, const std::string& id,
                             std::string* updated_at) {
  return ParseStoredProgram(text, id, updated_at);
}

Status OwnerRegistered(CatalogService& catalog, std::string_view owner) {
  if (catalog.GetInstitution(std::string(owner)).ok()) return Status::Ok();
  return Status::FailedPrecondition("institution '" + std::string(owner) +
                                    "' is not registered; an admin registers it first");
}

}  // namespace

StatusOr<std::unique_ptr<CatalogService>> CatalogService::Open(Kv* kv, AdminLog* admin_log) {
  std::unique_ptr<CatalogService> catalog(new CatalogService(kv, admin_log));
  LCB_RETURN_IF_ERROR(catalog->LoadGradeScales());
  return catalog;
}

Status CatalogService::LoadGradeScales() {
  auto scales = std::make_shared<GradeScales>();
  Status loaded;
  const std::string begin = keys::Catalog(CatalogKind::kGradeScale, "");
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kCatalog, begin, keys::CatalogEnd(CatalogKind::kGradeScale),
                                SIZE_MAX, [&](std::string_view key, std::string_view value) {
                                  auto scale = ParseStoredGradeScale(
                                      value, std::string(key.substr(begin.size())));
                                  if (!scale.ok()) {
                                    loaded = scale.status();
                                    return false;
                                  }
                                  loaded = scales->Register(std::move(scale).value());
                                  return loaded.ok();
                                }));
  LCB_RETURN_IF_ERROR(loaded);
  std::lock_guard<std::mutex> lock(scales_mu_);
  scales_ = std::move(scales);
  return Status::Ok();
}

Status CatalogService::Reload() {
  {
    std::unique_lock lock(cache_mu_);
    institutions_.clear();
    units_.clear();
    programs_.clear();
    version_.fetch_add(1, std::memory_order_acq_rel);
  }
  return LoadGradeScales();
}

StatusOr<std::string> CatalogService::ReadDocument(int kind, const std::string& id,
                                                   const char* noun) {
  std::string value;
  Status s = kv_->Get(Table::kCatalog, keys::Catalog(static_cast<CatalogKind>(kind), id), &value);
  if (s.code() == StatusCode::kNotFound) {
    return Status::NotFound("no " + std::string(noun) + " '" + id + "'");
  }
  LCB_RETURN_IF_ERROR(s);
  return value;
}

Status CatalogService::WriteDocument(int kind, const std::string& id, const std::string& document) {
  WriteBatch batch;
  batch.Put(Table::kCatalog, keys::Catalog(static_cast<CatalogKind>(kind), id), document);
  return kv_->Write(batch, true);
}

// ---- Institutions, units, programs -------------------------------------------------------

Status CatalogService::CheckRegimeChange(const Institution& inst) {
  auto current = GetInstitution(inst.id);
  if (!current.ok() || current->regime == inst.regime) return Status::Ok();
  std::string marker;
  Status posted = kv_->Get(Table::kCatalog, keys::InstitutionPosted(inst.id), &marker);
  if (posted.code() == StatusCode::kNotFound) return Status::Ok();
  LCB_RETURN_IF_ERROR(posted);
  return Status::AlreadyExists(
      Field("/regime"),
      "institution '" + inst.id + "' has posted records under regime '" + current->regime +
          "': their common levels derive from it, so it cannot change" +
          (inst.regime.empty() ? " (a PUT replaces the institution: send \"regime\": \"" +
                                     current->regime + "\" with it)"
                               : std::string()));
}

StatusOr<bool> CatalogService::HasPosted(const std::string& institution_id) {
  {
    std::shared_lock<std::shared_mutex> lock(cache_mu_);
    if (posted_.count(institution_id)) return true;
  }
  std::string marker;
  Status s = kv_->Get(Table::kCatalog, keys::InstitutionPosted(institution_id), &marker);
  if (s.code() == StatusCode::kNotFound) return false;
  LCB_RETURN_IF_ERROR(s);
  std::unique_lock<std::shared_mutex> lock(cache_mu_);
  posted_.insert(institution_id);
  return true;
}

void CatalogService::ApplyRegimeDefaultPolicy(Program& program) {
  const Policy& p = program.policy;
  const bool no_policy = !p.given && !p.max_transfer_credits && !p.max_transfer_ratio_bp &&
                         !p.min_grade && !p.max_age_years && p.caps.empty();
  if (!no_policy) return;
  auto owner = GetInstitution(program.institution);
  if (!owner.ok() || owner->regime.empty()) return;
  if (const Regime* regime = FindRegime(owner->regime)) program.policy = regime->DefaultPolicy();
}

// A DID or a public key names one issuer: a credential signed under it is the record of one
// institution, so two may not hold the same (an admin's slip would hand one's credentials to
// the other, or make whose they are depend on the catalog's order).
Status CatalogService::CheckIdentityUnique(const Institution& inst) {
  if (inst.did.empty() && inst.public_keys.empty()) return Status::Ok();
  const auto same_key = [](const PublicJwk& a, const PublicJwk& b) {
    return a.is_rsa() == b.is_rsa() && a.x == b.x && a.n == b.n && a.e == b.e;
  };
  std::string cursor;
  do {
    LCB_ASSIGN_OR_RETURN(auto page, ListInstitutions("", cursor, 1000));
    for (const auto& item : page.items) {
      const Institution& other = item.value;
      if (other.id == inst.id) continue;
      if (!inst.did.empty() && other.did == inst.did) {
        return Status::AlreadyExists(Field("/did"),
                                     "is already institution '" + other.id + "''s DID");
      }
      for (size_t i = 0; i < inst.public_keys.size(); ++i) {
        for (const PublicJwk& theirs : other.public_keys) {
          if (same_key(inst.public_keys[i], theirs)) {
            return Status::AlreadyExists(Field("/public_keys/" + std::to_string(i)),
                                         "is already a key of institution '" + other.id +
                                             "' (kid \"" + theirs.kid + "\"): one key, one issuer");
          }
        }
      }
    }
    cursor = page.next_cursor;
  } while (!cursor.empty());
  return Status::Ok();
}

StatusOr<CatalogItem<Institution>> CatalogService::PutInstitution(Institution inst,
                                                                  const Principal& by) {
  if (!IsInstitutionId(inst.id)) {
    return Status::InvalidArgument(Field("/id"),
                                   "institution ids are slugs: [a-z0-9][a-z0-9_-]{1,62}");
  }
  LCB_RETURN_IF_ERROR(ValidateInstitution(inst));
  LCB_RETURN_IF_ERROR(CheckRegimeChange(inst));
  LCB_RETURN_IF_ERROR(CheckIdentityUnique(inst));
  CatalogItem<Institution> item{std::move(inst), NowRfc3339()};
  LCB_RETURN_IF_ERROR(
      WriteDocument(kInst, item.value.id, StoredInstitution(item.value, item.updated_at)));
  {
    std::unique_lock lock(cache_mu_);
    institutions_[item.value.id] = std::make_shared<const Institution>(item.value);
    version_.fetch_add(1, std::memory_order_acq_rel);
  }
  admin_log_->Record(by, "put_institution", item.value.id);
  return item;
}

StatusOr<CatalogItem<Unit>> CatalogService::PutUnit(Unit unit, const Principal& by) {
  std::string_view owner;
  if (!IsCatalogId(unit.id, &owner)) {
    return Status::InvalidArgument(Field("/id"), "unit ids are <institution>:<code>");
  }
  LCB_RETURN_IF_ERROR(OwnerRegistered(*this, owner));
  LCB_RETURN_IF_ERROR(ValidateUnit(unit));
  // A level outside the owner's framework would make every record of the unit fail at a /level
  // its poster never sent: refused here, where the level is given.
  auto owner_inst = GetInstitution(std::string(owner));
  if (owner_inst.ok()) LCB_RETURN_IF_ERROR(CommonLevelOf(*owner_inst, unit.level).status());
  CatalogItem<Unit> item{std::move(unit), NowRfc3339()};
  LCB_RETURN_IF_ERROR(
      WriteDocument(kUnitKind, item.value.id, StoredUnit(item.value, item.updated_at)));
  {
    std::unique_lock lock(cache_mu_);
    units_[item.value.id] = std::make_shared<const Unit>(item.value);
    version_.fetch_add(1, std::memory_order_acq_rel);
  }
  admin_log_->Record(by, "put_unit", item.value.id);
  return item;
}

StatusOr<CatalogItem<Program>> CatalogService::PutProgram(Program program, const Principal& by) {
  std::string_view owner;
  if (!IsCatalogId(program.id, &owner)) {
    return Status::InvalidArgument(Field("/id"), "program ids are <institution>:<code>");
  }
  LCB_RETURN_IF_ERROR(OwnerRegistered(*this, owner));
  LCB_RETURN_IF_ERROR(ValidateProgramShape(program));
  LCB_RETURN_IF_ERROR(ValidateProgramPolicy(program));
  // A cap by issuer naming an institution the catalog does not hold limits nothing: a typo.
  for (size_t c = 0; c < program.policy.caps.size(); ++c) {
    const Cap& cap = program.policy.caps[c];
    if (cap.by != CapBy::kIssuer) continue;
    const std::string at = "/policy/caps/" + std::to_string(c);
    auto known = [&](const std::string& issuer, const char* member) -> Status {
      if (GetInstitution(issuer).status().code() != StatusCode::kNotFound) return Status::Ok();
      return Status::InvalidArgument(Field(at + "/" + member + "/" + JsonPointerEscape(issuer)),
                                     "no institution '" + issuer + "' in the catalog");
    };
    for (const auto& [issuer, limit] : cap.limits) LCB_RETURN_IF_ERROR(known(issuer, "limits"));
    for (const auto& [issuer, n] : cap.max_count) LCB_RETURN_IF_ERROR(known(issuer, "max_count"));
  }
  ApplyRegimeDefaultPolicy(program);
  CatalogItem<Program> item{std::move(program), NowRfc3339()};
  auto write = [&]() -> Status {
    LCB_RETURN_IF_ERROR(
        WriteDocument(kProg, item.value.id, StoredProgram(item.value, item.updated_at)));
    std::unique_lock lock(cache_mu_);
    programs_[item.value.id] = std::make_shared<const Program>(item.value);
    version_.fetch_add(1, std::memory_order_acq_rel);
    return Status::Ok();
  };
  LCB_RETURN_IF_ERROR(guard_ ? guard_->GuardProgramChange(item.value, write) : write());
  admin_log_->Record(by, "put_program", item.value.id);
  return item;
}

StatusOr<CatalogItem<Institution>> CatalogService::InstitutionItem(const std::string& id) {
  LCB_ASSIGN_OR_RETURN(std::string text, ReadDocument(kInst, id, "institution"));
  CatalogItem<Institution> item;
  LCB_ASSIGN_OR_RETURN(item.value, ParseStoredInstitution(text, id, &item.updated_at));
  return item;
}

StatusOr<CatalogItem<Unit>> CatalogService::UnitItem(const std::string& id) {
  LCB_ASSIGN_OR_RETURN(std::string text, ReadDocument(kUnitKind, id, "unit"));
  CatalogItem<Unit> item;
  LCB_ASSIGN_OR_RETURN(item.value, ParseStoredUnit(text, id, &item.updated_at));
  return item;
}

StatusOr<CatalogItem<Program>> CatalogService::ProgramItem(const std::string& id) {
  LCB_ASSIGN_OR_RETURN(std::string text, ReadDocument(kProg, id, "program"));
  CatalogItem<Program> item;
  LCB_ASSIGN_OR_RETURN(item.value, ParseStoredProgram(text, id, &item.updated_at));
  return item;
}

StatusOr<Institution> CatalogService::GetInstitution(const std::string& id) {
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = institutions_.find(id); it != institutions_.end()) return *it->second;
  }
  LCB_ASSIGN_OR_RETURN(CatalogItem<Institution> item, InstitutionItem(id));
  std::unique_lock lock(cache_mu_);
  institutions_[id] = std::make_shared<const Institution>(item.value);
  return std::move(item.value);
}

std::string CatalogService::InstitutionName(const std::string& id) {
  auto inst = GetInstitution(id);
  return inst.ok() && !inst->name.empty() ? inst->name : id;
}

StatusOr<Unit> CatalogService::GetUnit(const std::string& id) {
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = units_.find(id); it != units_.end()) return *it->second;
  }
  LCB_ASSIGN_OR_RETURN(CatalogItem<Unit> item, UnitItem(id));
  std::unique_lock lock(cache_mu_);
  units_[id] = std::make_shared<const Unit>(item.value);
  return std::move(item.value);
}

StatusOr<Program> CatalogService::GetProgram(const std::string& id) {
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = programs_.find(id); it != programs_.end()) return *it->second;
  }
  LCB_ASSIGN_OR_RETURN(CatalogItem<Program> item, ProgramItem(id));
  std::unique_lock lock(cache_mu_);
  programs_[id] = std::make_shared<const Program>(item.value);
  return std::move(item.value);
}

template <typename T>
StatusOr<CatalogPage<T>> CatalogService::List(int kind, const std::string& prefix,
                                              const std::string& cursor, size_t limit) {
  const CatalogKind k = static_cast<CatalogKind>(kind);
  const size_t base = keys::CatalogPrefix(k).size();
  CatalogPage<T> page;
  bool more = false;
  Status bad;
  LCB_RETURN_IF_ERROR(
      kv_->Scan(Table::kCatalog, keys::Catalog(k, cursor.empty() ? prefix : cursor),
                keys::CatalogEnd(k), limit + 2, [&](std::string_view key, std::string_view value) {
                  std::string id(key.substr(base));
                  if (!cursor.empty() && id == cursor) return true;
                  if (!id.starts_with(prefix)) return false;
                  if (page.items.size() == limit) {
                    more = true;
                    return false;
                  }
                  CatalogItem<T> item;
                  auto parsed = FromStored<T>(value, id, &item.updated_at);
                  if (!parsed.ok()) {
                    bad = Status::DataLoss("stored catalog document '" + id + "' is corrupt");
                    return false;
                  }
                  item.value = std::move(parsed).value();
                  page.items.push_back(std::move(item));
                  return true;
                }));
  LCB_RETURN_IF_ERROR(bad);
  if (more) page.next_cursor = page.items.back().value.id;
  return page;
}

StatusOr<CatalogPage<Institution>> CatalogService::ListInstitutions(const std::string& prefix,
                                                                    const std::string& cursor,
                                                                    size_t limit) {
  return List<Institution>(kInst, prefix, cursor, limit);
}

StatusOr<CatalogPage<Unit>> CatalogService::ListUnits(const std::string& prefix,
                                                      const std::string& cursor, size_t limit) {
  return List<Unit>(kUnitKind, prefix, cursor, limit);
}

StatusOr<CatalogPage<Program>> CatalogService::ListPrograms(const std::string& prefix,
                                                            const std::string& cursor,
                                                            size_t limit) {
  return List<Program>(kProg, prefix, cursor, limit);
}

// ---- Grade scales ----------------------------------------------------------------------------

StatusOr<GradeScale> CatalogService::RegisterGradeScale(GradeScale scale, const Principal& by) {
  std::lock_guard<std::mutex> serial(register_mu_);
  auto next = std::make_shared<GradeScales>(*Scales());
  LCB_RETURN_IF_ERROR(next->Register(scale));
  WriteBatch batch;
  batch.Put(Table::kCatalog, keys::Catalog(CatalogKind::kGradeScale, scale.id),
            StoredGradeScale(scale));
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  {
    std::lock_guard<std::mutex> lock(scales_mu_);
    scales_ = std::move(next);
  }
  admin_log_->Record(by, "register_grade_scale", scale.id);
  return scale;
}

std::shared_ptr<const GradeScales> CatalogService::Scales() const {
  std::lock_guard<std::mutex> lock(scales_mu_);
  return scales_;
}

std::shared_ptr<const GradeScales> CatalogService::ScalesKnowing(std::string_view id) {
  std::shared_ptr<const GradeScales> scales = Scales();
  if (scales->Find(id) != nullptr) return scales;
  // Scales are never deleted and a record's scale is registered before the record is posted, so
  // a miss is a follower behind on the catalog: one read of a small table brings it up to date.
  if (!LoadGradeScales().ok()) return nullptr;
  scales = Scales();
  return scales->Find(id) != nullptr ? scales : nullptr;
}

std::vector<GradeScale> CatalogService::ListGradeScales() const {
  auto scales = Scales();
  std::vector<GradeScale> out;
  for (const auto& id : scales->Ids()) out.push_back(*scales->Find(id));
  return out;
}

StatusOr<GradeScale> CatalogService::GetGradeScale(const std::string& id) const {
  auto scales = Scales();
  const GradeScale* s = scales->Find(id);
  if (!s) return Status::NotFound("no grade scale '" + id + "'");
  return *s;
}

}  // namespace lcb
