// The passbook (学分存折): a learner's credit totals, computed from the learner's records.
//
// A record is
//   revoked  when record.revoked (whatever its dates);
//   failed   when not revoked and its grade is below its scale's pass mark (!record.passing):
//            kept in the learner's history, never counted;
//   expired  when neither and expires_on <= today (a record expiring today no longer counts
//            today);
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

#include <array>
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
  std::string unit;  // the record's unit id, so that a page can name what expires

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
  int failed_count = 0;
};

// `records` are one learner's records in any order.
Passbook ComputePassbook(std::span<const Record> records, Days today);

// What ComputePassbook computes, kept as running totals so that a passbook costs
// O(records changed) instead of O(records): records are added as they are posted and removed
// when revoked; expiry is applied when a day's passbook is asked for (At), from the records
// with an expiry date grouped by that date. Equal to ComputePassbook over the same records for
// every `today` (tests/engine check it against that oracle). Not thread-safe; plain data so
// that it can be stored.
//
// Cost of At(today): the tallies, less the sums of every expiry day <= today (one subtraction
// per day, not per record), plus the records of the days in (today, today + 365] copied into
// `expiring`; the records of other days are not touched.
struct PassbookTotals {
  struct Tally {
    Centi credits = 0;
    int64_t records = 0;
    friend bool operator==(const Tally&, const Tally&) = default;
  };

  // Over a set of counted (not revoked) records.
  struct Tallies {
    Tally total;
    std::array<Tally, kUnitKindCount> by_kind{};
    std::map<int, Tally> by_level;
    std::map<std::string, Tally> by_field;  // broad field
    std::map<std::string, Tally> by_issuer;
    std::map<int, Tally> by_year;
    friend bool operator==(const Tallies&, const Tallies&) = default;
  };

  // The counted records that expire on one day: their sums (taken out of every tally from that
  // day on) and their ids and credits (listed in `expiring` in the year before).
  struct ExpiryDay {
    Tallies tallies;
    struct Entry {
      std::string record;
      Centi credits = 0;
      std::string unit;
      friend bool operator==(const Entry&, const Entry&) = default;
    };
    std::vector<Entry> records;  // in no order (At sorts the ones it reports)
    friend bool operator==(const ExpiryDay&, const ExpiryDay&) = default;
  };

  Tallies tallies;  // over every counted record, expired or not
  int64_t revoked_count = 0;
  int64_t failed_count = 0;             // not revoked, failing grade: in no tally
  std::map<Days, ExpiryDay> by_expiry;  // the counted records with an expiry date

  // A record that is not revoked (a failing one is only counted in failed_count).
  void Add(const Record& r);
  // A record that was Add()ed and is now revoked.
  void Revoke(const Record& r);
  // A record that was revoked before it was ever counted.
  void AddRevoked() { ++revoked_count; }
  Passbook At(Days today) const;

  friend bool operator==(const PassbookTotals&, const PassbookTotals&) = default;
};

}  // namespace lcb
