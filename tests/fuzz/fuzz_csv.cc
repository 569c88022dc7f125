// text/csv record uploads (api/routes_records.cc PostRecords, CSV branch): ParseCsv,
// ValidateRecordCsvHeader, RecordInputFromCsvRow on every row (both overloads), Recognize.
//
// Properties (common/csv.h, engine/recognition.h):
//   - a parse error is InvalidArgument with an empty pointer and a message "line N: ...";
//   - a parsed table is rectangular, within the limits, valid UTF-8 without NUL, with rows in
//     increasing line order after the header;
//   - writing the table back out (every field quoted) and parsing it again gives the same cells;
//   - with keep_ragged_rows (how a registrar file is read), a table the strict parse reads is
//     read the same; otherwise the kept table is rectangular too, each row of another width
//     marked with it, and the error, if any, is the strict parse's;
//   - the copying and the moving RecordInputFromCsvRow agree; row errors are InvalidArgument;
//   - a recognized row passes the checks of record_fixture.h.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/csv.h"
#include "tests/fuzz/record_fixture.h"

namespace lcb::fuzz {
namespace {

// Small limits keep one input fast and let the fuzzer reach every limit check.
constexpr CsvLimits kLimits{/*max_fields=*/32, /*max_field_bytes=*/4096, /*max_rows=*/2000};

std::string Quote(const std::string& field) {
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string WriteCsv(const CsvTable& t) {
  auto line = [](const std::vector<std::string>& fields) {
    std::string out;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ',';
      out += Quote(fields[i]);
    }
    return out + "\r\n";
  };
  std::string out = line(t.header);
  for (const CsvRow& row : t.rows) out += line(row.fields);
  return out;
}

void CheckCells(const std::vector<std::string>& fields) {
  for (const std::string& f : fields) {
    LCB_FUZZ_CHECK(f.size() <= kLimits.max_field_bytes, std::to_string(f.size()));
    LCB_FUZZ_CHECK(FindInvalidUtf8(f) == std::string_view::npos, "cell is not UTF-8");
    LCB_FUZZ_CHECK(f.find('\0') == std::string::npos, "cell holds NUL");
  }
}

}  // namespace
}  // namespace lcb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lcb;
  using namespace lcb::fuzz;
  auto table = ParseCsv(AsText(data, size), kLimits);
  CsvLimits keep = kLimits;
  keep.keep_ragged_rows = true;
  auto kept = ParseCsv(AsText(data, size), keep);
  if (kept.ok()) {
    LCB_FUZZ_CHECK(kept->header == (table.ok() ? table->header : kept->header), "header differs");
    for (size_t i = 0; i < kept->rows.size(); ++i) {
      const CsvRow& row = kept->rows[i];
      LCB_FUZZ_CHECK(row.fields.size() == kept->header.size(), "ragged row kept ragged");
      if (table.ok()) {
        LCB_FUZZ_CHECK(row.fields == table->rows.at(i).fields, "kept row differs");
        LCB_FUZZ_CHECK(row.padded_from == table->rows[i].padded_from, "kept width differs");
      }
    }
  } else {
    LCB_FUZZ_CHECK(!table.ok() && kept.status().message() == table.status().message(),
                   kept.status().ToString());
  }
  if (!table.ok()) {
    const Status& s = table.status();
    LCB_FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument && s.pointer().empty(), s.ToString());
    LCB_FUZZ_CHECK(s.message().starts_with("line "), s.ToString());
    return 0;
  }
  LCB_FUZZ_CHECK(!table->header.empty() && table->header_line >= 1, "no header");
  LCB_FUZZ_CHECK(table->header.size() <= kLimits.max_fields, std::to_string(table->header.size()));
  LCB_FUZZ_CHECK(table->rows.size() <= kLimits.max_rows, std::to_string(table->rows.size()));
  CheckCells(table->header);
  int last_line = table->header_line;
  for (const CsvRow& row : table->rows) {
    LCB_FUZZ_CHECK(row.fields.size() == table->header.size(), "ragged row");
    LCB_FUZZ_CHECK(row.line > last_line,
                   "line " + std::to_string(row.line) + " after " + std::to_string(last_line));
    last_line = row.line;
    CheckCells(row.fields);
  }

  std::string rewritten = WriteCsv(*table);
  auto again =
      ParseCsv(rewritten, CsvLimits{kLimits.max_fields, kLimits.max_field_bytes, kLimits.max_rows});
  LCB_FUZZ_CHECK(again.ok(), again.status().ToString());
  LCB_FUZZ_CHECK(again->header == table->header, "header changed on rewrite");
  LCB_FUZZ_CHECK(again->rows.size() == table->rows.size(), "row count changed on rewrite");
  for (size_t i = 0; i < table->rows.size(); ++i) {
    LCB_FUZZ_CHECK(again->rows[i].fields == table->rows[i].fields, "row changed on rewrite");
  }

  Status header = ValidateRecordCsvHeader(table->header);
  if (!header.ok()) {
    LCB_FUZZ_CHECK(header.code() == StatusCode::kInvalidArgument, header.ToString());
    return 0;
  }
  std::vector<Record> records;
  for (CsvRow& row : table->rows) {
    auto copied = RecordInputFromCsvRow(table->header, row.fields);
    auto moved = RecordInputFromCsvRow(table->header, std::move(row.fields));
    LCB_FUZZ_CHECK(copied.ok() == moved.ok(), copied.status().ToString());
    if (!copied.ok()) {
      LCB_FUZZ_CHECK(copied.status().code() == StatusCode::kInvalidArgument,
                     copied.status().ToString());
      LCB_FUZZ_CHECK(copied.status().pointer() == moved.status().pointer(),
                     copied.status().ToString() + " vs " + moved.status().ToString());
      continue;
    }
    LCB_FUZZ_CHECK(*copied == *moved, "copying and moving mappings differ");
    if (auto r = RecognizeAndCheck(*copied)) records.push_back(*r);
  }
  CheckPassbook(records);
  return 0;
}
