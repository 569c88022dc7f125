// The cells of one worksheet, and ReadXlsx itself.
#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "formats/excel_values.h"
#include "formats/ole2.h"
#include "formats/xlsx_internal.h"
#include "formats/xml_scan.h"

namespace lcb::formats {
namespace xlsx_internal {
namespace {

constexpr long kMaxExcelRow = 1'048'576;

// Builds the table row by row as slices of <sheetData> arrive.
constexpr size_t kMaxUnread = 100'000;  // formula cells without a result kept for the mapping

class SheetBuilder {
 public:
  SheetBuilder(const SheetContext& context, std::vector<CellProblem>* problems)
      : ctx_(context), problems_(problems) {}

  Status AddSlice(const pugi::xml_document& doc) {
    for (pugi::xml_node row : doc.children()) {
      if (LocalName(row.name()) != "row") continue;
      LCB_RETURN_IF_ERROR(AddRow(row));
    }
    return Status::Ok();
  }

  SourceTable Finish() && {
    table_.table.header.resize(width_);
    for (CsvRow& row : table_.table.rows) row.fields.resize(width_);
    table_.letters = ColumnLetters(width_);
    return std::move(table_);
  }

 private:
  Status AddRow(pugi::xml_node row) {
    long number = last_row_ + 1;
    if (pugi::xml_attribute r = Attr(row, "r")) {
      number = std::strtol(r.value(), nullptr, 10);
      if (number < 1 || number > kMaxExcelRow) {
        return Invalid("row reference \"" + std::string(r.value()) + "\" is not a row number");
      }
    }
    if (number <= last_row_) {
      return Invalid("row " + std::to_string(number) + " comes after row " +
                     std::to_string(last_row_) + " (rows must be in order)");
    }
    last_row_ = number;
    cells_.clear();
    const int line = static_cast<int>(number);
    int column = -1;
    for (pugi::xml_node c : row.children()) {
      if (LocalName(c.name()) != "c") continue;
      column = CellColumn(c, column);
      if (column < 0) {
        Problem(line, -1,
                "cell reference \"" + std::string(Attr(c, "r").value()) +
                    "\" is not valid or out of order");
        return Status::Ok();
      }
      std::string text = CellText(c, line, column);
      if (text.empty()) continue;
      if (static_cast<size_t>(column) >= ctx_.limits.max_columns) {
        return Invalid("row " + std::to_string(line) + " has a value in column " +
                       ColumnLetter(column) + ", past the " +
                       std::to_string(ctx_.limits.max_columns) + " columns allowed");
      }
      if (cells_.size() <= static_cast<size_t>(column)) cells_.resize(column + 1);
      cells_[column] = std::move(text);
    }
    return Place(line);
  }

  // The cell's 0-based column: from its reference, else the one after `previous`.
  static int CellColumn(pugi::xml_node c, int previous) {
    pugi::xml_attribute r = Attr(c, "r");
    if (!r) return previous + 1;
    std::string_view ref = r.value();
    size_t letters = 0;
    while (letters < ref.size() && ref[letters] >= 'A' && ref[letters] <= 'Z') ++letters;
    const int column = ColumnIndexFromLetters(ref.substr(0, letters));
    return column > previous ? column : -1;
  }

  // The header is the first row with a value; later rows are data rows. Rows are kept as wide
  // as the widest row (Finish): which row is really the header, and which columns matter, is
  // for the mapping to say (an export may put a title row above its header, or start it in a
  // later column; mapping_apply.h).
  Status Place(int line) {
    if (cells_.empty()) return Status::Ok();  // an empty row, like a blank CSV line
    CsvTable& t = table_.table;
    width_ = std::max(width_, cells_.size());
    if (t.header_line == 0) {
      t.header = std::move(cells_);
      t.header_line = line;
      cells_ = {};
      return Status::Ok();
    }
    if (t.rows.size() >= ctx_.limits.max_rows) {
      return Invalid("the sheet has more than " + std::to_string(ctx_.limits.max_rows) +
                     " rows of data");
    }
    t.rows.push_back(CsvRow{line, std::move(cells_)});
    cells_ = {};
    return Status::Ok();
  }

  std::string CellText(pugi::xml_node c, int line, int column) {
    const std::string_view type = Attr(c, "t").value();
    std::string text;
    if (type == "inlineStr") {
      pugi::xml_node is = Child(c, "is");
      for (pugi::xml_node part : is.children()) {
        const std::string_view name = LocalName(part.name());
        if (name == "t") text += part.child_value();
        if (name == "r") text += Child(part, "t").child_value();
      }
      text = DecodeXstring(text);
    } else {
      const char* v = Child(c, "v").child_value();
      // A formula's saved result is read, "" included when it is a string (t="str": Excel's
      // =IF(B9="","",...)). Written by a program that does not compute formulas (no result,
      // or any formula when the workbook asks to be recalculated on load), what Excel would
      // show is not in the file: read as empty and noted, a problem where the mapping reads it.
      if (pugi::xml_node f = Child(c, "f");
          f && (ctx_.workbook.full_calc_on_load || (*v == '\0' && type != "str"))) {
        std::string formula = f.child_value();
        if (formula.size() > 40) formula = formula.substr(0, 37) + "...";
        if (table_.unread.size() >= kMaxUnread) {
          if (!too_many_unread_) {
            too_many_unread_ = true;
            Problem(line, column,
                    "more than " + std::to_string(kMaxUnread) +
                        " formulas whose results the file does not hold: open the file in Excel "
                        "or WPS and save it");
          }
          return text;
        }
        table_.unread.push_back(CellProblem{
            line, "", ColumnLetter(static_cast<size_t>(column)), "",
            "a formula" + (formula.empty() ? std::string() : " (=" + formula + ")") +
                " whose result the file does not hold (the program that wrote it does not "
                "compute formulas): open the file in Excel or WPS and save it, or write "
                "the values"});
        return text;
      }
      if (*v == '\0') return text;
      if (type == "s") {
        text = SharedString(v, line, column);
      } else if (type == "str" || type == "e") {
        text = DecodeXstring(v);
      } else if (type == "b") {
        text = std::string_view(v) == "1" ? "TRUE" : "FALSE";
      } else if (type == "d") {
        text = IsoDate(v);
      } else {
        text = NumberText(v, Attr(c, "s").as_int(0));
      }
    }
    if (text.size() > ctx_.limits.max_cell_bytes) {
      Problem(line, column, "longer than " + std::to_string(ctx_.limits.max_cell_bytes) + " bytes");
      return {};
    }
    if (FindInvalidUtf8(text) != std::string::npos || text.find('\0') != std::string::npos) {
      Problem(line, column, "the cell's text is not valid UTF-8");
      return {};
    }
    return text;
  }

  std::string SharedString(std::string_view v, int line, int column) {
    size_t index = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), index);
    if (ec != std::errc() || end != v.data() + v.size() || index >= ctx_.shared_strings.size()) {
      Problem(line, column,
              "refers to shared string " + std::string(v) + ", which the workbook does not have");
      return {};
    }
    return ctx_.shared_strings[index];
  }

  std::string NumberText(std::string_view v, int style) {
    const bool is_date = style >= 0 && static_cast<size_t>(style) < ctx_.date_styles.size() &&
                         ctx_.date_styles[style];
    if (is_date) {
      double serial = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), serial);
      if (ec == std::errc() && end == v.data() + v.size()) {
        if (auto date = ExcelSerialToText(serial, ctx_.workbook.date1904)) return *date;
      }
    }
    return FormatExcelNumber(v);
  }

  // t="d" holds ISO 8601: "2024-06-30" or "2024-06-30T10:00:00Z"; midnight is just the date.
  static std::string IsoDate(std::string_view v) {
    std::string out(v.substr(0, 19));
    if (out.size() > 10 && out[10] == 'T') out[10] = ' ';
    if (out.size() == 19 && out.ends_with(" 00:00:00")) out.resize(10);
    return out;
  }

  void Problem(int line, int column, std::string reason) {
    CellProblem p{line, "", "", "", std::move(reason)};
    if (column >= 0) {
      p.letter = ColumnLetter(static_cast<size_t>(column));
      if (static_cast<size_t>(column) < table_.table.header.size()) {
        p.column = table_.table.header[column];
      }
    }
    problems_->push_back(std::move(p));
  }

  const SheetContext& ctx_;
  std::vector<CellProblem>* problems_;
  SourceTable table_;
  std::vector<std::string> cells_;
  long last_row_ = 0;
  size_t width_ = 0;  // the widest row's cells
  bool too_many_unread_ = false;
};

}  // namespace

StatusOr<SourceTable> ReadSheet(std::string_view xml, const SheetContext& context,
                                std::vector<CellProblem>* problems) {
  SheetBuilder builder(context, problems);
  pugi::xml_document doc;
  const std::string& part = context.workbook.sheet_part;
  LCB_RETURN_IF_ERROR(ForEachChildSlice(xml, part, "sheetData", context.limits.max_xml_depth,
                                        kSliceBytes, [&](std::string_view slice) -> Status {
                                          LCB_RETURN_IF_ERROR(ParseXml(slice, part, &doc));
                                          return builder.AddSlice(doc);
                                        }));
  return std::move(builder).Finish();
}

}  // namespace xlsx_internal

bool LooksLikeZip(std::string_view bytes) { return bytes.starts_with("PK\x03\x04"); }

StatusOr<SourceTable> ReadXlsx(std::string_view bytes, std::string_view sheet_name,
                               const XlsxLimits& limits, std::vector<CellProblem>* problems) {
  using namespace xlsx_internal;
  const size_t problems_before = problems->size();
  auto file_error = [&](const Status& s) -> Status {
    problems->push_back(CellProblem{0, "", "", "", s.message()});
    return s;
  };
  if (auto advice = Ole2Advice(bytes)) {  // sent as XLSX, but an .xls or an encrypted .xlsx
    return file_error(Status::InvalidArgument(Field(""), std::move(*advice)));
  }
  auto zip = ZipReader::Open(bytes, limits.zip);
  if (!zip.ok()) return file_error(zip.status());
  auto workbook = ReadWorkbook(**zip, sheet_name, limits);
  if (!workbook.ok()) return file_error(workbook.status());
  auto strings = ReadSharedStrings(**zip, workbook->shared_strings_part, limits);
  if (!strings.ok()) return file_error(strings.status());
  auto dates = ReadDateStyles(**zip, workbook->styles_part, limits);
  if (!dates.ok()) return file_error(dates.status());
  auto xml = (*zip)->Read(workbook->sheet_part);
  if (!xml.ok()) return file_error(xml.status());
  if (!xml->has_value()) {
    return file_error(Invalid("the package has no part " + workbook->sheet_part + " for sheet \"" +
                              workbook->sheet_name + "\""));
  }
  SheetContext context{*workbook, *strings, *dates, limits};
  auto table = ReadSheet(**xml, context, problems);
  if (!table.ok()) return file_error(table.status());
  if (table->table.header_line == 0) {
    return file_error(Invalid("sheet \"" + workbook->sheet_name + "\" is empty: no header row"));
  }
  if (problems->size() > problems_before) {
    SortProblems(problems);
    return Status::InvalidArgument(Field(""), FormatProblem((*problems)[problems_before]));
  }
  table->kind = SourceKind::kXlsx;
  table->sheet = workbook->sheet_name;
  return table;
}

}  // namespace lcb::formats
