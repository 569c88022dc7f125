#include "vc/status_list.h"

#include <algorithm>
#include <charconv>

#include "common/encoding.h"
#include "crypto/gzip.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kVcV2Context = "https://www.w3.org/ns/credentials/v2";

Status Bad(std::string pointer, std::string message) {
  return Status::InvalidArgument(Field(std::move(pointer)), std::move(message));
}

StatusOr<std::string> StringMember(const Json& obj, const char* name, const std::string& at) {
  const auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return Bad(at + "/" + name, "must be a string");
  return it->get<std::string>();
}

bool HasType(const Json& node, std::string_view type) {
  const auto it = node.find("type");
  if (it == node.end()) return false;
  if (it->is_string()) return *it == type;
  if (!it->is_array()) return false;
  for (const Json& t : *it) {
    if (t.is_string() && t == type) return true;
  }
  return false;
}

}  // namespace

StatusBitstring::StatusBitstring(size_t bits)
    : bytes_((std::max(bits, kMinStatusListBits) + 7) / 8, '\0') {}

bool StatusBitstring::Get(size_t index) const {
  if (index >= size()) return false;
  return (static_cast<uint8_t>(bytes_[index / 8]) >> (7 - index % 8)) & 1;
}

void StatusBitstring::Set(size_t index, bool value) {
  if (index >= size()) return;
  const auto mask = static_cast<uint8_t>(0x80u >> (index % 8));
  auto& byte = reinterpret_cast<uint8_t&>(bytes_[index / 8]);
  byte = value ? (byte | mask) : (byte & ~mask);
}

std::string StatusBitstring::Encode() const {
  // Level 1: a list is mostly zeros, which every level compresses alike; level 1 keeps a
  // heavily revoked 1M-entry list well inside the regeneration budget.
  return "u" + Base64UrlEncode(GzipCompress(bytes_, 1));
}

StatusOr<StatusBitstring> StatusBitstring::Decode(std::string_view encoded_list) {
  if (encoded_list.empty() || encoded_list[0] != 'u') {
    return Bad("", "encodedList must be multibase base64url (prefix 'u')");
  }
  if (encoded_list.size() > kMaxStatusListBytes) {
    return Status::ResourceExhausted("encodedList is too long");
  }
  std::optional<std::string> gz = Base64UrlDecode(encoded_list.substr(1));
  if (!gz) return Bad("", "encodedList is not base64url (unpadded)");
  StatusOr<std::string> raw = GzipDecompress(*gz, kMaxStatusListBytes);
  if (!raw.ok()) return raw.status();
  if (raw->size() * 8 < kMinStatusListBits) {
    return Bad("", "a status list has at least 131072 entries, this one has " +
                       std::to_string(raw->size() * 8));
  }
  StatusBitstring out(0);
  out.bytes_ = std::move(*raw);
  return out;
}

std::string StatusListUrl(std::string_view public_url, std::string_view list_id) {
  return std::string(public_url) + "/v1/status/" + std::string(list_id);
}

Json BuildStatusEntry(std::string_view public_url, std::string_view list_id, uint64_t index) {
  const std::string list = StatusListUrl(public_url, list_id);
  const std::string idx = std::to_string(index);
  return {{"id", list + "#" + idx},
          {"type", "BitstringStatusListEntry"},
          {"statusPurpose", kRevocation},
          {"statusListIndex", idx},
          {"statusListCredential", list}};
}

Json BuildStatusListCredential(std::string_view list_url, std::string_view issuer_id,
                               std::string_view valid_from, const StatusBitstring& bits) {
  return {{"@context", Json::array({kVcV2Context})},
          {"id", list_url},
          {"type", Json::array({"VerifiableCredential", "BitstringStatusListCredential"})},
          {"issuer", issuer_id},
          {"validFrom", valid_from},
          {"credentialSubject",
           {{"id", std::string(list_url) + "#list"},
            {"type", "BitstringStatusList"},
            {"statusPurpose", kRevocation},
            {"encodedList", bits.Encode()}}}};
}

StatusOr<StatusEntry> ParseStatusEntry(const Json& entry) {
  if (!entry.is_object()) return Bad("", "must be an object");
  if (!HasType(entry, "BitstringStatusListEntry")) {
    return Bad("/type", "only BitstringStatusListEntry is supported");
  }
  StatusEntry out;
  LCB_ASSIGN_OR_RETURN(out.list_url, StringMember(entry, "statusListCredential", ""));
  LCB_ASSIGN_OR_RETURN(out.purpose, StringMember(entry, "statusPurpose", ""));
  LCB_ASSIGN_OR_RETURN(std::string index, StringMember(entry, "statusListIndex", ""));
  const char* end = index.data() + index.size();
  auto [ptr, ec] = std::from_chars(index.data(), end, out.index);
  if (index.empty() || ec != std::errc() || ptr != end || (index.size() > 1 && index[0] == '0')) {
    return Bad("/statusListIndex", "must be a decimal integer as a string");
  }
  return out;
}

StatusOr<DecodedStatusList> DecodeStatusListCredential(const Json& credential) {
  if (!credential.is_object()) return Bad("", "must be an object");
  if (!HasType(credential, "BitstringStatusListCredential")) {
    return Bad("/type", "must include BitstringStatusListCredential");
  }
  DecodedStatusList out;
  LCB_ASSIGN_OR_RETURN(out.url, StringMember(credential, "id", ""));
  const auto issuer = credential.find("issuer");
  if (issuer != credential.end() && issuer->is_object()) {
    LCB_ASSIGN_OR_RETURN(out.issuer, StringMember(*issuer, "id", "/issuer"));
  } else {
    LCB_ASSIGN_OR_RETURN(out.issuer, StringMember(credential, "issuer", ""));
  }
  const auto subject = credential.find("credentialSubject");
  if (subject == credential.end() || !subject->is_object()) {
    return Bad("/credentialSubject", "must be an object");
  }
  if (!HasType(*subject, "BitstringStatusList")) {
    return Bad("/credentialSubject/type", "must be BitstringStatusList");
  }
  LCB_ASSIGN_OR_RETURN(out.purpose, StringMember(*subject, "statusPurpose", "/credentialSubject"));
  LCB_ASSIGN_OR_RETURN(std::string encoded,
                       StringMember(*subject, "encodedList", "/credentialSubject"));
  StatusOr<StatusBitstring> bits = StatusBitstring::Decode(encoded);
  if (!bits.ok()) return bits.status().WithPointerPrefix("/credentialSubject/encodedList");
  out.bits = std::move(*bits);
  return out;
}

}  // namespace lcb::vc
