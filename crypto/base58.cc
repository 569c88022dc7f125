#include "crypto/base58.h"

#include <array>
#include <cstdint>
#include <vector>

namespace lcb {
namespace {

constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

int DigitOf(char c) {
  static const auto table = [] {
    std::array<int8_t, 256> t;
    t.fill(-1);
    for (int i = 0; i < 58; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  return table[static_cast<uint8_t>(c)];
}

}  // namespace

std::string Base58BtcEncode(std::string_view bytes) {
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  // log(256)/log(58) < 1.37: enough base-58 digits for the rest, little-endian while building.
  std::vector<uint8_t> digits((bytes.size() - zeros) * 137 / 100 + 1, 0);
  size_t used = 0;
  for (size_t i = zeros; i < bytes.size(); ++i) {
    uint32_t carry = static_cast<uint8_t>(bytes[i]);
    size_t k = 0;
    for (; k < used || carry != 0; ++k) {
      carry += static_cast<uint32_t>(digits[k]) << 8;
      digits[k] = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    used = k;
  }
  std::string out(zeros, '1');
  out.reserve(zeros + used);
  for (size_t k = used; k > 0; --k) out += kAlphabet[digits[k - 1]];
  return out;
}

std::optional<std::string> Base58BtcDecode(std::string_view text) {
  if (text.size() > kMaxBase58Text) return std::nullopt;
  size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  // log(58)/log(256) < 0.733: enough bytes, little-endian while building.
  std::vector<uint8_t> bytes((text.size() - ones) * 733 / 1000 + 1, 0);
  size_t used = 0;
  for (size_t i = ones; i < text.size(); ++i) {
    const int digit = DigitOf(text[i]);
    if (digit < 0) return std::nullopt;
    uint32_t carry = static_cast<uint32_t>(digit);
    size_t k = 0;
    for (; k < used || carry != 0; ++k) {
      carry += static_cast<uint32_t>(bytes[k]) * 58;
      bytes[k] = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    used = k;
  }
  std::string out(ones, '\0');
  out.reserve(ones + used);
  for (size_t k = used; k > 0; --k) out += static_cast<char>(bytes[k - 1]);
  return out;
}

}  // namespace lcb
