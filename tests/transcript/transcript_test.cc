// The transcript PDF read back the way a person's tools read it: pdftotext for the text,
// pdfinfo for the page count, pdftoppm + zbarimg for the QR code (Debian poppler-utils and
// zbar-tools, installed by scripts/deps.sh). Each test writes only inside its temp dir.
#include "transcript/transcript.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>

namespace lcb {
namespace {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("creditbank_transcript_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Runs a shell command and returns its standard output; fails the test on a non-zero exit.
std::string Shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  EXPECT_TRUE(pipe != nullptr) << command;
  if (!pipe) return "";
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  int status = pclose(pipe.release());
  EXPECT_EQ(status, 0) << command << "\n" << out;
  return out;
}

// A code as the bank makes them (32 hex digits) is printed whole in the header, beside the URL.
const char* kCode = "07a839f8a0401ae1a968a79aeee4c2d1";
const char* kUrl = "https://credit.example.edu.cn/v1/transcripts/07a839f8a0401ae1a968a79aeee4c2d1";

TranscriptInput Sample(size_t n) {
  TranscriptInput in;
  in.learner_id = "lrn_5f0c2a9e41d7b3c8";
  in.learner_name = "张三 Zhang San";
  in.checkpoint = {"creditbank.localhost/log", 123456,
                   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"};
  in.verification_code = kCode;
  in.verification_url = kUrl;
  in.generated_at = "2026-11-29T05:54:27Z";
  const char* titles[] = {"程序设计基础",    "Linear Algebra",     "大学英语（三）",
                          "Data Structures", "马克思主义基本原理", "Introductory Microeconomics"};
  const char* issuers[] = {"清华大学", "The University of Hong Kong", "国家开放大学", "TU Delft"};
  const char* grades[] = {"92", "优秀", "B", "pass"};
  for (size_t i = 0; i < n; ++i) {
    TranscriptRecord r;
    r.id = "rec_" + std::to_string(i);
    r.unit_title = std::string(titles[i % 6]) + " " + std::to_string(i + 1);
    r.issuer = issuers[i % 4];
    r.kind = static_cast<UnitKind>(i % 3);
    r.level = 5 + static_cast<int>(i % 3);
    r.credits = 150 + static_cast<Centi>(i % 4) * 50;  // 1.5, 2, 2.5, 3
    r.grade = grades[i % 4];
    r.completed_on = DaysFromCivil({2020 + static_cast<int>(i % 5), 6, 30});
    in.records.push_back(r);
  }
  return in;
}

std::string WritePdf(const TempDir& dir, const TranscriptInput& in) {
  auto pdf = RenderTranscriptPdf(in);
  EXPECT_TRUE(pdf.ok()) << pdf.status().ToString();
  std::string path = dir.sub("t.pdf");
  std::ofstream(path, std::ios::binary) << (pdf.ok() ? *pdf : "");
  return path;
}

int Pages(const std::string& path) {
  std::string info = Shell("pdfinfo '" + path + "'");
  size_t at = info.find("Pages:");
  return at == std::string::npos ? -1 : std::stoi(info.substr(at + 6));
}

// Page text without layout, whitespace collapsed (pdftotext breaks lines where the PDF does).
std::string Text(const std::string& path, int first = 0, int last = 0) {
  std::string range =
      first > 0 ? " -f " + std::to_string(first) + " -l " + std::to_string(last) : "";
  std::string raw = Shell("pdftotext -enc UTF-8" + range + " '" + path + "' -");
  std::string out;
  for (char c : raw) {
    const bool space = c == '\n' || c == ' ' || c == '\f';
    if (!(space && !out.empty() && out.back() == ' ')) out += space ? ' ' : c;
  }
  return out;
}

TEST(TranscriptPdf, SixtyRecordsReadBackWithTheirTextAndAQrOfTheUrl) {
  TempDir dir;
  TranscriptInput in = Sample(60);
  std::string path = WritePdf(dir, in);
  // To look at it: LCB_TRANSCRIPT_SAMPLE=/some/file.pdf keeps a copy (nothing is kept otherwise).
  if (const char* keep = std::getenv("LCB_TRANSCRIPT_SAMPLE")) {
    std::filesystem::copy_file(path, keep, std::filesystem::copy_options::overwrite_existing);
  }
  const int pages = Pages(path);
  EXPECT_GE(pages, 2);
  std::string text = Text(path);
  for (const char* expected :
       {"学分证明", "Credit Transcript", "张三 Zhang San", "lrn_5f0c2a9e41d7b3c8",
        "creditbank.localhost/log", "123456",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "程序设计基础 1",
        "Linear Algebra 2", "大学英语（三） 3", "Introductory Microeconomics 60", "清华大学",
        "国家开放大学", "优秀", "2024-06-30", "合计 Totals", "学位课程 Degree course",
        "总学分 Total credits", "2026-11-29T05:54:27Z"}) {
    EXPECT_NE(text.find(expected), std::string::npos)
        << "missing: " << expected << "\nin the text of page 1: " << text.substr(0, 1200);
  }
  // The code in the header, whole (not cut short with an ellipsis), where a reader types it from.
  EXPECT_NE(text.find(std::string("Verification code ") + kCode), std::string::npos)
      << text.substr(0, 400);
  // Totals: 60 records cycling 1.5, 2, 2.5, 3 credits = 15 x 9 = 135.
  EXPECT_NE(text.find("135"), std::string::npos);
  const std::string last = std::to_string(pages);
  EXPECT_NE(text.find("Page " + last + " of " + last), std::string::npos) << text;
  // The URL is printed (it may wrap) and is what the QR code decodes to.
  Shell("pdftoppm -r 150 -f 1 -l 1 -png '" + path + "' '" + dir.sub("page") + "'");
  std::string png;
  for (const auto& e : std::filesystem::directory_iterator(dir.sub(""))) {
    if (e.path().extension() == ".png") png = e.path().string();
  }
  ASSERT_FALSE(png.empty());
  std::string decoded = Shell("zbarimg --quiet --raw '" + png + "'");
  while (!decoded.empty() && decoded.back() == '\n') decoded.pop_back();
  EXPECT_EQ(decoded, kUrl);
}

TEST(TranscriptPdf, NoRecordsIsOnePageSayingSo) {
  TempDir dir;
  std::string path = WritePdf(dir, Sample(0));
  EXPECT_EQ(Pages(path), 1);
  std::string text = Text(path);
  EXPECT_NE(text.find("No active records"), std::string::npos) << text;
  EXPECT_NE(text.find("Page 1 of 1"), std::string::npos) << text;
  EXPECT_NE(text.find("(0 条记录 records)"), std::string::npos) << text;
}

TEST(TranscriptPdf, FourHundredRecordsRunOverNumberedPages) {
  TempDir dir;
  std::string path = WritePdf(dir, Sample(400));
  const int pages = Pages(path);
  // ~46 rows on a full page, fewer on the first: at least 9 pages.
  ASSERT_GE(pages, 9);
  const std::string n = std::to_string(pages);
  for (int p : {1, pages / 2, pages}) {
    std::string text = Text(path, p, p);
    const std::string want = "Page " + std::to_string(p) + " of " + n;
    EXPECT_NE(text.find(want), std::string::npos) << want;
    EXPECT_NE(text.find(std::string("Verification code ") + kCode), std::string::npos)
        << "header on page " << p;
  }
  // Every record is printed exactly once, in order: the last one on the last table page.
  std::string all = Text(path);
  EXPECT_NE(all.find("Data Structures 400"), std::string::npos);
  EXPECT_EQ(all.find("Data Structures 400"), all.rfind("Data Structures 400"));
  EXPECT_NE(Text(path, pages, pages).find("合计 Totals"), std::string::npos);
}

// The fonts are embedded as subsets: Latin in DejaVu Sans, Chinese in Noto Sans CJK. With Noto
// Sans CJK alone, any Latin glyph of it made cairo keep ~750 KB more of the font, and the 60
// records' PDF was 908 KB (pdf_canvas.cc). The whole file now is ~170 KB.
TEST(TranscriptPdf, FontsAreEmbeddedAsSmallSubsets) {
  TempDir dir;
  std::string path = WritePdf(dir, Sample(60));
  EXPECT_LT(std::filesystem::file_size(path), 400u * 1024);
  const std::string fonts = Shell("pdffonts '" + path + "'");
  EXPECT_NE(fonts.find("NotoSansCJKsc-Regular"), std::string::npos) << fonts;
  EXPECT_NE(fonts.find("DejaVuSans"), std::string::npos) << fonts;
  // Every embedded font is a subset (the "sub" column).
  std::istringstream lines(fonts);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    if (line.find("yes") == std::string::npos) continue;  // header lines
    ++rows;
    EXPECT_NE(line.find("yes yes yes"), std::string::npos) << line;
  }
  EXPECT_GE(rows, 2);
}

TEST(TranscriptPdf, EqualInputGivesEqualBytes) {
  auto a = RenderTranscriptPdf(Sample(5));
  auto b = RenderTranscriptPdf(Sample(5));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->substr(0, 5), "%PDF-");
}

TEST(TranscriptPdf, BadInputIsRefusedNamingTheField) {
  TranscriptInput in = Sample(3);
  in.records[2].unit_title = std::string("bad\xff");
  auto r = RenderTranscriptPdf(in);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().pointer(), "/records/2/unit_title");

  in = Sample(1);
  in.verification_url.clear();
  EXPECT_EQ(RenderTranscriptPdf(in).status().pointer(), "/verification_url");
  in = Sample(1);
  in.checkpoint.root_hash_hex = "XYZ";
  EXPECT_EQ(RenderTranscriptPdf(in).status().pointer(), "/checkpoint/root_hash_hex");
  in = Sample(1);
  in.learner_name = "a\nb";
  EXPECT_EQ(RenderTranscriptPdf(in).status().pointer(), "/learner_name");
  in = Sample(1);
  in.verification_url = std::string(kMaxVerificationUrl + 1, 'a');
  EXPECT_EQ(RenderTranscriptPdf(in).status().pointer(), "/verification_url");
}

}  // namespace
}  // namespace lcb
