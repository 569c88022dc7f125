#include "common/csv.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace lcb {
namespace {

using Fields = std::vector<std::string>;

CsvTable MustParse(std::string_view text) {
  auto t = ParseCsv(text);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *std::move(t) : CsvTable{};
}

// The message of a parse error, which must be kInvalidArgument.
std::string ErrorOf(std::string_view text, const CsvLimits& limits = {}) {
  auto t = ParseCsv(text, limits);
  EXPECT_FALSE(t.ok());
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  return t.status().message();
}

TEST(CsvTest, HeaderAndRowsWithLf) {
  CsvTable t = MustParse("a,b,c\n1,2,3\n4,5,6\n");
  EXPECT_EQ(t.header, (Fields{"a", "b", "c"}));
  EXPECT_EQ(t.header_line, 1);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"1", "2", "3"}));
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_EQ(t.rows[1].fields, (Fields{"4", "5", "6"}));
  EXPECT_EQ(t.rows[1].line, 3);
}

TEST(CsvTest, CrlfAndNoTrailingNewline) {
  CsvTable t = MustParse("a,b\r\n1,2\r\n3,4");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"1", "2"}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"3", "4"}));
  EXPECT_EQ(t.rows[1].line, 3);
}

TEST(CsvTest, MixedLineEndings) {
  CsvTable t = MustParse("a,b\r\n1,2\n3,4\r\n");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1].fields, (Fields{"3", "4"}));
}

TEST(CsvTest, EmptyFields) {
  CsvTable t = MustParse("a,b,c\n,,\n1,,\n,,3\n");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"", "", ""}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"1", "", ""}));
  EXPECT_EQ(t.rows[2].fields, (Fields{"", "", "3"}));
}

TEST(CsvTest, TrailingCommaAtEndOfFileIsAnEmptyField) {
  CsvTable t = MustParse("a,b\n1,");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"1", ""}));
}

TEST(CsvTest, QuotedFieldsWithCommasQuotesAndNewlines) {
  CsvTable t = MustParse(
      "id,note\n"
      "1,\"a, b\"\n"
      "2,\"say \"\"hi\"\"\"\n"
      "3,\"two\nlines\"\n"
      "4,\"crlf\r\ninside\"\n"
      "5,\"\"\n"
      "6,\"\"\"\"\n");
  ASSERT_EQ(t.rows.size(), 6u);
  EXPECT_EQ(t.rows[0].fields[1], "a, b");
  EXPECT_EQ(t.rows[1].fields[1], "say \"hi\"");
  EXPECT_EQ(t.rows[2].fields[1], "two\nlines");
  EXPECT_EQ(t.rows[3].fields[1], "crlf\r\ninside");  // kept verbatim
  EXPECT_EQ(t.rows[4].fields[1], "");
  EXPECT_EQ(t.rows[5].fields[1], "\"");
  // Physical line numbers: row 3 spans lines 4-5, row 4 spans 6-7.
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_EQ(t.rows[1].line, 3);
  EXPECT_EQ(t.rows[2].line, 4);
  EXPECT_EQ(t.rows[3].line, 6);
  EXPECT_EQ(t.rows[4].line, 8);
  EXPECT_EQ(t.rows[5].line, 9);
}

TEST(CsvTest, QuotedHeaderAndQuotedLastFieldAtEof) {
  CsvTable t = MustParse("\"a\",\"b\"\n\"x\",\"y\"");
  EXPECT_EQ(t.header, (Fields{"a", "b"}));
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"x", "y"}));
}

TEST(CsvTest, SpacesAreKept) {
  CsvTable t = MustParse("a,b\n x , y \n");
  EXPECT_EQ(t.rows[0].fields, (Fields{" x ", " y "}));
}

TEST(CsvTest, BomIsStripped) {
  CsvTable t = MustParse("\xEF\xBB\xBFlearner,unit\nL1,U1\n");
  EXPECT_EQ(t.header, (Fields{"learner", "unit"}));
  // Only a leading BOM is special; one inside a field is data.
  CsvTable u = MustParse("a\n\xEF\xBB\xBFx\n");
  EXPECT_EQ(u.rows[0].fields[0], "\xEF\xBB\xBFx");
}

TEST(CsvTest, ChineseSurvivesByteExact) {
  const std::string name = "张三";
  const std::string grade = "优秀";
  const std::string title = "高等数学（上），第二版";
  const std::string emoji = "\xF0\x9F\x8E\x93";  // U+1F393 graduation cap
  std::string text = "\xEF\xBB\xBF姓名,成绩,课程,备注\r\n" + name + "," + grade + ",\"" + title +
                     "\"," + emoji + "\r\n";
  CsvTable t = MustParse(text);
  EXPECT_EQ(t.header, (Fields{"姓名", "成绩", "课程", "备注"}));
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].fields, (Fields{name, grade, title, emoji}));
}

TEST(CsvTest, BlankLinesAreSkippedButCounted) {
  CsvTable t = MustParse("\n\na,b\n\n1,2\r\n\r\n3,4\n\n\n");
  EXPECT_EQ(t.header_line, 3);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].line, 5);
  EXPECT_EQ(t.rows[1].line, 7);
}

TEST(CsvTest, HeaderOnly) {
  CsvTable t = MustParse("a,b\n");
  EXPECT_EQ(t.header, (Fields{"a", "b"}));
  EXPECT_TRUE(t.rows.empty());
}

TEST(CsvTest, EmptyInputIsAnError) {
  EXPECT_EQ(ErrorOf(""), "line 1: empty CSV: no header row");
  EXPECT_NE(ErrorOf("\xEF\xBB\xBF").find("no header"), std::string::npos);
  EXPECT_EQ(ErrorOf("\n\r\n\n"), "line 4: empty CSV: no header row");
}

TEST(CsvTest, RaggedRowsNameTheLine) {
  EXPECT_EQ(ErrorOf("a,b,c\n1,2,3\n1,2\n"), "line 3: expected 3 fields as in the header, found 2");
  EXPECT_EQ(ErrorOf("a,b\n1,2\n\n\"x\ny\",2,3\n"),
            "line 4: expected 2 fields as in the header, found 3");
  // The row after a multi-line field is reported at its physical line.
  EXPECT_EQ(ErrorOf("a,b\n\"1\n2\n3\",x\n1\n"),
            "line 5: expected 2 fields as in the header, found 1");
}

// For a registrar file (formats/registrar_file.h): a line that lost or gained a comma is kept
// for the caller to refuse as a row of its own, so that the file's other problems are found too.
TEST(CsvTest, RaggedRowsKeptWhenAsked) {
  CsvLimits keep;
  keep.keep_ragged_rows = true;
  auto t = ParseCsv("名单\na,b,c\n1,2,3\n1,2\n4,5,6,7\n8,9,10\n", keep);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->rows.size(), 5u);
  EXPECT_EQ(t->rows[0].fields, (Fields{"a", "b", "c"}));
  EXPECT_EQ(t->rows[1].padded_from, 0u);
  EXPECT_EQ(t->rows[2].fields, (Fields{"1", "2", ""}));
  EXPECT_EQ(t->rows[2].padded_from, 2u);
  EXPECT_EQ(t->rows[2].line, 4);
  EXPECT_EQ(t->rows[3].fields, (Fields{"4", "5", "6"}));
  EXPECT_EQ(t->rows[3].padded_from, 4u);
  EXPECT_EQ(t->rows[4].padded_from, 0u);
  // Without a title too; the header sets the width.
  t = ParseCsv("a,b,c\n1,2\n4,5,6\n7,8,9\n", keep);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->rows[0].padded_from, 2u);
  // A header not as wide as most records: the rows are not where they seem, the file is refused.
  EXPECT_EQ(ErrorOf("a,b,c\n1,2\n3,4\n", keep),
            "line 2: expected 3 fields as in the header, found 2");
}

// Rows of empty fields only (",,,": rows Excel wrote because they were formatted or cleared)
// are skipped like blank lines when asked, whatever their width, and their lines are not
// counted into the others'.
TEST(CsvTest, EmptyRecordsSkippedWhenAsked) {
  CsvLimits skip;
  skip.skip_empty_records = true;
  auto t = ParseCsv(",,\na,b,c\n1,2,3\n,,\n\"\",,\n,\n4,5,6\n,,,,\n", skip);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->header, (Fields{"a", "b", "c"}));
  EXPECT_EQ(t->header_line, 2);
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[1].fields, (Fields{"4", "5", "6"}));
  EXPECT_EQ(t->rows[1].line, 7);
  // A row with one space is not empty; without the option, empty rows are rows.
  t = ParseCsv("a,b\n, \n", skip);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->rows.size(), 1u);
  EXPECT_EQ(ErrorOf("a,b,c\n1,2,3\n,\n"), "line 3: expected 3 fields as in the header, found 2");
}

TEST(CsvTest, TitleLinesAboveTheHeaderMayBeNarrower) {
  // Typed by hand (or by a script) without the commas Excel adds: two title lines, then the
  // table. They are padded to the table's width; finding the header is the caller's.
  CsvTable t =
      MustParse("清华大学 2024 年秋季学分认定名单\n制表：教务处,2025-01-10\na,b,c\n1,2,3\n4,5,6\n");
  EXPECT_EQ(t.header, (Fields{"清华大学 2024 年秋季学分认定名单", "", ""}));
  EXPECT_EQ(t.header_line, 1);
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"制表：教务处", "2025-01-10", ""}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"a", "b", "c"}));
  EXPECT_EQ(t.rows[3].line, 5);

  // Below the first record of the table's width, every record must have it; the error names
  // the line that set the width.
  EXPECT_EQ(ErrorOf("名单\na,b,c\n1,2,3\n1,2\n4,5,6\n"),
            "line 4: expected 3 fields as in the header (line 2), found 2");
  // A short first data row is not a title: the header (the first record) sets the width.
  EXPECT_EQ(ErrorOf("a,b,c\n1,2\n4,5,6\n7,8,9\n"),
            "line 2: expected 3 fields as in the header, found 2");
  // A header wider than most rows is not padded down: the first record decides.
  EXPECT_EQ(ErrorOf("a,b,c\n1,2\n3,4\n"), "line 2: expected 3 fields as in the header, found 2");
  // More than ten narrower lines are not titles.
  std::string many;
  for (int i = 0; i < 11; ++i) many += "title\n";
  for (int i = 0; i < 20; ++i) many += "1,2\n";
  EXPECT_EQ(ErrorOf(many), "line 12: expected 1 fields as in the header, found 2");
  // A title and a header alone (no rows yet): the wider record is the table.
  t = MustParse("名单\na,b\n");
  EXPECT_EQ(t.header, (Fields{"名单", ""}));
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"a", "b"}));
  EXPECT_EQ(t.rows[0].padded_from, 0u);
  // More title lines than rows: the run of one width that ends the file is the table.
  t = MustParse("标题\n制表\n日期\na,b,c\n1,2,3\n");
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[1].fields, (Fields{"日期", "", ""}));
  EXPECT_EQ(t.rows[1].padded_from, 1u);
  EXPECT_EQ(t.rows[2].padded_from, 0u);
  // Exactly ten title lines.
  std::string ten;
  for (int i = 0; i < 10; ++i) ten += "title\n";
  t = MustParse(ten + "a,b\n1,2\n");
  EXPECT_EQ(t.rows.size(), 11u);
  // A narrower line among the first ones may be padded here (a header followed by rows with a
  // trailing comma, and one short row): it keeps its width, and the caller that finds the
  // header above it refuses it (formats/mapping_apply.h).
  t = MustParse("a,b,c\n1,2\n4,5,6,\n7,8,9,\n");
  EXPECT_EQ(t.header, (Fields{"a", "b", "c", ""}));
  EXPECT_EQ(t.rows[0].fields, (Fields{"1", "2", "", ""}));
  EXPECT_EQ(t.rows[0].padded_from, 2u);
}

TEST(CsvTest, InvalidUtf8NamesTheLine) {
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,\xFF\n"), "line 3: invalid UTF-8 (the file must be UTF-8)");
  // GBK-encoded 张三 (a common export mistake).
  EXPECT_EQ(ErrorOf("a\n\xD5\xC5\xC8\xFD\n"), "line 2: invalid UTF-8 (the file must be UTF-8)");
  // Inside a quoted multi-line field: the physical line of the bad byte.
  EXPECT_EQ(ErrorOf("a\n\"x\ny\xC0\xAF\"\n"), "line 3: invalid UTF-8 (the file must be UTF-8)");
}

TEST(CsvTest, Utf8EdgeCases) {
  EXPECT_EQ(FindInvalidUtf8("plain ascii"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("张三\xF0\x9F\x8E\x93"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("\xC2\x80"), std::string_view::npos);          // U+0080
  EXPECT_EQ(FindInvalidUtf8("\xF4\x8F\xBF\xBF"), std::string_view::npos);  // U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("\xEF\xBF\xBF"), std::string_view::npos);      // U+FFFF
  EXPECT_EQ(FindInvalidUtf8("ab\xC0\x80"), 2u);                            // overlong NUL
  EXPECT_EQ(FindInvalidUtf8("\xC1\xBF"), 0u);                              // overlong
  EXPECT_EQ(FindInvalidUtf8("\xE0\x80\x80"), 0u);                          // overlong
  EXPECT_EQ(FindInvalidUtf8("\xF0\x80\x80\x80"), 0u);                      // overlong
  EXPECT_EQ(FindInvalidUtf8("\xED\xA0\x80"), 0u);                          // surrogate D800
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);                      // > U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("\xF5\x80\x80\x80"), 0u);
  EXPECT_EQ(FindInvalidUtf8("x\x80"), 1u);      // lone continuation
  EXPECT_EQ(FindInvalidUtf8("x\xE5\xBC"), 1u);  // truncated at end
  EXPECT_EQ(FindInvalidUtf8("x\xE5\xBC"
                            "a"),
            1u);  // truncated mid
  EXPECT_EQ(Utf8Length("张三ab"), 4u);
  EXPECT_EQ(Utf8Length(""), 0u);
}

TEST(CsvTest, NulIsRejected) {
  using namespace std::string_literals;
  EXPECT_EQ(ErrorOf("a\nx\0y\n"s), "line 2: NUL byte in CSV");
}

TEST(CsvTest, UnclosedQuoteNamesTheLineWhereItOpened) {
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,\"open\n\nstill open\n"), "line 3: quoted field is not closed");
}

TEST(CsvTest, GarbageAfterClosingQuote) {
  EXPECT_EQ(ErrorOf("a,b\n\"x\"y,2\n"), "line 2: unexpected character after a closing quote");
  EXPECT_EQ(ErrorOf("a,b\n\"x\" ,2\n"), "line 2: unexpected character after a closing quote");
}

TEST(CsvTest, QuoteInsideUnquotedField) {
  EXPECT_NE(ErrorOf("a\n5\" floppy\n").find("line 2: quote inside an unquoted field"),
            std::string::npos);
}

TEST(CsvTest, BareCrIsRejected) {
  EXPECT_NE(ErrorOf("a,b\r1,2\r").find("line 1: bare CR"), std::string::npos);
  EXPECT_NE(ErrorOf("a,b\n1,2\rx\n").find("line 2: bare CR"), std::string::npos);
  EXPECT_NE(ErrorOf("a,b\n\r").find("line 2: bare CR"), std::string::npos);
  EXPECT_NE(ErrorOf("a,b\n\"1\"\r").find("line 2: bare CR"), std::string::npos);
}

TEST(CsvTest, Limits) {
  CsvLimits limits;
  limits.max_fields = 3;
  limits.max_field_bytes = 5;
  limits.max_rows = 2;
  EXPECT_TRUE(ParseCsv("a,b,c\n12345,\"12345\",\"\"\"\"\"\"\n", limits).ok());
  EXPECT_EQ(ErrorOf("a,b,c,d\n", limits), "line 1: more than 3 fields");
  EXPECT_EQ(ErrorOf("a\n123456\n", limits), "line 2: field longer than 5 bytes");
  EXPECT_EQ(ErrorOf("a\n\"123\n456\"\n", limits), "line 2: field longer than 5 bytes");
  EXPECT_TRUE(ParseCsv("a\n\"12\"\"\"\"\"\"\"\n", limits).ok());  // 12""" is 5 bytes
  EXPECT_EQ(ErrorOf("a\n\"12\"\"\"\"\"\"\"\"\"\n", limits),       // 12"""" is 6
            "line 2: field longer than 5 bytes");
  EXPECT_EQ(ErrorOf("a\n1\n2\n3\n", limits), "line 4: more than 2 rows");
}

// Round trip: write random tables with a quoting writer, parse them back.
std::string Quote(const std::string& f) {
  std::string out = "\"";
  for (char c : f) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

TEST(CsvTest, RandomRoundTrip) {
  std::mt19937 rng(4180);
  const std::vector<std::string> atoms = {
      "a", "Z", "0", ",", "\"", "\n", "\r\n", " ", "张", "优秀", "\xF0\x9F\x8E\x93", "é", "\t"};
  for (int iter = 0; iter < 300; ++iter) {
    const size_t cols = 1 + rng() % 6;
    const size_t nrows = rng() % 8;
    std::vector<Fields> table(nrows + 1, Fields(cols));
    std::string text = rng() % 2 ? "\xEF\xBB\xBF" : "";
    const std::string eol = rng() % 2 ? "\r\n" : "\n";
    for (size_t r = 0; r <= nrows; ++r) {
      for (size_t c = 0; c < cols; ++c) {
        std::string f;
        const size_t len = rng() % 5;
        for (size_t k = 0; k < len; ++k) f += atoms[rng() % atoms.size()];
        // A one-column row whose only field is empty would be a blank line; quote it.
        const bool must_quote =
            f.find_first_of(",\"\r\n") != std::string::npos || (cols == 1 && f.empty());
        table[r][c] = f;
        if (c) text += ',';
        text += (must_quote || rng() % 4 == 0) ? Quote(f) : f;
      }
      if (r < nrows || rng() % 2) text += eol;
    }
    auto parsed = ParseCsv(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << text;
    EXPECT_EQ(parsed->header, table[0]);
    ASSERT_EQ(parsed->rows.size(), nrows);
    for (size_t r = 0; r < nrows; ++r) EXPECT_EQ(parsed->rows[r].fields, table[r + 1]);
  }
}

// Any byte string either parses or yields a line-numbered error; never crashes.
TEST(CsvTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("ab,\"\r\n\xE5\xBC\xA0\xFF") + '\0';
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    const size_t len = rng() % 40;
    for (size_t k = 0; k < len; ++k) text += alphabet[rng() % alphabet.size()];
    auto parsed = ParseCsv(text);
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().message().rfind("line ", 0), 0u) << parsed.status().message();
    }
  }
}

}  // namespace
}  // namespace lcb
