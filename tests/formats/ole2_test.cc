// formats/ole2.h: what a compound file holds, told from its directory. The .xls is a real one
// (LibreOffice's "MS Excel 97" filter, tests/formats/data/make_office_workbooks.py); the
// encrypted workbooks are compound files laid out here by [MS-CFB] 2.2-2.6, with the streams
// ECMA-376 encryption puts in one ([MS-OFFCRYPTO] 2.3.4.1: "EncryptionInfo",
// "EncryptedPackage"), since no writer of encrypted workbooks is in Debian 12.
#include "formats/ole2.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "formats/registrar_file.h"
#include "formats/xlsx.h"

namespace lcb::formats {
namespace {

constexpr uint32_t kEnd = 0xFFFFFFFE;   // ENDOFCHAIN
constexpr uint32_t kFree = 0xFFFFFFFF;  // FREESECT
constexpr uint32_t kFatSect = 0xFFFFFFFD;

void Put32(std::string* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<char>(v >> (8 * i));
}
void Put16(std::string* b, size_t at, uint16_t v) {
  (*b)[at] = static_cast<char>(v);
  (*b)[at + 1] = static_cast<char>(v >> 8);
}

// A version-3 compound file (512-byte sectors): sector 0 is the FAT, the directory's entries
// fill the sectors `dir_chain` names (4 a sector, in that order), and `fat` overrides FAT
// entries (sector -> next) for the chain; the streams themselves hold nothing.
std::string CompoundFile(const std::vector<std::pair<std::string, int>>& entries,
                         const std::vector<uint32_t>& dir_chain,
                         const std::vector<std::pair<uint32_t, uint32_t>>& fat) {
  uint32_t sectors = 1;
  for (uint32_t s : dir_chain) sectors = std::max(sectors, s + 1);
  std::string b((sectors + 1) * 512, '\0');
  b.replace(0, 8, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
  Put16(&b, 0x18, 0x3E);    // minor version
  Put16(&b, 0x1A, 3);       // major version
  Put16(&b, 0x1C, 0xFFFE);  // byte order
  Put16(&b, 0x1E, 9);       // sector shift: 512
  Put16(&b, 0x20, 6);       // mini sector shift
  Put32(&b, 0x2C, 1);       // FAT sectors
  Put32(&b, 0x30, dir_chain.empty() ? kEnd : dir_chain[0]);
  Put32(&b, 0x3C, kEnd);  // no mini FAT
  Put32(&b, 0x44, kEnd);  // no DIFAT sectors
  for (size_t i = 0; i < 109; ++i) Put32(&b, 0x4C + 4 * i, i == 0 ? 0 : kFree);
  const size_t fat_at = 512;
  for (uint32_t s = 0; s < 128; ++s) Put32(&b, fat_at + 4 * s, kFree);
  Put32(&b, fat_at, kFatSect);
  for (size_t i = 0; i < dir_chain.size(); ++i) {
    Put32(&b, fat_at + 4 * dir_chain[i], i + 1 < dir_chain.size() ? dir_chain[i + 1] : kEnd);
  }
  for (const auto& [from, to] : fat) Put32(&b, fat_at + 4 * from, to);
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t at = (size_t{dir_chain[i / 4]} + 1) * 512 + (i % 4) * 128;
    const auto& [name, type] = entries[i];
    for (size_t c = 0; c < name.size(); ++c) Put16(&b, at + 2 * c, static_cast<uint8_t>(name[c]));
    Put16(&b, at + 0x40, static_cast<uint16_t>(2 * name.size() + 2));
    b[at + 0x42] = static_cast<char>(type);
    Put32(&b, at + 0x44, kFree);  // siblings and child: none (the tree is not read)
    Put32(&b, at + 0x48, kFree);
    Put32(&b, at + 0x4C, kFree);
  }
  return b;
}

const std::vector<std::pair<std::string, int>> kEncrypted = {{"Root Entry", 5},
                                                             {"\x06"
                                                              "DataSpaces",
                                                              1},
                                                             {"Version", 2},
                                                             {"DataSpaceMap", 2},
                                                             {"DataSpaceInfo", 1},
                                                             {"StrongEncryptionDataSpace", 2},
                                                             {"TransformInfo", 1},
                                                             {"EncryptionInfo", 2},
                                                             {"EncryptedPackage", 2}};

std::string ReadData(const std::string& name) {
  std::ifstream in(std::string(LCB_SOURCE_DIR) + "/tests/formats/data/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(SniffOle2, AnExcel97WorkbookSavedByLibreOffice) {
  const std::string xls = ReadData("cn_registrar_libreoffice.xls");
  ASSERT_GT(xls.size(), 1000u);
  EXPECT_EQ(SniffOle2(xls), Ole2Content::kXls);
  EXPECT_EQ(SniffOle2(ReadData("cn_registrar_libreoffice.xlsx")), Ole2Content::kNotOle2);
  EXPECT_EQ(SniffOle2("学号,姓名\n"), Ole2Content::kNotOle2);
}

TEST(SniffOle2, AnEncryptedWorkbookWhoseDirectoryTakesThreeSectors) {
  // Nine entries: the directory's chain is 1 -> 3 -> 2, so its streams lie in the second and
  // third sectors it names; both of encryption's streams must be there.
  EXPECT_EQ(SniffOle2(CompoundFile(kEncrypted, {1, 3, 2}, {})), Ole2Content::kEncryptedOoxml);
  auto only_info = kEncrypted;
  only_info.pop_back();
  EXPECT_EQ(SniffOle2(CompoundFile(only_info, {1, 3, 2}, {})), Ole2Content::kUnknown);
  // A storage (type 1) of the name is not the stream.
  auto storage = kEncrypted;
  storage.back().second = 1;
  EXPECT_EQ(SniffOle2(CompoundFile(storage, {1, 3, 2}, {})), Ole2Content::kUnknown);
  // A Word document is neither.
  EXPECT_EQ(
      SniffOle2(CompoundFile({{"Root Entry", 5}, {"WordDocument", 2}, {"1Table", 2}}, {1}, {})),
      Ole2Content::kUnknown);
  EXPECT_EQ(SniffOle2(CompoundFile({{"Root Entry", 5}, {"Book", 2}}, {1}, {})),
            Ole2Content::kXls);  // Excel 5.0/95
}

TEST(SniffOle2, DamagedFilesEndTheWalk) {
  // A loop in the FAT (3 -> 1): walked at most once per sector, and what was seen counts.
  EXPECT_EQ(SniffOle2(CompoundFile(kEncrypted, {1, 3, 2}, {{2, 1}})), Ole2Content::kEncryptedOoxml);
  // A loop (1 -> 3 -> 1) that never reaches the sector holding "EncryptedPackage".
  EXPECT_EQ(SniffOle2(CompoundFile(kEncrypted, {1, 3, 2}, {{3, 1}})), Ole2Content::kUnknown);
  // Cut short: the chain points past the end; the header alone; the signature alone.
  std::string cut = CompoundFile(kEncrypted, {1, 3, 2}, {});
  cut.resize(3 * 512);
  EXPECT_EQ(SniffOle2(cut), Ole2Content::kUnknown);
  cut.resize(512);
  EXPECT_EQ(SniffOle2(cut), Ole2Content::kUnknown);
  EXPECT_EQ(SniffOle2("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), Ole2Content::kUnknown);
  // A sector size that is neither 512 nor 4096; a name length past the entry.
  std::string shift = CompoundFile(kEncrypted, {1, 3, 2}, {});
  Put16(&shift, 0x1E, 30);
  EXPECT_EQ(SniffOle2(shift), Ole2Content::kUnknown);
  std::string name = CompoundFile({{"Root Entry", 5}, {"Workbook", 2}}, {1}, {});
  Put16(&name, 2 * 512 + 128 + 0x40, 200);
  EXPECT_EQ(SniffOle2(name), Ole2Content::kUnknown);
}

TEST(Ole2Advice, EachReaderSaysWhatToDo) {
  const std::string encrypted = CompoundFile(kEncrypted, {1, 3, 2}, {});
  const std::string xls = ReadData("cn_registrar_libreoffice.xls");
  for (const auto& [bytes, says] : std::vector<std::pair<std::string, std::string>>{
           {encrypted, "password-protected"},
           {xls, "old binary Excel file (.xls)"},
           {CompoundFile({{"Root Entry", 5}, {"WordDocument", 2}}, {1}, {}),
            "holding no Excel workbook"}}) {
    SCOPED_TRACE(says);
    std::vector<CellProblem> problems;
    auto file = ReadRegistrarFile(bytes, {}, &problems);  // creditbank import
    ASSERT_FALSE(file.ok());
    EXPECT_NE(file.status().message().find(says), std::string::npos) << file.status().message();
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].line, 0);
    problems.clear();
    auto sent = ReadXlsx(bytes, "", {}, &problems);  // POST /v1/records as XLSX
    ASSERT_FALSE(sent.ok());
    EXPECT_EQ(sent.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(sent.status().message().find(says), std::string::npos) << sent.status().message();
    ASSERT_EQ(problems.size(), 1u);
  }
  EXPECT_FALSE(Ole2Advice(ReadData("cn_registrar_libreoffice.xlsx")).has_value());
}

}  // namespace
}  // namespace lcb::formats
