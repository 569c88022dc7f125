#include "codec/json_util.h"

#include <cmath>

#include "crypto/ijson.h"

namespace lcb {
namespace {

std::string Child(const std::string& ptr, std::string_view key) {
  return ptr + "/" + JsonPointerEscape(key);
}

}  // namespace

bool ValidText(std::string_view s) {
  // Valid UTF-8 and no control characters other than none at all.
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n = (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
    if (n < 0 || i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

StatusOr<json> ParseJsonBody(std::string_view body) { return ParseIJson(body); }

Status ExpectObject(const json& v, const std::string& ptr) {
  if (!v.is_object()) return Status::InvalidArgument(Field(ptr), "must be a JSON object");
  return Status::Ok();
}

Status RejectUnknown(const json& obj, const std::string& ptr,
                     std::initializer_list<std::string_view> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (auto a : allowed) known |= (a == it.key());
    if (!known) return Status::InvalidArgument(Field(Child(ptr, it.key())), "unknown field");
  }
  return Status::Ok();
}

StatusOr<std::optional<std::string>> OptionalString(const json& obj, std::string_view key,
                                                    const std::string& ptr, size_t max_len) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  std::string p = Child(ptr, key);
  if (!it->is_string()) return Status::InvalidArgument(Field(p), "must be a string");
  const std::string& s = it->get_ref<const std::string&>();
  if (s.empty()) return Status::InvalidArgument(Field(p), "must not be empty");
  if (s.size() > max_len) {
    return Status::InvalidArgument(Field(p), "longer than " + std::to_string(max_len) + " bytes");
  }
  if (!ValidText(s))
    return Status::InvalidArgument(Field(p), "must be UTF-8 text without control characters");
  return std::optional<std::string>(s);
}

StatusOr<std::string> RequiredString(const json& obj, std::string_view key, const std::string& ptr,
                                     size_t max_len) {
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> s, OptionalString(obj, key, ptr, max_len));
  if (!s) return Status::InvalidArgument(Field(Child(ptr, key)), "is required");
  return *s;
}

StatusOr<std::optional<int64_t>> OptionalInt(const json& obj, std::string_view key,
                                             const std::string& ptr, int64_t lo, int64_t hi) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  std::string p = Child(ptr, key);
  int64_t v = 0;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return Status::InvalidArgument(Field(p), "out of range");
    }
    v = it->get<int64_t>();
  } else if (it->is_number_float()) {
    double d = it->get<double>();
    if (d != std::trunc(d)) return Status::InvalidArgument(Field(p), "must be a whole number");
    // Range before converting: a double outside int64 does not convert (undefined behaviour).
    if (!(d >= -0x1p63 && d < 0x1p63)) return Status::InvalidArgument(Field(p), "out of range");
    v = static_cast<int64_t>(d);
  } else {
    return Status::InvalidArgument(Field(p), "must be an integer");
  }
  if (v < lo || v > hi) {
    return Status::InvalidArgument(
        Field(p), "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return std::optional<int64_t>(v);
}

StatusOr<std::optional<Centi>> OptionalCredits(const json& obj, std::string_view key,
                                               const std::string& ptr) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<Centi>();
  std::string p = Child(ptr, key);
  if (!it->is_number()) return Status::InvalidArgument(Field(p), "must be a number");
  LCB_ASSIGN_OR_RETURN(Centi c, CentiFromDouble(it->get<double>(), p));
  return std::optional<Centi>(c);
}

StatusOr<std::optional<bool>> OptionalBool(const json& obj, std::string_view key,
                                           const std::string& ptr) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean())
    return Status::InvalidArgument(Field(Child(ptr, key)), "must be true or false");
  return std::optional<bool>(it->get<bool>());
}

json CreditsJson(Centi c) {
  if (c % kCentiPerCredit == 0) return json(c / kCentiPerCredit);
  return json(CentiToDouble(c));
}

std::string Dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace lcb
