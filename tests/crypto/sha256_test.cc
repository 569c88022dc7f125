#include "crypto/sha256.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "common/encoding.h"

namespace lcb {
namespace {

// FIPS 180-2 Appendix B examples.
TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(HashHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HashHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashHex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(HashHex(Sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalMatchesOneShotAndResets) {
  Sha256Hasher h;
  h.Update("ab");
  h.Update(reinterpret_cast<const uint8_t*>("c"), 1);
  EXPECT_EQ(h.Final(), Sha256("abc"));
  EXPECT_EQ(h.Final(), Sha256(""));  // Final() resets
  h.Update("abc");
  Sha256Hasher moved = std::move(h);
  EXPECT_EQ(moved.Final(), Sha256("abc"));
}

TEST(Sha256, ThreadsHashIndependently) {
  std::vector<std::thread> threads;
  std::vector<Hash> out(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &out] {
      Hash h{};
      for (int i = 0; i < 1000; ++i) h = Sha256(std::string(HashBytes(h)) + char('0' + t));
      out[t] = h;
    });
  }
  for (auto& th : threads) th.join();
  Hash expect{};
  for (int i = 0; i < 1000; ++i) expect = Sha256(std::string(HashBytes(expect)) + '2');
  EXPECT_EQ(out[2], expect);
  EXPECT_EQ(std::set<Hash>(out.begin(), out.end()).size(), 4u);
}

TEST(Sha256, HexRoundTrip) {
  const Hash h = Sha256("x");
  EXPECT_EQ(HashFromHex(HashHex(h)), h);
  std::string upper = HashHex(h);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(HashFromHex(upper), h);
  EXPECT_FALSE(HashFromHex(HashHex(h).substr(2)).has_value());
  EXPECT_FALSE(HashFromHex(HashHex(h) + "00").has_value());
  EXPECT_FALSE(HashFromHex(std::string(64, 'g')).has_value());
  EXPECT_EQ(HashFromBytes(HashBytes(h)), h);
  EXPECT_FALSE(HashFromBytes("short").has_value());
}

// RFC 4231 test cases 1, 2 and 6 (key longer than the block size).
TEST(HmacSha256, Rfc4231) {
  EXPECT_EQ(HashHex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HashHex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HashHex(HmacSha256(std::string(131, '\xaa'),
                               "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(HmacSha256("", ""), HmacSha256(std::string(), std::string()));
}

TEST(RandomBytes, LengthAndVariety) {
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  EXPECT_EQ(RandomBytes(33).size(), 33u);
  EXPECT_NE(RandomBytes(16), RandomBytes(16));
}

}  // namespace
}  // namespace lcb
