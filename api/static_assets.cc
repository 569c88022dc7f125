#include "api/static_assets.h"

#include <unordered_map>

namespace lcb {

const StaticAsset* FindAsset(std::string_view path) {
  // Built once: a few dozen entries, read on every portal request.
  static const std::unordered_map<std::string_view, const StaticAsset*> index = [] {
    std::unordered_map<std::string_view, const StaticAsset*> map;
    for (const StaticAsset& a : EmbeddedAssets()) map.emplace(a.path, &a);
    return map;
  }();
  auto it = index.find(path);
  return it == index.end() ? nullptr : it->second;
}

}  // namespace lcb
