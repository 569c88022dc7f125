#include "engine/catalog_validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace lcb {
namespace {

Institution GoodInstitution() {
  Institution i;
  i.id = "tsinghua";
  i.name = "清华大学";
  i.kind = "university";
  i.hours_per_credit = 1600;
  return i;
}

Unit GoodUnit() {
  Unit u;
  u.id = "tsinghua:CS101";
  u.institution = "tsinghua";
  u.title = "程序设计基础";
  u.kind = UnitKind::kDegreeCourse;
  u.credits = 400;
  u.hours = 6400;
  u.level = 6;
  u.field = "0613";
  u.validity_years = 0;
  return u;
}

Program GoodProgram() {
  Program p;
  p.id = "tsinghua:BSc-CS";
  p.institution = "tsinghua";
  p.title = "计算机科学与技术（本科）";
  p.kind = "bachelor";
  p.total_credits = 16000;
  p.requirements = {{"cs101", "Programming", RequirementKind::kCourse, 400},
                    {"electives", "Electives", RequirementKind::kPool, 2000}};
  p.policy.max_transfer_credits = 8000;
  p.policy.max_transfer_ratio_bp = 5000;
  p.policy.min_grade = 60;
  p.policy.max_age_years = 10;
  Cap kind_cap;
  kind_cap.by = CapBy::kKind;
  kind_cap.limits = {{"mooc", 1000}};
  kind_cap.max_count = {{"vocational_certificate", 3}};
  Cap issuer_cap;
  issuer_cap.by = CapBy::kIssuer;
  issuer_cap.default_limit = 10500;
  Cap year_cap;
  year_cap.by = CapBy::kYear;
  year_cap.limits = {{"2024", 4200}};
  p.policy.caps = {kind_cap, issuer_cap, year_cap};
  return p;
}

// Applies `mutate` to a good object and returns the validation error's pointer ("" if ok).
template <typename T>
std::string PointerAfter(T obj, const std::function<void(T&)>& mutate,
                         Status (*validate)(const T&)) {
  mutate(obj);
  Status s = validate(obj);
  if (!s.ok()) {
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  }
  return s.pointer();
}

std::string Inst(const std::function<void(Institution&)>& m) {
  return PointerAfter<Institution>(GoodInstitution(), m, &ValidateInstitution);
}
std::string UnitP(const std::function<void(Unit&)>& m) {
  return PointerAfter<Unit>(GoodUnit(), m, &ValidateUnit);
}
std::string Prog(const std::function<void(Program&)>& m) {
  return PointerAfter<Program>(GoodProgram(), m, &ValidateProgramShape);
}

TEST(CatalogValidationTest, GoodObjectsPass) {
  EXPECT_TRUE(ValidateInstitution(GoodInstitution()).ok());
  EXPECT_TRUE(ValidateUnit(GoodUnit()).ok());
  Status s = ValidateProgramShape(GoodProgram());
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(CatalogValidationTest, InstitutionId) {
  for (const std::string& id : std::vector<std::string>{"ab", "a1", "0x", "open-univ",
                                                        "sh_lifelong", std::string(63, 'a')}) {
    EXPECT_EQ(Inst([&](Institution& i) { i.id = id; }), "") << id;
  }
  for (const std::string& id : std::vector<std::string>{
           "", "a", "Tsinghua", "-ab", "_ab", "a b", "a:b", "a.b", "清华", std::string(64, 'a')}) {
    EXPECT_EQ(Inst([&](Institution& i) { i.id = id; }), "/id") << id;
  }
}

TEST(CatalogValidationTest, InstitutionName) {
  EXPECT_EQ(Inst([](Institution& i) { i.name = ""; }), "/name");
  EXPECT_EQ(Inst([](Institution& i) { i.name = "a\tb"; }), "/name");
  EXPECT_EQ(Inst([](Institution& i) { i.name = "a\xC2\x85"; }), "/name");  // C1 NEL
  EXPECT_EQ(Inst([](Institution& i) { i.name = "\xFF"; }), "/name");
  // 200 Chinese characters (600 bytes) are fine; 201 are not.
  std::string name;
  for (int k = 0; k < 200; ++k) name += "学";
  EXPECT_EQ(Inst([&](Institution& i) { i.name = name; }), "");
  EXPECT_EQ(Inst([&](Institution& i) { i.name = name + "x"; }), "/name");
}

TEST(CatalogValidationTest, InstitutionKind) {
  for (const std::string& kind : std::vector<std::string>{
           "university", "vocational_college", "elder_university", "mooc_platform", "employer"}) {
    EXPECT_EQ(Inst([&](Institution& i) { i.kind = kind; }), "") << kind;
  }
  for (const std::string& kind :
       std::vector<std::string>{"", "University", "1uni", "mooc platform", std::string(33, 'a')}) {
    EXPECT_EQ(Inst([&](Institution& i) { i.kind = kind; }), "/kind") << kind;
  }
}

TEST(CatalogValidationTest, HoursPerCredit) {
  EXPECT_EQ(Inst([](Institution& i) { i.hours_per_credit = 1; }), "");
  EXPECT_EQ(Inst([](Institution& i) { i.hours_per_credit = 2500; }), "");
  EXPECT_EQ(Inst([](Institution& i) { i.hours_per_credit = 100000; }), "");
  EXPECT_EQ(Inst([](Institution& i) { i.hours_per_credit = 0; }), "/hours_per_credit");
  EXPECT_EQ(Inst([](Institution& i) { i.hours_per_credit = -1600; }), "/hours_per_credit");
  EXPECT_EQ(Inst([](Institution& i) { i.hours_per_credit = 100001; }), "/hours_per_credit");
}

TEST(CatalogValidationTest, Certifies) {
  EXPECT_EQ(Inst([](Institution& i) { i.certifies = {"miit:", "hrss:CERT-", "moe:1.2"}; }), "");
  EXPECT_EQ(Inst([](Institution& i) { i.certifies = {"miit:", ""}; }), "/certifies/1");
  EXPECT_EQ(Inst([](Institution& i) { i.certifies = {"miit"}; }), "/certifies/0");
  EXPECT_EQ(Inst([](Institution& i) { i.certifies = {":x"}; }), "/certifies/0");
  EXPECT_EQ(Inst([](Institution& i) { i.certifies = {"miit:a b"}; }), "/certifies/0");
}

TEST(CatalogValidationTest, UnitId) {
  EXPECT_EQ(UnitP([](Unit& u) { u.id = "tsinghua:a.B_c-9"; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.id = "tsinghua:" + std::string(64, 'x'); }), "");
  for (const std::string& id : std::vector<std::string>{
           "", "tsinghua", "tsinghua:", ":CS101", "tsinghua:CS 101", "tsinghua:CS:101",
           "Tsinghua:CS101", "tsinghua:课程", "tsinghua:" + std::string(65, 'x')}) {
    EXPECT_EQ(UnitP([&](Unit& u) { u.id = id; }), "/id") << id;
  }
  EXPECT_EQ(UnitP([](Unit& u) { u.institution = "pku"; }), "/institution");
}

TEST(CatalogValidationTest, UnitTitle) {
  EXPECT_EQ(UnitP([](Unit& u) { u.title = ""; }), "/title");
  EXPECT_EQ(UnitP([](Unit& u) { u.title = std::string(200, 'x'); }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.title = std::string(201, 'x'); }), "/title");
  EXPECT_EQ(UnitP([](Unit& u) { u.title = "a\nb"; }), "/title");
}

TEST(CatalogValidationTest, UnitKindRange) {
  EXPECT_EQ(UnitP([](Unit& u) { u.kind = UnitKind::kAward; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.kind = static_cast<UnitKind>(kUnitKindCount); }), "/kind");
}

TEST(CatalogValidationTest, UnitCreditsAndHours) {
  EXPECT_EQ(UnitP([](Unit& u) { u.credits = 0; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.credits = 750; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.credits = 100000; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.credits = 100001; }), "/credits");
  EXPECT_EQ(UnitP([](Unit& u) { u.credits = -1; }), "/credits");
  EXPECT_EQ(UnitP([](Unit& u) { u.hours = 0; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.hours = -1; }), "/hours");
  EXPECT_EQ(UnitP([](Unit& u) { u.hours = 10'000'001; }), "/hours");
}

TEST(CatalogValidationTest, UnitLevel) {
  EXPECT_EQ(UnitP([](Unit& u) { u.level = 1; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.level = 10; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.level = 0; }), "/level");
  EXPECT_EQ(UnitP([](Unit& u) { u.level = 11; }), "/level");
  EXPECT_EQ(UnitP([](Unit& u) { u.level = -3; }), "/level");
}

TEST(CatalogValidationTest, UnitField) {
  EXPECT_EQ(UnitP([](Unit& u) { u.field = "06"; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.field = "061"; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.field = "0613"; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.field = "0614"; }), "/field");
  EXPECT_EQ(UnitP([](Unit& u) { u.field = ""; }), "/field");
  EXPECT_EQ(UnitP([](Unit& u) { u.field = "6"; }), "/field");
}

TEST(CatalogValidationTest, IscedF2013Codes) {
  for (std::string_view ok :
       {"00", "01", "05", "10", "99", "001", "011", "018", "023", "061", "104", "108", "999",
        "0011", "0031", "0111", "0114", "0188", "0215", "0232", "0314", "0322", "0417", "0421",
        "0542", "0613", "0688", "0716", "0724", "0732", "0841", "0917", "0923", "1015", "1022",
        "1032", "1041", "1088", "9999",
        // residual codes: not further defined (x0) and not elsewhere classified (x9)
        "000", "020", "029", "0200", "0210", "0219", "0299", "0610", "0619", "1000"}) {
    EXPECT_TRUE(IsIscedF2013(ok)) << ok;
  }
  for (std::string_view bad :
       {"",     "0",    "11",   "12",   "98",   "012",   "024",  "062",  "105",  "111",
        "990",  "998",  "0115", "0216", "0224", "0315",  "0418", "0422", "0513", "0534",
        "0543", "0614", "0717", "0725", "0733", "0813",  "0822", "0918", "0924", "1016",
        "1023", "1033", "1042", "9990", "9998", "06131", "06a",  "0x",   " 06",  "０６"}) {
    EXPECT_FALSE(IsIscedF2013(bad)) << bad;
  }
}

TEST(CatalogValidationTest, UnitValidityYears) {
  EXPECT_EQ(UnitP([](Unit& u) { u.validity_years = 0; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.validity_years = 100; }), "");
  EXPECT_EQ(UnitP([](Unit& u) { u.validity_years = 101; }), "/validity_years");
  EXPECT_EQ(UnitP([](Unit& u) { u.validity_years = -1; }), "/validity_years");
}

TEST(CatalogValidationTest, ProgramIdentity) {
  EXPECT_EQ(Prog([](Program& p) { p.id = "tsinghua"; }), "/id");
  EXPECT_EQ(Prog([](Program& p) { p.institution = "pku"; }), "/institution");
  EXPECT_EQ(Prog([](Program& p) { p.title = ""; }), "/title");
  EXPECT_EQ(Prog([](Program& p) { p.title = std::string(201, 'x'); }), "/title");
  EXPECT_EQ(Prog([](Program& p) { p.kind = ""; }), "/kind");
  EXPECT_EQ(Prog([](Program& p) { p.kind = "Bachelor"; }), "/kind");
  EXPECT_EQ(Prog([](Program& p) { p.kind = "associate"; }), "");
}

TEST(CatalogValidationTest, ProgramTotalCredits) {
  EXPECT_EQ(Prog([](Program& p) { p.total_credits = 0; }), "/total_credits");
  EXPECT_EQ(Prog([](Program& p) { p.total_credits = 100001; }), "/total_credits");
  EXPECT_EQ(Prog([](Program& p) { p.total_credits = 24000; }), "");
}

TEST(CatalogValidationTest, ProgramRequirements) {
  EXPECT_EQ(Prog([](Program& p) { p.requirements.clear(); }), "");
  EXPECT_EQ(Prog([](Program& p) { p.requirements[1].id = ""; }), "/requirements/1/id");
  EXPECT_EQ(Prog([](Program& p) { p.requirements[1].id = "a b"; }), "/requirements/1/id");
  EXPECT_EQ(Prog([](Program& p) { p.requirements[1].id = "cs101"; }), "/requirements/1/id");
  EXPECT_EQ(Prog([](Program& p) { p.requirements[0].title = ""; }), "");  // optional
  EXPECT_EQ(Prog([](Program& p) { p.requirements[0].title = std::string(201, 'x'); }),
            "/requirements/0/title");
  EXPECT_EQ(Prog([](Program& p) { p.requirements[0].kind = static_cast<RequirementKind>(7); }),
            "/requirements/0/kind");
  EXPECT_EQ(Prog([](Program& p) { p.requirements[0].credits = 0; }), "/requirements/0/credits");
  EXPECT_EQ(Prog([](Program& p) { p.requirements[0].credits = -100; }), "/requirements/0/credits");
  // A requirement larger than the program (40 credits of a 30-credit program; outside review).
  EXPECT_EQ(Prog([](Program& p) { p.requirements[1].credits = 16001; }), "/requirements/1/credits");
  EXPECT_EQ(Prog([](Program& p) { p.requirements[1].credits = 16000; }), "");
  EXPECT_EQ(Prog([](Program& p) { p.requirements[0].credits = 100001; }),
            "/requirements/0/credits");
}

TEST(CatalogValidationTest, ProgramPolicy) {
  EXPECT_EQ(Prog([](Program& p) { p.policy = Policy{}; }), "");
  EXPECT_EQ(Prog([](Program& p) { p.policy.max_transfer_credits = -1; }),
            "/policy/max_transfer_credits");
  EXPECT_EQ(Prog([](Program& p) { p.policy.max_transfer_ratio_bp = 10001; }),
            "/policy/max_transfer_ratio");
  EXPECT_EQ(Prog([](Program& p) { p.policy.max_transfer_ratio_bp = -1; }),
            "/policy/max_transfer_ratio");
  EXPECT_EQ(Prog([](Program& p) { p.policy.max_transfer_ratio_bp = 10000; }), "");
  EXPECT_EQ(Prog([](Program& p) { p.policy.min_grade = 101; }), "/policy/min_grade");
  EXPECT_EQ(Prog([](Program& p) { p.policy.max_age_years = 101; }), "/policy/max_age_years");
}

TEST(CatalogValidationTest, ProgramCaps) {
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps[0].limits["moocs"] = 100; }),
            "/policy/caps/0/limits/moocs");
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps[0].limits["mooc"] = -1; }),
            "/policy/caps/0/limits/mooc");
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps[0].max_count["exam"] = -1; }),
            "/policy/caps/0/max_count/exam");
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps[0].max_count["bad/key"] = 1; }),
            "/policy/caps/0/max_count/bad~1key");
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps[1].limits["Not An Id"] = 1; }),
            "/policy/caps/1/limits/Not An Id");
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps[1].limits["pku"] = 4200; }), "");
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps[1].default_limit = 100001; }),
            "/policy/caps/1/default_limit");
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps[2].limits["24"] = 1; }),
            "/policy/caps/2/limits/24");
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps[2].limits["1899"] = 1; }),
            "/policy/caps/2/limits/1899");
}

// Two cap groups of one by (two {"by":"kind"}) left a "cap:kind:mooc" reason ambiguous: the
// second is refused at its /by, naming the first.
TEST(CatalogValidationTest, OneCapGroupPerBy) {
  Program p = GoodProgram();
  ASSERT_EQ(p.policy.caps[0].by, CapBy::kKind);
  Cap second_kind;
  second_kind.by = CapBy::kKind;
  second_kind.limits["mooc"] = 200;
  p.policy.caps.push_back(second_kind);
  Status s = ValidateProgramShape(p);
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.pointer(), "/policy/caps/3/by");
  EXPECT_NE(s.message().find("\"kind\" is already capped at index 0"), std::string::npos)
      << s.message();
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps[2].by = CapBy::kIssuer; }), "/policy/caps/2/by");
  EXPECT_EQ(Prog([](Program& p) { p.policy.caps.erase(p.policy.caps.begin()); }), "");
}

TEST(CatalogValidationTest, TextAndPointerHelpers) {
  EXPECT_TRUE(ValidateText("", "/x", 5, false).ok());
  EXPECT_EQ(ValidateText("", "/x", 5).pointer(), "/x");
  EXPECT_EQ(ValidateText("\x7F", "/x", 5).message(), "must not contain control characters");
  EXPECT_TRUE(ValidateText("\xC2\xA0", "/x", 5).ok());  // NBSP is printable
  EXPECT_EQ(ValidateText("abcdef", "/x", 5).message(), "must be at most 5 characters");
  EXPECT_EQ(JsonPointerEscape("a~b/c"), "a~0b~1c");
  std::string_view owner;
  EXPECT_TRUE(IsCatalogId("pku:X1", &owner));
  EXPECT_EQ(owner, "pku");
  EXPECT_FALSE(IsCatalogId("pku"));
}

}  // namespace
}  // namespace lcb
