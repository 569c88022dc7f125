#include "engine/grades.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <set>

#include "common/credits.h"
#include "engine/catalog_validation.h"

namespace lcb {
namespace {

constexpr size_t kMaxEchoedBytes = 32;  // longer bad values are not quoted back

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsAsciiCaseInsensitive(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string AsciiLowerString(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool IsScaleId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok(id[0])) return false;
  return std::all_of(id.begin(), id.end(), [&](char c) { return ok(c) || c == '_' || c == '-'; });
}

// "85.5" -> 8550 with at most `decimals` significant fractional digits (extra trailing zeros
// allowed); nullopt for anything else or values beyond `limit` hundredths.
std::optional<int64_t> ParseHundredths(std::string_view text, int decimals, int64_t limit) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  int64_t whole = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    whole = whole * 10 + (text[i] - '0');
    if (whole * 100 > limit) return std::nullopt;
  }
  int64_t frac = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int n = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++n) {
      if (n >= decimals) {
        if (text[i] != '0') return std::nullopt;
        continue;
      }
      frac = frac * 10 + (text[i] - '0');
    }
    if (n == 0) return std::nullopt;
    for (int k = std::min(n, decimals); k < 2; ++k) frac *= 10;
  }
  if (i != text.size()) return std::nullopt;
  return whole * 100 + frac;
}

// value and factor in hundredths; the product in ten-thousandths, rounded half up.
int NormalizeNumeric(const NumericScale& s, int64_t value) {
  return static_cast<int>((value * s.factor + 5000) / 10000);
}

std::string ValueError(std::string_view scale, std::string_view value, std::string allowed) {
  std::string msg;
  if (!value.empty() && value.size() <= kMaxEchoedBytes &&
      ValidateText(value, "", kMaxEchoedBytes).ok()) {
    msg = "\"" + std::string(value) + "\" is not a grade of scale " + std::string(scale);
  } else if (value.empty()) {
    msg = "is required for scale " + std::string(scale);
  } else {
    msg = "is not a grade of scale " + std::string(scale);
  }
  return msg + "; allowed: " + allowed;
}

std::string DescribeAllowed(const GradeScale& scale) {
  if (const auto* num = std::get_if<NumericScale>(&scale.kind)) {
    std::string out = "a number from " + CentiToString(num->min) + " to " + CentiToString(num->max);
    if (num->decimals == 0) return out + " without decimals";
    return out + " with at most " + std::to_string(num->decimals) + " decimal" +
           (num->decimals == 1 ? "" : "s");
  }
  std::string out;
  for (const auto& [symbol, value] : std::get<SymbolicScale>(scale.kind).symbols) {
    if (!out.empty()) out += ", ";
    out += symbol;
  }
  return out;
}

GradeScale Symbolic(std::string id, std::vector<std::pair<std::string, int>> symbols,
                    int pass_value) {
  return GradeScale{std::move(id), SymbolicScale{std::move(symbols)}, pass_value};
}

}  // namespace

Status ValidateGradeScale(const GradeScale& scale) {
  if (!IsScaleId(scale.id)) {
    return Status::InvalidArgument(Field("/id"),
                                   "must be 1 to 64 of a-z 0-9 _ -, starting with a "
                                   "letter or digit");
  }
  if (scale.pass_value < 0 || scale.pass_value > 100) {
    return Status::InvalidArgument(Field("/pass_value"), "must be from 0 to 100");
  }
  if (const auto* num = std::get_if<NumericScale>(&scale.kind)) {
    if (num->decimals < 0 || num->decimals > 2) {
      return Status::InvalidArgument(Field("/decimals"), "must be 0, 1 or 2");
    }
    if (num->min < 0 || num->min > GradeScales::kMaxNumericBound) {
      return Status::InvalidArgument(Field("/min"), "must be from 0 to 1000000");
    }
    if (num->max <= num->min || num->max > GradeScales::kMaxNumericBound) {
      return Status::InvalidArgument(Field("/max"), "must be more than min and at most 1000000");
    }
    const int64_t step = num->decimals == 2 ? 1 : num->decimals == 1 ? 10 : 100;
    if (num->min % step != 0) {
      return Status::InvalidArgument(Field("/min"), "has more decimals than the scale allows");
    }
    if (num->max % step != 0) {
      return Status::InvalidArgument(Field("/max"), "has more decimals than the scale allows");
    }
    if (num->factor <= 0 || num->factor > 100 * 100 * 100) {
      return Status::InvalidArgument(Field("/factor"), "must be more than 0 and at most 10000");
    }
    if (NormalizeNumeric(*num, num->max) > 100) {
      return Status::InvalidArgument(Field("/factor"), "max x factor must not exceed 100");
    }
    return Status::Ok();
  }
  const auto& symbols = std::get<SymbolicScale>(scale.kind).symbols;
  if (symbols.empty() || symbols.size() > GradeScales::kMaxSymbols) {
    return Status::InvalidArgument(Field("/symbols"), "must have 1 to 64 symbols");
  }
  std::set<std::string> seen;
  for (const auto& [symbol, value] : symbols) {
    const std::string pointer = "/symbols/" + JsonPointerEscape(symbol);
    LCB_RETURN_IF_ERROR(ValidateText(symbol, pointer, GradeScales::kMaxSymbolBytes));
    if (symbol.size() > GradeScales::kMaxSymbolBytes) {
      return Status::InvalidArgument(Field(pointer), "symbol longer than 64 bytes");
    }
    if (symbol.front() == ' ' || symbol.back() == ' ') {
      return Status::InvalidArgument(Field(pointer), "symbol must not start or end with a space");
    }
    if (!seen.insert(AsciiLowerString(symbol)).second) {
      return Status::InvalidArgument(Field(pointer),
                                     "duplicate symbol (symbols match ignoring case)");
    }
    if (value < 0 || value > 100) {
      return Status::InvalidArgument(Field(pointer), "value must be from 0 to 100");
    }
  }
  return Status::Ok();
}

GradeScales::GradeScales() {
  const GradeScale builtins[] = {
      GradeScale{"percent", NumericScale{0, 100 * 100, 100, 2}, 60},
      Symbolic("five_level",
               {{"优秀", 95},
                {"良好", 85},
                {"中等", 75},
                {"及格", 65},
                {"不及格", 0},
                {"excellent", 95},
                {"good", 85},
                {"medium", 75},
                {"pass", 65},
                {"fail", 0}},
               65),
      Symbolic("letter", {{"A", 95}, {"B", 85}, {"C", 75}, {"D", 65}, {"F", 0}}, 65),
      GradeScale{"gpa4", NumericScale{0, 4 * 100, 25 * 100, 2}, 25},
      Symbolic("ects",
               {{"A", 95}, {"B", 85}, {"C", 75}, {"D", 68}, {"E", 62}, {"FX", 30}, {"F", 0}}, 62),
      Symbolic("pass_fail", {{"pass", 60}, {"fail", 0}}, 60),
  };
  for (const GradeScale& scale : builtins) {
    Status s = Register(scale);
    assert(s.ok());
    (void)s;
  }
}

Status GradeScales::Register(GradeScale scale) {
  LCB_RETURN_IF_ERROR(ValidateGradeScale(scale));
  if (scales_.count(scale.id) != 0) {
    return Status::AlreadyExists(Field("/id"), "grade scale \"" + scale.id + "\" already exists");
  }
  std::string id = scale.id;
  scales_.emplace(std::move(id), std::move(scale));
  return Status::Ok();
}

const GradeScale* GradeScales::Find(std::string_view id) const {
  auto it = scales_.find(id);
  return it == scales_.end() ? nullptr : &it->second;
}

std::vector<std::string> GradeScales::Ids() const {
  std::vector<std::string> ids;
  ids.reserve(scales_.size());
  for (const auto& [id, scale] : scales_) ids.push_back(id);
  return ids;
}

StatusOr<int> GradeScales::Normalize(std::string_view scale_id, std::string_view value) const {
  const GradeScale* scale = Find(scale_id);
  if (scale == nullptr) {
    std::string known;
    for (const auto& [id, s] : scales_) {
      if (!known.empty()) known += ", ";
      known += id;
    }
    std::string msg = scale_id.empty() ? "is required" : "unknown grade scale";
    if (!scale_id.empty() && scale_id.size() <= kMaxEchoedBytes &&
        ValidateText(scale_id, "", kMaxEchoedBytes).ok()) {
      msg += " \"" + std::string(scale_id) + "\"";
    }
    return Status::InvalidArgument(Field("/grade/scale"), msg + "; known scales: " + known);
  }
  if (const auto* num = std::get_if<NumericScale>(&scale->kind)) {
    std::optional<int64_t> v = ParseHundredths(value, num->decimals, num->max);
    if (v && *v >= num->min && *v <= num->max) return NormalizeNumeric(*num, *v);
  } else {
    for (const auto& [symbol, normalized] : std::get<SymbolicScale>(scale->kind).symbols) {
      if (EqualsAsciiCaseInsensitive(symbol, value)) return normalized;
    }
  }
  return Status::InvalidArgument(Field("/grade/value"),
                                 ValueError(scale->id, value, DescribeAllowed(*scale)));
}

bool GradeScales::IsPassing(std::string_view scale_id, int normalized) const {
  const GradeScale* scale = Find(scale_id);
  return scale != nullptr && normalized >= scale->pass_value;
}

}  // namespace lcb
