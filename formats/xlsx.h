// XLSX workbooks (ECMA-376 / ISO/IEC 29500 SpreadsheetML, as Excel, WPS Office and the common
// libraries write them) read into a SourceTable: one sheet, its first non-empty row as the
// header, every later non-empty row as a data row whose `line` is the sheet's row number.
//
// What is read:
//   - the package: _rels/.rels -> the workbook part; its rels -> sheets, sharedStrings, styles
//     (part names resolved relative to the workbook, or absolute; ASCII case ignored);
//   - the sheet: the first in the workbook's order, or the one named (exact name first, then
//     ignoring case); an unknown name lists the sheets there are;
//   - cells, by their references (sparse rows and cells: a missing cell is empty; rows and
//     cells without a reference follow the previous one): shared strings (t="s", rich-text runs
//     concatenated, phonetic runs left out), inline strings (t="inlineStr"), formula strings
//     (t="str"), booleans (TRUE/FALSE), error values as their text (#N/A), ISO dates (t="d"),
//     and numbers: shown as Excel shows them (excel_values.h), dates when the cell's number
//     format is a date format, in the workbook's 1900 or 1904 date system. Formulas are not
//     evaluated: the cached value is what is read ("" for a t="str" formula's empty result); a
//     formula without one, or any formula in a workbook whose producer asks for recalculation
//     on load (<calcPr fullCalcOnLoad="1">, as XlsxWriter and openpyxl write, which save 0 or
//     nothing), is read as empty and noted in SourceTable::unread, a problem naming the cell
//     where the mapping reads it (below the header, in a column it uses).
//     Numbers stored as text stay text ("092").
//   - columns: as many as the widest row has (up to its last non-empty cell), every row padded
//     with empty cells. The first non-empty row is `header`; an export's title rows above its
//     real header, and columns without a header, are the mapping's to find (mapping_apply.h).
//
// Bounds (XlsxLimits) against hostile files, each refused with a clear InvalidArgument: the
// ZIP entry count and the uncompressed sizes (zip_reader.h), XML nesting depth (xml_scan.h),
// rows (data rows past max_rows), columns (a non-empty cell past max_columns), shared-string
// count and bytes per cell. A large sheet is parsed a slice of rows at a time, so memory stays
// near the size of the uncompressed sheet plus the table.
//
// Thread-safe: pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "formats/source_table.h"
#include "formats/zip_reader.h"

namespace lcb::formats {

struct XlsxLimits {
  ZipLimits zip;
  size_t max_rows = 1'000'000;        // data rows (as CsvLimits)
  size_t max_columns = 256;           // as CsvLimits::max_fields
  size_t max_cell_bytes = 64 * 1024;  // as CsvLimits::max_field_bytes
  size_t max_shared_strings = 4'000'000;
  int max_xml_depth = 64;
};

// "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
inline constexpr std::string_view kXlsxMediaType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// Whether `bytes` start like a ZIP archive (an XLSX package).
bool LooksLikeZip(std::string_view bytes);

// Reads sheet `sheet_name` ("" = the first) of the workbook in `bytes`. Problems tied to a cell
// (bad shared-string index, a value right of the header, a cell too long, invalid UTF-8) are
// all appended to *problems and the result is then InvalidArgument with the first one's
// message; a problem with the file as a whole is a plain InvalidArgument (and one problem).
StatusOr<SourceTable> ReadXlsx(std::string_view bytes, std::string_view sheet_name,
                               const XlsxLimits& limits, std::vector<CellProblem>* problems);

}  // namespace lcb::formats
