#include "engine/passbook.h"

#include <algorithm>
#include <array>
#include <tuple>

namespace lcb {

Passbook ComputePassbook(std::span<const Record> records, Days today) {
  Passbook pb;
  // Kinds are a small closed set: sum into an array, build the map once at the end.
  std::array<Centi, kUnitKindCount> kind_sums{};
  std::array<bool, kUnitKindCount> kind_seen{};
  for (const Record& r : records) {
    if (r.revoked) {
      ++pb.revoked_count;
      continue;
    }
    if (r.expires_on && *r.expires_on <= today) {
      ++pb.expired_count;
      continue;
    }
    ++pb.active_count;
    pb.total_credits += r.credits;
    const auto kind_idx = static_cast<size_t>(r.kind);
    if (kind_idx < kind_sums.size()) {  // always, for a record that went through Recognize
      kind_sums[kind_idx] += r.credits;
      kind_seen[kind_idx] = true;
    }
    pb.by_level[std::to_string(r.level)] += r.credits;
    pb.by_field[r.field.substr(0, 2)] += r.credits;
    pb.by_issuer[r.issuer] += r.credits;
    pb.by_year[std::to_string(CivilFromDays(r.completed_on).year)] += r.credits;
    if (r.expires_on && *r.expires_on - today <= kExpiringWindowDays) {
      pb.expiring.push_back(ExpiringRecord{r.id, *r.expires_on, r.credits});
    }
  }
  for (size_t kind_idx = 0; kind_idx < kind_sums.size(); ++kind_idx) {
    if (kind_seen[kind_idx]) {
      pb.by_kind.emplace(UnitKindName(static_cast<UnitKind>(kind_idx)), kind_sums[kind_idx]);
    }
  }
  std::sort(pb.expiring.begin(), pb.expiring.end(),
            [](const ExpiringRecord& a, const ExpiringRecord& b) {
              return std::tie(a.expires_on, a.record) < std::tie(b.expires_on, b.record);
            });
  return pb;
}

}  // namespace lcb
