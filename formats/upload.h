// The one call POST /v1/records makes for a file body: the Content-Type and the bytes in, a
// table in the bank's CSV header out (or every problem, each naming line and column).
//
//   text/csv[; charset=utf-8|gb18030|gbk]   CSV; no charset means UTF-8 (DESIGN.md), with or
//                                           without a BOM; another charset is refused
//   application/vnd.openxmlformats-officedocument.spreadsheetml.sheet   XLSX (options.sheet)
//
// With options.mapping empty the file must already be in the bank's header (learner, unit,
// ...); with a mapping name (cn-registrar) it is mapped (mapping_apply.h) through `resolver`,
// which must then be given. Learner accounts the file needs but the bank lacks are left in
// MappedTable::pending: the caller creates them (CreatePendingLearners) only once the whole
// request is valid, and never for a dry run.
//
// Thread-safe as long as the resolver is.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "formats/mapping_apply.h"
#include "formats/registrar_file.h"
#include "formats/source_table.h"

namespace lcb::formats {

struct UploadOptions {
  std::string mapping;  // "" = the bank's own CSV header; else a built-in mapping name
  std::string sheet;    // XLSX: "" = the first sheet
  CsvLimits csv;
  XlsxLimits xlsx;
  // A file whose only problems are its rows' (a cell the mapping refuses, an XLSX cell without
  // its value, a short line) is returned, those rows in MappedTable::refused and their problems
  // appended, so that the caller can check the rest of the file (and of those rows) and answer
  // with every problem at once. Otherwise such a file is InvalidArgument as any other.
  bool return_refused_rows = false;
};

// Whether POST /v1/records should read this body as a file (CSV or XLSX) rather than JSON.
bool IsFileUpload(std::string_view content_type);

// A body sent as text/csv that is not one: a workbook (XLSX, or an .xls compound file) is
// refused at "/content-type" saying what it is, and a ?sheet= (`sheet`) at "/sheet", since a
// CSV has no sheets. Ok otherwise.
Status CheckCsvBody(std::string_view body, bool sheet);

// Reads a file body. Every problem found is appended to *problems and the result is then
// InvalidArgument (pointer "") with the first one's message; a refused charset or media type
// is InvalidArgument pointing at "/content-type" with no problem appended.
StatusOr<MappedTable> ReadRecordUpload(std::string_view content_type, std::string_view body,
                                       const UploadOptions& options, RegistrarResolver* resolver,
                                       std::vector<CellProblem>* problems);

// The problems as the "errors" member of a problem+json body: [{"line", "column", "letter",
// "field", "detail"}] (members with no value left out), at most `max` of them.
nlohmann::json ProblemsJson(const std::vector<CellProblem>& problems, size_t max = 1000);

}  // namespace lcb::formats
