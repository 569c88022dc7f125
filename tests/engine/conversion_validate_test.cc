// ValidateRuleset / ValidateProgramPolicy: each check names the offending field.
#include <gtest/gtest.h>

#include "engine/ruleset_validate.h"

namespace lcb {
namespace {

Pattern Pat(std::optional<std::string> unit, std::optional<UnitKind> kind = {},
            std::optional<std::string> field = {}, std::optional<int> min_level = {},
            std::optional<Centi> min_credits = {}, std::optional<std::string> issuer = {}) {
  Pattern p;
  p.unit = std::move(unit);
  p.kind = kind;
  p.field_prefix = std::move(field);
  p.min_level = min_level;
  p.min_credits = min_credits;
  p.issuer = std::move(issuer);
  return p;
}

Program BaseProgram() {
  Program p;
  p.id = "uni:cs";
  p.total_credits = 12000;
  p.requirements.push_back({"algo", "Algorithms", RequirementKind::kCourse, 400});
  p.requirements.push_back({"el", "Electives", RequirementKind::kPool, 1000});
  return p;
}

Ruleset BaseRuleset() {
  Ruleset rs;
  rs.program = "uni:cs";
  Rule r;
  r.id = "r0";
  r.target = "algo";
  r.grant = 400;
  r.sources.push_back(Pat("mit:6.006"));
  rs.rules.push_back(r);
  Rule p;
  p.id = "r1";
  p.target = "el";
  p.grant = 200;
  p.sources.push_back(Pat({}, UnitKind::kMooc, "06", 4));
  rs.rules.push_back(p);
  return rs;
}

std::string PointerOf(const Program& p, const Ruleset& rs) {
  Status s = ValidateRuleset(p, rs);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  return s.pointer();
}

TEST(ConversionValidateTest, AcceptsGoodRuleset) {
  EXPECT_TRUE(ValidateRuleset(BaseProgram(), BaseRuleset()).ok());
  EXPECT_TRUE(ValidateProgramPolicy(BaseProgram()).ok());
}

TEST(ConversionValidateTest, RulePointers) {
  Program p = BaseProgram();
  Ruleset rs = BaseRuleset();
  rs.program = "uni:other";
  EXPECT_EQ(PointerOf(p, rs), "/program");

  rs = BaseRuleset();
  rs.rules[1].id = "r0";
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/id");
  rs.rules[1].id = "";
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/id");

  rs = BaseRuleset();
  rs.rules[0].target = "nope";
  EXPECT_EQ(PointerOf(p, rs), "/rules/0/target");

  rs = BaseRuleset();
  rs.rules[0].grant = 0;
  EXPECT_EQ(PointerOf(p, rs), "/rules/0/grant");
  rs.rules[0].grant = 450;  // course is 4 credits
  EXPECT_EQ(PointerOf(p, rs), "/rules/0/grant");
  rs = BaseRuleset();
  rs.rules[1].grant = 1100;  // pool is 10 credits
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/grant");

  rs = BaseRuleset();
  rs.rules[0].sources.clear();
  EXPECT_EQ(PointerOf(p, rs), "/rules/0/sources");
  rs.rules[0].sources.assign(9, Pat("a:b"));
  EXPECT_EQ(PointerOf(p, rs), "/rules/0/sources");

  rs = BaseRuleset();
  rs.rules[1].sources.push_back(Pat({}, {}, "6"));
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/sources/1/field");
  rs.rules[1].sources[1].field_prefix = "06a";
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/sources/1/field");
  rs.rules[1].sources[1].field_prefix = "06131";
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/sources/1/field");
  rs.rules[1].sources[1] = Pat({}, {}, {}, 11);
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/sources/1/min_level");
  rs.rules[1].sources[1] = Pat({}, {}, {}, 0);
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/sources/1/min_level");
  rs.rules[1].sources[1] = Pat({}, {}, {}, {}, -1);
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/sources/1/min_credits");
  rs.rules[1].sources[1] = Pat({}, {}, {}, {}, {}, "");
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/sources/1/issuer");
  rs.rules[1].sources[1] = Pat({});
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/sources/1");
  rs.rules[1].sources[1] = Pat("a:b", UnitKind::kMooc);
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/sources/1");
  rs.rules[1].sources[1] = Pat("nocolon");
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/sources/1/unit");

  rs = BaseRuleset();
  rs.rules[1].min_grade = 101;
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/min_grade");
  rs = BaseRuleset();
  rs.rules[1].max_age_years = 0;
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/max_age_years");
  rs.rules[1].max_age_years = 101;
  EXPECT_EQ(PointerOf(p, rs), "/rules/1/max_age_years");
}

TEST(ConversionValidateTest, PolicyPointers) {
  auto pointer = [](const Program& p) {
    Status s = ValidateProgramPolicy(p);
    EXPECT_FALSE(s.ok());
    return s.pointer();
  };
  Program p = BaseProgram();
  p.total_credits = 0;
  EXPECT_EQ(pointer(p), "/total_credits");
  p = BaseProgram();
  p.requirements[1].id = "algo";
  EXPECT_EQ(pointer(p), "/requirements/1/id");
  p = BaseProgram();
  p.requirements[0].credits = 0;
  EXPECT_EQ(pointer(p), "/requirements/0/credits");
  p = BaseProgram();
  p.policy.max_transfer_ratio_bp = 10001;
  EXPECT_EQ(pointer(p), "/policy/max_transfer_ratio");
  p = BaseProgram();
  p.policy.max_transfer_credits = -5;
  EXPECT_EQ(pointer(p), "/policy/max_transfer_credits");
  p = BaseProgram();
  p.policy.min_grade = -1;
  EXPECT_EQ(pointer(p), "/policy/min_grade");
  p = BaseProgram();
  p.policy.max_age_years = 0;
  EXPECT_EQ(pointer(p), "/policy/max_age_years");

  p = BaseProgram();
  Cap cap;
  cap.by = CapBy::kKind;
  cap.limits["mooc"] = 1000;
  cap.limits["moocs"] = 1000;
  p.policy.caps.push_back(cap);
  EXPECT_EQ(pointer(p), "/policy/caps/0/limits/moocs");
  p.policy.caps[0].limits.erase("moocs");
  p.policy.caps[0].limits["mooc"] = -1;
  EXPECT_EQ(pointer(p), "/policy/caps/0/limits/mooc");
  p.policy.caps[0].limits["mooc"] = 1000;
  p.policy.caps[0].max_count["award"] = -2;
  EXPECT_EQ(pointer(p), "/policy/caps/0/max_count/award");
  p.policy.caps[0].max_count["award"] = 2;
  EXPECT_TRUE(ValidateProgramPolicy(p).ok());
  Cap year;
  year.by = CapBy::kYear;
  year.limits["24"] = 100;
  p.policy.caps.push_back(year);
  EXPECT_EQ(pointer(p), "/policy/caps/1/limits/24");
  p.policy.caps[1].limits.clear();
  p.policy.caps[1].default_limit = -1;
  EXPECT_EQ(pointer(p), "/policy/caps/1/default_limit");
  p.policy.caps[1].default_limit = 4200;
  Cap issuer;
  issuer.by = CapBy::kIssuer;
  issuer.limits["a/b~c"] = -1;
  p.policy.caps.push_back(issuer);
  EXPECT_EQ(pointer(p), "/policy/caps/2/limits/a~1b~0c");  // RFC 6901 escaping
}

}  // namespace
}  // namespace lcb
