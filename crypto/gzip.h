// GZIP (RFC 1952) through zlib, for Bitstring Status Lists (GZIP, then base64url).
//
// Decompression is bounded: input from outside (a status list another issuer publishes) can be
// a "zip bomb" expanding 1000:1, so the caller names the largest output it will take.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace lcb {

// One gzip member holding `data`, at zlib's `level` (1 fastest .. 9 smallest). Output is
// deterministic for a given input, level and zlib version (header mtime 0, OS "unknown").
std::string GzipCompress(std::string_view data, int level = 6);

// The content of exactly one gzip member. InvalidArgument (pointer "") for anything that is not
// one complete, CRC-correct gzip member with nothing after it; ResourceExhausted when the
// content would exceed `max_output` bytes (decompression stops there).
StatusOr<std::string> GzipDecompress(std::string_view gz, size_t max_output);

}  // namespace lcb
