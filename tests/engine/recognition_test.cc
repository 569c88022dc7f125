#include "engine/recognition.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace lcb {
namespace {

constexpr char kSha[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

class RecognitionTest : public ::testing::Test {
 protected:
  RecognitionTest() {
    issuer_.id = "tsinghua";
    issuer_.name = "清华大学";
    issuer_.kind = "university";
    issuer_.hours_per_credit = 1600;  // 16 h

    unit_.id = "tsinghua:CS101";
    unit_.institution = "tsinghua";
    unit_.title = "程序设计基础";
    unit_.kind = UnitKind::kDegreeCourse;
    unit_.credits = 400;
    unit_.hours = 6400;
    unit_.level = 6;
    unit_.field = "0613";

    input_.learner = "L000001";
    input_.unit = "tsinghua:CS101";
    input_.external_ref = "2024-fall/CS101/2021012345";
    input_.grade_scale = "percent";
    input_.grade_value = "87.5";
    input_.completed_on = "2024-01-15";
    today_ = *ParseDate("2024-06-30", "");
  }

  StatusOr<Record> Run() { return Recognize(input_, unit_, issuer_, scales_, today_); }

  // Applies `mutate` to the good input and returns the error pointer ("" when accepted).
  std::string PointerAfter(const std::function<void(RecordInput&)>& mutate) {
    RecordInput saved = input_;
    mutate(input_);
    auto r = Run();
    input_ = saved;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    }
    return r.ok() ? "" : r.status().pointer();
  }

  Record MustRecognize() {
    auto r = Run();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *std::move(r) : Record{};
  }

  Institution issuer_;
  Unit unit_;
  RecordInput input_;
  GradeScales scales_;
  Days today_ = 0;
};

TEST_F(RecognitionTest, ResolvesEveryFieldFromTheUnit) {
  Record r = MustRecognize();
  EXPECT_EQ(r.learner, "L000001");
  EXPECT_EQ(r.unit, "tsinghua:CS101");
  EXPECT_EQ(r.issuer, "tsinghua");
  EXPECT_EQ(r.external_ref, "2024-fall/CS101/2021012345");
  EXPECT_EQ(r.kind, UnitKind::kDegreeCourse);
  EXPECT_EQ(r.credits, 400);
  EXPECT_EQ(r.hours, 6400);
  EXPECT_EQ(r.level, 6);
  EXPECT_EQ(r.field, "0613");
  EXPECT_EQ(r.grade_scale, "percent");
  EXPECT_EQ(r.grade_value, "87.5");
  EXPECT_EQ(r.grade, 88);
  EXPECT_EQ(FormatDate(r.completed_on), "2024-01-15");
  EXPECT_FALSE(r.expires_on.has_value());
  EXPECT_FALSE(r.revoked);
  EXPECT_FALSE(r.attendance.has_value());
  EXPECT_FALSE(r.evidence_sha256.has_value());
  EXPECT_TRUE(r.id.empty());  // the caller's
}

TEST_F(RecognitionTest, LearnerRequired) {
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.learner = ""; }), "/learner");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.learner = "L\n1"; }), "/learner");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.learner = std::string(129, 'x'); }), "/learner");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.learner = std::string(128, 'x'); }), "");
}

TEST_F(RecognitionTest, UnitRequiredAndMatching) {
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.unit = ""; }), "/unit");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.unit = "tsinghua:CS102"; }), "/unit");
}

TEST_F(RecognitionTest, OwnerMayPost) { EXPECT_TRUE(Run().ok()); }

TEST_F(RecognitionTest, OtherInstitutionMayNotPost) {
  issuer_.id = "pku";
  auto r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().pointer(), "/unit");
  EXPECT_EQ(r.status().message(),
            "unit belongs to tsinghua; issuer pku is not registered to certify it");
}

TEST_F(RecognitionTest, CertificationBodyMayPostForUnitsItCertifies) {
  unit_.id = input_.unit = "hrss:CERT-PY-3";
  unit_.institution = "hrss";
  unit_.kind = UnitKind::kVocationalCertificate;
  issuer_.id = "cert-center";
  issuer_.certifies = {"miit:", "hrss:CERT-"};
  Record r = MustRecognize();
  EXPECT_EQ(r.issuer, "cert-center");
  EXPECT_EQ(r.kind, UnitKind::kVocationalCertificate);

  issuer_.certifies = {"hrss:CERT-JAVA", ""};  // an empty prefix certifies nothing
  auto denied = Run();
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.status().pointer(), "/unit");
}

TEST_F(RecognitionTest, ExternalRef) {
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.external_ref = ""; }), "/external_ref");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.external_ref = std::string(129, 'r'); }),
            "/external_ref");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.external_ref = std::string(128, 'r'); }), "");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.external_ref = "a\tb"; }), "/external_ref");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.external_ref = "a\x7F"; }), "/external_ref");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.external_ref = "\xFE"; }), "/external_ref");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.external_ref = "学号 2021-01"; }), "");
}

TEST_F(RecognitionTest, GradeScaleMustBeKnown) {
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.grade_scale = ""; }), "/grade/scale");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.grade_scale = "hundred"; }), "/grade/scale");
  EXPECT_EQ(PointerAfter([](RecordInput& in) {
              in.grade_scale = "five_level";
              in.grade_value = "良好";
            }),
            "");
}

TEST_F(RecognitionTest, GradeValueMustBeValidInItsScale) {
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.grade_value = ""; }), "/grade/value");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.grade_value = "101"; }), "/grade/value");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.grade_scale = "letter"; }), "/grade/value");
  input_.grade_scale = "five_level";
  input_.grade_value = "优秀";
  Record r = MustRecognize();
  EXPECT_EQ(r.grade, 95);
  EXPECT_EQ(r.grade_value, "优秀");  // stored as posted
}

TEST_F(RecognitionTest, CreditsGivenAlone) {
  input_.credits = 750;
  Record r = MustRecognize();
  EXPECT_EQ(r.credits, 750);
  EXPECT_FALSE(r.hours.has_value());  // the unit's hours no longer describe this record
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.credits = 0; }), "");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.credits = 100000; }), "");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.credits = 100001; }), "/credits");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.credits = -1; }), "/credits");
}

TEST_F(RecognitionTest, HoursGivenAloneDeriveCredits) {
  input_.hours = 4000;  // 40 h at 16 h/credit = 2.5
  Record r = MustRecognize();
  EXPECT_EQ(r.credits, 250);
  EXPECT_EQ(r.hours, 4000);
  input_.hours = 1000;  // 10 / 16 = 0.625 -> 0.63 (half up)
  EXPECT_EQ(MustRecognize().credits, 63);
  input_.hours = 100;  // 1 / 16 = 0.0625 -> 0.06
  EXPECT_EQ(MustRecognize().credits, 6);
  issuer_.hours_per_credit = 2500;  // ECTS 25 h
  input_.hours = 18750;             // 187.5 h = 7.5 ECTS
  EXPECT_EQ(MustRecognize().credits, 750);
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.hours = -100; }), "/hours");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.hours = 10'000'001; }), "/hours");
  issuer_.hours_per_credit = 100;  // 1 h per credit: 2000 h would be 2000 credits
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.hours = 200000; }), "/hours");
}

TEST_F(RecognitionTest, CreditsAndHoursMustAgree) {
  input_.hours = 4000;
  input_.credits = 250;
  EXPECT_EQ(MustRecognize().credits, 250);
  input_.hours = 1000;
  input_.credits = 63;  // equal after rounding
  EXPECT_EQ(MustRecognize().credits, 63);
  input_.credits = 62;
  auto r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().pointer(), "/credits");
  EXPECT_EQ(r.status().message(),
            "credits 0.62 do not match hours 10 at 16 hours per credit (0.63 credits)");
  input_.credits = 300;
  input_.hours = 4000;
  EXPECT_EQ(Run().status().pointer(), "/credits");
}

TEST_F(RecognitionTest, NeitherCreditsNorHoursTakesTheUnits) {
  unit_.credits = 350;
  unit_.hours = 0;
  Record r = MustRecognize();
  EXPECT_EQ(r.credits, 350);
  EXPECT_FALSE(r.hours.has_value());
}

TEST_F(RecognitionTest, CreditsFromHoursRounding) {
  EXPECT_EQ(CreditsFromHours(1600, 1600), 100);
  EXPECT_EQ(CreditsFromHours(0, 1600), 0);
  EXPECT_EQ(CreditsFromHours(1000, 1600), 63);   // 0.625
  EXPECT_EQ(CreditsFromHours(3300, 3000), 110);  // 1.1
  EXPECT_EQ(CreditsFromHours(1, 300), 0);        // 0.0033
  EXPECT_EQ(CreditsFromHours(5, 1000), 1);       // 0.005 -> 0.01
  EXPECT_EQ(CreditsFromHours(4, 1000), 0);       // 0.004
}

TEST_F(RecognitionTest, Level) {
  EXPECT_EQ(MustRecognize().level, 6);  // the unit's
  input_.level = 4;
  EXPECT_EQ(MustRecognize().level, 4);
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.level = 0; }), "/level");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.level = 11; }), "/level");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.level = 1; }), "");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.level = 10; }), "");
}

TEST_F(RecognitionTest, CompletedOnIsADate) {
  for (const std::string& bad :
       std::vector<std::string>{"", "2024-02-30", "2023-02-29", "2024/01/15", "2024-1-15",
                                "15.01.2024", "1899-12-31", "2024-01-15T00:00:00Z"}) {
    EXPECT_EQ(PointerAfter([&](RecordInput& in) { in.completed_on = bad; }), "/completed_on")
        << bad;
  }
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.completed_on = "2024-02-29"; }), "");
}

TEST_F(RecognitionTest, CompletedOnNotInTheFuture) {
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.completed_on = "2024-06-30"; }), "");  // today
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.completed_on = "2024-07-01"; }), "/completed_on");
  input_.completed_on = "2025-01-01";
  EXPECT_EQ(Run().status().message(), "is in the future (today is 2024-06-30)");
}

TEST_F(RecognitionTest, KindAndFieldComeFromTheUnit) {
  unit_.kind = UnitKind::kMooc;
  unit_.field = "06";
  Record r = MustRecognize();
  EXPECT_EQ(r.kind, UnitKind::kMooc);
  EXPECT_EQ(r.field, "06");
}

TEST_F(RecognitionTest, ExpiresOnFromValidityYears) {
  unit_.validity_years = 3;
  Record r = MustRecognize();
  ASSERT_TRUE(r.expires_on.has_value());
  EXPECT_EQ(FormatDate(*r.expires_on), "2027-01-15");
  input_.completed_on = "2024-02-29";  // Feb 29 + 3 years clamps to Feb 28
  EXPECT_EQ(FormatDate(*MustRecognize().expires_on), "2027-02-28");
  unit_.validity_years = 0;
  EXPECT_FALSE(MustRecognize().expires_on.has_value());
  // Already expired outcomes are still recognized (they simply never count).
  unit_.validity_years = 1;
  input_.completed_on = "2020-01-01";
  EXPECT_EQ(FormatDate(*MustRecognize().expires_on), "2021-01-01");
}

TEST_F(RecognitionTest, Attendance) {
  input_.attendance = "95%";
  EXPECT_EQ(MustRecognize().attendance, "95%");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.attendance = std::string(64, 'a'); }), "");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.attendance = std::string(65, 'a'); }),
            "/attendance");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.attendance = "全勤"; }), "");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.attendance = "a\rb"; }), "/attendance");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.attendance = ""; }), "/attendance");
}

TEST_F(RecognitionTest, EvidenceSha256) {
  input_.evidence_sha256 = kSha;
  EXPECT_EQ(MustRecognize().evidence_sha256, kSha);
  std::string upper = kSha;
  upper[0] = 'F';
  EXPECT_EQ(PointerAfter([&](RecordInput& in) { in.evidence_sha256 = upper; }), "/evidence_sha256");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.evidence_sha256 = std::string(kSha) + "0"; }),
            "/evidence_sha256");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.evidence_sha256 = std::string(kSha).substr(1); }),
            "/evidence_sha256");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.evidence_sha256 = std::string(64, 'g'); }),
            "/evidence_sha256");
  EXPECT_EQ(PointerAfter([](RecordInput& in) { in.evidence_sha256 = ""; }), "/evidence_sha256");
}

TEST_F(RecognitionTest, HoursWithoutHoursPerCreditIsAPreconditionFailure) {
  issuer_.hours_per_credit = 0;
  EXPECT_TRUE(Run().ok());  // not needed without hours
  input_.hours = 1600;
  EXPECT_EQ(Run().status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(RecognitionTest, FirstErrorWinsInDocumentedOrder) {
  input_.learner = "";
  input_.grade_scale = "nope";
  input_.completed_on = "tomorrow";
  EXPECT_EQ(Run().status().pointer(), "/learner");
  input_.learner = "L1";
  EXPECT_EQ(Run().status().pointer(), "/grade/scale");
  input_.grade_scale = "percent";
  EXPECT_EQ(Run().status().pointer(), "/completed_on");
}

// With a list, every independent problem of the record is in it, each at its own field, in
// the documented order; the first is also the error returned.
TEST_F(RecognitionTest, EveryIndependentProblemIsListed) {
  std::vector<Status> problems;
  EXPECT_TRUE(Recognize(input_, unit_, issuer_, scales_, today_, &problems).ok());
  EXPECT_TRUE(problems.empty());  // nothing for a record that recognizes

  input_.grade_value = "105";
  input_.completed_on = "2024-07-01";  // after today_
  input_.evidence_sha256 = "ABC";
  auto r = Recognize(input_, unit_, issuer_, scales_, today_, &problems);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].pointer(), "/grade/value");
  EXPECT_EQ(problems[1].pointer(), "/completed_on");
  EXPECT_NE(problems[1].message().find("in the future"), std::string::npos);
  EXPECT_EQ(problems[2].pointer(), "/evidence_sha256");
  for (const Status& p : problems) EXPECT_EQ(p.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().pointer(), "/grade/value");
  // Without a list: the same first problem, as before.
  EXPECT_EQ(Run().status().pointer(), "/grade/value");
}

TEST_F(RecognitionTest, EveryFieldOfTheDocumentedOrderIsChecked) {
  input_.learner = "";
  input_.external_ref = std::string(200, 'x');
  input_.grade_scale = "nope";
  input_.hours = -1;
  input_.credits = 100001;
  input_.level = 11;
  input_.completed_on = "tomorrow";
  input_.attendance = "a\nb";
  input_.evidence_sha256 = "";
  std::vector<Status> problems;
  ASSERT_FALSE(Recognize(input_, unit_, issuer_, scales_, today_, &problems).ok());
  std::vector<std::string> pointers;
  for (const Status& p : problems) pointers.push_back(p.pointer());
  EXPECT_EQ(pointers, (std::vector<std::string>{"/learner", "/external_ref", "/grade/scale",
                                                "/hours", "/credits", "/level", "/completed_on",
                                                "/attendance", "/evidence_sha256"}));
}

// Checks that depend on a failed one are not made: they would only repeat it.
TEST_F(RecognitionTest, DependentChecksAreNotListedTwice) {
  std::vector<Status> problems;
  // Another institution's unit: the rest is checked against that unit all the same, so the
  // grade's problem is listed too.
  unit_.institution = "pku";
  input_.learner = "";
  input_.grade_value = "105";
  auto r = Recognize(input_, unit_, issuer_, scales_, today_, &problems);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].pointer(), "/learner");
  EXPECT_EQ(problems[1].pointer(), "/unit");
  EXPECT_EQ(problems[1].code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(problems[2].pointer(), "/grade/value");
  EXPECT_EQ(r.status().pointer(), "/learner");

  unit_.institution = "tsinghua";
  input_.learner = "L1";
  input_.grade_value = "87.5";
  input_.credits = 100001;  // out of range: whether it matches the hours is not asked
  input_.hours = 1600;
  input_.completed_on = "2024-02-30";  // not a date: whether it is after today is not asked
  problems.clear();
  ASSERT_FALSE(Recognize(input_, unit_, issuer_, scales_, today_, &problems).ok());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].pointer(), "/credits");
  EXPECT_EQ(problems[0].message(), "must be 0 to 1000 credits");
  EXPECT_EQ(problems[1].pointer(), "/completed_on");
}

// A unit that is missing or not in the catalog hides none of the record's other problems:
// CheckWithoutUnit makes every check that needs no unit, and takes nothing from one (no level
// is asked of a record that posts none; no credits are required).
TEST_F(RecognitionTest, WithoutItsUnitEveryOtherCheckIsMade) {
  std::vector<Status> problems;
  input_.unit = "tsinghua:NOPE";
  CheckWithoutUnit(input_, issuer_, scales_, today_, &problems);
  EXPECT_TRUE(problems.empty()) << problems[0].ToString();  // a valid record otherwise

  input_.grade_value = "800";
  input_.completed_on = "2099-06-01";
  input_.external_ref = "";
  input_.level = 11;
  input_.evidence_sha256 = "XYZ";
  CheckWithoutUnit(input_, issuer_, scales_, today_, &problems);
  std::vector<std::string> pointers;
  for (const Status& p : problems) pointers.push_back(p.pointer());
  EXPECT_EQ(pointers, (std::vector<std::string>{"/external_ref", "/grade/value", "/level",
                                                "/completed_on", "/evidence_sha256"}));
}

}  // namespace
}  // namespace lcb
