#include "common/encoding.h"

#include <gtest/gtest.h>

namespace lcb {
namespace {

TEST(EncodingTest, HexRoundTrip) {
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(*HexDecode("00FF10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(HexDecode("0").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(EncodingTest, Base64Rfc4648Vectors) {
  // RFC 4648 §10.
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(plain[i]), enc[i]);
    EXPECT_EQ(*Base64Decode(enc[i]), plain[i]);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_FALSE(Base64Decode("Zg=").has_value());
  EXPECT_FALSE(Base64Decode("Zh==").has_value());  // non-canonical trailing bits
  EXPECT_FALSE(Base64Decode("-_8=").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zg==").has_value());
}

TEST(EncodingTest, BigEndian) {
  std::string s;
  PutBigEndian64(&s, 0x0102030405060708ull);
  EXPECT_EQ(HexEncode(s), "0102030405060708");
  EXPECT_EQ(GetBigEndian64(s), 0x0102030405060708ull);
}

}  // namespace
}  // namespace lcb
