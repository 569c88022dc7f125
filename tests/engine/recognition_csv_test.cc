// RecordInputFromCsvRow, alone and together with ParseCsv and Recognize.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/csv.h"
#include "engine/recognition.h"

namespace lcb {
namespace {

using Cells = std::vector<std::string>;

const Cells kFullHeader = {"learner",      "unit",       "external_ref",   "credits",
                           "hours",        "level",      "grade_scale",    "grade_value",
                           "completed_on", "attendance", "evidence_sha256"};

std::string PointerOf(const Cells& header, const Cells& row) {
  auto r = RecordInputFromCsvRow(header, row);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().pointer();
}

TEST(RecordCsvTest, FullRow) {
  const std::string sha(64, 'a');
  auto r = RecordInputFromCsvRow(kFullHeader, {"L1", "pku:MATH1", "r-1", "7.5", "120", "6",
                                               "five_level", "优秀", "2024-01-15", "全勤", sha});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->learner, "L1");
  EXPECT_EQ(r->unit, "pku:MATH1");
  EXPECT_EQ(r->external_ref, "r-1");
  EXPECT_EQ(r->credits, 750);
  EXPECT_EQ(r->hours, 12000);
  EXPECT_EQ(r->level, 6);
  EXPECT_EQ(r->grade_scale, "five_level");
  EXPECT_EQ(r->grade_value, "优秀");
  EXPECT_EQ(r->completed_on, "2024-01-15");
  EXPECT_EQ(r->attendance, "全勤");
  EXPECT_EQ(r->evidence_sha256, sha);
}

// With a list, every cell that does not read is listed and left unset; the rest of the row is
// read. Without one, the first is the row's error. A short row is an error either way.
TEST(RecordCsvTest, CellsThatDoNotReadAreListedWithTheRestOfTheRowRead) {
  const Cells row = {"L1",      "pku:MATH1", "r-1",        "7,5", "lots", "six",
                     "percent", "90",        "2024-01-15", "",    ""};
  std::vector<Status> cells;
  auto r = RecordInputFromCsvRow(kFullHeader, row, &cells);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells[0].pointer(), "/credits");
  EXPECT_EQ(cells[1].pointer(), "/hours");
  EXPECT_EQ(cells[2].pointer(), "/level");
  EXPECT_FALSE(r->credits.has_value());
  EXPECT_FALSE(r->hours.has_value());
  EXPECT_FALSE(r->level.has_value());
  EXPECT_EQ(r->grade_value, "90");
  EXPECT_EQ(r->completed_on, "2024-01-15");
  EXPECT_EQ(PointerOf(kFullHeader, row), "/credits");
  cells.clear();
  auto moved = RecordInputFromCsvRow(kFullHeader, Cells(row), &cells);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(cells.size(), 3u);
  cells.clear();
  EXPECT_FALSE(RecordInputFromCsvRow(kFullHeader, {"L1", "pku:MATH1"}, &cells).ok());
  EXPECT_TRUE(cells.empty());
}

TEST(RecordCsvTest, MovingOverloadGivesTheSameInput) {
  const Cells row = {"L1", "pku:MATH1", "r-1", "7.5", "", "6", "letter", "B", "2024-01-15", "", ""};
  auto copied = RecordInputFromCsvRow(kFullHeader, row);
  Cells movable = row;
  auto moved = RecordInputFromCsvRow(kFullHeader, std::move(movable));
  ASSERT_TRUE(copied.ok() && moved.ok());
  EXPECT_EQ(moved->learner, copied->learner);
  EXPECT_EQ(moved->unit, copied->unit);
  EXPECT_EQ(moved->external_ref, copied->external_ref);
  EXPECT_EQ(moved->credits, copied->credits);
  EXPECT_EQ(moved->level, copied->level);
  EXPECT_EQ(moved->grade_scale, "letter");
  EXPECT_EQ(moved->grade_value, "B");
  EXPECT_EQ(moved->completed_on, copied->completed_on);
}

TEST(RecordCsvTest, EmptyCellsAreUnset) {
  auto r = RecordInputFromCsvRow(
      kFullHeader, {"L1", "pku:MATH1", "r-1", "", "", "", "percent", "90", "2024-01-15", "", ""});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->credits.has_value());
  EXPECT_FALSE(r->hours.has_value());
  EXPECT_FALSE(r->level.has_value());
  EXPECT_FALSE(r->attendance.has_value());
  EXPECT_FALSE(r->evidence_sha256.has_value());
}

TEST(RecordCsvTest, OptionalColumnsMayBeAbsentAndColumnsInAnyOrder) {
  const Cells header = {"completed_on", "grade_value", "grade_scale",
                        "external_ref", "unit",        "learner"};
  auto r = RecordInputFromCsvRow(header, {"2024-01-15", "A", "letter", "r", "pku:X", "L9"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->learner, "L9");
  EXPECT_EQ(r->grade_value, "A");
  EXPECT_FALSE(r->credits.has_value());
}

TEST(RecordCsvTest, UnknownColumn) {
  Cells header = kFullHeader;
  header.push_back("weight");
  Cells row(header.size(), "");
  auto r = RecordInputFromCsvRow(header, row);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().pointer(), "/weight");
  EXPECT_NE(r.status().message().find("unknown CSV column \"weight\""), std::string::npos);
  // Header names are exact: no case folding, no trimming.
  header = kFullHeader;
  header[0] = "Learner";
  EXPECT_EQ(PointerOf(header, Cells(header.size())), "/Learner");
  header[0] = " learner";
  EXPECT_EQ(PointerOf(header, Cells(header.size())), "/ learner");
}

TEST(RecordCsvTest, DuplicateColumn) {
  Cells header = kFullHeader;
  header.push_back("credits");
  EXPECT_EQ(PointerOf(header, Cells(header.size())), "/credits");
}

TEST(RecordCsvTest, MissingRequiredColumnIsNamed) {
  for (const std::string& required : std::vector<std::string>{
           "learner", "unit", "external_ref", "grade_scale", "grade_value", "completed_on"}) {
    Cells header;
    for (const std::string& h : kFullHeader) {
      if (h != required) header.push_back(h);
    }
    auto r = RecordInputFromCsvRow(header, Cells(header.size()));
    ASSERT_FALSE(r.ok()) << required;
    EXPECT_EQ(r.status().pointer(), "/" + required);
    EXPECT_EQ(r.status().message(), "CSV header lacks the required column " + required);
  }
}

TEST(RecordCsvTest, RowWidthMustMatchHeader) {
  EXPECT_FALSE(RecordInputFromCsvRow(kFullHeader, Cells(3)).ok());
}

TEST(RecordCsvTest, CreditsCell) {
  Cells row = {"L1", "pku:X", "r", "", "", "", "percent", "90", "2024-01-15", "", ""};
  for (const std::string& bad :
       std::vector<std::string>{"7.555", "-1", "abc", "1e2", " 7", "7,5"}) {
    row[3] = bad;
    EXPECT_EQ(PointerOf(kFullHeader, row), "/credits") << bad;
  }
  row[3] = "12.25";
  EXPECT_EQ(RecordInputFromCsvRow(kFullHeader, row)->credits, 1225);
}

TEST(RecordCsvTest, HoursCell) {
  Cells row = {"L1", "pku:X", "r", "", "", "", "percent", "90", "2024-01-15", "", ""};
  for (const std::string& bad : std::vector<std::string>{"4.125", "-16", "16h"}) {
    row[4] = bad;
    EXPECT_EQ(PointerOf(kFullHeader, row), "/hours") << bad;
  }
  row[4] = "32";
  EXPECT_EQ(RecordInputFromCsvRow(kFullHeader, row)->hours, 3200);
}

TEST(RecordCsvTest, LevelCell) {
  Cells row = {"L1", "pku:X", "r", "", "", "", "percent", "90", "2024-01-15", "", ""};
  for (const std::string& bad :
       std::vector<std::string>{"six", "6.0", "-6", "+6", " 6", "99999999999999999999"}) {
    row[5] = bad;
    auto r = RecordInputFromCsvRow(kFullHeader, row);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().pointer(), "/level");
    EXPECT_EQ(r.status().message(), "must be a whole number from 1 to 10");
  }
  row[5] = "7";
  EXPECT_EQ(RecordInputFromCsvRow(kFullHeader, row)->level, 7);
  row[5] = "42";  // parses; Recognize rejects the range at /level
  EXPECT_EQ(RecordInputFromCsvRow(kFullHeader, row)->level, 42);
}

TEST(RecordCsvTest, EndToEndFromRegistrarExport) {
  // A registrar export with BOM, CRLF, quoted commas and Chinese text.
  const std::string csv =
      "\xEF\xBB\xBFlearner,unit,external_ref,credits,hours,level,grade_scale,grade_value,"
      "completed_on,attendance,evidence_sha256\r\n"
      "L1,tsinghua:CS101,\"2024,fall,1\",,,,five_level,优秀,2024-01-15,全勤,\r\n"
      "L2,tsinghua:CS101,2024-fall-2,,32,,percent,59.5,2024-01-16,,\r\n"
      "L3,tsinghua:CS101,2024-fall-3,,,,percent,101,2024-01-16,,\r\n";
  auto table = ParseCsv(csv);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  ASSERT_TRUE(ValidateRecordCsvHeader(table->header).ok());

  Institution issuer;
  issuer.id = "tsinghua";
  issuer.hours_per_credit = 1600;
  Unit unit;
  unit.id = "tsinghua:CS101";
  unit.institution = "tsinghua";
  unit.credits = 400;
  unit.level = 6;
  unit.field = "0613";
  GradeScales scales;
  const Days today = *ParseDate("2024-06-30", "");

  std::vector<std::string> outcomes;
  for (const CsvRow& row : table->rows) {
    auto input = RecordInputFromCsvRow(table->header, row.fields);
    ASSERT_TRUE(input.ok());
    auto rec = Recognize(*input, unit, issuer, scales, today);
    outcomes.push_back(rec.ok()
                           ? rec->external_ref + "=" + CentiToString(rec->credits) + "/" +
                                 std::to_string(rec->grade)
                           : "line " + std::to_string(row.line) + ": " + rec.status().pointer());
  }
  EXPECT_EQ(outcomes, (std::vector<std::string>{"2024,fall,1=4/95", "2024-fall-2=2/60",
                                                "line 4: /grade/value"}));
}

}  // namespace
}  // namespace lcb
