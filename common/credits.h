// Credits are exact decimals with at most two fractional digits, held as integer hundredths
// (7.5 credits == 750). Never floats in storage or in the solver.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lcb {

using Centi = int64_t;  // hundredths of a credit

constexpr Centi kCentiPerCredit = 100;
// Largest credit value accepted from input (one million credits); keeps sums far from overflow.
constexpr Centi kMaxCenti = 1'000'000 * kCentiPerCredit;

// Converts a JSON number to hundredths. Rejects NaN, negatives, more than two fractional
// digits and values above kMaxCenti. `pointer` names the field in the error.
StatusOr<Centi> CentiFromDouble(double value, std::string_view pointer);
// Parses "7.5", "4", "12.25" (no exponent, no sign).
StatusOr<Centi> CentiFromString(std::string_view text, std::string_view pointer);
// 750 -> 7.5 as a double suitable for JSON output (exact for two decimals after rounding).
inline double CentiToDouble(Centi c) { return static_cast<double>(c) / kCentiPerCredit; }
// 750 -> "7.5", 400 -> "4", 1225 -> "12.25".
std::string CentiToString(Centi c);

}  // namespace lcb
