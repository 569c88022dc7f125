// Internals of xlsx.cc shared by its two files: the package (rels, workbook, styles, shared
// strings) in xlsx_package.cc and the worksheet's cells in xlsx_sheet.cc.
#pragma once

#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "formats/source_table.h"
#include "formats/xlsx.h"
#include "formats/zip_reader.h"

namespace lcb::formats::xlsx_internal {

// pugixml flags for every XLSX part: entities and CDATA decoded, a whitespace-only text kept
// when it is an element's only child (<t xml:space="preserve"> </t>), slices of several
// sibling elements allowed.
inline constexpr unsigned kParseFlags =
    pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_fragment;

// Bytes of child elements handed to pugixml at a time.
inline constexpr size_t kSliceBytes = 1 << 20;

struct Workbook {
  bool date1904 = false;
  // <calcPr fullCalcOnLoad="1">: the producer did not compute its formulas (XlsxWriter saves 0,
  // openpyxl nothing) and asks the reader to; their saved results are not to be trusted.
  bool full_calc_on_load = false;
  std::string sheet_name;
  std::string sheet_part;           // e.g. "xl/worksheets/sheet1.xml"
  std::string shared_strings_part;  // "" when the workbook has none
  std::string styles_part;          // "" when the workbook has none
};

// Opens the package's workbook and picks the sheet ("" = the first).
StatusOr<Workbook> ReadWorkbook(ZipReader& zip, std::string_view sheet_name,
                                const XlsxLimits& limits);

// The shared-string table (empty when `part` is "").
StatusOr<std::vector<std::string>> ReadSharedStrings(ZipReader& zip, const std::string& part,
                                                     const XlsxLimits& limits);

// For each cell format (cellXfs index, a cell's s="..."), whether it shows a date.
StatusOr<std::vector<bool>> ReadDateStyles(ZipReader& zip, const std::string& part,
                                           const XlsxLimits& limits);

struct SheetContext {
  const Workbook& workbook;
  const std::vector<std::string>& shared_strings;
  const std::vector<bool>& date_styles;
  const XlsxLimits& limits;
};

// The cells of worksheet XML `xml` as a table (see xlsx.h for the rules).
StatusOr<SourceTable> ReadSheet(std::string_view xml, const SheetContext& context,
                                std::vector<CellProblem>* problems);

// Parses `xml` (a whole small part, or a slice) into `doc`; InvalidArgument naming `part`.
Status ParseXml(std::string_view xml, std::string_view part, pugi::xml_document* doc);

// Children of `node` whose local name is `name`, and the like for attributes.
pugi::xml_node Child(pugi::xml_node node, std::string_view name);
pugi::xml_attribute Attr(pugi::xml_node node, std::string_view local_name);

Status Invalid(std::string message);

}  // namespace lcb::formats::xlsx_internal
