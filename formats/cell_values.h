// Normalizing one cell of a registrar file (the typed columns of a mapping, mapping.h).
// Each function takes the cell's text as read (CSV text, or an XLSX cell as Excel shows it)
// and returns the normalized text, or an InvalidArgument whose message is the reason alone
// (the caller adds line and column).
//
// Thread-safe: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace lcb::formats {

// Without leading and trailing ASCII whitespace, U+3000 (ideographic space) and U+00A0.
std::string_view TrimCell(std::string_view cell);

// Full-width ASCII (U+FF01..U+FF5E, what a Chinese IME types: "９０．５") as ASCII.
std::string HalfWidth(std::string_view cell);

// A non-negative decimal with at most two fractional digits: "3", "2.5", "0.50", "4.0".
StatusOr<std::string> NormalizeDecimal(std::string_view cell);
// A non-negative integer without sign or decimals ("6").
StatusOr<std::string> NormalizeInteger(std::string_view cell);
// A four-digit year ("2024"; an XLSX date cell gives its year).
StatusOr<std::string> NormalizeYear(std::string_view cell);
// A month as "YYYYMM" from "202406", "2024-06", "2024/6", "2024.06", "2024年6月", or a full
// date ("2024-06-15", "2024/6/15", "2024-06-15 10:00:00": an XLSX date cell), month 01-12,
// year 1900-9999.
StatusOr<std::string> NormalizeYearMonth(std::string_view cell);
// A calendar date as "YYYY-MM-DD" from "2024-06-15", "2024/6/15", "2024.6.15", "20240615",
// "2024年6月15日" or an XLSX date cell ("2024-06-15 10:00:00": the time is dropped).
StatusOr<std::string> NormalizeDate(std::string_view cell);
// "YYYYMM" -> the month's last day, "YYYY-MM-DD" (leap years included).
std::string LastDayOfMonth(std::string_view yyyymm);

// A resident identity card number of the People's Republic of China (GB 11643-1999): 17
// digits, the first six an administrative-division code, the next eight a real birth date,
// then a check character (0-9 or X, a lowercase x accepted and returned uppercase) equal to
// the ISO 7064 MOD 11-2 check of the first 17.
StatusOr<std::string> NormalizeNationalIdCn(std::string_view cell);

}  // namespace lcb::formats
