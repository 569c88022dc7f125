// Helpers shared by the crypto tests: vector files and hex conversions.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "common/encoding.h"
#include "crypto/sha256.h"

namespace lcb::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The third-party vector folder: $LCB_VECTORS_DIR, else ../shared/vectors beside the checkout.
// Those files are other projects' test data, which this repository does not redistribute: a
// clone without them skips the tests that need them (LCB_LOAD_VECTORS_OR_SKIP); the vectors
// printed in the RFCs themselves are written into the tests as constants instead.
inline std::string VectorsDir() {
  if (const char* env = std::getenv("LCB_VECTORS_DIR"); env != nullptr && *env != '\0') return env;
  return std::string(LCB_SOURCE_DIR) + "/../shared/vectors";
}

inline bool HaveVectors() { return std::filesystem::is_directory(VectorsDir()); }

// Parses a vector file; with the folder present, a missing or unreadable file fails the test.
inline nlohmann::json LoadVectors(const std::string& name) {
  return nlohmann::json::parse(ReadFile(VectorsDir() + "/" + name));
}

}  // namespace lcb::testing

// Declares `var` holding the vector file `name`, or skips the test when the vector folder is
// absent (a clone without ../shared). Use in a TEST body or a fixture's SetUp.
#define LCB_LOAD_VECTORS_OR_SKIP(var, name)                                              \
  if (!::lcb::testing::HaveVectors()) {                                                  \
    GTEST_SKIP() << "third-party vectors not found in " << ::lcb::testing::VectorsDir()  \
                 << " (set LCB_VECTORS_DIR to the folder holding " << (name) << ")";     \
  }                                                                                      \
  var = ::lcb::testing::LoadVectors(name)

namespace lcb::testing {

inline std::string Unhex(const std::string& hex) {
  std::optional<std::string> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.has_value()) << "bad hex in vector: " << hex;
  return bytes.value_or("");
}

inline Hash HashOf(const std::string& hex) {
  std::optional<Hash> h = HashFromHex(hex);
  EXPECT_TRUE(h.has_value()) << "not a 32-byte hex hash: " << hex;
  return h.value_or(Hash{});
}

}  // namespace lcb::testing
