// How a spreadsheet cell's stored value becomes the text a registrar sees in Excel or WPS.
//
//   - Numbers are stored as IEEE doubles written out in full ("2.1000000000000001"); Excel shows
//     at most 15 significant digits, so that is what they become ("2.1"); whole numbers below
//     10^15 have no decimal point ("202406").
//   - Dates are numbers (days) shown through a date number format. Two systems (ECMA-376 Part
//     1, 18.17.4.1): the 1900 system, serial 1 = 1900-01-01, which keeps Lotus 1-2-3's leap-year
//     bug (serial 60 is the nonexistent 1900-02-29, so from serial 61 = 1900-03-01 on, a date is
//     1899-12-30 + serial), and the 1904 system (workbookPr date1904), serial 0 = 1904-01-01.
//     A date becomes "YYYY-MM-DD", with " HH:MM:SS" when it has a time of day.
//   - Strings may hold "_xHHHH_" escapes (ST_Xstring) for characters XML cannot carry.
//
// Thread-safe: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lcb::formats {

// Whether number format `id` (built in, ECMA-376 Part 1, 18.8.30, including the East Asian
// date formats 27-36 and 50-58) or custom `format_code` shows a date or a time.
bool IsDateFormat(int id, std::string_view format_code);

// "92" -> "92", "2.1000000000000001" -> "2.1", "1E-3" -> "0.001", "110101199003070000" ->
// "1.1010119900307E+17" (as Excel shows a number it cannot hold exactly). Text that is not a
// number is returned unchanged.
std::string FormatExcelNumber(std::string_view stored);

// Serial `serial` in the 1900 or 1904 date system as "YYYY-MM-DD[ HH:MM:SS]"; nullopt when it
// is negative or past 9999-12-31. 1900 system: 0 -> "1900-01-00" and 60 -> "1900-02-29", as
// Excel shows them (neither is a real day; date checks later reject both).
std::optional<std::string> ExcelSerialToText(double serial, bool date1904);

// Undoes "_xHHHH_" escapes ("_x000D_" -> CR; "_x005F_" -> "_").
std::string DecodeXstring(std::string_view text);

}  // namespace lcb::formats
