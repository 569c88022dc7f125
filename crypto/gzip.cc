#include "crypto/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace lcb {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper (zlib.h: deflateInit2)
constexpr int kMemLevel = 8;              // zlib's default
constexpr size_t kChunk = 64 * 1024;
constexpr size_t kMaxInput = 1u << 30;  // zlib counts input in 32-bit units

[[noreturn]] void FatalZlib(const char* what, int rc) {
  std::fprintf(stderr, "fatal: zlib %s failed (%d)\n", what, rc);
  std::abort();
}

Bytef* In(std::string_view s) { return reinterpret_cast<Bytef*>(const_cast<char*>(s.data())); }

}  // namespace

std::string GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  int rc = deflateInit2(&zs, level, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) FatalZlib("deflateInit2", rc);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = In(data);
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  // deflateBound() is an upper bound for a single Z_FINISH call (zlib.h).
  rc = deflate(&zs, Z_FINISH);
  if (rc != Z_STREAM_END) FatalZlib("deflate", rc);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

StatusOr<std::string> GzipDecompress(std::string_view gz, size_t max_output) {
  if (gz.size() > kMaxInput) return Status::ResourceExhausted("gzip data is too large");
  z_stream zs{};
  int rc = inflateInit2(&zs, kGzipWindowBits);
  if (rc != Z_OK) FatalZlib("inflateInit2", rc);
  zs.next_in = In(gz);
  zs.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  Status status;
  for (;;) {
    const size_t have = out.size();
    const size_t room = std::min(kChunk, max_output + 1 - have);  // +1: detect going over
    out.resize(have + room);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    zs.avail_out = static_cast<uInt>(room);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(have + room - zs.avail_out);
    if (out.size() > max_output) {
      status = Status::ResourceExhausted("gzip content is larger than " +
                                         std::to_string(max_output) + " bytes");
      break;
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in != 0)
        status = Status::InvalidArgument(Field(""), "data after the gzip member");
      break;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      status = Status::InvalidArgument(Field(""), "gzip data is truncated");
    } else {
      status = Status::InvalidArgument(
          Field(""), std::string("not gzip data: ") + (zs.msg != nullptr ? zs.msg : "corrupt"));
    }
    break;
  }
  inflateEnd(&zs);
  if (!status.ok()) return status;
  return out;
}

}  // namespace lcb
