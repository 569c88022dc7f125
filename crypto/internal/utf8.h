// Private to crypto/: strict UTF-8 decoding (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), shared by the signed-note parser and the JCS serializer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lcb::internal {

// Decodes the code point starting at s[*pos] and advances *pos past it. Returns false (and
// leaves *pos unspecified) for an ill-formed or truncated sequence.
inline bool NextCodePoint(std::string_view s, size_t* pos, uint32_t* cp) {
  const size_t i = *pos;
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) {
    *cp = b0;
    *pos = i + 1;
    return true;
  }
  size_t len;
  uint32_t min;
  uint32_t v;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, v = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, v = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, v = b0 & 0x07;
  } else {
    return false;
  }
  if (s.size() - i < len) return false;
  for (size_t k = 1; k < len; ++k) {
    const uint8_t b = byte(k);
    if ((b & 0xC0) != 0x80) return false;
    v = (v << 6) | (b & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
  *cp = v;
  *pos = i + len;
  return true;
}

inline bool IsValidUtf8(std::string_view s) {
  size_t pos = 0;
  uint32_t cp;
  while (pos < s.size()) {
    if (!NextCodePoint(s, &pos, &cp)) return false;
  }
  return true;
}

}  // namespace lcb::internal
