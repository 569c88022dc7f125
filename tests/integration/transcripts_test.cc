// GET /v1/learners/{id}/transcript?format=pdf and GET /v1/transcripts/{code} on a real server:
// the PDF read back with pdftotext and its QR code with zbarimg (poppler-utils, zbar-tools),
// the code looked up by anyone, revocations after the transcript shown, bad inputs refused.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

std::string Shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return "";
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  int status = pclose(pipe.release());
  EXPECT_EQ(status, 0) << command << "\n" << out;
  return out;
}

std::string Collapse(const std::string& raw) {
  std::string out;
  for (char c : raw) {
    const bool space = c == '\n' || c == ' ' || c == '\f';
    if (!(space && !out.empty() && out.back() == ' ')) out += space ? ' ' : c;
  }
  return out;
}

class TranscriptsTest : public ::testing::Test {
 protected:
  void SetUp() override { cat_.Load(server_); }
  std::string Post(const std::string& learner, const std::string& unit, const std::string& ref,
                   const std::string& grade = "90") {
    json r = server_.CallJson("POST", "/v1/records",
                              unit.starts_with("ouchn") ? cat_.ouchn_token : cat_.tsinghua_token,
                              cat_.Record(learner, unit, ref, grade), 201);
    return r["records"][0].value("id", "");
  }

  TempDir dir_;
  TestServer server_{dir_.sub("data"), {{"public_url", "https://bank.example.cn"}}};
  Catalog cat_;
};

TEST_F(TranscriptsTest, TheLearnerDownloadsAPdfWhoseQrCodeVerifies) {
  const std::string a = cat_.learner_a;
  const std::string cs = Post(a, "tsinghua:CS101", "T1", "92");
  const std::string ma = Post(a, "tsinghua:MA101", "T2");
  const std::string eng = Post(a, "ouchn:ENG1", "T3");
  const std::string gone = Post(a, "tsinghua:MA101", "T4");
  server_.CallJson("POST", "/v1/records/" + gone + "/revoke", cat_.tsinghua_token,
                   {{"reason", "entered twice"}}, 200);
  Post(cat_.learner_b, "tsinghua:CS101", "TB");  // someone else's: never on A's transcript
  Post(a, "tsinghua:CS101", "T5", "41");         // a failing grade earned no credit: not certified

  ClientResponse r =
      server_.Call("GET", "/v1/learners/" + a + "/transcript?format=pdf", cat_.learner_a_token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.substr(0, 5), "%PDF-");
  const std::string path = dir_.sub("t.pdf");
  std::ofstream(path, std::ios::binary) << r.body;
  const std::string text = Collapse(Shell("pdftotext -enc UTF-8 '" + path + "' -"));
  for (const char* expected : {"学分证明", "张三", "程序设计基础", "微积分", "English I",
                               "清华大学", "国家开放大学", "creditbank.localhost/log"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  EXPECT_NE(text.find("11.5"), std::string::npos) << "total 4 + 5 + 2.5\n" << text;

  Shell("pdftoppm -r 150 -f 1 -l 1 -png '" + path + "' '" + dir_.sub("page") + "'");
  std::string png;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    if (e.path().extension() == ".png") png = e.path().string();
  }
  ASSERT_FALSE(png.empty());
  std::string url = Shell("zbarimg --quiet --raw '" + png + "'");
  while (!url.empty() && url.back() == '\n') url.pop_back();
  const std::string prefix = "https://bank.example.cn/v1/transcripts/";
  ASSERT_TRUE(url.starts_with(prefix)) << url;
  const std::string code = url.substr(prefix.size());
  EXPECT_EQ(code.size(), 32u);  // 128 bits
  EXPECT_NE(text.find(code), std::string::npos) << "the code is printed too";

  // Anyone holding the code: what it held, nothing revoked yet.
  json held = server_.CallJson("GET", "/v1/transcripts/" + code, "", nullptr, 200);
  EXPECT_EQ(held["learner"], a);
  EXPECT_EQ(held["total_credits"], 11.5);
  EXPECT_EQ(held["any_revoked"], false);
  std::set<std::string> ids;
  for (const json& rec : held["records"]) ids.insert(rec["id"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{cs, ma, eng}));
  EXPECT_GT(held["checkpoint"]["tree_size"].get<uint64_t>(), 0u);
  EXPECT_EQ(held["checkpoint"]["root_hash"].get<std::string>().size(), 64u);

  // Revoked after the transcript was drawn: the lookup says so; the transcript still held it.
  server_.CallJson("POST", "/v1/records/" + ma + "/revoke", cat_.tsinghua_token,
                   {{"reason", "grade error"}}, 200);
  json later = server_.CallJson("GET", "/v1/transcripts/" + code, "", nullptr, 200);
  EXPECT_EQ(later["any_revoked"], true);
  EXPECT_EQ(later["revoked"], json::array({ma}));
  EXPECT_EQ(later["records"].size(), 3u);

  // A new transcript holds only what is active now, under a different code.
  ClientResponse again =
      server_.Call("GET", "/v1/learners/" + a + "/transcript", cat_.learner_a_token);
  ASSERT_EQ(again.status, 200);
  std::string code2;
  for (const auto& [name, value] : again.headers) {
    if (name == "X-Verification-Code" || name == "x-verification-code") code2 = value;
  }
  ASSERT_EQ(code2.size(), 32u);
  EXPECT_NE(code2, code);
  json second = server_.CallJson("GET", "/v1/transcripts/" + code2, "", nullptr, 200);
  EXPECT_EQ(second["records"].size(), 2u);
  EXPECT_EQ(second["total_credits"], 6.5);

  // Typed from the paper in capitals, the code is the same code.
  std::string upper = code2;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(server_.CallJson("GET", "/v1/transcripts/" + upper, "", nullptr, 200), second);
  // A browser that scanned the QR code is sent to the portal's page for the code, which reads
  // the same JSON; a program asking for JSON (or anything) gets the JSON.
  ClientResponse browser =
      server_.Call("GET", "/v1/transcripts/" + upper, "", "",
                   {{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}});
  EXPECT_EQ(browser.status, 303);
  EXPECT_EQ(browser.headers["location"], "/portal/#/transcript/" + code2);
  EXPECT_EQ(server_.Call("GET", "/v1/transcripts/" + code2, "", "", {{"Accept", "*/*"}}).status,
            200);
  // A client that names HTML but prefers JSON gets the JSON.
  EXPECT_EQ(server_
                .Call("GET", "/v1/transcripts/" + code2, "", "",
                      {{"Accept", "text/html;q=0.5, application/json"}})
                .status,
            200);
  // Not a code: no redirect, the reason.
  EXPECT_EQ(
      server_.Call("GET", "/v1/transcripts/not-a-code", "", "", {{"Accept", "text/html"}}).status,
      400);
}

TEST_F(TranscriptsTest, BadFormatsAndCodesAreNamed) {
  const std::string base = "/v1/learners/" + cat_.learner_a + "/transcript";
  // format=clr is the credential service's CLR 2.0 (credentials_test.cc); this learner has no
  // record yet, so there is nothing to put in one.
  EXPECT_EQ(server_.Call("GET", base + "?format=clr", cat_.learner_a_token).status, 404);
  json odd = server_.CallJson("GET", base + "?format=docx", cat_.learner_a_token, nullptr, 400);
  EXPECT_EQ(odd["pointer"], "/format");
  json bad = server_.CallJson("GET", "/v1/transcripts/not-a-code", "", nullptr, 400);
  EXPECT_EQ(bad["pointer"], "/code");
  server_.CallJson("GET", "/v1/transcripts/" + std::string(32, 'a'), "", nullptr, 404);
  // Another learner's transcript is not there for them.
  server_.CallJson("GET", base, cat_.learner_b_token, nullptr, 404);
  server_.CallJson("GET", "/v1/learners/nobody/transcript", server_.admin_token(), nullptr, 403);
}

TEST_F(TranscriptsTest, ALearnerWithoutRecordsGetsAOnePageTranscript) {
  ClientResponse r =
      server_.Call("GET", "/v1/learners/" + cat_.learner_b + "/transcript", cat_.learner_b_token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.substr(0, 5), "%PDF-");
}

}  // namespace
}  // namespace lcb::testing
