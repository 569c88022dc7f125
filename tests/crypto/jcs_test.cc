#include "crypto/jcs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace lcb {
namespace {

using Json = nlohmann::json;

std::string Canon(const Json& v) {
  StatusOr<std::string> s = CanonicalJson(v);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : "";
}

std::string CanonText(std::string_view json_text) { return Canon(Json::parse(json_text)); }

double FromBits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d;
}

// RFC 8785 §3.2.2 / §3.2.3: the serialization example.
TEST(Jcs, Rfc8785SerializationExample) {
  const std::string input = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  EXPECT_EQ(CanonText(input),
            "{\"literals\":[null,true,false],"
            "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 §3.2.3: property sorting by UTF-16 code units.
TEST(Jcs, Rfc8785SortingExample) {
  const std::string input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })";
  const std::string out = CanonText(input);
  const char* order[] = {"Carriage Return",
                         "One",
                         "Control",
                         "Latin Small Letter O With Diaeresis",
                         "Euro Sign",
                         "Emoji: Grinning Face",
                         "Hebrew Letter Dalet With Dagesh"};
  size_t last = 0;
  for (const char* value : order) {
    const size_t at = out.find(value);
    ASSERT_NE(at, std::string::npos) << value;
    EXPECT_GT(at, last) << value << " is out of order in " << out;
    last = at;
  }
  EXPECT_EQ(out,
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
            "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
            "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\","
            "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(Jcs, Utf16OrderDiffersFromByteOrder) {
  // U+1F600 is D83D DE00 in UTF-16, so it sorts before U+E000 (but after it in UTF-8).
  Json v = Json::object();
  v["\xEE\x80\x80"] = 1;      // U+E000
  v["\xF0\x9F\x98\x80"] = 2;  // U+1F600
  v["\xEF\xBF\xBF"] = 3;      // U+FFFF
  v["\xF0\x90\x80\x80"] = 4;  // U+10000
  v["a"] = 5;
  v["ab"] = 6;
  EXPECT_EQ(Canon(v),
            "{\"a\":5,\"ab\":6,\"\xF0\x90\x80\x80\":4,\"\xF0\x9F\x98\x80\":2,"
            "\"\xEE\x80\x80\":1,\"\xEF\xBF\xBF\":3}");
}

// RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialization.
TEST(Jcs, Rfc8785AppendixBNumbers) {
  const std::pair<uint64_t, const char*> cases[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& [bits, expect] : cases) {
    EXPECT_EQ(Canon(Json(FromBits(bits))), expect) << std::hex << bits;
  }
}

TEST(Jcs, NumberSamples) {
  EXPECT_EQ(Canon(Json(1e30)), "1e+30");
  EXPECT_EQ(Canon(Json(4.5)), "4.5");
  EXPECT_EQ(Canon(Json(0.002)), "0.002");
  EXPECT_EQ(Canon(Json(1e-7)), "1e-7");
  EXPECT_EQ(Canon(Json(333333333.3333333)), "333333333.3333333");
  EXPECT_EQ(Canon(Json(1e21)), "1e+21");
  EXPECT_EQ(Canon(Json(1e20)), "100000000000000000000");
  EXPECT_EQ(Canon(Json(-0.0)), "0");
  EXPECT_EQ(Canon(Json(5e-324)), "5e-324");
  EXPECT_EQ(Canon(Json(1.7976931348623157e308)), "1.7976931348623157e+308");
  EXPECT_EQ(Canon(Json(4.0)), "4");
  EXPECT_EQ(Canon(Json(7.5)), "7.5");
  EXPECT_EQ(Canon(Json(0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(Canon(Json(1.23e-18)), "1.23e-18");
  EXPECT_EQ(Canon(Json(-1e-7)), "-1e-7");
  EXPECT_EQ(CanonText("[100000000000000000000, 1.0, -0.0, 1E2]"),
            "[100000000000000000000,1,0,100]");
}

TEST(Jcs, IntegersPrintAsIntegers) {
  EXPECT_EQ(Canon(Json(int64_t{0})), "0");
  EXPECT_EQ(Canon(Json(int64_t{-42})), "-42");
  EXPECT_EQ(Canon(Json(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(Canon(Json(std::numeric_limits<uint64_t>::max())), "18446744073709551615");
  EXPECT_EQ(CanonText("[1, -1, 18446744073709551615]"), "[1,-1,18446744073709551615]");
}

TEST(Jcs, RejectsNonFiniteWithPointer) {
  Json v = {{"a", {1, std::nan("")}}};
  StatusOr<std::string> s = CanonicalJson(v);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().pointer(), "/a/1");
  EXPECT_FALSE(CanonicalJson(Json(std::numeric_limits<double>::infinity())).ok());
  EXPECT_FALSE(CanonicalJson(Json(-std::numeric_limits<double>::infinity())).ok());
  // nlohmann turns an out-of-range literal into infinity: user input reaches this path.
  const Json huge = Json::parse("{\"x/y\": 1e400}", nullptr, false);
  if (!huge.is_discarded()) {
    StatusOr<std::string> h = CanonicalJson(huge);
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.status().pointer(), "/x~1y");
  }
}

TEST(Jcs, StringEscaping) {
  EXPECT_EQ(Canon(Json("\x01\x1f\x7f")), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(Canon(Json("\b\f\n\r\t\"\\/")), "\"\\b\\f\\n\\r\\t\\\"\\\\/\"");
  EXPECT_EQ(Canon(Json("</script>")), "\"</script>\"");
  EXPECT_EQ(Canon(Json("\xE2\x80\xA8")), "\"\xE2\x80\xA8\"");  // U+2028 stays literal
  EXPECT_EQ(Canon(Json("学分银行")), "\"学分银行\"");
  EXPECT_EQ(Canon(Json(std::string("a\0b", 3))), "\"a\\u0000b\"");
}

TEST(Jcs, RejectsInvalidUtf8) {
  EXPECT_EQ(CanonicalJson(Json("\xff")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(CanonicalJson(Json("\xC0\xAF")).ok());          // overlong '/'
  EXPECT_FALSE(CanonicalJson(Json("\xED\xA0\x80")).ok());      // UTF-8-encoded surrogate
  EXPECT_FALSE(CanonicalJson(Json("\xF4\x90\x80\x80")).ok());  // above U+10FFFF
  Json bad_key = Json::object();
  bad_key["ok"] = {{"\xE2\x82", 1}};
  StatusOr<std::string> s = CanonicalJson(bad_key);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().pointer().rfind("/ok/", 0), 0u);
}

TEST(Jcs, StructureAndDepth) {
  EXPECT_EQ(CanonText(R"({"b": [], "a": {}, "c": [{"z": null, "y": [true]}]})"),
            R"({"a":{},"b":[],"c":[{"y":[true],"z":null}]})");
  Json deep = Json::array();
  for (int i = 0; i < kMaxJcsDepth + 5; ++i) deep = Json::array({deep});
  EXPECT_EQ(CanonicalJson(deep).status().code(), StatusCode::kInvalidArgument);
  Json ok = 1;
  for (int i = 0; i < kMaxJcsDepth; ++i) ok = Json::array({ok});
  EXPECT_TRUE(CanonicalJson(ok).ok());
  EXPECT_FALSE(CanonicalJson(Json::binary({1, 2})).ok());
}

}  // namespace
}  // namespace lcb
