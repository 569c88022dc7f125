// Builders of the bank's portable credentials from typed inputs: a VC 2.0 OpenBadgeCredential
// (Open Badges 3.0.3) per record, and a CLR 2.0 ClrCredential embedding several of them. The
// builders only shape JSON; securing is vc/securing.h.
//
// Every property used is defined by the credentials' contexts (VC 2.0 and OB 3.0.3, plus CLR
// 2.0.1 for the transcript): tests/credentials expands them with jsonld.js in safe mode.
//
// An OpenBadgeCredential (members in the order a reader meets them):
//   @context          [VC 2.0, OB 3.0.3]
//   id                <public>/v1/records/<record>/credential
//   type              [VerifiableCredential, OpenBadgeCredential]
//   name              the unit's title
//   issuer            the bank's Profile {id: its DID, type: [Profile], name, url?}
//   validFrom         completed_on at 00:00:00Z
//   validUntil        expires_on at 00:00:00Z, when the record expires
//   credentialSubject {id: holder DID | urn:creditbank:learner:<id>, type: [AchievementSubject],
//                      achievement: {id: <public>/v1/units/<unit>, type: [Achievement], name,
//                        description, criteria: {narrative}, achievementType, humanCode,
//                        creator: the institution's Profile {id: <public>/v1/institutions/<i>},
//                        fieldOfStudy (ISCED-F), creditsAvailable, resultDescription: [the
//                        grade scale, the normalized 0-100 scale]},
//                      creditsEarned, result: [{type: [Result], resultDescription, value}...]}
//   evidence          [the record <public>/v1/records/<record>,
//                      its log leaf <public>/v1/log/entries?start=<leaf>&end=<leaf+1>]
//   credentialStatus  BitstringStatusListEntry (vc/status_list.h)
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/credits.h"
#include "common/date.h"
#include "common/status.h"
#include "engine/model.h"

namespace lcb::vc {

inline constexpr std::string_view kVcV2Context = "https://www.w3.org/ns/credentials/v2";
inline constexpr std::string_view kVcV1Context = "https://www.w3.org/2018/credentials/v1";
inline constexpr std::string_view kOb303Context =
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
inline constexpr std::string_view kClr201Context =
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json";

// The OB 3.0 achievementType of each unit kind (the documented table, vc/README.md):
//   degree_course, non_degree_course, mooc -> Course; vocational_certificate -> Certificate;
//   skill_certificate -> Certification; training -> CertificateOfCompletion;
//   work_experience -> Fieldwork; exam -> Assessment; award -> Award.
std::string_view AchievementTypeOf(UnitKind kind);
// The OB 3.0 resultType of a grade scale's values: percent -> Percent, gpa4 ->
// GradePointAverage, pass_fail -> Status, letter/five_level/ects -> LetterGrade, else Result.
std::string_view ResultTypeOf(std::string_view grade_scale);

// The bank as issuer: its identifier (did:key or did:web) and name.
struct IssuerProfile {
  std::string id;
  std::string name;
  std::string url;  // the bank's public URL, or empty
};

// Everything an OpenBadgeCredential says about one record.
struct RecordCredentialInput {
  std::string record_id;
  uint64_t leaf_index = 0;
  std::string learner_id;
  std::string holder_did;  // when set, the subject id instead of urn:creditbank:learner:<id>
  std::string unit_id;     // "<institution>:<code>"
  std::string unit_title;
  UnitKind unit_kind = UnitKind::kDegreeCourse;
  Centi unit_credits = 0;  // creditsAvailable
  int level = 0;
  std::string field;  // ISCED-F 2013 code
  std::string institution_id;
  std::string institution_name;
  std::string grade_scale;
  std::string grade_value;  // as posted
  int grade_normalized = 0;
  Centi credits_earned = 0;
  Days completed_on = 0;
  std::optional<Days> expires_on;
};

// The shared context of a batch of credentials: who signs, where things live.
struct CredentialContext {
  IssuerProfile issuer;
  std::string public_url;  // "https://bank.example" (no trailing slash)
  nlohmann::json status;   // the record's credentialStatus (BuildStatusEntry), or null
};

// The unsigned OpenBadgeCredential. InvalidArgument (pointer names the input field, e.g.
// "/unit_title") for an input a credential cannot carry: empty ids or names, a public_url that
// is not http(s)://, credits below zero.
StatusOr<nlohmann::json> BuildOpenBadgeCredential(const RecordCredentialInput& record,
                                                  const CredentialContext& ctx);

struct TranscriptInput {
  std::string learner_id;
  std::string holder_did;  // as in RecordCredentialInput
  std::string learner_name;
  std::string valid_from;  // dateTimeStamp of issue
  // Secured record credentials (the `di` form: JSON objects with their proofs).
  std::vector<nlohmann::json> credentials;
};

// The unsigned ClrCredential: @context [VC 2.0, CLR 2.0.1, OB 3.0.3], type [VerifiableCredential,
// ClrCredential], issuer, name, validFrom, credentialSubject {id, type: [ClrSubject],
// verifiableCredential: [...]}. InvalidArgument when there is no credential to embed.
StatusOr<nlohmann::json> BuildClrCredential(const TranscriptInput& transcript,
                                            const CredentialContext& ctx);

}  // namespace lcb::vc
