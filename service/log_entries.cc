#include "service/log_entries.h"

#include <algorithm>
#include <string>
#include <vector>

#include "crypto/tiles.h"

namespace lcb {

Status ForEachLogEntry(LogService& log, uint64_t from, uint64_t to,
                       const std::function<Status(uint64_t, std::string_view)>& each) {
  for (uint64_t n = from / kTileWidth; n * kTileWidth < to; ++n) {
    const uint64_t end = std::min(to, (n + 1) * kTileWidth);
    LCB_ASSIGN_OR_RETURN(std::string bundle,
                         log.EntryBundle(n, static_cast<uint32_t>(end - n * kTileWidth)));
    LCB_ASSIGN_OR_RETURN(std::vector<std::string_view> entries, SplitBundle(bundle));
    if (entries.size() != end - n * kTileWidth) {
      return Status::DataLoss("entry bundle " + std::to_string(n) + " holds " +
                              std::to_string(entries.size()) + " entries, not " +
                              std::to_string(end - n * kTileWidth));
    }
    for (uint64_t leaf = std::max(from, n * kTileWidth); leaf < end; ++leaf) {
      LCB_RETURN_IF_ERROR(each(leaf, entries[leaf - n * kTileWidth]));
    }
  }
  return Status::Ok();
}

}  // namespace lcb
