// `creditbank import` of registrar exports against a real in-process server over a temp
// RocksDB: a GB18030 CSV and an XLSX workbook with Chinese headers read through the shipped
// cn-registrar mapping. A file with a bad line is reported by line and column and stores
// nothing (no record, no learner account); fixed, everything is stored, learners are found or
// created by national ID, and no national ID is kept in clear.
#include <gtest/gtest.h>
#include <iconv.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "api/logging.h"
#include "cli/commands.h"
#include "formats/source_table.h"
#include "formats/xlsx.h"
#include "tests/formats/xlsx_builder.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

::testing::AssertionResult Has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" is not in:\n" << text;
}

struct Outcome {
  int code = 0;
  std::string out, err;
};

template <typename Fn>
Outcome Capture(Fn fn) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Outcome r;
  r.code = fn();
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

// UTF-8 -> GB18030, as Excel writes "CSV (逗号分隔)" on a Chinese Windows.
std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  std::string out(utf8.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* o = out.data();
  size_t out_left = out.size();
  EXPECT_NE(iconv(cd, &in, &in_left, &o, &out_left), static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Whether any file under `dir` holds `needle` (RocksDB's WAL and tables are read raw).
bool AnyFileHolds(const std::string& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    if (buf.str().find(needle) != std::string::npos) return true;
  }
  return false;
}

// Whether the bank's store holds `needle` anywhere: RocksDB's files read raw (WAL and tables,
// deleted values too); on PostgreSQL every row of every table. The server must be stopped.
bool StoreHolds(const std::string& data_dir, const std::string& needle) {
  if (!TestOnPostgres()) return AnyFileHolds(data_dir, needle);
  auto kv = OpenBankStore(data_dir);
  EXPECT_TRUE(kv.ok()) << kv.status().ToString();
  if (!kv.ok()) return true;
  bool found = false;
  for (int t = 0; t < kTableCount && !found; ++t) {
    Status s = (*kv)->Scan(static_cast<Table>(t), "", "", SIZE_MAX,
                           [&](std::string_view key, std::string_view value) {
                             found = key.find(needle) != std::string_view::npos ||
                                     value.find(needle) != std::string_view::npos;
                             return !found;
                           });
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return found;
}

// National IDs (GB 11643 check digits valid): the catalog's learner A has kIdA; B and C are new.
constexpr char kIdA[] = "110101199003070011";
constexpr char kIdB[] = "11010119900307002X";
constexpr char kIdC[] = "440106200001010019";

constexpr char kHeader[] =
    "学号,姓名,身份证号,专业名称,课程名称,教育层次代码,教育类别代码,学分,学时,成绩,获得时间,届别,"
    "毕业结业肄业,备注\r\n";

// Six rows; `bad_grade` replaces line 5's 成绩.
std::string RegistrarCsv(const std::string& bad_grade) {
  std::string csv = kHeader;
  csv +=
      "2024001,张三,110101199003070011,计算机科学与技术,程序设计基础,20,31,,,92,202406,2024,40,"
      "\r\n";
  csv +=
      "2024001,张三,110101199003070011,计算机科学与技术,微积分,20,31,5,,良好,202401,2024,40,\r\n";
  csv +=
      "2024002,李四,11010119900307002X,计算机科学与技术,程序设计基础,22,30,,64,合格,202312,,,\r\n";
  csv += "2024002,李四,11010119900307002X,计算机科学与技术,微积分,22,30,4.5,,\"" + bad_grade +
         "\",202406,,,\"补考, 通过\"\r\n";
  csv +=
      "2024003,王𠀀,440106200001010019,数学与应用数学,程序设计基础,21,32,,,不及格,202402,,41,\r\n";
  csv += "2024003,王𠀀,440106200001010019,数学与应用数学,微积分,21,32,,,60.5,202406,,,\r\n";
  return csv;
}

// An XLSX cell `cell` (A1 form) holding `text` as an inline string.
std::string InlineCell(const std::string& cell, const std::string& text) {
  return "<c r=\"" + cell + "\" t=\"inlineStr\"><is><t>" + formats::testing::Escape(text) +
         "</t></is></c>";
}

// A sheet in the bank's own header: its first row.
const std::vector<std::string> kBankSheetHeader = {"learner",     "unit",        "external_ref",
                                                   "grade_scale", "grade_value", "completed_on"};
std::string BankSheetHeaderRow() {
  std::string row = "<row r=\"1\">";
  for (size_t i = 0; i < kBankSheetHeader.size(); ++i) {
    row += InlineCell(formats::ColumnLetter(i) + "1", kBankSheetHeader[i]);
  }
  return row + "</row>";
}

// `csv` with `from`, which must be in it, replaced by `to` (a line of RegistrarCsv edited).
::testing::AssertionResult Edit(std::string* csv, const std::string& from, const std::string& to) {
  const size_t at = csv->find(from);
  if (at == std::string::npos) return ::testing::AssertionFailure() << "no " << from;
  csv->replace(at, from.size(), to);
  return ::testing::AssertionSuccess();
}

// The errors of a problem+json answer as "line column letter" (letter "" when none), in order.
std::vector<std::string> ErrorPlaces(const std::string& body) {
  std::vector<std::string> out;
  const json p = json::parse(body, nullptr, false);
  if (p.is_discarded() || !p.contains("errors")) return out;
  for (const json& e : p["errors"]) {
    out.push_back(std::to_string(e.value("line", 0)) + " " + e.value("column", "") + " " +
                  e.value("letter", ""));
  }
  return out;
}

class RegistrarImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel("error");
    std::filesystem::create_directories(dir_.sub("data"));
    server_ = std::make_unique<TestServer>(dir_.sub("data"));
    cat_.Load(*server_);
  }

  // `creditbank import` of `file` in the bank's own header, as tsinghua.
  Outcome ImportInBanksHeader(const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "--file",   file,           "--institution", "tsinghua",
        "--server", server_->url(), "--token",       cat_.tsinghua_token};
    args.insert(args.end(), extra.begin(), extra.end());
    return Capture([&] { return CmdImport(args); });
  }
  // The same with the cn-registrar mapping.
  Outcome Import(const std::string& file, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--mapping", "cn-registrar"});
    return ImportInBanksHeader(file, std::move(extra));
  }

  // `body` posted to POST /v1/records, its dry run and /v1/records/table: each must refuse it
  // (400) naming exactly `places` (ErrorPlaces), and nothing is stored. The answers' bodies.
  std::vector<std::string> RefusedByEveryRoute(const std::string& body,
                                               const std::map<std::string, std::string>& headers,
                                               const std::vector<std::string>& places) {
    const uint64_t before = server_->ledger().Size();
    std::vector<std::string> bodies;
    for (const char* path : {"/v1/records", "/v1/records?dry_run=true", "/v1/records/table"}) {
      ClientResponse r = server_->Call("POST", path, cat_.tsinghua_token, body, headers);
      EXPECT_EQ(r.status, 400) << path << " " << r.body;
      EXPECT_EQ(ErrorPlaces(r.body), places) << path << " " << r.body;
      bodies.push_back(std::move(r.body));
    }
    EXPECT_EQ(server_->ledger().Size(), before);
    return bodies;
  }

  // The stderr of `creditbank import` of `file` with and without --dry-run, each of which must
  // refuse it (exit 1).
  std::vector<std::string> RefusedBothWays(const std::string& file) {
    std::vector<std::string> errs;
    for (const char* dry : {"", "--dry-run"}) {
      Outcome bad = Import(file, *dry ? std::vector<std::string>{dry} : std::vector<std::string>{});
      EXPECT_EQ(bad.code, 1) << (*dry ? dry : "(storing)") << "\n" << bad.err;
      errs.push_back(std::move(bad.err));
    }
    return errs;
  }

  int LookupStatus(const std::string& national_id) {
    return server_
        ->Call("GET", "/v1/learners/lookup?national_id=" + national_id, cat_.tsinghua_token)
        .status;
  }
  std::string LookupId(const std::string& national_id) {
    return json::parse(server_
                           ->Call("GET", "/v1/learners/lookup?national_id=" + national_id,
                                  cat_.tsinghua_token)
                           .body)
        .value("id", "");
  }
  std::vector<json> RecordsOf(const std::string& learner) {
    json page = server_->CallJson("GET", "/v1/learners/" + learner + "/records?limit=100",
                                  cat_.auditor_token, nullptr, 200);
    return page["records"].get<std::vector<json>>();
  }

  void ExpectStoredAndLearners(uint64_t log_before) {
    EXPECT_EQ(server_->ledger().Size(), log_before + 6);
    ASSERT_EQ(LookupStatus(kIdB), 200);
    ASSERT_EQ(LookupStatus(kIdC), 200);
    EXPECT_EQ(LookupId(kIdA), cat_.learner_a);  // found, not created again
    auto a = RecordsOf(cat_.learner_a);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0]["unit"], "tsinghua:CS101");
    EXPECT_EQ(a[0]["external_ref"], "2024001-程序设计基础-202406");
    EXPECT_EQ(a[0]["completed_on"], "2024-06-30");
    EXPECT_EQ(a[0]["grade"]["scale"], "percent");
    EXPECT_EQ(a[1]["grade"]["scale"], "five_level");
    EXPECT_EQ(a[1]["credits"], 5);  // 学分 overrides the unit's
    auto b = RecordsOf(LookupId(kIdB));
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0]["grade"]["value"], "pass");
    EXPECT_EQ(b[0]["credits"], 4);  // 学时 64 at 16 h per credit
    EXPECT_EQ(b[1]["completed_on"], "2024-06-30");
    auto c = RecordsOf(LookupId(kIdC));
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[1]["grade"]["value"], "60.5");
    // National IDs are kept only as HMACs.
    server_.reset();
    for (const char* id : {kIdA, kIdB, kIdC}) {
      EXPECT_FALSE(StoreHolds(dir_.sub("data"), id)) << id;
    }
    if (TestOnPostgres()) {  // the scan sees what is stored (RocksDB's files may be compressed)
      EXPECT_TRUE(StoreHolds(dir_.sub("data"), "2024001-程序设计基础-202406"));
    }
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
};

TEST_F(RegistrarImportTest, Gb18030CsvWithABadLineThenFixed) {
  const std::string file = dir_.sub("成绩.csv");
  WriteFile(file, ToGb18030(RegistrarCsv("良")));
  const uint64_t before = server_->ledger().Size();

  Outcome bad = Import(file);
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(Has(bad.err, "line 5: 成绩: \"良\" is not a grade")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "(column J)"));
  EXPECT_TRUE(Has(bad.err, "nothing was stored"));
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);  // no account created for a file with an error
  EXPECT_EQ(LookupStatus(kIdC), 404);

  WriteFile(file, ToGb18030(RegistrarCsv("良好")));
  Outcome good = Import(file, {"--connections", "3", "--batch", "2"});
  ASSERT_EQ(good.code, 0) << good.err << good.out;
  EXPECT_TRUE(Has(good.out, "created 6, already present 0, skipped 0, failed 0")) << good.out;
  EXPECT_TRUE(Has(good.err, "created 2 learner accounts")) << good.err;

  Outcome again = Import(file);  // idempotent: same external_refs, same learners
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(Has(again.out, "created 0, already present 6"));
  ExpectStoredAndLearners(before);
}

// A token that does not act as the institution named is refused before the file is read: an
// institution's token for another, an auditor's, one that is not a token at all. The server
// says who a token is (GET /v1/tokens/current), never for a portal session.
TEST_F(RegistrarImportTest, ATokenOfAnotherInstitutionIsRefusedFirst) {
  const std::string file = dir_.sub("成绩.csv");
  WriteFile(file, ToGb18030(RegistrarCsv("良好")));
  const uint64_t before = server_->ledger().Size();
  auto import_with = [&](const std::string& token) {
    return Capture([&] {
      return CmdImport({"--file", file, "--institution", "tsinghua", "--mapping", "cn-registrar",
                        "--server", server_->url(), "--token", token});
    });
  };
  Outcome other = import_with(cat_.ouchn_token);
  EXPECT_EQ(other.code, 1);
  EXPECT_TRUE(Has(other.err, "the token acts as institution:ouchn, not institution:tsinghua"))
      << other.err;
  EXPECT_FALSE(Has(other.err, "line ")) << "refused before any row is read: " << other.err;
  Outcome auditor = import_with(cat_.auditor_token);
  EXPECT_EQ(auditor.code, 1);
  EXPECT_TRUE(Has(auditor.err, "the token acts as auditor, not institution:tsinghua"))
      << auditor.err;
  Outcome forged = import_with("cb_not-a-token");
  EXPECT_EQ(forged.code, 1);
  EXPECT_TRUE(Has(forged.err, "the token was refused")) << forged.err;
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);

  json me = server_->CallJson("GET", "/v1/tokens/current", cat_.ouchn_token, nullptr, 200);
  EXPECT_EQ(me["role"], "institution:ouchn");
  EXPECT_TRUE(me["id"].get<std::string>().starts_with("tok_")) << me;
  EXPECT_EQ(server_->Call("GET", "/v1/tokens/current", "").status, 401);
}

TEST_F(RegistrarImportTest, ExplicitEncodingAndDryRun) {
  const std::string file = dir_.sub("grades.csv");
  WriteFile(file, ToGb18030(RegistrarCsv("良好")));
  Outcome wrong = Import(file, {"--encoding", "utf-8"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_TRUE(Has(wrong.err, "line 1: ")) << wrong.err;
  EXPECT_TRUE(Has(wrong.err, "not valid UTF-8"));

  const uint64_t before = server_->ledger().Size();
  Outcome dry = Import(file, {"--encoding", "gb18030", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_TRUE(Has(dry.out, "6 records checked (also by the server), 6 valid")) << dry.out;
  EXPECT_TRUE(Has(dry.out, "2 learners are not in the bank yet")) << dry.out;
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);
}

// The same export as an XLSX workbook, as Excel writes it: shared strings, numbers as numbers,
// the national IDs as text, 获得时间 as a number (202406) and, on one line, as a date cell.
std::string RegistrarXlsx(const std::string& level_code_line4) {
  formats::testing::WorkbookSpec spec;
  const std::vector<std::string> header = {"学号",     "姓名",     "身份证号",     "专业名称",
                                           "课程代码", "课程名称", "教育层次代码", "教育类别代码",
                                           "学分",     "学时",     "成绩",         "获得时间"};
  std::string rows = "<row r=\"1\">";
  for (size_t i = 0; i < header.size(); ++i) {
    spec.shared.push_back(formats::testing::Si(header[i]));
    rows +=
        "<c r=\"" + formats::ColumnLetter(i) + "1\" t=\"s\"><v>" + std::to_string(i) + "</v></c>";
  }
  rows += "</row>";
  auto s = [&](const std::string& text) {
    spec.shared.push_back(formats::testing::Si(text));
    return "t=\"s\"><v>" + std::to_string(spec.shared.size() - 1) + "</v>";
  };
  auto row = [&](int r, const std::string& no, const std::string& name, const std::string& id,
                 const std::string& code, const std::string& title, const std::string& level,
                 const std::string& grade, const std::string& month_cell) {
    const std::string n = std::to_string(r);
    rows += "<row r=\"" + n + "\"><c r=\"A" + n + "\" " + s(no) + "</c><c r=\"B" + n + "\" " +
            s(name) + "</c><c r=\"C" + n + "\" " + s(id) + "</c><c r=\"D" + n + "\" " +
            s("软件工程") + "</c><c r=\"E" + n + "\" " + s(code) + "</c><c r=\"F" + n + "\" " +
            s(title) + "</c><c r=\"G" + n + "\"><v>" + level + "</v></c><c r=\"H" + n +
            "\"><v>31</v></c>" + "<c r=\"K" + n + "\" " + grade + "</c>" + month_cell + "</row>";
  };
  const std::string month = "<c r=\"L{}\"><v>202406</v></c>";
  auto month_of = [&](int r) {
    std::string m = month;
    m.replace(m.find("{}"), 2, std::to_string(r));
    return m;
  };
  row(2, "2024001", "张三", kIdA, "CS101", "程序设计基础", "20", "><v>95</v>", month_of(2));
  row(3, "2024002", "李四", kIdB, "CS101", "程序设计基础", "20", s("优秀"), month_of(3));
  row(4, "2024002", "李四", kIdB, "MA101", "微积分", level_code_line4, "><v>81</v>",
      "<c r=\"L4\" s=\"1\"><v>45444</v></c>");  // 2024-06-01 as a date cell
  // Row 5 is left empty; row 6 follows.
  row(6, "2024003", "王五", kIdC, "MA101", "微积分", "21", s("及格"), month_of(6));
  spec.sheets = {{"说明", "<row r=\"1\"><c t=\"inlineStr\"><is><t>请勿修改表头</t></is></c></row>"},
                 {"成绩", rows}};
  return formats::testing::BuildXlsx(spec);
}

TEST_F(RegistrarImportTest, XlsxWithChineseHeadersAndABadLineThenFixed) {
  const std::string file = dir_.sub("成绩.xlsx");
  WriteFile(file, RegistrarXlsx("24"));
  const uint64_t before = server_->ledger().Size();

  Outcome first_sheet = Import(file);  // the first sheet is the notes sheet
  EXPECT_EQ(first_sheet.code, 1);
  EXPECT_TRUE(Has(first_sheet.err, "the header lacks this required column")) << first_sheet.err;

  Outcome bad = Import(file, {"--sheet", "成绩"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(Has(bad.err, "line 4: 教育层次代码: \"24\" is not one of the codes")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "(column G)")) << bad.err;
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);

  WriteFile(file, RegistrarXlsx("22"));
  Outcome good = Import(file, {"--sheet", "成绩"});
  ASSERT_EQ(good.code, 0) << good.err << good.out;
  EXPECT_TRUE(Has(good.out, "created 4, already present 0, skipped 0, failed 0")) << good.out;
  EXPECT_EQ(server_->ledger().Size(), before + 4);
  auto b = RecordsOf(LookupId(kIdB));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0]["external_ref"], "2024002-CS101-202406");  // 课程代码 present: by code
  EXPECT_EQ(b[1]["unit"], "tsinghua:MA101");
  EXPECT_EQ(b[1]["completed_on"], "2024-06-30");  // the date cell's month
  auto c = RecordsOf(LookupId(kIdC));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["grade"]["scale"], "five_level");
}

// One run names every problem of the file, whichever check finds it: a cell the mapping cannot
// read (phase 1), a record that does not recognize (phase 2: a date in the future) and a row
// whose external_ref is stored for another grade (the server's check, of the rows that passed).
// Nothing is stored and no account is made.
TEST_F(RegistrarImportTest, EveryProblemOfTheFileInOneRun) {
  server_->CallJson(
      "POST", "/v1/records", cat_.tsinghua_token,
      cat_.Record(cat_.learner_a, "tsinghua:CS101", "2024001-程序设计基础-202406", "70"), 201);
  const uint64_t before = server_->ledger().Size();
  std::string csv = RegistrarCsv("良");  // line 5
  ASSERT_TRUE(Edit(&csv, ",60.5,202406,", ",60.5,209906,"));  // line 7
  const std::string file = dir_.sub("three_problems.csv");
  WriteFile(file, csv);
  for (const std::string& err : RefusedBothWays(file)) {
    EXPECT_TRUE(Has(err, "line 2: ")) << err;
    EXPECT_TRUE(Has(err, "already used for different content")) << err;
    EXPECT_TRUE(Has(err, "line 5: 成绩: \"良\" is not a grade")) << err;
    EXPECT_TRUE(Has(err, "line 7: ")) << err;
    EXPECT_TRUE(Has(err, "is in the future")) << err;
    EXPECT_TRUE(Has(err, "3 problems on 3 of 6 lines; nothing was stored")) << err;
    // In line order.
    EXPECT_LT(err.find("line 2: "), err.find("line 5: ")) << err;
    EXPECT_LT(err.find("line 5: "), err.find("line 7: ")) << err;
  }
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);
  EXPECT_EQ(LookupStatus(kIdC), 404);
}

// With --skip-invalid, a learner whose every row a record check refuses (a 获得时间 in the
// future) gets no account, as one whose rows the mapping refuses gets none; the others' rows
// are stored with their new accounts.
TEST_F(RegistrarImportTest, SkippedRowsMakeNoAccount) {
  const uint64_t before = server_->ledger().Size();
  std::string csv = RegistrarCsv("90");
  ASSERT_TRUE(Edit(&csv, ",不及格,202402,", ",不及格,209902,"));  // line 6, 王𠀀
  ASSERT_TRUE(Edit(&csv, ",60.5,202406,", ",60.5,209906,"));      // line 7, 王𠀀
  const std::string file = dir_.sub("skipped_learner.csv");
  WriteFile(file, csv);

  Outcome dry = Import(file, {"--skip-invalid", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err << dry.out;
  EXPECT_TRUE(Has(dry.out, "(1 learners are not in the bank yet")) << dry.out;

  Outcome skipped = Import(file, {"--skip-invalid"});
  ASSERT_EQ(skipped.code, 0) << skipped.err << skipped.out;
  EXPECT_TRUE(Has(skipped.err, "created 1 learner accounts")) << skipped.err;
  EXPECT_TRUE(Has(skipped.out, "created 4, already present 0, skipped 2")) << skipped.out;
  EXPECT_EQ(server_->ledger().Size(), before + 4);
  EXPECT_EQ(RecordsOf(LookupId(kIdB)).size(), 2u);
  EXPECT_EQ(LookupStatus(kIdC), 404);
}

// Rows of commas only (what Excel writes for rows that were formatted or cleared) are skipped
// like blank lines, in a mapped file and in the bank's own header, by `creditbank import` and
// by POST /v1/records, as a workbook's empty rows are; the lines after them keep their numbers.
TEST_F(RegistrarImportTest, RowsOfCommasOnlyAreSkipped) {
  std::string csv = RegistrarCsv("90");
  const std::string commas = ",,,,,,,,,,,,,\r\n";
  ASSERT_TRUE(Edit(&csv, "202312,,,\r\n", "202312,,,\r\n" + commas));  // after line 4
  csv += commas + commas;
  ASSERT_TRUE(Edit(&csv, ",60.5,202406,", ",60.5,209906,"));  // line 8 now
  const std::string file = dir_.sub("commas.csv");
  WriteFile(file, csv);
  Outcome bad = Import(file, {"--dry-run"});
  EXPECT_EQ(bad.code, 1) << bad.err;
  EXPECT_TRUE(Has(bad.err, "line 8: ")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "1 problems on 1 of 6 lines")) << bad.err;
  ClientResponse r = server_->Call("POST", "/v1/records?mapping=cn-registrar&dry_run=true",
                                   cat_.tsinghua_token, csv, {{"Content-Type", "text/csv"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorPlaces(r.body), (std::vector<std::string>{"8 获得时间 K"})) << r.body;

  const std::string bank = dir_.sub("commas_bank.csv");
  const std::string rows = "learner,unit,external_ref,grade_scale,grade_value,completed_on\n" +
                           cat_.learner_a + ",tsinghua:CS101,c-1,percent,90,2024-06-30\n,,,,,\n" +
                           cat_.learner_a + ",tsinghua:MA101,c-2,percent,80,2024-06-30\n,,,,,\n";
  WriteFile(bank, rows);
  Outcome good = ImportInBanksHeader(bank);
  ASSERT_EQ(good.code, 0) << good.err << good.out;
  EXPECT_TRUE(Has(good.out, "created 2, already present 0, skipped 0")) << good.out;
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, rows,
                    {{"Content-Type", "text/csv"}});
  EXPECT_EQ(r.status, 200) << r.body;  // both already stored
}

// A unit that is not in the catalog hides none of its line's other problems: a grade out of
// range, an unknown scale, a date in the future or no date at all are named beside it, by every
// route and by `creditbank import`; and a line `creditbank import` refuses itself (a grade out
// of range) still has what only the server knows of it named (no such learner account).
TEST_F(RegistrarImportTest, AnUnknownUnitHidesNoOtherProblem) {
  const std::string csv = "learner,unit,external_ref,grade_scale,grade_value,completed_on\n" +
                          cat_.learner_a + ",tsinghua:XX999,u-1,percent,800,2099-06-01\n" +
                          cat_.learner_a + ",tsinghua:XX999,u-2,bogus,80,2024-13-01\n" +
                          cat_.learner_a + ",tsinghua:CS101,u-3,percent,80,2024-06-01\n" +
                          "lrn_nobody,tsinghua:CS101,u-5,percent,800,2024-06-01\n";
  // (/v1/records/table reads such a file, 200: only a row the file cannot give is its problem.)
  for (const char* path : {"/v1/records", "/v1/records?dry_run=true"}) {
    ClientResponse r =
        server_->Call("POST", path, cat_.tsinghua_token, csv, {{"Content-Type", "text/csv"}});
    EXPECT_EQ(r.status, 400) << path << " " << r.body;
    EXPECT_EQ(ErrorPlaces(r.body),
              (std::vector<std::string>{"2 unit B", "2 grade_value E", "2 completed_on F",
                                        "3 unit B", "3 grade_scale D", "3 completed_on F",
                                        "5 learner A", "5 grade_value E"}))
        << path << " " << r.body;
  }
  EXPECT_EQ(RecordsOf(cat_.learner_a).size(), 0u);
  const std::string file = dir_.sub("unknown_unit.csv");
  WriteFile(file, csv);
  Outcome bad = ImportInBanksHeader(file, {"--dry-run"});
  EXPECT_EQ(bad.code, 1) << bad.err;
  EXPECT_TRUE(Has(bad.err, "8 problems on 3 of 4 lines")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "line 2: completed_on: is in the future")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "line 3: grade_scale: ")) << bad.err;
  // What only the server knows of a line that fails here too: the account does not exist.
  EXPECT_TRUE(Has(bad.err, "line 5: learner: no learner account 'lrn_nobody'")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "line 5: grade_value: ")) << bad.err;
}

// A body that is not the CSV its Content-Type says is named for what it is: a workbook sent as
// text/csv is a ZIP archive (not "bytes that are not UTF-8"), ?sheet= with a CSV is refused, and
// bytes that are not UTF-8 say how an upload names its charset. On every route; nothing stored.
TEST_F(RegistrarImportTest, ABodyThatIsNotTheCsvItSaysIsNamed) {
  const uint64_t before = server_->ledger().Size();
  const std::string xlsx = RegistrarXlsx("22");
  for (const char* path :
       {"/v1/records", "/v1/records?mapping=cn-registrar", "/v1/records/table"}) {
    ClientResponse r =
        server_->Call("POST", path, cat_.tsinghua_token, xlsx, {{"Content-Type", "text/csv"}});
    EXPECT_EQ(r.status, 400) << path << " " << r.body;
    const json p = json::parse(r.body, nullptr, false);
    EXPECT_EQ(p.value("pointer", ""), "/content-type") << path << " " << r.body;
    EXPECT_TRUE(Has(p.value("detail", ""), "ZIP archive")) << path << " " << r.body;

    const std::string sheet = std::string(path) +
                              (std::string(path).find('?') == std::string::npos ? "?" : "&") +
                              "sheet=成绩";
    r = server_->Call("POST", sheet, cat_.tsinghua_token, RegistrarCsv("90"),
                      {{"Content-Type", "text/csv"}});
    EXPECT_EQ(r.status, 400) << sheet << " " << r.body;
    EXPECT_EQ(json::parse(r.body, nullptr, false).value("pointer", ""), "/sheet") << r.body;

    r = server_->Call("POST", path, cat_.tsinghua_token, ToGb18030(RegistrarCsv("90")),
                      {{"Content-Type", "text/csv"}});
    EXPECT_EQ(r.status, 400) << path << " " << r.body;
    EXPECT_TRUE(Has(r.body, "charset= in the Content-Type")) << path << " " << r.body;
  }
  EXPECT_EQ(server_->ledger().Size(), before);
}

// POST /v1/records/table answers with every row of the file, so it reads at most 100,000: a
// file of tiny rows (8 MiB of "a,b,c,d,e,f") is refused, not turned into a huge answer.
TEST_F(RegistrarImportTest, ATableOfMoreThan100000RowsIsRefused) {
  std::string csv = "learner,unit,external_ref,grade_scale,grade_value,completed_on\n";
  for (int i = 0; i < 100'001; ++i) csv += "a,b,c,d,e,f\n";
  ClientResponse r = server_->Call("POST", "/v1/records/table", cat_.tsinghua_token, csv,
                                   {{"Content-Type", "text/csv"}});
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  EXPECT_TRUE(Has(r.body, "more than 100000 rows")) << r.body.substr(0, 300);
  csv.resize(csv.size() - 2 * std::string("a,b,c,d,e,f\n").size());  // 99,999 rows: read
  r = server_->Call("POST", "/v1/records/table", cat_.tsinghua_token, csv,
                    {{"Content-Type", "text/csv"}});
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
}

// A line with two independent problems (a 成绩 of 105 % and a 获得时间 in the future) has both
// reported, each on its own line of the report at its own column, by `creditbank import` and by
// POST /v1/records?mapping=cn-registrar alike; nothing is stored and no account is made.
TEST_F(RegistrarImportTest, EveryProblemOfALineWithItsColumn) {
  const uint64_t before = server_->ledger().Size();
  std::string csv = RegistrarCsv("105");  // line 5
  ASSERT_TRUE(Edit(&csv, "\"105\",202406,", "\"105\",209912,"));
  const std::string file = dir_.sub("two_problems.csv");
  WriteFile(file, ToGb18030(csv));
  for (const std::string& err : RefusedBothWays(file)) {
    const size_t grade = err.find("line 5: 成绩: ");
    const size_t month = err.find("line 5: 获得时间: is in the future");
    ASSERT_NE(grade, std::string::npos) << err;
    ASSERT_NE(month, std::string::npos) << err;
    EXPECT_LT(grade, month) << err;  // field order
    EXPECT_NE(err.find("(column J)", grade), std::string::npos) << err;
    EXPECT_LT(err.find("(column J)", grade), month) << err;
    EXPECT_NE(err.find("(column K)", month), std::string::npos) << err;
    EXPECT_TRUE(Has(err, "2 problems on 1 of 6 lines; nothing was stored")) << err;
  }
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);

  ClientResponse r = server_->Call("POST", "/v1/records?mapping=cn-registrar&create_learners=true",
                                   cat_.tsinghua_token, ToGb18030(csv),
                                   {{"Content-Type", "text/csv; charset=gb18030"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorPlaces(r.body), (std::vector<std::string>{"5 成绩 J", "5 获得时间 K"})) << r.body;
  EXPECT_EQ(json::parse(r.body)["errors"][1]["pointer"], "/records/3/completed_on") << r.body;
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);
}

// A cell the mapping refuses (成绩 "良", not a grade) hides no other problem: not the rest of its
// own line (获得时间 in the future), nor another line's (line 7, also in the future).
// `creditbank import` and POST /v1/records?mapping=cn-registrar report all three, each at its
// column, and not the refused grade's emptiness again ("is required"); nothing is stored and no
// account is made.
TEST_F(RegistrarImportTest, ACellTheMappingRefusesHidesNoOtherProblem) {
  const uint64_t before = server_->ledger().Size();
  std::string csv = RegistrarCsv("良");  // line 5
  ASSERT_TRUE(Edit(&csv, "\"良\",202406,", "\"良\",209912,"));
  ASSERT_TRUE(Edit(&csv, ",60.5,202406,", ",60.5,209906,"));  // line 7
  const std::string file = dir_.sub("refused_and_more.csv");
  WriteFile(file, ToGb18030(csv));
  for (const std::string& err : RefusedBothWays(file)) {
    const size_t grade = err.find("line 5: 成绩: \"良\" is not a grade");
    const size_t month = err.find("line 5: 获得时间: is in the future");
    ASSERT_NE(grade, std::string::npos) << err;
    ASSERT_NE(month, std::string::npos) << err;
    EXPECT_LT(grade, month) << err;
    EXPECT_TRUE(Has(err, "line 7: 获得时间: is in the future")) << err;
    EXPECT_FALSE(Has(err, "required")) << err;
    EXPECT_TRUE(Has(err, "3 problems on 2 of 6 lines; nothing was stored")) << err;
  }
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);
  EXPECT_EQ(LookupStatus(kIdC), 404);

  for (const char* query : {"&create_learners=true", "&dry_run=true"}) {
    ClientResponse r = server_->Call(
        "POST", std::string("/v1/records?mapping=cn-registrar") + query, cat_.tsinghua_token,
        ToGb18030(csv), {{"Content-Type", "text/csv; charset=gb18030"}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorPlaces(r.body),
              (std::vector<std::string>{"5 成绩 J", "5 获得时间 K", "7 获得时间 K"}))
        << r.body;
    EXPECT_EQ(json::parse(r.body)["errors"][1]["field"], "completed_on") << r.body;
  }
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);
  EXPECT_EQ(LookupStatus(kIdC), 404);
}

// The same export saved by an office suite's own XLSX writer (LibreOffice Calc; made by
// tests/formats/data/make_office_workbooks.py and committed): rich-text shared strings, a merged
// title row and a notes row above the header, the header from column B, numbers stored as text,
// a formula's cached value (学时 =32*2) and a yyyy/mm/dd date cell (获得时间 2024-06-15).
TEST_F(RegistrarImportTest, WorkbookSavedByAnOfficeSuite) {
  const std::string data = std::string(LCB_SOURCE_DIR) + "/tests/formats/data/";
  const uint64_t before = server_->ledger().Size();
  Outcome bad = Import(data + "cn_registrar_libreoffice_bad.xlsx");
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(Has(bad.err, "line 7: 成绩: \"良\" is not a grade")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "(column K)")) << bad.err;
  // The rows below the header (lines 4-9), not the title rows above it.
  EXPECT_TRUE(Has(bad.err, "1 problems on 1 of 6 lines; nothing was stored")) << bad.err;
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);

  // The server reads it the same way (the portal's upload): the header found in row 3.
  std::ifstream in(data + "cn_registrar_libreoffice.xlsx", std::ios::binary);
  const std::string workbook((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(workbook.size(), 1000u);
  ClientResponse r = server_->Call("POST", "/v1/records/table?mapping=cn-registrar",
                                   cat_.tsinghua_token, workbook,
                                   {{"Content-Type", std::string(formats::kXlsxMediaType)}});
  ASSERT_EQ(r.status, 200) << r.body;
  json table = json::parse(r.body);
  EXPECT_EQ(table["header_line"], 3);
  ASSERT_EQ(table["rows"].size(), 6u);
  EXPECT_EQ(table["rows"][0]["line"], 4);
  EXPECT_EQ(table["rows"][5]["line"], 9);
  EXPECT_EQ(table["pending_learners"], 2);
  EXPECT_EQ(server_->ledger().Size(), before);

  Outcome good = Import(data + "cn_registrar_libreoffice.xlsx");
  ASSERT_EQ(good.code, 0) << good.err << good.out;
  EXPECT_TRUE(Has(good.out, "created 6, already present 0, skipped 0, failed 0")) << good.out;
  ExpectStoredAndLearners(before);
}

// The same export saved as an Excel 97-2003 workbook (.xls; LibreOffice's "MS Excel 97" filter,
// made by tests/formats/data/make_office_workbooks.py): refused by `creditbank import` and by the
// server, whatever its name and content type, with what to do, and nothing stored.
TEST_F(RegistrarImportTest, OldBinaryWorkbookIsRefusedWithWhatToDo) {
  const std::string data = std::string(LCB_SOURCE_DIR) + "/tests/formats/data/";
  std::ifstream in(data + "cn_registrar_libreoffice.xls", std::ios::binary);
  const std::string xls((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(xls.size(), 1000u);
  const uint64_t before = server_->ledger().Size();
  for (const std::string name : {"export.xls", "export.xlsx"}) {
    const std::string file = dir_.sub(name);
    WriteFile(file, xls);
    Outcome out = Import(file);
    EXPECT_EQ(out.code, 1) << name;
    EXPECT_TRUE(Has(out.err, "old binary Excel file (.xls)")) << out.err;
    EXPECT_TRUE(Has(out.err, "Excel Workbook (*.xlsx)")) << out.err;
  }
  for (const std::string path : {"/v1/records?mapping=cn-registrar", "/v1/records/table"}) {
    ClientResponse r = server_->Call("POST", path, cat_.tsinghua_token, xls,
                                     {{"Content-Type", std::string(formats::kXlsxMediaType)}});
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
    EXPECT_TRUE(Has(r.body, "old binary Excel file (.xls)")) << r.body;
  }
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);
}

// The same export written by the libraries registrar systems export through (made by
// tests/formats/data/make_library_workbooks.py and committed): XlsxWriter, whose XML follows
// Excel's own (inline strings in constant-memory mode, 学号 as numbers, an autofilter, a frozen
// header in row 1, a yyyy"年"m"月"d"日" date cell), and openpyxl, what pandas writes through
// (a merged title, the header in row 2, text cells as numeric character references). Each
// reads into exactly the rows the LibreOffice workbook reads into; one imports, and the other
// posted afterwards is the same six records (a different value under the same external_ref
// would be a 409).
TEST_F(RegistrarImportTest, WorkbooksWrittenByExportLibraries) {
  const std::string data = std::string(LCB_SOURCE_DIR) + "/tests/formats/data/";
  auto read = [&](const std::string& name) {
    std::ifstream in(data + name, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::map<std::string, std::string> xlsx = {
      {"Content-Type", std::string(formats::kXlsxMediaType)}};
  auto table = [&](const std::string& name) {
    ClientResponse r = server_->Call("POST", "/v1/records/table?mapping=cn-registrar",
                                     cat_.tsinghua_token, read(name), xlsx);
    EXPECT_EQ(r.status, 200) << name << ": " << r.body;
    return r.status == 200 ? json::parse(r.body) : json::object();
  };
  const json office = table("cn_registrar_libreoffice.xlsx");
  ASSERT_EQ(office["rows"].size(), 6u);
  for (const auto& [name, header_line] : std::vector<std::pair<std::string, int>>{
           {"cn_registrar_xlsxwriter.xlsx", 1}, {"cn_registrar_openpyxl.xlsx", 2}}) {
    SCOPED_TRACE(name);
    const json t = table(name);
    EXPECT_EQ(t["header_line"], header_line);
    EXPECT_EQ(t["header"], office["header"]);
    EXPECT_EQ(t["pending_learners"], 2);
    ASSERT_EQ(t["rows"].size(), 6u);
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(t["rows"][i]["line"], header_line + 1 + static_cast<int>(i));
      EXPECT_EQ(t["rows"][i]["fields"], office["rows"][i]["fields"]) << "row " << i;
    }
  }

  const uint64_t before = server_->ledger().Size();
  const std::string file = dir_.sub("export.xlsx");
  WriteFile(file, read("cn_registrar_xlsxwriter.xlsx"));
  Outcome good = Import(file);
  ASSERT_EQ(good.code, 0) << good.err << good.out;
  EXPECT_TRUE(Has(good.out, "created 6, already present 0, skipped 0, failed 0")) << good.out;
  ClientResponse again =
      server_->Call("POST", "/v1/records?mapping=cn-registrar", cat_.tsinghua_token,
                    read("cn_registrar_openpyxl.xlsx"), xlsx);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["created_learners"], 0) << again.body;
  ExpectStoredAndLearners(before);
}

// POST /v1/records takes an XLSX workbook in the bank's own header, as the portal's registrar
// upload sends it: ?sheet= picks the sheet; a bad cell is named by its line and stores nothing.
// POST /v1/records/table: a workbook read once by the server's own XLSX reader, as rows in the
// bank's header with their lines and the workbook's column letters (the portal's XLSX upload
// then checks and posts it as CSV batches). More rows than a batch may hold; nothing stored.
TEST_F(RegistrarImportTest, RecordTableReadsAWorkbookAndStoresNothing) {
  const auto& header = kBankSheetHeader;
  std::string rows = BankSheetHeaderRow();
  const auto is = InlineCell;
  const int n = 1500;  // more than max_batch (1000)
  for (int i = 0; i < n; ++i) {
    const std::string r = std::to_string(i + 2);
    rows += "<row r=\"" + r + "\">" + is("A" + r, cat_.learner_a) + is("B" + r, "tsinghua:CS101") +
            is("C" + r, "T-" + std::to_string(i)) + is("D" + r, "percent") + "<c r=\"E" + r +
            "\"><v>85</v></c>" + "<c r=\"F" + r + "\" s=\"1\"><v>45301</v></c></row>";
  }
  formats::testing::WorkbookSpec spec;
  spec.sheets = {{"grades", rows}};
  const std::string book = formats::testing::BuildXlsx(spec);
  const std::map<std::string, std::string> xlsx = {
      {"Content-Type", std::string(formats::kXlsxMediaType)}};
  const uint64_t before = server_->ledger().Size();

  ClientResponse r = server_->Call("POST", "/v1/records/table", cat_.tsinghua_token, book, xlsx);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  json t = json::parse(r.body);
  EXPECT_EQ(t["header_line"], 1);
  ASSERT_EQ(t["header"].size(), header.size()) << t["header"].dump();
  EXPECT_EQ(t["header"][0], "learner");
  EXPECT_EQ(t["letters"][0], "A");
  EXPECT_EQ(t["letters"][5], "F");
  ASSERT_EQ(t["rows"].size(), static_cast<size_t>(n));
  EXPECT_EQ(t["rows"][0]["line"], 2);
  EXPECT_EQ(t["rows"][n - 1]["line"], n + 1);
  EXPECT_EQ(t["rows"][0]["fields"][2], "T-0");
  EXPECT_EQ(t["rows"][0]["fields"][4], "85");
  EXPECT_EQ(t["rows"][0]["fields"][5], "2024-01-10");  // the date serial, as Excel shows it
  EXPECT_EQ(server_->ledger().Size(), before);

  // The same rows posted for real are refused as one request (more than a batch holds).
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, book, xlsx);
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);

  // CSV too (here GB18030), the file's form is checked, not the records.
  const std::map<std::string, std::string> gb = {{"Content-Type", "text/csv; charset=gb18030"}};
  r = server_->Call("POST", "/v1/records/table", cat_.tsinghua_token,
                    "learner,unit,external_ref,grade_scale,grade_value,completed_on\n"
                    "nobody,tsinghua:NOPE,C-1,percent,\xd3\xc5,2024-01-10\n",
                    gb);
  ASSERT_EQ(r.status, 200) << r.body;
  t = json::parse(r.body);
  EXPECT_EQ(t["rows"][0]["fields"][4], "优");
  EXPECT_EQ(t["letters"][4], "E");
  r = server_->Call("POST", "/v1/records/table", cat_.tsinghua_token, "learner,unitt\n", {{"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(Has(r.body, "unitt")) << r.body;
  r = server_->Call("POST", "/v1/records/table", cat_.tsinghua_token, "{}",
                    {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["pointer"], "/content-type");
  r = server_->Call("POST", "/v1/records/table?sheet=marks", cat_.tsinghua_token, book, xlsx);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(Has(r.body, "marks")) << r.body;

  // Staff of an institution only: a learner, an auditor and no token are refused.
  EXPECT_EQ(server_->Call("POST", "/v1/records/table", cat_.learner_a_token, book, xlsx).status, 403);
  EXPECT_EQ(server_->Call("POST", "/v1/records/table", cat_.auditor_token, book, xlsx).status, 403);
  EXPECT_EQ(server_->Call("POST", "/v1/records/table", "", book, xlsx).status, 401);
  EXPECT_EQ(server_->ledger().Size(), before);
}

// A workbook in the bank's own header whose line 2 holds a formula without its result (as openpyxl
// writes one) in grade_value, and a completed_on in the future; line 3 names a unit the catalog
// lacks; line 4 is good. The formula is its row's problem, not the file's: POST /v1/records, the
// portal's table route and `creditbank import` each name all three problems, and not the
// refused grade_value again as missing. Before, the file stopped at the formula.
TEST_F(RegistrarImportTest, AFormulaWithoutItsResultHidesNoOtherProblem) {
  std::string rows = BankSheetHeaderRow();
  const auto is = InlineCell;
  auto row = [&](int r, const std::string& unit, const std::string& grade_cell,
                 const std::string& date) {
    const std::string n = std::to_string(r);
    rows += "<row r=\"" + n + "\">" + is("A" + n, cat_.learner_a) + is("B" + n, unit) +
            is("C" + n, "F-" + n) + is("D" + n, "percent") + grade_cell + is("F" + n, date) +
            "</row>";
  };
  row(2, "tsinghua:CS101", "<c r=\"E2\"><f>AVERAGE(G2:H2)</f></c>", "2099-01-01");
  row(3, "tsinghua:NOPE", "<c r=\"E3\"><v>80</v></c>", "2024-01-10");
  row(4, "tsinghua:CS101", "<c r=\"E4\"><v>90</v></c>", "2024-01-10");
  formats::testing::WorkbookSpec spec;
  spec.sheets = {{"grades", rows}};
  const std::string book = formats::testing::BuildXlsx(spec);
  const std::map<std::string, std::string> xlsx = {
      {"Content-Type", std::string(formats::kXlsxMediaType)}};
  const uint64_t before = server_->ledger().Size();
  for (const std::string& body :
       RefusedByEveryRoute(book, xlsx, {"2 grade_value E", "2 completed_on F", "3 unit B"})) {
    EXPECT_FALSE(Has(body, "required")) << body;
  }

  const std::string file = dir_.sub("formula.xlsx");
  WriteFile(file, book);
  Outcome bad = ImportInBanksHeader(file);
  EXPECT_EQ(bad.code, 1) << bad.err;
  EXPECT_TRUE(Has(bad.err, "line 2: grade_value: a formula (=AVERAGE(G2:H2))")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "line 2: completed_on: is in the future")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "line 3: unit: ")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "3 problems on 2 of 3 lines; nothing was stored")) << bad.err;
  EXPECT_EQ(server_->ledger().Size(), before);
}

// POST /v1/records/table?mapping=cn-registrar: the portal's way to read a Chinese registrar
// export. Units and learners are resolved by the server; new accounts only when asked and only
// for a file without a problem; the rows then post as the bank's CSV.
TEST_F(RegistrarImportTest, RecordTableMapsAChineseRegistrarExport) {
  const std::map<std::string, std::string> gb = {{"Content-Type", "text/csv; charset=gb18030"}};
  const uint64_t before = server_->ledger().Size();
  // A bad grade on line 5: named by line, column and letter; no account made.
  ClientResponse r =
      server_->Call("POST", "/v1/records/table?mapping=cn-registrar&create_learners=true",
                    cat_.tsinghua_token, ToGb18030(RegistrarCsv("良")), gb);
  ASSERT_EQ(r.status, 400) << r.body;
  json p = json::parse(r.body);
  ASSERT_FALSE(p["errors"].empty()) << r.body;
  EXPECT_EQ(p["errors"][0]["line"], 5) << r.body;
  EXPECT_EQ(p["errors"][0]["letter"], "J") << r.body;
  EXPECT_EQ(p["errors"][0]["column"], "成绩") << r.body;
  EXPECT_EQ(LookupStatus(kIdB), 404);
  EXPECT_EQ(LookupStatus(kIdC), 404);
  r = server_->Call("POST", "/v1/records/table?mapping=nope", cat_.tsinghua_token,
                    ToGb18030(RegistrarCsv("良好")), gb);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["pointer"], "/mapping");

  // Without create_learners: the new learners' cells are empty and counted.
  r = server_->Call("POST", "/v1/records/table?mapping=cn-registrar", cat_.tsinghua_token,
                    ToGb18030(RegistrarCsv("良好")), gb);
  ASSERT_EQ(r.status, 200) << r.body;
  json t = json::parse(r.body);
  EXPECT_EQ(t["pending_learners"], 2);
  EXPECT_EQ(t["created_learners"], 0);
  EXPECT_EQ(LookupStatus(kIdB), 404);
  const json header = t["header"];
  const size_t learner_col =
      std::find(header.begin(), header.end(), "learner") - header.begin();
  ASSERT_LT(learner_col, header.size()) << header.dump();
  ASSERT_EQ(t["rows"].size(), 6u);
  EXPECT_EQ(t["rows"][0]["fields"][learner_col], cat_.learner_a);
  EXPECT_EQ(t["rows"][2]["fields"][learner_col], "");
  EXPECT_EQ(t["rows"][3]["line"], 5);
  const size_t grade_col =
      std::find(header.begin(), header.end(), "grade_value") - header.begin();
  ASSERT_LT(grade_col, header.size());
  EXPECT_EQ(t["columns"][grade_col], "成绩");  // where each bank column came from
  EXPECT_EQ(t["letters"][grade_col], "J");

  // With create_learners: accounts made (once per national ID), every learner cell filled.
  r = server_->Call("POST", "/v1/records/table?mapping=cn-registrar&create_learners=true",
                    cat_.tsinghua_token, ToGb18030(RegistrarCsv("良好")), gb);
  ASSERT_EQ(r.status, 200) << r.body;
  t = json::parse(r.body);
  EXPECT_EQ(t["pending_learners"], 0);
  EXPECT_EQ(t["created_learners"], 2);
  ASSERT_EQ(LookupStatus(kIdB), 200);
  EXPECT_EQ(t["rows"][2]["fields"][learner_col], LookupId(kIdB));
  EXPECT_EQ(t["rows"][4]["fields"][learner_col], LookupId(kIdC));
  EXPECT_EQ(server_->ledger().Size(), before);  // no record yet

  // The rows post as the bank's CSV and are what `creditbank import` stores.
  auto quote = [](const std::string& f) {
    if (f.find_first_of(",\"\r\n") == std::string::npos) return f;
    std::string q = "\"";
    for (char c : f) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  auto line = [&](const json& fields) {
    std::string out;
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + quote(fields[i]);
    return out + "\n";
  };
  std::string csv = line(header);
  for (const json& row : t["rows"]) csv += line(row["fields"]);
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, csv, {{"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 201) << r.body;
  ExpectStoredAndLearners(before);
}

TEST_F(RegistrarImportTest, XlsxPostedToRecordsInTheBanksHeader) {
  auto workbook = [&](const std::string& line4_grade) {
    formats::testing::WorkbookSpec spec;
    auto is = [](const std::string& cell, const std::string& text) {
      return "<c r=\"" + cell + "\" t=\"inlineStr\"><is><t>" + formats::testing::Escape(text) +
             "</t></is></c>";
    };
    std::string rows = "<row r=\"1\">";
    const std::vector<std::string> header = {"learner",     "unit",        "external_ref",
                                             "grade_scale", "grade_value", "completed_on"};
    for (size_t i = 0; i < header.size(); ++i) {
      spec.shared.push_back(formats::testing::Si(header[i]));
      rows += "<c r=\"" + formats::ColumnLetter(i) + "1\" t=\"s\"><v>" + std::to_string(i) +
              "</v></c>";
    }
    rows += "</row>";
    // Line 2: the grade a number cell, the date an Excel serial with a date style (2024-01-10).
    rows += "<row r=\"2\">" + is("A2", cat_.learner_a) + is("B2", "tsinghua:CS101") +
            is("C2", "X-1") + is("D2", "percent") + "<c r=\"E2\"><v>85</v></c>" +
            "<c r=\"F2\" s=\"1\"><v>45301</v></c></row>";
    rows += "<row r=\"3\">" + is("A3", cat_.learner_a) + is("B3", "tsinghua:MA101") +
            is("C3", "X-2") + is("D3", "five_level") + is("E3", "优秀") + is("F3", "2024-01-11") +
            "</row>";
    rows += "<row r=\"4\">" + is("A4", cat_.learner_a) + is("B4", "tsinghua:MA101") +
            is("C4", "X-3") + is("D4", "percent") + is("E4", line4_grade) +
            is("F4", "2024-01-12") + "</row>";
    spec.sheets = {{"notes", "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>read me</t></is></c></row>"},
                   {"grades", rows}};
    return formats::testing::BuildXlsx(spec);
  };
  const std::map<std::string, std::string> xlsx = {
      {"Content-Type", std::string(formats::kXlsxMediaType)}};
  const uint64_t before = server_->ledger().Size();

  // The first sheet is the notes: its header lacks the bank's columns.
  ClientResponse r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, workbook("77"), xlsx);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(Has(r.body, "learner")) << r.body;
  r = server_->Call("POST", "/v1/records?sheet=marks", cat_.tsinghua_token, workbook("77"), xlsx);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(Has(r.body, "marks")) << r.body;
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, "learner,unit\n", xlsx);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_FALSE(json::parse(r.body).value("detail", "").empty()) << r.body;

  // A bad grade on line 4: named by line and field; nothing stored.
  r = server_->Call("POST", "/v1/records?sheet=grades", cat_.tsinghua_token, workbook("abc"), xlsx);
  ASSERT_EQ(r.status, 400) << r.body;
  json p = json::parse(r.body);
  ASSERT_EQ(p["errors"].size(), 1u) << r.body;
  EXPECT_EQ(p["errors"][0]["line"], 4);
  EXPECT_EQ(p["errors"][0]["field"], "grade/value");
  EXPECT_EQ(server_->ledger().Size(), before);

  // A dry run checks everything and stores nothing; then the fixed workbook is stored.
  r = server_->Call("POST", "/v1/records?sheet=grades&dry_run=true", cat_.tsinghua_token,
                    workbook("77"), xlsx);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["valid"], 3);
  EXPECT_EQ(server_->ledger().Size(), before);
  r = server_->Call("POST", "/v1/records?sheet=grades", cat_.tsinghua_token, workbook("77"), xlsx);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(server_->ledger().Size(), before + 3);
  auto a = RecordsOf(cat_.learner_a);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0]["external_ref"], "X-1");
  EXPECT_EQ(a[0]["completed_on"], "2024-01-10");
  EXPECT_EQ(a[0]["grade"]["normalized"], 85);
  EXPECT_EQ(a[1]["grade"]["value"], "优秀");
  EXPECT_EQ(a[2]["grade"]["value"], "77");
}

// POST /v1/records?mapping=cn-registrar: the export posted as it is, mapped on the server.
// New learners' accounts are made only with create_learners=true and only once every record of
// the file is valid; a file with any problem creates and stores nothing.
TEST_F(RegistrarImportTest, RecordsPostedWithTheCnRegistrarMapping) {
  const std::map<std::string, std::string> gb = {{"Content-Type", "text/csv; charset=gb18030"}};
  const uint64_t before = server_->ledger().Size();
  auto post = [&](const std::string& query, const std::string& grade) {
    return server_->Call("POST", "/v1/records?mapping=cn-registrar" + query, cat_.tsinghua_token,
                         ToGb18030(RegistrarCsv(grade)), gb);
  };
  // A grade the mapping cannot read: named by line, the file's column and letter.
  ClientResponse r = post("&create_learners=true", "良");
  ASSERT_EQ(r.status, 400) << r.body;
  json p = json::parse(r.body);
  ASSERT_EQ(p["errors"].size(), 1u) << r.body;
  EXPECT_EQ(p["errors"][0]["line"], 5);
  EXPECT_EQ(p["errors"][0]["column"], "成绩");
  EXPECT_EQ(p["errors"][0]["letter"], "J");
  // A grade only the records' own checks refuse (101 %), on a new learner's line: still no
  // account is made.
  r = post("&create_learners=true", "101");
  ASSERT_EQ(r.status, 400) << r.body;
  p = json::parse(r.body);
  ASSERT_EQ(p["errors"].size(), 1u) << r.body;
  EXPECT_EQ(p["errors"][0]["line"], 5) << r.body;
  EXPECT_EQ(p["errors"][0]["pointer"], "/records/3/grade/value") << r.body;
  EXPECT_EQ(p["errors"][0]["letter"], "J") << r.body;
  EXPECT_EQ(LookupStatus(kIdB), 404);
  EXPECT_EQ(server_->ledger().Size(), before);
  // Valid, but two learners have no account: refused unless asked to create them.
  r = post("", "良好");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["pointer"], "/create_learners") << r.body;
  EXPECT_TRUE(Has(r.body, "2 learners")) << r.body;
  r = post("&dry_run=true", "良好");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["valid"], 6);
  EXPECT_EQ(json::parse(r.body)["pending_learners"], 2);
  EXPECT_EQ(LookupStatus(kIdB), 404);
  EXPECT_EQ(server_->ledger().Size(), before);
  // Not a file, or not a mapping: named.
  r = server_->Call("POST", "/v1/records?mapping=cn-registrar", cat_.tsinghua_token, "{}",
                    {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["pointer"], "/content-type");
  r = server_->Call("POST", "/v1/records?mapping=de-registrar", cat_.tsinghua_token, "x", gb);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["pointer"], "/mapping");
  // A learner cannot post records, mapped or not.
  r = server_->Call("POST", "/v1/records?mapping=cn-registrar&create_learners=true",
                    cat_.learner_a_token, ToGb18030(RegistrarCsv("良好")), gb);
  EXPECT_EQ(r.status, 403) << r.body;

  r = post("&create_learners=true", "良好");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["created_learners"], 2);
  EXPECT_EQ(json::parse(r.body)["records"].size(), 6u);
  // Sent again: the same records and learners, nothing new.
  r = post("&create_learners=true", "良好");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["created_learners"], 0);
  ExpectStoredAndLearners(before);
}

// Learners' regions, which the regulators' statistics count them by: a new account takes its
// creating institution's region unless one is given (POST /v1/learners or a file's 行政区划代码
// column); a known national ID fills a region never set and refuses another; the learner or the
// institution that created the account moves it (PATCH), and the statistics follow.
TEST_F(RegistrarImportTest, LearnersGetARegionAndTheStatisticsFollowAMove) {
  server_.reset();
  server_ = std::make_unique<TestServer>(
      dir_.sub("data2"),
      std::map<std::string, std::string>{{"stats_k", "1"}, {"stats_max_staleness_ms", "0"}});
  cat_.Load(*server_);
  const std::string& admin = server_->admin_token();
  const std::string& ts = cat_.tsinghua_token;
  const std::string regulator = server_->NewToken("regulator:31");
  auto stats = [&] {
    json cells =
        server_->CallJson("GET", "/v1/stats?group_by=region", regulator, nullptr, 200)["cells"];
    std::map<std::string, int> out;
    for (const json& c : cells) out[c["region"].get<std::string>()] = c["learners"].get<int>();
    return out;
  };
  EXPECT_TRUE(stats().empty());  // learner_a (made before tsinghua had a region) has none
  server_->CallJson("PUT", "/v1/institutions/tsinghua", admin,
                    {{"name", "清华大学"}, {"kind", "university"}, {"region", "310115"}}, 200);
  auto region_of = [&](const std::string& id, const std::string& token) {
    return server_->CallJson("GET", "/v1/learners/" + id, token, nullptr, 200)["region"];
  };

  // A new account takes the institution's region, or the one given.
  json made = server_->CallJson("POST", "/v1/learners", ts, {{"display_name", "甲"}}, 201);
  EXPECT_EQ(made["region"], "310115");
  EXPECT_EQ(region_of(made["id"], ts), "310115");
  made = server_->CallJson("POST", "/v1/learners", ts, {{"region", "320102"}}, 201);
  EXPECT_EQ(region_of(made["id"], ts), "320102");

  // A known national ID: a region fills one never set; another is refused, and stays.
  EXPECT_EQ(region_of(cat_.learner_a, cat_.learner_a_token), nullptr);
  json again = server_->CallJson("POST", "/v1/learners", ts,
                                 {{"national_id", kIdA}, {"region", "310101"}}, 200);
  EXPECT_EQ(again["id"], cat_.learner_a);
  EXPECT_EQ(again["region"], "310101");
  json refused = server_->CallJson("POST", "/v1/learners", ts,
                                   {{"national_id", kIdA}, {"region", "310104"}}, 409);
  EXPECT_EQ(refused["pointer"], "/region") << refused.dump();
  EXPECT_TRUE(Has(refused.dump(), "PATCH /v1/learners/" + cat_.learner_a));
  server_->CallJson("POST", "/v1/learners", ts, {{"national_id", kIdA}, {"region", "310101"}}, 200);
  EXPECT_EQ(region_of(cat_.learner_a, cat_.learner_a_token), "310101");
  // Another institution that names the ID finds the account, but neither reads its region nor
  // sets it, nor learns it from a refusal: that is the learner's data.
  for (const char* region : {"310104", "310101"}) {
    json other = server_->CallJson("POST", "/v1/learners", cat_.ouchn_token,
                                   {{"national_id", kIdA}, {"region", region}}, 200);
    EXPECT_EQ(other["id"], cat_.learner_a);
    EXPECT_FALSE(other.contains("region")) << other.dump();
  }
  EXPECT_EQ(region_of(cat_.learner_a, cat_.learner_a_token), "310101");
  EXPECT_EQ(stats(), (std::map<std::string, int>{{"310101", 1}, {"310115", 1}}));

  // Who may read and move an account.
  const std::string target = "/v1/learners/" + cat_.learner_a;
  server_->CallJson("GET", target, cat_.ouchn_token, nullptr, 404);
  server_->CallJson("GET", target, cat_.learner_b_token, nullptr, 404);
  server_->CallJson("GET", target, admin, nullptr, 403);
  server_->CallJson("GET", target, regulator, nullptr, 403);
  server_->CallJson("GET", target, "", nullptr, 401);
  server_->CallJson("PATCH", target, cat_.ouchn_token, {{"region", "310104"}}, 404);
  server_->CallJson("PATCH", target, admin, {{"region", "310104"}}, 403);
  server_->CallJson("PATCH", target, cat_.auditor_token, {{"region", "310104"}}, 403);
  server_->CallJson("POST", target + "/grants", cat_.learner_a_token, {{"institution", "ouchn"}},
                    201);
  EXPECT_EQ(region_of(cat_.learner_a, cat_.ouchn_token), "310101");  // granted: reads
  json not_creator =
      server_->CallJson("PATCH", target, cat_.ouchn_token, {{"region", "310104"}}, 403);
  EXPECT_TRUE(Has(not_creator.dump(), "institution:tsinghua")) << not_creator.dump();
  // Bad bodies, named.
  EXPECT_EQ(server_->CallJson("PATCH", target, ts, {{"region", "999999"}}, 400)["pointer"],
            "/region");
  EXPECT_EQ(server_->CallJson("PATCH", target, ts, json::object(), 400)["pointer"], "/region");
  EXPECT_EQ(
      server_->CallJson("PATCH", target, ts, {{"region", "310104"}, {"name", "x"}}, 400)["pointer"],
      "/name");
  EXPECT_EQ(region_of(cat_.learner_a, ts), "310101");

  // The learner moves; the statistics count it in its new region.
  json moved =
      server_->CallJson("PATCH", target, cat_.learner_a_token, {{"region", "310104"}}, 200);
  EXPECT_EQ(moved["region"], "310104");
  EXPECT_EQ(moved["created_by"], "institution:tsinghua");
  EXPECT_EQ(stats(), (std::map<std::string, int>{{"310104", 1}, {"310115", 1}}));
  EXPECT_EQ(server_->CallJson("PATCH", target, ts, {{"region", nullptr}}, 200)["region"], nullptr);
  EXPECT_EQ(stats(), (std::map<std::string, int>{{"310115", 1}}));

  // An import: the file's 行政区划代码 for a new learner, else the institution's region.
  std::string csv = RegistrarCsv("良好");
  const std::string header = kHeader;
  std::string with_region = header.substr(0, header.size() - 2) + ",行政区划代码\r\n";
  std::istringstream lines(csv.substr(header.size()));
  for (std::string line; std::getline(lines, line);) {
    line.pop_back();  // \r
    const bool b = line.find(kIdB) != std::string::npos;
    with_region += line + "," + (b ? "３１０１０４" : "") + "\r\n";  // full-width digits too
  }
  const std::map<std::string, std::string> gb = {{"Content-Type", "text/csv; charset=gb18030"}};
  std::string bad = with_region;
  bad.replace(bad.find("３１０１０４"), std::string("３１０１０４").size(), "31010");
  ClientResponse r = server_->Call("POST", "/v1/records?mapping=cn-registrar&create_learners=true",
                                   ts, ToGb18030(bad), gb);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["errors"][0]["column"], "行政区划代码") << r.body;
  EXPECT_EQ(LookupStatus(kIdB), 404);
  r = server_->Call("POST", "/v1/records?mapping=cn-registrar&create_learners=true", ts,
                    ToGb18030(with_region), gb);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(region_of(LookupId(kIdB), ts), "310104");
  EXPECT_EQ(region_of(LookupId(kIdC), ts), "310115");
  EXPECT_EQ(region_of(cat_.learner_a, ts), nullptr);  // a known learner is not moved by a file
  EXPECT_EQ(stats(), (std::map<std::string, int>{{"310104", 1}, {"310115", 2}}));

  // `creditbank import` gives the file's region to the accounts it creates, as the server does.
  const std::string file = dir_.sub("地区.csv");
  WriteFile(file, ToGb18030(header.substr(0, header.size() - 2) + ",地区代码\r\n" +
                            "2024010,赵六,310105199602020027,计算机科学与技术,微积分,20,31,,,90,"
                            "202406,,,,310105\r\n"
                            "2024011,钱七,310104199501010018,计算机科学与技术,微积分,20,31,,,91,"
                            "202406,,,,\r\n"));
  Outcome imported = Import(file);
  ASSERT_EQ(imported.code, 0) << imported.err << imported.out;
  EXPECT_EQ(region_of(LookupId("310105199602020027"), ts), "310105");
  EXPECT_EQ(region_of(LookupId("310104199501010018"), ts), "310115");
  EXPECT_EQ(stats(), (std::map<std::string, int>{{"310104", 1}, {"310105", 1}, {"310115", 3}}));
}

TEST_F(RegistrarImportTest, CsvWithATitleRowAndTheHeaderInColumnB) {
  // As Excel saves a sheet with a title in A1 and the bank's header in row 3 from column B:
  // every row as wide as the used range. POST /v1/records finds the header, drops the empty
  // column A, and names problems by the file's own lines and letters.
  auto file = [&](const std::string& stray, const std::string& grade) {
    return "2024年秋季学期成绩,,,,,,,\n"
           ",,,,,,,\n"
           ",learner,unit,external_ref,grade_scale,grade_value,completed_on,\n"
           "," + cat_.learner_a + ",tsinghua:CS101,T-1,percent,88,2024-06-30,\n"
           "," + cat_.learner_a + ",tsinghua:MA101,T-2,percent," + grade + ",2024-06-30," + stray + "\n";
  };
  const std::map<std::string, std::string> csv = {{"Content-Type", "text/csv"}};
  const uint64_t before = server_->ledger().Size();
  ClientResponse r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, file("note", "77"), csv);
  ASSERT_EQ(r.status, 400) << r.body;
  json p = json::parse(r.body);
  ASSERT_EQ(p["errors"].size(), 1u) << r.body;
  EXPECT_EQ(p["errors"][0]["line"], 5);
  EXPECT_EQ(p["errors"][0]["letter"], "H");
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, file("", "abc"), csv);
  ASSERT_EQ(r.status, 400) << r.body;
  p = json::parse(r.body);
  ASSERT_EQ(p["errors"].size(), 1u) << r.body;
  EXPECT_EQ(p["errors"][0]["pointer"], "/records/1/grade/value") << r.body;
  EXPECT_EQ(p["errors"][0]["line"], 5) << r.body;
  EXPECT_EQ(server_->ledger().Size(), before);
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, file("", "77"), csv);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(server_->ledger().Size(), before + 2);
  auto a = RecordsOf(cat_.learner_a);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0]["external_ref"], "T-1");
  EXPECT_EQ(a[1]["grade"]["value"], "77");

  // Typed by hand: the title line has no commas. Read the same way, and a line that lost a
  // comma is named against the header's line.
  auto typed = [&](const std::string& last) {
    return "2024年秋季学期成绩\n"
           "learner,unit,external_ref,grade_scale,grade_value,completed_on\n" +
           cat_.learner_a + ",tsinghua:CS101,T-3,percent,91,2024-06-30\n" + last + "\n";
  };
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token,
                    typed(cat_.learner_a + ",tsinghua:MA101,T-4,percent,812024-06-30"), csv);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("line 4: expected 6 fields as in the header (line 2), found 5"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(server_->ledger().Size(), before + 2);
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token,
                    typed(cat_.learner_a + ",tsinghua:MA101,T-4,percent,81,2024-06-30"), csv);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(server_->ledger().Size(), before + 4);
}

// A CSV in the bank's header with rows it cannot give whole (a value under no header, a line
// that lost a comma) is checked whole by POST /v1/records, as a workbook is: those rows are
// problems of their own, and every other row's problems come in the same answer. It used to stop
// at such a row, naming only it.
TEST_F(RegistrarImportTest, ACsvRowThatDoesNotReadWholeHidesNoOtherProblem) {
  const std::string& a = cat_.learner_a;
  auto line = [&](const std::string& rest) { return "," + a + "," + rest + "\n"; };
  const std::string file =
      "2024年秋季学期成绩,,,,,,,\n"
      ",learner,unit,external_ref,grade_scale,grade_value,completed_on,\n" +
      line("tsinghua:CS101,W-1,percent,88,2024-06-30,") +
      line("tsinghua:CS101,W-2,percent,88,2099-06-30,") +
      line("tsinghua:MA101,W-3,percent,77,2024-06-30,note") +
      line("tsinghua:MA101,W-4,percent,812024-06-30,") +
      line("tsinghua:NOPE,W-5,percent,70,2024-06-30,");
  const uint64_t before = server_->ledger().Size();
  for (const std::string& body : RefusedByEveryRoute(
           file, {{"Content-Type", "text/csv"}}, {"4 completed_on G", "5  H", "6  ", "7 unit C"})) {
    EXPECT_TRUE(Has(body, "line 6: expected 8 fields as in the header (line 2), found 7")) << body;
  }

  const std::string path = dir_.sub("ragged.csv");
  WriteFile(path, file);
  Outcome bad = ImportInBanksHeader(path);
  EXPECT_EQ(bad.code, 1) << bad.err;
  EXPECT_TRUE(Has(bad.err, "line 4: completed_on: is in the future")) << bad.err;
  EXPECT_TRUE(Has(bad.err,
                  "line 5: a value in a column without a header (the header is line 2) (column H)"))
      << bad.err;
  EXPECT_TRUE(Has(bad.err, "line 6: expected 8 fields as in the header (line 2), found 7"))
      << bad.err;
  EXPECT_TRUE(Has(bad.err, "line 7: unit: ")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "4 problems on 4 of 5 lines; nothing was stored")) << bad.err;
  EXPECT_EQ(server_->ledger().Size(), before);

  // --skip-invalid stores the one good line (it used to stop the file at line 6).
  Outcome skipped = ImportInBanksHeader(path, {"--skip-invalid"});
  EXPECT_EQ(skipped.code, 0) << skipped.err;
  EXPECT_TRUE(Has(skipped.out, "created 1, already present 0, skipped 4, failed 0")) << skipped.out;
  EXPECT_EQ(server_->ledger().Size(), before + 1);
  ASSERT_EQ(RecordsOf(a).size(), 1u);
  EXPECT_EQ(RecordsOf(a)[0]["external_ref"], "W-1");
}

// A file whose row reuses a stored external_ref for a different grade (409 on posting) is refused
// whole before any account is made, by the dry run too, naming the row's line: it used to make
// the new learner's account, and the dry run answered 200.
TEST_F(RegistrarImportTest, AConflictWithAStoredRecordCreatesNoAccount) {
  const std::map<std::string, std::string> utf8 = {{"Content-Type", "text/csv; charset=utf-8"}};
  const std::string stored = std::string(kHeader) +
                             "2024001,张三,110101199003070011,计算机科学与技术,程序设计基础,20,"
                             "31,,,92,202406,2024,40,\r\n";
  ClientResponse r =
      server_->Call("POST", "/v1/records?mapping=cn-registrar", cat_.tsinghua_token, stored, utf8);
  ASSERT_EQ(r.status, 201) << r.body;
  const uint64_t before = server_->ledger().Size();
  // Line 2: the same 学号-课程-获得时间, another grade; line 3: a learner the bank lacks.
  const std::string csv = std::string(kHeader) +
                          "2024001,张三,110101199003070011,计算机科学与技术,程序设计基础,20,31,,,"
                          "85,202406,2024,40,\r\n"
                          "2024002,李四,11010119900307002X,计算机科学与技术,程序设计基础,22,30,,"
                          "64,合格,202312,,,\r\n";
  const std::string file = dir_.sub("conflict.csv");
  WriteFile(file, csv);

  Outcome cli = Import(file);
  EXPECT_EQ(cli.code, 1);
  EXPECT_TRUE(Has(cli.err, "line 2: ")) << cli.err;
  EXPECT_TRUE(Has(cli.err, "already used for different content")) << cli.err;
  EXPECT_FALSE(Has(cli.err, "created 1 learner accounts")) << cli.err;
  EXPECT_EQ(LookupStatus(kIdB), 404);

  for (const char* query :
       {"&dry_run=true", "&create_learners=true", "&create_learners=true&dry_run=true"}) {
    SCOPED_TRACE(query);
    r = server_->Call("POST", std::string("/v1/records?mapping=cn-registrar") + query,
                      cat_.tsinghua_token, csv, utf8);
    ASSERT_EQ(r.status, 409) << r.body;
    json p = json::parse(r.body);
    ASSERT_EQ(p["errors"].size(), 1u) << r.body;
    EXPECT_EQ(p["errors"][0]["line"], 2) << r.body;
    EXPECT_EQ(p["errors"][0]["pointer"], "/records/0/external_ref") << r.body;
    EXPECT_TRUE(Has(p["errors"][0].value("detail", ""), "different content")) << r.body;
    EXPECT_EQ(LookupStatus(kIdB), 404);
  }
  // In the bank's own header, unmapped: the dry run finds the conflict as the posting does.
  const std::string own = "learner,unit,external_ref,completed_on,grade_scale,grade_value\n" +
                          cat_.learner_a +
                          ",tsinghua:CS101,2024001-程序设计基础-202406,2024-06-30,percent,85\n";
  r = server_->Call("POST", "/v1/records?dry_run=true", cat_.tsinghua_token, own, utf8);
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(json::parse(r.body)["errors"][0]["line"], 2) << r.body;
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, own, utf8);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(server_->ledger().Size(), before);
}

// POST /v1/records/table?create_learners=true (the portal's first step) makes accounts only for a
// file that passes every check its posting would make: a 获得时间 in the future on line 7 (a
// recognition problem, not the mapping's) is reported with its line and column, beside line 5's
// refused grade and line 5's own future month, and no account is made. Before, the accounts were
// made after the mapping alone, and the portal's dry runs found the date afterwards.
TEST_F(RegistrarImportTest, RecordTableChecksEveryRowBeforeItMakesAnAccount) {
  const std::map<std::string, std::string> gb = {{"Content-Type", "text/csv; charset=gb18030"}};
  std::string csv = RegistrarCsv("良好");
  ASSERT_TRUE(Edit(&csv, ",60.5,202406,", ",60.5,209906,"));  // line 7
  ClientResponse r =
      server_->Call("POST", "/v1/records/table?mapping=cn-registrar&create_learners=true",
                    cat_.tsinghua_token, ToGb18030(csv), gb);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorPlaces(r.body), (std::vector<std::string>{"7 获得时间 K"})) << r.body;
  EXPECT_EQ(LookupStatus(kIdB), 404);
  EXPECT_EQ(LookupStatus(kIdC), 404);

  // With a grade the mapping refuses (line 5, whose month is in the future too): all three.
  ASSERT_TRUE(Edit(&csv, "\"良好\",202406,", "\"良\",209912,"));
  r = server_->Call("POST", "/v1/records/table?mapping=cn-registrar&create_learners=true",
                    cat_.tsinghua_token, ToGb18030(csv), gb);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorPlaces(r.body),
            (std::vector<std::string>{"5 成绩 J", "5 获得时间 K", "7 获得时间 K"}))
      << r.body;
  EXPECT_EQ(LookupStatus(kIdB), 404);
  EXPECT_EQ(LookupStatus(kIdC), 404);

  // Without create_learners the file is only read: its rows as they map, nothing checked.
  r = server_->Call("POST", "/v1/records/table?mapping=cn-registrar", cat_.tsinghua_token,
                    ToGb18030(RegistrarCsv("良好")), gb);
  EXPECT_EQ(r.status, 200) << r.body;
}

// POST /v1/records/table?create_learners=true runs the same check before it makes any account: a
// row that reuses a stored external_ref for a different grade is refused (409, its line and the
// file's column), and the new learner of the file gets no account. It used to make the account
// and leave the conflict to the posting.
TEST_F(RegistrarImportTest, RecordTableWithAConflictCreatesNoAccount) {
  const std::map<std::string, std::string> utf8 = {{"Content-Type", "text/csv; charset=utf-8"}};
  const std::string stored_row =
      "2024001,张三,110101199003070011,计算机科学与技术,程序设计基础,20,31,,,92,202406,2024,40,"
      "\r\n";
  const std::string conflict_row =
      "2024001,张三,110101199003070011,计算机科学与技术,程序设计基础,20,31,,,85,202406,2024,40,"
      "\r\n";
  const std::string new_learner_row =
      "2024002,李四,11010119900307002X,计算机科学与技术,程序设计基础,22,30,,64,合格,202312,,,\r\n";
  ClientResponse r = server_->Call("POST", "/v1/records?mapping=cn-registrar", cat_.tsinghua_token,
                                   kHeader + stored_row, utf8);
  ASSERT_EQ(r.status, 201) << r.body;
  const uint64_t before = server_->ledger().Size();
  // Line 2: a learner the bank lacks; line 3: the same 学号-课程-获得时间 as the stored record,
  // another grade.
  r = server_->Call("POST", "/v1/records/table?mapping=cn-registrar&create_learners=true",
                    cat_.tsinghua_token, kHeader + new_learner_row + conflict_row, utf8);
  ASSERT_EQ(r.status, 409) << r.body;
  json p = json::parse(r.body);
  ASSERT_EQ(p["errors"].size(), 1u) << r.body;
  EXPECT_EQ(p["errors"][0]["line"], 3) << r.body;
  EXPECT_EQ(p["errors"][0]["pointer"], "/records/1/external_ref") << r.body;
  EXPECT_EQ(p["errors"][0]["column"], "学号, 课程名称, 获得时间") << r.body;
  EXPECT_EQ(p["errors"][0]["letter"], "A, E, K") << r.body;
  EXPECT_TRUE(Has(p["errors"][0].value("detail", ""), "different content")) << r.body;
  EXPECT_EQ(LookupStatus(kIdB), 404);

  // A stored record under a new learner's key is another learner's: a conflict too.
  const std::string theirs =
      "2024001,李四,11010119900307002X,计算机科学与技术,程序设计基础,20,31,,,92,202406,2024,40,"
      "\r\n";
  r = server_->Call("POST", "/v1/records/table?mapping=cn-registrar&create_learners=true",
                    cat_.tsinghua_token, kHeader + theirs, utf8);
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(json::parse(r.body)["errors"][0]["line"], 2) << r.body;
  EXPECT_EQ(LookupStatus(kIdB), 404);

  // Without a conflict the account is made; the stored row itself, as stored, is none.
  r = server_->Call("POST", "/v1/records/table?mapping=cn-registrar&create_learners=true",
                    cat_.tsinghua_token, kHeader + stored_row + new_learner_row, utf8);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["created_learners"], 1) << r.body;
  EXPECT_EQ(LookupStatus(kIdB), 200);
  EXPECT_EQ(server_->ledger().Size(), before);
}

// POST /v1/learners/lookup: many national IDs in one request, answered in order (null where
// the GET answers 404), each by the GET's rules, at most 1,000, for the GET's roles.
TEST_F(RegistrarImportTest, LearnersLookedUpInABatch) {
  auto lookup = [&](const json& body, const std::string& token) {
    return server_->Call("POST", "/v1/learners/lookup", token, body.dump());
  };
  const json ids = {{"national_ids", {kIdB, kIdA, "110101-19900307-0011", "not an id!"}}};
  ClientResponse r = lookup(ids, cat_.tsinghua_token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body),
            json({{"ids", {nullptr, cat_.learner_a, cat_.learner_a, nullptr}}}));
  EXPECT_EQ(lookup(ids, server_->admin_token()).status, 200);
  EXPECT_EQ(lookup(ids, cat_.learner_a_token).status, 403);
  EXPECT_EQ(lookup(ids, cat_.auditor_token).status, 403);
  EXPECT_EQ(lookup(ids, "").status, 401);
  EXPECT_EQ(LookupStatus(kIdB), 404);  // nothing created

  auto refused_at = [&](const json& body) {
    ClientResponse bad = lookup(body, cat_.tsinghua_token);
    EXPECT_EQ(bad.status, 400) << body.dump() << ": " << bad.body;
    return json::parse(bad.body, nullptr, false).value("pointer", "");
  };
  EXPECT_EQ(refused_at({{"national_ids", {kIdA, " - "}}}), "/national_ids/1");
  EXPECT_EQ(refused_at({{"national_ids", {kIdA, kIdB, 7}}}), "/national_ids/2");
  EXPECT_EQ(refused_at({{"national_ids", json::array()}}), "/national_ids");
  EXPECT_EQ(refused_at({{"national_ids", kIdA}}), "/national_ids");
  EXPECT_EQ(refused_at(json::object()), "/national_ids");
  EXPECT_EQ(refused_at({{"national_ids", {kIdA}}, {"national_id", kIdA}}), "/national_id");
  json many = {{"national_ids", std::vector<std::string>(1000, kIdA)}};
  r = lookup(many, cat_.tsinghua_token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["ids"].size(), 1000u);
  many["national_ids"].push_back(kIdA);
  EXPECT_EQ(refused_at(many), "/national_ids");
}

// An 18-digit national ID with its GB 11643 check digit, from a 17-digit body.
std::string WithCheckDigit(const std::string& body) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (body[i] - '0') * kWeights[i];
  return body + "10X98765432"[sum % 11];
}

// The requests to `route` of `method` so far, by the server's metrics.
int RequestsTo(TestServer& server, const std::string& method, const std::string& route) {
  const std::string text = server.Call("GET", "/metrics").body;
  const std::string series =
      "creditbank_http_requests_total{method=\"" + method + "\",route=\"" + route + "\",status=\"";
  int n = 0;
  for (size_t pos = text.find(series); pos != std::string::npos; pos = text.find(series, pos + 1)) {
    n += std::stoi(text.substr(text.find("} ", pos) + 2));
  }
  return n;
}

// `creditbank import` of a file with 2,001 learners looks them up 1,000 at a time: three
// requests, not one GET each (which met the server's rate limit).
TEST_F(RegistrarImportTest, ImportLooksLearnersUpInBatches) {
  std::string csv = kHeader;
  csv += "2024001,张三," + std::string(kIdA) +
         ",计算机科学与技术,程序设计基础,20,31,,,92,202406,,,\r\n";
  for (int i = 0; i < 2000; ++i) {
    char body[18];
    std::snprintf(body, sizeof body, "4401062000%02d01%03d", 1 + i / 1000, i % 1000);
    const std::string id = WithCheckDigit(body);
    csv += "3" + std::to_string(100000 + i) + ",学生" + std::to_string(i) + "," + id +
           ",数学与应用数学,微积分,21,32,,,80,202406,,,\r\n";
  }
  const std::string file = dir_.sub("many.csv");
  WriteFile(file, csv);
  const int posts = RequestsTo(*server_, "POST", "/v1/learners/lookup");
  const int gets = RequestsTo(*server_, "GET", "/v1/learners/lookup");

  Outcome dry = Import(file, {"--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err << dry.out;
  EXPECT_TRUE(Has(dry.out, "2001 valid")) << dry.out;
  EXPECT_TRUE(Has(dry.out, "(2000 learners are not in the bank yet")) << dry.out;
  EXPECT_EQ(RequestsTo(*server_, "POST", "/v1/learners/lookup") - posts, 3);
  EXPECT_EQ(RequestsTo(*server_, "GET", "/v1/learners/lookup") - gets, 0);
}

// A switch that is neither true/1 nor false/0 is refused at its name: ?dry_run=maybe was once
// read as "not a dry run" and stored the file its sender believed was being tested.
TEST_F(RegistrarImportTest, BooleanQueryParametersAcceptOnlyTrueFalseOneOrZero) {
  const std::map<std::string, std::string> gb = {{"Content-Type", "text/csv; charset=gb18030"}};
  const uint64_t before = server_->ledger().Size();
  auto post = [&](const std::string& query) {
    return server_->Call("POST", "/v1/records?mapping=cn-registrar" + query, cat_.tsinghua_token,
                         ToGb18030(RegistrarCsv("良好")), gb);
  };
  auto expect_refused = [&](const ClientResponse& r, const std::string& pointer) {
    ASSERT_EQ(r.status, 400) << r.body;
    json p = json::parse(r.body);
    EXPECT_EQ(p["pointer"], pointer) << r.body;
    EXPECT_TRUE(Has(p.value("detail", ""), "true, false, 1 or 0")) << r.body;
  };
  for (const char* v : {"maybe", "yes", "TRUE", "", "on"}) {
    SCOPED_TRACE(v);
    expect_refused(post(std::string("&create_learners=true&dry_run=") + v), "/dry_run");
  }
  expect_refused(post("&create_learners=yes"), "/create_learners");
  expect_refused(post("&create_learners=yes&dry_run=true"), "/create_learners");
  expect_refused(server_->Call("POST", "/v1/records?dry_run=maybe", cat_.tsinghua_token, "{}"),
                 "/dry_run");
  expect_refused(server_->Call("POST", "/v1/records/table?mapping=cn-registrar&create_learners=yes",
                               cat_.tsinghua_token, ToGb18030(RegistrarCsv("良好")), gb),
                 "/create_learners");
  EXPECT_EQ(server_->ledger().Size(), before);
  EXPECT_EQ(LookupStatus(kIdB), 404);

  ClientResponse r = post("&create_learners=1&dry_run=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["dry_run"], true);
  EXPECT_EQ(server_->ledger().Size(), before);
  r = post("&create_learners=1&dry_run=0");
  ASSERT_EQ(r.status, 201) << r.body;
  r = post("&create_learners=true&dry_run=false");
  ASSERT_EQ(r.status, 200) << r.body;  // the same file again: nothing new
  ExpectStoredAndLearners(before);
}

TEST_F(RegistrarImportTest, AHeaderProblemCountsOnlyTheRowsBelowTheHeader) {
  // Two title lines typed without commas, a column cn-registrar does not know (学院), two rows:
  // the mapping fails at the header, and the summary counts the two rows, not four.
  const std::string file = dir_.sub("unknown_column.csv");
  WriteFile(file,
            "2024年秋季学期成绩\n制表：教务处\n"
            "学号,姓名,身份证号,课程名称,教育层次代码,教育类别代码,成绩,获得时间,学院\n"
            "2024001,张三,110101199003070011,程序设计基础,20,31,92,202406,计算机系\n"
            "2024001,张三,110101199003070011,微积分,20,31,85,202406,计算机系\n");
  const uint64_t before = server_->ledger().Size();
  Outcome r = Import(file);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "line 3: 学院: unknown column for mapping cn-registrar")) << r.err;
  EXPECT_TRUE(Has(r.err, "(column I)")) << r.err;
  EXPECT_TRUE(Has(r.err, "1 problems in 2 rows; nothing was stored")) << r.err;
  EXPECT_EQ(server_->ledger().Size(), before);
}

TEST_F(RegistrarImportTest, ServerRefusalsNameTheSourceColumn) {
  // 学分 beyond what Recognize accepts for a unit: found by the local check, named by column.
  std::string csv = kHeader;
  csv += "2024001,张三,110101199003070011,计算机,程序设计基础,20,31,2000,,92,202406,,,\r\n";
  csv += "2024001,张三,110101199003070011,计算机,程序设计基础,20,31,,,92,209912,,,\r\n";
  const std::string file = dir_.sub("refused.csv");
  WriteFile(file, csv);
  Outcome r = Import(file);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "line 2: 学分: ")) << r.err;
  EXPECT_TRUE(Has(r.err, "(column H)")) << r.err;
  EXPECT_TRUE(Has(r.err, "line 3: 获得时间: ")) << r.err;
  EXPECT_TRUE(Has(r.err, "(column K)")) << r.err;
}

}  // namespace
}  // namespace lcb::testing
