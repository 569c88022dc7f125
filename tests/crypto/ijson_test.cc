#include "crypto/ijson.h"

#include <gtest/gtest.h>

#include <string>

namespace lcb {
namespace {

TEST(IJson, ParsesWhatNlohmannParses) {
  const std::string text =
      R"({"a":[1,2.5,-3,{"b":null,"c":true}],"d":"\u00e9x","e":{},"f":[],"g":18446744073709551615})";
  StatusOr<nlohmann::json> doc = ParseIJson(text);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, nlohmann::json::parse(text));
  EXPECT_EQ(ParseIJson("7")->get<int>(), 7);
  EXPECT_TRUE(ParseIJson("null")->is_null());
}

TEST(IJson, RefusesADuplicateAtTheTop) {
  StatusOr<nlohmann::json> doc = ParseIJson(R"({"learner":"A","unit":"u","learner":"B"})");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(doc.status().pointer(), "/learner");
  EXPECT_NE(doc.status().message().find("twice"), std::string::npos);
}

TEST(IJson, NamesTheDuplicateAtAnyDepth) {
  EXPECT_EQ(ParseIJson(R"({"grade":{"scale":"p","value":"1","scale":"q"}})").status().pointer(),
            "/grade/scale");
  EXPECT_EQ(ParseIJson(R"({"records":[{"a":1},{"b":2},{"x":{"y":[0,{"z":1,"z":2}]}}]})")
                .status()
                .pointer(),
            "/records/2/x/y/1/z");
  // Escaped names: "a/b" and "m~n" are pointer tokens "a~1b" and "m~0n".
  EXPECT_EQ(ParseIJson(R"({"a/b":{"m~n":1,"m~n":2}})").status().pointer(), "/a~1b/m~0n");
  // The same name in sibling objects is fine; so is a name equal to a value.
  EXPECT_TRUE(ParseIJson(R"([{"a":1},{"a":2},{"a":"a"}])").ok());
  // Escapes that decode to the same name are the same name.
  EXPECT_EQ(ParseIJson(R"({"ab":1,"a\u0062":2})").status().pointer(), "/ab");
}

TEST(IJson, BadTextAndDepth) {
  EXPECT_EQ(ParseIJson("{").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIJson("{} x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIJson("1e999999").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIJson("").status().code(), StatusCode::kInvalidArgument);
  std::string deep(kMaxJsonDepth, '[');
  deep += std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseIJson(deep).ok());
  std::string too_deep(kMaxJsonDepth + 1, '[');
  too_deep += std::string(kMaxJsonDepth + 1, ']');
  EXPECT_EQ(ParseIJson(too_deep).status().code(), StatusCode::kInvalidArgument);
}

// The parser's own message quotes the text it last read; a problem detail must not, since the
// body may hold a token or a national ID (found by an outside review: a truncated sign-in body
// came back with the token in the 400).
TEST(IJson, ErrorsDoNotQuoteTheText) {
  for (const std::string text :
       {std::string(R"({"token":"cb__3wI3dOGIOF2jQupKGLZyF4iBdy5KBdmKE86Ckl4rHY)"),
        std::string(R"({"national_id":"cb__3wI3dOGIOF2jQupKGLZyF4iBdy5KBdmKE86Ckl4rHY\q"})"),
        std::string("{\"national_id\":\"cb__3wI3dOGIOF2jQupKGLZyF4iBdy5KBdmKE86Ckl4rHY\x01\"}")}) {
    StatusOr<nlohmann::json> doc = ParseIJson(text);
    ASSERT_FALSE(doc.ok()) << text;
    const std::string m = doc.status().message();  // status() is a copy
    EXPECT_EQ(m.find("3wI3dOGIOF2j"), std::string::npos) << m;
    EXPECT_NE(m.find("line 1, column"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace lcb
