// GB/T 2260 administrative division codes (中华人民共和国行政区划代码): six digits, PPCCDD =
// province, city (prefecture), county. A province's own code ends in "0000", a city's in "00".
// The province part must be one of the codes the standard assigns (11–15, 21–23, 31–37, 41–46,
// 50–54, 61–65, 71 Taiwan, 81 Hong Kong, 82 Macao). Whether a city or county code is currently
// assigned is not checked (the table changes every year; the bank keeps what it is given).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace lcb {

enum class RegionLevel { kProvince, kCity, kCounty };

// Whether `code` is a six-digit GB/T 2260 code with a valid province part.
bool IsRegionCode(std::string_view code);
// InvalidArgument at `pointer` unless IsRegionCode(code).
Status ValidateRegionCode(std::string_view code, const std::string& pointer);

// A region prefix: 2, 4 or 6 digits whose province part is valid ("31", "3101", "310101").
bool IsRegionPrefix(std::string_view prefix);

// The prefix a region prefix stands for: a province's or a city's own six-digit code (310000,
// 310100) is its prefix (31, 3101), every county under it; anything else is itself.
std::string RegionPrefixOf(std::string_view prefix);

// The significant digits of a level: 2, 4, 6.
int RegionDigits(RegionLevel level);
// `code` (six digits) at `level`, zero-padded: 310101 at city -> 310100.
std::string RegionAt(std::string_view code, RegionLevel level);
// "province", "city", "county".
bool ParseRegionLevel(std::string_view name, RegionLevel* out);
// The name ParseRegionLevel reads.
std::string_view RegionLevelName(RegionLevel level);

}  // namespace lcb
