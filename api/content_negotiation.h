// Content negotiation (RFC 9110 section 12.5.1): which of the media types a route can answer
// with the client prefers, by its Accept header's q-values. "text/csv;q=0.1, application/json"
// prefers JSON; "*/*" or no Accept header takes the route's first (default) type; a type the
// header gives q=0 is never chosen. A header that accepts none of the offers also gets the
// default: the routes answer with their usual type rather than 406 (a strict client can tell by
// Content-Type).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lcb {

// The index in `offers` (media types in lower case, "type/subtype", the default first) of the
// one `accept` (the header's value, or null when absent) prefers: the highest q, where a type's
// q is that of the most specific range matching it (type/subtype over type/* over */*); ties go
// to the earlier offer. 0 when `offers` has one element or none is acceptable.
size_t PreferredMediaType(const std::string* accept, const std::vector<std::string_view>& offers);

}  // namespace lcb
