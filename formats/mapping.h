// Column mappings: how the columns of a registrar's export become the bank's record fields
// (DESIGN.md's CSV header: learner, unit, external_ref, credits, hours, level, grade_scale,
// grade_value, completed_on, attendance, evidence_sha256).
//
// A mapping is a JSON document (docs/registrar-formats.md has the full grammar):
//
//   {"format": "creditbank-mapping/1", "name": "...", "description"?: "...",
//    "unknown_columns"?: "error" | "ignore",                      (default "error")
//    "columns": {"<header>": {"required"?: bool, "type"?: TYPE, "max_chars"?: N,
//                             "codes"?: {"<code>": "<meaning>", ...}, "aliases"?: [..]}},
//    "fields":  {"<field>": RULE | [RULE, ...]}}
//   TYPE = "text" | "decimal" | "integer" | "year" | "yyyymm" | "date" | "national_id_cn"
//        | "region_code"                                  (GB/T 2260, six digits)
//   RULE = {"copy": C} | {"constant": "text"} | {"template": "{C}-{C1|C2}-..."}
//        | {"learner_by_national_id": C, "display_name"?: C, "region"?: C} | {"unit_by_code": C}
//        | {"unit_by_title": C} | {"grade_cn": C} | {"month_end": C} | {"date": C}
//
// <field> is a bank field or "grade" (grade_scale and grade_value together, from one cell).
// Every column a rule names must be declared under "columns". A list of rules is a list of
// alternatives: the first whose columns are all in the file's header is used for the whole
// file (so "unit by 课程代码 when the file has that column, else by 课程名称" is
// [{"unit_by_code": "课程代码"}, {"unit_by_title": "课程名称"}]).
//
// `cn-registrar` (cn_registrar.cc) is compiled in; BuiltinMapping names it.
//
// Thread-safe: immutable values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lcb::formats {

enum class ColumnType {
  kText,
  kDecimal,
  kInteger,
  kYear,
  kYearMonth,
  kDate,
  kNationalIdCn,
  kRegionCode
};

struct ColumnSpec {
  std::string name;
  std::vector<std::string> aliases;  // other header texts accepted for this column
  bool required = false;             // in the header, and never empty
  ColumnType type = ColumnType::kText;
  size_t max_chars = 0;                      // 0 = no limit of its own
  std::map<std::string, std::string> codes;  // non-empty: the cell must be one of these
};

enum class Transform {
  kCopy,
  kConstant,
  kTemplate,
  kLearnerByNationalId,
  kUnitByCode,
  kUnitByTitle,
  kGradeCn,
  kMonthEnd,
  kDate,
};

// One piece of a template: literal text, or a placeholder naming alternative columns (the
// first in the header is used).
struct TemplatePart {
  std::string literal;
  std::vector<std::string> columns;
};

struct FieldRule {
  Transform transform = Transform::kCopy;
  std::string column;               // every transform but constant and template
  std::string display_name;         // learner_by_national_id: the column for a new account's name
  std::string region;               // learner_by_national_id: the column for a new account's region
  std::string value;                // constant
  std::vector<TemplatePart> parts;  // template
};

struct FieldSpec {
  std::string field;  // a bank field or "grade"
  std::vector<FieldRule> alternatives;
};

struct Mapping {
  std::string name;
  std::string description;
  bool ignore_unknown_columns = false;
  std::vector<ColumnSpec> columns;
  std::vector<FieldSpec> fields;

  const ColumnSpec* FindColumn(std::string_view name) const;
};

// Parses and checks a mapping document (I-JSON). Errors are InvalidArgument with the JSON
// pointer of the bad member.
StatusOr<Mapping> ParseMapping(std::string_view json_text);

// The compiled-in mapping called `name` ("cn-registrar"), or nullopt.
std::optional<std::string_view> BuiltinMappingText(std::string_view name);

// `name_or_json`: a built-in name, else the text of a mapping file.
StatusOr<Mapping> BuiltinMapping(std::string_view name);

}  // namespace lcb::formats
