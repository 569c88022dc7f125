// What an OLE2 compound file (MS-CFB) holds, told from its directory, so that a registrar who
// uploads one is told what to do with it: an Excel 97-2003 workbook (.xls: a "Workbook" or
// "Book" stream) is to be saved again as .xlsx; a password-protected .xlsx (ECMA-376
// encryption: "EncryptionInfo" and "EncryptedPackage" streams in a compound file, which is
// what Excel and WPS write for "Encrypt with Password") is to be saved without its password.
//
// Only the directory's stream names are read: the header's sector size and its first 109 FAT
// sectors (the header's DIFAT), then the directory's chain of sectors, each step bounds-checked
// and the chain cut at as many steps as the file has sectors (a loop cannot hang it). Anything
// it cannot follow is kUnknown.
//
// Thread-safe: pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lcb::formats {

enum class Ole2Content {
  kNotOle2,         // does not start with the compound file signature
  kUnknown,         // a compound file whose directory names neither (a .doc, or damaged)
  kXls,             // an Excel 97-2003 binary workbook
  kEncryptedOoxml,  // an encrypted (password-protected) Office Open XML file
};

Ole2Content SniffOle2(std::string_view bytes);

// For a compound file, what its sender is to do with it (one sentence, naming Excel and WPS's
// own menu items); nothing when `bytes` is not one.
std::optional<std::string> Ole2Advice(std::string_view bytes);

}  // namespace lcb::formats
