#include "engine/grades.h"

#include <gtest/gtest.h>

#include <string>

namespace lcb {
namespace {

class GradesTest : public ::testing::Test {
 protected:
  int Norm(std::string_view scale, std::string_view value) {
    auto r = scales_.Normalize(scale, value);
    EXPECT_TRUE(r.ok()) << scale << " " << value << ": " << r.status().ToString();
    return r.ok() ? *r : -1;
  }
  Status Bad(std::string_view scale, std::string_view value) {
    auto r = scales_.Normalize(scale, value);
    EXPECT_FALSE(r.ok()) << scale << " " << value << " normalized to " << (r.ok() ? *r : -1);
    return r.status();
  }
  GradeScales scales_;
};

TEST_F(GradesTest, BuiltinsAreRegistered) {
  EXPECT_EQ(scales_.Ids(), (std::vector<std::string>{"ects", "five_level", "gpa4", "letter",
                                                     "pass_fail", "percent"}));
  EXPECT_NE(scales_.Find("percent"), nullptr);
  EXPECT_EQ(scales_.Find("nope"), nullptr);
}

TEST_F(GradesTest, Percent) {
  EXPECT_EQ(Norm("percent", "0"), 0);
  EXPECT_EQ(Norm("percent", "100"), 100);
  EXPECT_EQ(Norm("percent", "85"), 85);
  EXPECT_EQ(Norm("percent", "85.4"), 85);
  EXPECT_EQ(Norm("percent", "85.5"), 86);  // half up
  EXPECT_EQ(Norm("percent", "85.49"), 85);
  EXPECT_EQ(Norm("percent", "59.5"), 60);
  EXPECT_EQ(Norm("percent", "100.00"), 100);
  EXPECT_EQ(Norm("percent", "85.500"), 86);  // extra trailing zeros are fine
  EXPECT_EQ(Norm("percent", "007"), 7);
  for (std::string_view bad : {"", "100.01", "101", "-1", "+5", "85.555", "1e2", ".5", "5.", " 85",
                               "85 ", "eighty", "85,5", "0x10", "99999999999999999999"}) {
    Status s = Bad("percent", bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.pointer(), "/grade/value") << bad;
  }
  EXPECT_EQ(Bad("percent", "101").message(),
            "\"101\" is not a grade of scale percent; allowed: a number from 0 to 100 with at "
            "most 2 decimals");
  EXPECT_TRUE(scales_.IsPassing("percent", 60));
  EXPECT_FALSE(scales_.IsPassing("percent", 59));
}

TEST_F(GradesTest, FiveLevelChineseAndEnglish) {
  EXPECT_EQ(Norm("five_level", "优秀"), 95);
  EXPECT_EQ(Norm("five_level", "良好"), 85);
  EXPECT_EQ(Norm("five_level", "中等"), 75);
  EXPECT_EQ(Norm("five_level", "及格"), 65);
  EXPECT_EQ(Norm("five_level", "不及格"), 0);
  EXPECT_EQ(Norm("five_level", "excellent"), 95);
  EXPECT_EQ(Norm("five_level", "good"), 85);
  EXPECT_EQ(Norm("five_level", "medium"), 75);
  EXPECT_EQ(Norm("five_level", "pass"), 65);
  EXPECT_EQ(Norm("five_level", "fail"), 0);
  EXPECT_EQ(Norm("five_level", "Excellent"), 95);
  Status s = Bad("five_level", "优");
  EXPECT_EQ(s.pointer(), "/grade/value");
  EXPECT_EQ(s.message(),
            "\"优\" is not a grade of scale five_level; allowed: 优秀, 良好, 中等, 及格, 不及格, "
            "excellent, good, medium, pass, fail");
  EXPECT_EQ(Bad("five_level", "85").pointer(), "/grade/value");
  EXPECT_TRUE(scales_.IsPassing("five_level", 65));
  EXPECT_FALSE(scales_.IsPassing("five_level", 0));
}

TEST_F(GradesTest, LetterIsStrict) {
  EXPECT_EQ(Norm("letter", "A"), 95);
  EXPECT_EQ(Norm("letter", "B"), 85);
  EXPECT_EQ(Norm("letter", "C"), 75);
  EXPECT_EQ(Norm("letter", "D"), 65);
  EXPECT_EQ(Norm("letter", "F"), 0);
  EXPECT_EQ(Norm("letter", "a"), 95);  // ASCII case does not matter
  for (std::string_view bad : {"A+", "B-", "E", "", " A", "AA"}) {
    EXPECT_EQ(Bad("letter", bad).pointer(), "/grade/value") << bad;
  }
  EXPECT_NE(Bad("letter", "A+").message().find("allowed: A, B, C, D, F"), std::string::npos);
  EXPECT_TRUE(scales_.IsPassing("letter", 65));
  EXPECT_FALSE(scales_.IsPassing("letter", 64));
}

TEST_F(GradesTest, Gpa4) {
  EXPECT_EQ(Norm("gpa4", "4"), 100);
  EXPECT_EQ(Norm("gpa4", "4.0"), 100);
  EXPECT_EQ(Norm("gpa4", "3.7"), 93);   // 92.5 rounds up
  EXPECT_EQ(Norm("gpa4", "3.3"), 83);   // 82.5
  EXPECT_EQ(Norm("gpa4", "3.01"), 75);  // 75.25
  EXPECT_EQ(Norm("gpa4", "3.02"), 76);  // 75.5
  EXPECT_EQ(Norm("gpa4", "0"), 0);
  EXPECT_EQ(Norm("gpa4", "1"), 25);
  for (std::string_view bad : {"4.01", "5", "3.755", "-0.5", "A"}) {
    EXPECT_EQ(Bad("gpa4", bad).pointer(), "/grade/value") << bad;
  }
  EXPECT_NE(Bad("gpa4", "5").message().find("a number from 0 to 4 with at most 2 decimals"),
            std::string::npos);
  EXPECT_TRUE(scales_.IsPassing("gpa4", 25));
  EXPECT_FALSE(scales_.IsPassing("gpa4", 24));
}

TEST_F(GradesTest, Ects) {
  EXPECT_EQ(Norm("ects", "A"), 95);
  EXPECT_EQ(Norm("ects", "B"), 85);
  EXPECT_EQ(Norm("ects", "C"), 75);
  EXPECT_EQ(Norm("ects", "D"), 68);
  EXPECT_EQ(Norm("ects", "E"), 62);
  EXPECT_EQ(Norm("ects", "FX"), 30);
  EXPECT_EQ(Norm("ects", "Fx"), 30);
  EXPECT_EQ(Norm("ects", "F"), 0);
  for (std::string_view pass : {"A", "B", "C", "D", "E"}) {
    EXPECT_TRUE(scales_.IsPassing("ects", Norm("ects", pass))) << pass;
  }
  EXPECT_FALSE(scales_.IsPassing("ects", Norm("ects", "FX")));
  EXPECT_FALSE(scales_.IsPassing("ects", Norm("ects", "F")));
  EXPECT_EQ(Bad("ects", "G").pointer(), "/grade/value");
}

TEST_F(GradesTest, PassFail) {
  EXPECT_EQ(Norm("pass_fail", "pass"), 60);
  EXPECT_EQ(Norm("pass_fail", "fail"), 0);
  EXPECT_EQ(Norm("pass_fail", "PASS"), 60);
  EXPECT_TRUE(scales_.IsPassing("pass_fail", 60));
  EXPECT_FALSE(scales_.IsPassing("pass_fail", 0));
  EXPECT_EQ(Bad("pass_fail", "passed").pointer(), "/grade/value");
}

TEST_F(GradesTest, UnknownScale) {
  Status s = Bad("hundred", "85");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.pointer(), "/grade/scale");
  EXPECT_EQ(s.message(),
            "unknown grade scale \"hundred\"; known scales: ects, five_level, gpa4, letter, "
            "pass_fail, percent");
  EXPECT_EQ(Bad("", "85").pointer(), "/grade/scale");
  EXPECT_EQ(Bad("Percent", "85").pointer(), "/grade/scale");  // ids are exact
  EXPECT_FALSE(scales_.IsPassing("hundred", 100));
}

TEST_F(GradesTest, LongOrBinaryValuesAreNotEchoed) {
  const std::string long_value(200, 'x');
  Status s = Bad("letter", long_value);
  EXPECT_EQ(s.message().find(long_value), std::string::npos);
  EXPECT_EQ(Bad("letter", "\x01").message().find('\x01'), std::string::npos);
}

TEST_F(GradesTest, RegisterNumeric) {
  // French 0..20 with one decimal, x5; pass 10/20 = 50.
  GradeScale fr{"fr20", NumericScale{0, 2000, 500, 1}, 50};
  ASSERT_TRUE(scales_.Register(fr).ok());
  EXPECT_EQ(Norm("fr20", "20"), 100);
  EXPECT_EQ(Norm("fr20", "12.5"), 63);  // 62.5 -> 63
  EXPECT_EQ(Norm("fr20", "12.50"), 63);
  EXPECT_EQ(Bad("fr20", "12.25").pointer(), "/grade/value");
  EXPECT_NE(Bad("fr20", "21").message().find("a number from 0 to 20 with at most 1 decimal"),
            std::string::npos);
  EXPECT_TRUE(scales_.IsPassing("fr20", 50));
  EXPECT_FALSE(scales_.IsPassing("fr20", 49));

  // A 1..10 whole-number scale.
  ASSERT_TRUE(scales_.Register({"ten", NumericScale{100, 1000, 1000, 0}, 60}).ok());
  EXPECT_EQ(Norm("ten", "7"), 70);
  EXPECT_EQ(Norm("ten", "7.0"), 70);
  EXPECT_EQ(Bad("ten", "7.5").pointer(), "/grade/value");
  EXPECT_EQ(Bad("ten", "0").pointer(), "/grade/value");
  EXPECT_NE(Bad("ten", "11").message().find("from 1 to 10 without decimals"), std::string::npos);
}

TEST_F(GradesTest, RegisterSymbolic) {
  GradeScale de{"de5",
                SymbolicScale{{{"sehr gut", 95},
                               {"gut", 85},
                               {"befriedigend", 75},
                               {"ausreichend", 65},
                               {"nicht ausreichend", 0}}},
                65};
  ASSERT_TRUE(scales_.Register(de).ok());
  EXPECT_EQ(Norm("de5", "Sehr Gut"), 95);
  EXPECT_EQ(Norm("de5", "nicht ausreichend"), 0);
  EXPECT_FALSE(scales_.IsPassing("de5", 0));
}

TEST_F(GradesTest, RegisterRejectsBadScales) {
  auto reg = [&](GradeScale s) { return scales_.Register(std::move(s)); };
  const NumericScale pct{0, 10000, 100, 2};
  const auto sym = [](std::vector<std::pair<std::string, int>> v) {
    return SymbolicScale{std::move(v)};
  };
  struct Case {
    GradeScale scale;
    StatusCode code;
    std::string pointer;
  };
  const std::vector<Case> cases = {
      {{"percent", pct, 60}, StatusCode::kAlreadyExists, "/id"},
      {{"letter", sym({{"X", 1}}), 60}, StatusCode::kAlreadyExists, "/id"},
      {{"", pct, 60}, StatusCode::kInvalidArgument, "/id"},
      {{"Upper", pct, 60}, StatusCode::kInvalidArgument, "/id"},
      {{"_x", pct, 60}, StatusCode::kInvalidArgument, "/id"},
      {{"a b", pct, 60}, StatusCode::kInvalidArgument, "/id"},
      {{std::string(65, 'a'), pct, 60}, StatusCode::kInvalidArgument, "/id"},
      {{"p", pct, 101}, StatusCode::kInvalidArgument, "/pass_value"},
      {{"p", pct, -1}, StatusCode::kInvalidArgument, "/pass_value"},
      {{"p", NumericScale{0, 10000, 100, 3}, 60}, StatusCode::kInvalidArgument, "/decimals"},
      {{"p", NumericScale{-100, 10000, 100, 2}, 60}, StatusCode::kInvalidArgument, "/min"},
      {{"p", NumericScale{500, 500, 100, 2}, 60}, StatusCode::kInvalidArgument, "/max"},
      {{"p", NumericScale{0, 1050, 1000, 0}, 60}, StatusCode::kInvalidArgument, "/max"},
      {{"p", NumericScale{0, 10000, 0, 2}, 60}, StatusCode::kInvalidArgument, "/factor"},
      {{"p", NumericScale{0, 10000, 101, 2}, 60}, StatusCode::kInvalidArgument, "/factor"},
      {{"p", NumericScale{0, 500, 2500, 2}, 60}, StatusCode::kInvalidArgument, "/factor"},
      {{"p", sym({}), 60}, StatusCode::kInvalidArgument, "/symbols"},
      {{"p", sym({{"", 5}}), 60}, StatusCode::kInvalidArgument, "/symbols/"},
      {{"p", sym({{"A", 5}, {"a", 6}}), 60}, StatusCode::kInvalidArgument, "/symbols/a"},
      {{"p", sym({{"A", 101}}), 60}, StatusCode::kInvalidArgument, "/symbols/A"},
      {{"p", sym({{"A", -1}}), 60}, StatusCode::kInvalidArgument, "/symbols/A"},
      {{"p", sym({{"a/b", -1}}), 60}, StatusCode::kInvalidArgument, "/symbols/a~1b"},
      {{"p", sym({{" A", 1}}), 60}, StatusCode::kInvalidArgument, "/symbols/ A"},
      {{"p", sym({{"A\n", 1}}), 60}, StatusCode::kInvalidArgument, "/symbols/A\n"},
      {{"p", sym({{"\xFF", 1}}), 60}, StatusCode::kInvalidArgument, "/symbols/\xFF"},
      {{"p", sym({{std::string(65, 'x'), 1}}), 60},
       StatusCode::kInvalidArgument,
       "/symbols/" + std::string(65, 'x')},
  };
  for (const Case& c : cases) {
    Status s = reg(c.scale);
    EXPECT_EQ(s.code(), c.code) << c.scale.id << " " << s.ToString();
    EXPECT_EQ(s.pointer(), c.pointer) << c.scale.id << " " << s.ToString();
  }
  std::vector<std::pair<std::string, int>> many;
  for (int i = 0; i < 65; ++i) many.emplace_back("s" + std::to_string(i), i);
  EXPECT_EQ(reg({"p", sym(many), 60}).pointer(), "/symbols");
  many.pop_back();
  EXPECT_TRUE(reg({"p", sym(many), 60}).ok());
  EXPECT_EQ(reg({"p", pct, 60}).code(), StatusCode::kAlreadyExists);
  // Nothing failed half-way: the registry has exactly the built-ins plus "p".
  EXPECT_EQ(scales_.Ids().size(), 7u);
}

}  // namespace
}  // namespace lcb
