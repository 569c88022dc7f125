// I-JSON (RFC 7493) parsing: JSON text in which no object names a member twice.
//
// RFC 8785 (the log's canonical form) and RFC 7493 forbid duplicate member names, and parsers
// disagree on them (some keep the first, nlohmann keeps the last). A body that names a member
// twice could therefore mean one thing to the institution that signed it and another to the
// bank, so every JSON document the bank reads from outside goes through ParseIJson.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/status.h"

namespace lcb {

// Nesting deeper than this is refused (nothing legitimate comes close; deep documents would
// make every recursive walk of the tree a stack risk).
inline constexpr int kMaxJsonDepth = 200;

// Parses `text` as one JSON value. InvalidArgument when it is not JSON (pointer "", message
// with the byte offset), when an object names a member twice (pointer = the duplicated
// member, e.g. "/records/3/learner"), or when it nests deeper than kMaxJsonDepth.
StatusOr<nlohmann::json> ParseIJson(std::string_view text);

}  // namespace lcb
