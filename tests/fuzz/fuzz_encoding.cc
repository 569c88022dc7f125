// Registrar CSV text decoding (formats/text_encoding.h) and reading (formats/registrar_file.h
// ReadCsv): the first byte picks the encoding (auto, utf-8, gb18030, gbk), the rest is the
// file. Also the Content-Type charset reader on the same bytes.
//
// Properties:
//   - a decoded text is well-formed UTF-8 without a leading BOM, and has exactly as many LF
//     bytes as the input (so every line number of a later error is the file's own);
//   - a refusal is InvalidArgument naming at least one line within the file, at most
//     kMaxEncodingProblems of them, in increasing line order;
//   - ReadCsv agrees with DecodeText about whether the bytes decode, and a table it returns has
//     one letter per header column;
//   - a charset read from a Content-Type is lowercase and never has quotes around it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/csv.h"
#include "formats/registrar_file.h"
#include "formats/text_encoding.h"
#include "tests/fuzz/fuzz_util.h"

namespace lcb::fuzz {
namespace {

constexpr formats::Encoding kEncodings[] = {formats::Encoding::kAuto, formats::Encoding::kUtf8,
                                            formats::Encoding::kGb18030, formats::Encoding::kGbk};

void CheckDecode(std::string_view bytes, formats::Encoding encoding) {
  std::vector<formats::CellProblem> problems;
  auto decoded = formats::DecodeText(bytes, encoding, &problems);
  const int lines = 1 + static_cast<int>(std::count(bytes.begin(), bytes.end(), '\n'));
  if (!decoded.ok()) {
    LCB_FUZZ_CHECK(decoded.status().code() == StatusCode::kInvalidArgument,
                   decoded.status().ToString());
    LCB_FUZZ_CHECK(!problems.empty() && problems.size() <= formats::kMaxEncodingProblems,
                   std::to_string(problems.size()));
    int last = 0;
    for (const auto& p : problems) {
      LCB_FUZZ_CHECK(p.line >= 1 && p.line <= lines, std::to_string(p.line));
      LCB_FUZZ_CHECK(p.line > last, "problems out of line order");
      last = p.line;
    }
  } else {
    const std::string& text = decoded->text;
    LCB_FUZZ_CHECK(FindInvalidUtf8(text) == std::string::npos, "decoded text is not UTF-8");
    LCB_FUZZ_CHECK(!std::string_view(text).starts_with("\xEF\xBB\xBF"), "BOM kept");
    LCB_FUZZ_CHECK(
        std::count(text.begin(), text.end(), '\n') == std::count(bytes.begin(), bytes.end(), '\n'),
        "line count changed by decoding");
    LCB_FUZZ_CHECK(decoded->encoding != formats::Encoding::kAuto, "no encoding chosen");
  }
  std::vector<formats::CellProblem> csv_problems;
  const CsvLimits limits{32, 4096, 2000};
  auto table = formats::ReadCsv(bytes, encoding, limits, &csv_problems);
  if (!decoded.ok()) LCB_FUZZ_CHECK(!table.ok(), "ReadCsv read what DecodeText refused");
  if (table.ok()) {
    LCB_FUZZ_CHECK(table->letters.size() == table->table.header.size(), "letters");
  } else {
    LCB_FUZZ_CHECK(!csv_problems.empty(), table.status().ToString());
  }
}

}  // namespace
}  // namespace lcb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lcb;
  using namespace lcb::fuzz;
  if (size == 0) return 0;
  const std::string_view bytes = AsText(data + 1, size - 1);
  CheckDecode(bytes, kEncodings[data[0] % 4]);
  if (auto charset = formats::CharsetOfContentType(bytes.substr(0, 200))) {
    LCB_FUZZ_CHECK(
        std::none_of(charset->begin(), charset->end(), [](char c) { return c >= 'A' && c <= 'Z'; }),
        *charset);
    (void)formats::ParseEncodingName(*charset);
  }
  return 0;
}
