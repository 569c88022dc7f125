// The package around a worksheet: relationships, the workbook, styles and shared strings.
#include <cstring>
#include <map>

#include "formats/excel_values.h"
#include "formats/xlsx_internal.h"
#include "formats/xml_scan.h"

namespace lcb::formats::xlsx_internal {
namespace {

constexpr std::string_view kRootRels = "_rels/.rels";

struct Relationship {
  std::string type;    // the URI's last segment: "officeDocument", "worksheet", ...
  std::string target;  // resolved part name
};

// "xl/" + "worksheets/sheet1.xml" -> "xl/worksheets/sheet1.xml"; "/xl/a.xml" -> "xl/a.xml";
// ".." segments climb.
std::string ResolvePart(std::string_view base_dir, std::string_view target) {
  std::string joined = target.starts_with("/") ? std::string(target.substr(1))
                                               : std::string(base_dir) + std::string(target);
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t slash = joined.find('/', start);
    if (slash == std::string::npos) slash = joined.size();
    std::string seg = joined.substr(start, slash - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(std::move(seg));
    }
    start = slash + 1;
  }
  std::string out;
  for (const auto& s : segments) out += (out.empty() ? "" : "/") + s;
  return out;
}

// The rels part of `part`: "xl/workbook.xml" -> "xl/_rels/workbook.xml.rels".
std::string RelsOf(std::string_view part) {
  const size_t slash = part.rfind('/');
  const std::string dir(slash == std::string_view::npos ? "" : part.substr(0, slash + 1));
  const std::string_view file = slash == std::string_view::npos ? part : part.substr(slash + 1);
  return dir + "_rels/" + std::string(file) + ".rels";
}

std::string DirOf(std::string_view part) {
  const size_t slash = part.rfind('/');
  return slash == std::string_view::npos ? "" : std::string(part.substr(0, slash + 1));
}

StatusOr<std::string> ReadPart(ZipReader& zip, std::string_view part, const XlsxLimits& limits,
                               bool required) {
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> bytes, zip.Read(part));
  if (!bytes) {
    if (!required) return std::string();
    return Invalid("the XLSX package has no " + std::string(part) +
                   " (is it an Excel workbook? save it as .xlsx)");
  }
  LCB_RETURN_IF_ERROR(CheckXmlPart(*bytes, part, limits.max_xml_depth));
  return std::move(bytes).value();
}

// Relationships of `source_part` by id ("" = the package's own, _rels/.rels).
StatusOr<std::map<std::string, Relationship>> ReadRels(ZipReader& zip, std::string_view source_part,
                                                       const XlsxLimits& limits) {
  const std::string rels_part = source_part.empty() ? std::string(kRootRels) : RelsOf(source_part);
  LCB_ASSIGN_OR_RETURN(std::string xml, ReadPart(zip, rels_part, limits, true));
  pugi::xml_document doc;
  LCB_RETURN_IF_ERROR(ParseXml(xml, rels_part, &doc));
  std::map<std::string, Relationship> out;
  const std::string base = DirOf(source_part);
  for (pugi::xml_node rel : Child(doc, "Relationships").children()) {
    if (LocalName(rel.name()) != "Relationship") continue;
    if (std::string_view(Attr(rel, "TargetMode").value()) == "External") continue;
    std::string_view type = Attr(rel, "Type").value();
    type = type.substr(type.rfind('/') + 1);
    out[Attr(rel, "Id").value()] =
        Relationship{std::string(type), ResolvePart(base, Attr(rel, "Target").value())};
  }
  return out;
}

std::string FirstOfType(const std::map<std::string, Relationship>& rels, std::string_view type) {
  for (const auto& [id, rel] : rels) {
    if (rel.type == type) return rel.target;
  }
  return "";
}

bool TruthyAttr(pugi::xml_attribute a) {
  const std::string_view v = a.value();
  return v == "1" || v == "true";
}

// The chosen <sheet> of <sheets>: by name (exact, then ignoring ASCII case), or the first.
StatusOr<pugi::xml_node> PickSheet(pugi::xml_node sheets, std::string_view name) {
  pugi::xml_node first, exact, folded;
  std::string names;
  for (pugi::xml_node s : sheets.children()) {
    if (LocalName(s.name()) != "sheet") continue;
    const char* n = Attr(s, "name").value();
    if (!first) first = s;
    if (!exact && name == n) exact = s;
    if (!folded && name.size() == std::strlen(n) && strncasecmp(n, name.data(), name.size()) == 0) {
      folded = s;
    }
    names += std::string(names.empty() ? "" : ", ") + "\"" + n + "\"";
  }
  if (!first) return Invalid("the workbook has no sheets");
  if (name.empty()) return first;
  if (exact) return exact;
  if (folded) return folded;
  return Invalid("the workbook has no sheet named \"" + std::string(name) + "\"; its sheets are " +
                 names);
}

}  // namespace

Status Invalid(std::string message) {
  return Status::InvalidArgument(Field(""), std::move(message));
}

Status ParseXml(std::string_view xml, std::string_view part, pugi::xml_document* doc) {
  pugi::xml_parse_result r =
      doc->load_buffer(xml.data(), xml.size(), kParseFlags, pugi::encoding_utf8);
  if (!r) {
    return Invalid("XLSX part " + std::string(part) + " is not valid XML: " + r.description() +
                   " at byte " + std::to_string(r.offset));
  }
  return Status::Ok();
}

pugi::xml_node Child(pugi::xml_node node, std::string_view name) {
  for (pugi::xml_node c : node.children()) {
    if (LocalName(c.name()) == name) return c;
  }
  return {};
}

pugi::xml_attribute Attr(pugi::xml_node node, std::string_view local_name) {
  for (pugi::xml_attribute a : node.attributes()) {
    if (LocalName(a.name()) == local_name) return a;
  }
  return {};
}

StatusOr<Workbook> ReadWorkbook(ZipReader& zip, std::string_view sheet_name,
                                const XlsxLimits& limits) {
  LCB_ASSIGN_OR_RETURN(auto root_rels, ReadRels(zip, "", limits));
  std::string workbook_part = FirstOfType(root_rels, "officeDocument");
  if (workbook_part.empty()) return Invalid("the XLSX package names no workbook (_rels/.rels)");
  LCB_ASSIGN_OR_RETURN(std::string xml, ReadPart(zip, workbook_part, limits, true));
  pugi::xml_document doc;
  LCB_RETURN_IF_ERROR(ParseXml(xml, workbook_part, &doc));
  pugi::xml_node wb = Child(doc, "workbook");
  Workbook out;
  out.date1904 = TruthyAttr(Attr(Child(wb, "workbookPr"), "date1904"));
  out.full_calc_on_load = TruthyAttr(Attr(Child(wb, "calcPr"), "fullCalcOnLoad"));
  LCB_ASSIGN_OR_RETURN(pugi::xml_node sheet, PickSheet(Child(wb, "sheets"), sheet_name));
  out.sheet_name = Attr(sheet, "name").value();
  LCB_ASSIGN_OR_RETURN(auto rels, ReadRels(zip, workbook_part, limits));
  auto rel = rels.find(Attr(sheet, "id").value());
  if (rel == rels.end()) {
    return Invalid("sheet \"" + out.sheet_name + "\" has no part in the package");
  }
  if (rel->second.type != "worksheet") {
    return Invalid("sheet \"" + out.sheet_name + "\" is a " + rel->second.type +
                   ", not a worksheet with cells");
  }
  out.sheet_part = rel->second.target;
  out.shared_strings_part = FirstOfType(rels, "sharedStrings");
  out.styles_part = FirstOfType(rels, "styles");
  return out;
}

StatusOr<std::vector<std::string>> ReadSharedStrings(ZipReader& zip, const std::string& part,
                                                     const XlsxLimits& limits) {
  std::vector<std::string> out;
  if (part.empty()) return out;
  LCB_ASSIGN_OR_RETURN(std::optional<std::string> xml, zip.Read(part));
  if (!xml) return out;
  pugi::xml_document doc;
  Status s = ForEachChildSlice(
      *xml, part, "sst", limits.max_xml_depth, kSliceBytes, [&](std::string_view slice) -> Status {
        LCB_RETURN_IF_ERROR(ParseXml(slice, part, &doc));
        for (pugi::xml_node si : doc.children()) {
          if (LocalName(si.name()) != "si") continue;
          if (out.size() >= limits.max_shared_strings) {
            return Invalid("the workbook has more than " +
                           std::to_string(limits.max_shared_strings) + " shared strings");
          }
          std::string text;
          for (pugi::xml_node part_node : si.children()) {
            const std::string_view name = LocalName(part_node.name());
            if (name == "t") {
              text += part_node.child_value();
            } else if (name == "r") {  // a rich-text run; rPh (phonetic) runs are left out
              text += Child(part_node, "t").child_value();
            }
          }
          out.push_back(DecodeXstring(text));
        }
        return Status::Ok();
      });
  LCB_RETURN_IF_ERROR(s);
  return out;
}

StatusOr<std::vector<bool>> ReadDateStyles(ZipReader& zip, const std::string& part,
                                           const XlsxLimits& limits) {
  std::vector<bool> out;
  if (part.empty()) return out;
  LCB_ASSIGN_OR_RETURN(std::string xml, ReadPart(zip, part, limits, false));
  if (xml.empty()) return out;
  pugi::xml_document doc;
  LCB_RETURN_IF_ERROR(ParseXml(xml, part, &doc));
  pugi::xml_node sheet = Child(doc, "styleSheet");
  std::map<int, std::string> custom;
  for (pugi::xml_node f : Child(sheet, "numFmts").children()) {
    if (LocalName(f.name()) == "numFmt") {
      custom[Attr(f, "numFmtId").as_int(-1)] = Attr(f, "formatCode").value();
    }
  }
  for (pugi::xml_node xf : Child(sheet, "cellXfs").children()) {
    if (LocalName(xf.name()) != "xf") continue;
    const int id = Attr(xf, "numFmtId").as_int(0);
    auto it = custom.find(id);
    out.push_back(IsDateFormat(id, it == custom.end() ? std::string_view() : it->second));
  }
  return out;
}

}  // namespace lcb::formats::xlsx_internal
