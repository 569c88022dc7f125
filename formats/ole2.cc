#include "formats/ole2.h"

#include <cstdint>
#include <string>

namespace lcb::formats {
namespace {

constexpr std::string_view kMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
constexpr uint32_t kMaxRegularSector = 0xFFFFFFFA;  // larger values mark chain ends and the like
constexpr size_t kHeaderDifatEntries = 109;
constexpr size_t kDirEntryBytes = 128;

uint32_t U32(std::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(b[at])) |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
}
uint16_t U16(std::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(b[at]) |
                               static_cast<unsigned char>(b[at + 1]) << 8);
}

// A directory entry's name when it is ASCII (the names looked for are); else "".
std::string EntryName(std::string_view entry) {
  const size_t bytes = U16(entry, 0x40);  // with its terminating NUL
  if (bytes < 2 || bytes > 64 || bytes % 2 != 0) return "";
  std::string name;
  for (size_t i = 0; i + 2 < bytes; i += 2) {
    const uint16_t unit = U16(entry, i);
    if (unit == 0 || unit >= 0x80) return "";
    name.push_back(static_cast<char>(unit));
  }
  return name;
}

}  // namespace

Ole2Content SniffOle2(std::string_view b) {
  if (!b.starts_with(kMagic)) return Ole2Content::kNotOle2;
  if (b.size() < 512) return Ole2Content::kUnknown;
  const uint16_t shift = U16(b, 0x1E);
  if (shift != 9 && shift != 12) return Ole2Content::kUnknown;  // 512 (v3) or 4096 (v4)
  const size_t sector = size_t{1} << shift;
  const size_t sectors = b.size() / sector;  // sector n lies at (n + 1) * sector
  auto in_file = [&](uint32_t n) {
    return n <= kMaxRegularSector && (size_t{n} + 2) * sector <= b.size();
  };
  const uint32_t fat_sectors = U32(b, 0x2C);
  // The FAT entry of sector n, when its FAT sector is one the header lists.
  auto next = [&](uint32_t n) -> uint32_t {
    const size_t per_sector = sector / 4;
    const size_t fat_index = n / per_sector;
    if (fat_index >= kHeaderDifatEntries || fat_index >= fat_sectors) return 0xFFFFFFFF;
    const uint32_t fat = U32(b, 0x4C + 4 * fat_index);
    if (!in_file(fat)) return 0xFFFFFFFF;
    return U32(b, (size_t{fat} + 1) * sector + 4 * (n % per_sector));
  };
  bool encryption_info = false, encrypted_package = false, workbook = false;
  uint32_t dir = U32(b, 0x30);
  for (size_t steps = 0; in_file(dir) && steps < sectors; ++steps) {
    const std::string_view s = b.substr((size_t{dir} + 1) * sector, sector);
    for (size_t at = 0; at + kDirEntryBytes <= s.size(); at += kDirEntryBytes) {
      const std::string_view entry = s.substr(at, kDirEntryBytes);
      if (static_cast<unsigned char>(entry[0x42]) != 2) continue;  // streams only
      const std::string name = EntryName(entry);
      encryption_info |= name == "EncryptionInfo";
      encrypted_package |= name == "EncryptedPackage";
      workbook |= name == "Workbook" || name == "Book";
    }
    dir = next(dir);
  }
  if (encryption_info && encrypted_package) return Ole2Content::kEncryptedOoxml;
  if (workbook) return Ole2Content::kXls;
  return Ole2Content::kUnknown;
}

std::optional<std::string> Ole2Advice(std::string_view bytes) {
  switch (SniffOle2(bytes)) {
    case Ole2Content::kNotOle2:
      return std::nullopt;
    case Ole2Content::kEncryptedOoxml:
      return "this workbook is password-protected (encrypted), so it cannot be read; open it in "
             "Excel or WPS, remove the password (Excel: File > Info > Protect Workbook > Encrypt "
             "with Password, left empty; WPS: File > Document Encryption) and save it again, or "
             "save it as CSV";
    case Ole2Content::kXls:
      return "this is an old binary Excel file (.xls); open it in Excel or WPS and save it as "
             "\"Excel Workbook (*.xlsx)\" or as CSV";
    case Ole2Content::kUnknown:
      break;
  }
  return "this is an old binary Office file (a compound file holding no Excel workbook); save "
         "the sheet from Excel or WPS as \"Excel Workbook (*.xlsx)\" or as CSV";
}

}  // namespace lcb::formats
