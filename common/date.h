// Civil dates (proleptic Gregorian) as days since 1970-01-01, and RFC 3339 timestamps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lcb {

using Days = int32_t;  // days since 1970-01-01

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

Days DaysFromCivil(CivilDate d);
CivilDate CivilFromDays(Days days);
// Strict "YYYY-MM-DD" with a real calendar day (no 2023-02-29).
StatusOr<Days> ParseDate(std::string_view text, std::string_view pointer);
std::string FormatDate(Days days);
// Adds whole years, clamping Feb 29 to Feb 28.
Days AddYears(Days days, int years);
// Today in UTC.
Days TodayUtc();
// Current time as RFC 3339 UTC with milliseconds: 2026-11-29T05:31:00.123Z.
std::string NowRfc3339();
// Milliseconds since the epoch.
int64_t NowMillis();

}  // namespace lcb
