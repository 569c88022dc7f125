#include "service/stats_text.h"

#include <charconv>

namespace lcb {
namespace {

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

void AppendJsonString(std::string* out, const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

void AppendCsvField(std::string* out, const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char ch : s) {
    if (ch == '"') out->push_back('"');
    out->push_back(ch);
  }
  out->push_back('"');
}

bool IsNumeric(StatsKey key) { return key == StatsKey::kLevel || key == StatsKey::kYear; }

}  // namespace

std::string StatsJsonText(const StatsQuery& query, const StatsResult& result) {
  std::string out;
  out.reserve(64 + result.cells.size() * (80 + 24 * query.group_by.size()));
  out.append("{\"cells\":[");
  bool first = true;
  for (const StatsCell& c : result.cells) {
    out.append(first ? "{" : ",{");
    first = false;
    for (size_t i = 0; i < query.group_by.size(); ++i) {
      out.push_back('"');
      out.append(StatsKeyName(query.group_by[i]));
      out.append("\":");
      if (IsNumeric(query.group_by[i])) {
        out.append(c.keys[i]);  // a number's decimal text (service/stats_aggregates.cc)
      } else {
        AppendJsonString(&out, c.keys[i]);
      }
      out.push_back(',');
    }
    out.append("\"learners\":");
    AppendInt(&out, c.learners);
    out.append(",\"records\":");
    AppendInt(&out, c.records);
    out.append(",\"credits\":");
    out.append(CentiToString(c.credits));
    out.append(",\"conversions\":");
    AppendInt(&out, c.conversions);
    out.push_back('}');
  }
  out.append("],\"k\":");
  AppendInt(&out, result.k);
  out.append(",\"suppressed\":");
  AppendInt(&out, result.suppressed);
  out.push_back('}');
  return out;
}

std::string StatsCsvText(const StatsQuery& query, const StatsResult& result) {
  std::string out;
  out.reserve(64 + result.cells.size() * (40 + 16 * query.group_by.size()));
  for (StatsKey key : query.group_by) {
    out.append(StatsKeyName(key));
    out.push_back(',');
  }
  out.append("learners,records,credits,conversions\r\n");
  for (const StatsCell& c : result.cells) {
    for (const std::string& key : c.keys) {
      AppendCsvField(&out, key);
      out.push_back(',');
    }
    AppendInt(&out, c.learners);
    out.push_back(',');
    AppendInt(&out, c.records);
    out.push_back(',');
    out.append(CentiToString(c.credits));
    out.push_back(',');
    AppendInt(&out, c.conversions);
    out.append("\r\n");
  }
  return out;
}

}  // namespace lcb
