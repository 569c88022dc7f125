#include <nlohmann/json.hpp>

#include "codec/rows.h"
#include "common/date.h"
#include "engine/ruleset_index.h"
#include "storage/keys.h"
#include "tests/service/fixture.h"

namespace lcb::testing {
namespace {

using nlohmann::json;

class PassbookConversionTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    LoadCatalog();
    Program p;
    p.id = "uni:BSC";
    p.institution = "uni";
    p.title = "BSc";
    p.kind = "bachelor";
    p.total_credits = 12000;
    p.requirements = {Requirement{"prog", "Programming", RequirementKind::kCourse, 400},
                      Requirement{"electives", "Electives", RequirementKind::kPool, 600}};
    ASSERT_TRUE(s().catalog().PutProgram(p, Admin()).ok());
  }
  Ruleset Rules() {
    Ruleset rs;
    rs.program = "uni:BSC";
    Rule r1;
    r1.id = "r-prog";
    r1.target = "prog";
    r1.grant = 400;
    r1.sources = {Pattern{.unit = "uni:CS101"}};
    Rule r2;
    r2.id = "r-elective";
    r2.target = "electives";
    r2.grant = 250;
    r2.sources = {Pattern{.kind = UnitKind::kNonDegreeCourse}};
    rs.rules = {r1, r2};
    return rs;
  }
  Principal Uni() {
    Principal p;
    p.kind = RoleKind::kInstitution;
    p.subject = "uni";
    return p;
  }
};

TEST_F(PassbookConversionTest, PassbookFollowsPostsAndRevocations) {
  auto posted =
      Post("uni", {Input(learner_, "uni:CS101", "P-1"), Input(learner_, "uni:MA101", "P-2")});
  ASSERT_TRUE(posted.ok());
  auto view = s().passbook().Get(learner_, TodayUtc());
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->passbook->total_credits, 900);
  EXPECT_EQ(view->passbook->by_field.at("06"), 400);
  auto revoked = Await<Revocation>(
      [&](auto done) { s().records().Revoke(posted->records[0].id, "uni", "error", done); });
  ASSERT_TRUE(revoked.ok());
  // The revocation entry is salted as records are: its id, issuer, reason and time are
  // guessable, and its leaf hash is public.
  json rev = json::parse(s().log().ledger().Entry(revoked->receipt.leaf_index).value());
  EXPECT_EQ(rev["type"], "revocation");
  ASSERT_TRUE(rev["salt"].is_string()) << rev.dump();
  EXPECT_EQ(rev["salt"].get<std::string>().size(), 32u);
  auto again = Await<Revocation>(
      [&](auto done) { s().records().Revoke(posted->records[0].id, "uni", "error", done); });
  ASSERT_TRUE(again.ok()) << again.status().ToString();  // a retry answers the stored one
  EXPECT_EQ(again->receipt.leaf_index, revoked->receipt.leaf_index);
  auto after = s().passbook().Get(learner_, TodayUtc());
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->version, view->version);
  EXPECT_EQ(after->passbook->total_credits, 500);
  EXPECT_EQ(after->passbook->revoked_count, 1);
  EXPECT_EQ(s().passbook().Get("lrn_nobody", TodayUtc()).status().code(), StatusCode::kNotFound);
}

// The stored totals are a cache written every 256 of a learner's events; a clean stop writes
// the ones behind, so that the first read after a restart replays nothing.
TEST_F(PassbookConversionTest, ACleanStopStoresTheTotalsThatWereBehind) {
  auto stored_watermark = [&]() -> std::optional<uint64_t> {
    std::string row;
    if (!s().kv().Get(Table::kLearners, keys::LearnerPassbook(learner_), &row).ok()) return {};
    uint64_t watermark = 0;
    auto totals = DecodePassbookRow(row, &watermark);
    EXPECT_TRUE(totals.ok()) << totals.status().ToString();
    return watermark;
  };
  ASSERT_TRUE(Post("uni", {Input(learner_, "uni:CS101", "S-1")}).ok());
  ASSERT_TRUE(s().passbook().Get(learner_, TodayUtc()).ok());  // built, so stored
  const std::optional<uint64_t> first = stored_watermark();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first, s().records().LastLeaf());
  ASSERT_TRUE(Post("uni", {Input(learner_, "uni:MA101", "S-2")}).ok());
  auto view = s().passbook().Get(learner_, TodayUtc());  // caught up in memory only
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->passbook->total_credits, 900);
  EXPECT_EQ(stored_watermark(), first);
  s().Stop();
  EXPECT_EQ(stored_watermark(), s().records().LastLeaf());
  EXPECT_GT(*stored_watermark(), *first);
  Open();
  auto after = s().passbook().Get(learner_, TodayUtc());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->passbook->total_credits, 900);
}

TEST_F(PassbookConversionTest, PublishEvaluateApplyWhatIf) {
  auto v1 = Await<RulesetPublication>(
      [&](auto done) { s().rulesets().Publish("uni:BSC", Rules(), Uni(), done); });
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1);
  auto v2 = Await<RulesetPublication>(
      [&](auto done) { s().rulesets().Publish("uni:BSC", Rules(), Uni(), done); });
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  auto got = s().rulesets().Get("uni:BSC", 1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->sha256, v1->sha256);
  EXPECT_EQ(got->ruleset.rules.size(), 2u);

  ASSERT_TRUE(Post("uni", {Input(learner_, "uni:CS101", "E-1")}).ok());
  ASSERT_TRUE(Post("ou", {Input(learner_, "ou:ENG1", "E-2")}).ok());
  auto result = s().conversions().Evaluate(learner_, "uni:BSC", TodayUtc());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->granted, 650);
  EXPECT_EQ(result->ruleset_version, 2);
  EXPECT_TRUE(result->optimal);

  const uint64_t size = s().log().Size();
  auto applied = Await<AppliedConversion>(
      [&](auto done) { s().conversions().Apply(learner_, "uni:BSC", TodayUtc(), Uni(), done); });
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->receipt.leaf_index, size);
  EXPECT_EQ(applied->result.granted, 650);

  auto whatif = s().conversions().WhatIf(learner_, {}, TodayUtc(), 10);
  ASSERT_TRUE(whatif.ok());
  ASSERT_EQ(whatif->results.size(), 1u);
  EXPECT_EQ(whatif->results[0].title, "BSc");
  EXPECT_EQ(s().conversions().WhatIf(learner_, {"uni:NOPE"}, TodayUtc(), 10).status().pointer(),
            "/programs");
}

// A conversion's log entry holds the program as evaluated and the decision, not a line per record
// it left unused: an outside review had a learner with many records get 413 (an entry holds at
// most 65,535 bytes; ~70 bytes per unused record, so ~900 records were enough).
TEST_F(PassbookConversionTest, AConversionOfALearnerWithManyRecordsIsLogged) {
  ASSERT_TRUE(Await<RulesetPublication>([&](auto done) {
                s().rulesets().Publish("uni:BSC", Rules(), Uni(), done);
              }).ok());
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<RecordInput> in;
    for (int i = 0; i < 1000; ++i) {
      in.push_back(Input(learner_, "uni:MA101", "M-" + std::to_string(batch * 1000 + i)));
    }
    ASSERT_TRUE(Post("uni", in).ok());
  }
  auto applied = Await<AppliedConversion>(
      [&](auto done) { s().conversions().Apply(learner_, "uni:BSC", TodayUtc(), Uni(), done); });
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->result.unused.size(), 3000u);  // the answer still explains every record
  auto bytes = s().log().ledger().Entry(applied->receipt.leaf_index);
  ASSERT_TRUE(bytes.ok());
  EXPECT_LT(bytes->size(), 4096u);
  json entry = json::parse(*bytes);
  EXPECT_EQ(entry["result"]["unused_count"], 3000);
  EXPECT_FALSE(entry["result"].contains("unused"));
  EXPECT_EQ(entry["program_snapshot"]["total_credits"], 120);
  EXPECT_EQ(entry["program_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(entry["program_snapshot"]["requirements"].size(), 2u);
  EXPECT_EQ(entry["result"]["granted"], 0);
}

// Names that match nothing, ever, are typos that leave a rule or a cap silently dead (an outside
// review had each stored): a source's unit or issuer, a cap's issuer key, must be in the catalog;
// a unit's level must be one of its institution's framework.
TEST_F(PassbookConversionTest, RulesCapsAndUnitsNameWhatTheCatalogHolds) {
  auto publish = [&](Pattern p) {
    Ruleset rs = Rules();
    rs.rules[1].sources = {p};
    return Await<RulesetPublication>(
        [&](auto done) { s().rulesets().Publish("uni:BSC", rs, Uni(), done); });
  };
  auto bad_unit = publish(Pattern{.unit = "uni:NOPE"});
  EXPECT_EQ(bad_unit.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_unit.status().pointer(), "/rules/1/sources/0/unit");
  auto bad_issuer = publish(Pattern{.kind = UnitKind::kMooc, .issuer = "nobody"});
  EXPECT_EQ(bad_issuer.status().pointer(), "/rules/1/sources/0/issuer");
  EXPECT_TRUE(publish(Pattern{.kind = UnitKind::kMooc, .issuer = "ou"}).ok());

  Program p = s().catalog().GetProgram("uni:BSC").value();
  Cap cap;
  cap.by = CapBy::kIssuer;
  cap.limits["no/body"] = 300;
  p.policy.caps = {cap};
  EXPECT_EQ(s().catalog().PutProgram(p, Admin()).status().pointer(),
            "/policy/caps/0/limits/no~1body");
  p.policy.caps[0].limits = {{"ou", 300}};
  p.policy.caps[0].max_count = {{"nobody", 1}};
  EXPECT_EQ(s().catalog().PutProgram(p, Admin()).status().pointer(),
            "/policy/caps/0/max_count/nobody");
  p.policy.caps[0].max_count = {{"ou", 1}};
  EXPECT_TRUE(s().catalog().PutProgram(p, Admin()).ok());

  Institution cn{"cnu", "中国大学", "university"};
  cn.regime = "cn";
  ASSERT_TRUE(s().catalog().PutInstitution(cn, Admin()).ok());
  Status low = s().catalog().PutUnit(MakeUnit("cnu:LOW", 300, 3, "0613"), Admin()).status();
  EXPECT_EQ(low.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(low.pointer(), "/level");
  EXPECT_TRUE(s().catalog().PutUnit(MakeUnit("cnu:OK", 300, 6, "0613"), Admin()).ok());
}

TEST_F(PassbookConversionTest, AProgramChangeMayNotInvalidateThePublishedRules) {
  ASSERT_TRUE(Await<RulesetPublication>([&](auto done) {
                s().rulesets().Publish("uni:BSC", Rules(), Uni(), done);
              }).ok());
  Program p = s().catalog().GetProgram("uni:BSC").value();
  p.requirements.pop_back();  // the "electives" a rule targets
  Status refused = s().catalog().PutProgram(p, Admin()).status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.pointer(), "/requirements");
  // A requirement's credits below a rule's grant is named at that requirement's credits, and
  // the message says which rule (no internal status code in it).
  p = s().catalog().GetProgram("uni:BSC").value();
  p.requirements[0].credits = 300;  // r-prog grants 4
  refused = s().catalog().PutProgram(p, Admin()).status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.pointer(), "/requirements/0/credits");
  EXPECT_NE(refused.message().find("/rules/0/grant"), std::string::npos) << refused.message();
  EXPECT_EQ(refused.message().find("INVALID_ARGUMENT"), std::string::npos) << refused.message();
  p = s().catalog().GetProgram("uni:BSC").value();
  p.title = "BSc (new)";
  ASSERT_TRUE(s().catalog().PutProgram(p, Admin()).ok());
  auto compiled = s().rulesets().Compiled("uni:BSC");
  ASSERT_TRUE(compiled.ok());
  EXPECT_EQ((*compiled)->program().title, "BSc (new)");
}

}  // namespace
}  // namespace lcb::testing
