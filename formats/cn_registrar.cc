// The shipped mapping `cn-registrar`: the column set of Chinese registrar credit-bank exports
// (DESIGN.md "Chinese registrar mapping"). The code tables are those of the credit-bank export
// of OpenURP, a registrar system used by Chinese universities (sources and meanings in
// docs/registrar-formats.md, "Code tables"). Parsed by the same ParseMapping as a mapping
// file, so it is also the worked example of the format.
#include "formats/mapping.h"

namespace lcb::formats {
namespace {

constexpr std::string_view kCnRegistrar = R"json({
  "format": "creditbank-mapping/1",
  "name": "cn-registrar",
  "description": "Chinese registrar credit-bank export (学分银行成绩导出): 学号, 姓名, 身份证号, 专业名称, 课程名称 [, 课程代码], 教育层次代码, 教育类别代码, 学分, 学时, 成绩, 获得时间, 届别, 毕业结业肄业, 备注 [, 毕业季, 记录号, 行政区划代码]",
  "unknown_columns": "error",
  "columns": {
    "学号": {"required": true, "max_chars": 40},
    "姓名": {"required": true, "max_chars": 50},
    "身份证号": {"required": true, "type": "national_id_cn", "aliases": ["身份证号码", "公民身份号码"]},
    "专业名称": {"max_chars": 100},
    "课程代码": {"max_chars": 64},
    "课程名称": {"required": true, "max_chars": 200},
    "教育层次代码": {"required": true, "codes": {
      "20": "本科", "21": "专科", "22": "专升本", "23": "高起本"}},
    "教育类别代码": {"required": true, "codes": {
      "30": "成人", "31": "普高", "32": "网络", "33": "中职", "34": "自考"}},
    "学分": {"type": "decimal"},
    "学时": {"type": "decimal"},
    "成绩": {"required": true, "max_chars": 20},
    "获得时间": {"required": true, "type": "yyyymm"},
    "届别": {"type": "year"},
    "毕业结业肄业": {"codes": {"40": "毕业", "41": "结业"}},
    "毕业季": {"codes": {"50": "春", "51": "秋"}},
    "备注": {"max_chars": 500},
    "行政区划代码": {"type": "region_code", "aliases": ["地区代码", "所在地区代码"]},
    "记录号": {"max_chars": 128}
  },
  "fields": {
    "learner": {"learner_by_national_id": "身份证号", "display_name": "姓名", "region": "行政区划代码"},
    "unit": [{"unit_by_code": "课程代码"}, {"unit_by_title": "课程名称"}],
    "external_ref": [{"copy": "记录号"}, {"template": "{学号}-{课程代码|课程名称}-{获得时间}"}],
    "credits": {"copy": "学分"},
    "hours": {"copy": "学时"},
    "grade": {"grade_cn": "成绩"},
    "completed_on": {"month_end": "获得时间"}
  }
})json";

}  // namespace

std::optional<std::string_view> BuiltinMappingText(std::string_view name) {
  if (name == "cn-registrar") return kCnRegistrar;
  return std::nullopt;
}

}  // namespace lcb::formats
