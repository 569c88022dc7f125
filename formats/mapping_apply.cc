#include "formats/mapping_apply.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "engine/recognition.h"
#include "engine/regions.h"
#include "formats/cell_values.h"
#include "formats/mapping_header.h"

namespace lcb::formats {
namespace {

// A value at `line`, column `letter`, in a column whose header cell is empty: a problem of its
// row (with or without a mapping).
CellProblem UnnamedValueProblem(int line, const std::string& letter, int header_line) {
  return CellProblem{line, "", letter, "",
                     "a value in a column without a header (the header is line " +
                         std::to_string(header_line) + ")"};
}

using mapping_internal::HeaderMatch;
using mapping_internal::RuleColumns;
using mapping_internal::SpecIndex;

constexpr size_t kBankColumns = std::size(kRecordCsvColumns);

int BankColumn(std::string_view field) {
  for (size_t i = 0; i < kBankColumns; ++i) {
    if (kRecordCsvColumns[i] == field) return static_cast<int>(i);
  }
  return -1;
}

bool IsNumericType(ColumnType t) { return t != ColumnType::kText; }

using NormalizeFn = StatusOr<std::string> (*)(std::string_view);

StatusOr<std::string> NormalizeRegionCode(std::string_view cell) {
  if (IsRegionCode(cell)) return std::string(cell);
  return Status::InvalidArgument(
      Field(""),
      "\"" + std::string(cell) + "\" is not a six-digit GB/T 2260 region code (e.g. 310101)");
}

StatusOr<std::string> AsText(std::string_view cell) { return std::string(cell); }

NormalizeFn Normalizer(ColumnType type) {
  switch (type) {
    case ColumnType::kText:
      return &AsText;
    case ColumnType::kDecimal:
      return &NormalizeDecimal;
    case ColumnType::kInteger:
      return &NormalizeInteger;
    case ColumnType::kYear:
      return &NormalizeYear;
    case ColumnType::kYearMonth:
      return &NormalizeYearMonth;
    case ColumnType::kDate:
      return &NormalizeDate;
    case ColumnType::kNationalIdCn:
      return &NormalizeNationalIdCn;
    case ColumnType::kRegionCode:
      return &NormalizeRegionCode;
  }
  return &AsText;
}

// The cell of a typed column as the mapping sees it.
StatusOr<std::string> NormalizeCell(const ColumnSpec& spec, std::string_view raw) {
  std::string text =
      IsNumericType(spec.type) ? HalfWidth(TrimCell(raw)) : std::string(TrimCell(raw));
  if (text.empty()) return text;
  StatusOr<std::string> typed = Normalizer(spec.type)(text);
  if (!typed.ok()) return typed.status();
  text = std::move(typed).value();
  if (!spec.codes.empty() && !spec.codes.count(text)) {
    std::string known;
    for (const auto& [code, meaning] : spec.codes) {
      known += (known.empty() ? "" : ", ") + code + " " + meaning;
    }
    return Status::InvalidArgument(Field(""), "\"" + text + "\" is not one of the codes: " + known);
  }
  if (spec.max_chars > 0 && Utf8Length(text) > spec.max_chars) {
    return Status::InvalidArgument(Field(""),
                                   "longer than " + std::to_string(spec.max_chars) + " characters");
  }
  return text;
}

struct Grade {
  std::string scale, value;
};

std::optional<Grade> GradeCn(std::string_view cell) {
  static const std::string_view kFiveLevel[] = {"优秀", "良好", "中等", "及格", "不及格"};
  const std::string text = HalfWidth(cell);
  if (NormalizeDecimal(text).ok()) return Grade{"percent", *NormalizeDecimal(text)};
  for (std::string_view level : kFiveLevel) {
    if (cell == level) return Grade{"five_level", std::string(level)};
  }
  if (cell == "合格") return Grade{"pass_fail", "pass"};
  if (cell == "不合格") return Grade{"pass_fail", "fail"};
  return std::nullopt;
}

class Mapper {
 public:
  Mapper(const SourceTable& source, const Mapping& mapping, RegistrarResolver& resolver,
         std::vector<CellProblem>* problems)
      : source_(source), mapping_(mapping), resolver_(resolver), problems_(problems) {}

  StatusOr<MappedTable> Run() {
    const size_t before = problems_->size();
    match_ = mapping_internal::MatchHeader(source_, mapping_, problems_);
    std::vector<bool> read(match_.spec_of.size());
    for (size_t col = 0; col < read.size(); ++col) read[col] = match_.spec_of[col] != nullptr;
    if (problems_->size() > before) {
      return Status::InvalidArgument(Field(""), FormatProblem((*problems_)[before]));
    }
    // Lines the file cannot give whole (a short CSV line, an XLSX cell without its value) are
    // problems of their rows, which the rest of the file does not wait for.
    std::vector<CellProblem> below;
    mapping_internal::CheckRowsBelowHeader(source_, static_cast<long>(match_.first_data_row) - 1,
                                           read, &below);
    for (CellProblem& p : below) unread_of_line_[p.line].push_back(std::move(p));
    const auto& all_rows = source_.table.rows;
    for (const size_t col : match_.unnamed_with_values) {
      for (size_t r = match_.first_data_row; r < all_rows.size(); ++r) {
        if (all_rows[r].padded_from > 0 || TrimCell(all_rows[r].fields[col]).empty()) continue;
        unread_of_line_[all_rows[r].line].push_back(
            UnnamedValueProblem(all_rows[r].line, source_.letters[col], match_.header_line));
      }
    }
    out_.table.header.assign(std::begin(kRecordCsvColumns), std::end(kRecordCsvColumns));
    out_.table.header_line = match_.header_line;
    SetSources();
    const auto& rows = source_.table.rows;
    out_.data_rows = rows.size() - std::min(rows.size(), match_.first_data_row);
    out_.table.rows.reserve(rows.size() - std::min(rows.size(), match_.first_data_row));
    for (size_t r = match_.first_data_row; r < rows.size(); ++r) {
      LCB_RETURN_IF_ERROR(MapRow(rows[r]));
    }
    LCB_RETURN_IF_ERROR(ResolveLearners());
    return std::move(out_);
  }

 private:
  CellProblem ProblemAt(int line, size_t spec, std::string field, std::string reason) const {
    const int col = match_.column_of_spec[spec];
    if (col < 0)
      return CellProblem{line, mapping_.columns[spec].name, "", std::move(field),
                         std::move(reason)};
    return CellProblem{line, std::string(TrimCell(HeaderText(col))), source_.letters[col],
                       std::move(field), std::move(reason)};
  }

  // The header text of source column `col` as the file has it.
  std::string HeaderText(int col) const {
    if (match_.first_data_row == 0) return source_.table.header[col];
    return source_.table.rows[match_.first_data_row - 1].fields[col];
  }

  void SetSources() {
    out_.sources.assign(kBankColumns, FieldSource{});
    for (size_t f = 0; f < mapping_.fields.size(); ++f) {
      const FieldRule* rule = match_.rule_of[f];
      if (!rule) continue;
      FieldSource src;
      for (size_t spec : RuleColumns(mapping_, *rule, match_.column_of_spec)) {
        const int col = match_.column_of_spec[spec];
        src.column += (src.column.empty() ? "" : ", ") + std::string(TrimCell(HeaderText(col)));
        src.letter += (src.letter.empty() ? "" : ", ") + source_.letters[col];
      }
      const std::string& field = mapping_.fields[f].field;
      if (field == "grade") {
        out_.sources[BankColumn("grade_scale")] = src;
        out_.sources[BankColumn("grade_value")] = src;
      } else {
        out_.sources[BankColumn(field)] = std::move(src);
      }
    }
  }

  Status MapRow(const CsvRow& row) {
    const size_t before = problems_->size();
    cells_.assign(mapping_.columns.size(), std::string());
    bad_.assign(mapping_.columns.size(), false);
    auto unread = unread_of_line_.empty() ? unread_of_line_.end() : unread_of_line_.find(row.line);
    if (unread != unread_of_line_.end()) {
      // A short line is left out whole (its cells are not where the header says); a cell
      // without its value is that cell's problem, and the rest of its row is still mapped.
      if (row.padded_from > 0) {
        problems_->insert(problems_->end(), unread->second.begin(), unread->second.end());
        return Status::Ok();
      }
      for (const CellProblem& p : unread->second) {
        const int col = ColumnIndexFromLetters(p.letter);
        const auto spec =
            std::find(match_.column_of_spec.begin(), match_.column_of_spec.end(), col);
        if (spec != match_.column_of_spec.end()) bad_[spec - match_.column_of_spec.begin()] = true;
        problems_->push_back(p);
      }
    }
    for (size_t spec = 0; spec < mapping_.columns.size(); ++spec) {
      const int col = match_.column_of_spec[spec];
      if (col < 0 || bad_[spec]) continue;
      auto v = NormalizeCell(mapping_.columns[spec], row.fields[col]);
      if (!v.ok()) {
        Fail(row.line, spec, "", v.status().message());
      } else if (v->empty() && mapping_.columns[spec].required) {
        Fail(row.line, spec, "", "is empty (the column is required)");
      } else {
        cells_[spec] = std::move(v).value();
      }
    }
    std::vector<std::string> fields(kBankColumns);
    int learner = -1;
    std::vector<std::string> refused;
    const bool bad_cell = problems_->size() > before;  // a cell refused before any rule ran
    for (size_t f = 0; f < mapping_.fields.size(); ++f) {
      const FieldRule* rule = match_.rule_of[f];
      if (!rule) continue;
      const std::string& field = mapping_.fields[f].field;
      const size_t problems_before = problems_->size();
      LCB_RETURN_IF_ERROR(ApplyRule(row.line, field, *rule, &fields, &learner));
      if (!bad_cell && problems_->size() == problems_before) continue;  // every row that reads
      const std::vector<size_t> specs = RuleColumns(mapping_, *rule, match_.column_of_spec);
      if (problems_->size() > problems_before ||
          std::any_of(specs.begin(), specs.end(), [&](size_t s) { return bad_[s]; })) {
        if (field == "grade") {
          refused.insert(refused.end(), {"grade_scale", "grade_value"});
        } else {
          refused.push_back(field);
        }
      }
    }
    if (problems_->size() > before) {  // reported; the row is left out, kept for its other checks
      const bool by_id =
          learner >= 0 && std::find(refused.begin(), refused.end(), "learner") == refused.end();
      out_.refused.push_back(
          RefusedRow{CsvRow{row.line, std::move(fields)}, std::move(refused), by_id});
      return Status::Ok();
    }
    out_.table.rows.push_back(CsvRow{row.line, std::move(fields)});
    row_learner_.push_back(learner);
    return Status::Ok();
  }

  void Fail(int line, size_t spec, std::string field, std::string reason) {
    bad_[spec] = true;
    problems_->push_back(ProblemAt(line, spec, std::move(field), std::move(reason)));
  }

  // Fills the bank field(s) `field` of one row by `rule`.
  Status ApplyRule(int line, const std::string& field, const FieldRule& rule,
                   std::vector<std::string>* fields, int* learner) {
    const std::vector<size_t> specs = RuleColumns(mapping_, rule, match_.column_of_spec);
    for (size_t s : specs) {
      if (bad_[s]) return Status::Ok();  // already reported
    }
    const size_t spec = specs.empty() ? 0 : specs.front();
    const std::string& cell = specs.empty() ? rule.value : cells_[spec];
    std::string value;
    switch (rule.transform) {
      case Transform::kCopy:
        value = cell;
        break;
      case Transform::kConstant:
        value = rule.value;
        break;
      case Transform::kTemplate:
        if (!Template(line, field, rule, specs, &value)) return Status::Ok();
        break;
      case Transform::kLearnerByNationalId:
        if (cell.empty()) break;
        *learner = LearnerIndex(line, rule, spec, cell);
        if (*learner < 0) return Status::Ok();  // reported
        value = "";  // filled once the accounts are known
        (*fields)[BankColumn("learner")] = "";
        return Status::Ok();
      case Transform::kUnitByCode:
      case Transform::kUnitByTitle:
        if (cell.empty()) break;
        return ResolveUnit(line, rule, spec, cell, fields);
      case Transform::kGradeCn: {
        if (cell.empty()) break;
        auto grade = GradeCn(cell);
        if (!grade) {
          Fail(line, spec, "grade_value",
               "\"" + cell +
                   "\" is not a grade: a percent score (0-100), 优秀/良好/中等/及格/"
                   "不及格, or 合格/不合格");
          return Status::Ok();
        }
        (*fields)[BankColumn("grade_scale")] = grade->scale;
        (*fields)[BankColumn("grade_value")] = grade->value;
        return Status::Ok();
      }
      case Transform::kMonthEnd:
      case Transform::kDate: {
        if (cell.empty()) break;
        auto v =
            rule.transform == Transform::kDate ? NormalizeDate(cell) : NormalizeYearMonth(cell);
        if (!v.ok()) {
          Fail(line, spec, field, v.status().message());
          return Status::Ok();
        }
        value = rule.transform == Transform::kDate ? *v : LastDayOfMonth(*v);
        break;
      }
    }
    const bool required = field == "learner" || field == "unit" || field == "external_ref" ||
                          field == "grade" || field == "completed_on";
    if (value.empty() && required) {
      Fail(line, spec, field, "is empty, and it gives " + field);
      return Status::Ok();
    }
    if (field != "grade") (*fields)[BankColumn(field)] = std::move(value);
    return Status::Ok();
  }

  bool Template(int line, const std::string& field, const FieldRule& rule,
                const std::vector<size_t>& specs, std::string* out) {
    size_t next = 0;
    for (const TemplatePart& part : rule.parts) {
      if (part.columns.empty()) {
        *out += part.literal;
        continue;
      }
      const size_t spec = specs[next++];
      if (cells_[spec].empty()) {
        Fail(line, spec, field, "is empty, and it is part of " + field);
        return false;
      }
      *out += cells_[spec];
    }
    return true;
  }

  // The index in learners_ of the learner with `national_id` (from mapping column `id_spec`),
  // added at its first row. -1, reported at the row's name column, when an earlier row gave
  // that national ID another name: one of the two is wrong, and the account would be created
  // (or the row stored) under whichever came first. An empty or bad name is not compared.
  int LearnerIndex(int line, const FieldRule& rule, size_t id_spec,
                   const std::string& national_id) {
    const size_t name_spec =
        rule.display_name.empty() ? SIZE_MAX : SpecIndex(mapping_, rule.display_name);
    std::string name = name_spec == SIZE_MAX || bad_[name_spec] ? "" : cells_[name_spec];
    auto [it, inserted] = learner_index_.emplace(national_id, learners_.size());
    if (inserted) {
      std::string region;
      if (!rule.region.empty()) region = cells_[SpecIndex(mapping_, rule.region)];
      learners_.push_back(NewLearner{national_id, std::move(name), std::move(region), line});
      return static_cast<int>(it->second);
    }
    NewLearner& first = learners_[it->second];
    if (first.display_name.empty()) {
      first.display_name = std::move(name);
      return static_cast<int>(it->second);
    }
    if (name.empty() || name == first.display_name) return static_cast<int>(it->second);
    Fail(line, name_spec, "learner",
         ColumnName(id_spec) + " of this row is given with another " + ColumnName(name_spec) +
             " at line " + std::to_string(first.first_line));
    return -1;
  }

  // The header of mapping column `spec` as the file names it (the mapping's name when absent).
  std::string ColumnName(size_t spec) const { return ProblemAt(0, spec, "", "").column; }

  Status ResolveUnit(int line, const FieldRule& rule, size_t spec, const std::string& key,
                     std::vector<std::string>* fields) {
    const bool by_code = rule.transform == Transform::kUnitByCode;
    auto& cache = by_code ? unit_by_code_ : unit_by_title_;
    auto it = cache.find(key);
    if (it == cache.end()) {
      std::string found, error;
      if (by_code) {
        LCB_ASSIGN_OR_RETURN(std::optional<std::string> id, resolver_.UnitByCode(key));
        if (id)
          found = *id;
        else
          error = "no unit with code \"" + key + "\" in the institution's catalog";
      } else {
        LCB_ASSIGN_OR_RETURN(std::vector<std::string> ids, resolver_.UnitsByTitle(key));
        if (ids.size() == 1) {
          found = ids.front();
        } else if (ids.empty()) {
          error = "no unit titled \"" + key + "\" in the institution's catalog";
        } else {
          std::string list;
          for (const auto& id : ids) list += (list.empty() ? "" : ", ") + id;
          error = "\"" + key + "\" is the title of " + std::to_string(ids.size()) + " units (" +
                  list + "); add a 课程代码 column to tell them apart";
        }
      }
      it = cache.emplace(key, std::make_pair(found, error)).first;
    }
    if (!it->second.second.empty()) {
      Fail(line, spec, "unit", it->second.second);
      return Status::Ok();
    }
    (*fields)[BankColumn("unit")] = it->second.first;
    return Status::Ok();
  }

  Status ResolveLearners() {
    out_.pending_of_row.assign(out_.table.rows.size(), -1);
    if (learners_.empty()) return Status::Ok();
    std::vector<std::string> ids;
    ids.reserve(learners_.size());
    for (const NewLearner& l : learners_) ids.push_back(l.national_id);
    LCB_ASSIGN_OR_RETURN(auto found, resolver_.FindLearners(ids));
    if (found.size() != learners_.size()) return Status::Internal("FindLearners: wrong count");
    // Only the learners of rows kept get accounts: one whose every row was refused is not made
    // (an import that skips the invalid rows would leave it without records).
    std::vector<bool> kept(learners_.size(), false);
    for (const int l : row_learner_) {
      if (l >= 0) kept[l] = true;
    }
    std::vector<int> pending_index(learners_.size(), -1);
    for (size_t i = 0; i < learners_.size(); ++i) {
      if (found[i] || !kept[i]) continue;
      pending_index[i] = static_cast<int>(out_.pending.size());
      out_.pending.push_back(learners_[i]);
    }
    const int learner_col = BankColumn("learner");
    for (size_t r = 0; r < out_.table.rows.size(); ++r) {
      const int l = row_learner_[r];
      if (l < 0) continue;
      if (found[l]) {
        out_.table.rows[r].fields[learner_col] = *found[l];
      } else {
        out_.pending_of_row[r] = pending_index[l];
      }
    }
    return Status::Ok();
  }

  const SourceTable& source_;
  const Mapping& mapping_;
  RegistrarResolver& resolver_;
  std::vector<CellProblem>* problems_;
  HeaderMatch match_;
  MappedTable out_;
  std::vector<std::string> cells_;  // per mapping column, the current row's normalized cell
  std::vector<bool> bad_;           // per mapping column, whether that cell was reported
  std::vector<NewLearner> learners_;
  std::unordered_map<std::string, size_t> learner_index_;
  std::vector<int> row_learner_;  // per output row, index into learners_ or -1
  // Per line below the header: what the file could not give of it (CheckRowsBelowHeader).
  std::unordered_map<int, std::vector<CellProblem>> unread_of_line_;
  std::map<std::string, std::pair<std::string, std::string>> unit_by_code_, unit_by_title_;
};

}  // namespace

StatusOr<MappedTable> ApplyMapping(const SourceTable& source, const Mapping& mapping,
                                   RegistrarResolver& resolver,
                                   std::vector<CellProblem>* problems) {
  return Mapper(source, mapping, resolver, problems).Run();
}

namespace {

constexpr size_t kBankHeaderSearchRows = 10;  // title rows an export may put above its header

// The header check on a row's non-empty cells, trimmed (a header may start in a later column
// or have a blank column between its names).
Status CheckBankHeaderCells(const std::vector<std::string>& cells) {
  std::vector<std::string> names;
  for (const std::string& c : cells) {
    const std::string_view name = TrimCell(c);
    if (!name.empty()) names.emplace_back(name);
  }
  return ValidateRecordCsvHeader(names);
}

}  // namespace

size_t DataRowsBelowHeader(const SourceTable& source, const Mapping& mapping) {
  const size_t rows = source.table.rows.size();
  return rows - std::min(rows, mapping_internal::FirstDataRow(source, mapping));
}

Status LocateBankHeader(SourceTable* source, std::vector<CellProblem>* row_problems) {
  CsvTable& t = source->table;
  long header_row = -1;
  if (Status first = CheckBankHeaderCells(t.header); !first.ok()) {
    for (size_t r = 0; r < std::min(kBankHeaderSearchRows, t.rows.size()); ++r) {
      if (CheckBankHeaderCells(t.rows[r].fields).ok()) {
        header_row = static_cast<long>(r);
        break;
      }
    }
    if (header_row < 0) return first;
  }
  {
    const auto& names = header_row < 0 ? t.header : t.rows[header_row].fields;
    std::vector<bool> read(names.size());
    for (size_t i = 0; i < names.size(); ++i) read[i] = !TrimCell(names[i]).empty();
    mapping_internal::CheckRowsBelowHeader(*source, header_row, read, row_problems);
  }
  if (header_row >= 0) {
    const size_t found = static_cast<size_t>(header_row);
    t.header = std::move(t.rows[found].fields);
    t.header_line = t.rows[found].line;
    t.rows.erase(t.rows.begin(), t.rows.begin() + static_cast<std::ptrdiff_t>(found) + 1);
  }
  std::vector<size_t> keep;
  for (size_t i = 0; i < t.header.size(); ++i) {
    const std::string_view name = TrimCell(t.header[i]);
    if (name.size() != t.header[i].size()) t.header[i] = std::string(name);
    if (!name.empty()) keep.push_back(i);
  }
  if (keep.size() == t.header.size()) return Status::Ok();
  for (const CsvRow& row : t.rows) {
    for (size_t i = 0, k = 0; i < row.fields.size(); ++i) {
      if (k < keep.size() && keep[k] == i) {
        ++k;
      } else if (!TrimCell(row.fields[i]).empty()) {
        row_problems->push_back(
            UnnamedValueProblem(row.line, source->letters.at(i), t.header_line));
      }
    }
  }
  auto compact = [&](std::vector<std::string>* cells) {
    // keep[k] >= k: a cell moves left or stays (a string moved onto itself would be emptied).
    for (size_t k = 0; k < keep.size(); ++k) {
      if (keep[k] != k) (*cells)[k] = std::move((*cells)[keep[k]]);
    }
    cells->resize(keep.size());
  };
  compact(&t.header);
  compact(&source->letters);
  for (CsvRow& row : t.rows) compact(&row.fields);
  return Status::Ok();
}

StatusOr<MappedTable> IdentityMapping(SourceTable source, std::vector<CellProblem>* problems) {
  std::vector<CellProblem> row_problems;
  if (Status header = LocateBankHeader(&source, &row_problems); !header.ok()) {
    CellProblem p{source.table.header_line, "", "", "", header.message()};
    const std::string name = std::string(BankFieldOfPointer(header.pointer()));
    for (size_t i = 0; i < source.table.header.size(); ++i) {
      if (TrimCell(source.table.header[i]) == name) {
        p.column = name;
        p.letter = source.letters[i];
      }
    }
    problems->push_back(std::move(p));
    return Status::InvalidArgument(Field(""), FormatProblem(problems->back()));
  }
  return BankHeaderTable(std::move(source), std::move(row_problems), problems);
}

MappedTable BankHeaderTable(SourceTable located, std::vector<CellProblem> row_problems,
                            std::vector<CellProblem>* problems) {
  MappedTable out;
  for (size_t i = 0; i < located.table.header.size(); ++i) {
    out.sources.push_back(FieldSource{located.table.header[i], located.letters[i]});
  }
  out.table = std::move(located.table);
  out.data_rows = out.table.rows.size();
  if (!row_problems.empty()) {
    // Rows the file cannot give whole: a short line is left out (nothing of it is where its
    // header says); a row with a cell without its value, or a value in a column without a
    // header, is kept in `refused` with the rest of its cells, for its other checks.
    SortProblems(&row_problems);
    std::unordered_map<int, std::vector<std::string>> refused_of_line;
    for (const CellProblem& p : row_problems) {
      auto& fields = refused_of_line[p.line];
      for (size_t i = 0; i < out.sources.size(); ++i) {
        if (out.sources[i].letter == p.letter) fields.push_back(out.table.header[i]);
      }
    }
    std::vector<CsvRow> kept;
    kept.reserve(out.table.rows.size());
    for (CsvRow& row : out.table.rows) {
      auto it = refused_of_line.find(row.line);
      if (it == refused_of_line.end()) {
        kept.push_back(std::move(row));
      } else if (row.padded_from == 0) {
        out.refused.push_back(RefusedRow{std::move(row), std::move(it->second), false});
      }
    }
    out.table.rows = std::move(kept);
    problems->insert(problems->end(), row_problems.begin(), row_problems.end());
  }
  out.pending_of_row.assign(out.table.rows.size(), -1);
  return out;
}

Status CreatePendingLearners(RegistrarResolver& resolver, MappedTable* table) {
  if (table->pending.empty()) return Status::Ok();
  LCB_ASSIGN_OR_RETURN(std::vector<std::string> ids, resolver.CreateLearners(table->pending));
  if (ids.size() != table->pending.size()) return Status::Internal("CreateLearners: wrong count");
  const auto& header = table->table.header;
  const int col =
      static_cast<int>(std::find(header.begin(), header.end(), "learner") - header.begin());
  for (size_t r = 0; r < table->table.rows.size(); ++r) {
    const int p = table->pending_of_row[r];
    if (p < 0) continue;
    table->table.rows[r].fields[col] = ids[p];
    table->pending_of_row[r] = -1;
  }
  table->pending.clear();
  return Status::Ok();
}

std::string BankFieldOfPointer(std::string_view pointer) {
  if (pointer == "/grade/value") return "grade_value";
  if (pointer == "/grade/scale" || pointer == "/grade") return "grade_scale";
  if (pointer.starts_with("/")) pointer.remove_prefix(1);
  return std::string(pointer.substr(0, pointer.find('/')));
}

CellProblem ProblemForField(const MappedTable& table, int line, std::string_view field_or_pointer,
                            std::string reason) {
  const std::string field = field_or_pointer.starts_with("/") ? BankFieldOfPointer(field_or_pointer)
                                                              : std::string(field_or_pointer);
  CellProblem p{line, "", "", field, std::move(reason)};
  const auto& header = table.table.header;
  for (size_t i = 0; i < header.size() && i < table.sources.size(); ++i) {
    if (header[i] == field) {
      p.column = table.sources[i].column;
      p.letter = table.sources[i].letter;
    }
  }
  if (p.column.empty() && !field.empty()) p.column = field;
  return p;
}

}  // namespace lcb::formats
