// The log's entries [from, to) in leaf order, read a bundle of 256 at a time
// (Ledger::EntryBundle): the walk shared by the readers of every new entry (the statistics'
// refresh, a follower's marks).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/status.h"
#include "service/log.h"

namespace lcb {

// Calls `each(leaf, entry bytes)` for every leaf in [from, to) until it returns an error (then
// returned). DataLoss when a bundle does not hold the entries it should.
Status ForEachLogEntry(LogService& log, uint64_t from, uint64_t to,
                       const std::function<Status(uint64_t, std::string_view)>& each);

}  // namespace lcb
