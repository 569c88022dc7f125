#include "formats/excel_values.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/date.h"

namespace lcb::formats {
namespace {

constexpr double kMaxSerial = 2958466.0;  // 10000-01-01 in the 1900 system
constexpr double kWholeLimit = 1e15;      // Excel's 15 significant digits
constexpr int kSecondsPerDay = 86400;

bool IsBuiltinDate(int id) {
  return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
         (id >= 50 && id <= 58);
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool IsDateFormat(int id, std::string_view code) {
  if (IsBuiltinDate(id)) return true;
  if (code.empty()) return false;
  std::string lower;
  for (char c : code) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "general" || lower == "@") return false;
  // Look for date/time tokens outside "quoted text", \-escapes, _x/*x padding and [..]
  // sections ([Red], [$-804]); [h], [m], [s] (elapsed time) count as time.
  for (size_t i = 0; i < lower.size(); ++i) {
    const char c = lower[i];
    if (c == '"') {
      const size_t close = lower.find('"', i + 1);
      if (close == std::string::npos) return false;
      i = close;
    } else if (c == '\\' || c == '_' || c == '*') {
      ++i;
    } else if (c == '[') {
      const size_t close = lower.find(']', i + 1);
      if (close == std::string::npos) return false;
      const std::string_view inner = std::string_view(lower).substr(i + 1, close - i - 1);
      if (!inner.empty() && inner.find_first_not_of("hms") == std::string_view::npos) return true;
      i = close;
    } else if (c == 'y' || c == 'm' || c == 'd' || c == 'h' || c == 's') {
      return true;
    }
  }
  // Unquoted 年/月/日 (some Chinese formats write them bare).
  return code.find("\xE5\xB9\xB4") != std::string_view::npos ||  // 年
         code.find("\xE6\x9C\x88") != std::string_view::npos ||  // 月
         code.find("\xE6\x97\xA5") != std::string_view::npos;    // 日
}

std::string FormatExcelNumber(std::string_view stored) {
  double value = 0;
  const char* first = stored.data();
  const char* last = stored.data() + stored.size();
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || !std::isfinite(value)) return std::string(stored);
  char buf[40];
  if (value == std::floor(value) && std::fabs(value) < kWholeLimit) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
    if (std::string_view(buf) == "-0") return "0";
    return buf;
  }
  // 15 significant digits, trailing zeros dropped; an exponent only for very large or small
  // magnitudes ("1.1010119900307E+17"), as Excel's General format shows them.
  std::snprintf(buf, sizeof buf, "%.15G", value);
  return buf;
}

std::optional<std::string> ExcelSerialToText(double serial, bool date1904) {
  if (!std::isfinite(serial) || serial < 0 || serial >= kMaxSerial) return std::nullopt;
  double whole = std::floor(serial);
  long long seconds = std::llround((serial - whole) * kSecondsPerDay);
  if (seconds >= kSecondsPerDay) {
    whole += 1;
    seconds -= kSecondsPerDay;
  }
  const long long days = static_cast<long long>(whole);
  std::string date;
  if (date1904) {
    date = FormatDate(static_cast<Days>(DaysFromCivil({1904, 1, 1}) + days));
  } else if (days == 0) {
    date = "1900-01-00";
  } else if (days == 60) {
    date = "1900-02-29";
  } else if (days < 60) {
    date = FormatDate(static_cast<Days>(DaysFromCivil({1899, 12, 31}) + days));
  } else {
    date = FormatDate(static_cast<Days>(DaysFromCivil({1899, 12, 30}) + days));
  }
  if (date.size() != 10) return std::nullopt;  // past year 9999
  if (seconds == 0) return date;
  const int secs = static_cast<int>(seconds);  // 0..86399
  char buf[24];
  std::snprintf(buf, sizeof buf, " %02d:%02d:%02d", secs / 3600, secs / 60 % 60, secs % 60);
  return date + buf;
}

std::string DecodeXstring(std::string_view text) {
  if (text.find("_x") == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_' && i + 6 < text.size() && text[i + 1] == 'x' && text[i + 6] == '_') {
      uint32_t cp = 0;
      bool hex = true;
      for (size_t k = 2; k < 6; ++k) {
        const int d = HexDigit(text[i + k]);
        if (d < 0) {
          hex = false;
          break;
        }
        cp = cp * 16 + static_cast<uint32_t>(d);
      }
      if (hex && (cp < 0xD800 || cp > 0xDFFF)) {
        AppendUtf8(cp, &out);
        i += 6;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace lcb::formats
