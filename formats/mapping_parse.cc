// Reading and checking mapping documents (grammar in mapping.h and docs/registrar-formats.md).
#include <algorithm>
#include <set>

#include "common/encoding.h"
#include "crypto/ijson.h"
#include "engine/recognition.h"
#include "formats/mapping.h"

namespace lcb::formats {
namespace {

using json = nlohmann::json;

constexpr std::string_view kFormat = "creditbank-mapping/1";
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxColumns = 256;
constexpr size_t kMaxAlternatives = 8;
constexpr size_t kMaxCodes = 1000;
constexpr int64_t kMaxChars = 65536;

Status Bad(const std::string& pointer, std::string message) {
  return Status::InvalidArgument(Field(pointer), std::move(message));
}

std::string Ptr(const std::string& base, std::string_view key) {
  return base + "/" + JsonPointerEscape(key);
}

Status OnlyMembers(const json& obj, const std::string& pointer,
                   std::initializer_list<std::string_view> allowed) {
  if (!obj.is_object()) return Bad(pointer, "must be an object");
  for (const auto& [key, value] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Bad(Ptr(pointer, key), "unknown member");
    }
  }
  return Status::Ok();
}

StatusOr<std::string> Text(const json& v, const std::string& pointer, size_t max_bytes) {
  if (!v.is_string()) return Bad(pointer, "must be a string");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > max_bytes) {
    return Bad(pointer, "must be 1 to " + std::to_string(max_bytes) + " bytes");
  }
  return s;
}

StatusOr<ColumnType> ParseType(const json& v, const std::string& pointer) {
  static const std::map<std::string, ColumnType, std::less<>> kTypes = {
      {"text", ColumnType::kText},
      {"decimal", ColumnType::kDecimal},
      {"integer", ColumnType::kInteger},
      {"year", ColumnType::kYear},
      {"yyyymm", ColumnType::kYearMonth},
      {"date", ColumnType::kDate},
      {"national_id_cn", ColumnType::kNationalIdCn},
      {"region_code", ColumnType::kRegionCode}};
  if (v.is_string()) {
    auto it = kTypes.find(v.get_ref<const std::string&>());
    if (it != kTypes.end()) return it->second;
  }
  return Bad(
      pointer,
      "must be one of text, decimal, integer, year, yyyymm, date, national_id_cn, region_code");
}

StatusOr<ColumnSpec> ParseColumn(const std::string& name, const json& v, const std::string& ptr) {
  LCB_RETURN_IF_ERROR(OnlyMembers(v, ptr, {"required", "type", "max_chars", "codes", "aliases"}));
  ColumnSpec col;
  col.name = name;
  if (v.contains("required")) {
    if (!v["required"].is_boolean()) return Bad(ptr + "/required", "must be true or false");
    col.required = v["required"].get<bool>();
  }
  if (v.contains("type")) {
    LCB_ASSIGN_OR_RETURN(col.type, ParseType(v["type"], ptr + "/type"));
  }
  if (v.contains("max_chars")) {
    const json& m = v["max_chars"];
    if (!m.is_number_integer() || m.get<int64_t>() < 1 || m.get<int64_t>() > kMaxChars) {
      return Bad(ptr + "/max_chars", "must be an integer from 1 to 65536");
    }
    col.max_chars = static_cast<size_t>(m.get<int64_t>());
  }
  if (v.contains("codes")) {
    const json& codes = v["codes"];
    if (!codes.is_object() || codes.empty() || codes.size() > kMaxCodes) {
      return Bad(ptr + "/codes", "must be an object of 1 to 1000 codes");
    }
    for (const auto& [code, meaning] : codes.items()) {
      LCB_ASSIGN_OR_RETURN(std::string m, Text(meaning, Ptr(ptr + "/codes", code), kMaxNameBytes));
      col.codes[code] = std::move(m);
    }
  }
  if (v.contains("aliases")) {
    const json& aliases = v["aliases"];
    if (!aliases.is_array()) return Bad(ptr + "/aliases", "must be an array of header texts");
    for (size_t i = 0; i < aliases.size(); ++i) {
      LCB_ASSIGN_OR_RETURN(std::string a,
                           Text(aliases[i], ptr + "/aliases/" + std::to_string(i), kMaxNameBytes));
      col.aliases.push_back(std::move(a));
    }
  }
  return col;
}

// "{学号}-{课程代码|课程名称}" -> parts.
StatusOr<std::vector<TemplatePart>> ParseTemplate(std::string_view text, const std::string& ptr) {
  std::vector<TemplatePart> parts;
  size_t i = 0;
  bool placeholder = false;
  while (i < text.size()) {
    const size_t open = text.find('{', i);
    const size_t close_before = text.find('}', i);
    if (close_before < open) return Bad(ptr, "a '}' without its '{'");
    if (open > i) parts.push_back(TemplatePart{std::string(text.substr(i, open - i)), {}});
    if (open == std::string_view::npos) break;
    const size_t close = text.find('}', open);
    if (close == std::string_view::npos) return Bad(ptr, "a '{' without its '}'");
    TemplatePart part;
    std::string_view inner = text.substr(open + 1, close - open - 1);
    size_t start = 0;
    while (start <= inner.size()) {
      size_t bar = inner.find('|', start);
      if (bar == std::string_view::npos) bar = inner.size();
      std::string column(inner.substr(start, bar - start));
      if (column.empty() || column.find('{') != std::string::npos) {
        return Bad(ptr, "an empty or malformed placeholder");
      }
      part.columns.push_back(std::move(column));
      start = bar + 1;
    }
    parts.push_back(std::move(part));
    placeholder = true;
    i = close + 1;
  }
  if (!placeholder) return Bad(ptr, "a template needs at least one {column}");
  return parts;
}

// Which transforms may feed which field.
Status CheckTransformFits(const std::string& field, Transform t, const std::string& ptr) {
  auto only = [&](const char* f) -> Status {
    if (field == f) return Status::Ok();
    return Bad(ptr, std::string("this transform can only feed ") + f);
  };
  switch (t) {
    case Transform::kLearnerByNationalId:
      return only("learner");
    case Transform::kUnitByCode:
    case Transform::kUnitByTitle:
      return only("unit");
    case Transform::kGradeCn:
      return only("grade");
    default:
      if (field == "grade") return Bad(ptr, "grade takes grade_cn");
      return Status::Ok();
  }
}

StatusOr<FieldRule> ParseRule(const std::string& field, const json& v, const std::string& ptr,
                              const Mapping& m) {
  static const std::map<std::string, Transform, std::less<>> kColumnTransforms = {
      {"copy", Transform::kCopy},
      {"learner_by_national_id", Transform::kLearnerByNationalId},
      {"unit_by_code", Transform::kUnitByCode},
      {"unit_by_title", Transform::kUnitByTitle},
      {"grade_cn", Transform::kGradeCn},
      {"month_end", Transform::kMonthEnd},
      {"date", Transform::kDate}};
  if (!v.is_object()) return Bad(ptr, "a rule is an object such as {\"copy\": \"<column>\"}");
  FieldRule rule;
  int transforms = 0;
  auto declared = [&](const std::string& column, const std::string& at) -> Status {
    if (m.FindColumn(column)) return Status::Ok();
    return Bad(at, "column \"" + column + "\" is not declared under /columns");
  };
  for (const auto& [key, value] : v.items()) {
    const std::string at = Ptr(ptr, key);
    if (key == "display_name" || key == "region") {
      std::string& column = key == "region" ? rule.region : rule.display_name;
      LCB_ASSIGN_OR_RETURN(column, Text(value, at, kMaxNameBytes));
      LCB_RETURN_IF_ERROR(declared(column, at));
      continue;
    }
    ++transforms;
    if (auto it = kColumnTransforms.find(key); it != kColumnTransforms.end()) {
      rule.transform = it->second;
      LCB_ASSIGN_OR_RETURN(rule.column, Text(value, at, kMaxNameBytes));
      LCB_RETURN_IF_ERROR(declared(rule.column, at));
    } else if (key == "constant") {
      rule.transform = Transform::kConstant;
      LCB_ASSIGN_OR_RETURN(rule.value, Text(value, at, 1000));
    } else if (key == "template") {
      rule.transform = Transform::kTemplate;
      LCB_ASSIGN_OR_RETURN(std::string text, Text(value, at, 1000));
      LCB_ASSIGN_OR_RETURN(rule.parts, ParseTemplate(text, at));
      for (const TemplatePart& part : rule.parts) {
        for (const std::string& c : part.columns) LCB_RETURN_IF_ERROR(declared(c, at));
      }
    } else {
      return Bad(at,
                 "unknown transform; use copy, constant, template, learner_by_national_id, "
                 "unit_by_code, unit_by_title, grade_cn, month_end or date");
    }
    LCB_RETURN_IF_ERROR(CheckTransformFits(field, rule.transform, at));
  }
  if (transforms != 1) return Bad(ptr, "a rule names exactly one transform");
  if (!rule.display_name.empty() && rule.transform != Transform::kLearnerByNationalId) {
    return Bad(ptr + "/display_name", "only learner_by_national_id takes a display_name");
  }
  if (!rule.region.empty() && rule.transform != Transform::kLearnerByNationalId) {
    return Bad(ptr + "/region", "only learner_by_national_id takes a region");
  }
  return rule;
}

Status CheckFieldSet(const Mapping& m) {
  std::set<std::string> fields;
  for (const FieldSpec& f : m.fields) fields.insert(f.field);
  for (const char* required : {"learner", "unit", "external_ref", "completed_on"}) {
    if (!fields.count(required)) {
      return Bad(std::string("/fields/") + required, "the mapping must give this field");
    }
  }
  const bool grade = fields.count("grade") > 0;
  const bool scale = fields.count("grade_scale") > 0, value = fields.count("grade_value") > 0;
  if (grade && (scale || value)) {
    return Bad("/fields/grade", "give grade, or grade_scale and grade_value, not both");
  }
  if (!grade && !(scale && value)) {
    return Bad("/fields/grade", "the mapping must give grade (or grade_scale and grade_value)");
  }
  return Status::Ok();
}

Status ParseColumns(const json& doc, Mapping* m) {
  if (!doc.contains("columns") || !doc["columns"].is_object() || doc["columns"].empty() ||
      doc["columns"].size() > kMaxColumns) {
    return Bad("/columns", "must be an object naming 1 to 256 columns");
  }
  std::set<std::string> headers;
  for (const auto& [name, spec] : doc["columns"].items()) {
    const std::string ptr = Ptr("/columns", name);
    if (name.empty() || name.size() > kMaxNameBytes) return Bad(ptr, "bad column name");
    LCB_ASSIGN_OR_RETURN(ColumnSpec col, ParseColumn(name, spec, ptr));
    if (!headers.insert(name).second) return Bad(ptr, "declared twice");
    for (const std::string& a : col.aliases) {
      if (!headers.insert(a).second) return Bad(ptr + "/aliases", "\"" + a + "\" is taken");
    }
    m->columns.push_back(std::move(col));
  }
  return Status::Ok();
}

Status ParseFields(const json& doc, Mapping* m) {
  if (!doc.contains("fields") || !doc["fields"].is_object()) {
    return Bad("/fields", "must be an object of field rules");
  }
  for (const auto& [field, value] : doc["fields"].items()) {
    const std::string ptr = Ptr("/fields", field);
    const bool known =
        field == "grade" || std::find(std::begin(kRecordCsvColumns), std::end(kRecordCsvColumns),
                                      field) != std::end(kRecordCsvColumns);
    if (!known) return Bad(ptr, "not a record field (see DESIGN.md's CSV header) nor grade");
    FieldSpec spec{field, {}};
    if (value.is_array()) {
      if (value.empty() || value.size() > kMaxAlternatives) {
        return Bad(ptr, "a list of 1 to 8 alternative rules");
      }
      for (size_t i = 0; i < value.size(); ++i) {
        LCB_ASSIGN_OR_RETURN(FieldRule r,
                             ParseRule(field, value[i], ptr + "/" + std::to_string(i), *m));
        spec.alternatives.push_back(std::move(r));
      }
    } else {
      LCB_ASSIGN_OR_RETURN(FieldRule r, ParseRule(field, value, ptr, *m));
      spec.alternatives.push_back(std::move(r));
    }
    m->fields.push_back(std::move(spec));
  }
  return CheckFieldSet(*m);
}

}  // namespace

const ColumnSpec* Mapping::FindColumn(std::string_view name) const {
  for (const ColumnSpec& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

StatusOr<Mapping> ParseMapping(std::string_view json_text) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseIJson(json_text));
  LCB_RETURN_IF_ERROR(OnlyMembers(
      doc, "", {"format", "name", "description", "unknown_columns", "columns", "fields"}));
  if (!doc.contains("format") || doc["format"] != kFormat) {
    return Bad("/format", "must be \"creditbank-mapping/1\"");
  }
  Mapping m;
  LCB_ASSIGN_OR_RETURN(m.name, Text(doc.value("name", json()), "/name", 64));
  if (doc.contains("description")) {
    LCB_ASSIGN_OR_RETURN(m.description, Text(doc["description"], "/description", 2000));
  }
  if (doc.contains("unknown_columns")) {
    const json& u = doc["unknown_columns"];
    if (u != "error" && u != "ignore") return Bad("/unknown_columns", "must be error or ignore");
    m.ignore_unknown_columns = u == "ignore";
  }
  LCB_RETURN_IF_ERROR(ParseColumns(doc, &m));
  LCB_RETURN_IF_ERROR(ParseFields(doc, &m));
  return m;
}

StatusOr<Mapping> BuiltinMapping(std::string_view name) {
  auto text = BuiltinMappingText(name);
  if (!text) {
    return Status::InvalidArgument(
        Field("/mapping"),
        "no built-in mapping \"" + std::string(name).substr(0, 64) + "\" (built in: cn-registrar)");
  }
  return ParseMapping(*text);
}

}  // namespace lcb::formats
