// Files of the web portal and the API reference, compiled into the binary.
//
// web/CMakeLists.txt runs web/tools/embed_assets.cc at build time over web/src (and the API
// reference renderer, when npm could fetch it) and generates the definition of
// EmbeddedAssets(). Scripts and style sheets get content-hashed names (app.3f2a9c01d4.css),
// so they never change under a name and may be cached for a year; the HTML entry pages keep
// their names and are revalidated by ETag. See web/README.md.
#pragma once

#include <span>
#include <string_view>

namespace lcb {

struct StaticAsset {
  std::string_view path;          // "/portal/index.html", "/portal/main.0a1b2c3d4e.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
  std::string_view etag;  // "\"<first 32 hex digits of SHA-256(body)>\""
  bool immutable;         // a content-hashed name: cache for a year
};

// Every embedded file (generated source).
std::span<const StaticAsset> EmbeddedAssets();
// The asset at `path`, or nullptr.
const StaticAsset* FindAsset(std::string_view path);

}  // namespace lcb
