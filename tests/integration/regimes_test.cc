// GET /v1/regimes (anyone) and an institution's `regime` over HTTP: the presets with their
// sources, the regime's hours-per-credit default applied to records posted in hours, and a
// level outside the regime's framework refused at /level.
#include <gtest/gtest.h>

#include <set>

#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

class RegimesTest : public ::testing::Test {
 protected:
  TempDir dir_;
  TestServer server_{dir_.sub("data")};
};

TEST_F(RegimesTest, AnyoneListsThePresetsWithTheirSources) {
  json body = server_.CallJson("GET", "/v1/regimes", "", nullptr, 200);
  ASSERT_TRUE(body["regimes"].is_array());
  std::set<std::string> ids;
  for (const json& r : body["regimes"]) {
    ids.insert(r["id"].get<std::string>());
    const size_t sources = r["sources"].size();
    ASSERT_GT(sources, 0u) << r["id"];
    EXPECT_LT(r["hours_per_credit"]["source"].get<size_t>(), sources);
    for (const json& l : r["framework"]["levels"]) {
      EXPECT_LT(l["source"].get<size_t>(), sources) << r["id"];
      EXPECT_TRUE(l["eqf"].is_null() || l["eqf"].is_number_integer());
    }
    for (const json& s : r["sources"]) EXPECT_FALSE(s["url"].get<std::string>().empty());
  }
  EXPECT_EQ(ids, (std::set<std::string>{"cn", "kr-acbs", "ects", "hk-qf"}));
  json hk = body["regimes"][3];
  EXPECT_EQ(hk["id"], "hk-qf");
  EXPECT_EQ(hk["hours_per_credit"]["default"], 10);
  EXPECT_EQ(hk["framework"]["levels"][4]["eqf"], 6);  // QF Level 5 (bachelor) = EQF 6
  json kr = body["regimes"][1];
  EXPECT_EQ(kr["default_policy"]["caps"][0]["by"], "year");
  EXPECT_EQ(kr["default_policy"]["caps"][0]["default_limit"], 42);
}

TEST_F(RegimesTest, ARegimeSetsTheInstitutionsDefaults) {
  const std::string& admin = server_.admin_token();
  json hku = server_.CallJson(
      "PUT", "/v1/institutions/hku", admin,
      {{"name", "The University of Hong Kong"}, {"kind", "university"}, {"regime", "hk-qf"}}, 200);
  EXPECT_EQ(hku["regime"], "hk-qf");
  EXPECT_EQ(hku["hours_per_credit"], 10);
  json read = server_.CallJson("GET", "/v1/institutions/hku", "", nullptr, 200);
  EXPECT_EQ(read["regime"], "hk-qf");
  EXPECT_EQ(read["hours_per_credit"], 10);
  // An explicit hours_per_credit overrides the regime's.
  json tud = server_.CallJson(
      "PUT", "/v1/institutions/tud", admin,
      {{"name", "TU Delft"}, {"kind", "university"}, {"regime", "ects"}, {"hours_per_credit", 28}},
      200);
  EXPECT_EQ(tud["hours_per_credit"], 28);
  json bad = server_.CallJson("PUT", "/v1/institutions/xyz", admin,
                              {{"name", "X"}, {"kind", "university"}, {"regime", "mars"}}, 400);
  EXPECT_EQ(bad["pointer"], "/regime") << bad.dump();

  server_.CallJson("PUT", "/v1/units/hku:ECON1001", admin,
                   {{"title", "Introductory Microeconomics"},
                    {"kind", "degree_course"},
                    {"credits", 6},
                    {"level", 5},
                    {"field", "0311"}},
                   200);
  std::string token = server_.NewToken("institution:hku");
  std::string learner =
      server_.CallJson("POST", "/v1/learners", token, {{"display_name", "陳大文"}}, 201)
          .value("id", "");
  // 45 notional hours at the regime's 10 hours a credit: 4.5 credits.
  json posted = server_.CallJson("POST", "/v1/records", token,
                                 {{"learner", learner},
                                  {"unit", "hku:ECON1001"},
                                  {"external_ref", "r1"},
                                  {"hours", 45},
                                  {"grade", {{"scale", "pass_fail"}, {"value", "pass"}}},
                                  {"completed_on", "2024-06-30"}},
                                 201);
  std::string id = posted["records"][0]["id"];
  json view = server_.CallJson("GET", "/v1/records/" + id, token, nullptr, 200);
  EXPECT_EQ(view["record"]["credits"], 4.5) << view.dump();
  EXPECT_EQ(view["record"]["level"], 5);  // kept as posted, in HKQF levels
  // HKQF has no level 8.
  json refused = server_.CallJson("POST", "/v1/records", token,
                                  {{"learner", learner},
                                   {"unit", "hku:ECON1001"},
                                   {"external_ref", "r2"},
                                   {"level", 8},
                                   {"grade", {{"scale", "pass_fail"}, {"value", "pass"}}},
                                   {"completed_on", "2024-06-30"}},
                                  400);
  EXPECT_EQ(refused["pointer"], "/level") << refused.dump();
}

// Records from institutions of two regimes counted by one program with a min_level rule: the
// service resolves each record's common level with its issuer's regime when it reads it back.
TEST_F(RegimesTest, OneProgramCountsRecordsOfTwoRegimesByCommonLevel) {
  const std::string& admin = server_.admin_token();
  server_.CallJson("PUT", "/v1/institutions/hku", admin,
                   {{"name", "HKU"}, {"kind", "university"}, {"regime", "hk-qf"}}, 200);
  server_.CallJson("PUT", "/v1/institutions/tud", admin,
                   {{"name", "TU Delft"}, {"kind", "university"}, {"regime", "ects"}}, 200);
  server_.CallJson("PUT", "/v1/institutions/uni", admin, {{"name", "Uni"}, {"kind", "university"}},
                   200);
  auto unit = [&](const std::string& id, int level) {
    server_.CallJson("PUT", "/v1/units/" + id, admin,
                     {{"title", id},
                      {"kind", "degree_course"},
                      {"credits", 3},
                      {"level", level},
                      {"field", "0613"}},
                     200);
  };
  unit("hku:B5", 5);  // HKQF 5 = EQF 6: counts
  unit("hku:A4", 4);  // HKQF 4 = EQF 5: does not
  unit("tud:M6", 6);  // EQF 6: counts
  unit("tud:S5", 5);  // EQF 5: does not
  std::string hku = server_.NewToken("institution:hku");
  std::string tud = server_.NewToken("institution:tud");
  std::string uni = server_.NewToken("institution:uni");
  std::string learner =
      server_.CallJson("POST", "/v1/learners", hku, {{"display_name", "L"}}, 201).value("id", "");
  auto post = [&](const std::string& token, const std::string& unit_id) {
    std::string scale = unit_id.starts_with("hku") ? "pass_fail" : "ects";
    std::string value = unit_id.starts_with("hku") ? "pass" : "B";
    server_.CallJson("POST", "/v1/records", token,
                     {{"learner", learner},
                      {"unit", unit_id},
                      {"external_ref", unit_id},
                      {"grade", {{"scale", scale}, {"value", value}}},
                      {"completed_on", "2024-06-30"}},
                     201);
  };
  post(hku, "hku:B5");
  post(hku, "hku:A4");
  post(tud, "tud:M6");
  post(tud, "tud:S5");
  server_.CallJson("PUT", "/v1/programs/uni:MS", uni,
                   {{"title", "MS"},
                    {"kind", "master"},
                    {"total_credits", 60},
                    {"requirements", {{{"id", "electives"}, {"kind", "pool"}, {"credits", 30}}}}},
                   200);
  server_.CallJson("PUT", "/v1/programs/uni:MS/ruleset", uni,
                   {{"rules",
                     {{{"id", "advanced"},
                       {"target", "electives"},
                       {"grant", 3},
                       {"sources", {{{"kind", "degree_course"}, {"min_level", 6}}}}}}}},
                   201);
  std::string lt = server_.NewToken("learner:" + learner);
  json eval = server_.CallJson("POST", "/v1/conversions/evaluate", lt,
                               {{"learner", learner}, {"program", "uni:MS"}}, 200);
  EXPECT_EQ(eval["granted"], 6) << eval.dump();
}

TEST_F(RegimesTest, ARegimeIsFrozenOnceTheInstitutionHasPosted) {
  const std::string& admin = server_.admin_token();
  json doc = {{"name", "HKU"}, {"kind", "university"}, {"regime", "hk-qf"}};
  server_.CallJson("PUT", "/v1/institutions/hku", admin, doc, 200);
  // Before any record, the regime may still change (and change back).
  doc["regime"] = "ects";
  server_.CallJson("PUT", "/v1/institutions/hku", admin, doc, 200);
  doc["regime"] = "hk-qf";
  server_.CallJson("PUT", "/v1/institutions/hku", admin, doc, 200);
  server_.CallJson(
      "PUT", "/v1/units/hku:B5", admin,
      {{"title", "B5"}, {"kind", "degree_course"}, {"credits", 3}, {"level", 5}, {"field", "0613"}},
      200);
  std::string token = server_.NewToken("institution:hku");
  std::string learner =
      server_.CallJson("POST", "/v1/learners", token, {{"display_name", "L"}}, 201).value("id", "");
  server_.CallJson("POST", "/v1/records", token,
                   {{"learner", learner},
                    {"unit", "hku:B5"},
                    {"external_ref", "r1"},
                    {"grade", {{"scale", "pass_fail"}, {"value", "pass"}}},
                    {"completed_on", "2024-06-30"}},
                   201);
  for (const char* other : {"ects", ""}) {
    doc["regime"] = other;
    if (std::string(other).empty()) doc.erase("regime");
    json refused = server_.CallJson("PUT", "/v1/institutions/hku", admin, doc, 409);
    EXPECT_EQ(refused["pointer"], "/regime") << refused.dump();
  }
  // The same regime (other fields changed) is still fine.
  doc["regime"] = "hk-qf";
  doc["name"] = "The University of Hong Kong";
  server_.CallJson("PUT", "/v1/institutions/hku", admin, doc, 200);
  EXPECT_EQ(server_.CallJson("GET", "/v1/institutions/hku", "", nullptr, 200)["regime"], "hk-qf");
}

TEST_F(RegimesTest, AProgramWithoutPolicyGetsItsRegimesDefaults) {
  const std::string& admin = server_.admin_token();
  server_.CallJson("PUT", "/v1/institutions/kr", admin,
                   {{"name", "KR"}, {"kind", "university"}, {"regime", "kr-acbs"}}, 200);
  server_.CallJson("PUT", "/v1/institutions/plain", admin,
                   {{"name", "Plain"}, {"kind", "university"}}, 200);
  json preset;
  const json regimes = server_.CallJson("GET", "/v1/regimes", "", nullptr, 200);
  for (const json& r : regimes["regimes"]) {
    if (r["id"] == "kr-acbs") preset = r["default_policy"];
  }
  ASSERT_FALSE(preset.is_null());
  json program = {{"title", "B"},
                  {"kind", "bachelor"},
                  {"total_credits", 140},
                  {"requirements", {{{"id", "e"}, {"kind", "pool"}, {"credits", 30}}}}};
  auto caps_of = [](const json& caps) {
    json out = json::array();
    for (const json& c : caps) out.push_back({c["by"], c["default_limit"]});
    return out;
  };
  ASSERT_EQ(preset["caps"].size(), 2u);
  json put = server_.CallJson("PUT", "/v1/programs/kr:B", admin, program, 200);
  EXPECT_EQ(caps_of(put["policy"]["caps"]), caps_of(preset["caps"])) << put.dump();
  json read = server_.CallJson("GET", "/v1/programs/kr:B", "", nullptr, 200);
  EXPECT_EQ(caps_of(read["policy"]["caps"]), caps_of(preset["caps"])) << read.dump();
  // A policy given explicitly is kept as given.
  program["policy"] = {{"max_transfer_credits", 20}};
  json own = server_.CallJson("PUT", "/v1/programs/kr:C", admin, program, 200);
  EXPECT_EQ(own["policy"]["max_transfer_credits"], 20) << own.dump();
  EXPECT_TRUE(own["policy"].value("caps", json::array()).empty()) << own.dump();
  // So is an explicitly empty list of caps: a program without caps, not the regime's.
  program["policy"] = {{"caps", json::array()}};
  json uncapped = server_.CallJson("PUT", "/v1/programs/kr:D", admin, program, 200);
  EXPECT_TRUE(uncapped["policy"].value("caps", json::array()).empty()) << uncapped.dump();
  EXPECT_FALSE(uncapped["policy"].contains("max_transfer_ratio")) << uncapped.dump();
  json reread = server_.CallJson("GET", "/v1/programs/kr:D", "", nullptr, 200);
  EXPECT_TRUE(reread["policy"].value("caps", json::array()).empty()) << reread.dump();
  // An empty policy object is no policy: the regime's defaults.
  program["policy"] = json::object();
  json empty = server_.CallJson("PUT", "/v1/programs/kr:E", admin, program, 200);
  EXPECT_EQ(caps_of(empty["policy"]["caps"]), caps_of(preset["caps"])) << empty.dump();
  // No regime: no defaults.
  program.erase("policy");
  json plain = server_.CallJson("PUT", "/v1/programs/plain:B", admin, program, 200);
  EXPECT_TRUE(plain["policy"].value("caps", json::array()).empty()) << plain.dump();
  EXPECT_FALSE(plain["policy"].contains("max_transfer_ratio")) << plain.dump();
}

// Two caps of one by in the policy a client sends are refused (a "cap:kind:mooc" reason could
// not say which bound); a regime's default caps never meet the client's own, so a program
// capping by year under a regime whose defaults cap by year is kept.
TEST_F(RegimesTest, APolicyCapsEachByOnce) {
  const std::string& admin = server_.admin_token();
  server_.CallJson("PUT", "/v1/institutions/kr", admin,
                   {{"name", "KR"}, {"kind", "university"}, {"regime", "kr-acbs"}}, 200);
  json program = {{"title", "B"},
                  {"kind", "bachelor"},
                  {"total_credits", 140},
                  {"requirements", {{{"id", "e"}, {"kind", "pool"}, {"credits", 30}}}}};
  program["policy"] = {{"caps",
                        {{{"by", "kind"}, {"limits", {{"mooc", 10}}}},
                         {{"by", "issuer"}, {"default_limit", 40}},
                         {{"by", "kind"}, {"limits", {{"mooc", 20}}}}}}};
  ClientResponse r = server_.Call("PUT", "/v1/programs/kr:D", admin, program.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  const json problem = json::parse(r.body);
  EXPECT_EQ(problem["errors"][0]["pointer"], "/policy/caps/2/by") << r.body;
  EXPECT_NE(problem["detail"].get<std::string>().find("\"kind\" is already capped at index 0"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(server_.Call("GET", "/v1/programs/kr:D").status, 404);  // nothing stored

  program["policy"] = {{"caps", {{{"by", "year"}, {"default_limit", 30}}}}};
  json kept = server_.CallJson("PUT", "/v1/programs/kr:D", admin, program, 200);
  ASSERT_EQ(kept["policy"]["caps"].size(), 1u) << kept.dump();
  EXPECT_EQ(kept["policy"]["caps"][0]["default_limit"], 30) << kept.dump();
  program.erase("policy");  // the regime's defaults (year and issuer) pass as before
  json defaults = server_.CallJson("PUT", "/v1/programs/kr:E", admin, program, 200);
  EXPECT_EQ(defaults["policy"]["caps"].size(), 2u) << defaults.dump();
}

}  // namespace
}  // namespace lcb::testing
