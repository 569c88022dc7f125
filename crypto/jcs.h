// RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes of every log entry.
//
//   - no whitespace; object members sorted by the UTF-16 code units of their names (not by
//     UTF-8 bytes: a name with a character above U+FFFF sorts before one in U+E000..U+FFFF);
//   - strings escape only '"', '\\', \b \f \n \r \t, and other controls below U+0020 as
//     \u00xx (lowercase hex); everything else is literal UTF-8;
//   - doubles print as ECMAScript Number.prototype.toString does (shortest round-trip digits,
//     "1e+21", "1e-7", "-0" -> "0"); nlohmann signed/unsigned integers print as integers.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lcb {

// Deepest nesting of arrays/objects accepted (the serializer is recursive).
inline constexpr int kMaxJcsDepth = 200;

// InvalidArgument (with the JSON pointer of the offending value) for NaN or infinity (which
// nlohmann yields for out-of-range literals such as 1e400), invalid UTF-8, binary values, or
// nesting deeper than kMaxJcsDepth. Fallible by design: these reach here from user input.
StatusOr<std::string> CanonicalJson(const nlohmann::json& value);

// The pieces CanonicalJson is made of, for hot paths that write a known object directly
// (members must then be appended in JCS order by the caller; tests compare such writers with
// CanonicalJson). JcsAppendString fails only on invalid UTF-8; JcsAppendDouble needs a finite v.
Status JcsAppendString(std::string_view s, std::string* out);
void JcsAppendDouble(double v, std::string* out);

}  // namespace lcb
