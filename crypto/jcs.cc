#include "crypto/jcs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "crypto/internal/utf8.h"

namespace lcb {
namespace {

using Json = nlohmann::json;

// Sort key of a code point such that comparing keys compares UTF-16 code-unit sequences: a
// BMP character is its one unit; a supplementary one is (high surrogate, low surrogate).
uint32_t Utf16Key(uint32_t cp) {
  if (cp < 0x10000) return cp << 16;
  const uint32_t v = cp - 0x10000;
  return ((0xD800 + (v >> 10)) << 16) | (0xDC00 + (v & 0x3FF));
}

bool IsContinuation(char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; }

// a < b in UTF-16 code-unit order, for valid UTF-8 strings.
bool Utf16Less(std::string_view a, std::string_view b) {
  auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (ib == b.end()) return false;  // b is a prefix of a (or equal)
  if (ia == a.end()) return true;   // a is a proper prefix of b
  // Both strings share every byte before the mismatch, so the code points containing it
  // start at the same offset.
  size_t pos = static_cast<size_t>(ia - a.begin());
  while (pos > 0 && IsContinuation(a[pos])) --pos;
  size_t pa = pos;
  size_t pb = pos;
  uint32_t ca = 0;
  uint32_t cb = 0;
  internal::NextCodePoint(a, &pa, &ca);
  internal::NextCodePoint(b, &pb, &cb);
  return Utf16Key(ca) < Utf16Key(cb);
}

Status AppendString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t pos = 0;
  while (pos < s.size()) {
    // Runs of printable ASCII other than '"' and '\\' are copied as they are, in one append.
    size_t run = pos;
    while (run < s.size()) {
      const unsigned char c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
      ++run;
    }
    if (run > pos) {
      out->append(s.data() + pos, run - pos);
      pos = run;
      continue;
    }
    const size_t start = pos;
    uint32_t cp;
    if (!internal::NextCodePoint(s, &pos, &cp)) {
      return Status::InvalidArgument(Field(""), "string is not valid UTF-8");
    }
    switch (cp) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (cp < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[cp >> 4]);
          out->push_back(kHex[cp & 0xF]);
        } else {
          out->append(s.substr(start, pos - start));
        }
    }
  }
  out->push_back('"');
  return Status::Ok();
}

// ECMAScript Number::toString(v) for finite v (ECMA-262 §6.1.6.1.20; RFC 8785 §3.2.2.3).
void AppendDouble(double v, std::string* out) {
  if (v == 0) {  // +0 and -0 both print as "0"
    out->push_back('0');
    return;
  }
  if (v < 0) {
    out->push_back('-');
    v = -v;
  }
  // Shortest digits that round-trip, nearest to v on ties: exactly the s and k of the spec.
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));  // "d[.ddd]e±XX"
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  const int exp10 = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // v = 0.digits × 10^n

  if (k <= n && n <= 21) {
    out->append(digits);
    out->append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out->append(digits, 0, static_cast<size_t>(n));
    out->push_back('.');
    out->append(digits, static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-n), '0');
    out->append(digits);
  } else {
    out->push_back(digits[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(digits, 1);
    }
    out->push_back('e');
    out->push_back(n - 1 < 0 ? '-' : '+');
    out->append(std::to_string(std::abs(n - 1)));
  }
}

// RFC 6901 escaping of one reference token.
std::string PointerToken(std::string_view key) { return "/" + JsonPointerEscape(key); }

Status Serialize(const Json& v, int depth, std::string* out) {
  switch (v.type()) {
    case Json::value_t::null:
      out->append("null");
      return Status::Ok();
    case Json::value_t::boolean:
      out->append(v.get<bool>() ? "true" : "false");
      return Status::Ok();
    case Json::value_t::number_integer:
      out->append(std::to_string(v.get<int64_t>()));
      return Status::Ok();
    case Json::value_t::number_unsigned:
      out->append(std::to_string(v.get<uint64_t>()));
      return Status::Ok();
    case Json::value_t::number_float: {
      const double d = v.get<double>();
      if (!std::isfinite(d)) {
        return Status::InvalidArgument(Field(""),
                                       "number is not finite (NaN, Infinity or out of range)");
      }
      AppendDouble(d, out);
      return Status::Ok();
    }
    case Json::value_t::string:
      return AppendString(v.get_ref<const std::string&>(), out);
    case Json::value_t::array: {
      if (depth >= kMaxJcsDepth) {
        return Status::InvalidArgument(Field(""),
                                       "nested deeper than " + std::to_string(kMaxJcsDepth));
      }
      out->push_back('[');
      size_t index = 0;
      for (const Json& item : v) {
        if (index > 0) out->push_back(',');
        Status s = Serialize(item, depth + 1, out);
        if (!s.ok()) return s.WithPointerPrefix("/" + std::to_string(index));
        ++index;
      }
      out->push_back(']');
      return Status::Ok();
    }
    case Json::value_t::object: {
      if (depth >= kMaxJcsDepth) {
        return Status::InvalidArgument(Field(""),
                                       "nested deeper than " + std::to_string(kMaxJcsDepth));
      }
      std::vector<std::pair<std::string_view, const Json*>> members;
      members.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string& key = it.key();
        if (!internal::IsValidUtf8(key)) {
          return Status::InvalidArgument(Field(PointerToken(key)),
                                         "member name is not valid UTF-8");
        }
        members.emplace_back(key, &it.value());
      }
      // nlohmann's std::map order is UTF-8 byte order, which is UTF-16 order unless a name
      // holds characters above U+FFFF; re-sort to be exact.
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return Utf16Less(a.first, b.first); });
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : members) {
        if (!first) out->push_back(',');
        first = false;
        Status s = AppendString(key, out);
        if (s.ok()) {
          out->push_back(':');
          s = Serialize(*value, depth + 1, out);
        }
        if (!s.ok()) return s.WithPointerPrefix(PointerToken(key));
      }
      out->push_back('}');
      return Status::Ok();
    }
    case Json::value_t::binary:
      return Status::InvalidArgument(Field(""), "binary values have no JSON form");
    case Json::value_t::discarded:
      return Status::InvalidArgument(Field(""), "discarded value (failed parse)");
  }
  return Status::InvalidArgument(Field(""), "unknown JSON value type");
}

}  // namespace

Status JcsAppendString(std::string_view s, std::string* out) { return AppendString(s, out); }
void JcsAppendDouble(double v, std::string* out) { AppendDouble(v, out); }

StatusOr<std::string> CanonicalJson(const nlohmann::json& value) {
  std::string out;
  LCB_RETURN_IF_ERROR(Serialize(value, 0, &out));
  return out;
}

}  // namespace lcb
