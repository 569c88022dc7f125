#include "service/tokens.h"

#include <algorithm>
#include <cctype>

#include "codec/rows.h"
#include "common/date.h"
#include "common/encoding.h"
#include "crypto/sha256.h"
#include "engine/regions.h"
#include "storage/keys.h"

namespace lcb {
namespace {

bool IsSlug(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              (c >= 'A' && c <= 'Z') || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string TokenHashHex(std::string_view token) { return HashHex(Sha256(token)); }

}  // namespace

std::string Principal::role() const {
  switch (kind) {
    case RoleKind::kAdmin:
      return "admin";
    case RoleKind::kAuditor:
      return "auditor";
    case RoleKind::kInstitution:
      return "institution:" + subject;
    case RoleKind::kLearner:
      return "learner:" + subject;
    case RoleKind::kRegulator:
      return "regulator:" + subject;
    case RoleKind::kAnonymous:
      return "anonymous";
  }
  return "anonymous";
}

StatusOr<Principal> ParseRole(std::string_view role) {
  Principal p;
  if (role == "admin") {
    p.kind = RoleKind::kAdmin;
  } else if (role == "auditor") {
    p.kind = RoleKind::kAuditor;
  } else if (role.starts_with("institution:") && IsSlug(role.substr(12))) {
    p.kind = RoleKind::kInstitution;
    p.subject = std::string(role.substr(12));
  } else if (role.starts_with("learner:") && IsSlug(role.substr(8))) {
    p.kind = RoleKind::kLearner;
    p.subject = std::string(role.substr(8));
  } else if (role.starts_with("regulator:") && IsRegionPrefix(role.substr(10))) {
    p.kind = RoleKind::kRegulator;
    // regulator:310000 is Shanghai's regulator (regulator:31), as region=310000 is region=31:
    // taken literally it would be a county that no learner is in.
    p.subject = RegionPrefixOf(role.substr(10));
  } else {
    return Status::InvalidArgument(Field("/role"),
                                   "must be admin, auditor, institution:<id>, learner:<id> or "
                                   "regulator:<GB/T 2260 region prefix of 2, 4 or 6 digits>");
  }
  return p;
}

StatusOr<int64_t> ParseRfc3339Millis(std::string_view t) {
  auto bad = Status::InvalidArgument(Field("/expires_at"),
                                     "must be an RFC 3339 time like 2027-01-01T00:00:00Z");
  if (t.size() < 20 || t[10] != 'T') return bad;
  auto date = ParseDate(t.substr(0, 10), "/expires_at");
  if (!date.ok()) return bad;
  auto two = [&](size_t pos, int* out) {
    if (pos + 2 > t.size() || !isdigit(t[pos]) || !isdigit(t[pos + 1])) return false;
    *out = (t[pos] - '0') * 10 + (t[pos + 1] - '0');
    return true;
  };
  int hh, mm, ss;
  if (!two(11, &hh) || t[13] != ':' || !two(14, &mm) || t[16] != ':' || !two(17, &ss)) return bad;
  if (hh > 23 || mm > 59 || ss > 60) return bad;
  size_t pos = 19;
  int millis = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < t.size() && isdigit(t[pos])) {
      if (digits < 3) millis = millis * 10 + (t[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad;
    while (digits < 3) millis *= 10, ++digits;
  }
  int offset_min = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int oh, om;
    if (!two(pos + 1, &oh) || t[pos + 3] != ':' || !two(pos + 4, &om)) return bad;
    offset_min = (oh * 60 + om) * (t[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return bad;
  }
  if (pos != t.size()) return bad;
  return (static_cast<int64_t>(*date) * 86400 + hh * 3600 + mm * 60 + ss - offset_min * 60) * 1000 +
         millis;
}

StatusOr<NewToken> TokenService::Create(std::string_view role, std::string_view expires_at) {
  LCB_ASSIGN_OR_RETURN(Principal p, ParseRole(role));
  if (subject_check_) LCB_RETURN_IF_ERROR(subject_check_(p));
  if (!expires_at.empty()) {
    LCB_ASSIGN_OR_RETURN(int64_t ms, ParseRfc3339Millis(expires_at));
    if (ms <= NowMillis()) return Status::InvalidArgument(Field("/expires_at"), "is in the past");
  }
  NewToken t;
  t.id = "tok_" + HexEncode(RandomBytes(8));
  t.token = "cb_" + Base64UrlEncode(RandomBytes(32));
  t.role = p.role();
  t.expires_at = std::string(expires_at);
  TokenRow row{t.id, t.role, NowRfc3339(), t.expires_at, false, ""};
  std::string hash = TokenHashHex(t.token);
  WriteBatch batch;
  batch.Put(Table::kTokens, keys::TokenByHash(hash), EncodeTokenRow(row));
  batch.Put(Table::kTokens, keys::TokenById(t.id), hash);
  LCB_RETURN_IF_ERROR(kv_->Write(batch, /*sync=*/true));
  return t;
}

StatusOr<Principal> TokenService::Authenticate(std::string_view header) {
  // The scheme is case-insensitive (RFC 9110 §11.1: "bearer" is "Bearer"); the token is not.
  constexpr std::string_view kBearer = "bearer ";
  auto same_letter = [](char expected, char c) {
    return expected == std::tolower(static_cast<unsigned char>(c));
  };
  if (header.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), header.begin(), same_letter)) {
    return Status::Unauthenticated("an Authorization: Bearer token is required");
  }
  std::string_view token = header.substr(kBearer.size());
  if (token.size() > 256) return Status::Unauthenticated("the token is not valid");
  std::string hash = TokenHashHex(token);
  int64_t now = NowMillis();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cache_.find(hash); it != cache_.end()) {
      if (it->second.expires_millis == 0 || it->second.expires_millis > now) {
        return it->second.principal;
      }
      cache_.erase(it);
      return Status::Unauthenticated("the token has expired");
    }
  }
  std::string value;
  Status s = kv_->Get(Table::kTokens, keys::TokenByHash(hash), &value);
  if (s.code() == StatusCode::kNotFound) return Status::Unauthenticated("the token is not valid");
  LCB_RETURN_IF_ERROR(s);
  LCB_ASSIGN_OR_RETURN(TokenRow row, DecodeTokenRow(value));
  if (row.revoked) return Status::Unauthenticated("the token was revoked");
  int64_t expires = 0;
  if (!row.expires_at.empty()) {
    auto ms = ParseRfc3339Millis(row.expires_at);
    if (!ms.ok()) return Status::DataLoss("token row is corrupt");
    expires = *ms;
    if (expires <= now) return Status::Unauthenticated("the token has expired");
  }
  LCB_ASSIGN_OR_RETURN(Principal p, ParseRole(row.role));
  p.token_id = row.id;
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() > 100000) cache_.clear();
  cache_[hash] = Cached{p, expires};
  return p;
}

void TokenService::DropCache() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
}

Status TokenService::Revoke(std::string_view token_id) {
  std::string hash;
  Status s = kv_->Get(Table::kTokens, keys::TokenById(token_id), &hash);
  if (s.code() == StatusCode::kNotFound) return Status::NotFound("no token with that id");
  LCB_RETURN_IF_ERROR(s);
  std::string value;
  LCB_RETURN_IF_ERROR(kv_->Get(Table::kTokens, keys::TokenByHash(hash), &value));
  LCB_ASSIGN_OR_RETURN(TokenRow row, DecodeTokenRow(value));
  row.revoked = true;
  row.revoked_at = NowRfc3339();
  WriteBatch batch;
  batch.Put(Table::kTokens, keys::TokenByHash(hash), EncodeTokenRow(row));
  LCB_RETURN_IF_ERROR(kv_->Write(batch, /*sync=*/true));
  std::lock_guard<std::mutex> lock(mu_);
  cache_.erase(hash);
  return Status::Ok();
}

StatusOr<std::vector<TokenInfo>> TokenService::List(size_t limit) {
  std::vector<TokenInfo> out;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kTokens, keys::kTokenHashPrefix, keys::kTokenHashEnd, limit,
                                [&](std::string_view, std::string_view value) {
                                  auto row = DecodeTokenRow(value);
                                  if (!row.ok()) return true;
                                  out.push_back(TokenInfo{row->id, row->role, row->created_at,
                                                          row->expires_at, row->revoked});
                                  return true;
                                }));
  return out;
}

}  // namespace lcb
