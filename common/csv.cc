#include "common/csv.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

namespace lcb {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

Status LineError(int line, std::string_view reason) {
  std::string msg = "line " + std::to_string(line) + ": ";
  msg += reason;
  return Status::InvalidArgument(Field(""), std::move(msg));
}

// The bytes that end or break a plain field.
constexpr std::array<bool, 256> kSpecial = [] {
  std::array<bool, 256> t{};
  t[static_cast<unsigned char>(',')] = true;
  t[static_cast<unsigned char>('"')] = true;
  t[static_cast<unsigned char>('\r')] = true;
  t[static_cast<unsigned char>('\n')] = true;
  return t;
}();
inline bool IsSpecial(char c) { return kSpecial[static_cast<unsigned char>(c)]; }

int LineOfOffset(std::string_view text, size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

}  // namespace

size_t FindInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, sizeof word);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    // Table 3-7 of the Unicode standard: well-formed byte sequences.
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;  // no overlongs
      if (b == 0xED) hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;  // no overlongs
      if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

size_t Utf8Length(std::string_view text) {
  size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

namespace {

// One pass over well-formed text (valid UTF-8, no NUL), record by record. Each step consumes
// what it read and keeps `line_`, the 1-based physical line of the cursor.
class CsvReader {
 public:
  CsvReader(std::string_view text, const CsvLimits& limits) : text_(text), limits_(limits) {}

  StatusOr<CsvTable> Read() {
    CsvTable table;
    bool have_header = false;
    std::vector<std::string> fields;
    while (true) {
      LCB_ASSIGN_OR_RETURN(bool more, SkipBlankLines());
      if (!more) break;
      const int record_line = line_;
      fields.clear();
      LCB_RETURN_IF_ERROR(ReadRecord(record_line, &fields));
      if (limits_.skip_empty_records &&
          std::all_of(fields.begin(), fields.end(),
                      [](const std::string& f) { return f.empty(); })) {
        continue;
      }
      if (!have_header) {
        table.header = std::move(fields);
        table.header_line = record_line;
        have_header = true;
      } else {
        LCB_RETURN_IF_ERROR(AddRow(record_line, &fields, &table));
      }
      fields = {};
      fields.reserve(table.header.size());
    }
    if (!have_header) return LineError(line_, "empty CSV: no header row");
    LCB_RETURN_IF_ERROR(SquareRecords(&table, limits_.keep_ragged_rows));
    return table;
  }

 private:
  // Blank lines between records are skipped. False at the end of the text.
  StatusOr<bool> SkipBlankLines() {
    while (pos_ < text_.size()) {
      if (text_[pos_] == '\n') {
        ++pos_;
        ++line_;
      } else if (text_[pos_] == '\r') {
        if (!At(pos_ + 1, '\n')) return BareCr();
        pos_ += 2;
        ++line_;
      } else {
        return true;
      }
    }
    return false;
  }

  // The fields of one record, through its line end (or the end of the text).
  Status ReadRecord(int record_line, std::vector<std::string>* fields) {
    while (true) {
      std::string field;
      if (At(pos_, '"')) {
        LCB_RETURN_IF_ERROR(ReadQuotedField(&field));
      } else {
        LCB_RETURN_IF_ERROR(ReadPlainField(&field));
      }
      fields->push_back(std::move(field));
      if (fields->size() > limits_.max_fields) {
        return LineError(record_line,
                         "more than " + std::to_string(limits_.max_fields) + " fields");
      }
      if (pos_ >= text_.size()) return Status::Ok();
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return ReadLineEnd();
    }
  }

  // "..." with "" for a quote; may span lines.
  Status ReadQuotedField(std::string* field) {
    const int quote_line = line_;
    ++pos_;
    while (true) {
      const size_t q = text_.find('"', pos_);
      if (q == std::string_view::npos) return LineError(quote_line, "quoted field is not closed");
      std::string_view chunk = text_.substr(pos_, q - pos_);
      line_ += static_cast<int>(std::count(chunk.begin(), chunk.end(), '\n'));
      field->append(chunk);
      pos_ = q + 1;
      if (!At(pos_, '"')) break;
      field->push_back('"');  // "" is an escaped quote
      ++pos_;
      if (field->size() > limits_.max_field_bytes) return FieldTooLong(quote_line);
    }
    if (field->size() > limits_.max_field_bytes) return FieldTooLong(quote_line);
    if (pos_ < text_.size() && !At(pos_, ',') && !At(pos_, '\n') && !At(pos_, '\r')) {
      return LineError(line_, "unexpected character after a closing quote");
    }
    return Status::Ok();
  }

  Status ReadPlainField(std::string* field) {
    const size_t start = pos_;
    while (pos_ < text_.size() && !IsSpecial(text_[pos_])) ++pos_;
    if (At(pos_, '"')) {
      return LineError(line_,
                       "quote inside an unquoted field (quote the whole field and double the "
                       "quote)");
    }
    if (pos_ - start > limits_.max_field_bytes) return FieldTooLong(line_);
    field->assign(text_.substr(start, pos_ - start));
    return Status::Ok();
  }

  // LF or CRLF.
  Status ReadLineEnd() {
    if (At(pos_, '\n')) {
      ++pos_;
    } else if (At(pos_, '\r') && At(pos_ + 1, '\n')) {
      pos_ += 2;
    } else {
      return BareCr();
    }
    ++line_;
    return Status::Ok();
  }

  Status AddRow(int record_line, std::vector<std::string>* fields, CsvTable* table) {
    if (table->rows.size() >= limits_.max_rows) {
      return LineError(record_line, "more than " + std::to_string(limits_.max_rows) + " rows");
    }
    table->rows.push_back(CsvRow{record_line, std::move(*fields)});
    return Status::Ok();
  }

  // The table's width is the one most records have (on a tie, the larger), when at most
  // kMaxTitleRecords records, each narrower, come before its first record (the title lines a
  // person or an export puts above the header) and every record from there on has it. Else,
  // when the file ends in a run of at least two records of one width with such titles before
  // it (more title lines than rows), that run is the table. The titles are padded with empty
  // fields and remember their own width (CsvRow::padded_from; finding the header among them,
  // and refusing a padded row below it, is the caller's). Otherwise the file has a bad record,
  // named against the most common width when titles come before its first record, else
  // against the first record, as RFC 4180 reads a header; or, with keep_ragged_rows and a
  // table of the most common width, each such record is kept, padded or cut to the table's
  // width, its own width in padded_from (a file whose header is not as wide as most of its
  // records is still refused at its first other record: its rows are not where they seem).
  static Status SquareRecords(CsvTable* table, bool keep_ragged_rows) {
    constexpr size_t kMaxTitleRecords = 10;
    auto width = [&](size_t i) {
      return i == 0 ? table->header.size() : table->rows[i - 1].fields.size();
    };
    auto line = [&](size_t i) { return i == 0 ? table->header_line : table->rows[i - 1].line; };
    const size_t records = table->rows.size() + 1;
    auto titles_before = [&](size_t start) {
      if (start > kMaxTitleRecords) return false;
      for (size_t i = 0; i < start; ++i) {
        if (width(i) >= width(start)) return false;
      }
      return true;
    };
    auto all_from = [&](size_t start) {
      for (size_t i = start + 1; i < records; ++i) {
        if (width(i) != width(start)) return false;
      }
      return true;
    };
    size_t start = 0;
    std::vector<std::pair<size_t, size_t>> counts;  // (width, records); few distinct widths
    for (size_t i = 0; i < records && counts.size() <= 64; ++i) {
      auto it = std::find_if(counts.begin(), counts.end(),
                             [&](const auto& c) { return c.first == width(i); });
      if (it == counts.end()) {
        counts.emplace_back(width(i), 1);
      } else {
        ++it->second;
      }
    }
    size_t most = 0;
    if (counts.size() <= 64) {  // else no common width: the first record decides
      most = std::max_element(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
               return a.second != b.second ? a.second < b.second : a.first < b.first;
             })->first;
      while (start < records && width(start) < most) ++start;
      if (start == records || width(start) != most || !titles_before(start)) start = 0;
      if (!all_from(start)) {
        size_t run = records - 1;
        while (run > 0 && width(run - 1) == width(records - 1)) --run;
        if (run + 2 <= records && titles_before(run)) start = run;
      }
    }
    const size_t expected = width(start);
    for (size_t i = start + 1; i < records; ++i) {
      if (width(i) != expected && keep_ragged_rows && expected == most) {
        CsvRow& row = table->rows[i - 1];
        row.padded_from = row.fields.size();
        row.fields.resize(expected);
      } else if (width(i) != expected) {
        return LineError(line(i),
                         "expected " + std::to_string(expected) + " fields as in the header" +
                             (start == 0 ? "" : " (line " + std::to_string(line(start)) + ")") +
                             ", found " + std::to_string(width(i)));
      }
    }
    if (start > 0) {
      table->header.resize(expected);
      for (size_t i = 1; i < start; ++i) {
        CsvRow& row = table->rows[i - 1];
        row.padded_from = row.fields.size();
        row.fields.resize(expected);
      }
    }
    return Status::Ok();
  }

  bool At(size_t pos, char c) const { return pos < text_.size() && text_[pos] == c; }
  Status FieldTooLong(int at) const {
    return LineError(at, "field longer than " + std::to_string(limits_.max_field_bytes) + " bytes");
  }
  Status BareCr() const {
    return LineError(line_, "bare CR outside quotes (lines must end with CRLF or LF)");
  }

  std::string_view text_;
  const CsvLimits& limits_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

StatusOr<CsvTable> ParseCsv(std::string_view text, const CsvLimits& limits) {
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  // Reject bad bytes up front so that the reader only ever sees well-formed text.
  const size_t bad_utf8 = FindInvalidUtf8(text);
  const size_t nul = text.find('\0');
  const size_t bad = std::min(bad_utf8, nul);
  if (bad != std::string_view::npos) {
    return LineError(LineOfOffset(text, bad),
                     bad == nul ? "NUL byte in CSV" : "invalid UTF-8 (the file must be UTF-8)");
  }
  return CsvReader(text, limits).Read();
}

}  // namespace lcb
