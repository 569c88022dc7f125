// Helpers shared by the crypto tests: vector files and hex conversions.
#pragma once

#include <gtest/gtest.h>

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

inline nlohmann::json LoadVectors(const std::string& name) {
  return nlohmann::json::parse(ReadFile(std::string(LCB_VECTORS_DIR) + "/" + name));
}

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
