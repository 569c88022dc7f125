#include "formats/registrar_file.h"

#include <cstdlib>

#include "formats/ole2.h"

namespace lcb::formats {
namespace {

// common/csv.h errors read "line N: reason".
CellProblem ProblemFromCsvError(const Status& s) {
  std::string_view msg = s.message();
  CellProblem p;
  if (msg.starts_with("line ")) {
    const size_t colon = msg.find(": ");
    p.line = std::atoi(std::string(msg.substr(5, colon - 5)).c_str());
    if (colon != std::string_view::npos) msg.remove_prefix(colon + 2);
  }
  p.reason = std::string(msg);
  return p;
}

}  // namespace

StatusOr<SourceTable> ReadCsv(std::string_view bytes, Encoding encoding, const CsvLimits& limits,
                              std::vector<CellProblem>* problems) {
  LCB_ASSIGN_OR_RETURN(DecodedText decoded, DecodeText(bytes, encoding, problems));
  CsvLimits ragged = limits;
  ragged.keep_ragged_rows = true;  // refused as rows of their own (mapping_apply.h)
  ragged.skip_empty_records = true;
  auto table = ParseCsv(decoded.text, ragged);
  if (!table.ok()) {
    problems->push_back(ProblemFromCsvError(table.status()));
    return Status::InvalidArgument(Field(""), FormatProblem(problems->back()));
  }
  SourceTable out;
  out.kind = SourceKind::kCsv;
  out.encoding = std::string(EncodingName(decoded.encoding));
  out.letters = ColumnLetters(table->header.size());
  out.table = std::move(table).value();
  return out;
}

StatusOr<SourceTable> ReadRegistrarFile(std::string_view bytes, const ReadOptions& options,
                                        std::vector<CellProblem>* problems) {
  if (auto advice = Ole2Advice(bytes)) {  // .xls, or a password-protected .xlsx
    problems->push_back(CellProblem{0, "", "", "", std::move(*advice)});
    return Status::InvalidArgument(Field(""), problems->back().reason);
  }
  if (LooksLikeZip(bytes)) return ReadXlsx(bytes, options.sheet, options.xlsx, problems);
  return ReadCsv(bytes, options.encoding, options.csv, problems);
}

}  // namespace lcb::formats
