// The passbook (学分存折): a learner's credit totals, computed from the learner's records.
//
// A record is
//   revoked  when record.revoked (whatever its dates);
//   expired  when not revoked and expires_on <= today (a record expiring today no longer
//            counts today);
//   active   otherwise (no expires_on, or expires_on > today).
// Only active records count in total_credits, the by_* maps and `expiring`.
//
// Map keys (as GET /v1/learners/{id}/passbook shows them):
//   by_kind   UnitKindName ("degree_course")      by_level  decimal level ("6")
//   by_field  broad ISCED-F field, the first two  by_issuer institution id
//             digits of the record's field ("06") by_year   completion year ("2024")
// A key appears only when some active record has it, so every value is > 0 unless an active
// record has 0 credits.
//
// expiring: the active records with expires_on in (today, today + 365], ascending by
// expires_on then record id. (A record with expires_on == today is already expired.)
//
// Thread-safe: a pure function.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/credits.h"
#include "common/date.h"
#include "engine/model.h"

namespace lcb {

constexpr Days kExpiringWindowDays = 365;

struct ExpiringRecord {
  std::string record;  // record id
  Days expires_on = 0;
  Centi credits = 0;

  friend bool operator==(const ExpiringRecord&, const ExpiringRecord&) = default;
};

struct Passbook {
  Centi total_credits = 0;
  std::map<std::string, Centi> by_kind;
  std::map<std::string, Centi> by_level;
  std::map<std::string, Centi> by_field;
  std::map<std::string, Centi> by_issuer;
  std::map<std::string, Centi> by_year;
  std::vector<ExpiringRecord> expiring;
  int revoked_count = 0;
  int active_count = 0;
  int expired_count = 0;
};

// `records` are one learner's records in any order.
Passbook ComputePassbook(std::span<const Record> records, Days today);

}  // namespace lcb
