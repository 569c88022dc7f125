#include "service/learners.h"

#include <algorithm>
#include <cctype>

#include "common/date.h"
#include "common/encoding.h"
#include "crypto/sha256.h"
#include "engine/regions.h"
#include "storage/keys.h"

namespace lcb {
namespace {

constexpr size_t kMaxKnownLearners = 1'000'000;
constexpr size_t kMaxGrantsListed = 10'000;

std::string NormalizeNationalId(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (c == ' ' || c == '-') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// HMAC input for a national ID: a domain tag, a NUL, the normalized ID.
std::string NationalIdMaterial(const std::string& normalized) {
  return std::string("national_id\0", 12) + normalized;
}

}  // namespace

StatusOr<std::string> LearnerService::NationalIdHmacHex(const std::string& raw) const {
  std::string norm = NormalizeNationalId(raw);
  if (norm.empty() || norm.size() > 32 || !std::all_of(norm.begin(), norm.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c));
      })) {
    return Status::InvalidArgument(Field("/national_id"), "must be 1-32 letters and digits");
  }
  return HashHex(HmacSha256(secret_, NationalIdMaterial(norm)));
}

StatusOr<LearnerAccount> LearnerService::Create(const NewLearner& in, const Principal& by) {
  // An institution's token acts only for a registered institution, as PUT /v1/units does: a
  // token made before the check at POST /v1/tokens, or whose institution was removed.
  std::optional<std::string> default_region;
  if (by.kind == RoleKind::kInstitution) {
    auto institution = catalog_->GetInstitution(by.subject);
    if (!institution.ok()) {
      return Status::FailedPrecondition("institution '" + by.subject +
                                        "' is not registered; an admin registers it first");
    }
    if (!institution->region.empty()) default_region = institution->region;
  }
  if (in.region) LCB_RETURN_IF_ERROR(ValidateRegionCode(*in.region, "/region"));
  std::optional<std::string> hmac_hex;
  if (in.national_id) {
    LCB_ASSIGN_OR_RETURN(hmac_hex, NationalIdHmacHex(*in.national_id));
  }
  std::lock_guard<std::mutex> lock(create_mu_);
  if (hmac_hex) {
    std::string existing;
    Status s = kv_->Get(Table::kLearners, keys::LearnerByNationalId(*hmac_hex), &existing);
    if (s.ok()) return Existing(existing, in.region, by);
    if (s.code() != StatusCode::kNotFound) return s;
  }
  LearnerRow row;
  row.id = "lrn_" + HexEncode(RandomBytes(8));
  row.created_at = NowRfc3339();
  row.created_by = by.role();
  row.display_name = in.display_name;
  row.national_id_hmac = hmac_hex;
  row.region = in.region ? in.region : default_region;
  // Read before the row is written: each record of this learner is logged at or above it.
  if (log_size_) row.logged_before = log_size_();
  WriteBatch batch;
  batch.Put(Table::kLearners, keys::Learner(row.id), EncodeLearnerRow(row));
  if (hmac_hex) batch.Put(Table::kLearners, keys::LearnerByNationalId(*hmac_hex), row.id);
  LCB_RETURN_IF_ERROR(admin_log_->RecordWith(by, "create_learner", row.id, std::move(batch)));
  if (changes_) changes_->MarkNew({row.id});
  return LearnerAccount{row.id, true, row.region};
}

// Under create_mu_: the account `id` a national ID already has; `region`, when given, fills a
// region never set and must otherwise be the account's.
StatusOr<LearnerAccount> LearnerService::Existing(const std::string& id,
                                                  const std::optional<std::string>& region,
                                                  const Principal& by) {
  LCB_ASSIGN_OR_RETURN(LearnerRow row, Get(id));
  // Anyone who names a national ID learns the account's id (that is how registrars find their
  // learners), but only the admin, the institution that created the account, or one the learner
  // granted sees its region or fills it in: to others it is the learner's data (an outside
  // review had any institution read, and set, the region of anyone whose ID it knew).
  const bool entitled = by.is_admin() || row.created_by == by.role() ||
                        (by.kind == RoleKind::kInstitution && HasGrant(id, by.subject));
  if (!entitled) return LearnerAccount{id, false, std::nullopt};
  if (!region || row.region == region) return LearnerAccount{id, false, row.region};
  if (row.region) {
    return Status::AlreadyExists(Field("/region"),
                                 "the account with this national ID is in region " + *row.region +
                                     ", not " + *region + "; PATCH /v1/learners/" + id +
                                     " moves it (the learner or the institution that created it)");
  }
  LCB_ASSIGN_OR_RETURN(row, WriteRegion(std::move(row), region, by));
  return LearnerAccount{id, false, row.region};
}

StatusOr<LearnerRow> LearnerService::SetRegion(const std::string& id,
                                               const std::optional<std::string>& region,
                                               const Principal& by) {
  if (region) LCB_RETURN_IF_ERROR(ValidateRegionCode(*region, "/region"));
  std::lock_guard<std::mutex> lock(create_mu_);
  LCB_ASSIGN_OR_RETURN(LearnerRow row, Get(id));
  if (row.region == region) return row;
  return WriteRegion(std::move(row), region, by);
}

StatusOr<LearnerRow> LearnerService::WriteRegion(LearnerRow row,
                                                 const std::optional<std::string>& region,
                                                 const Principal& by) {
  row.region = region;
  WriteBatch batch;
  batch.Put(Table::kLearners, keys::Learner(row.id), EncodeLearnerRow(row));
  LCB_RETURN_IF_ERROR(admin_log_->RecordWith(by, "set_learner_region", row.id, std::move(batch)));
  // The whole reload: the learner's cells move from the old region to the new one.
  if (changes_) changes_->Mark(row.id);
  return row;
}

StatusOr<std::string> LearnerService::Lookup(const std::string& national_id) {
  if (NormalizeNationalId(national_id).empty()) {
    return Status::InvalidArgument(Field("/national_id"), "is required");
  }
  auto hmac_hex = NationalIdHmacHex(national_id);
  if (!hmac_hex.ok()) return Status::NotFound("no learner with that national ID");
  std::string id;
  Status s = kv_->Get(Table::kLearners, keys::LearnerByNationalId(*hmac_hex), &id);
  if (s.code() == StatusCode::kNotFound)
    return Status::NotFound("no learner with that national ID");
  LCB_RETURN_IF_ERROR(s);
  return id;
}

StatusOr<std::vector<std::optional<std::string>>> LearnerService::LookupMany(
    const std::vector<std::string>& national_ids) {
  std::vector<std::string> keys;
  std::vector<size_t> key_of;  // index into keys, or SIZE_MAX: no account can have that ID
  keys.reserve(national_ids.size());
  key_of.reserve(national_ids.size());
  for (size_t i = 0; i < national_ids.size(); ++i) {
    if (NormalizeNationalId(national_ids[i]).empty()) {
      return Status::InvalidArgument(Field("/national_ids/" + std::to_string(i)), "is required");
    }
    auto hmac_hex = NationalIdHmacHex(national_ids[i]);
    if (!hmac_hex.ok()) {
      key_of.push_back(SIZE_MAX);
      continue;
    }
    key_of.push_back(keys.size());
    keys.push_back(keys::LearnerByNationalId(*hmac_hex));
  }
  std::vector<std::optional<std::string>> found;
  LCB_RETURN_IF_ERROR(kv_->MultiGet(Table::kLearners, keys, &found));
  std::vector<std::optional<std::string>> out(national_ids.size());
  for (size_t i = 0; i < national_ids.size(); ++i) {
    if (key_of[i] != SIZE_MAX) out[i] = std::move(found[key_of[i]]);
  }
  return out;
}

bool LearnerService::Exists(const std::string& id) {
  {
    std::shared_lock lock(known_mu_);
    if (known_.count(id)) return true;
  }
  std::string v;
  if (!kv_->Get(Table::kLearners, keys::Learner(id), &v).ok()) return false;
  std::unique_lock lock(known_mu_);
  if (known_.size() > kMaxKnownLearners) known_.clear();
  known_.insert(id);
  return true;
}

StatusOr<LearnerRow> LearnerService::Get(const std::string& id) {
  std::string v;
  Status s = kv_->Get(Table::kLearners, keys::Learner(id), &v);
  if (s.code() == StatusCode::kNotFound) return Status::NotFound("no learner '" + id + "'");
  LCB_RETURN_IF_ERROR(s);
  return DecodeLearnerRow(v);
}

StatusOr<GrantRow> LearnerService::PutGrant(const std::string& learner,
                                            const std::string& institution,
                                            const std::string& expires_at) {
  if (!catalog_->GetInstitution(institution).ok()) {
    return Status::InvalidArgument(Field("/institution"), "no institution '" + institution + "'");
  }
  GrantRow row{learner, institution, NowRfc3339(), ""};
  if (!expires_at.empty()) {
    LCB_ASSIGN_OR_RETURN(int64_t ms, ParseRfc3339Millis(expires_at));
    if (ms <= NowMillis()) return Status::InvalidArgument(Field("/expires_at"), "is in the past");
    row.expires_at = expires_at;
  }
  WriteBatch batch;
  batch.Put(Table::kGrants, keys::Grant(learner, institution), EncodeGrantRow(row));
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  return row;
}

Status LearnerService::DeleteGrant(const std::string& learner, const std::string& institution) {
  std::string v;
  Status s = kv_->Get(Table::kGrants, keys::Grant(learner, institution), &v);
  if (s.code() == StatusCode::kNotFound) return Status::NotFound("no grant to that institution");
  LCB_RETURN_IF_ERROR(s);
  WriteBatch batch;
  batch.Delete(Table::kGrants, keys::Grant(learner, institution));
  return kv_->Write(batch, true);
}

StatusOr<std::vector<GrantRow>> LearnerService::ListGrants(const std::string& learner) {
  std::vector<GrantRow> out;
  Status bad;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kGrants, keys::OwnerBegin(learner), keys::OwnerEnd(learner),
                                kMaxGrantsListed, [&](std::string_view, std::string_view value) {
                                  auto row = DecodeGrantRow(value);
                                  if (!row.ok()) {
                                    bad = row.status();
                                    return false;
                                  }
                                  out.push_back(std::move(row).value());
                                  return true;
                                }));
  LCB_RETURN_IF_ERROR(bad);
  return out;
}

bool LearnerService::HasGrant(const std::string& learner, const std::string& institution) {
  std::string v;
  if (!kv_->Get(Table::kGrants, keys::Grant(learner, institution), &v).ok()) return false;
  auto row = DecodeGrantRow(v);
  if (!row.ok()) return false;
  if (!row->expires_at.empty()) {
    auto ms = ParseRfc3339Millis(row->expires_at);
    if (!ms.ok() || *ms <= NowMillis()) return false;
  }
  return true;
}

}  // namespace lcb
