#include "formats/cell_values.h"

#include <cstdio>
#include <vector>

#include "common/date.h"

namespace lcb::formats {
namespace {

constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000
constexpr std::string_view kNoBreakSpace = "\xC2\xA0";          // U+00A0
constexpr int kMinYear = 1900;
constexpr int kMaxYear = 9999;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

int ToInt(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

// Splits "2024-06-15", "2024/6/15", "2024.6.15", "2024年6月15日" into digit runs.
std::vector<std::string_view> DigitRuns(std::string_view s, bool* only_separators) {
  std::vector<std::string_view> runs;
  *only_separators = true;
  size_t i = 0;
  while (i < s.size()) {
    if (IsDigit(s[i])) {
      size_t j = i;
      while (j < s.size() && IsDigit(s[j])) ++j;
      runs.push_back(s.substr(i, j - i));
      i = j;
      continue;
    }
    std::string_view rest = s.substr(i);
    if (s[i] == '-' || s[i] == '/' || s[i] == '.') {
      ++i;
    } else if (rest.starts_with("\xE5\xB9\xB4") || rest.starts_with("\xE6\x9C\x88") ||
               rest.starts_with("\xE6\x97\xA5")) {  // 年 月 日
      i += 3;
    } else {
      *only_separators = false;
      return runs;
    }
  }
  return runs;
}

// "2024-06-15 10:00:00" -> "2024-06-15" (an XLSX date cell with a time of day).
std::string_view DropTime(std::string_view s) {
  const size_t space = s.find(' ');
  if (space != std::string_view::npos && space >= 8) {
    std::string_view time = s.substr(space + 1);
    if (time.size() >= 5 && time[2] == ':') return s.substr(0, space);
  }
  return s;
}

Status Bad(std::string reason) { return Status::InvalidArgument(Field(""), std::move(reason)); }

}  // namespace

std::string_view TrimCell(std::string_view s) {
  for (;;) {
    if (!s.empty() &&
        (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
      s.remove_prefix(1);
    } else if (s.starts_with(kIdeographicSpace)) {
      s.remove_prefix(kIdeographicSpace.size());
    } else if (s.starts_with(kNoBreakSpace)) {
      s.remove_prefix(kNoBreakSpace.size());
    } else {
      break;
    }
  }
  for (;;) {
    if (!s.empty() &&
        (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
      s.remove_suffix(1);
    } else if (s.ends_with(kIdeographicSpace)) {
      s.remove_suffix(kIdeographicSpace.size());
    } else if (s.ends_with(kNoBreakSpace)) {
      s.remove_suffix(kNoBreakSpace.size());
    } else {
      break;
    }
  }
  return s;
}

std::string HalfWidth(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    // U+FF01..U+FF5E is EF BC 81..EF BC BF and EF BD 80..EF BD 9E.
    if (b == 0xEF && i + 2 < s.size()) {
      const auto b1 = static_cast<unsigned char>(s[i + 1]);
      const auto b2 = static_cast<unsigned char>(s[i + 2]);
      const unsigned cp = 0xF000u | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
      if ((b1 == 0xBC || b1 == 0xBD) && cp >= 0xFF01 && cp <= 0xFF5E) {
        out.push_back(static_cast<char>(cp - 0xFF01 + 0x21));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

StatusOr<std::string> NormalizeDecimal(std::string_view cell) {
  const size_t dot = cell.find('.');
  const std::string_view whole = cell.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? "" : cell.substr(dot + 1);
  if (!AllDigits(whole) || (dot != std::string_view::npos && !AllDigits(frac)) ||
      whole.size() > 9) {
    if (cell.starts_with("-") && NormalizeDecimal(cell.substr(1)).ok()) {
      return Bad("\"" + std::string(cell) + "\" is negative (expected 0 or more)");
    }
    return Bad("\"" + std::string(cell) + "\" is not a number (expected e.g. 3 or 2.5)");
  }
  std::string_view kept = frac;
  while (!kept.empty() && kept.back() == '0') kept.remove_suffix(1);
  if (kept.size() > 2) {
    return Bad("\"" + std::string(cell) + "\" has more than two decimal places");
  }
  std::string out(whole);
  if (!kept.empty()) out += "." + std::string(kept);
  return out;
}

StatusOr<std::string> NormalizeInteger(std::string_view cell) {
  if (!AllDigits(cell) || cell.size() > 9) {
    return Bad("\"" + std::string(cell) + "\" is not a whole number");
  }
  return std::to_string(ToInt(cell));
}

StatusOr<std::string> NormalizeYear(std::string_view cell) {
  std::string_view s = DropTime(cell);
  if (s.size() >= 4 && AllDigits(s.substr(0, 4)) && (s.size() == 4 || s[4] == '-')) {
    const int year = ToInt(s.substr(0, 4));
    if (year >= kMinYear && year <= kMaxYear && (s.size() == 4 || NormalizeDate(s).ok())) {
      return std::string(s.substr(0, 4));
    }
  }
  return Bad("\"" + std::string(cell) + "\" is not a year (expected e.g. 2024)");
}

StatusOr<std::string> NormalizeYearMonth(std::string_view cell) {
  const std::string_view s = DropTime(cell);
  int year = 0, month = 0;
  bool separators = false;
  if (s.size() == 6 && AllDigits(s)) {
    year = ToInt(s.substr(0, 4));
    month = ToInt(s.substr(4, 2));
  } else if (auto date = NormalizeDate(s); date.ok()) {
    year = ToInt(std::string_view(*date).substr(0, 4));
    month = ToInt(std::string_view(*date).substr(5, 2));
  } else {
    auto runs = DigitRuns(s, &separators);
    if (separators && runs.size() == 2 && runs[0].size() == 4 && runs[1].size() <= 2) {
      year = ToInt(runs[0]);
      month = ToInt(runs[1]);
    }
  }
  if (year < kMinYear || year > kMaxYear || month < 1 || month > 12) {
    return Bad("\"" + std::string(cell) + "\" is not a month as YYYYMM (e.g. 202406)");
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04d%02d", year, month);
  return std::string(buf);
}

StatusOr<std::string> NormalizeDate(std::string_view cell) {
  const std::string_view s = DropTime(cell);
  int year = 0, month = 0, day = 0;
  bool separators = false;
  if (s.size() == 8 && AllDigits(s)) {
    year = ToInt(s.substr(0, 4));
    month = ToInt(s.substr(4, 2));
    day = ToInt(s.substr(6, 2));
  } else {
    auto runs = DigitRuns(s, &separators);
    if (separators && runs.size() == 3 && runs[0].size() == 4 && runs[1].size() <= 2 &&
        runs[2].size() <= 2) {
      year = ToInt(runs[0]);
      month = ToInt(runs[1]);
      day = ToInt(runs[2]);
    }
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  if (year < kMinYear || year > kMaxYear || !ParseDate(buf, "").ok()) {
    return Bad("\"" + std::string(cell) + "\" is not a date (expected e.g. 2024-06-30)");
  }
  return std::string(buf);
}

std::string LastDayOfMonth(std::string_view yyyymm) {
  int year = ToInt(yyyymm.substr(0, 4));
  int month = ToInt(yyyymm.substr(4, 2));
  // The day before the first of the next month.
  const int next_year = month == 12 ? year + 1 : year;
  const int next_month = month == 12 ? 1 : month + 1;
  return FormatDate(DaysFromCivil({next_year, next_month, 1}) - 1);
}

StatusOr<std::string> NormalizeNationalIdCn(std::string_view cell) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  std::string id(cell);
  if (!id.empty() && id.back() == 'x') id.back() = 'X';
  if (id.size() != 18 || !AllDigits(std::string_view(id).substr(0, 17)) ||
      !(IsDigit(id[17]) || id[17] == 'X')) {
    std::string hint = id.find_first_of("Ee+") != std::string::npos
                           ? " (Excel stored it as a number and lost digits: format the "
                             "column as text)"
                           : "";
    return Bad("is not an 18-character resident identity number" + hint);
  }
  char birth[16];
  std::snprintf(birth, sizeof birth, "%.4s-%.2s-%.2s", id.c_str() + 6, id.c_str() + 10,
                id.c_str() + 12);
  if (!ParseDate(birth, "").ok() || ToInt(std::string_view(id).substr(6, 4)) < kMinYear) {
    return Bad("has no valid birth date in digits 7-14");
  }
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  if (kCheck[sum % 11] != id[17]) return Bad("fails its check digit (GB 11643): mistyped?");
  return id;
}

}  // namespace lcb::formats
