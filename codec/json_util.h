// Typed reads from request JSON with errors that name the field as a JSON pointer. Every
// request document is checked strictly: wrong types, out-of-range values and unknown members
// are rejected with 400 problem+json.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/credits.h"
#include "common/encoding.h"
#include "common/status.h"

namespace lcb {

using json = nlohmann::json;

// Valid UTF-8 without control characters: what every string member must be.
bool ValidText(std::string_view s);

// Parses a request body as I-JSON (crypto/ijson.h): errors point at "" and say where parsing
// failed (byte offset), or at a member named twice.
StatusOr<json> ParseJsonBody(std::string_view body);

Status ExpectObject(const json& v, const std::string& ptr);
// Rejects members not in `allowed`.
Status RejectUnknown(const json& obj, const std::string& ptr,
                     std::initializer_list<std::string_view> allowed);

// A string member: required or optional, 1..max_len bytes of valid UTF-8 without control
// characters.
StatusOr<std::string> RequiredString(const json& obj, std::string_view key, const std::string& ptr,
                                     size_t max_len = 200);
StatusOr<std::optional<std::string>> OptionalString(const json& obj, std::string_view key,
                                                    const std::string& ptr, size_t max_len = 200);
StatusOr<std::optional<int64_t>> OptionalInt(const json& obj, std::string_view key,
                                             const std::string& ptr, int64_t lo, int64_t hi);
StatusOr<std::optional<Centi>> OptionalCredits(const json& obj, std::string_view key,
                                               const std::string& ptr);
StatusOr<std::optional<bool>> OptionalBool(const json& obj, std::string_view key,
                                           const std::string& ptr);

// Credits for output: 4 -> 4, 750 -> 7.5 (a JSON number either way).
json CreditsJson(Centi c);

// Compact dump that never throws on invalid UTF-8 (replaces it).
std::string Dump(const json& v);

}  // namespace lcb
