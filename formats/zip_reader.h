// Bounded reading of a ZIP archive held in memory (libzip), for XLSX packages from outside.
//
// A hostile package can declare millions of entries, or inflate a few KiB into gigabytes (a
// "zip bomb"), or lie about an entry's size. ZipReader refuses, with a clear InvalidArgument:
//   - more than `max_entries` entries (checked when the archive is opened);
//   - an entry whose declared uncompressed size exceeds `max_part_bytes`;
//   - an entry that inflates past `max_part_bytes` whatever it declared (counted while reading);
//   - reading more than `max_total_bytes` uncompressed across all entries read.
// Entry names are matched ignoring ASCII case (OPC part names are case-insensitive).
//
// Not thread-safe: one reader per request.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lcb::formats {

struct ZipLimits {
  size_t max_entries = 10'000;
  uint64_t max_part_bytes = 256ull << 20;
  uint64_t max_total_bytes = 512ull << 20;
};

class ZipReader {
 public:
  // `bytes` must outlive the reader. InvalidArgument when it is not a ZIP archive.
  static StatusOr<std::unique_ptr<ZipReader>> Open(std::string_view bytes, const ZipLimits& limits);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  // The whole uncompressed entry `name`; nullopt when the archive has no such entry.
  StatusOr<std::optional<std::string>> Read(std::string_view name);

  uint64_t total_read() const { return total_read_; }

 private:
  struct Handle;
  ZipReader(std::unique_ptr<Handle> handle, const ZipLimits& limits);

  std::unique_ptr<Handle> handle_;
  ZipLimits limits_;
  uint64_t total_read_ = 0;
};

}  // namespace lcb::formats
