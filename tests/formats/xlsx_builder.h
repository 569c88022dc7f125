// Builds XLSX packages inside tests with libzip, from XML written the way Excel (and WPS
// Office, and the Open XML SDK with its "x:" prefixes) write it: [Content_Types].xml, the
// package and workbook relationships, workbook.xml with its <sheets>, styles.xml with cellXfs,
// sharedStrings.xml and one worksheet part per sheet.
#pragma once

#include <zip.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lcb::formats::testing {

struct ZipPart {
  std::string name;
  std::string data;
};

// A ZIP archive of `parts` (deflated unless `store`).
inline std::string BuildZip(const std::vector<ZipPart>& parts, bool store = false) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_t* za = zip_open_from_source(out, ZIP_TRUNCATE, &error);
  if (!za) throw std::runtime_error("zip_open_from_source");
  zip_source_keep(out);
  for (const ZipPart& p : parts) {
    zip_source_t* src = zip_source_buffer(za, p.data.data(), p.data.size(), 0);
    const zip_int64_t idx = zip_file_add(za, p.name.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) throw std::runtime_error("zip_file_add");
    zip_set_file_compression(za, static_cast<zip_uint64_t>(idx),
                             store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, store ? 0 : 6);
  }
  if (zip_close(za) != 0) throw std::runtime_error("zip_close");
  zip_source_open(out);
  zip_source_seek(out, 0, SEEK_END);
  const zip_int64_t size = zip_source_tell(out);
  zip_source_seek(out, 0, SEEK_SET);
  std::string bytes(static_cast<size_t>(size), '\0');
  zip_source_read(out, bytes.data(), bytes.size());
  zip_source_close(out);
  zip_source_free(out);
  return bytes;
}

struct SheetSpec {
  std::string name;
  std::string rows;  // the inner XML of <sheetData>
};

struct WorkbookSpec {
  std::vector<SheetSpec> sheets;
  std::vector<std::string> shared;                  // the inner XML of each <si>
  std::string num_fmts;                             // inner XML of <numFmts>
  std::vector<int> xf_num_fmts = {0, 14, 164, 49};  // cellXfs: s="0" general, s="1" date...
  bool date1904 = false;
  std::string prefix;             // "" (Excel, WPS) or "x:" (Open XML SDK)
  bool absolute_targets = false;  // Target="/xl/worksheets/sheet1.xml" (some libraries)
  std::string calc_pr;            // attributes of <calcPr>: " fullCalcOnLoad=\"1\"" (libraries)
};

inline std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

// A shared string <si> for plain text.
inline std::string Si(const std::string& text) { return "<t>" + Escape(text) + "</t>"; }

inline std::vector<ZipPart> WorkbookParts(const WorkbookSpec& spec) {
  const std::string& x = spec.prefix;
  const std::string ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  const std::string rns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  const std::string xmlns = x.empty() ? " xmlns=\"" + ns + "\"" : " xmlns:x=\"" + ns + "\"";
  const std::string decl = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n";
  std::vector<ZipPart> parts;
  std::string types =
      decl +
      "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package."
      "relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
      "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-"
      "officedocument.spreadsheetml.sheet.main+xml\"/></Types>";
  parts.push_back({"[Content_Types].xml", types});
  parts.push_back(
      {"_rels/.rels",
       decl +
           "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
           "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
           "relationships/extended-properties\" Target=\"docProps/app.xml\"/>"
           "<Relationship Id=\"rId1\" Type=\"" +
           rns +
           "/officeDocument\" Target=\"xl/workbook.xml\"/>"
           "</Relationships>"});
  std::string rels =
      decl +
      "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
  std::string sheets;
  for (size_t i = 0; i < spec.sheets.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    const std::string target =
        (spec.absolute_targets ? "/xl/" : "") + std::string("worksheets/sheet") + n + ".xml";
    rels += "<Relationship Id=\"rId" + n + "\" Type=\"" + rns + "/worksheet\" Target=\"" + target +
            "\"/>";
    sheets += "<" + x + "sheet name=\"" + Escape(spec.sheets[i].name) + "\" sheetId=\"" + n +
              "\" r:id=\"rId" + n + "\"/>";
    parts.push_back({"xl/worksheets/sheet" + n + ".xml",
                     decl + "<" + x + "worksheet" + xmlns + " xmlns:r=\"" + rns +
                         "\" xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/"
                         "2006\" mc:Ignorable=\"x14ac\"><" +
                         x + "dimension ref=\"A1\"/><" + x + "sheetViews><" + x +
                         "sheetView workbookViewId=\"0\"/></" + x + "sheetViews><" + x +
                         "sheetData>" + spec.sheets[i].rows + "</" + x + "sheetData><" + x +
                         "pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\""
                         " bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/></" +
                         x + "worksheet>"});
  }
  rels += "<Relationship Id=\"rId90\" Type=\"" + rns + "/styles\" Target=\"styles.xml\"/>";
  rels += "<Relationship Id=\"rId91\" Type=\"" + rns +
          "/sharedStrings\" Target=\"sharedStrings.xml\"/>";
  rels += "</Relationships>";
  parts.push_back({"xl/_rels/workbook.xml.rels", rels});
  parts.push_back({"xl/workbook.xml", decl + "<" + x + "workbook" + xmlns + " xmlns:r=\"" + rns +
                                          "\"><" + x + "fileVersion appName=\"xl\"/><" + x +
                                          "workbookPr" + (spec.date1904 ? " date1904=\"1\"" : "") +
                                          " defaultThemeVersion=\"164011\"/><" + x + "sheets>" +
                                          sheets + "</" + x + "sheets><" + x +
                                          "calcPr calcId=\"191029\"" + spec.calc_pr + "/></" + x +
                                          "workbook>"});
  std::string xfs;
  for (int f : spec.xf_num_fmts) {
    xfs += "<" + x + "xf numFmtId=\"" + std::to_string(f) +
           "\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"" +
           (f ? " applyNumberFormat=\"1\"" : "") + "/>";
  }
  parts.push_back(
      {"xl/styles.xml",
       decl + "<" + x + "styleSheet" + xmlns + ">" +
           (spec.num_fmts.empty() ? ""
                                  : "<" + x + "numFmts>" + spec.num_fmts + "</" + x + "numFmts>") +
           "<" + x + "cellXfs count=\"" + std::to_string(spec.xf_num_fmts.size()) + "\">" + xfs +
           "</" + x + "cellXfs></" + x + "styleSheet>"});
  std::string sst;
  for (const std::string& si : spec.shared) sst += "<" + x + "si>" + si + "</" + x + "si>";
  parts.push_back({"xl/sharedStrings.xml",
                   decl + "<" + x + "sst" + xmlns + " count=\"" +
                       std::to_string(spec.shared.size()) + "\" uniqueCount=\"" +
                       std::to_string(spec.shared.size()) + "\">" + sst + "</" + x + "sst>"});
  return parts;
}

inline std::string BuildXlsx(const WorkbookSpec& spec) { return BuildZip(WorkbookParts(spec)); }

}  // namespace lcb::formats::testing
