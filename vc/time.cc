#include "vc/time.h"

#include <cstdio>

namespace lcb::vc {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

StatusOr<UnixSeconds> ParseDateTimeStamp(std::string_view t, std::string_view pointer) {
  const auto bad = [&] {
    return Status::InvalidArgument(
        Field(std::string(pointer)),
        "must be a date-time with a time zone, e.g. 2024-12-20T00:00:00Z");
  };
  int year, month, day, hour, minute, second;
  if (t.size() < 20 || !Digits(t, 0, 4, &year) || t[4] != '-' || !Digits(t, 5, 2, &month) ||
      t[7] != '-' || !Digits(t, 8, 2, &day) || t[10] != 'T' || !Digits(t, 11, 2, &hour) ||
      t[13] != ':' || !Digits(t, 14, 2, &minute) || t[16] != ':' || !Digits(t, 17, 2, &second)) {
    return bad();
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return bad();
  }
  size_t pos = 19;
  if (pos < t.size() && t[pos] == '.') {
    const size_t start = ++pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
    if (pos == start) return bad();
  }
  int offset_minutes = 0;
  if (pos < t.size() && t[pos] == 'Z') {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int oh, om;
    if (!Digits(t, pos + 1, 2, &oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !Digits(t, pos + 4, 2, &om) || oh > 14 || om > 59 || (oh == 14 && om != 0)) {
      return bad();
    }
    offset_minutes = (oh * 60 + om) * (t[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != t.size()) return bad();
  const int64_t days = DaysFromCivil(CivilDate{year, month, day});
  return days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
}

std::string FormatDateTime(UnixSeconds t) {
  int64_t days = t / 86400;
  int64_t rem = t % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const CivilDate d = CivilFromDays(static_cast<Days>(days));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", d.year, d.month, d.day,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  return buf;
}

std::string StartOfDay(Days day) { return FormatDateTime(static_cast<UnixSeconds>(day) * 86400); }

UnixSeconds NowSeconds() { return NowMillis() / 1000; }

}  // namespace lcb::vc
