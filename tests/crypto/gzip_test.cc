// gzip through zlib: a member written by Python's gzip module, round trips, and the bounds
// on untrusted input (size limit, truncation, trailing data, bad CRC).
#include "crypto/gzip.h"

#include <gtest/gtest.h>

#include "crypto/sha256.h"
#include "tests/crypto/test_util.h"

namespace lcb {
namespace {

using testing::Unhex;

TEST(Gzip, ReadsAnotherImplementationsMember) {
  // python3 -c "import gzip; print(gzip.compress(b'hello, status list', mtime=0).hex())"
  const std::string gz =
      Unhex("1f8b0800000000000203cb48cdc9c9d751282e492c292d56c8c92c2e01008c21150e12000000");
  StatusOr<std::string> out = GzipDecompress(gz, 1024);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "hello, status list");
}

TEST(Gzip, RoundTripsAndIsDeterministic) {
  for (const std::string& data :
       {std::string(), std::string(131072, '\0'), RandomBytes(5000), std::string("abc")}) {
    const std::string gz = GzipCompress(data);
    EXPECT_EQ(gz.substr(0, 2), "\x1f\x8b");
    EXPECT_EQ(gz, GzipCompress(data));
    StatusOr<std::string> back = GzipDecompress(gz, data.size());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data);
  }
  // 128 KiB of zeros, the empty status list, compresses to a few hundred bytes.
  EXPECT_LT(GzipCompress(std::string(131072, '\0')).size(), 300u);
}

TEST(Gzip, BoundsUntrustedInput) {
  const std::string zeros(10 << 20, '\0');
  const std::string bomb = GzipCompress(zeros, 9);  // ~10 KiB expanding to 10 MiB
  EXPECT_LT(bomb.size(), 20000u);
  EXPECT_EQ(GzipDecompress(bomb, 1 << 20).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(GzipDecompress(bomb, zeros.size() - 1).status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(GzipDecompress(bomb, zeros.size()).ok());

  const std::string gz = GzipCompress("some content that is long enough to matter");
  EXPECT_EQ(GzipDecompress(gz.substr(0, gz.size() - 3), 1000).status().code(),
            StatusCode::kInvalidArgument);  // truncated trailer
  EXPECT_EQ(GzipDecompress(gz + "x", 1000).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GzipDecompress(gz + gz, 1000).status().code(), StatusCode::kInvalidArgument);
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 0x01;
  EXPECT_EQ(GzipDecompress(bad_crc, 1000).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GzipDecompress("", 1000).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GzipDecompress("not gzip at all", 1000).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lcb
