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
    if (!r.passing) {
      ++pb.failed_count;
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
      pb.expiring.push_back(ExpiringRecord{r.id, *r.expires_on, r.credits, r.unit});
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

namespace {

void Apply(PassbookTotals::Tally* t, Centi credits, int sign) {
  t->credits += sign * credits;
  t->records += sign;
}

// Adds (sign 1) or takes out (sign -1) one record's contribution to every tally.
void ApplyRecord(PassbookTotals::Tallies* p, Centi credits, UnitKind kind, int level,
                 const std::string& field, const std::string& issuer, int year, int sign) {
  Apply(&p->total, credits, sign);
  const auto kind_idx = static_cast<size_t>(kind);
  if (kind_idx < p->by_kind.size()) Apply(&p->by_kind[kind_idx], credits, sign);
  Apply(&p->by_level[level], credits, sign);
  Apply(&p->by_field[field], credits, sign);
  Apply(&p->by_issuer[issuer], credits, sign);
  Apply(&p->by_year[year], credits, sign);
  if (sign < 0) {
    // Keys no counted record has any more are dropped, as ComputePassbook never shows them.
    auto prune = [](auto& map, const auto& key) {
      auto it = map.find(key);
      if (it != map.end() && it->second.records == 0) map.erase(it);
    };
    prune(p->by_level, level);
    prune(p->by_field, field);
    prune(p->by_issuer, issuer);
    prune(p->by_year, year);
  }
}

void Take(const PassbookTotals::Tally& part, PassbookTotals::Tally* from) {
  from->credits -= part.credits;
  from->records -= part.records;
}

// Takes `part` (sums over a subset of the records `p` counts) out of `p`, dropping the keys no
// record has any more.
template <typename Key>
void SubtractMap(const std::map<Key, PassbookTotals::Tally>& part,
                 std::map<Key, PassbookTotals::Tally>* from) {
  for (const auto& [key, tally] : part) {
    auto it = from->find(key);
    if (it == from->end()) continue;  // never: `part` is a subset
    Take(tally, &it->second);
    if (it->second.records == 0) from->erase(it);
  }
}

void Subtract(const PassbookTotals::Tallies& part, PassbookTotals::Tallies* from) {
  Take(part.total, &from->total);
  for (size_t k = 0; k < part.by_kind.size(); ++k) Take(part.by_kind[k], &from->by_kind[k]);
  SubtractMap(part.by_level, &from->by_level);
  SubtractMap(part.by_field, &from->by_field);
  SubtractMap(part.by_issuer, &from->by_issuer);
  SubtractMap(part.by_year, &from->by_year);
}

template <typename Key, typename ToKey>
void FillMap(const std::map<Key, PassbookTotals::Tally>& tallies, ToKey to_key,
             std::map<std::string, Centi>* out) {
  for (const auto& [key, tally] : tallies) {
    if (tally.records > 0) out->emplace(to_key(key), tally.credits);
  }
}

}  // namespace

void PassbookTotals::Add(const Record& r) {
  if (!r.passing) {
    ++failed_count;
    return;
  }
  const std::string field = r.field.substr(0, 2);
  const int year = CivilFromDays(r.completed_on).year;
  ApplyRecord(&tallies, r.credits, r.kind, r.level, field, r.issuer, year, 1);
  if (r.expires_on) {
    ExpiryDay& day = by_expiry[*r.expires_on];
    ApplyRecord(&day.tallies, r.credits, r.kind, r.level, field, r.issuer, year, 1);
    // Appended, O(1): a learner with 10^5 records expiring on one day is caught up in one pass
    // (a sorted insert made that quadratic).
    day.records.push_back(ExpiryDay::Entry{r.id, r.credits, r.unit});
  }
}

void PassbookTotals::Revoke(const Record& r) {
  ++revoked_count;
  if (!r.passing) {
    --failed_count;
    return;
  }
  const std::string field = r.field.substr(0, 2);
  const int year = CivilFromDays(r.completed_on).year;
  ApplyRecord(&tallies, r.credits, r.kind, r.level, field, r.issuer, year, -1);
  if (!r.expires_on) return;
  auto day = by_expiry.find(*r.expires_on);
  if (day == by_expiry.end()) return;
  auto& records = day->second.records;
  auto it = std::find_if(records.begin(), records.end(),
                         [&](const ExpiryDay::Entry& e) { return e.record == r.id; });
  if (it == records.end()) return;
  *it = std::move(records.back());
  records.pop_back();
  if (records.empty()) {
    by_expiry.erase(day);
  } else {
    ApplyRecord(&day->second.tallies, r.credits, r.kind, r.level, field, r.issuer, year, -1);
  }
}

Passbook PassbookTotals::At(Days today) const {
  Tallies now = tallies;  // with today's expired records taken out
  Passbook pb;
  int64_t expired = 0;
  auto day = by_expiry.begin();
  for (; day != by_expiry.end() && day->first <= today; ++day) {
    expired += day->second.tallies.total.records;
    Subtract(day->second.tallies, &now);
  }
  for (; day != by_expiry.end() && day->first - today <= kExpiringWindowDays; ++day) {
    const size_t first = pb.expiring.size();
    for (const ExpiryDay::Entry& e : day->second.records) {
      pb.expiring.push_back(ExpiringRecord{e.record, day->first, e.credits, e.unit});
    }
    std::sort(pb.expiring.begin() + static_cast<ptrdiff_t>(first), pb.expiring.end(),
              [](const ExpiringRecord& a, const ExpiringRecord& b) { return a.record < b.record; });
  }
  pb.total_credits = now.total.credits;
  pb.active_count = static_cast<int>(now.total.records);
  pb.expired_count = static_cast<int>(expired);
  pb.revoked_count = static_cast<int>(revoked_count);
  pb.failed_count = static_cast<int>(failed_count);
  for (size_t kind_idx = 0; kind_idx < now.by_kind.size(); ++kind_idx) {
    if (now.by_kind[kind_idx].records > 0) {
      pb.by_kind.emplace(UnitKindName(static_cast<UnitKind>(kind_idx)),
                         now.by_kind[kind_idx].credits);
    }
  }
  FillMap(
      now.by_level, [](int level) { return std::to_string(level); }, &pb.by_level);
  FillMap(
      now.by_field, [](const std::string& f) { return f; }, &pb.by_field);
  FillMap(
      now.by_issuer, [](const std::string& i) { return i; }, &pb.by_issuer);
  FillMap(
      now.by_year, [](int year) { return std::to_string(year); }, &pb.by_year);
  return pb;
}

}  // namespace lcb
