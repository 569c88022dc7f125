#include "formats/upload.h"

#include "formats/ole2.h"
#include "formats/xlsx.h"

namespace lcb::formats {
namespace {

Status BadContentType(std::string message) {
  return Status::InvalidArgument(Field("/content-type"), std::move(message));
}

// The problems found so far as the call's result.
Status Failed(const std::vector<CellProblem>& problems, size_t before, const Status& fallback) {
  if (problems.size() > before) {
    return Status::InvalidArgument(Field(""), FormatProblem(problems[before]));
  }
  return fallback;
}

}  // namespace

bool IsFileUpload(std::string_view content_type) {
  const std::string media = MediaTypeOf(content_type);
  return media == "text/csv" || media == kXlsxMediaType;
}

Status CheckCsvBody(std::string_view body, bool sheet) {
  if (auto advice = Ole2Advice(body)) return BadContentType(std::move(*advice));
  if (LooksLikeZip(body)) {
    return BadContentType(
        "the body is a ZIP archive (an .xlsx workbook?), not CSV: send a "
        "workbook with Content-Type " +
        std::string(kXlsxMediaType));
  }
  if (sheet) {
    return Status::InvalidArgument(
        Field("/sheet"), "a CSV body has no sheets: ?sheet= names a sheet of an XLSX workbook");
  }
  return Status::Ok();
}

StatusOr<MappedTable> ReadRecordUpload(std::string_view content_type, std::string_view body,
                                       const UploadOptions& options, RegistrarResolver* resolver,
                                       std::vector<CellProblem>* problems) {
  const size_t before = problems->size();
  const std::string media = MediaTypeOf(content_type);
  StatusOr<SourceTable> source = Status::Internal("unread");
  if (media == "text/csv") {
    LCB_RETURN_IF_ERROR(CheckCsvBody(body, !options.sheet.empty()));
    Encoding encoding = Encoding::kUtf8;  // DESIGN.md: UTF-8 when no charset is given
    if (auto charset = CharsetOfContentType(content_type)) {
      auto parsed = ParseEncodingName(*charset);
      if (!parsed.ok() || *parsed == Encoding::kAuto) {
        return BadContentType("charset " + charset->substr(0, 40) +
                              " is not read; send utf-8, gb18030 or gbk");
      }
      encoding = *parsed;
    }
    source = ReadCsv(body, encoding, options.csv, problems);
  } else if (media == kXlsxMediaType) {
    source = ReadXlsx(body, options.sheet, options.xlsx, problems);
  } else {
    return BadContentType("a file upload is text/csv or " + std::string(kXlsxMediaType));
  }
  if (!source.ok()) return Failed(*problems, before, source.status());
  StatusOr<MappedTable> mapped = Status::Internal("unmapped");
  if (options.mapping.empty()) {
    mapped = IdentityMapping(std::move(source).value(), problems);
  } else {
    if (!resolver) return Status::Internal("ReadRecordUpload: a mapping needs a resolver");
    LCB_ASSIGN_OR_RETURN(Mapping mapping, BuiltinMapping(options.mapping));
    mapped = ApplyMapping(*source, mapping, *resolver, problems);
  }
  if (!mapped.ok()) return Failed(*problems, before, mapped.status());
  if (problems->size() > before && !options.return_refused_rows) {
    return Failed(*problems, before, Status::Ok());
  }
  return mapped;
}

nlohmann::json ProblemsJson(const std::vector<CellProblem>& problems, size_t max) {
  nlohmann::json out = nlohmann::json::array();
  for (const CellProblem& p : problems) {
    if (out.size() >= max) break;
    nlohmann::json e = nlohmann::json::object();
    if (p.line > 0) e["line"] = p.line;
    if (!p.column.empty()) e["column"] = p.column;
    if (!p.letter.empty()) e["letter"] = p.letter;
    if (!p.field.empty()) e["field"] = p.field;
    e["detail"] = FormatProblem(p);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace lcb::formats
