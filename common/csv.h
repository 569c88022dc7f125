// RFC 4180 CSV parsing for registrar exports (POST /v1/records with text/csv, `import`).
//
// Accepted grammar (RFC 4180 §2, with the relaxations real exports need):
//
//   file    = [BOM] *blank record *(eol *blank record) [eol] *blank
//   record  = field *("," field)
//   field   = quoted / plain
//   quoted  = DQUOTE *(any byte except DQUOTE / DQUOTE DQUOTE) DQUOTE
//   plain   = *(any byte except "," / DQUOTE / CR / LF)
//   eol     = CRLF / LF
//   blank   = eol                      ; an empty line outside quotes is skipped
//   BOM     = %xEF.BB.BF               ; stripped
//
// The first record is the header; every later record must have exactly as many fields as the
// header. Except for title lines (an export's or a person's "清华大学 2024 秋季学分认定" above
// the header, typed without the commas Excel would add): the table's width is the one most
// records have (on a tie, the larger) when at most 10 records, each narrower, come before its
// first record and every record from there on has it; or else, when the file ends in a run of
// at least two records of one width with such titles before it, that run's. The titles are
// padded with empty fields and keep their width in CsvRow::padded_from. CsvTable::header is
// still the first record; finding the real header among the first rows is the caller's
// (formats/mapping_apply.h), which refuses a padded row below it. In a file with a bad record,
// the error names the most common width ("line 9: expected 11 fields as in the header (line
// 3), found 10") when titles come before its first record, else the first record's. Width
// errors are found once the whole text has been read.
//
// Quoted fields keep their bytes verbatim, including embedded commas, CR and LF; "" inside
// quotes is one ". The whole input must be valid UTF-8 (no overlongs, surrogates or
// code points above U+10FFFF) and must not contain NUL. A bare CR outside quotes and a quote
// inside a plain field are errors, not guesses.
//
// Every error is kInvalidArgument with an empty pointer and a message that starts with the
// 1-based physical line number: "line 17: expected 11 fields, found 10". Physical lines count
// LF bytes, so a quoted field spanning two lines moves later rows down by one, as an editor
// shows them.
//
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lcb {

struct CsvLimits {
  size_t max_fields = 256;             // per record, header included
  size_t max_field_bytes = 64 * 1024;  // after unquoting
  size_t max_rows = 1'000'000;         // data rows, header excluded
  // A record of another width than the table's below its first is kept (when the table has
  // the width most records have; else the file is refused as without this), padded with empty
  // fields or cut to the table's width, with its own width in CsvRow::padded_from, instead of
  // failing the file: for a caller that reports such rows with the file's other problems
  // (formats/mapping_apply.h refuses every padded row below the header it finds).
  bool keep_ragged_rows = false;
  // A record whose every field is empty (",,,,": what Excel writes for a row that was formatted
  // or cleared) is skipped like a blank line, as a workbook's empty rows are.
  bool skip_empty_records = false;
};

struct CsvRow {
  int line = 0;  // 1-based physical line on which the record starts
  std::vector<std::string> fields;
  // > 0: a line that had this many fields and was padded to the table's width: a title line
  // above the table, or (CsvLimits::keep_ragged_rows) a record of another width in it, cut or
  // padded; a caller that finds its header above such a row refuses the row (see ParseCsv).
  size_t padded_from = 0;
};

struct CsvTable {
  int header_line = 0;
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
};

// Parses `text` (the whole file). An input with no header record (empty, only a BOM, only
// blank lines) is an error.
StatusOr<CsvTable> ParseCsv(std::string_view text, const CsvLimits& limits = {});

// UTF-8 helpers (RFC 3629): the byte offset of the first byte of the first ill-formed sequence,
// or std::string_view::npos when `text` is well-formed.
size_t FindInvalidUtf8(std::string_view text);
// Number of code points in well-formed UTF-8 `text`.
size_t Utf8Length(std::string_view text);

}  // namespace lcb
