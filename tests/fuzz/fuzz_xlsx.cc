// XLSX reading (formats/xlsx.h ReadXlsx). The first byte picks how the rest is used:
//   even: the rest is the whole file (ZIP archive handling, package and bounds checks); with
//         bit 1 set, after the OLE2 compound file signature (formats/ole2.h: the directory
//         walk that tells an .xls or an encrypted workbook apart);
//   odd:  the rest is split at "\x00\x00" into a worksheet, a shared-string table and a
//         styles part, packaged (stored, so every byte reaches the XML readers) with the
//         fixed relationships and workbook of a real Excel file (bit 1 set: of a workbook
//         that asks for recalculation on load, as XlsxWriter and openpyxl write).
//
// Properties:
//   - a refusal is InvalidArgument with at least one problem, each on a line >= 0 (0 = the
//     file) and, when it names a column letter, a valid one;
//   - a table has a header line >= 1, one letter per header column (A, B, ...), rows in
//     increasing line order after the header, every row as wide as the header, every cell
//     well-formed UTF-8 without NUL and within the cell limit, within the row and column
//     limits.
#include <zip.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/csv.h"
#include "formats/ole2.h"
#include "formats/xlsx.h"
#include "tests/fuzz/fuzz_util.h"

namespace lcb::fuzz {
namespace {

formats::XlsxLimits Limits() {
  formats::XlsxLimits l;
  l.zip.max_entries = 64;
  l.zip.max_part_bytes = 1 << 20;
  l.zip.max_total_bytes = 4 << 20;
  l.max_rows = 500;
  l.max_columns = 64;
  l.max_cell_bytes = 4096;
  l.max_shared_strings = 10000;
  l.max_xml_depth = 32;
  return l;
}

constexpr char kRels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
constexpr char kWorkbookRels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships/sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships/styles\" Target=\"styles.xml\"/></Relationships>";
constexpr char kWorkbook[] =
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<workbookPr date1904=\"0\"/><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/>"
    "</sheets></workbook>";
// As XlsxWriter and openpyxl write it: formulas' saved results are not to be trusted.
constexpr char kWorkbookRecalc[] =
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<workbookPr/><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/>"
    "</sheets><calcPr calcId=\"124519\" fullCalcOnLoad=\"1\"/></workbook>";

std::string Package(const std::vector<std::string_view>& xml, bool recalc) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_t* za = zip_open_from_source(out, ZIP_TRUNCATE, &error);
  if (!za) return {};
  zip_source_keep(out);
  const std::pair<const char*, std::string_view> parts[] = {
      {"_rels/.rels", kRels},
      {"xl/_rels/workbook.xml.rels", kWorkbookRels},
      {"xl/workbook.xml", recalc ? kWorkbookRecalc : kWorkbook},
      {"xl/worksheets/sheet1.xml", xml.size() > 0 ? xml[0] : ""},
      {"xl/sharedStrings.xml", xml.size() > 1 ? xml[1] : ""},
      {"xl/styles.xml", xml.size() > 2 ? xml[2] : ""}};
  for (const auto& [name, data] : parts) {
    zip_source_t* src = zip_source_buffer(za, data.data(), data.size(), 0);
    zip_int64_t idx = zip_file_add(za, name, src, 0);
    if (idx >= 0) zip_set_file_compression(za, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0);
  }
  zip_close(za);
  std::string bytes;
  if (zip_source_open(out) == 0) {
    zip_source_seek(out, 0, SEEK_END);
    bytes.resize(static_cast<size_t>(zip_source_tell(out)));
    zip_source_seek(out, 0, SEEK_SET);
    zip_source_read(out, bytes.data(), bytes.size());
    zip_source_close(out);
  }
  zip_source_free(out);
  return bytes;
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t sep = s.find(std::string_view("\0\0", 2));
    out.push_back(s.substr(0, sep));
    if (sep == std::string_view::npos || out.size() == 3) break;
    s.remove_prefix(sep + 2);
  }
  return out;
}

}  // namespace
}  // namespace lcb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lcb;
  using namespace lcb::fuzz;
  if (size == 0) return 0;
  const std::string_view rest = AsText(data + 1, size - 1);
  const std::string bytes = data[0] % 2 == 1 ? Package(Split(rest), (data[0] & 2) != 0)
                            : (data[0] & 2) != 0
                                ? "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + std::string(rest)
                                : std::string(rest);
  if (formats::SniffOle2(bytes) != formats::Ole2Content::kNotOle2) {
    std::vector<formats::CellProblem> problems;
    auto t = formats::ReadXlsx(bytes, "", Limits(), &problems);
    LCB_FUZZ_CHECK(!t.ok() && problems.size() == 1 && problems[0].line == 0, "compound file");
    return 0;
  }
  const formats::XlsxLimits limits = Limits();
  std::vector<formats::CellProblem> problems;
  auto t = formats::ReadXlsx(bytes, "", limits, &problems);
  if (!t.ok()) {
    LCB_FUZZ_CHECK(t.status().code() == StatusCode::kInvalidArgument, t.status().ToString());
    LCB_FUZZ_CHECK(!problems.empty(), t.status().ToString());
    for (const auto& p : problems) {
      LCB_FUZZ_CHECK(p.line >= 0, std::to_string(p.line));
      LCB_FUZZ_CHECK(p.letter.empty() || formats::ColumnIndexFromLetters(p.letter) >= 0, p.letter);
    }
    return 0;
  }
  const CsvTable& table = t->table;
  LCB_FUZZ_CHECK(table.header_line >= 1, "header line");
  LCB_FUZZ_CHECK(t->letters.size() == table.header.size(), "letters");
  LCB_FUZZ_CHECK(table.header.size() <= limits.max_columns, "columns");
  LCB_FUZZ_CHECK(table.rows.size() <= limits.max_rows, "rows");
  for (size_t i = 0; i < t->letters.size(); ++i) {
    LCB_FUZZ_CHECK(formats::ColumnIndexFromLetters(t->letters[i]) == static_cast<int>(i), "letter");
  }
  int last = table.header_line;
  auto check_cells = [&](const std::vector<std::string>& cells) {
    for (const std::string& c : cells) {
      LCB_FUZZ_CHECK(c.size() <= limits.max_cell_bytes, "cell size");
      LCB_FUZZ_CHECK(FindInvalidUtf8(c) == std::string::npos, "cell not UTF-8");
      LCB_FUZZ_CHECK(c.find('\0') == std::string::npos, "NUL in cell");
    }
  };
  check_cells(table.header);
  for (const CsvRow& row : table.rows) {
    LCB_FUZZ_CHECK(row.line > last, "rows out of order");
    last = row.line;
    LCB_FUZZ_CHECK(row.fields.size() == table.header.size(), "ragged row");
    check_cells(row.fields);
  }
  // A formula without a saved result is noted at a cell of the sheet, and read as empty.
  for (const auto& u : t->unread) {
    LCB_FUZZ_CHECK(u.line >= 1, std::to_string(u.line));
    LCB_FUZZ_CHECK(formats::ColumnIndexFromLetters(u.letter) >= 0, u.letter);
  }
  return 0;
}
