#include "api/content_negotiation.h"

namespace lcb {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A qvalue: "0", "0.5", "1", "1.000"; anything else is taken as 1 (a malformed weight does not
// make a type unacceptable).
int QValueMillis(std::string_view v) {
  v = Trim(v);
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return 1000;
  int whole = v[0] - '0', millis = 0, digits = 0;
  if (v.size() > 1) {
    if (v[1] != '.') return 1000;
    for (size_t i = 2; i < v.size(); ++i) {
      if (v[i] < '0' || v[i] > '9' || ++digits > 3) return 1000;
      millis = millis * 10 + (v[i] - '0');
    }
    while (digits < 3) {
      millis *= 10;
      ++digits;
    }
  }
  const int q = whole * 1000 + millis;
  return q > 1000 ? 1000 : q;
}

struct Range {
  std::string_view type, subtype;  // "*" for wildcards
  int q = 1000;
};

// 3 for type/subtype, 2 for type/*, 1 for */*, 0 when the range does not match `offer`.
int Specificity(const Range& r, std::string_view offer) {
  const size_t slash = offer.find('/');
  const std::string_view type = offer.substr(0, slash), subtype = offer.substr(slash + 1);
  if (r.type == "*") return r.subtype == "*" ? 1 : 0;
  if (!EqualsNoCase(r.type, type)) return 0;
  if (r.subtype == "*") return 2;
  return EqualsNoCase(r.subtype, subtype) ? 3 : 0;
}

}  // namespace

size_t PreferredMediaType(const std::string* accept, const std::vector<std::string_view>& offers) {
  if (!accept || offers.size() <= 1) return 0;
  std::vector<Range> ranges;
  std::string_view rest = *accept;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t semi = item.find(';');
    const std::string_view media = Trim(item.substr(0, semi));
    const size_t slash = media.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == media.size()) continue;
    Range r{media.substr(0, slash), media.substr(slash + 1)};
    std::string_view params = semi == std::string_view::npos ? "" : item.substr(semi + 1);
    while (!params.empty()) {
      const size_t next = params.find(';');
      const std::string_view param = Trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        r.q = QValueMillis(param.substr(2));
      }
    }
    ranges.push_back(r);
  }
  if (ranges.empty()) return 0;
  size_t best = 0;
  int best_q = -1;
  for (size_t i = 0; i < offers.size(); ++i) {
    int specificity = 0, q = 0;
    for (const Range& r : ranges) {
      const int s = Specificity(r, offers[i]);
      if (s > specificity) {
        specificity = s;
        q = r.q;
      }
    }
    if (specificity > 0 && q > 0 && q > best_q) {
      best = i;
      best_q = q;
    }
  }
  return best;
}

}  // namespace lcb
