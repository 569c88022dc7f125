// The body of GET /v1/stats, as JSON and as CSV, written straight into one string: an answer
// may hold tens of thousands of cells, and a JSON value per cell cost more than computing it.
#pragma once

#include <string>

#include "service/stats_query.h"

namespace lcb {

// {"cells":[{<group keys in group_by order>,"learners","records","credits","conversions"}],
//  "k","suppressed"[,"next"]}; level and year are numbers, the other keys strings; credits as
// CentiToString writes them (a number); "next" only when `next` is not empty.
std::string StatsJsonText(const StatsQuery& query, const StatsResult& result,
                          const std::string& next = "");
// A header row (the group keys, then learners,records,credits,conversions) and one row per
// cell, CRLF line ends. Keys are codes, slugs and numbers; a field holding a comma, quote or
// line break is quoted all the same (RFC 4180).
std::string StatsCsvText(const StatsQuery& query, const StatsResult& result);

}  // namespace lcb
