// `creditbank import` and `creditbank demo` against a real in-process server over a temp
// RocksDB (and, as postgres/<test>, over PostgreSQL): the commands are called directly with
// argument vectors, as main() would.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "api/logging.h"
#include "cli/commands.h"
#include "cli/demo_data.h"
#include "service/files.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

// Substring check with the whole text in the failure message.
::testing::AssertionResult Has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" is not in:\n" << text;
}

constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr char kHeader[] =
    "learner,unit,external_ref,credits,hours,level,grade_scale,grade_value,"
    "completed_on,attendance,evidence_sha256\n";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct Outcome {
  int code = 0;
  std::string out;
  std::string err;
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

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel("error");  // the request log would bury the commands' own output
    std::filesystem::create_directories(dir_.sub("data"));
    server_ = std::make_unique<TestServer>(dir_.sub("data"));
    cat_.Load(*server_);
    for (int i = 0; i < kLearners; ++i) {
      learners_.push_back(server_
                              ->CallJson("POST", "/v1/learners", cat_.tsinghua_token,
                                         {{"display_name", "学生" + std::to_string(i)}}, 201)
                              .value("id", ""));
    }
  }

  // `rows` data rows for the generated learners, alternating units, with Chinese attendance
  // notes (one quoted, with a comma) and a mix of credits, hours and unit defaults.
  std::string GeneratedCsv(int rows, const std::string& ref_prefix = "T-") const {
    std::string csv = std::string(kBom) + kHeader;
    for (int i = 0; i < rows; ++i) {
      const std::string& learner = learners_[i % kLearners];
      const char* unit = i % 2 == 0 ? "tsinghua:CS101" : "tsinghua:MA101";
      std::string credits = i % 3 == 0 ? "4" : "";
      std::string hours = i % 3 == 1 ? "64" : "";  // 64 h at 16 h/credit = 4 credits
      char date[16];
      std::snprintf(date, sizeof date, "2024-%02d-%02d", 1 + i % 12, 1 + i % 28);
      std::string attendance = i % 4 == 0 ? "\"线上学习, 全勤\"" : "线下面授";
      csv += learner + "," + unit + "," + ref_prefix + std::to_string(i) + "," + credits + "," +
             hours + ",,percent," + std::to_string(60 + i % 41) + "," + date + "," + attendance +
             ",\n";
    }
    return csv;
  }

  Outcome Import(const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "--file",   file,           "--institution", "tsinghua",
        "--server", server_->url(), "--token",       cat_.tsinghua_token};
    args.insert(args.end(), extra.begin(), extra.end());
    return Capture([&] { return CmdImport(args); });
  }

  uint64_t LogSize() { return server_->ledger().Size(); }

  // Every record of every generated learner, read back through the paginated API.
  std::vector<json> AllRecords() {
    std::vector<json> out;
    for (const auto& learner : learners_) {
      std::string cursor;
      for (;;) {
        std::string target = "/v1/learners/" + learner + "/records?limit=1000";
        if (!cursor.empty()) target += "&cursor=" + cursor;
        json page = server_->CallJson("GET", target, cat_.auditor_token, nullptr, 200);
        for (const auto& r : page["records"]) out.push_back(r);
        if (page["next_cursor"].is_null()) break;
        cursor = page["next_cursor"].get<std::string>();
      }
    }
    return out;
  }

  static constexpr int kLearners = 20;
  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
  std::vector<std::string> learners_;
};

TEST_F(ImportTest, TwoThousandRowsThenIdempotentRerun) {
  const std::string file = dir_.sub("grades.csv");
  WriteFile(file, GeneratedCsv(2000));
  const uint64_t before = LogSize();

  Outcome first = Import(file);
  ASSERT_EQ(first.code, 0) << first.err << first.out;
  EXPECT_TRUE(Has(first.out, "created 2000, already present 0, skipped 0, failed 0"));
  EXPECT_EQ(LogSize(), before + 2000);

  std::vector<json> records = AllRecords();
  ASSERT_EQ(records.size(), 2000u);
  size_t quoted = 0, classroom = 0;
  for (const auto& r : records) {
    std::string attendance = r.value("attendance", "");
    if (attendance == "线上学习, 全勤") ++quoted;  // byte-exact, comma kept
    if (attendance == "线下面授") ++classroom;
    if (r.contains("hours")) {
      EXPECT_EQ(r["credits"], 4) << r.dump();  // 64 h at 16 h per credit
    }
  }
  EXPECT_EQ(quoted, 500u);
  EXPECT_EQ(classroom, 1500u);

  Outcome again = Import(file, {"--batch", "1000"});
  ASSERT_EQ(again.code, 0) << again.err << again.out;
  EXPECT_TRUE(Has(again.out, "created 0, already present 2000, skipped 0, failed 0"));
  EXPECT_EQ(LogSize(), before + 2000);
}

// Three bad lines: every one is named, nothing is stored; --skip-invalid stores the rest.
TEST_F(ImportTest, BadLinesStoreNothingUnlessSkipped) {
  std::string csv = GeneratedCsv(50, "B-");
  // Data row i is on line i + 2 (the header is line 1).
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < csv.size()) {
    size_t nl = csv.find('\n', start);
    lines.push_back(csv.substr(start, nl - start));
    start = nl + 1;
  }
  auto replace = [&](int line, const std::string& from, const std::string& to) {
    std::string& l = lines[line - 1];
    size_t at = l.find(from);
    ASSERT_NE(at, std::string::npos) << l;
    l.replace(at, from.size(), to);
  };
  replace(5, ",percent,63,", ",percent,105,");     // grade out of range
  replace(17, ",2024-04-16,", ",2099-04-16,");     // in the future
  replace(30, "tsinghua:CS101", "tsinghua:NOPE");  // not in the catalog
  std::string bad;
  for (const auto& l : lines) bad += l + "\n";
  const std::string file = dir_.sub("bad.csv");
  WriteFile(file, bad);
  const uint64_t before = LogSize();

  Outcome dry = Import(file, {"--dry-run"});
  EXPECT_EQ(dry.code, 1);
  Outcome run = Import(file);
  EXPECT_EQ(run.code, 1) << run.out;
  EXPECT_EQ(LogSize(), before);
  EXPECT_TRUE(Has(run.err, "line 5: grade_value: "));
  EXPECT_TRUE(Has(run.err, "line 17: completed_on: "));
  EXPECT_TRUE(Has(run.err, "line 30: unit: no unit 'tsinghua:NOPE'"));
  EXPECT_TRUE(Has(run.err, "3 problems on 3 of 50 lines; nothing was stored")) << run.err;

  Outcome skipped = Import(file, {"--skip-invalid", "--batch", "7"});
  EXPECT_EQ(skipped.code, 0) << skipped.err;
  EXPECT_EQ(LogSize(), before + 47);
  EXPECT_TRUE(Has(skipped.out, "created 47, already present 0, skipped 3, failed 0"));
  EXPECT_TRUE(Has(skipped.err, "line 30: unit:"));
}

// A cell that does not read (a bad number) hides none of its line's other problems: the line's
// other cells are still checked, and every problem is named with its column.
TEST_F(ImportTest, ACellThatDoesNotReadHidesNoOtherProblemOfItsLine) {
  std::string csv = GeneratedCsv(5, "U-");
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{",U-2,,,,percent,", ",U-2,abc,,x,percent,"},
        {",2024-03-03,", ",2099-03-03,"}}) {
    const size_t at = csv.find(from);
    ASSERT_NE(at, std::string::npos) << csv;
    csv.replace(at, from.size(), to);
  }
  const std::string file = dir_.sub("cells.csv");
  WriteFile(file, csv);
  const uint64_t before = LogSize();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--dry-run"}, std::vector<std::string>{}}) {
    Outcome run = Import(file, args);
    EXPECT_EQ(run.code, 1) << run.err;
    EXPECT_TRUE(Has(run.err, "line 4: credits: ")) << run.err;
    EXPECT_TRUE(Has(run.err, "line 4: level: ")) << run.err;
    EXPECT_TRUE(Has(run.err, "line 4: completed_on: is in the future")) << run.err;
    EXPECT_TRUE(Has(run.err, "3 problems on 1 of 5 lines; nothing was stored")) << run.err;
  }
  EXPECT_EQ(LogSize(), before);

  // The same file posted: one answer names the three problems of line 4, and stores nothing.
  ClientResponse r = server_->Call("POST", "/v1/records?dry_run=true", cat_.tsinghua_token, csv,
                                   {{"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 400) << r.body;
  const json p = json::parse(r.body);
  std::vector<std::string> pointers;
  for (const json& e : p["errors"]) {
    EXPECT_EQ(e["line"], 4) << r.body;
    pointers.push_back(e["pointer"]);
  }
  EXPECT_EQ(pointers, (std::vector<std::string>{"/records/2/credits", "/records/2/level",
                                                "/records/2/completed_on"}))
      << r.body;
  EXPECT_TRUE(p["detail"].get<std::string>().starts_with("1 record was rejected (3 problems)"))
      << r.body;
  EXPECT_EQ(
      server_->Call("POST", "/v1/records", cat_.tsinghua_token, csv, {{"Content-Type", "text/csv"}})
          .status,
      400);
  EXPECT_EQ(LogSize(), before);
}

// What only the server can tell (an unknown learner account, an external_ref reused for other
// content) is mapped to file lines: the server's dry-run check of every batch stops the import
// before anything is stored; with --skip-invalid the refused rows are dropped per batch.
TEST_F(ImportTest, ServerRejectionsMapToLines) {
  std::string csv = std::string(kHeader);
  for (int i = 0; i < 10; ++i) {
    std::string learner = i == 3 ? "lrn_00000000deadbeef" : learners_[i];
    csv += learner + ",tsinghua:CS101,S-" + std::to_string(i) + ",,,,percent,80,2024-05-01,,\n";
  }
  const std::string file = dir_.sub("server.csv");
  WriteFile(file, csv);
  const uint64_t before = LogSize();

  // Batches of 3: lines 2-4, 5-7, 8-10, 11. The server's check refuses line 5 (in the second
  // batch) and nothing is stored, not even the first batch.
  Outcome dry = Import(file, {"--batch", "3", "--dry-run"});
  EXPECT_EQ(dry.code, 1);
  EXPECT_TRUE(Has(dry.err, "line 5: learner: ")) << dry.err;
  Outcome run = Import(file, {"--batch", "3"});
  EXPECT_EQ(run.code, 1);
  EXPECT_TRUE(Has(run.err, "line 5: learner: ")) << run.err;
  EXPECT_TRUE(Has(run.err, "refused 1 of 10 lines; nothing was stored")) << run.err;
  EXPECT_EQ(LogSize(), before);

  Outcome skip = Import(file, {"--batch", "3", "--skip-invalid"});
  EXPECT_EQ(skip.code, 0) << skip.err;
  EXPECT_TRUE(Has(skip.out, "created 9, already present 0, skipped 1, failed 0"));
  EXPECT_EQ(LogSize(), before + 9);

  // A clean file passes the server's check and is stored; --dry-run with a token checks
  // with the server and stores nothing.
  std::string good = std::string(kHeader);
  for (int i = 0; i < 4; ++i) {
    good += learners_[i] + ",tsinghua:CS101,G-" + std::to_string(i) + ",,,,percent,80,2024-05-01,,\n";
  }
  WriteFile(dir_.sub("good.csv"), good);
  Outcome good_dry = Import(dir_.sub("good.csv"), {"--dry-run"});
  EXPECT_EQ(good_dry.code, 0) << good_dry.err;
  EXPECT_TRUE(Has(good_dry.out, "4 records checked (also by the server), 4 valid")) << good_dry.out;
  EXPECT_EQ(LogSize(), before + 9);
  Outcome good_run = Import(dir_.sub("good.csv"));
  EXPECT_EQ(good_run.code, 0) << good_run.err;
  EXPECT_EQ(LogSize(), before + 13);

  // The same external_ref with another grade: 409, reported with its line.
  std::string changed = csv;
  changed.replace(changed.find(",S-6,,,,percent,80,"), 19, ",S-6,,,,percent,81,");
  WriteFile(file, changed);
  Outcome conflict = Import(file, {"--batch", "3", "--skip-invalid"});
  EXPECT_EQ(conflict.code, 0) << conflict.err;
  EXPECT_TRUE(Has(conflict.err, "line 8: external_ref: "));
  EXPECT_TRUE(Has(conflict.out, "created 0, already present 8, skipped 2, failed 0"));
  EXPECT_EQ(LogSize(), before + 13);
}

TEST_F(ImportTest, ArgumentsAndFileErrors) {
  EXPECT_EQ(Capture([] { return CmdImport({"--help"}); }).code, 0);
  EXPECT_EQ(Capture([] { return CmdImport({"--file", "x.csv"}); }).code, 2);
  EXPECT_EQ(Capture([&] {
              return CmdImport({"--file", "x.csv", "--institution", "tsinghua", "--server",
                                server_->url(), "--token", "t", "--batch", "1001"});
            }).code,
            2);
  Outcome missing = Import(dir_.sub("missing.csv"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(Has(missing.err, "cannot open"));

  const std::string file = dir_.sub("header.csv");
  WriteFile(file, "learner,unit,weight\nx,y,z\n");
  Outcome header = Import(file);
  EXPECT_EQ(header.code, 1);
  EXPECT_TRUE(Has(header.err, "line 1: header: unknown CSV column \"weight\""));

  // A header and no data row: exit 1 as HTTP answers 400 (it used to exit 0, "created 0").
  WriteFile(file, std::string(kBom) + kHeader);
  for (const std::vector<std::string>& extra :
       std::vector<std::vector<std::string>>{{}, {"--dry-run"}}) {
    Outcome none = Import(file, extra);
    EXPECT_EQ(none.code, 1) << none.out;
    EXPECT_TRUE(Has(none.err, "no rows to import in " + file));
  }
  EXPECT_EQ(server_
                ->Call("POST", "/v1/records", cat_.tsinghua_token, kHeader,
                       {{"Content-Type", "text/csv"}})
                .status,
            400);
  const std::string registrar = dir_.sub("registrar.csv");
  WriteFile(registrar, "学号,姓名,身份证号,课程名称,教育层次代码,教育类别代码,成绩,获得时间\r\n");
  Outcome mapped = Import(registrar, {"--mapping", "cn-registrar"});
  EXPECT_EQ(mapped.code, 1) << mapped.out;
  EXPECT_TRUE(Has(mapped.err, "no rows to import in " + registrar));

  // An external_ref twice in one file is a mistake in the export, caught before sending.
  std::string twice = GeneratedCsv(5);
  const size_t first_row = twice.find('\n') + 1;
  twice += twice.substr(first_row, twice.find('\n', first_row) + 1 - first_row);
  WriteFile(file, twice);
  Outcome dup = Import(file, {"--dry-run"});
  EXPECT_EQ(dup.code, 1);
  EXPECT_TRUE(Has(dup.err, "line 7: external_ref: 'T-0' is also on line 2"));

  WriteFile(file, GeneratedCsv(5));
  // tsinghua's token does not act as "nosuch": refused before the file is read.
  Outcome wrong = Capture([&] {
    return CmdImport({"--file", file, "--institution", "nosuch", "--server", server_->url(),
                      "--token", cat_.tsinghua_token});
  });
  EXPECT_EQ(wrong.code, 1);
  EXPECT_TRUE(Has(wrong.err, "the token acts as institution:tsinghua, not institution:nosuch"))
      << wrong.err;

  // The other institution's token and name: tsinghua's units are not its to post.
  Outcome other = Capture([&] {
    return CmdImport({"--file", file, "--institution", "ouchn", "--server", server_->url(),
                      "--token", cat_.ouchn_token});
  });
  EXPECT_EQ(other.code, 1);
  EXPECT_TRUE(Has(other.err, "line 2: unit: unit belongs to tsinghua"));
}

// Servers configured with limits below the client's: a per-token rate limit (429: the client
// waits for Retry-After) and a smaller max_batch (413: the client halves its batches).
TEST(ImportLimitsTest, SmallerServerBatchesAndRateLimit) {
  SetLogLevel("error");
  TempDir dir;
  std::filesystem::create_directories(dir.sub("data"));
  // Buckets are per token. Setup uses 2 tsinghua requests of the burst; the import needs 3
  // GETs (its token, the institution, the units), 7 dry-run POSTs (the server's check) and then
  // 7 POSTs of one record: 19 requests, so exactly one meets an empty bucket (Retry-After: 2 s).
  TestServer server(dir.sub("data"), {{"rate_limit_rps", "0.5"}, {"rate_limit_burst", "18"}});
  Catalog cat;
  cat.Load(server);
  std::string csv = kHeader;
  for (int i = 0; i < 7; ++i) {
    csv += cat.learner_a + ",tsinghua:CS101,L-" + std::to_string(i) + ",,,,letter,A,2024-05-01,,\n";
  }
  const std::string file = dir.sub("limits.csv");
  WriteFile(file, csv);
  const uint64_t before = server.ledger().Size();
  Outcome r = Capture([&] {
    return CmdImport({"--file", file, "--institution", "tsinghua", "--server", server.url(),
                      "--token", cat.tsinghua_token, "--batch", "1"});
  });
  EXPECT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_TRUE(Has(r.out, "created 7, already present 0, skipped 0, failed 0"));
  EXPECT_TRUE(Has(r.out, "(1 retries)"));
  EXPECT_EQ(server.ledger().Size(), before + 7);
}

TEST(ImportLimitsTest, HalvesBatchesOn413) {
  SetLogLevel("error");
  TempDir dir;
  std::filesystem::create_directories(dir.sub("data"));
  TestServer server(dir.sub("data"), {{"max_batch", "30"}});
  Catalog cat;
  cat.Load(server);
  std::string csv = kHeader;
  for (int i = 0; i < 100; ++i) {
    csv += cat.learner_b + ",tsinghua:MA101,H-" + std::to_string(i) + ",,,,gpa4,3.5,2023-12-01,,\n";
  }
  const std::string file = dir.sub("halve.csv");
  WriteFile(file, csv);
  Outcome r = Capture([&] {
    return CmdImport({"--file", file, "--institution", "tsinghua", "--server", server.url(),
                      "--token", cat.tsinghua_token, "--batch", "100"});
  });
  EXPECT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_TRUE(Has(r.err, "using batches of 25"));
  EXPECT_TRUE(Has(r.out, "created 100, already present 0, skipped 0, failed 0"));
}

class DemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel("error");
    std::filesystem::create_directories(dir_.sub("data"));
    server_ = std::make_unique<TestServer>(dir_.sub("data"));
  }
  Outcome Demo() {
    return Capture([&] {
      return CmdDemo({"--server", server_->url(), "--token", server_->admin_token(), "--out",
                      dir_.sub("demo")});
    });
  }
  TempDir dir_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(DemoTest, LoadsTwiceAndConverts) {
  Outcome first = Demo();
  ASSERT_EQ(first.code, 0) << first.err << first.out;
  EXPECT_EQ((first.out + first.err).find(server_->admin_token()), std::string::npos);
  EXPECT_TRUE(Has(first.out, "5 rulesets published now"));
  const uint64_t log_after_first = server_->ledger().Size();
  json tokens_before = server_->CallJson("GET", "/v1/tokens", server_->admin_token(), nullptr, 200);

  const std::string tokens_path = dir_.sub("demo") + "/tokens.json";
  struct stat st {};
  ASSERT_EQ(::stat(tokens_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  Outcome second = Demo();
  ASSERT_EQ(second.code, 0) << second.err << second.out;
  EXPECT_TRUE(Has(second.out, "0 rulesets published now"));
  EXPECT_TRUE(Has(second.out, "records (0 new,"));
  EXPECT_TRUE(Has(second.out, "tokens: 0 created"));
  // Nothing new in the log, no new credentials.
  EXPECT_EQ(server_->ledger().Size(), log_after_first);
  json tokens_after = server_->CallJson("GET", "/v1/tokens", server_->admin_token(), nullptr, 200);
  EXPECT_EQ(tokens_after["tokens"].size(), tokens_before["tokens"].size());

  auto data = demo::LoadDemoData("");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  for (const auto& program : data->programs) {
    json rs = server_->CallJson("GET", "/v1/programs/" + program.id + "/ruleset", "", nullptr, 200);
    EXPECT_EQ(rs.value("version", 0), 1) << program.id << ": " << rs.dump();
  }

  auto saved = ReadSecretFile(tokens_path);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  json file = json::parse(*saved);
  ASSERT_EQ(file["learners"].size(), data->learners.size());
  EXPECT_EQ(file["institutions"].size(), data->institutions.size());
  EXPECT_FALSE(file["auditor"].value("token", "").empty());
  const json& zhang = file["learners"][0];
  EXPECT_EQ(zhang["name"], "张伟");
  const std::string learner = zhang["id"];
  const std::string token = zhang["token"];

  json whatif = server_->CallJson("GET", "/v1/learners/" + learner + "/what-if?programs=all", token,
                                  nullptr, 200);
  ASSERT_EQ(whatif["results"].size(), 5u) << whatif.dump();
  EXPECT_GT(whatif["results"][0]["granted"].get<double>(), 0) << whatif.dump();

  json eval = server_->CallJson("POST", "/v1/conversions/evaluate", token,
                                {{"learner", learner}, {"program", "ouchn:BSC-CS"}}, 200);
  EXPECT_GT(eval["granted"].get<double>(), 0) << eval.dump();
  EXPECT_EQ(eval["optimal"], true);

  // Every learner converts something somewhere, and every program grants to someone.
  std::set<std::string> programs_granting;
  for (const auto& l : file["learners"]) {
    json w = server_->CallJson(
        "GET", "/v1/learners/" + l["id"].get<std::string>() + "/what-if?programs=all", l["token"],
        nullptr, 200);
    ASSERT_EQ(w["results"].size(), 5u);
    EXPECT_GT(w["results"][0]["granted"].get<double>(), 0) << l["name"] << ": " << w.dump();
    for (const auto& r : w["results"]) {
      if (r["granted"].get<double>() > 0) programs_granting.insert(r["program"]);
    }
  }
  EXPECT_EQ(programs_granting.size(), 5u);

  // The revoked and the corrected record show in the passbooks.
  for (size_t idx : {size_t{8}, size_t{16}, size_t{18}}) {
    const json& l = file["learners"][idx];
    json pb = server_->CallJson("GET", "/v1/learners/" + l["id"].get<std::string>() + "/passbook",
                                l["token"], nullptr, 200);
    EXPECT_EQ(pb["revoked_count"], 1) << l["name"] << ": " << pb.dump();
  }
  // An institution the learner shared with may evaluate for it.
  json by_inst =
      server_->CallJson("POST", "/v1/conversions/evaluate", file["institutions"]["ouchn"]["token"],
                        {{"learner", learner}, {"program", "ouchn:BSC-CS"}}, 200);
  EXPECT_EQ(by_inst["granted"], eval["granted"]);
}

// --data: another data set of the same shape (here a cut of the embedded one: its first
// learner, whose records come from four issuers, and no revocations or corrections).
TEST_F(DemoTest, LoadsAnotherDataSet) {
  json doc = json::parse(demo::EmbeddedDemoJson());
  doc["learners"] = json::array({doc["learners"][0]});
  doc.erase("revocations");
  doc.erase("corrections");
  const std::string path = dir_.sub("mine.json");
  {
    std::ofstream out(path);
    out << doc.dump(2);
  }
  Outcome r = Capture([&] {
    return CmdDemo({"--server", server_->url(), "--token", server_->admin_token(), "--out",
                    dir_.sub("demo"), "--data", path});
  });
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_TRUE(Has(r.out, "1 learners; 11 records (11 new, 0 already there), 0 revoked"));
  json file = json::parse(*ReadSecretFile(dir_.sub("demo") + "/tokens.json"));
  ASSERT_EQ(file["learners"].size(), 1u);
  json pb = server_->CallJson(
      "GET", "/v1/learners/" + file["learners"][0]["id"].get<std::string>() + "/passbook",
      file["learners"][0]["token"], nullptr, 200);
  EXPECT_EQ(pb["revoked_count"], 0) << pb.dump();
}

TEST_F(DemoTest, RejectsANonAdminToken) {
  std::string auditor = server_->NewToken("auditor");
  Outcome r = Capture([&] {
    return CmdDemo({"--server", server_->url(), "--token", auditor, "--out", dir_.sub("demo")});
  });
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "admin token"));
  EXPECT_EQ(Capture([] { return CmdDemo({"--help"}); }).code, 0);
  EXPECT_EQ(Capture([] { return CmdDemo({}); }).code, 2);
}

// `token` without --server opens a bank's store directly; it must never make a bank where
// there is none (keys, an empty log) and print a token for it that looks valid.
TEST(TokenTest, RefusesADirectoryWithoutABank) {
  TempDir dir;
  const std::string none = dir.sub("none"), empty = dir.sub("empty");
  std::filesystem::create_directories(empty);
  for (const std::string& data : {none, empty}) {
    Outcome r = Capture([&] { return CmdToken({"create", "--role", "auditor", "--data", data}); });
    EXPECT_EQ(r.code, 2) << data;
    EXPECT_TRUE(Has(r.err, "no bank at " + data +
                               " (pass --data DIR of an existing bank, or "
                               "--server URL)"));
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(std::filesystem::exists(none));
  EXPECT_TRUE(std::filesystem::is_empty(empty));

  // The default data directory, ./var, in a directory without one.
  const std::filesystem::path cwd = std::filesystem::current_path();
  const std::string here = dir.sub("cwd");
  std::filesystem::create_directories(here);
  std::filesystem::current_path(here);
  const std::vector<std::vector<std::string>> commands = {
      {"create", "--role", "auditor"}, {"list"}, {"revoke", "--id", "tok_x"}};
  for (const auto& args : commands) {
    Outcome r = Capture([&] { return CmdToken(args); });
    EXPECT_EQ(r.code, 2) << args[0];
    EXPECT_TRUE(Has(r.err,
                    "no bank at ./var (pass --data DIR of an existing bank, or "
                    "--server URL)"));
  }
  EXPECT_FALSE(std::filesystem::exists(here + "/var"));
  std::filesystem::current_path(cwd);

  // A bank that `serve` made, stopped: --data opens it (on PostgreSQL, a node's data directory
  // and the database: --storage postgres --postgres-dsn), and the token it prints works there.
  const std::string bank = dir.sub("bank");
  std::vector<std::string> where = {"--data", bank};
  { TestServer server(bank); }
  if (TestOnPostgres()) {
    for (const std::string& a : {std::string("--storage"), std::string("postgres"),
                                 std::string("--postgres-dsn"), BackendDsn(bank)}) {
      where.push_back(a);
    }
  }
  auto token = [&](std::vector<std::string> args) {
    args.insert(args.end(), where.begin(), where.end());
    return Capture([&] { return CmdToken(args); });
  };
  Outcome r = token({"create", "--role", "auditor"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "\"role\":\"auditor\""));
  r = token({"list"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "auditor"));
  Outcome made = token({"create", "--role", "admin"});
  ASSERT_EQ(made.code, 0) << made.err;
  const json minted = json::parse(made.out);
  TestServer server(bank);
  json tokens = server.CallJson("GET", "/v1/tokens", minted["token"], nullptr, 200);
  EXPECT_TRUE(Has(tokens.dump(), minted["id"].get<std::string>())) << tokens.dump();
}

// `token list --role R` lists only R's tokens (a kind alone, every token of that kind), both
// against a running server and from a stopped bank's store.
TEST(TokenTest, ListFiltersByRole) {
  TempDir dir;
  const std::string bank = dir.sub("bank");
  std::string auditor_id;
  {
    TestServer server(bank);
    Catalog cat;
    cat.Load(server);
    const std::string admin = server.admin_token();
    Outcome all = Capture([&] {
      return CmdToken({"list", "--server", server.url(), "--token", admin});
    });
    ASSERT_EQ(all.code, 0) << all.err;
    EXPECT_TRUE(Has(all.out, "\"role\":\"auditor\""));
    EXPECT_TRUE(Has(all.out, "\"role\":\"institution:tsinghua\""));
    Outcome r = Capture([&] {
      return CmdToken({"list", "--role", "auditor", "--server", server.url(), "--token", admin});
    });
    ASSERT_EQ(r.code, 0) << r.err;
    json listed = json::parse(r.out);
    ASSERT_FALSE(listed["tokens"].empty()) << r.out;
    for (const json& t : listed["tokens"]) EXPECT_EQ(t["role"], "auditor") << r.out;
    auditor_id = listed["tokens"][0]["id"];
    r = Capture([&] {
      return CmdToken(
          {"list", "--role", "institution", "--server", server.url(), "--token", admin});
    });
    ASSERT_EQ(r.code, 0) << r.err;
    listed = json::parse(r.out);
    EXPECT_EQ(listed["tokens"].size(), 2u) << r.out;  // tsinghua and ouchn
    for (const json& t : listed["tokens"]) {
      EXPECT_EQ(t["role"].get<std::string>().rfind("institution:", 0), 0u) << r.out;
    }
  }
  if (TestOnPostgres()) return;  // --data alone names the embedded store
  Outcome r = Capture([&] { return CmdToken({"list", "--role", "auditor", "--data", bank}); });
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, auditor_id));
  EXPECT_FALSE(Has(r.out, "institution:")) << r.out;
  EXPECT_FALSE(Has(r.out, "admin")) << r.out;
}

}  // namespace
}  // namespace lcb::testing
