// Base58btc (the Bitcoin alphabet), as Multibase's 'z' prefix and did:key use it.
//
//   alphabet  123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz
//   encoding  each leading 0x00 byte -> '1'; the rest as a big-endian base-58 number
//
// The codec is quadratic in the input length, which is fine for keys and signatures (32-64
// bytes); decoding therefore refuses text longer than kMaxBase58Text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lcb {

// Longest text Base58BtcDecode accepts (a 512-byte value needs ~700 characters).
inline constexpr size_t kMaxBase58Text = 1024;

std::string Base58BtcEncode(std::string_view bytes);
// nullopt for a character outside the alphabet or text longer than kMaxBase58Text.
std::optional<std::string> Base58BtcDecode(std::string_view text);

}  // namespace lcb
