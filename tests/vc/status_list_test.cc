// Bitstring Status List: bit order, the spec's example list, encoding bounds, entries.
#include "vc/status_list.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/gzip.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

TEST(StatusList, BitZeroIsTheMostSignificantBitOfByteZero) {
  StatusBitstring bits;
  EXPECT_EQ(bits.size(), kMinStatusListBits);
  bits.Set(0, true);
  EXPECT_EQ(static_cast<uint8_t>(bits.bytes()[0]), 0x80);
  bits.Set(9, true);
  EXPECT_EQ(static_cast<uint8_t>(bits.bytes()[1]), 0x40);
  bits.Set(0, false);
  EXPECT_EQ(static_cast<uint8_t>(bits.bytes()[0]), 0x00);
  EXPECT_TRUE(bits.Get(9));
  EXPECT_FALSE(bits.Get(8));
  EXPECT_FALSE(bits.Get(bits.size()));  // out of range reads clear
  bits.Set(bits.size() + 5, true);      // and writes nothing
  EXPECT_EQ(StatusBitstring(1 << 20).size(), 1u << 20);
  EXPECT_EQ(StatusBitstring(10).size(), kMinStatusListBits);
}

TEST(StatusList, DecodesTheSpecExampleList) {
  // Bitstring Status List v1.0, Example 3: an empty list of 131,072 entries.
  StatusOr<StatusBitstring> bits = StatusBitstring::Decode(
      "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA");
  ASSERT_TRUE(bits.ok()) << bits.status().ToString();
  EXPECT_EQ(bits->size(), 131072u);
  EXPECT_EQ(bits->bytes(), std::string(16384, '\0'));
}

TEST(StatusList, EncodeDecodeRoundTrip) {
  StatusBitstring bits(1 << 20);
  for (size_t i : {0u, 1u, 7u, 8u, 42u, 131071u, 1048575u}) bits.Set(i, true);
  const std::string encoded = bits.Encode();
  EXPECT_EQ(encoded[0], 'u');
  StatusOr<StatusBitstring> back = StatusBitstring::Decode(encoded);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->bytes(), bits.bytes());
  EXPECT_TRUE(back->Get(1048575));
  EXPECT_FALSE(back->Get(41));
}

TEST(StatusList, DecodeRefusesBadLists) {
  const std::string small = "u" + Base64UrlEncode(GzipCompress(std::string(1000, '\0')));
  EXPECT_EQ(StatusBitstring::Decode(small).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusBitstring::Decode("z123").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusBitstring::Decode("u!!").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusBitstring::Decode("u" + Base64UrlEncode("not gzip")).status().code(),
            StatusCode::kInvalidArgument);
  const std::string bomb =
      "u" + Base64UrlEncode(GzipCompress(std::string(kMaxStatusListBytes + 1, '\0'), 9));
  EXPECT_EQ(StatusBitstring::Decode(bomb).status().code(), StatusCode::kResourceExhausted);
}

TEST(StatusList, EntryAndCredentialShapes) {
  const Json entry = BuildStatusEntry("https://bank.example", "7", 94567);
  EXPECT_EQ(entry["statusListCredential"], "https://bank.example/v1/status/7");
  EXPECT_EQ(entry["statusListIndex"], "94567");
  EXPECT_EQ(entry["id"], "https://bank.example/v1/status/7#94567");
  StatusOr<StatusEntry> parsed = ParseStatusEntry(entry);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->index, 94567u);
  EXPECT_EQ(parsed->purpose, "revocation");
  for (const char* bad : {"-1", "01", "1e3", "", "x", "99999999999999999999999"}) {
    Json e = entry;
    e["statusListIndex"] = bad;
    EXPECT_EQ(ParseStatusEntry(e).status().pointer(), "/statusListIndex") << bad;
  }
  Json e = entry;
  e["type"] = "StatusList2021Entry";
  EXPECT_EQ(ParseStatusEntry(e).status().pointer(), "/type");

  StatusBitstring bits;
  bits.Set(3, true);
  const Json list = BuildStatusListCredential("https://bank.example/v1/status/7", "did:key:zX",
                                              "2025-01-01T00:00:00Z", bits);
  StatusOr<DecodedStatusList> decoded = DecodeStatusListCredential(list);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->url, "https://bank.example/v1/status/7");
  EXPECT_EQ(decoded->issuer, "did:key:zX");
  EXPECT_TRUE(decoded->bits.Get(3));
  Json broken = list;
  broken["credentialSubject"]["encodedList"] = "uAAAA";
  EXPECT_EQ(DecodeStatusListCredential(broken).status().pointer(),
            "/credentialSubject/encodedList");
}

}  // namespace
}  // namespace lcb::vc
