#include "engine/regions.h"

#include <algorithm>

namespace lcb {
namespace {

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ValidProvince(std::string_view two) {
  const int p = (two[0] - '0') * 10 + (two[1] - '0');
  return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
         (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
         p == 81 || p == 82;
}

}  // namespace

bool IsRegionCode(std::string_view code) {
  return code.size() == 6 && AllDigits(code) && ValidProvince(code.substr(0, 2));
}

Status ValidateRegionCode(std::string_view code, const std::string& pointer) {
  if (IsRegionCode(code)) return Status::Ok();
  return Status::InvalidArgument(Field(pointer),
                                 "must be a six-digit GB/T 2260 region code (e.g. 310101) whose "
                                 "first two digits name a province");
}

bool IsRegionPrefix(std::string_view prefix) {
  return (prefix.size() == 2 || prefix.size() == 4 || prefix.size() == 6) && AllDigits(prefix) &&
         ValidProvince(prefix.substr(0, 2));
}

std::string RegionPrefixOf(std::string_view prefix) {
  if (prefix.size() == 6 && prefix.ends_with("00")) {
    prefix = prefix.substr(0, prefix.ends_with("0000") ? 2 : 4);
  }
  return std::string(prefix);
}

int RegionDigits(RegionLevel level) {
  switch (level) {
    case RegionLevel::kProvince:
      return 2;
    case RegionLevel::kCity:
      return 4;
    case RegionLevel::kCounty:
      return 6;
  }
  return 6;
}

std::string RegionAt(std::string_view code, RegionLevel level) {
  std::string out(code.substr(0, RegionDigits(level)));
  out.resize(6, '0');
  return out;
}

std::string_view RegionLevelName(RegionLevel level) {
  return level == RegionLevel::kProvince ? "province"
         : level == RegionLevel::kCity   ? "city"
                                         : "county";
}

bool ParseRegionLevel(std::string_view name, RegionLevel* out) {
  if (name == "province") {
    *out = RegionLevel::kProvince;
  } else if (name == "city") {
    *out = RegionLevel::kCity;
  } else if (name == "county") {
    *out = RegionLevel::kCounty;
  } else {
    return false;
  }
  return true;
}

}  // namespace lcb
