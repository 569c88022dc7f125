// A registrar's file, whatever its format, as a SourceTable: CSV in UTF-8 or GB18030/GBK
// (text_encoding.h, then common/csv.h), or an XLSX sheet (xlsx.h). The format is told by the
// bytes, not by the name: a ZIP archive is XLSX; an OLE2 compound file (the old binary .xls)
// is refused with a message saying to save as .xlsx; anything else is CSV.
//
// Thread-safe: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/csv.h"
#include "common/status.h"
#include "formats/source_table.h"
#include "formats/text_encoding.h"
#include "formats/xlsx.h"

namespace lcb::formats {

struct ReadOptions {
  Encoding encoding = Encoding::kAuto;  // CSV only
  std::string sheet;                    // XLSX only; "" = the first sheet
  CsvLimits csv;
  XlsxLimits xlsx;
};

// Decodes and parses a CSV file. A structural CSV error (common/csv.h: a bare CR, a stray quote)
// stops at its line; a line of another width than the table is kept for the header's finder to
// refuse as a row of its own (CsvLimits::keep_ragged_rows), so the file's other problems come too.
StatusOr<SourceTable> ReadCsv(std::string_view bytes, Encoding encoding, const CsvLimits& limits,
                              std::vector<CellProblem>* problems);

// CSV or XLSX, told by the bytes. Every problem found is appended to *problems; when there is
// any, the result is InvalidArgument with the first one's message.
StatusOr<SourceTable> ReadRegistrarFile(std::string_view bytes, const ReadOptions& options,
                                        std::vector<CellProblem>* problems);

}  // namespace lcb::formats
