#include "common/credits.h"

#include <cmath>

namespace lcb {

StatusOr<Centi> CentiFromDouble(double value, std::string_view pointer) {
  if (!std::isfinite(value))
    return Status::InvalidArgument(Field(std::string(pointer)), "must be a finite number");
  if (value < 0)
    return Status::InvalidArgument(Field(std::string(pointer)), "must not be negative");
  double scaled = value * kCentiPerCredit;
  double rounded = std::round(scaled);
  if (std::fabs(scaled - rounded) > 1e-6 * std::max(1.0, std::fabs(scaled))) {
    return Status::InvalidArgument(Field(std::string(pointer)),
                                   "at most two fractional digits allowed");
  }
  if (rounded > static_cast<double>(kMaxCenti)) {
    return Status::InvalidArgument(Field(std::string(pointer)), "too large");
  }
  return static_cast<Centi>(rounded);
}

StatusOr<Centi> CentiFromString(std::string_view text, std::string_view pointer) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument(Field(std::string(pointer)), why);
  };
  if (text.empty()) return bad("empty number");
  Centi whole = 0;
  size_t i = 0;
  bool digits = false;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    whole = whole * 10 + (text[i] - '0');
    digits = true;
    if (whole > kMaxCenti / kCentiPerCredit) return bad("too large");
  }
  Centi frac = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int n = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++n) {
      if (n >= 2) {
        if (text[i] != '0') return bad("at most two fractional digits allowed");
        continue;
      }
      frac = frac * 10 + (text[i] - '0');
      digits = true;
    }
    if (n == 1) frac *= 10;
    if (n == 0) return bad("expected digits after '.'");
  }
  if (!digits || i != text.size()) return bad("not a decimal number");
  return whole * kCentiPerCredit + frac;
}

std::string CentiToString(Centi c) {
  std::string out = c < 0 ? "-" : "";
  Centi a = c < 0 ? -c : c;
  out += std::to_string(a / kCentiPerCredit);
  Centi frac = a % kCentiPerCredit;
  if (frac != 0) {
    out += '.';
    out += static_cast<char>('0' + frac / 10);
    if (frac % 10 != 0) out += static_cast<char>('0' + frac % 10);
  }
  return out;
}

}  // namespace lcb
