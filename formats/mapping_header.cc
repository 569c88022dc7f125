#include "formats/mapping_header.h"

#include <algorithm>

#include "formats/cell_values.h"

namespace lcb::formats::mapping_internal {
namespace {

constexpr size_t kHeaderSearchRows = 10;  // title rows an export may put above its header

// The mapping column a header text names (by name or alias), or -1.
int SpecOfHeader(const Mapping& mapping, std::string_view header) {
  const std::string_view h = TrimCell(header);
  for (size_t i = 0; i < mapping.columns.size(); ++i) {
    const ColumnSpec& c = mapping.columns[i];
    if (c.name == h || std::find(c.aliases.begin(), c.aliases.end(), h) != c.aliases.end()) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool HasRequired(const Mapping& mapping, const std::vector<std::string>& cells) {
  for (const ColumnSpec& c : mapping.columns) {
    if (!c.required) continue;
    bool found = false;
    for (const std::string& cell : cells) {
      if (SpecOfHeader(mapping, cell) == &c - mapping.columns.data()) found = true;
    }
    if (!found) return false;
  }
  return true;
}

bool ColumnIsEmpty(const SourceTable& source, size_t first_row, size_t column) {
  for (size_t r = first_row; r < source.table.rows.size(); ++r) {
    if (!TrimCell(source.table.rows[r].fields[column]).empty()) return false;
  }
  return true;
}

bool RuleApplies(const Mapping& mapping, const FieldRule& rule,
                 const std::vector<int>& column_of_spec) {
  auto present = [&](const std::string& name) {
    return column_of_spec[SpecIndex(mapping, name)] >= 0;
  };
  switch (rule.transform) {
    case Transform::kConstant:
      return true;
    case Transform::kTemplate:
      return std::all_of(rule.parts.begin(), rule.parts.end(), [&](const TemplatePart& p) {
        return p.columns.empty() || std::any_of(p.columns.begin(), p.columns.end(), present);
      });
    default:
      return present(rule.column);
  }
}

// Fields a record cannot do without; the others stay unset (the unit's value) when absent.
bool IsRequiredField(std::string_view field) {
  return field == "learner" || field == "unit" || field == "external_ref" || field == "grade" ||
         field == "grade_scale" || field == "grade_value" || field == "completed_on";
}

std::string RuleNeeds(const FieldSpec& field) {
  std::string out;
  for (const FieldRule& r : field.alternatives) {
    std::string need = r.column;
    if (r.transform == Transform::kTemplate) {
      for (const TemplatePart& p : r.parts) {
        if (p.columns.empty()) continue;
        std::string alt;
        for (const std::string& c : p.columns) alt += (alt.empty() ? "" : " or ") + c;
        need += (need.empty() ? "" : " + ") + alt;
      }
    }
    out += (out.empty() ? "" : "; or ") + need;
  }
  return out;
}

}  // namespace

size_t SpecIndex(const Mapping& mapping, const std::string& name) {
  for (size_t i = 0; i < mapping.columns.size(); ++i) {
    if (mapping.columns[i].name == name) return i;
  }
  return 0;  // unreachable for a parsed mapping
}

std::vector<size_t> RuleColumns(const Mapping& mapping, const FieldRule& rule,
                                const std::vector<int>& column_of_spec) {
  std::vector<size_t> out;
  if (rule.transform == Transform::kTemplate) {
    for (const TemplatePart& p : rule.parts) {
      for (const std::string& c : p.columns) {
        if (column_of_spec[SpecIndex(mapping, c)] >= 0) {
          out.push_back(SpecIndex(mapping, c));
          break;
        }
      }
    }
  } else if (rule.transform != Transform::kConstant) {
    out.push_back(SpecIndex(mapping, rule.column));
  }
  return out;
}

void CheckRowsBelowHeader(const SourceTable& source, long header_row,
                          const std::vector<bool>& column_read,
                          std::vector<CellProblem>* problems) {
  const CsvTable& t = source.table;
  const auto& header = header_row < 0 ? t.header : t.rows[header_row].fields;
  const int header_line = header_row < 0 ? t.header_line : t.rows[header_row].line;
  const size_t before = problems->size();
  for (size_t r = static_cast<size_t>(header_row + 1); r < t.rows.size(); ++r) {
    if (t.rows[r].padded_from == 0) continue;
    problems->push_back(CellProblem{
        t.rows[r].line, "", "", "",
        "expected " + std::to_string(header.size()) + " fields as in the header (line " +
            std::to_string(header_line) + "), found " + std::to_string(t.rows[r].padded_from)});
  }
  for (const CellProblem& u : source.unread) {
    const int col = ColumnIndexFromLetters(u.letter);
    if (u.line <= header_line || col < 0 || static_cast<size_t>(col) >= column_read.size() ||
        !column_read[col]) {
      continue;
    }
    CellProblem p = u;
    if (static_cast<size_t>(col) < header.size()) p.column = std::string(TrimCell(header[col]));
    problems->push_back(std::move(p));
  }
  std::stable_sort(problems->begin() + static_cast<std::ptrdiff_t>(before), problems->end(),
                   [](const CellProblem& a, const CellProblem& b) { return a.line < b.line; });
}

size_t FirstDataRow(const SourceTable& source, const Mapping& mapping) {
  const CsvTable& t = source.table;
  if (HasRequired(mapping, t.header)) return 0;
  for (size_t r = 0; r < std::min(kHeaderSearchRows, t.rows.size()); ++r) {
    if (HasRequired(mapping, t.rows[r].fields)) return r + 1;
  }
  return 0;
}

HeaderMatch MatchHeader(const SourceTable& source, const Mapping& mapping,
                        std::vector<CellProblem>* problems) {
  HeaderMatch m;
  const CsvTable& t = source.table;
  m.first_data_row = FirstDataRow(source, mapping);
  const std::vector<std::string>* header =
      m.first_data_row == 0 ? &t.header : &t.rows[m.first_data_row - 1].fields;
  m.header_line = m.first_data_row == 0 ? t.header_line : t.rows[m.first_data_row - 1].line;
  m.spec_of.assign(header->size(), nullptr);
  m.column_of_spec.assign(mapping.columns.size(), -1);
  for (size_t col = 0; col < header->size(); ++col) {
    const std::string& text = (*header)[col];
    const int spec = SpecOfHeader(mapping, text);
    CellProblem p{m.header_line, std::string(TrimCell(text)), source.letters[col], "", ""};
    if (spec < 0) {
      if (TrimCell(text).empty()) {
        if (!ColumnIsEmpty(source, m.first_data_row, col)) m.unnamed_with_values.push_back(col);
      } else if (!mapping.ignore_unknown_columns) {
        p.reason = "unknown column for mapping " + mapping.name +
                   " (remove it, or use a mapping "
                   "file that declares it or sets \"unknown_columns\": \"ignore\")";
        problems->push_back(std::move(p));
      }
      continue;
    }
    if (m.column_of_spec[spec] >= 0) {
      p.reason =
          "the column appears twice (also column " + source.letters[m.column_of_spec[spec]] + ")";
      problems->push_back(std::move(p));
      continue;
    }
    m.column_of_spec[spec] = static_cast<int>(col);
    m.spec_of[col] = &mapping.columns[spec];
  }
  for (size_t i = 0; i < mapping.columns.size(); ++i) {
    if (mapping.columns[i].required && m.column_of_spec[i] < 0) {
      problems->push_back(CellProblem{m.header_line, mapping.columns[i].name, "", "",
                                      "the header lacks this required column"});
    }
  }
  for (const FieldSpec& field : mapping.fields) {
    const FieldRule* chosen = nullptr;
    for (const FieldRule& r : field.alternatives) {
      if (RuleApplies(mapping, r, m.column_of_spec)) {
        chosen = &r;
        break;
      }
    }
    m.rule_of.push_back(chosen);
    if (!chosen && IsRequiredField(field.field)) {
      problems->push_back(CellProblem{
          m.header_line, "", "", field.field,
          "the header has no column for " + field.field + " (needs " + RuleNeeds(field) + ")"});
    }
  }
  return m;
}

}  // namespace lcb::formats::mapping_internal
