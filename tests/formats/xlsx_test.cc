// XLSX reading: packages built here with libzip from XML as Excel, WPS Office and the Open XML
// SDK write it (xlsx_builder.h).
#include "formats/xlsx.h"

#include <gtest/gtest.h>

#include "common/date.h"
#include "formats/excel_values.h"
#include "formats/mapping_apply.h"
#include "formats/registrar_file.h"
#include "tests/formats/xlsx_builder.h"

namespace lcb::formats {
namespace {

using testing::BuildXlsx;
using testing::BuildZip;
using testing::Si;
using testing::WorkbookParts;
using testing::WorkbookSpec;

StatusOr<SourceTable> Read(const std::string& bytes, const std::string& sheet = "",
                           XlsxLimits limits = {}) {
  std::vector<CellProblem> problems;
  return ReadXlsx(bytes, sheet, limits, &problems);
}

std::vector<std::string> Row(const SourceTable& t, size_t i) { return t.table.rows.at(i).fields; }

TEST(Xlsx, SharedRichAndInlineStrings) {
  WorkbookSpec spec;
  spec.shared = {Si("学号"), Si("姓名"),
                 "<r><rPr><b/></rPr><t>张</t></r><r><t xml:space=\"preserve\">三 </t></r>"
                 "<rPh sb=\"0\" eb=\"1\"><t>ZHANG</t></rPh>",
                 Si("A&B <x>"), "<t>line_x000D_break</t>"};
  spec.sheets = {
      {"成绩",
       "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row>"
       "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>2024001</t></is></c>"
       "<c r=\"B2\" t=\"s\"><v>2</v></c></row>"
       "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><r><t>李</t></r><r><t>四</t></r></is></c>"
       "<c r=\"B3\" t=\"s\"><v>3</v></c></row>"
       "<row r=\"4\"><c r=\"A4\" t=\"s\"><v>4</v></c><c r=\"B4\" "
       "t=\"str\"><f>A1</f><v>公式</v></c></row>"}};
  auto t = Read(BuildXlsx(spec));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->sheet, "成绩");
  EXPECT_EQ(t->table.header, (std::vector<std::string>{"学号", "姓名"}));
  EXPECT_EQ(t->letters, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(Row(*t, 0), (std::vector<std::string>{"2024001", "张三 "}));  // no phonetic run
  EXPECT_EQ(Row(*t, 1), (std::vector<std::string>{"李四", "A&B <x>"}));
  EXPECT_EQ(Row(*t, 2), (std::vector<std::string>{"line\rbreak", "公式"}));
  EXPECT_EQ(t->table.rows[2].line, 4);
}

TEST(Xlsx, NumbersAndNumbersStoredAsText) {
  WorkbookSpec spec;
  spec.shared = {Si("a"), Si("b"), Si("c"), Si("d"), Si("092")};
  spec.sheets = {
      {"S",
       "<row r=\"1\"><c t=\"s\"><v>0</v></c><c t=\"s\"><v>1</v></c><c t=\"s\"><v>2</v></c>"
       "<c t=\"s\"><v>3</v></c></row>"
       "<row r=\"2\"><c><v>92</v></c><c><v>2.1000000000000001</v></c>"
       "<c s=\"3\" t=\"s\"><v>4</v></c><c><v>202406</v></c></row>"
       "<row r=\"3\"><c><v>110101199003070000</v></c><c><v>0.1</v></c>"
       "<c t=\"b\"><v>1</v></c><c t=\"e\"><v>#N/A</v></c></row>"}};
  auto t = Read(BuildXlsx(spec));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Row(*t, 0), (std::vector<std::string>{"92", "2.1", "092", "202406"}));
  EXPECT_EQ(Row(*t, 1), (std::vector<std::string>{"1.1010119900307E+17", "0.1", "TRUE", "#N/A"}));
}

TEST(Xlsx, DatesAsSerialsAndText) {
  WorkbookSpec spec;
  spec.num_fmts =
      "<numFmt numFmtId=\"164\" formatCode=\"yyyy/m/d;@\"/>"
      "<numFmt numFmtId=\"165\" formatCode=\"0.0&quot;分&quot;\"/>";
  spec.xf_num_fmts = {0, 14, 164, 165, 31, 22};
  spec.shared = {Si("h"), Si("2024-06-30")};
  spec.sheets = {
      {"S",
       "<row r=\"1\"><c t=\"s\"><v>0</v></c><c t=\"s\"><v>0</v></c><c t=\"s\"><v>0</v></c>"
       "<c t=\"s\"><v>0</v></c><c t=\"s\"><v>0</v></c><c t=\"s\"><v>0</v></c></row>"
       "<row r=\"2\"><c s=\"1\"><v>45473</v></c><c s=\"2\"><v>45473</v></c>"
       "<c s=\"3\"><v>92.5</v></c><c s=\"4\"><v>45473</v></c>"
       "<c s=\"5\"><v>45473.5</v></c><c t=\"s\"><v>1</v></c></row>"
       "<row r=\"3\"><c s=\"1\"><v>60</v></c><c s=\"1\"><v>61</v></c><c s=\"1\"><v>59</v></c>"
       "<c s=\"1\"><v>1</v></c><c t=\"d\"><v>2024-06-30T00:00:00Z</v></c>"
       "<c s=\"1\"><v>0</v></c></row>"}};
  auto t = Read(BuildXlsx(spec));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Row(*t, 0), (std::vector<std::string>{"2024-06-30", "2024-06-30", "92.5", "2024-06-30",
                                                  "2024-06-30 12:00:00", "2024-06-30"}));
  // The 1900 system's leap-year bug: 60 is the nonexistent 1900-02-29.
  EXPECT_EQ(Row(*t, 1), (std::vector<std::string>{"1900-02-29", "1900-03-01", "1900-02-28",
                                                  "1900-01-01", "2024-06-30", "1900-01-00"}));
}

TEST(Xlsx, Date1904System) {
  WorkbookSpec spec;
  spec.date1904 = true;
  spec.shared = {Si("d")};
  spec.sheets = {
      {"S",
       "<row r=\"1\"><c t=\"s\"><v>0</v></c></row>"
       "<row r=\"2\"><c s=\"1\"><v>0</v></c></row><row r=\"3\"><c s=\"1\"><v>43</v></c></row>"
       "<row r=\"4\"><c s=\"1\"><v>44011</v></c></row>"}};
  auto t = Read(BuildXlsx(spec));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Row(*t, 0)[0], "1904-01-01");
  EXPECT_EQ(Row(*t, 1)[0], "1904-02-13");
  EXPECT_EQ(Row(*t, 2)[0], "2024-06-30");  // 45473 - 1462
}

TEST(Xlsx, SecondSheetByName) {
  WorkbookSpec spec;
  spec.shared = {Si("x"), Si("y")};
  spec.sheets = {{"说明", "<row r=\"1\"><c t=\"s\"><v>0</v></c></row>"},
                 {"成绩 2024",
                  "<row r=\"1\"><c t=\"s\"><v>1</v></c></row><row r=\"2\"><c><v>7</v></c></row>"}};
  const std::string bytes = BuildXlsx(spec);
  auto first = Read(bytes);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->sheet, "说明");
  auto second = Read(bytes, "成绩 2024");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->table.header[0], "y");
  EXPECT_EQ(Row(*second, 0)[0], "7");
  auto missing = Read(bytes, "Sheet9");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("\"说明\", \"成绩 2024\""), std::string::npos)
      << missing.status().message();
}

TEST(Xlsx, SheetNameIgnoresAsciiCase) {
  WorkbookSpec spec;
  spec.shared = {Si("x")};
  spec.sheets = {{"A", "<row r=\"1\"><c t=\"s\"><v>0</v></c></row>"},
                 {"Grades", "<row r=\"1\"><c><v>5</v></c></row>"}};
  auto t = Read(BuildXlsx(spec), "grades");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->sheet, "Grades");
}

TEST(Xlsx, SparseRowsAndCells) {
  WorkbookSpec spec;
  spec.shared = {Si("A"), Si("B"), Si("C"), Si("D")};
  // Header in row 2 (row 1 absent); B2 missing from the header? No: header A2, B2, D2 (C2
  // missing); row 5 only has C5; row 7 has cells without references (A7, B7); empty row 8.
  spec.sheets = {{"S",
                  "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c><c r=\"B2\" t=\"s\"><v>1</v></c>"
                  "<c r=\"D2\" t=\"s\"><v>3</v></c></row>"
                  "<row r=\"5\" spans=\"3:3\"><c r=\"C5\"><v>1</v></c></row>"
                  "<row r=\"6\"><c r=\"A6\" s=\"0\"/><c r=\"B6\"><v></v></c></row>"
                  "<row><c><v>7</v></c><c><v>8</v></c></row>"
                  "<row r=\"9\"><c r=\"D9\"><v>4</v></c></row>"}};
  auto t = Read(BuildXlsx(spec));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->table.header_line, 2);
  EXPECT_EQ(t->table.header, (std::vector<std::string>{"A", "B", "", "D"}));
  ASSERT_EQ(t->table.rows.size(), 3u);  // row 6 holds only empty cells
  EXPECT_EQ(t->table.rows[0].line, 5);
  EXPECT_EQ(Row(*t, 0), (std::vector<std::string>{"", "", "1", ""}));
  EXPECT_EQ(t->table.rows[1].line, 7);
  EXPECT_EQ(Row(*t, 1), (std::vector<std::string>{"7", "8", "", ""}));
  EXPECT_EQ(t->table.rows[2].line, 9);
  EXPECT_EQ(Row(*t, 2)[3], "4");
}

TEST(Xlsx, OpenXmlSdkPrefixesAndAbsoluteTargets) {
  WorkbookSpec spec;
  spec.prefix = "x:";
  spec.absolute_targets = true;
  spec.shared = {Si("学号")};
  spec.sheets = {
      {"Sheet1",
       "<x:row r=\"1\"><x:c r=\"A1\" t=\"s\"><x:v>0</x:v></x:c></x:row>"
       "<x:row r=\"2\"><x:c r=\"A2\" t=\"inlineStr\"><x:is><x:t>1</x:t></x:is></x:c></x:row>"}};
  auto t = Read(BuildXlsx(spec));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->table.header[0], "学号");
  EXPECT_EQ(Row(*t, 0)[0], "1");
}

TEST(Xlsx, CellProblemsNameRowAndColumn) {
  WorkbookSpec spec;
  spec.shared = {Si("学号"), Si("成绩")};
  spec.sheets = {{"S",
                  "<row r=\"1\"><c t=\"s\"><v>0</v></c><c t=\"s\"><v>1</v></c></row>"
                  "<row r=\"2\"><c r=\"B2\" t=\"s\"><v>99</v></c></row>"
                  "<row r=\"3\"><c r=\"C3\"><v>1</v></c></row>"}};
  std::vector<CellProblem> problems;
  auto t = ReadXlsx(BuildXlsx(spec), "", {}, &problems);
  ASSERT_FALSE(t.ok());
  // C3 has no header, but which row is the header is the mapping's to say (mapping_apply.h):
  // the reader keeps it, and only the bad shared string is a problem here.
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(
      FormatProblem(problems[0]),
      "line 2, column B (成绩): refers to shared string 99, which the workbook does not have");
}

TEST(Xlsx, FormulasWithoutASavedResultAreRefusedWhereRead) {
  // The bank's header in row 2 under a title; F (grade_value) and a column without a header.
  WorkbookSpec spec;
  const std::vector<std::string> names = {"learner",     "unit",        "external_ref",
                                          "grade_scale", "grade_value", "completed_on"};
  for (const std::string& n : names) spec.shared.push_back(Si(n));
  std::string header = "<row r=\"2\">";
  for (size_t i = 0; i < names.size(); ++i) {
    header += "<c r=\"" + ColumnLetter(i) + "2\" t=\"s\"><v>" + std::to_string(i) + "</v></c>";
  }
  header += "</row>";
  auto sheet = [&](const std::string& title_cell, const std::string& grade_cell) {
    return "<row r=\"1\">" + title_cell + "</row>" + header +
           "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>lrn_1</t></is></c>"
           "<c r=\"B3\" t=\"inlineStr\"><is><t>u:1</t></is></c>"
           "<c r=\"C3\" t=\"inlineStr\"><is><t>r1</t></is></c>"
           "<c r=\"D3\" t=\"inlineStr\"><is><t>percent</t></is></c>" +
           grade_cell + "<c r=\"F3\" t=\"inlineStr\"><is><t>2024-06-30</t></is></c></row>";
  };
  auto map = [&](std::vector<CellProblem>* problems) -> StatusOr<MappedTable> {
    problems->clear();
    auto t = ReadXlsx(BuildXlsx(spec), "", {}, problems);
    if (!t.ok()) return t.status();
    return IdentityMapping(*std::move(t), problems);
  };
  std::vector<CellProblem> problems;

  // Saved by Excel, WPS or LibreOffice: the cached result is read, "" for a string formula.
  spec.sheets = {{"S", sheet("<c r=\"A1\" t=\"str\"><f>IF(B9=\"\",\"\",B9)</f><v></v></c>",
                             "<c r=\"E3\"><f>45*2</f><v>90</v></c>")}};
  auto t = map(&problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->table.rows.at(0).fields.at(4), "90");

  // openpyxl saves a formula and no result: refused where the mapping reads it, not read as
  // empty; the same in a title row above the header costs nothing. The problem is its row's:
  // the row is left out of the table (kept as refused, its grade_value refused), not the file.
  spec.sheets = {
      {"S", sheet("<c r=\"A1\"><f>TODAY()</f></c>", "<c r=\"E3\"><f>45*2</f><v></v></c>")}};
  t = map(&problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->table.rows.empty());
  ASSERT_EQ(t->refused.size(), 1u);
  EXPECT_EQ(t->refused[0].row.line, 3);
  EXPECT_EQ(t->refused[0].refused, (std::vector<std::string>{"grade_value"}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(FormatProblem(problems[0]),
            "line 3, column E (grade_value): a formula (=45*2) whose result the file does not "
            "hold (the program that wrote it does not compute formulas): open the file in Excel "
            "or WPS and save it, or write the values");
  // A shared formula's follower, without its text.
  spec.sheets = {{"S", sheet("", "<c r=\"E3\"><f t=\"shared\" si=\"0\"/></c>")}};
  t = map(&problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->table.rows.empty());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].letter, "E");
  EXPECT_TRUE(problems[0].reason.starts_with("a formula whose result")) << problems[0].reason;

  // XlsxWriter saves 0 as every result and asks for recalculation on load: the 0 is not read.
  spec.calc_pr = " fullCalcOnLoad=\"1\"";
  spec.sheets = {{"S", sheet("<c r=\"A1\"><f>TODAY()</f><v>0</v></c>",
                             "<c r=\"E3\"><f>45*2</f><v>0</v></c>")}};
  t = map(&problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->table.rows.empty());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].column, "grade_value");
  // Plain values in such a workbook are read, and a formula only in the title is no problem.
  spec.sheets = {
      {"S", sheet("<c r=\"A1\"><f>TODAY()</f><v>0</v></c>", "<c r=\"E3\"><v>90</v></c>")}};
  t = map(&problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(t->table.rows.at(0).fields.at(4), "90");
}

TEST(Xlsx, TitleRowAboveAHeaderInColumnB) {
  // A merged title in A1 (only its top-left cell holds the text), the header in row 3 from
  // column B: the reader keeps every row as wide as the widest, and the bank's header is found
  // in row 3 with its own letters.
  WorkbookSpec spec;
  spec.shared = {Si("2024年秋季学期学分认定名单"), Si("learner"), Si("unit"), Si("external_ref"),
                 Si("grade_scale"), Si("grade_value"), Si("completed_on"), Si("percent")};
  spec.sheets = {
      {"S",
       "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"
       "<row r=\"3\"><c r=\"B3\" t=\"s\"><v>1</v></c><c r=\"C3\" t=\"s\"><v>2</v></c>"
       "<c r=\"D3\" t=\"s\"><v>3</v></c><c r=\"E3\" t=\"s\"><v>4</v></c>"
       "<c r=\"F3\" t=\"s\"><v>5</v></c><c r=\"G3\" t=\"s\"><v>6</v></c></row>"
       "<row r=\"4\"><c r=\"B4\" t=\"inlineStr\"><is><t>lrn_1</t></is></c>"
       "<c r=\"C4\" t=\"inlineStr\"><is><t>a:b</t></is></c>"
       "<c r=\"D4\" t=\"inlineStr\"><is><t>r1</t></is></c><c r=\"E4\" t=\"s\"><v>7</v></c>"
       "<c r=\"F4\"><v>90</v></c><c r=\"G4\" t=\"inlineStr\"><is><t>2024-01-01</t></is></c>"
       "</row>"}};
  std::vector<CellProblem> problems;
  auto t = ReadXlsx(BuildXlsx(spec), "", {}, &problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->table.header_line, 1);
  EXPECT_EQ(t->table.header.size(), 7u);
  auto mapped = IdentityMapping(std::move(t).value(), &problems);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_EQ(mapped->table.header_line, 3);
  EXPECT_EQ(mapped->table.header.front(), "learner");
  ASSERT_EQ(mapped->table.rows.size(), 1u);
  EXPECT_EQ(mapped->table.rows[0].line, 4);
  EXPECT_EQ(mapped->table.rows[0].fields[4], "90");
  EXPECT_EQ(mapped->sources.front().letter, "B");
  EXPECT_EQ(mapped->sources.back().letter, "G");
}

TEST(Xlsx, RowsOutOfOrderAreRefused) {
  WorkbookSpec spec;
  spec.sheets = {{"S", "<row r=\"3\"><c><v>1</v></c></row><row r=\"2\"><c><v>1</v></c></row>"}};
  auto t = Read(BuildXlsx(spec));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("row 2 comes after row 3"), std::string::npos);
}

TEST(XlsxBounds, ZipBombIsRefused) {
  WorkbookSpec spec;
  spec.sheets = {{"S", "<row r=\"1\"><c><v>1</v></c></row>"}};
  auto parts = WorkbookParts(spec);
  // 64 MiB of spaces inside the sheet deflate to ~64 KiB.
  parts[2].data.insert(parts[2].data.find("<sheetData>"), std::string(64 << 20, ' '));
  const std::string bytes = BuildZip(parts);
  ASSERT_LT(bytes.size(), 1u << 20);
  XlsxLimits limits;
  limits.zip.max_part_bytes = 16 << 20;
  auto t = Read(bytes, "", limits);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("inflates to more than 16 MiB"), std::string::npos)
      << t.status().message();
  limits.zip.max_part_bytes = 1ull << 30;
  limits.zip.max_total_bytes = 32 << 20;
  t = Read(bytes, "", limits);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("package inflates to more than 32 MiB"), std::string::npos)
      << t.status().message();
}

TEST(XlsxBounds, TooManyEntries) {
  std::vector<testing::ZipPart> parts;
  for (int i = 0; i < 50; ++i) parts.push_back({"f" + std::to_string(i), "x"});
  XlsxLimits limits;
  limits.zip.max_entries = 20;
  auto t = Read(BuildZip(parts), "", limits);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("50 entries"), std::string::npos);
}

TEST(XlsxBounds, HugeSheetRowsAndColumns) {
  std::string rows = "<row r=\"1\"><c><v>1</v></c></row>";
  for (int r = 2; r <= 200; ++r)
    rows += "<row r=\"" + std::to_string(r) + "\"><c><v>1</v></c></row>";
  WorkbookSpec spec;
  spec.sheets = {{"S", rows}};
  XlsxLimits limits;
  limits.max_rows = 100;
  auto t = Read(BuildXlsx(spec), "", limits);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("more than 100 rows"), std::string::npos);

  spec.sheets = {{"S", "<row r=\"1\"><c r=\"A1\"><v>1</v></c><c r=\"XFD1\"><v>2</v></c></row>"}};
  t = Read(BuildXlsx(spec));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("column XFD, past the 256 columns"), std::string::npos)
      << t.status().message();
  // Far-away empty cells cost nothing.
  spec.sheets = {{"S",
                  "<row r=\"1\"><c r=\"A1\"><v>1</v></c><c r=\"XFD1\" s=\"0\"/></row>"
                  "<row r=\"1048576\"><c r=\"A1048576\"><v>2</v></c></row>"}};
  t = Read(BuildXlsx(spec));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->table.rows[0].line, 1048576);
}

TEST(XlsxBounds, DeepXmlAndDoctypeRefused) {
  WorkbookSpec spec;
  std::string deep = "<row r=\"1\"><c><v>1</v></c></row><extra>";
  for (int i = 0; i < 100; ++i) deep += "<a>";
  for (int i = 0; i < 100; ++i) deep += "</a>";
  deep += "</extra>";
  spec.sheets = {{"S", deep}};
  auto t = Read(BuildXlsx(spec));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("deeper than 64"), std::string::npos) << t.status().message();

  spec.sheets = {{"S", "<row r=\"1\"><c><v>1</v></c></row>"}};
  auto parts = WorkbookParts(spec);
  for (auto& p : parts) {
    if (p.name == "xl/workbook.xml") {
      p.data.insert(p.data.find("?>") + 2, "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>");
    }
  }
  t = Read(BuildZip(parts));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("DOCTYPE"), std::string::npos) << t.status().message();
}

TEST(XlsxBounds, NotAnXlsx) {
  EXPECT_FALSE(Read("PK\x03\x04garbage").ok());
  auto no_workbook = Read(BuildZip({{"a.txt", "hi"}}));
  ASSERT_FALSE(no_workbook.ok());
  EXPECT_NE(no_workbook.status().message().find("_rels/.rels"), std::string::npos)
      << no_workbook.status().message();
  WorkbookSpec empty;
  empty.sheets = {{"S", ""}};
  auto e = Read(BuildXlsx(empty));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("is empty"), std::string::npos);
}

TEST(ExcelValues, NumberFormatsAndDates) {
  EXPECT_TRUE(IsDateFormat(14, ""));
  EXPECT_TRUE(IsDateFormat(31, ""));  // yyyy"年"m"月"d"日" in zh-CN
  EXPECT_TRUE(IsDateFormat(57, ""));
  EXPECT_FALSE(IsDateFormat(0, ""));
  EXPECT_FALSE(IsDateFormat(49, ""));  // @ (text)
  EXPECT_TRUE(IsDateFormat(164, "yyyy/m/d"));
  EXPECT_TRUE(IsDateFormat(164, "[$-804]yyyy\"年\"m\"月\""));
  EXPECT_TRUE(IsDateFormat(164, "[h]:mm:ss"));
  EXPECT_TRUE(IsDateFormat(164, "yyyymm"));
  EXPECT_FALSE(IsDateFormat(164, "0.00_ "));
  EXPECT_FALSE(IsDateFormat(164, "[Red]0.0\"分\""));
  EXPECT_FALSE(IsDateFormat(164, "0.00E+00"));
  EXPECT_FALSE(IsDateFormat(164, "General"));
  EXPECT_EQ(FormatExcelNumber("-0"), "0");
  EXPECT_EQ(FormatExcelNumber("1E-3"), "0.001");
  EXPECT_EQ(FormatExcelNumber("abc"), "abc");
  EXPECT_EQ(FormatExcelNumber("3.0000000000000004"), "3");
  EXPECT_FALSE(ExcelSerialToText(-1, false).has_value());
  EXPECT_FALSE(ExcelSerialToText(3e6, false).has_value());
  EXPECT_EQ(*ExcelSerialToText(2958465, false), "9999-12-31");
  EXPECT_EQ(*ExcelSerialToText(45473.99999999, false), "2024-07-01");  // rounds to midnight
  EXPECT_EQ(DecodeXstring("a_x005F_x000D_b"), "a_x000D_b");
  EXPECT_EQ(DecodeXstring("_x4E2D_"), "中");
}

// Every serial of the 1900 system maps to the day after the previous one, except at the
// phantom 1900-02-29; checked against a day counter for the first 200 years.
TEST(ExcelValues, SerialsAgainstADayCounter) {
  Days expect = DaysFromCivil({1900, 1, 1});
  for (int serial = 1; serial < 73050; ++serial) {
    if (serial == 60) continue;
    ASSERT_EQ(*ExcelSerialToText(serial, false), FormatDate(expect)) << serial;
    ++expect;
  }
  expect = DaysFromCivil({1904, 1, 1});
  for (int serial = 0; serial < 73050; ++serial, ++expect) {
    ASSERT_EQ(*ExcelSerialToText(serial, true), FormatDate(expect)) << serial;
  }
}

}  // namespace
}  // namespace lcb::formats
