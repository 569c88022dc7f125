// Text encodings of registrar CSV files: UTF-8 (with or without a byte-order mark) and the
// national encodings Excel writes on a Chinese Windows, GB18030 and its subset GBK (code page
// 936), converted to UTF-8 with glibc's iconv.
//
// Detection (Encoding::kAuto), in this order:
//   1. a UTF-8 BOM (EF BB BF)                  -> UTF-8 (the BOM is dropped)
//   2. a UTF-16 BOM (FF FE or FE FF)           -> refused: "save as CSV (UTF-8)"
//   3. the whole file is well-formed UTF-8     -> UTF-8 (plain ASCII is UTF-8 too)
//   4. otherwise                               -> GB18030 (a superset of GBK and GB2312)
// A Chinese text in GB18030 is well-formed UTF-8 only by accident, and then only for a few
// characters; a file that is meant to be GB18030 but happens to be valid UTF-8 can be forced
// with an explicit encoding. An explicit UTF-8 file may still start with a BOM; an explicit
// GB18030/GBK file that starts with a UTF-8 BOM is refused (the two disagree; no guessing).
//
// Errors name the physical line (1-based, counting LF bytes, as common/csv.h does): every byte
// 0x0A in GB18030/GBK is a line feed (no multi-byte sequence contains it), so line numbers are
// the same before and after conversion. Thread-safe: pure functions (one iconv handle per call).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "formats/source_table.h"

namespace lcb::formats {

enum class Encoding { kAuto, kUtf8, kGb18030, kGbk };

// "utf-8" / "utf8", "gb18030", "gbk" / "cp936" / "gb2312" (GB2312 is a subset of GBK), any
// case; "" -> kAuto. Anything else is InvalidArgument naming the known names.
StatusOr<Encoding> ParseEncodingName(std::string_view name);
std::string_view EncodingName(Encoding encoding);  // "auto", "utf-8", "gb18030", "gbk"

// The charset parameter of a Content-Type header value, unquoted and lowercased:
// "text/csv; charset=\"GB18030\"" -> "gb18030"; nullopt when there is none.
std::optional<std::string> CharsetOfContentType(std::string_view content_type);

// The media type alone, lowercased, without parameters: "Text/CSV; charset=gbk" -> "text/csv".
std::string MediaTypeOf(std::string_view content_type);

struct DecodedText {
  std::string text;                     // UTF-8, without a BOM
  Encoding encoding = Encoding::kUtf8;  // what the bytes were read as
};

// Bounds the number of bad lines listed for one file: past it, the file is clearly not in the
// encoding and more lines would only bury the first.
inline constexpr size_t kMaxEncodingProblems = 20;

// Converts `bytes` to UTF-8. Every line holding a byte sequence that is invalid in the chosen
// (or detected) encoding is appended to *problems (at most kMaxEncodingProblems), and the
// result is then InvalidArgument with the first one's message ("line 3: ...").
StatusOr<DecodedText> DecodeText(std::string_view bytes, Encoding encoding,
                                 std::vector<CellProblem>* problems);

// Line (1-based) of byte `offset` in `text`: 1 + the LF bytes before it.
int LineOfOffset(std::string_view text, size_t offset);

}  // namespace lcb::formats
