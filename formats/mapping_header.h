// Internals of mapping_apply.cc: matching a file's header to a mapping's columns, and choosing
// each field's rule (the first alternative whose columns the header has).
#pragma once

#include <string>
#include <vector>

#include "formats/mapping.h"
#include "formats/source_table.h"

namespace lcb::formats::mapping_internal {

struct HeaderMatch {
  int header_line = 0;
  size_t first_data_row = 0;               // index into source rows
  std::vector<const ColumnSpec*> spec_of;  // per source column; nullptr = ignored
  std::vector<int> column_of_spec;         // per mapping column; -1 = absent
  std::vector<const FieldRule*> rule_of;   // per mapping field; nullptr = none applies
  // Source columns without a header that hold values below it (a merged header cell, notes
  // typed beside the table): each such value is a problem of its own row, not of the header.
  std::vector<size_t> unnamed_with_values;
};

// Index into source rows of the first row below the header: 0 when the header is the table's
// first row (or no row has the mapping's required columns), r + 1 when it is rows[r].
size_t FirstDataRow(const SourceTable& source, const Mapping& mapping);

// The rows below a header found at source row `header_row` (-1: the table's own header; else
// rows[header_row]) that the file cannot give: a CSV line ParseCsv padded or cut (it lost or
// gained fields: not a title, since it lies below the header) and an XLSX cell of
// SourceTable::unread in a column with column_read[index] true. Problems appended, in line order.
void CheckRowsBelowHeader(const SourceTable& source, long header_row,
                          const std::vector<bool>& column_read, std::vector<CellProblem>* problems);

// Finds the header row and matches it; appends problems (missing, duplicate, unknown columns,
// fields no alternative can fill).
HeaderMatch MatchHeader(const SourceTable& source, const Mapping& mapping,
                        std::vector<CellProblem>* problems);

// Index of `name` in mapping.columns (declared: ParseMapping checked every rule's columns).
size_t SpecIndex(const Mapping& mapping, const std::string& name);

// The columns a rule reads: for a template, the present alternative of each placeholder.
std::vector<size_t> RuleColumns(const Mapping& mapping, const FieldRule& rule,
                                const std::vector<int>& column_of_spec);

}  // namespace lcb::formats::mapping_internal
