// The bank's domain model, free of JSON and storage. api/ maps JSON to these types; the
// engine (recognition, passbook, conversion) computes over them.
//
// Identifiers are strings: institutions are slugs ("tsinghua"), units and programs are
// "<institution>:<code>", learners and records are bank-assigned ids.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/credits.h"
#include "common/date.h"

namespace lcb {

enum class UnitKind : uint8_t {
  kDegreeCourse,
  kNonDegreeCourse,
  kVocationalCertificate,
  kSkillCertificate,
  kMooc,
  kTraining,
  kWorkExperience,
  kExam,
  kAward,
};
constexpr int kUnitKindCount = 9;
std::string_view UnitKindName(UnitKind kind);  // "degree_course", ...
std::optional<UnitKind> ParseUnitKind(std::string_view name);

// A public key an institution registered to sign its submissions: an Ed25519 JWK (RFC 8037,
// kty "OKP", crv "Ed25519"), named by its kid.
// An institution's public JWK: Ed25519 (x set; signs submissions and credentials) or RSA
// (n and e set; only credentials: the Open Badges 3.0 JWT profile's RS256).
struct PublicJwk {
  std::string kid;
  std::string x;  // base64url of the 32-byte public key (OKP/Ed25519)
  std::string n;  // base64url modulus (RSA)
  std::string e;  // base64url public exponent (RSA)
  bool is_rsa() const { return !n.empty(); }
  friend bool operator==(const PublicJwk&, const PublicJwk&) = default;
};

struct Institution {
  std::string id;    // slug: [a-z0-9][a-z0-9_-]{1,62}
  std::string name;
  std::string kind;  // university, vocational_college, open_university, ...
  Centi hours_per_credit = 16 * kCentiPerCredit;  // hours (in hundredths) per one credit
  std::vector<std::string> certifies;  // unit id prefixes a certification body may post for
  bool require_signatures = false;
  std::vector<PublicJwk> public_keys;  // at most 16
  // The DID the institution issues credentials as: "did:key:z6Mk…" (its Ed25519 key, resolved
  // from the identifier itself) or "did:web:…" (whose keys are those of public_keys, the bank
  // fetching nothing); empty = none.
  std::string did;
  // A preset of engine/regimes.h ("cn", "kr-acbs", "ects", "hk-qf"); empty = none. Sets the
  // default hours_per_credit and the framework the institution's levels are read in.
  std::string regime;
  std::string region;  // GB/T 2260 six-digit code (engine/regions.h); empty = not given
};

struct Unit {
  std::string id;           // "<institution>:<code>"
  std::string institution;  // owner, the part before ':'
  std::string title;
  UnitKind kind = UnitKind::kDegreeCourse;
  Centi credits = 0;
  Centi hours = 0;         // hundredths of an hour; 0 = not given
  int level = 0;           // qualifications-framework level 1..10
  std::string field;       // ISCED-F 2013, 2..4 digits
  int validity_years = 0;  // 0 = never expires
  // Open Badges achievement ids (URIs) this unit recognizes: a credential for one of them,
  // signed by the unit's institution, becomes a record of this unit (DESIGN.md, "Credentials
  // as input"). At most kMaxAlignedAchievements, each at most kMaxAchievementUriBytes.
  std::vector<std::string> aligned_achievements;
};

// How a record came in: posted by its issuer (the default, and every record stored before the
// field existed), or presented as the issuer's Open Badges credential.
enum class RecordSource : uint8_t { kPost, kCredential };
std::string_view RecordSourceName(RecordSource source);  // "post", "credential"

// A learning outcome as the bank stores it. Fields the issuer left unset are filled from the
// unit at recognition time, so every field here is resolved.
struct Record {
  std::string id;
  std::string learner;
  std::string unit;
  std::string issuer;
  std::string external_ref;
  UnitKind kind = UnitKind::kDegreeCourse;  // from the unit
  Centi credits = 0;
  int level = 0;             // as posted (in the issuer's regime framework, if it has one)
  int common_level = -1;     // EQF level used by min_level (engine/regimes.h); -1 = unresolved
  std::string field;
  std::string grade_scale;
  std::string grade_value;  // as posted ("85", "优秀", "A", "3.7")
  int grade = 0;            // normalized 0..100
  // Derived, not logged: grade >= the scale's pass_value (engine/grades.h; a scale's pass mark
  // never changes once registered). A failing record is stored and shown, but earns nothing: no
  // passbook credits, no statistics, no conversion (reason below_min_grade).
  bool passing = true;
  Days completed_on = 0;
  std::optional<Days> expires_on;  // from the unit's validity_years
  bool revoked = false;
  // Optional posted fields, kept so that the stored record says what the issuer sent.
  std::optional<Centi> hours;  // hundredths of an hour: as posted, else the unit's when the
                               // record gave neither credits nor hours
  std::optional<std::string> attendance;
  std::optional<std::string> evidence_sha256;  // 64 lowercase hex digits
  RecordSource source = RecordSource::kPost;
};

// ---- Programs and conversion rules -------------------------------------------------------

enum class RequirementKind : uint8_t { kCourse, kPool };

struct Requirement {
  std::string id;
  std::string title;
  RequirementKind kind = RequirementKind::kCourse;
  Centi credits = 0;
};

enum class CapBy : uint8_t { kKind, kIssuer, kYear };
std::string_view CapByName(CapBy by);  // "kind", "issuer", "year"

// One cap group family. The key of a record is its kind name, issuer id or completion year
// ("2024"). An application counts in full toward the group of each distinct key among its
// records.
struct Cap {
  CapBy by = CapBy::kKind;
  std::map<std::string, Centi> limits;       // key -> credit limit
  std::optional<Centi> default_limit;        // for keys not in `limits`; none = unlimited
  std::map<std::string, int> max_count;      // key -> max number of applications
};

struct Policy {
  std::optional<Centi> max_transfer_credits;
  // Ratio in basis points (0.5 -> 5000), so that floor(ratio * total) is exact.
  std::optional<int> max_transfer_ratio_bp;
  std::optional<int> min_grade;      // normalized 0..100
  std::optional<int> max_age_years;  // completed_on must be >= as_of - years
  std::vector<Cap> caps;
  // Not stored: the request named some policy field, even an empty `"caps": []`, so the
  // program keeps exactly what it gave instead of its regime's defaults
  // (CatalogService::ApplyRegimeDefaultPolicy).
  bool given = false;
};

struct Program {
  std::string id;
  std::string institution;
  std::string title;
  std::string kind;  // associate, bachelor, master, certificate, ...
  Centi total_credits = 0;
  std::vector<Requirement> requirements;
  Policy policy;
};

// A source pattern: either an exact unit, or any combination of the other fields (all given
// fields must match).
struct Pattern {
  std::optional<std::string> unit;
  std::optional<UnitKind> kind;
  std::optional<std::string> field_prefix;  // "06" matches "0613"
  std::optional<int> min_level;
  std::optional<Centi> min_credits;
  std::optional<std::string> issuer;
};

struct Rule {
  std::string id;
  std::string target;  // requirement id
  Centi grant = 0;
  std::vector<Pattern> sources;  // each must match a distinct record
  std::optional<int> min_grade;
  std::optional<int> max_age_years;
};

struct Ruleset {
  std::string program;
  int version = 0;
  std::string sha256_hex;  // of the JCS bytes of the published ruleset
  std::vector<Rule> rules;
};

}  // namespace lcb
