// Learner accounts and the grants through which a learner shares its records with an
// institution. A national ID is kept only as HMAC-SHA256 under the bank's secret (one account
// per person). Rows: kLearners, kGrants (storage/keys.h; codec/rows.h).
//
// Thread-safe. Create, SetRegion, PutGrant and DeleteGrant write with sync: call them off the HTTP
// threads.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "codec/rows.h"
#include "service/admin_log.h"
#include "service/catalog.h"
#include "service/learner_changes.h"
#include "service/tokens.h"
#include "storage/kv.h"

namespace lcb {

struct NewLearner {
  std::optional<std::string> national_id;  // 1-32 letters and digits after normalization
  std::optional<std::string> display_name;
  std::optional<std::string> region;  // GB/T 2260 six-digit code (engine/regions.h)
};

struct LearnerAccount {
  std::string id;
  bool created = false;  // false: the national ID already had an account
  std::optional<std::string> region;  // the account's region now
};

class LearnerService {
 public:
  // Each account created is written with its "create_learner" row in `admin_log`: nodes that
  // share the store learn of accounts from it (Services::FollowStore).
  LearnerService(Kv* kv, CatalogService* catalog, AdminLog* admin_log,
                 std::string national_id_secret)
      : kv_(kv), catalog_(catalog), admin_log_(admin_log), secret_(std::move(national_id_secret)) {}

  // Marked with every account created (for the statistics); none by default.
  void SetChanges(LearnerChanges* changes) { changes_ = changes; }
  // The log's size, stored in each new account's row (LearnerRow::logged_before); none by
  // default.
  void SetLogSize(std::function<uint64_t()> log_size) { log_size_ = std::move(log_size); }

  // An account for `in`, or the one its national ID already has. A new account an institution
  // creates without a region takes the institution's region (where the statistics count it
  // until someone sets another). For an existing account, a region given fills one that was
  // never set; a different one is AlreadyExists at /region (SetRegion moves a learner).
  StatusOr<LearnerAccount> Create(const NewLearner& in, const Principal& by);
  // Sets (or, with nullopt, clears) a learner's region, logged as "set_learner_region"; the
  // statistics count the learner there from their next answer on. NotFound without the account.
  StatusOr<LearnerRow> SetRegion(const std::string& id, const std::optional<std::string>& region,
                                 const Principal& by);
  // NotFound when no account has that national ID.
  StatusOr<std::string> Lookup(const std::string& national_id);
  // Lookup of each of `national_ids` at once (one MultiGet): out[i] is the account of
  // national_ids[i], or nullopt where Lookup answers NotFound. InvalidArgument at
  // "/national_ids/<i>" for the first ID that Lookup refuses (empty once spaces and dashes are
  // dropped).
  StatusOr<std::vector<std::optional<std::string>>> LookupMany(
      const std::vector<std::string>& national_ids);
  bool Exists(const std::string& id);
  // The account row; NotFound when there is none.
  StatusOr<LearnerRow> Get(const std::string& id);

  // `expires_at` is RFC 3339 or empty (never).
  StatusOr<GrantRow> PutGrant(const std::string& learner, const std::string& institution,
                              const std::string& expires_at);
  Status DeleteGrant(const std::string& learner, const std::string& institution);
  StatusOr<std::vector<GrantRow>> ListGrants(const std::string& learner);
  // Whether `institution` holds a grant of `learner` that has not expired.
  bool HasGrant(const std::string& learner, const std::string& institution);

 private:
  StatusOr<std::string> NationalIdHmacHex(const std::string& raw) const;
  // Under create_mu_ (as every write of a learner's row).
  StatusOr<LearnerAccount> Existing(const std::string& id, const std::optional<std::string>& region,
                                    const Principal& by);
  StatusOr<LearnerRow> WriteRegion(LearnerRow row, const std::optional<std::string>& region,
                                   const Principal& by);

  Kv* kv_;
  CatalogService* catalog_;
  AdminLog* admin_log_;
  const std::string secret_;
  LearnerChanges* changes_ = nullptr;
  std::function<uint64_t()> log_size_;
  std::mutex create_mu_;  // one account per national ID
  std::shared_mutex known_mu_;
  std::unordered_set<std::string> known_;  // accounts are never deleted
};

}  // namespace lcb
