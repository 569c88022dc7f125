#include "formats/xml_scan.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace lcb::formats {
namespace {

enum class TagKind { kStart, kEnd, kEmpty };

struct Tag {
  TagKind kind;
  std::string_view name;  // local name
  size_t begin;           // offset of '<'
  size_t end;             // offset after '>'
  int depth;              // depth of the element after the tag (start: its own depth, 1-based)
};

Status Bad(std::string_view part, std::string why) {
  return Status::InvalidArgument(Field(""),
                                 "XLSX part " + std::string(part) + " is not valid: " + why);
}

bool IsNameEnd(char c) {
  return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The XML declaration may only name UTF-8.
Status CheckDeclaration(std::string_view decl, std::string_view part) {
  const size_t enc = decl.find("encoding");
  if (enc == std::string_view::npos) return Status::Ok();
  size_t q = decl.find_first_of("\"'", enc);
  if (q == std::string_view::npos) return Bad(part, "malformed XML declaration");
  const size_t q2 = decl.find(decl[q], q + 1);
  if (q2 == std::string_view::npos) return Bad(part, "malformed XML declaration");
  std::string value(decl.substr(q + 1, q2 - q - 1));
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (value != "utf-8" && value != "utf8") {
    return Bad(part, "encoding " + value + " (only UTF-8 is read)");
  }
  return Status::Ok();
}

// Calls on_tag(const Tag&) -> Status for every element tag of `xml`.
template <typename OnTag>
Status Scan(std::string_view xml, std::string_view part, int max_depth, OnTag on_tag) {
  if (xml.starts_with("\xFF\xFE") || xml.starts_with("\xFE\xFF")) {
    return Bad(part, "UTF-16 (only UTF-8 is read)");
  }
  size_t pos = xml.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  const size_t declaration_at = pos;  // an XML declaration may only come first
  int depth = 0;
  for (;;) {
    const size_t lt = xml.find('<', pos);
    if (lt == std::string_view::npos) break;
    std::string_view rest = xml.substr(lt);
    auto skip_to = [&](std::string_view terminator) -> bool {
      const size_t end = xml.find(terminator, lt + 2);
      if (end == std::string_view::npos) return false;
      pos = end + terminator.size();
      return true;
    };
    if (rest.starts_with("<?")) {
      if (!skip_to("?>")) return Bad(part, "unterminated <?");
      if (lt == declaration_at) {
        LCB_RETURN_IF_ERROR(CheckDeclaration(xml.substr(lt, pos - lt), part));
      }
      continue;
    }
    if (rest.starts_with("<!--")) {
      if (!skip_to("-->")) return Bad(part, "unterminated comment");
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      if (!skip_to("]]>")) return Bad(part, "unterminated CDATA section");
      continue;
    }
    if (rest.starts_with("<!")) return Bad(part, "a DOCTYPE or other declaration (not allowed)");
    if (rest.starts_with("</")) {
      const size_t gt = xml.find('>', lt);
      if (gt == std::string_view::npos) return Bad(part, "unterminated end tag");
      size_t name_end = lt + 2;
      while (name_end < gt && !IsNameEnd(xml[name_end])) ++name_end;
      if (depth == 0) return Bad(part, "an end tag without a start tag");
      Tag tag{TagKind::kEnd, LocalName(xml.substr(lt + 2, name_end - lt - 2)), lt, gt + 1, depth};
      --depth;
      LCB_RETURN_IF_ERROR(on_tag(tag));
      pos = gt + 1;
      continue;
    }
    // A start or empty-element tag: find its '>' outside quoted attribute values.
    size_t name_end = lt + 1;
    while (name_end < xml.size() && !IsNameEnd(xml[name_end])) ++name_end;
    size_t p = name_end;
    size_t gt = std::string_view::npos;
    while (p < xml.size()) {
      const size_t hit = xml.find_first_of("\"'>", p);
      if (hit == std::string_view::npos) break;
      if (xml[hit] == '>') {
        gt = hit;
        break;
      }
      const size_t close = xml.find(xml[hit], hit + 1);
      if (close == std::string_view::npos) break;
      p = close + 1;
    }
    if (gt == std::string_view::npos) return Bad(part, "unterminated start tag");
    const bool empty = gt > lt + 1 && xml[gt - 1] == '/';
    const std::string_view name = LocalName(xml.substr(lt + 1, name_end - lt - 1));
    if (name.empty()) return Bad(part, "a tag without a name");
    if (!empty && ++depth > max_depth) {
      return Bad(part, "elements nest deeper than " + std::to_string(max_depth) + " levels");
    }
    Tag tag{empty ? TagKind::kEmpty : TagKind::kStart, name, lt, gt + 1, empty ? depth + 1 : depth};
    LCB_RETURN_IF_ERROR(on_tag(tag));
    pos = gt + 1;
  }
  if (depth != 0) return Bad(part, "the document ends inside an element");
  return Status::Ok();
}

}  // namespace

std::string_view LocalName(std::string_view qualified) {
  const size_t colon = qualified.rfind(':');
  return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

Status CheckXmlPart(std::string_view xml, std::string_view part, int max_depth) {
  return Scan(xml, part, max_depth, [](const Tag&) { return Status::Ok(); });
}

Status ForEachChildSlice(std::string_view xml, std::string_view part, std::string_view container,
                         int max_depth, size_t slice_bytes,
                         const std::function<Status(std::string_view)>& on_slice) {
  int container_depth = 0;  // 0 = not inside the container (yet, or any more)
  bool done = false;
  size_t slice_begin = std::string_view::npos;
  size_t last_child_end = 0;
  auto flush = [&](bool force) -> Status {
    if (slice_begin == std::string_view::npos) return Status::Ok();
    if (!force && last_child_end - slice_begin < slice_bytes) return Status::Ok();
    Status s = on_slice(xml.substr(slice_begin, last_child_end - slice_begin));
    slice_begin = std::string_view::npos;
    return s;
  };
  return Scan(xml, part, max_depth, [&](const Tag& tag) -> Status {
    if (done) return Status::Ok();
    if (container_depth == 0) {
      if (tag.kind == TagKind::kStart && tag.name == container) container_depth = tag.depth;
      if (tag.kind == TagKind::kEmpty && tag.name == container) done = true;
      return Status::Ok();
    }
    if (tag.kind == TagKind::kEnd && tag.depth == container_depth) {  // the container closes
      done = true;
      return flush(true);
    }
    const bool child_opens = tag.kind != TagKind::kEnd && tag.depth == container_depth + 1;
    if (child_opens && slice_begin == std::string_view::npos) slice_begin = tag.begin;
    const bool child_closes = (tag.kind == TagKind::kEnd && tag.depth == container_depth + 1) ||
                              (tag.kind == TagKind::kEmpty && tag.depth == container_depth + 1);
    if (child_closes) {
      last_child_end = tag.end;
      return flush(false);
    }
    return Status::Ok();
  });
}

}  // namespace lcb::formats
