// Column mappings: the mapping file format, and every rule of DESIGN.md's "Chinese registrar
// mapping" through the shipped cn-registrar, with an in-memory catalog standing in for the
// caller's (the resolver is the interface callers implement; the CLI's and the server's are
// tested in tests/integration/registrar_import_test.cc).
#include "formats/mapping.h"

#include <gtest/gtest.h>

#include <map>

#include "engine/recognition.h"
#include "formats/cell_values.h"
#include "formats/mapping_apply.h"
#include "formats/registrar_file.h"

namespace lcb::formats {
namespace {

// Valid GB 11643 numbers (check digits computed by the standard's MOD 11-2).
constexpr char kId1[] = "110101199003070011";
constexpr char kId2[] = "11010119900307002X";
constexpr char kId3[] = "440106200001010019";

class CatalogResolver : public RegistrarResolver {
 public:
  std::map<std::string, std::string> units;     // code -> title (institution "tsinghua")
  std::map<std::string, std::string> learners;  // national id -> learner id
  int find_calls = 0;
  std::vector<NewLearner> created;

  StatusOr<std::optional<std::string>> UnitByCode(std::string_view code) override {
    if (units.count(std::string(code)))
      return std::optional<std::string>("tsinghua:" + std::string(code));
    return std::optional<std::string>();
  }
  StatusOr<std::vector<std::string>> UnitsByTitle(std::string_view title) override {
    std::vector<std::string> out;
    for (const auto& [code, t] : units) {
      if (t == title) out.push_back("tsinghua:" + code);
    }
    return out;
  }
  StatusOr<std::vector<std::optional<std::string>>> FindLearners(
      const std::vector<std::string>& ids) override {
    ++find_calls;
    std::vector<std::optional<std::string>> out;
    for (const auto& id : ids) {
      auto it = learners.find(id);
      out.push_back(it == learners.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    return out;
  }
  StatusOr<std::vector<std::string>> CreateLearners(const std::vector<NewLearner>& add) override {
    std::vector<std::string> out;
    for (const NewLearner& l : add) {
      created.push_back(l);
      learners[l.national_id] = "lrn_new" + std::to_string(learners.size());
      out.push_back(learners[l.national_id]);
    }
    return out;
  }
};

class CnRegistrarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    resolver_.units = {
        {"CS101", "程序设计基础"}, {"MA101", "微积分"}, {"MA102", "微积分"}, {"EN1", "大学英语"}};
    resolver_.learners = {{kId1, "lrn_zhang"}};
    auto m = BuiltinMapping("cn-registrar");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    mapping_ = *m;
  }

  StatusOr<MappedTable> Map(const std::string& csv) {
    problems_.clear();
    auto source = ReadCsv(csv, Encoding::kUtf8, {}, &problems_);
    if (!source.ok()) return source.status();
    return ApplyMapping(*source, mapping_, resolver_, &problems_);
  }

  std::string Cell(const MappedTable& t, size_t row, std::string_view field) {
    const auto& h = t.table.header;
    const size_t col = std::find(h.begin(), h.end(), field) - h.begin();
    return t.table.rows.at(row).fields.at(col);
  }

  std::string Problems() const {
    std::string out;
    for (const auto& p : problems_) out += FormatProblem(p) + "\n";
    return out;
  }

  CatalogResolver resolver_;
  Mapping mapping_;
  std::vector<CellProblem> problems_;
};

constexpr char kHeader[] =
    "学号,姓名,身份证号,专业名称,课程名称,教育层次代码,教育类别代码,学分,学时,成绩,获得时间,届别,"
    "毕业结业肄业,备注\n";

TEST_F(CnRegistrarTest, EveryRuleOfTheDesign) {
  auto t = Map(std::string(kHeader) +
               "2024001,张三,110101199003070011,计算机,程序设计基础,20,31,,,92,202406,2024,40,\n"
               "2024002,李四,11010119900307002x,计算机,大学英语,21,32,2.5,40,优秀,202402,,,补考\n"
               "2024002,李四,11010119900307002X,计算机,程序设计基础,22,30,,64,合格,202312,,41,\n"
               "2024003,王五,440106200001010019,数学,大学英语,23,34,3,,不合格,202001,,,\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString() << Problems();
  ASSERT_TRUE(problems_.empty()) << Problems();
  ASSERT_EQ(t->table.rows.size(), 4u);
  EXPECT_EQ(t->table.header,
            std::vector<std::string>(std::begin(kRecordCsvColumns), std::end(kRecordCsvColumns)));
  // Learner: found by national ID, or pending (created later with 姓名 as display name).
  EXPECT_EQ(Cell(*t, 0, "learner"), "lrn_zhang");
  EXPECT_EQ(Cell(*t, 1, "learner"), "");
  EXPECT_EQ(resolver_.find_calls, 1);
  ASSERT_EQ(t->pending.size(), 2u);  // 李四 once (lowercase x normalized), 王五
  EXPECT_EQ(t->pending[0].national_id, kId2);
  EXPECT_EQ(t->pending[0].display_name, "李四");
  EXPECT_EQ(t->pending[0].first_line, 3);
  EXPECT_EQ(t->pending_of_row, (std::vector<int>{-1, 0, 0, 1}));
  // Unit by title (no 课程代码 column).
  EXPECT_EQ(Cell(*t, 0, "unit"), "tsinghua:CS101");
  EXPECT_EQ(Cell(*t, 1, "unit"), "tsinghua:EN1");
  // 成绩: percent, five_level, pass_fail.
  EXPECT_EQ(Cell(*t, 0, "grade_scale"), "percent");
  EXPECT_EQ(Cell(*t, 0, "grade_value"), "92");
  EXPECT_EQ(Cell(*t, 1, "grade_scale"), "five_level");
  EXPECT_EQ(Cell(*t, 1, "grade_value"), "优秀");
  EXPECT_EQ(Cell(*t, 2, "grade_scale"), "pass_fail");
  EXPECT_EQ(Cell(*t, 2, "grade_value"), "pass");
  EXPECT_EQ(Cell(*t, 3, "grade_value"), "fail");
  // completed_on: the last day of the 获得时间 month (leap February included).
  EXPECT_EQ(Cell(*t, 0, "completed_on"), "2024-06-30");
  EXPECT_EQ(Cell(*t, 1, "completed_on"), "2024-02-29");
  EXPECT_EQ(Cell(*t, 2, "completed_on"), "2023-12-31");
  // 学分 and 学时 override the unit's; empty = the unit's.
  EXPECT_EQ(Cell(*t, 0, "credits"), "");
  EXPECT_EQ(Cell(*t, 1, "credits"), "2.5");
  EXPECT_EQ(Cell(*t, 1, "hours"), "40");
  EXPECT_EQ(Cell(*t, 2, "hours"), "64");
  // external_ref = 学号-<course>-<获得时间>.
  EXPECT_EQ(Cell(*t, 0, "external_ref"), "2024001-程序设计基础-202406");
  EXPECT_EQ(t->table.rows[0].line, 2);
  // Accounts are created only when asked, then fill their rows.
  ASSERT_TRUE(CreatePendingLearners(resolver_, &*t).ok());
  EXPECT_EQ(resolver_.created.size(), 2u);
  EXPECT_EQ(Cell(*t, 1, "learner"), Cell(*t, 2, "learner"));
  EXPECT_NE(Cell(*t, 3, "learner"), "");
  EXPECT_TRUE(t->pending.empty());
}

// A row with a problem is left out of the table and kept in `refused` as far as it mapped, with
// the bank fields its refused cells would have given, so that a caller can still check the
// rest of it; a learner whose only rows are refused gets no account.
TEST_F(CnRegistrarTest, RefusedRowsKeepWhatMappedAndMakeNoAccount) {
  auto t = Map(std::string(kHeader) +
               "2024002,李四,11010119900307002X,计算机,大学英语,21,32,2.5,40,良,202402,,,\n"
               "2024003,王五,440106200001010019,数学,大学英语,23,34,3,,不合格,202001,,,\n"
               "2024004,赵六,110101199003070011X,数学,大学英语,23,34,3,,92,2020-13,,,\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString() << Problems();
  ASSERT_EQ(problems_.size(), 3u) << Problems();
  ASSERT_EQ(t->table.rows.size(), 1u);
  EXPECT_EQ(t->table.rows[0].line, 3);
  ASSERT_EQ(t->refused.size(), 2u);
  const RefusedRow& grade = t->refused[0];
  EXPECT_EQ(grade.row.line, 2);
  EXPECT_EQ(grade.refused, (std::vector<std::string>{"grade_scale", "grade_value"}));
  EXPECT_TRUE(grade.learner_by_national_id);
  const auto& h = t->table.header;
  auto field = [&](const RefusedRow& r, std::string_view name) {
    return r.row.fields.at(std::find(h.begin(), h.end(), name) - h.begin());
  };
  EXPECT_EQ(field(grade, "unit"), "tsinghua:EN1");
  EXPECT_EQ(field(grade, "completed_on"), "2024-02-29");
  EXPECT_EQ(field(grade, "credits"), "2.5");
  EXPECT_EQ(field(grade, "grade_value"), "");
  // A bad national ID and a bad month: the learner and both fields the month gives.
  const RefusedRow& id_and_month = t->refused[1];
  EXPECT_EQ(id_and_month.row.line, 4);
  EXPECT_FALSE(id_and_month.learner_by_national_id);
  for (const char* f : {"learner", "external_ref", "completed_on"}) {
    EXPECT_NE(std::find(id_and_month.refused.begin(), id_and_month.refused.end(), f),
              id_and_month.refused.end())
        << f;
  }
  EXPECT_EQ(field(id_and_month, "grade_value"), "92");
  // Only 王五's account is to be made: 李四's only row was refused.
  ASSERT_EQ(t->pending.size(), 1u);
  EXPECT_EQ(t->pending[0].national_id, kId3);
  EXPECT_EQ(t->pending_of_row, (std::vector<int>{0}));
}

// An XLSX cell whose value the file does not hold (a formula its writer never computed) is a
// problem of its row at its column; the rest of that row and the other rows are still mapped
// and their problems named in the same run (before, the file stopped at the first such cell).
TEST_F(CnRegistrarTest, ACellWithoutItsValueIsAProblemOfItsRowOnly) {
  auto source = ReadCsv(std::string(kHeader) +
                            "2024001,张三,110101199003070011,计算机,大学英语,20,31,,,92,202406,,,\n"
                            "2024002,李四,11010119900307002X,计算机,大学英语,21,32,,,,202402,,,\n"
                            "2024003,王五,440106200001010019,数学,大学英语,23,34,,,80,2024-13,,,\n",
                        Encoding::kUtf8, {}, &problems_);
  ASSERT_TRUE(source.ok()) << Problems();
  source->unread.push_back(CellProblem{3, "", "J", "",
                                       "a formula (=AVERAGE(O3:P3)) whose result "
                                       "the file does not hold"});
  auto t = ApplyMapping(*source, mapping_, resolver_, &problems_);
  ASSERT_TRUE(t.ok()) << t.status().ToString() << Problems();
  ASSERT_EQ(problems_.size(), 2u) << Problems();
  EXPECT_EQ(problems_[0].line, 3);
  EXPECT_EQ(problems_[0].letter, "J");
  EXPECT_EQ(problems_[0].column, "成绩");
  EXPECT_EQ(problems_[1].line, 4);
  EXPECT_EQ(problems_[1].column, "获得时间");
  ASSERT_EQ(t->table.rows.size(), 1u);
  ASSERT_EQ(t->refused.size(), 2u);
  EXPECT_EQ(t->refused[0].row.line, 3);
  EXPECT_EQ(t->refused[0].refused, (std::vector<std::string>{"grade_scale", "grade_value"}));
}

TEST_F(CnRegistrarTest, UnitByCodeWhenTheColumnExistsAndRecordNumber) {
  auto t =
      Map("记录号,学号,姓名,身份证号,课程代码,课程名称,教育层次代码,教育类别代码,成绩,获得时间\n"
          "R-0001,2024001,张三,110101199003070011,MA102,微积分,20,31,88.5,2024-06\n"
          ",2024001,张三,110101199003070011,MA101,微积分,20,31,77,202406\n");
  ASSERT_FALSE(t.ok() && problems_.empty());
  // The empty 记录号 is reported; the first row maps.
  ASSERT_EQ(problems_.size(), 1u) << Problems();
  EXPECT_EQ(FormatProblem(problems_[0]),
            "line 3, column A (记录号): is empty, and it gives external_ref");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->table.rows.size(), 1u);
  EXPECT_EQ(Cell(*t, 0, "unit"), "tsinghua:MA102");  // by code, though the title is ambiguous
  EXPECT_EQ(Cell(*t, 0, "external_ref"), "R-0001");
  EXPECT_EQ(Cell(*t, 0, "grade_value"), "88.5");
}

TEST_F(CnRegistrarTest, ExternalRefUsesTheCourseCodeWhenPresent) {
  auto t =
      Map("学号,姓名,身份证号,课程代码,课程名称,教育层次代码,教育类别代码,成绩,获得时间\n"
          "2024001,张三,110101199003070011,CS101,程序设计基础,20,31,60,202406\n");
  ASSERT_TRUE(t.ok()) << Problems();
  EXPECT_EQ(Cell(*t, 0, "external_ref"), "2024001-CS101-202406");
  EXPECT_EQ(t->sources[2].column, "学号, 课程代码, 获得时间");
  EXPECT_EQ(t->sources[2].letter, "A, D, I");
}

TEST_F(CnRegistrarTest, EveryBadLineIsReportedWithColumnAndLetter) {
  auto t =
      Map(std::string(kHeader) +
          "2024001,张三,110101199003070012,计算机,程序设计基础,20,31,,,92,202406,,,\n"  // id check
          "2024002,李四,1.10101E+17,计算机,程序设计基础,20,31,,,92,202406,,,\n"     // Excel number
          "2024003,王五,440106200001010019,数学,物理,20,31,,,92,202406,,,\n"        // no unit
          "2024004,王五,440106200001010019,数学,微积分,20,31,,,92,202406,,,\n"      // ambiguous
          "2024005,王五,440106200001010019,数学,大学英语,24,35,,,92,202406,,42,\n"  // codes
          "2024006,王五,440106200001010019,数学,大学英语,20,31,1.255,x,92,202406,,,\n"  // numbers
          "2024007,王五,440106200001010019,数学,大学英语,20,31,,,良,202413,24,,\n"  // grade, month,
                                                                                    // year
          ",,440106200001010019,数学,大学英语,20,31,,,,,,,\n");                     // empties
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->table.rows.empty());
  const std::string all = Problems();
  for (const char* expect : {
           "line 2, column C (身份证号): fails its check digit",
           "line 3, column C (身份证号): is not an 18-character resident identity number (Excel "
           "stored it as a number",
           "line 4, column E (课程名称): no unit titled \"物理\"",
           "line 5, column E (课程名称): \"微积分\" is the title of 2 units (tsinghua:MA101, "
           "tsinghua:MA102)",
           "line 6, column F (教育层次代码): \"24\" is not one of the codes: 20 本科, 21 专科, 22 "
           "专升本, 23 高起本",
           "line 6, column G (教育类别代码): \"35\" is not one of the codes",
           "line 6, column M (毕业结业肄业): \"42\" is not one of the codes: 40 毕业, 41 结业",
           "line 7, column H (学分): \"1.255\" has more than two decimal places",
           "line 7, column I (学时): \"x\" is not a number",
           "line 8, column J (成绩): \"良\" is not a grade",
           "line 8, column K (获得时间): \"202413\" is not a month as YYYYMM",
           "line 8, column L (届别): \"24\" is not a year",
           "line 9, column A (学号): is empty (the column is required)",
           "line 9, column B (姓名): is empty (the column is required)",
           "line 9, column J (成绩): is empty (the column is required)",
           "line 9, column K (获得时间): is empty (the column is required)",
       }) {
    EXPECT_NE(all.find(expect), std::string::npos) << "missing: " << expect << "\nin:\n" << all;
  }
  EXPECT_EQ(problems_.size(), 16u) << all;
}

// The same 身份证号 with another 姓名 is a problem of the later row, at its 姓名: one of the two is
// wrong, and the account would be made (or the row stored) under the first. It used to be
// accepted silently. The national ID is not printed; the line of its first row is.
TEST_F(CnRegistrarTest, ANationalIdGivenWithTwoNamesIsAProblem) {
  auto t = Map(std::string(kHeader) +
               "2024002,李四,11010119900307002X,计算机,大学英语,21,32,2.5,40,优秀,202402,,,\n"
               "2024003,王五,440106200001010019,数学,大学英语,23,34,3,,不合格,202001,,,\n"
               "2024002,李斯,11010119900307002x,计算机,程序设计基础,22,30,,64,合格,202312,,,\n"
               "2024002,李四,11010119900307002X,计算机,大学英语,22,30,,64,合格,202406,,,\n"
               "2024001,张三,110101199003070011,计算机,程序设计基础,20,31,,,92,202406,,,\n"
               "2024001,张叁,110101199003070011,计算机,大学英语,20,31,,,92,202406,,,\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(problems_.size(), 2u) << Problems();
  EXPECT_EQ(FormatProblem(problems_[0]),
            "line 4, column B (姓名): 身份证号 of this row is given with another 姓名 at line 2");
  // A learner the bank knows already is checked the same way.
  EXPECT_EQ(FormatProblem(problems_[1]),
            "line 7, column B (姓名): 身份证号 of this row is given with another 姓名 at line 6");
  EXPECT_EQ(Problems().find("11010119900307002"), std::string::npos) << Problems();
  ASSERT_EQ(t->table.rows.size(), 4u);  // the rows reported are left out
  ASSERT_EQ(t->pending.size(), 2u);
  EXPECT_EQ(t->pending[0].display_name, "李四");
}

TEST_F(CnRegistrarTest, HeaderProblems) {
  auto missing = Map("学号,姓名,课程名称,成绩\n1,张三,微积分,90\n");
  ASSERT_FALSE(missing.ok());
  std::string all = Problems();
  EXPECT_NE(all.find("line 1, column 身份证号: the header lacks this required column"),
            std::string::npos)
      << all;
  auto unknown =
      Map(std::string("学号,学号,姓名,身份证号,课程名称,教育层次代码,教育类别代码,成绩,获得时间,"
                      "分数\n"));
  ASSERT_FALSE(unknown.ok());
  all = Problems();
  EXPECT_NE(all.find("line 1, column B (学号): the column appears twice (also column A)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("line 1, column J (分数): unknown column for mapping cn-registrar"),
            std::string::npos)
      << all;
}

TEST_F(CnRegistrarTest, TitleRowsAboveTheHeaderAreSkipped) {
  auto t =
      Map("2024年秋季学期成绩,,,,,,,,\n"
          ",,,,,,,,\n"
          "学号,姓名,身份证号码,课程名称,教育层次代码,教育类别代码,成绩,获得时间,\n"
          "2024001, 张三 ,110101199003070011,程序设计基础,20,31,９０,202406,\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString() << Problems();
  EXPECT_EQ(t->table.header_line, 3);
  ASSERT_EQ(t->table.rows.size(), 1u);
  EXPECT_EQ(t->table.rows[0].line, 4);
  EXPECT_EQ(Cell(*t, 0, "grade_value"), "90");  // full-width digits, and 身份证号码 as alias
}

// A value in a column without a header (学分 merged over two cells, with 学时 typed under the
// second; a note beside the table) is a problem of its own row, named by line and letter, not
// of the file: the other rows are mapped and their problems named in the same run. An empty
// column without a header is no problem at all.
TEST_F(CnRegistrarTest, AValueUnderNoHeaderIsItsRowsProblem) {
  auto t =
      Map("学号,姓名,身份证号码,课程名称,教育层次代码,教育类别代码,成绩,获得时间,,\n"
          "2024001,张三,110101199003070011,程序设计基础,20,31,90,202406,,\n"
          "2024001,张三,110101199003070011,大学英语,20,31,85,202406,oops,\n"
          "2024001,张三,110101199003070011,程序设计基础,20,31,abc,202406,,\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString() << Problems();
  EXPECT_EQ(Problems(),
            "line 3, column I: a value in a column without a header (the header is line 1)\n"
            "line 4, column G (成绩): \"abc\" is not a grade: a percent score (0-100), "
            "优秀/良好/中等/及格/不及格, or 合格/不合格\n");
  ASSERT_EQ(t->table.rows.size(), 1u);
  EXPECT_EQ(t->table.rows[0].line, 2);
  ASSERT_EQ(t->refused.size(), 2u);  // kept for their other checks
  EXPECT_EQ(t->refused[0].row.line, 3);
}

TEST_F(CnRegistrarTest, HandTypedTitleLinesWithoutTrailingCommas) {
  // Typed in a text editor: the title lines have no commas at all.
  auto t =
      Map("2024年秋季学期成绩\n"
          "制表：教务处\n"
          "学号,姓名,身份证号码,课程名称,教育层次代码,教育类别代码,成绩,获得时间\n"
          "2024001,张三,110101199003070011,程序设计基础,20,31,90,202406\n"
          "2024001,张三,110101199003070011,大学英语,20,31,85,202406\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString() << Problems();
  EXPECT_EQ(t->table.header_line, 3);
  EXPECT_EQ(t->data_rows, 2u);
  ASSERT_EQ(t->table.rows.size(), 2u);
  EXPECT_EQ(t->table.rows[1].line, 5);
  EXPECT_EQ(Cell(*t, 1, "grade_value"), "85");

  // A row that lost a comma is still refused, and named; also the first row under the
  // header, when the rows after it end in a comma (ParseCsv pads it, the mapping refuses it).
  auto padded =
      Map("2024年秋季学期成绩\n"
          "学号,姓名,身份证号码,课程名称,教育层次代码,教育类别代码,成绩,获得时间\n"
          "2024001,张三,110101199003070011,程序设计基础,20,31,90\n"
          "2024001,张三,110101199003070011,大学英语,20,31,85,202406,\n"
          "2024001,张三,110101199003070011,微积分,20,31,85,202406,\n");
  ASSERT_TRUE(padded.ok()) << padded.status().ToString();
  // The rest of the file is still mapped, and its problems named in the same run (微积分 is the
  // title of two units of this catalog).
  EXPECT_EQ(Problems(),
            "line 3: expected 9 fields as in the header (line 2), found 7\n"
            "line 5, column D (课程名称): \"微积分\" is the title of 2 units (tsinghua:MA101, "
            "tsinghua:MA102); add a 课程代码 column to tell them apart\n");
  ASSERT_EQ(padded->table.rows.size(), 1u);
  EXPECT_EQ(padded->table.rows[0].line, 4);
  ASSERT_EQ(padded->refused.size(), 1u);  // not the short line: nothing of it is where it seems
  EXPECT_EQ(padded->refused[0].row.line, 5);

  // A row that lost a comma below rows of the header's width is refused and named the same
  // way, and the rows around it are still mapped (ParseCsv keeps it for a registrar file).
  auto bad =
      Map("2024年秋季学期成绩\n"
          "学号,姓名,身份证号码,课程名称,教育层次代码,教育类别代码,成绩,获得时间\n"
          "2024001,张三,110101199003070011,程序设计基础,20,31,90,202406\n"
          "2024001,张三,110101199003070011,大学英语,20,31,85202406\n"
          "2024001,张三,110101199003070011,微积分,20,31,85,202406\n");
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  EXPECT_EQ(Problems(),
            "line 4: expected 8 fields as in the header (line 2), found 7\n"
            "line 5, column D (课程名称): \"微积分\" is the title of 2 units (tsinghua:MA101, "
            "tsinghua:MA102); add a 课程代码 column to tell them apart\n");
  ASSERT_EQ(bad->table.rows.size(), 1u);
  EXPECT_EQ(bad->table.rows[0].line, 3);
  EXPECT_TRUE(bad->refused.size() == 1u && bad->refused[0].row.line == 5);
}

TEST_F(CnRegistrarTest, XlsxDateCellsForTheAcquiredMonth) {
  // An XLSX date cell for 获得时间 reads "2024-06-01"; the month is what counts.
  auto t =
      Map("学号,姓名,身份证号,课程名称,教育层次代码,教育类别代码,成绩,获得时间\n"
          "2024001,张三,110101199003070011,程序设计基础,20,31,90,2024-06-01\n"
          "2024001,张三,110101199003070011,微积分x,20,31,90,2024年2月\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(Cell(*t, 0, "completed_on"), "2024-06-30");
  ASSERT_EQ(problems_.size(), 1u) << Problems();  // 微积分x is no unit; 2024年2月 parsed fine
  EXPECT_EQ(problems_[0].column, "课程名称");
}

TEST_F(CnRegistrarTest, ProblemForFieldNamesTheSourceColumn) {
  auto t =
      Map("学号,姓名,身份证号,课程名称,教育层次代码,教育类别代码,成绩,获得时间\n"
          "2024001,张三,110101199003070011,程序设计基础,20,31,101,202406\n");
  ASSERT_TRUE(t.ok());
  CellProblem p = ProblemForField(*t, 2, "/grade/value", "must be 0 to 100");
  EXPECT_EQ(FormatProblem(p), "line 2, column G (成绩): must be 0 to 100");
  EXPECT_EQ(p.field, "grade_value");
  p = ProblemForField(*t, 2, "completed_on", "in the future");
  EXPECT_EQ(FormatProblem(p), "line 2, column H (获得时间): in the future");
  p = ProblemForField(*t, 2, "level", "bad");
  EXPECT_EQ(FormatProblem(p), "line 2, column level: bad");
}

TEST(IdentityMapping, BankHeaderKeepsLetters) {
  std::vector<CellProblem> problems;
  auto source = ReadCsv(
      "learner,unit,external_ref,grade_scale,grade_value,completed_on\n"
      "lrn_1,a:b,r1,percent,90,2024-01-01\n",
      Encoding::kAuto, {}, &problems);
  ASSERT_TRUE(source.ok());
  auto t = IdentityMapping(*source, &problems);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatProblem(ProblemForField(*t, 2, "/grade/value", "bad")),
            "line 2, column E (grade_value): bad");
  auto bad_source = ReadCsv("learner,unit,weight\n", Encoding::kAuto, {}, &problems);
  ASSERT_TRUE(bad_source.ok());
  auto bad = IdentityMapping(*bad_source, &problems);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(problems.back().letter, "C");
  EXPECT_EQ(problems.back().column, "weight");
}

TEST(IdentityMapping, BlankColumnsAfterTheFirstKeepEveryCell) {
  // As Excel writes a sheet with a blank column between the names and two more at the end:
  // the first column stays where it is, so every named cell before a blank one must keep its
  // value as the blank columns are dropped.
  std::vector<CellProblem> problems;
  auto source = ReadCsv(
      "learner,unit,,external_ref,grade_scale,grade_value,completed_on,,\n"
      "lrn_1,a:b,,r1,percent,90,2024-01-01,,\n"
      "lrn_2,a:c,,r2,five_level,excellent,2024-02-01,,\n",
      Encoding::kAuto, {}, &problems);
  ASSERT_TRUE(source.ok());
  auto t = IdentityMapping(*source, &problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(t->table.header,
            (std::vector<std::string>{"learner", "unit", "external_ref", "grade_scale",
                                      "grade_value", "completed_on"}));
  ASSERT_EQ(t->table.rows.size(), 2u);
  EXPECT_EQ(t->table.rows[0].fields,
            (std::vector<std::string>{"lrn_1", "a:b", "r1", "percent", "90", "2024-01-01"}));
  EXPECT_EQ(t->table.rows[1].fields, (std::vector<std::string>{"lrn_2", "a:c", "r2", "five_level",
                                                               "excellent", "2024-02-01"}));
  EXPECT_EQ(FormatProblem(ProblemForField(*t, 2, "/grade/value", "bad")),
            "line 2, column F (grade_value): bad");
}

TEST(IdentityMapping, TitleRowsAndAHeaderInALaterColumn) {
  // As Excel saves a sheet whose header sits in row 3 from column B, under a title and a
  // notes row, with a blank column between the names: every row as wide as the used range.
  std::vector<CellProblem> problems;
  const std::string csv =
      "2024年秋季学期学分认定名单,,,,,,,,\n"
      ",导出：教务处 2025-01-10,,,,,,,\n"
      ", learner ,unit,external_ref,grade_scale,,grade_value,completed_on,\n"
      ",lrn_1,a:b,r1,percent,,90,2024-01-01,\n";
  auto source = ReadCsv(csv, Encoding::kAuto, {}, &problems);
  ASSERT_TRUE(source.ok());
  auto t = IdentityMapping(*source, &problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(t->table.header_line, 3);
  EXPECT_EQ(t->table.header,
            (std::vector<std::string>{"learner", "unit", "external_ref", "grade_scale",
                                      "grade_value", "completed_on"}));
  ASSERT_EQ(t->table.rows.size(), 1u);
  EXPECT_EQ(t->table.rows[0].line, 4);
  EXPECT_EQ(t->table.rows[0].fields,
            (std::vector<std::string>{"lrn_1", "a:b", "r1", "percent", "90", "2024-01-01"}));
  // Problems still name the file's own letters: grade_value is column G.
  EXPECT_EQ(FormatProblem(ProblemForField(*t, 4, "/grade/value", "bad")),
            "line 4, column G (grade_value): bad");

  // The one problem of a file that reads as CSV; its row is left out of the table (`rows` of
  // the others kept), the rest of the file still read for its other checks.
  auto only_problem = [&](const std::string& text, size_t rows) -> std::string {
    problems.clear();
    auto read = ReadCsv(text, Encoding::kAuto, {}, &problems);
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    if (!read.ok()) return "";
    auto mapped = IdentityMapping(*read, &problems);
    EXPECT_TRUE(mapped.ok()) << mapped.status().ToString();
    if (mapped.ok()) EXPECT_EQ(mapped->table.rows.size(), rows);
    EXPECT_EQ(problems.size(), 1u);
    return problems.empty() ? "" : FormatProblem(problems[0]);
  };
  // A value under no header is named by its line and letter; its row is refused (kept for its
  // other checks), the row above is read.
  EXPECT_EQ(only_problem(csv + ",lrn_2,a:b,r2,percent,x,80,2024-01-01,\n", 1),
            "line 5, column F: a value in a column without a header (the header is line 3)");
  // A line that lost fields below the header is refused, also where ParseCsv padded it
  // because the rows after it end in a comma.
  EXPECT_EQ(only_problem("learner,unit,external_ref,grade_scale,grade_value,completed_on\n"
                         "lrn_1,a:b,r1,percent,90\n"
                         "lrn_1,a:b,r2,percent,90,2024-01-01,\n"
                         "lrn_1,a:b,r3,percent,91,2024-01-01,\n",
                         2),
            "line 2: expected 7 fields as in the header (line 1), found 5");

  // No row is a bank header: the first row's own problem, as before.
  source = ReadCsv("名单,,\nlearner,unit,weight\n", Encoding::kAuto, {}, &problems);
  ASSERT_TRUE(source.ok());
  problems.clear();
  auto none = IdentityMapping(*source, &problems);
  ASSERT_FALSE(none.ok());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 1);
  EXPECT_NE(problems[0].reason.find("unknown CSV column \"名单\""), std::string::npos)
      << problems[0].reason;
}

// ---- The mapping file format ------------------------------------------------------------------

std::string MappingWith(const std::string& columns, const std::string& fields) {
  return R"({"format": "creditbank-mapping/1", "name": "t", "columns": {)" + columns +
         R"(}, "fields": {)" + fields + "}}";
}

constexpr char kCols[] =
    R"("ID": {"required": true}, "Course": {}, "Score": {}, "Date": {"type": "date"})";
constexpr char kFields[] =
    R"("learner": {"copy": "ID"}, "unit": {"copy": "Course"}, "external_ref": {"template": "{ID}/{Course}"},
       "grade_scale": {"constant": "percent"}, "grade_value": {"copy": "Score"}, "completed_on": {"date": "Date"})";

TEST(MappingFile, AGenericMappingMapsAnEnglishExport) {
  auto m = ParseMapping(MappingWith(kCols, kFields));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<CellProblem> problems;
  auto source =
      ReadCsv("ID,Course,Score,Date\nlrn_1,a:B1,77,2024/6/5\n", Encoding::kAuto, {}, &problems);
  ASSERT_TRUE(source.ok());
  CatalogResolver unused;
  auto t = ApplyMapping(*source, *m, unused, &problems);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(problems.empty());
  const auto& row = t->table.rows[0].fields;
  EXPECT_EQ(row[0], "lrn_1");
  EXPECT_EQ(row[1], "a:B1");
  EXPECT_EQ(row[2], "lrn_1/a:B1");
  EXPECT_EQ(row[6], "percent");
  EXPECT_EQ(row[7], "77");
  EXPECT_EQ(row[8], "2024-06-05");
}

TEST(MappingFile, ErrorsNameTheMember) {
  struct Case {
    std::string doc;
    std::string pointer;
  };
  const Case cases[] = {
      {"[]", ""},
      {R"({"format": "x"})", "/format"},
      {MappingWith(kCols, kFields).replace(1, 0, R"("extra": 1, )"), "/extra"},
      {MappingWith(R"("ID": {"type": "money"})", kFields), "/columns/ID/type"},
      {MappingWith(R"("ID": {"codes": {}})", kFields), "/columns/ID/codes"},
      {MappingWith(R"("ID": {"max_chars": 0})", kFields), "/columns/ID/max_chars"},
      {MappingWith(R"("ID": {"aliases": ["ID"]})", kFields), "/columns/ID/aliases"},
      {MappingWith(kCols, R"("weight": {"copy": "ID"})"), "/fields/weight"},
      {MappingWith(kCols, R"("learner": {"copy": "Nope"})"), "/fields/learner/copy"},
      {MappingWith(kCols, R"("learner": {"copy": "ID", "constant": "x"})"), "/fields/learner"},
      {MappingWith(kCols, R"("learner": {"unit_by_code": "ID"})"), "/fields/learner/unit_by_code"},
      {MappingWith(kCols, R"("learner": {"shout": "ID"})"), "/fields/learner/shout"},
      {MappingWith(kCols, R"("learner": {"template": "{ID"})"), "/fields/learner/template"},
      {MappingWith(kCols, R"("learner": {"template": "plain"})"), "/fields/learner/template"},
      {MappingWith(kCols, R"("learner": [])"), "/fields/learner"},
      {MappingWith(kCols, R"("learner": {"copy": "ID"})"), "/fields/unit"},
      {MappingWith(kCols, std::string(kFields) + R"(, "grade": {"grade_cn": "Score"})"),
       "/fields/grade"},
      {MappingWith(kCols, R"("learner": {"copy": "ID", "display_name": "ID"})"),
       "/fields/learner/display_name"},
      {R"({"format": "creditbank-mapping/1", "format": "creditbank-mapping/1"})", "/format"},
  };
  for (const Case& c : cases) {
    auto m = ParseMapping(c.doc);
    ASSERT_FALSE(m.ok()) << c.doc;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(m.status().pointer(), c.pointer) << c.doc << " -> " << m.status().ToString();
  }
  EXPECT_FALSE(BuiltinMapping("us-registrar").ok());
}

// ---- Cell normalization -------------------------------------------------------------------------

TEST(CellValues, NationalIdAgainstTheChecksumDefinition) {
  // Every check character position: for a fixed 17-digit body, exactly one of 0-9/X passes.
  const std::string body = "44010620000101001";
  int passing = 0;
  for (char c : std::string("0123456789X")) {
    if (NormalizeNationalIdCn(body + c).ok()) ++passing;
  }
  EXPECT_EQ(passing, 1);
  EXPECT_TRUE(NormalizeNationalIdCn(kId3).ok());
  EXPECT_EQ(*NormalizeNationalIdCn("11010119900307002x"), kId2);
  EXPECT_FALSE(NormalizeNationalIdCn("110101199013070011").ok());  // month 13
  EXPECT_FALSE(NormalizeNationalIdCn("11010119900307001").ok());   // 17 characters
}

TEST(CellValues, DatesMonthsAndNumbers) {
  EXPECT_EQ(*NormalizeYearMonth("202406"), "202406");
  EXPECT_EQ(*NormalizeYearMonth("2024/6"), "202406");
  EXPECT_EQ(*NormalizeYearMonth("2024.06"), "202406");
  EXPECT_EQ(*NormalizeYearMonth("2024-06-15 10:00:00"), "202406");
  EXPECT_FALSE(NormalizeYearMonth("202400").ok());
  EXPECT_FALSE(NormalizeYearMonth("24-06").ok());
  EXPECT_EQ(*NormalizeDate("20240615"), "2024-06-15");
  EXPECT_EQ(*NormalizeDate("2024年6月15日"), "2024-06-15");
  EXPECT_FALSE(NormalizeDate("2023-02-29").ok());
  EXPECT_FALSE(NormalizeDate("1900-01-00").ok());
  EXPECT_EQ(LastDayOfMonth("190002"), "1900-02-28");
  EXPECT_EQ(LastDayOfMonth("200002"), "2000-02-29");
  EXPECT_EQ(*NormalizeDecimal("4.50"), "4.5");
  EXPECT_EQ(*NormalizeDecimal("3.0"), "3");
  EXPECT_EQ(NormalizeDecimal("-1").status().message(), "\"-1\" is negative (expected 0 or more)");
  EXPECT_EQ(NormalizeDecimal("-x").status().message(),
            "\"-x\" is not a number (expected e.g. 3 or 2.5)");
  EXPECT_FALSE(NormalizeDecimal("1e3").ok());
  EXPECT_EQ(HalfWidth("９２．５"), "92.5");
  EXPECT_EQ(TrimCell("\xE3\x80\x80 张三\xC2\xA0"), "张三");
}

}  // namespace
}  // namespace lcb::formats
