// Hex and base64 (standard with padding, and URL-safe without) codecs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lcb {

std::string HexEncode(std::string_view bytes);
void AppendHex(std::string_view bytes, std::string* out);  // lowercase
// Lowercase or uppercase hex, even length; nullopt otherwise.
std::optional<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);     // RFC 4648 §4, padded
std::string Base64UrlEncode(std::string_view bytes);  // RFC 4648 §5, unpadded
// Strict decoders: reject characters of the other alphabet, bad padding and non-canonical
// trailing bits.
std::optional<std::string> Base64Decode(std::string_view text);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// RFC 6901 escaping of one JSON pointer reference token ("a/b~c" -> "a~1b~0c").
std::string JsonPointerEscape(std::string_view token);

// Big-endian fixed-width integers for keys that sort in numeric order.
void PutBigEndian64(std::string* out, uint64_t v);
inline std::string BigEndian64(uint64_t v) {
  std::string s;
  PutBigEndian64(&s, v);
  return s;
}
uint64_t GetBigEndian64(std::string_view in);  // in.size() >= 8

}  // namespace lcb
