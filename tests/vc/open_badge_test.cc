// The OpenBadgeCredential and ClrCredential builders: shapes DESIGN.md fixes, and refusals.
#include "vc/open_badge.h"

#include <gtest/gtest.h>

#include "tests/vc/vc_fixture.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;
using testing::SampleContext;
using testing::SampleRecord;

TEST(OpenBadge, CredentialShape) {
  const Json vc =
      BuildOpenBadgeCredential(SampleRecord(), SampleContext("did:key:zBank", 7)).value();
  EXPECT_EQ(vc["@context"], Json::array({kVcV2Context, kOb303Context}));
  EXPECT_EQ(vc["type"], Json::array({"VerifiableCredential", "OpenBadgeCredential"}));
  EXPECT_EQ(vc["issuer"]["id"], "did:key:zBank");
  EXPECT_EQ(vc["issuer"]["type"], Json::array({"Profile"}));
  EXPECT_EQ(vc["validFrom"], "2024-12-20T00:00:00Z");
  EXPECT_EQ(vc["validUntil"], "2029-12-20T00:00:00Z");
  const Json& s = vc["credentialSubject"];
  EXPECT_EQ(s["id"], "urn:creditbank:learner:lrn_7f3a9c");
  EXPECT_EQ(s["type"], Json::array({"AchievementSubject"}));
  EXPECT_EQ(s["creditsEarned"], 4);
  EXPECT_TRUE(s["creditsEarned"].is_number_integer());
  const Json& a = s["achievement"];
  EXPECT_EQ(a["id"], "https://bank.example/v1/units/tsinghua:CS101");
  EXPECT_EQ(a["name"], "程序设计基础");
  EXPECT_EQ(a["achievementType"], "Course");
  EXPECT_EQ(a["creator"]["id"], "https://bank.example/v1/institutions/tsinghua");
  EXPECT_EQ(a["creator"]["name"], "清华大学");
  EXPECT_EQ(a["fieldOfStudy"], "0613");
  EXPECT_EQ(a["creditsAvailable"], 4);
  EXPECT_EQ(a["humanCode"], "CS101");
  EXPECT_EQ(s["result"][0]["value"], "92");
  EXPECT_EQ(s["result"][0]["resultDescription"], a["resultDescription"][0]["id"]);
  EXPECT_EQ(a["resultDescription"][0]["resultType"], "Percent");
  EXPECT_EQ(vc["evidence"][0]["id"],
            "https://bank.example/v1/records/rec_0123456789abcdef01234567");
  EXPECT_EQ(vc["evidence"][1]["id"], "https://bank.example/v1/log/entries?start=41&end=42");
  EXPECT_EQ(vc["credentialStatus"]["statusListIndex"], "7");
}

TEST(OpenBadge, HolderFractionalCreditsAndNoExpiry) {
  RecordCredentialInput r = SampleRecord();
  r.holder_did = "did:key:z6MkHolder";
  r.credits_earned = 750;
  r.expires_on.reset();
  r.field.clear();
  const Json vc = BuildOpenBadgeCredential(r, SampleContext("did:key:zBank", 1)).value();
  EXPECT_EQ(vc["credentialSubject"]["id"], "did:key:z6MkHolder");
  EXPECT_EQ(vc["credentialSubject"]["creditsEarned"], 7.5);
  EXPECT_FALSE(vc.contains("validUntil"));
  EXPECT_FALSE(vc["credentialSubject"]["achievement"].contains("fieldOfStudy"));
}

TEST(OpenBadge, RefusesWhatACredentialCannotCarry) {
  RecordCredentialInput r = SampleRecord();
  r.unit_title.clear();
  EXPECT_EQ(BuildOpenBadgeCredential(r, SampleContext("did:key:z", 1)).status().pointer(),
            "/unit_title");
  CredentialContext ctx = SampleContext("did:key:z", 1);
  ctx.public_url = "bank.example";
  EXPECT_EQ(BuildOpenBadgeCredential(SampleRecord(), ctx).status().pointer(), "/public_url");
  ctx.public_url = "https://bank.example/";
  EXPECT_EQ(BuildOpenBadgeCredential(SampleRecord(), ctx).status().pointer(), "/public_url");
  ctx = SampleContext("", 1);
  EXPECT_EQ(BuildOpenBadgeCredential(SampleRecord(), ctx).status().pointer(), "/issuer/id");
}

TEST(OpenBadge, AchievementTypeTable) {
  const std::pair<UnitKind, const char*> table[] = {
      {UnitKind::kDegreeCourse, "Course"},
      {UnitKind::kNonDegreeCourse, "Course"},
      {UnitKind::kMooc, "Course"},
      {UnitKind::kVocationalCertificate, "Certificate"},
      {UnitKind::kSkillCertificate, "Certification"},
      {UnitKind::kTraining, "CertificateOfCompletion"},
      {UnitKind::kWorkExperience, "Fieldwork"},
      {UnitKind::kExam, "Assessment"},
      {UnitKind::kAward, "Award"}};
  static_assert(std::size(table) == kUnitKindCount);
  for (const auto& [kind, type] : table) EXPECT_EQ(AchievementTypeOf(kind), type);
}

TEST(Clr, EmbedsCredentials) {
  const CredentialContext ctx = SampleContext("did:key:zBank", 1);
  TranscriptInput t;
  t.learner_id = "lrn_7f3a9c";
  t.valid_from = "2025-02-01T00:00:00Z";
  EXPECT_EQ(BuildClrCredential(t, ctx).status().pointer(), "/credentials");
  t.credentials = {Json{{"a", 1}}, Json{{"b", 2}}};
  const Json clr = BuildClrCredential(t, ctx).value();
  EXPECT_EQ(clr["@context"], Json::array({kVcV2Context, kClr201Context, kOb303Context}));
  EXPECT_EQ(clr["type"], Json::array({"VerifiableCredential", "ClrCredential"}));
  EXPECT_EQ(clr["credentialSubject"]["type"], Json::array({"ClrSubject"}));
  EXPECT_EQ(clr["credentialSubject"]["verifiableCredential"].size(), 2u);
  t.valid_from = "2025-02-01";
  EXPECT_EQ(BuildClrCredential(t, ctx).status().pointer(), "/valid_from");
}

}  // namespace
}  // namespace lcb::vc
