// Bitstring Status List v1.0 (W3C): revocation of credentials by one bit each.
//
//   bitstring     = the list's bits packed 8 to a byte; bit i is bit (7 - i % 8) of byte i / 8
//                   (bit 0 = the most significant bit of byte 0); 1 = the status is set (revoked)
//   encodedList   = "u" base64url-no-pad( GZIP(bitstring) )       ; Multibase, base64url
//   entry         = {"id": list-url "#" index, "type": "BitstringStatusListEntry",
//                    "statusPurpose": "revocation", "statusListIndex": decimal-string,
//                    "statusListCredential": list-url}
//   list-url      = public-url "/v1/status/" list-id
//
// A list has at least kMinStatusListBits entries (the spec's floor, so that one index says
// little about which credential it is). Decoding input from elsewhere is bounded by
// kMaxStatusListBytes after decompression.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lcb::vc {

inline constexpr size_t kMinStatusListBits = 131072;
inline constexpr size_t kMaxStatusListBytes = 16u << 20;  // 128M entries
inline constexpr std::string_view kRevocation = "revocation";

class StatusBitstring {
 public:
  // `bits` entries, all clear; rounded up to a whole byte and to at least kMinStatusListBits.
  explicit StatusBitstring(size_t bits = kMinStatusListBits);

  size_t size() const { return bytes_.size() * 8; }
  // Index must be < size() (the caller allocated it); out of range reads false, writes nothing.
  bool Get(size_t index) const;
  void Set(size_t index, bool value);
  const std::string& bytes() const { return bytes_; }

  // encodedList: "u" + base64url(GZIP(bytes)).
  std::string Encode() const;
  // The inverse. InvalidArgument (pointer "") for a missing "u", bad base64url or gzip, or a
  // list shorter than kMinStatusListBits; ResourceExhausted beyond kMaxStatusListBytes.
  static StatusOr<StatusBitstring> Decode(std::string_view encoded_list);

 private:
  std::string bytes_;
};

// The URL of list `list_id` under the bank's public base URL (no trailing slash).
std::string StatusListUrl(std::string_view public_url, std::string_view list_id);

// The credentialStatus member of a credential whose status is bit `index` of list `list_id`.
nlohmann::json BuildStatusEntry(std::string_view public_url, std::string_view list_id,
                                uint64_t index);

// The unsigned BitstringStatusListCredential (VC 2.0) for `bits`; sign it with
// AddEddsaJcs2022Proof (vc/data_integrity.h) or SecureDataIntegrity (vc/securing.h).
//   {"@context":[VC v2], "id": list-url, "type":["VerifiableCredential",
//    "BitstringStatusListCredential"], "issuer": issuer_id, "validFrom": valid_from,
//    "credentialSubject": {"id": list-url "#list", "type": "BitstringStatusList",
//    "statusPurpose": "revocation", "encodedList": ...}}
nlohmann::json BuildStatusListCredential(std::string_view list_url, std::string_view issuer_id,
                                         std::string_view valid_from, const StatusBitstring& bits);

// A status entry read from a credential: which list, which bit, for what purpose.
struct StatusEntry {
  std::string list_url;
  std::string purpose;
  uint64_t index = 0;
};
// Reads one BitstringStatusListEntry (pointer names the member on error).
StatusOr<StatusEntry> ParseStatusEntry(const nlohmann::json& entry);

// A verified status list credential's content, for the verifier (vc/verifier.h).
struct DecodedStatusList {
  std::string url;      // the list credential's id
  std::string issuer;   // its issuer id; must be the issuer of the credentials it covers
  std::string purpose;  // "revocation"
  StatusBitstring bits;
};
// Reads the subject of a BitstringStatusListCredential (its proof is checked by the caller,
// e.g. with VerifyCredential). InvalidArgument naming the member otherwise.
StatusOr<DecodedStatusList> DecodeStatusListCredential(const nlohmann::json& credential);

}  // namespace lcb::vc
