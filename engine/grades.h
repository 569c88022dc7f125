// Grade scales: how a posted grade ("85", "优秀", "A", "3.7") becomes the normalized 0..100
// value that conversion rules compare against (`min_grade`).
//
// Built-in scales (DESIGN.md "Grade scales"):
//
//   percent    numeric 0..100, up to 2 decimals, normalized = value rounded half up
//              ("59.5" -> 60); pass >= 60
//   five_level 优秀 95, 良好 85, 中等 75, 及格 65, 不及格 0; English aliases excellent, good,
//              medium, pass, fail; pass >= 65 (及格)
//   letter     A 95, B 85, C 75, D 65, F 0 (no +/- variants); pass >= 65 (D)
//   gpa4       numeric 0..4, up to 2 decimals, normalized = value x 25 rounded half up
//              ("3.7" -> 93); pass >= 25 (1.0, the lowest passing GPA in both the US D grade
//              and the usual Chinese 60 -> 1.0 mapping)
//   ects       A 95, B 85, C 75, D 68, E 62 (all pass); FX 30, F 0 (fail); pass >= 62 (E).
//              ECTS grades are relative (top 10 %, next 25 %, ...), so these are
//              representative points inside each band, not a percentage conversion.
//   pass_fail  pass 60, fail 0; pass >= 60
//
// Symbols match ASCII-case-insensitively ("a" is A, "Fx" is FX, "PASS" is pass); non-ASCII
// bytes (Chinese symbols) match exactly. No whitespace is trimmed. Numeric values are plain
// decimals: digits, optionally '.' and up to `decimals` fractional digits (further trailing
// zeros are allowed: "85.500"); no sign, exponent or leading '.'.
//
// Rounding to the normalized integer is deliberate: a 59.5 in `percent` normalizes to 60 and
// passes, because rules and IsPassing() only ever see the normalized value.
//
// Thread safety: const methods may run concurrently; Register() needs exclusive access.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace lcb {

// A numeric scale. Bounds and factor are in hundredths so that every computation is exact:
// normalized = round_half_up(value * factor), value and factor read as decimals.
struct NumericScale {
  int64_t min = 0;       // hundredths of a scale point; >= 0
  int64_t max = 0;       // hundredths of a scale point; > min
  int64_t factor = 100;  // hundredths: 100 = x1, 2500 = x25; max * factor must be <= 100
  int decimals = 2;      // fractional digits accepted, 0..2
};

// A symbolic scale: symbol -> normalized value, in the order shown in error messages.
struct SymbolicScale {
  std::vector<std::pair<std::string, int>> symbols;
};

struct GradeScale {
  std::string id;  // [a-z0-9][a-z0-9_-]{0,63}
  std::variant<NumericScale, SymbolicScale> kind;
  int pass_value = 60;  // normalized threshold: passing iff normalized >= pass_value
};

class GradeScales {
 public:
  // Limits for registered scales.
  static constexpr size_t kMaxSymbols = 64;
  static constexpr size_t kMaxSymbolBytes = 64;
  static constexpr int64_t kMaxNumericBound = 1'000'000 * 100;  // in hundredths

  // Starts with the built-in scales above.
  GradeScales();

  // Adds a scale. Errors are kInvalidArgument with a pointer into the scale as api/ maps it
  // to JSON: "/id", "/pass_value", "/min", "/max", "/factor", "/decimals", "/symbols" (none or
  // too many) and "/symbols/<name>" (RFC 6901-escaped) for a bad symbol or its value;
  // kAlreadyExists at "/id" when the id is taken (built-ins cannot be replaced).
  Status Register(GradeScale scale);

  // Normalizes `value` in `scale` to 0..100. Errors are kInvalidArgument at "/grade/scale"
  // (unknown scale; the message lists the known ones) or "/grade/value" (not a value of the
  // scale; the message lists the allowed symbols or the numeric range).
  StatusOr<int> Normalize(std::string_view scale, std::string_view value) const;

  // True when `normalized` reaches the scale's pass value; false for an unknown scale.
  bool IsPassing(std::string_view scale, int normalized) const;

  // nullptr when unknown. The pointer stays valid until the next Register().
  const GradeScale* Find(std::string_view id) const;
  // Registered ids in ascending order.
  std::vector<std::string> Ids() const;

 private:
  std::map<std::string, GradeScale, std::less<>> scales_;
};

// Validates a scale definition without registering it (used by Register and by api/ to
// check a PUT body before storing it).
Status ValidateGradeScale(const GradeScale& scale);

}  // namespace lcb
