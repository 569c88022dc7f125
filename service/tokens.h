// Principals and bearer tokens. Tokens are random, shown once, and stored only as SHA-256
// hashes; each carries one role: admin, auditor, institution:<id> or learner:<id>.
// Rows: storage/keys.h (kTokens), codec/rows.h (TokenRow).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "storage/kv.h"

namespace lcb {

enum class RoleKind { kAnonymous, kAdmin, kInstitution, kLearner, kAuditor, kRegulator };

struct Principal {
  RoleKind kind = RoleKind::kAnonymous;
  std::string subject;   // institution or learner id
  std::string token_id;  // never the token itself
  std::string session_id;  // set when a portal session (cookie) authenticated the request

  bool is_admin() const { return kind == RoleKind::kAdmin; }
  bool is_auditor() const { return kind == RoleKind::kAuditor; }
  // A regulator's subject is its GB/T 2260 region prefix (2, 4 or 6 digits): it sees aggregate
  // statistics of that region only, never one learner's data.
  bool is_regulator() const { return kind == RoleKind::kRegulator; }
  bool is_institution(std::string_view id) const {
    return kind == RoleKind::kInstitution && subject == id;
  }
  bool is_learner(std::string_view id) const { return kind == RoleKind::kLearner && subject == id; }
  std::string role() const;  // "institution:tsinghua"
};

// "admin", "auditor", "institution:<slug>", "learner:<id>", "regulator:<region prefix>".
StatusOr<Principal> ParseRole(std::string_view role);

struct TokenInfo {
  std::string id;
  std::string role;
  std::string created_at;
  std::string expires_at;  // RFC 3339 or empty
  bool revoked = false;
};

struct NewToken {
  std::string id;
  std::string token;  // shown once
  std::string role;
  std::string expires_at;
};

// Thread-safe. Create and Revoke write with sync (call them off the HTTP threads).
class TokenService {
 public:
  explicit TokenService(Kv* kv) : kv_(kv) {}
  // Whether a role's subject exists (OK, or the reason at "/role"). A token acts as its
  // subject, so one is made only for a registered institution or an existing learner. Set once
  // by Services when the catalog and learners are open, before any Create but the first
  // admin's; without it (this class tested alone) any well-formed role is taken.
  using SubjectCheck = std::function<Status(const Principal&)>;
  void SetSubjectCheck(SubjectCheck check) { subject_check_ = std::move(check); }
  // `expires_at` is RFC 3339 ("2027-01-01T00:00:00Z") or empty.
  StatusOr<NewToken> Create(std::string_view role, std::string_view expires_at);
  // Unauthenticated for a missing, unknown, revoked or expired token.
  StatusOr<Principal> Authenticate(std::string_view authorization_header);
  Status Revoke(std::string_view token_id);
  StatusOr<std::vector<TokenInfo>> List(size_t limit);
  // Forgets the tokens checked so far (another node may have revoked one).
  void DropCache();

 private:
  Kv* kv_;
  SubjectCheck subject_check_;
  std::mutex mu_;
  struct Cached {
    Principal principal;
    int64_t expires_millis;  // 0 = never
  };
  std::unordered_map<std::string, Cached> cache_;  // token hash hex -> principal
};

// Parses RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm)" to epoch milliseconds.
StatusOr<int64_t> ParseRfc3339Millis(std::string_view text);

}  // namespace lcb
