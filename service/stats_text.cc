#include "service/stats_text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace lcb {
namespace {

// Writes into a string through a pointer, with room checked once per cell (Room) rather than
// per piece (an answer of 50k cells is ~5 MB of small pieces), then trims it. The string is
// sized near what is written: a much larger one (~8 MB) would be new pages from the kernel on
// every request with jemalloc, which then cost more than the writing.
class Writer {
 public:
  Writer(std::string* out, size_t expected) : out_(out) {
    out->resize(expected);
    p_ = out->data();
    end_ = p_ + out->size();
  }
  ~Writer() { out_->resize(static_cast<size_t>(p_ - out_->data())); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Makes room for `n` more bytes.
  void Room(size_t n) {
    if (static_cast<size_t>(end_ - p_) >= n) return;
    const size_t at = static_cast<size_t>(p_ - out_->data());
    out_->resize(std::max(2 * out_->size(), at + n));
    p_ = out_->data() + at;
    end_ = out_->data() + out_->size();
  }

  void Put(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void Char(char c) { *p_++ = c; }
  void Int(int64_t v) { p_ = std::to_chars(p_, p_ + kMaxInt, v).ptr; }
  void UInt(uint64_t v) { p_ = std::to_chars(p_, p_ + kMaxInt, v).ptr; }
  // The four figures of a cell, each after its label or separator.
  void Figures(const StatsCell& c, const std::array<std::string_view, 4>& before) {
    Put(before[0]);
    Int(c.learners);
    Put(before[1]);
    Int(c.records);
    Put(before[2]);
    Put(CentiToString(c.credits));  // short: no allocation
    Put(before[3]);
    Int(c.conversions);
  }
  void JsonString(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    Char('"');
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        Char('\\');
        Char(ch);
      } else if (c < 0x20) {
        Put("\\u00");
        Char(kHex[c >> 4]);
        Char(kHex[c & 15]);
      } else {
        Char(ch);
      }
    }
    Char('"');
  }
  // RFC 4180: quoted (quotes doubled) only when it holds a comma, quote or line break.
  void CsvField(std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return Put(s);
    Char('"');
    for (char ch : s) {
      if (ch == '"') Char('"');
      Char(ch);
    }
    Char('"');
  }

  static constexpr size_t kMaxInt = 20;  // digits and sign of an int64
  static constexpr size_t kMaxCredits = kMaxInt + 3;

 private:
  std::string* out_;
  char* p_;
  char* end_;
};

bool IsNumeric(StatsKey key) { return key == StatsKey::kLevel || key == StatsKey::kYear; }

// What one cell's figures take at most, with their labels or separators.
constexpr size_t kFigures = 64 + 3 * Writer::kMaxInt + Writer::kMaxCredits;

}  // namespace

std::string StatsJsonText(const StatsQuery& query, const StatsResult& result,
                          const std::string& next) {
  std::vector<std::string> labels;  // "\"region\":" per key
  size_t labels_size = 0;
  for (StatsKey key : query.group_by) {
    labels.push_back("\"" + std::string(StatsKeyName(key)) + "\":");
    labels_size += labels.back().size() + 3;
  }
  std::string out;
  {
    Writer w(&out, 64 + result.cells.size() * (labels_size + 80 + 8 * query.group_by.size()));
    w.Put("{\"cells\":[");
    bool first = true;
    for (const StatsCell& c : result.cells) {
      size_t room = 2 + kFigures + labels_size;
      for (const std::string& key : c.keys) room += 6 * key.size();
      w.Room(room);
      w.Put(first ? "{" : ",{");
      first = false;
      for (size_t i = 0; i < query.group_by.size(); ++i) {
        w.Put(labels[i]);
        if (IsNumeric(query.group_by[i])) {
          w.Put(c.keys[i]);  // a number's decimal text (service/stats_aggregates.cc)
        } else {
          w.JsonString(c.keys[i]);
        }
        w.Char(',');
      }
      w.Figures(c, {"\"learners\":", ",\"records\":", ",\"credits\":", ",\"conversions\":"});
      w.Char('}');
    }
    w.Room(64 + 3 * Writer::kMaxInt + 6 * next.size());
    w.Put("],\"k\":");
    w.Int(result.k);
    w.Put(",\"suppressed\":");
    w.Int(result.suppressed);
    w.Put(",\"tree_size\":");
    w.UInt(result.tree_size);
    if (!next.empty()) {
      w.Put(",\"next\":");
      w.JsonString(next);
    }
    w.Char('}');
  }
  return out;
}

std::string StatsCsvText(const StatsQuery& query, const StatsResult& result) {
  std::string out;
  {
    Writer w(&out, 64 + result.cells.size() * (40 + 10 * query.group_by.size()));
    for (StatsKey key : query.group_by) {
      w.Room(StatsKeyName(key).size() + 1);
      w.Put(StatsKeyName(key));
      w.Char(',');
    }
    w.Room(64);
    w.Put("learners,records,credits,conversions\r\n");
    for (const StatsCell& c : result.cells) {
      size_t room = kFigures;
      for (const std::string& key : c.keys) room += 3 + 2 * key.size();
      w.Room(room);
      for (const std::string& key : c.keys) {
        w.CsvField(key);
        w.Char(',');
      }
      w.Figures(c, {"", ",", ",", ","});
      w.Put("\r\n");
    }
  }
  return out;
}

}  // namespace lcb
