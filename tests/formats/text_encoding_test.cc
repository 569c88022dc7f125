// Encodings of registrar CSV files: UTF-8 with and without BOM, GB18030 (including its
// four-byte sequences) and GBK, detection, and invalid bytes named by line. The expected
// bytes were produced by Python's gb18030/gbk codecs, an implementation independent of glibc.
#include "formats/text_encoding.h"

#include <gtest/gtest.h>

#include "formats/registrar_file.h"

namespace lcb::formats {
namespace {

// "学号,姓名\n" in GB18030 (and GBK: the same two-byte codes).
constexpr char kGbHeader[] = "\xD1\xA7\xBA\xC5,\xD0\xD5\xC3\xFB\n";
// 张三 (D5C5 C8FD), 𠀀 U+20000 (95 32 82 36), 😀 U+1F600 (94 39 FC 36), € (A2 E3).
constexpr char kGbRow[] = "\xD5\xC5\xC8\xFD,\x95\x32\x82\x36\x94\x39\xFC\x36\xA2\xE3\n";

TEST(DecodeText, Gb18030FourByteSequences) {
  std::vector<CellProblem> problems;
  auto d = DecodeText(std::string(kGbHeader) + kGbRow, Encoding::kGb18030, &problems);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->text, "学号,姓名\n张三,\U00020000\U0001F600€\n");
  EXPECT_TRUE(problems.empty());
}

TEST(DecodeText, DetectsGb18030WhenNotUtf8) {
  std::vector<CellProblem> problems;
  auto d = DecodeText(std::string(kGbHeader) + kGbRow, Encoding::kAuto, &problems);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->encoding, Encoding::kGb18030);
  EXPECT_EQ(d->text.substr(0, 13), "学号,姓名");
}

TEST(DecodeText, Gbk) {
  std::vector<CellProblem> problems;
  auto d = DecodeText("\xD5\xC5\xC8\xFD\xA1\xA4", Encoding::kGbk, &problems);  // 张三·
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->text, "张三·");
  // GBK has no four-byte sequences: U+20000 in GB18030 is invalid GBK.
  problems.clear();
  auto bad = DecodeText("ok\n\x95\x32\x82\x36\n", Encoding::kGbk, &problems);
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 2);
  EXPECT_NE(bad.status().message().find("line 2: bytes 95 32"), std::string::npos)
      << bad.status().message();
}

TEST(DecodeText, Utf8WithAndWithoutBom) {
  std::vector<CellProblem> problems;
  auto plain = DecodeText("学号\n", Encoding::kAuto, &problems);
  auto bom = DecodeText("\xEF\xBB\xBF学号\n", Encoding::kAuto, &problems);
  auto forced = DecodeText("\xEF\xBB\xBF学号\n", Encoding::kUtf8, &problems);
  ASSERT_TRUE(plain.ok() && bom.ok() && forced.ok());
  EXPECT_EQ(plain->text, "学号\n");
  EXPECT_EQ(bom->text, "学号\n");
  EXPECT_EQ(forced->text, "学号\n");
  EXPECT_EQ(bom->encoding, Encoding::kUtf8);
  EXPECT_TRUE(problems.empty());
}

TEST(DecodeText, Gb18030EncodedBomIsDropped) {
  std::vector<CellProblem> problems;
  auto d = DecodeText("\x84\x31\x95\x33\xD5\xC5", Encoding::kGb18030, &problems);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->text, "张");
}

// Found by fuzz_encoding: a file saved twice by tools that each add a mark.
TEST(DecodeText, RepeatedLeadingBomsAreAllDropped) {
  std::vector<CellProblem> problems;
  auto gb = DecodeText("\x84\x31\x95\x33\x84\x31\x95\x33", Encoding::kAuto, &problems);
  auto gb_lead = DecodeText("\x84\x31\x95\x33\x84\x31\x95\x33\xD5\xC5", Encoding::kGb18030,
                            &problems);
  auto utf8 = DecodeText("\xEF\xBB\xBF\xEF\xBB\xBF学号", Encoding::kAuto, &problems);
  ASSERT_TRUE(gb.ok() && gb_lead.ok() && utf8.ok());
  EXPECT_EQ(gb->text, "");
  EXPECT_EQ(gb->encoding, Encoding::kGb18030);
  EXPECT_EQ(gb_lead->text, "张");
  EXPECT_EQ(utf8->text, "学号");
  EXPECT_TRUE(problems.empty());
}

TEST(DecodeText, InvalidBytesNameEveryBadLine) {
  std::vector<CellProblem> problems;
  // Line 2 ends inside nothing but holds 0xFF (never valid in GB18030); line 4 has 0x80.
  auto d = DecodeText("a\nb\xFF\nc\nd\x80x\n", Encoding::kGb18030, &problems);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].line, 2);
  EXPECT_EQ(problems[1].line, 4);
  EXPECT_NE(problems[0].reason.find("FF"), std::string::npos) << problems[0].reason;
}

TEST(DecodeText, TruncatedSequenceAtEnd) {
  std::vector<CellProblem> problems;
  auto d = DecodeText("a\n\xD5", Encoding::kGb18030, &problems);
  ASSERT_FALSE(d.ok());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 2);
}

TEST(DecodeText, InvalidUtf8WhenUtf8IsForced) {
  std::vector<CellProblem> problems;
  auto d = DecodeText(std::string("h\n") + kGbRow, Encoding::kUtf8, &problems);
  ASSERT_FALSE(d.ok());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 2);
  EXPECT_NE(problems[0].reason.find("not valid UTF-8"), std::string::npos);
}

TEST(DecodeText, RefusesUtf16AndBomConflicts) {
  std::vector<CellProblem> problems;
  EXPECT_FALSE(DecodeText("\xFF\xFEh\0i\0", Encoding::kAuto, &problems).ok());
  EXPECT_NE(problems.back().reason.find("UTF-16"), std::string::npos);
  EXPECT_FALSE(DecodeText("\xEF\xBB\xBFh", Encoding::kGb18030, &problems).ok());
  EXPECT_NE(problems.back().reason.find("byte-order mark"), std::string::npos);
}

TEST(DecodeText, ProblemsAreBounded) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "\xFF\n";
  std::vector<CellProblem> problems;
  EXPECT_FALSE(DecodeText(text, Encoding::kGb18030, &problems).ok());
  EXPECT_EQ(problems.size(), kMaxEncodingProblems);
}

TEST(EncodingNames, ParseAndContentType) {
  EXPECT_EQ(*ParseEncodingName("GB18030"), Encoding::kGb18030);
  EXPECT_EQ(*ParseEncodingName("gbk"), Encoding::kGbk);
  EXPECT_EQ(*ParseEncodingName("CP936"), Encoding::kGbk);
  EXPECT_EQ(*ParseEncodingName("utf8"), Encoding::kUtf8);
  EXPECT_EQ(*ParseEncodingName(""), Encoding::kAuto);
  auto bad = ParseEncodingName("latin1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().pointer(), "/encoding");

  EXPECT_EQ(*CharsetOfContentType("text/csv; charset=gb18030"), "gb18030");
  EXPECT_EQ(*CharsetOfContentType("text/csv;Charset=\"GBK\""), "gbk");
  EXPECT_EQ(*CharsetOfContentType("text/csv; header=present; charset=utf-8"), "utf-8");
  EXPECT_FALSE(CharsetOfContentType("text/csv").has_value());
  EXPECT_FALSE(CharsetOfContentType("text/csv; header=present").has_value());
  EXPECT_EQ(MediaTypeOf("Text/CSV ; charset=gbk"), "text/csv");
}

TEST(ReadCsv, Gb18030FileKeepsLinesAndLetters) {
  std::vector<CellProblem> problems;
  auto t = ReadCsv(std::string(kGbHeader) + "\n" + kGbRow, Encoding::kAuto, {}, &problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->encoding, "gb18030");
  EXPECT_EQ(t->table.header, (std::vector<std::string>{"学号", "姓名"}));
  EXPECT_EQ(t->letters, (std::vector<std::string>{"A", "B"}));
  ASSERT_EQ(t->table.rows.size(), 1u);
  EXPECT_EQ(t->table.rows[0].line, 3);  // a blank line 2 is skipped, lines keep counting
}

TEST(ReadCsv, StructuralErrorNamesItsLine) {
  std::vector<CellProblem> problems;
  auto t = ReadCsv("a,b\n1,2\n3\rx,4\n", Encoding::kAuto, {}, &problems);
  ASSERT_FALSE(t.ok());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(FormatProblem(problems[0]),
            "line 3: bare CR outside quotes (lines must end with CRLF or LF)");
  // A line of another width is no structural error: it is kept, its width noted, for the
  // header's finder to refuse as a row of its own (mapping_apply.h).
  problems.clear();
  t = ReadCsv("a,b\n1,2\n3\n4,5\n", Encoding::kAuto, {}, &problems);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(t->table.rows.size(), 3u);
  EXPECT_EQ(t->table.rows[1].padded_from, 1u);
  EXPECT_EQ(t->table.rows[1].fields, (std::vector<std::string>{"3", ""}));
}

// A compound file whose directory cannot be read (the .xls itself and encrypted workbooks are
// told apart in ole2_test.cc).
TEST(ReadRegistrarFile, RefusesOldBinaryOfficeFiles) {
  std::vector<CellProblem> problems;
  auto t = ReadRegistrarFile("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", {}, &problems);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("old binary Office file"), std::string::npos);
}

TEST(SourceTable, ColumnLetters) {
  EXPECT_EQ(ColumnLetter(0), "A");
  EXPECT_EQ(ColumnLetter(25), "Z");
  EXPECT_EQ(ColumnLetter(26), "AA");
  EXPECT_EQ(ColumnLetter(701), "ZZ");
  EXPECT_EQ(ColumnLetter(702), "AAA");
  EXPECT_EQ(ColumnLetter(16383), "XFD");
  for (int i = 0; i < 16384; ++i) ASSERT_EQ(ColumnIndexFromLetters(ColumnLetter(i)), i);
  EXPECT_EQ(ColumnIndexFromLetters("XFE"), -1);
  EXPECT_EQ(ColumnIndexFromLetters("a"), -1);
  EXPECT_EQ(FormatProblem({7, "成绩", "F", "grade_value", "bad"}), "line 7, column F (成绩): bad");
  EXPECT_EQ(FormatProblem({0, "", "", "", "bad"}), "file: bad");
}

}  // namespace
}  // namespace lcb::formats
