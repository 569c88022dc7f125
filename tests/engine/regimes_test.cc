// The regime table's invariants (every value names a source in range, levels ordered and
// mapped onto the common scale consistently), common-level resolution, and one program that
// counts records from institutions of different regimes with a min_level rule.
#include "engine/regimes.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "engine/catalog_validation.h"
#include "engine/conversion.h"
#include "engine/grades.h"
#include "engine/recognition.h"
#include "engine/ruleset_index.h"

namespace lcb {
namespace {

bool InRange(int source, const Regime& r) {
  return source >= 0 && static_cast<size_t>(source) < r.sources.size();
}

TEST(RegimeTable, IdsAreUniqueAndNamed) {
  std::set<std::string_view> ids;
  ASSERT_EQ(Regimes().size(), 4u);
  for (const Regime& r : Regimes()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_FALSE(r.name_zh.empty()) << r.id;
    EXPECT_FALSE(r.name_en.empty()) << r.id;
    EXPECT_FALSE(r.framework_zh.empty()) << r.id;
    EXPECT_FALSE(r.framework_en.empty()) << r.id;
    EXPECT_EQ(FindRegime(r.id), &r);
  }
  EXPECT_EQ(FindRegime("nope"), nullptr);
  EXPECT_EQ(FindRegime(""), nullptr);
}

TEST(RegimeTable, EverySourceIsComplete) {
  for (const Regime& r : Regimes()) {
    ASSERT_FALSE(r.sources.empty()) << r.id;
    for (const RegimeSource& s : r.sources) {
      EXPECT_FALSE(s.title.empty()) << r.id;
      EXPECT_FALSE(s.publisher.empty()) << r.id << " " << s.title;
      EXPECT_FALSE(s.section.empty()) << r.id << " " << s.title;
      EXPECT_TRUE(s.url.starts_with("https://") || s.url.starts_with("http://"))
          << r.id << " " << s.url;
    }
  }
}

TEST(RegimeTable, EveryValueNamesASourceInRange) {
  for (const Regime& r : Regimes()) {
    EXPECT_TRUE(InRange(r.hours_source, r)) << r.id;
    EXPECT_TRUE(InRange(r.framework_source, r)) << r.id;
    if (r.max_transfer_ratio_bp) {
      EXPECT_TRUE(InRange(r.ratio_source, r)) << r.id;
    }
    for (const RegimeLevel& l : r.levels) EXPECT_TRUE(InRange(l.source, r)) << r.id << l.level;
    for (const RegimeGradeScale& g : r.grade_scales) EXPECT_TRUE(InRange(g.source, r)) << r.id;
    for (const RegimeCap& c : r.caps) EXPECT_TRUE(InRange(c.source, r)) << r.id;
  }
}

TEST(RegimeTable, HoursPerCreditIsAPositiveRangeHoldingTheDefault) {
  for (const Regime& r : Regimes()) {
    EXPECT_GT(r.hours_per_credit_min, 0) << r.id;
    EXPECT_LE(r.hours_per_credit_min, r.hours_per_credit) << r.id;
    EXPECT_LE(r.hours_per_credit, r.hours_per_credit_max) << r.id;
  }
  // The published figures (docs/regimes.md): CN 16-18, ECTS 25-30, HK QF 10.
  EXPECT_EQ(FindRegime("cn")->hours_per_credit, 1600);
  EXPECT_EQ(FindRegime("cn")->hours_per_credit_max, 1800);
  EXPECT_EQ(FindRegime("ects")->hours_per_credit_min, 2500);
  EXPECT_EQ(FindRegime("ects")->hours_per_credit_max, 3000);
  EXPECT_EQ(FindRegime("hk-qf")->hours_per_credit, 1000);
  EXPECT_EQ(FindRegime("kr-acbs")->hours_per_credit, 1500);
}

TEST(RegimeTable, LevelsAreOrderedAndMapMonotonicallyOntoTheCommonScale) {
  for (const Regime& r : Regimes()) {
    ASSERT_FALSE(r.levels.empty()) << r.id;
    int prev_level = 0, prev_eqf = 0;
    for (const RegimeLevel& l : r.levels) {
      EXPECT_GT(l.level, prev_level) << r.id;
      EXPECT_GE(l.level, kMinLevel) << r.id;
      EXPECT_LE(l.level, kMaxLevel) << r.id;  // the bank's level field holds any of them
      EXPECT_GE(l.eqf, 0) << r.id;
      EXPECT_LE(l.eqf, kCommonLevelMax) << r.id;
      EXPECT_GE(l.isced, -1) << r.id;
      EXPECT_LE(l.isced, 8) << r.id;
      EXPECT_FALSE(l.name_zh.empty()) << r.id;
      EXPECT_FALSE(l.name_en.empty()) << r.id;
      if (l.eqf > 0) {
        EXPECT_GE(l.eqf, prev_eqf) << r.id << " level " << l.level;  // a higher level never
        prev_eqf = l.eqf;                                            // maps lower
      }
      // Tertiary levels: ISCED 5..8 and EQF 5..8 are the same cycles (EQF Annex II).
      if (l.isced >= 5) {
        EXPECT_EQ(l.eqf, l.isced) << r.id << " level " << l.level;
      }
      prev_level = l.level;
    }
  }
}

TEST(RegimeTable, EqfIsItsOwnCommonScale) {
  const Regime* ects = FindRegime("ects");
  ASSERT_EQ(ects->levels.size(), 8u);
  for (const RegimeLevel& l : ects->levels) EXPECT_EQ(l.eqf, l.level);
}

TEST(RegimeTable, GradeScalesAreBuiltIn) {
  GradeScales scales;
  for (const Regime& r : Regimes()) {
    EXPECT_FALSE(r.grade_scales.empty()) << r.id;
    for (const RegimeGradeScale& g : r.grade_scales) {
      EXPECT_NE(scales.Find(g.scale), nullptr) << r.id << " " << g.scale;
    }
  }
}

TEST(RegimeTable, DefaultPoliciesAreValidCaps) {
  for (const Regime& r : Regimes()) {
    if (r.max_transfer_ratio_bp) {
      EXPECT_GT(*r.max_transfer_ratio_bp, 0);
      EXPECT_LE(*r.max_transfer_ratio_bp, 10000);
    }
    for (const RegimeCap& c : r.caps) {
      EXPECT_GT(c.limit, 0) << r.id;
      EXPECT_FALSE(c.note.empty()) << r.id;
    }
  }
  Policy kr = FindRegime("kr-acbs")->DefaultPolicy();
  ASSERT_EQ(kr.caps.size(), 2u);
  EXPECT_EQ(kr.caps[0].by, CapBy::kYear);
  EXPECT_EQ(kr.caps[0].default_limit, 4200);
  EXPECT_EQ(kr.caps[1].by, CapBy::kIssuer);
  EXPECT_EQ(kr.caps[1].default_limit, 10500);
  EXPECT_EQ(FindRegime("cn")->DefaultPolicy().max_transfer_ratio_bp, 5000);
}

TEST(RegimeId, EmptyOrPresetIsValid) {
  EXPECT_TRUE(ValidateRegimeId("").ok());
  EXPECT_TRUE(ValidateRegimeId("hk-qf").ok());
  Status bad = ValidateRegimeId("eu");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.pointer(), "/regime");
}

Institution Issuer(std::string id, std::string regime) {
  Institution inst;
  inst.id = std::move(id);
  inst.name = inst.id;
  inst.kind = "university";
  inst.regime = std::move(regime);
  return inst;
}

TEST(CommonLevel, WithoutRegimeItIsThePostedLevel) {
  Record rec;
  rec.level = 9;
  ASSERT_TRUE(ResolveCommonLevel(Issuer("a", ""), &rec).ok());
  EXPECT_EQ(rec.common_level, 9);
  EXPECT_EQ(rec.level, 9);
}

TEST(CommonLevel, ARegimeMapsThroughItsPublishedTable) {
  Record rec;
  rec.level = 5;  // HKQF 5: bachelor -> EQF 6
  ASSERT_TRUE(ResolveCommonLevel(Issuer("hku", "hk-qf"), &rec).ok());
  EXPECT_EQ(rec.level, 5);
  EXPECT_EQ(rec.common_level, 6);
  rec.level = 2;  // no published correspondence retrieved
  ASSERT_TRUE(ResolveCommonLevel(Issuer("hku", "hk-qf"), &rec).ok());
  EXPECT_EQ(rec.common_level, 0);
}

TEST(CommonLevel, ALevelOutsideTheFrameworkIsRejectedAtLevel) {
  Record rec;
  rec.level = 8;
  Status s = ResolveCommonLevel(Issuer("hku", "hk-qf"), &rec);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.pointer(), "/level");
  EXPECT_NE(s.message().find("QF Level 7"), std::string::npos) << s.message();
  rec.level = 3;
  EXPECT_EQ(ResolveCommonLevel(Issuer("snu", "kr-acbs"), &rec).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveCommonLevel(Issuer("x", "mars"), &rec).code(), StatusCode::kFailedPrecondition);
}

TEST(CommonLevel, UnresolvedRecordsMatchOnTheirPostedLevel) {
  Record rec;
  rec.level = 4;
  EXPECT_EQ(rec.common_level, kCommonLevelUnresolved);
  EXPECT_EQ(RecordMatchLevel(rec), 4);
  rec.common_level = 0;
  EXPECT_EQ(RecordMatchLevel(rec), 0);
}

// Recognition keeps the posted level and sets the common one.
TEST(CommonLevel, RecognizeKeepsThePostedLevel) {
  Institution hku = Issuer("hku", "hk-qf");
  hku.hours_per_credit = 1000;
  Unit unit;
  unit.id = "hku:ECON1001";
  unit.institution = "hku";
  unit.title = "Introductory Microeconomics";
  unit.credits = 600;
  unit.level = 5;
  unit.field = "0311";
  RecordInput in;
  in.learner = "lrn_1";
  in.unit = unit.id;
  in.external_ref = "r1";
  in.hours = 6000;  // 60 notional hours = 6 QF credits
  in.grade_scale = "pass_fail";
  in.grade_value = "pass";
  in.completed_on = "2024-06-30";
  GradeScales scales;
  auto rec = Recognize(in, unit, hku, scales, DaysFromCivil({2025, 1, 1}));
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  EXPECT_EQ(rec->level, 5);
  EXPECT_EQ(rec->common_level, 6);
  EXPECT_EQ(rec->credits, 600);
  in.level = 9;
  auto bad = Recognize(in, unit, hku, scales, DaysFromCivil({2025, 1, 1}));
  EXPECT_EQ(bad.status().pointer(), "/level");
}

// One program, records from institutions of four regimes (and one without), a pool filled by
// a `min_level: 6` rule: only records at EQF 6 or above count, whatever their posted level.
TEST(CrossRegimeConversion, MinLevelComparesTheCommonLevel) {
  struct Posted {
    std::string id, issuer, regime;
    int level;
    bool counts;
  };
  const std::vector<Posted> posted = {
      {"rec_hk5", "hku", "hk-qf", 5, true},     // HKQF 5 (bachelor) = EQF 6
      {"rec_hk4", "hku", "hk-qf", 4, false},    // HKQF 4 (associate) = EQF 5
      {"rec_eu6", "tud", "ects", 6, true},      // EQF 6
      {"rec_eu5", "tud", "ects", 5, false},     // EQF 5
      {"rec_cn7", "pku", "cn", 7, true},        // 硕士 = EQF 7
      {"rec_kr5", "snu", "kr-acbs", 5, false},  // 전문학사 = EQF 5
      {"rec_kr6", "snu", "kr-acbs", 6, true},   // 학사 = EQF 6
      {"rec_hk3", "hku", "hk-qf", 3, false},    // HKQF 3: no EQF correspondence
      {"rec_no6", "old", "", 6, true},          // no regime: the posted level is common
  };
  std::vector<Record> records;
  for (const Posted& p : posted) {
    Record r;
    r.id = p.id;
    r.learner = "lrn_1";
    r.unit = p.issuer + ":U";
    r.issuer = p.issuer;
    r.kind = UnitKind::kDegreeCourse;
    r.credits = 300;
    r.level = p.level;
    r.field = "0613";
    r.grade_scale = "percent";
    r.grade = 80;
    r.completed_on = DaysFromCivil({2024, 6, 30});
    ASSERT_TRUE(ResolveCommonLevel(Issuer(p.issuer, p.regime), &r).ok()) << p.id;
    EXPECT_EQ(r.level, p.level);
    records.push_back(r);
  }
  Program program;
  program.id = "uni:ms";
  program.institution = "uni";
  program.total_credits = 12000;
  program.requirements.push_back({"electives", "Electives", RequirementKind::kPool, 10000});
  Ruleset ruleset;
  ruleset.program = program.id;
  ruleset.version = 1;
  Rule rule;
  rule.id = "advanced";
  rule.target = "electives";
  rule.grant = 300;
  Pattern pattern;
  pattern.kind = UnitKind::kDegreeCourse;
  pattern.min_level = 6;
  rule.sources.push_back(pattern);
  ruleset.rules.push_back(rule);
  auto compiled = CompiledRuleset::Compile(program, ruleset);
  ConversionResult result = Evaluate(*compiled, records, DaysFromCivil({2025, 6, 30}));
  ASSERT_TRUE(result.optimal);
  std::set<std::string> used;
  for (const auto& req : result.requirements) {
    for (const auto& app : req.applications) used.insert(app.records.begin(), app.records.end());
  }
  for (const Posted& p : posted) EXPECT_EQ(used.count(p.id), p.counts ? 1u : 0u) << p.id;
  EXPECT_EQ(result.granted, 5 * 300);
  for (const auto& u : result.unused) EXPECT_EQ(u.reason, "no_rule") << u.record;
}

}  // namespace
}  // namespace lcb
