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

StatusOr<CsvTable> ParseCsv(std::string_view text, const CsvLimits& limits) {
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());

  // Reject bad bytes up front so that the parser below only ever sees well-formed text.
  const size_t bad_utf8 = FindInvalidUtf8(text);
  const size_t nul = text.find('\0');
  const size_t bad = std::min(bad_utf8, nul);
  if (bad != std::string_view::npos) {
    return LineError(LineOfOffset(text, bad),
                     bad == nul ? "NUL byte in CSV" : "invalid UTF-8 (the file must be UTF-8)");
  }

  const size_t n = text.size();
  size_t i = 0;
  int line = 1;
  CsvTable table;
  bool have_header = false;
  std::vector<std::string> fields;

  auto field_too_long = [&](int at) {
    return LineError(at, "field longer than " + std::to_string(limits.max_field_bytes) + " bytes");
  };
  auto bare_cr = [&](int at) {
    return LineError(at, "bare CR outside quotes (lines must end with CRLF or LF)");
  };

  while (i < n) {
    // Blank lines between records are skipped.
    if (text[i] == '\n') {
      ++i;
      ++line;
      continue;
    }
    if (text[i] == '\r') {
      if (i + 1 < n && text[i + 1] == '\n') {
        i += 2;
        ++line;
        continue;
      }
      return bare_cr(line);
    }

    const int record_line = line;
    fields.clear();
    for (;;) {
      std::string field;
      if (i < n && text[i] == '"') {
        const int quote_line = line;
        ++i;
        for (;;) {
          const size_t q = text.find('"', i);
          if (q == std::string_view::npos) {
            return LineError(quote_line, "quoted field is not closed");
          }
          std::string_view chunk = text.substr(i, q - i);
          line += static_cast<int>(std::count(chunk.begin(), chunk.end(), '\n'));
          field.append(chunk);
          if (q + 1 < n && text[q + 1] == '"') {  // "" is an escaped quote
            field.push_back('"');
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
          if (field.size() > limits.max_field_bytes) return field_too_long(quote_line);
        }
        if (field.size() > limits.max_field_bytes) return field_too_long(quote_line);
        if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          return LineError(line, "unexpected character after a closing quote");
        }
      } else {
        const size_t start = i;
        while (i < n && !IsSpecial(text[i])) ++i;
        if (i < n && text[i] == '"') {
          return LineError(line,
                           "quote inside an unquoted field (quote the whole field and double "
                           "the quote)");
        }
        if (i - start > limits.max_field_bytes) return field_too_long(line);
        field.assign(text.substr(start, i - start));
      }
      fields.push_back(std::move(field));
      if (fields.size() > limits.max_fields) {
        return LineError(record_line, "more than " + std::to_string(limits.max_fields) + " fields");
      }

      if (i >= n) break;
      if (text[i] == ',') {
        ++i;
        continue;
      }
      if (text[i] == '\n') {
        ++i;
        ++line;
        break;
      }
      // text[i] == '\r'
      if (i + 1 < n && text[i + 1] == '\n') {
        i += 2;
        ++line;
        break;
      }
      return bare_cr(line);
    }

    if (!have_header) {
      table.header = std::move(fields);
      table.header_line = record_line;
      have_header = true;
      fields = {};
      continue;
    }
    if (fields.size() != table.header.size()) {
      return LineError(record_line, "expected " + std::to_string(table.header.size()) +
                                        " fields as in the header, found " +
                                        std::to_string(fields.size()));
    }
    if (table.rows.size() >= limits.max_rows) {
      return LineError(record_line, "more than " + std::to_string(limits.max_rows) + " rows");
    }
    table.rows.push_back(CsvRow{record_line, std::move(fields)});
    fields = {};
    fields.reserve(table.header.size());
  }

  if (!have_header) return LineError(line, "empty CSV: no header row");
  return table;
}

}  // namespace lcb
