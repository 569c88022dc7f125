// A small scanner over the tags of an XML part of an XLSX package, so that large parts (a
// worksheet's <sheetData>, the shared-string table) are handed to pugixml a slice at a time
// instead of as one document tree (pugixml's tree costs a few hundred bytes per cell: 500 MB
// for 100,000 rows of 16 columns; slices keep it to a few MiB), and so that every part's
// nesting depth is bounded before anything walks it.
//
// Grammar accepted (a subset of XML 1.0 that every OOXML writer stays within):
//   part     = [UTF-8 BOM] *(text / pi / comment / cdata / element-tag)
//   pi       = "<?" ... "?>"   comment = "<!--" ... "-->"   cdata = "<![CDATA[" ... "]]>"
//   tag      = "<" name *(attribute / space) ["/"] ">"  /  "</" name [space] ">"
//   attribute values are quoted with " or ' and may hold ">"
// Refused with InvalidArgument naming the part: a DOCTYPE or any other "<!" declaration
// (OOXML forbids DTDs, and refusing them rules out entity expansion), an encoding other than
// UTF-8 in the XML declaration or a UTF-16 BOM, an unterminated construct, an end tag with no
// open element, and nesting deeper than `max_depth`. Names are compared by their local part
// (after any "prefix:"), since writers choose their own namespace prefixes.
//
// Thread-safe: pure functions.
#pragma once

#include <functional>
#include <string_view>

#include "common/status.h"

namespace lcb::formats {

// Checks the whole part against the grammar above.
Status CheckXmlPart(std::string_view xml, std::string_view part, int max_depth);

// Scans the part (checking it as CheckXmlPart does) and calls `on_slice` with runs of whole
// child elements of the first element named `container` (local name), in document order, each
// run at least `slice_bytes` long except the last. Text between children is included. Stops
// at the first error from `on_slice`. OK without any call when there is no such container.
Status ForEachChildSlice(std::string_view xml, std::string_view part, std::string_view container,
                         int max_depth, size_t slice_bytes,
                         const std::function<Status(std::string_view)>& on_slice);

// "x:row" -> "row".
std::string_view LocalName(std::string_view qualified);

}  // namespace lcb::formats
