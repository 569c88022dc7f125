// The call POST /v1/records makes for a file body (formats/upload.h): content types,
// charsets, XLSX bodies, mapped and unmapped tables, and the problem list as JSON.
#include "formats/upload.h"

#include <gtest/gtest.h>

#include "tests/formats/xlsx_builder.h"

namespace lcb::formats {
namespace {

// Finds units by code among {CS101: 程序设计基础}; every national ID is unknown.
class OneUnitResolver : public RegistrarResolver {
 public:
  StatusOr<std::optional<std::string>> UnitByCode(std::string_view code) override {
    if (code == "CS101") return std::optional<std::string>("tsinghua:CS101");
    return std::optional<std::string>();
  }
  StatusOr<std::vector<std::string>> UnitsByTitle(std::string_view title) override {
    if (title == "程序设计基础") return std::vector<std::string>{"tsinghua:CS101"};
    return std::vector<std::string>();
  }
  StatusOr<std::vector<std::optional<std::string>>> FindLearners(
      const std::vector<std::string>& ids) override {
    return std::vector<std::optional<std::string>>(ids.size());
  }
  StatusOr<std::vector<std::string>> CreateLearners(const std::vector<NewLearner>& l) override {
    return std::vector<std::string>(l.size(), "lrn_created");
  }
};

constexpr char kBankCsv[] =
    "learner,unit,external_ref,grade_scale,grade_value,completed_on\n"
    "lrn_1,tsinghua:CS101,r1,five_level,优秀,2024-06-30\n";

TEST(Upload, CsvCharsets) {
  std::vector<CellProblem> problems;
  UploadOptions options;
  auto utf8 = ReadRecordUpload("text/csv", kBankCsv, options, nullptr, &problems);
  ASSERT_TRUE(utf8.ok()) << utf8.status().ToString();
  EXPECT_EQ(utf8->table.rows[0].fields[4], "优秀");
  // 优秀 in GB18030 is D3 C5 D0 E3.
  std::string gb = kBankCsv;
  gb.replace(gb.find("优秀"), 6, "\xD3\xC5\xD0\xE3");
  auto gb18030 = ReadRecordUpload("text/csv; charset=gb18030", gb, options, nullptr, &problems);
  ASSERT_TRUE(gb18030.ok()) << gb18030.status().ToString();
  EXPECT_EQ(gb18030->table.rows[0].fields[4], "优秀");
  auto gbk = ReadRecordUpload("text/csv;charset=GBK", gb, options, nullptr, &problems);
  ASSERT_TRUE(gbk.ok());
  // No charset means UTF-8: the GB18030 bytes are refused, naming line 2.
  auto none = ReadRecordUpload("text/csv", gb, options, nullptr, &problems);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(problems.back().line, 2);
  auto latin = ReadRecordUpload("text/csv; charset=latin1", gb, options, nullptr, &problems);
  ASSERT_FALSE(latin.ok());
  EXPECT_EQ(latin.status().pointer(), "/content-type");
  EXPECT_TRUE(IsFileUpload("text/csv; charset=gbk"));
  EXPECT_TRUE(IsFileUpload(std::string(kXlsxMediaType)));
  EXPECT_FALSE(IsFileUpload("application/json"));
}

TEST(Upload, XlsxWithTheCnRegistrarMapping) {
  testing::WorkbookSpec spec;
  const std::vector<std::string> header = {"学号",         "姓名",         "身份证号", "课程名称",
                                           "教育层次代码", "教育类别代码", "成绩",     "获得时间"};
  std::string rows = "<row r=\"1\">";
  for (size_t i = 0; i < header.size(); ++i) {
    spec.shared.push_back(testing::Si(header[i]));
    rows += "<c t=\"s\"><v>" + std::to_string(i) + "</v></c>";
  }
  spec.shared.push_back(testing::Si("程序设计基础"));
  rows +=
      "</row><row r=\"2\"><c t=\"inlineStr\"><is><t>2024001</t></is></c>"
      "<c t=\"inlineStr\"><is><t>张三</t></is></c>"
      "<c t=\"inlineStr\"><is><t>110101199003070011</t></is></c><c t=\"s\"><v>8</v></c>"
      "<c><v>20</v></c><c><v>31</v></c><c><v>95</v></c><c><v>202406</v></c></row>"
      "<row r=\"3\"><c t=\"inlineStr\"><is><t>2024002</t></is></c>"
      "<c t=\"inlineStr\"><is><t>张三</t></is></c>"
      "<c t=\"inlineStr\"><is><t>110101199003070011</t></is></c><c t=\"s\"><v>8</v></c>"
      "<c><v>29</v></c><c><v>31</v></c><c><v>95</v></c><c><v>202406</v></c></row>";
  spec.sheets = {{"成绩", rows}};
  const std::string body = testing::BuildXlsx(spec);
  UploadOptions options;
  options.mapping = "cn-registrar";
  OneUnitResolver resolver;
  std::vector<CellProblem> problems;
  auto bad = ReadRecordUpload(kXlsxMediaType, body, options, &resolver, &problems);
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(problems.size(), 1u);
  nlohmann::json errors = ProblemsJson(problems);
  EXPECT_EQ(errors[0]["line"], 3);
  EXPECT_EQ(errors[0]["column"], "教育层次代码");
  EXPECT_EQ(errors[0]["letter"], "E");
  EXPECT_NE(errors[0]["detail"].get<std::string>().find("line 3, column E (教育层次代码)"),
            std::string::npos);

  // Without a mapping the same workbook's header is not the bank's.
  problems.clear();
  auto unmapped = ReadRecordUpload(kXlsxMediaType, body, UploadOptions{}, nullptr, &problems);
  ASSERT_FALSE(unmapped.ok());
  EXPECT_EQ(problems[0].line, 1);
}

TEST(Upload, XlsxRegistrarExportUnderAMergedTitle) {
  // As registrar systems export: a merged title in A1, a notes row, then the header in row 3
  // starting in column B. The title's single cell is narrower than the header; the mapping
  // finds the header and reads the rows with the sheet's own row numbers and letters.
  testing::WorkbookSpec spec;
  const std::vector<std::string> header = {"学号", "姓名", "身份证号", "课程名称",
                                           "教育层次代码", "教育类别代码", "成绩", "获得时间"};
  spec.shared = {testing::Si("清华大学 2024 年秋季学期学分认定名单"),
                 testing::Si("制表：教务处")};
  std::string rows =
      "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"
      "<row r=\"2\"><c r=\"F2\" t=\"s\"><v>1</v></c></row><row r=\"3\">";
  for (size_t i = 0; i < header.size(); ++i) {
    spec.shared.push_back(testing::Si(header[i]));
    rows += "<c r=\"" + ColumnLetter(i + 1) + "3\" t=\"s\"><v>" + std::to_string(i + 2) +
            "</v></c>";
  }
  rows +=
      "</row><row r=\"4\"><c r=\"B4\" t=\"inlineStr\"><is><t>2024001</t></is></c>"
      "<c t=\"inlineStr\"><is><t>张三</t></is></c>"
      "<c t=\"inlineStr\"><is><t>110101199003070011</t></is></c>"
      "<c t=\"inlineStr\"><is><t>程序设计基础</t></is></c>"
      "<c><v>29</v></c><c><v>31</v></c><c><v>95</v></c><c><v>202406</v></c></row>";
  spec.sheets = {{"Sheet1", rows}};
  UploadOptions options;
  options.mapping = "cn-registrar";
  OneUnitResolver resolver;
  std::vector<CellProblem> problems;
  auto bad = ReadRecordUpload(kXlsxMediaType, testing::BuildXlsx(spec), options, &resolver,
                              &problems);
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(problems.size(), 1u) << FormatProblem(problems[0]);
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_EQ(problems[0].letter, "F");
  EXPECT_EQ(problems[0].column, "教育层次代码");

  const size_t at = rows.find("<v>29</v>");
  rows.replace(at, 9, "<v>20</v>");
  spec.sheets = {{"Sheet1", rows}};
  problems.clear();
  auto good = ReadRecordUpload(kXlsxMediaType, testing::BuildXlsx(spec), options, &resolver,
                               &problems);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->table.header_line, 3);
  ASSERT_EQ(good->table.rows.size(), 1u);
  EXPECT_EQ(good->table.rows[0].line, 4);
  EXPECT_EQ(good->pending.size(), 1u);
}

TEST(Upload, PendingLearnersWaitForTheCaller) {
  std::vector<CellProblem> problems;
  UploadOptions options;
  options.mapping = "cn-registrar";
  OneUnitResolver resolver;
  auto t = ReadRecordUpload("text/csv; charset=utf-8",
                            "学号,姓名,身份证号,课程名称,教育层次代码,教育类别代码,成绩,获得时间\n"
                            "2024001,张三,110101199003070011,程序设计基础,20,31,合格,202406\n",
                            options, &resolver, &problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->pending.size(), 1u);
  EXPECT_EQ(t->table.rows[0].fields[0], "");
  ASSERT_TRUE(CreatePendingLearners(resolver, &*t).ok());
  EXPECT_EQ(t->table.rows[0].fields[0], "lrn_created");
}

}  // namespace
}  // namespace lcb::formats
