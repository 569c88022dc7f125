#include "formats/zip_reader.h"

#include <zip.h>

#include <algorithm>

namespace lcb::formats {
namespace {

constexpr size_t kReadChunk = 1 << 16;

Status NotXlsx(std::string why) {
  return Status::InvalidArgument(Field(""), "not a readable XLSX file (" + why +
                                                "); save it from Excel or "
                                                "WPS as \"Excel Workbook (*.xlsx)\"");
}

Status TooLarge(std::string_view name, uint64_t limit) {
  return Status::InvalidArgument(
      Field(""), "XLSX part " + std::string(name) + " inflates to more than " +
                     std::to_string(limit >> 20) + " MiB; the file is refused (split it)");
}

struct FileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

}  // namespace

struct ZipReader::Handle {
  zip_t* archive = nullptr;
  ~Handle() {
    if (archive) zip_discard(archive);  // read-only: nothing to write back
  }
};

ZipReader::ZipReader(std::unique_ptr<Handle> handle, const ZipLimits& limits)
    : handle_(std::move(handle)), limits_(limits) {}

ZipReader::~ZipReader() = default;

StatusOr<std::unique_ptr<ZipReader>> ZipReader::Open(std::string_view bytes,
                                                     const ZipLimits& limits) {
  if (!bytes.starts_with("PK\x03\x04")) return NotXlsx("it does not start like a ZIP archive");
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!source) {
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    return Status::Internal("zip_source_buffer_create: " + why);
  }
  auto handle = std::make_unique<Handle>();
  handle->archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (!handle->archive) {
    zip_source_free(source);
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    return NotXlsx(why);
  }
  zip_error_fini(&error);
  const zip_int64_t entries = zip_get_num_entries(handle->archive, 0);
  if (entries < 0 || static_cast<uint64_t>(entries) > limits.max_entries) {
    return Status::InvalidArgument(Field(""), "the XLSX package has " + std::to_string(entries) +
                                                  " entries, more than the " +
                                                  std::to_string(limits.max_entries) + " allowed");
  }
  return std::unique_ptr<ZipReader>(new ZipReader(std::move(handle), limits));
}

StatusOr<std::optional<std::string>> ZipReader::Read(std::string_view name) {
  std::string key(name);
  const zip_int64_t index = zip_name_locate(handle_->archive, key.c_str(), ZIP_FL_NOCASE);
  if (index < 0) return std::optional<std::string>();
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(handle_->archive, static_cast<zip_uint64_t>(index), 0, &st) != 0) {
    return NotXlsx("cannot read the entry " + key);
  }
  if ((st.valid & ZIP_STAT_SIZE) && st.size > limits_.max_part_bytes) {
    return TooLarge(name, limits_.max_part_bytes);
  }
  std::unique_ptr<zip_file_t, FileCloser> file(
      zip_fopen_index(handle_->archive, static_cast<zip_uint64_t>(index), 0));
  if (!file) {
    return NotXlsx(std::string(zip_error_strerror(zip_get_error(handle_->archive))) + " in " + key);
  }
  std::string out;
  if (st.valid & ZIP_STAT_SIZE) out.reserve(static_cast<size_t>(st.size));
  for (;;) {
    // Never hold more than the limit allows, whatever the entry declared.
    const uint64_t room = std::min<uint64_t>(limits_.max_part_bytes - out.size() + 1,
                                             limits_.max_total_bytes - total_read_ + 1);
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kReadChunk, room));
    const size_t old = out.size();
    out.resize(old + want);
    const zip_int64_t got = zip_fread(file.get(), out.data() + old, want);
    if (got < 0) {
      return NotXlsx(std::string(zip_error_strerror(zip_file_get_error(file.get()))) + " in " +
                     key);
    }
    out.resize(old + static_cast<size_t>(got));
    total_read_ += static_cast<uint64_t>(got);
    if (out.size() > limits_.max_part_bytes) return TooLarge(name, limits_.max_part_bytes);
    if (total_read_ > limits_.max_total_bytes) {
      return Status::InvalidArgument(Field(""), "the XLSX package inflates to more than " +
                                                    std::to_string(limits_.max_total_bytes >> 20) +
                                                    " MiB; the file is refused (split it)");
    }
    if (got == 0) break;
  }
  return std::optional<std::string>(std::move(out));
}

}  // namespace lcb::formats
