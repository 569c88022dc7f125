// End-to-end: catalog, learners, records, receipts, problems, restart durability.
#include <gtest/gtest.h>
#include <iconv.h>

#include <tuple>

#include "crypto/checkpoint.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

class RecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(dir_.path());
    cat_.Load(*server_);
  }
  // tsinghua:BS, a pool of 30 electives that CS101 fills with 4 credits and MA101 with 5.
  void PutElectivesProgram() {
    server_->CallJson(
        "PUT", "/v1/programs/tsinghua:BS", cat_.tsinghua_token,
        {{"title", "BS"},
         {"kind", "bachelor"},
         {"total_credits", 160},
         {"requirements", {{{"id", "electives"}, {"kind", "pool"}, {"credits", 30}}}}},
        200);
    server_->CallJson("PUT", "/v1/programs/tsinghua:BS/ruleset", cat_.tsinghua_token,
                      {{"rules",
                        {{{"id", "cs"},
                          {"target", "electives"},
                          {"grant", 4},
                          {"sources", {{{"unit", "tsinghua:CS101"}}}}},
                         {{"id", "ma"},
                          {"target", "electives"},
                          {"grant", 5},
                          {"sources", {{{"unit", "tsinghua:MA101"}}}}}}}},
                      201);
  }
  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
};

// The receipt's inclusion proof verifies against the checkpoint root, and the checkpoint
// verifies with the published key.
void ExpectReceiptVerifies(TestServer& s, const json& receipt, const std::string& entry_bytes) {
  json key = s.CallJson("GET", "/v1/log/key", "", nullptr, 200);
  auto verifier = ParseVerifierKey(key["verifier_key"].get<std::string>());
  ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
  std::string note = receipt["checkpoint"];
  auto opened = OpenNote(note, {*verifier});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto cp = ParseCheckpointBody(opened->text);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  std::vector<Hash> proof;
  for (const auto& h : receipt["inclusion_proof"]) proof.push_back(*HashFromHex(h.get<std::string>()));
  Status v = VerifyInclusion(receipt["leaf_index"].get<uint64_t>(), cp->size,
                             LeafHash(entry_bytes), proof, cp->root);
  EXPECT_TRUE(v.ok()) << v.ToString();
}

TEST_F(RecordsTest, PostAndReadBackAsLearner) {
  json posted = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                                  cat_.Record(cat_.learner_a, "tsinghua:CS101", "T-1"), 201);
  ASSERT_EQ(posted["records"].size(), 1u);
  std::string id = posted["records"][0]["id"];
  json got = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(got["status"], "active");
  EXPECT_EQ(got["record"]["issuer"], "tsinghua");
  EXPECT_EQ(got["record"]["learner"], cat_.learner_a);
  EXPECT_EQ(got["record"]["credits"], 4);
  EXPECT_EQ(got["record"]["grade"]["normalized"], 90);
  EXPECT_EQ(got["record"]["salt"].get<std::string>().size(), 32u);
  // The entry bytes the log hashed are retrievable by an auditor and match the receipt.
  uint64_t leaf = posted["records"][0]["leaf_index"];
  json entries = server_->CallJson(
      "GET", "/v1/log/entries?start=" + std::to_string(leaf) + "&end=" + std::to_string(leaf + 1),
      cat_.auditor_token, nullptr, 200);
  std::string bytes = *Base64Decode(entries["entries"][0]["entry"].get<std::string>());
  EXPECT_EQ(json::parse(bytes), got["record"]);
  ExpectReceiptVerifies(*server_, posted["records"][0]["receipt"], bytes);
  ExpectReceiptVerifies(*server_, got["receipt"], bytes);
  // The issuer and auditors read it too; the other learner and institution do not.
  server_->CallJson("GET", "/v1/records/" + id, cat_.tsinghua_token, nullptr, 200);
  server_->CallJson("GET", "/v1/records/" + id, cat_.auditor_token, nullptr, 200);
  server_->CallJson("GET", "/v1/records/" + id, cat_.learner_b_token, nullptr, 404);
  server_->CallJson("GET", "/v1/records/" + id, cat_.ouchn_token, nullptr, 404);
  // Anonymous readers get entries' leaf hashes only.
  json anon = server_->CallJson("GET", "/v1/log/entries?start=0&end=1", "", nullptr, 200);
  EXPECT_FALSE(anon["entries"][0].contains("entry"));
}

TEST_F(RecordsTest, IdempotentRepostAndConflict) {
  json rec = cat_.Record(cat_.learner_a, "tsinghua:CS101", "T-2");
  json first = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, rec, 201);
  json again = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, rec, 200);
  EXPECT_EQ(first["records"][0]["id"], again["records"][0]["id"]);
  EXPECT_EQ(first["records"][0]["leaf_index"], again["records"][0]["leaf_index"]);
  EXPECT_EQ(again["records"][0]["status"], "existing");
  rec["grade"]["value"] = "91";
  json conflict = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, rec, 409);
  EXPECT_EQ(conflict["pointer"], "/external_ref");
  // Another institution may use the same external_ref for its own record.
  server_->CallJson("POST", "/v1/records", cat_.ouchn_token,
                    cat_.Record(cat_.learner_a, "ouchn:ENG1", "T-2"), 201);
}

TEST_F(RecordsTest, BatchIsAtomic) {
  json batch = {{"records",
                 {cat_.Record(cat_.learner_a, "tsinghua:CS101", "B-1"),
                  cat_.Record(cat_.learner_a, "tsinghua:MA101", "B-2", "not-a-grade"),
                  cat_.Record(cat_.learner_a, "tsinghua:NOPE", "B-3")}}};
  json problem = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, batch, 400);
  EXPECT_EQ(problem["status"], 400);
  ASSERT_EQ(problem["errors"].size(), 2u);
  EXPECT_EQ(problem["errors"][0]["pointer"], "/records/1/grade/value");
  EXPECT_EQ(problem["errors"][1]["pointer"], "/records/2/unit");
  // A record that does not read (no grade) hides none of the others' problems.
  json unread = batch;
  json no_grade = cat_.Record(cat_.learner_a, "tsinghua:CS101", "B-4");
  no_grade.erase("grade");
  unread["records"].push_back(no_grade);
  problem = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, unread, 400);
  ASSERT_EQ(problem["errors"].size(), 3u) << problem;
  EXPECT_EQ(problem["errors"][0]["pointer"], "/records/1/grade/value");
  EXPECT_EQ(problem["errors"][1]["pointer"], "/records/2/unit");
  EXPECT_EQ(problem["errors"][2]["pointer"], "/records/3/grade");
  // A JSON batch's repeated external_ref names the record it repeats.
  json repeat = {{"records",
                  {cat_.Record(cat_.learner_a, "tsinghua:CS101", "B-1"),
                   cat_.Record(cat_.learner_a, "tsinghua:MA101", "B-2"),
                   cat_.Record(cat_.learner_a, "tsinghua:MA101", "B-1")}}};
  problem = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, repeat, 409);
  EXPECT_EQ(problem["pointer"], "/records/2/external_ref") << problem;
  EXPECT_EQ(problem["detail"], "posted twice in one request: also at /records/0/external_ref");
  uint64_t size_before = server_->ledger().Size();
  json recs = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/records",
                                cat_.learner_a_token, nullptr, 200);
  EXPECT_TRUE(recs["records"].empty());
  // Fixed, the whole batch goes in with receipts in order.
  batch["records"][1]["grade"]["value"] = "88";
  batch["records"][2]["unit"] = "tsinghua:CS101";
  batch["records"][2]["completed_on"] = "2023-01-15";
  json ok = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, batch, 201);
  ASSERT_EQ(ok["records"].size(), 3u);
  EXPECT_EQ(ok["records"][0]["leaf_index"].get<uint64_t>(), size_before);
  EXPECT_EQ(ok["records"][2]["leaf_index"].get<uint64_t>(), size_before + 2);
}

TEST_F(RecordsTest, ProblemsNameTheField) {
  auto post = [&](const std::string& body) {
    return server_->Call("POST", "/v1/records", cat_.tsinghua_token, body);
  };
  ClientResponse bad_json = post("{\"learner\": ");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.headers["content-type"], "application/problem+json");
  EXPECT_NE(json::parse(bad_json.body)["detail"].get<std::string>().find("not valid JSON"),
            std::string::npos);
  // The body is what is wrong, and the reason is the parser's without its library tag.
  EXPECT_EQ(json::parse(bad_json.body)["pointer"], "/body");
  EXPECT_EQ(bad_json.body.find("json.exception"), std::string::npos) << bad_json.body;
  EXPECT_EQ(json::parse(post("[1]").body)["pointer"], "/body");
  // The media type is compared in any case, without its parameters; a type that merely
  // contains "json" is not JSON.
  const std::string one = cat_.Record(cat_.learner_a, "tsinghua:CS101", "P-CT").dump();
  EXPECT_EQ(server_
                ->Call("POST", "/v1/records?dry_run=true", cat_.tsinghua_token, one,
                       {{"Content-Type", "APPLICATION/JSON; charset=UTF-8"}})
                .status,
            200);
  for (const char* type : {"application/jsonx", "application/json-seq", "text/plain"}) {
    EXPECT_EQ(
        server_->Call("POST", "/v1/records", cat_.tsinghua_token, one, {{"Content-Type", type}})
            .status,
        415)
        << type;
  }

  json missing = cat_.Record(cat_.learner_a, "tsinghua:CS101", "P-1");
  missing.erase("learner");
  ClientResponse r = post(missing.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["pointer"], "/learner");

  json wrong_type = cat_.Record(cat_.learner_a, "tsinghua:CS101", "P-2");
  wrong_type["credits"] = "four";
  r = post(wrong_type.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["pointer"], "/credits");

  json unknown = cat_.Record(cat_.learner_a, "tsinghua:CS101", "P-3");
  unknown["issuer"] = "someone-else";
  r = post(unknown.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["pointer"], "/issuer");

  json future = cat_.Record(cat_.learner_a, "tsinghua:CS101", "P-4", "90", "2999-01-01");
  r = post(future.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["pointer"], "/completed_on");

  std::string huge(9u << 20, ' ');
  r = post(huge);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");

  json too_many = {{"records", json::array()}};
  for (int i = 0; i < 1001; ++i) {
    too_many["records"].push_back(cat_.Record(cat_.learner_a, "tsinghua:CS101", "M-" + std::to_string(i)));
  }
  r = post(too_many.dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(json::parse(r.body)["pointer"], "/records");
  EXPECT_EQ(server_->ledger().Size(), 0u);
}

// A member named twice could mean one thing to the institution (or the bytes it signed) and
// another to the bank; RFC 7493 / RFC 8785 forbid it. Every body is refused with the pointer of
// the duplicate, on the single, batch (fast SAX path) and catalog routes, and nothing is stored.
TEST_F(RecordsTest, DuplicateMemberNamesAreRefused) {
  auto expect_refused = [&](const std::string& method, const std::string& target,
                            const std::string& token, const std::string& body,
                            const std::string& pointer) {
    ClientResponse r = server_->Call(method, target, token, body);
    EXPECT_EQ(r.status, 400) << body << "\n" << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json");
    json problem = json::parse(r.body, nullptr, false);
    EXPECT_EQ(problem.value("pointer", ""), pointer) << r.body;
    EXPECT_NE(problem.value("detail", "").find("twice"), std::string::npos) << r.body;
  };
  const std::string a = cat_.learner_a, b = cat_.learner_b;
  // Top level: "learner" A then B (nlohmann alone would store the record for B).
  const std::string top = R"({"learner":")" + a + R"(","unit":"tsinghua:CS101","external_ref":"D-1",)" +
                          R"("grade":{"scale":"percent","value":"90"},"completed_on":"2024-06-30",)" +
                          R"("learner":")" + b + R"("})";
  expect_refused("POST", "/v1/records", cat_.tsinghua_token, top, "/learner");
  // Nested, in a batch: the second record's grade names "value" twice.
  const std::string batch =
      R"({"records":[{"learner":")" + a + R"(","unit":"tsinghua:CS101","external_ref":"D-2",)" +
      R"("grade":{"scale":"percent","value":"90"},"completed_on":"2024-06-30"},)" +
      R"({"learner":")" + a + R"(","unit":"tsinghua:CS101","external_ref":"D-3",)" +
      R"("grade":{"scale":"percent","value":"90","value":"40"},"completed_on":"2024-06-30"}]})";
  expect_refused("POST", "/v1/records", cat_.tsinghua_token, batch, "/records/1/grade/value");
  // The batch key itself twice.
  const std::string two_batches =
      R"({"records":[],"records":[{"learner":")" + a + R"(","unit":"tsinghua:CS101",)" +
      R"("external_ref":"D-4","grade":{"scale":"percent","value":"90"},"completed_on":"2024-06-30"}]})";
  expect_refused("POST", "/v1/records", cat_.tsinghua_token, two_batches, "/records");
  // The dry run refuses it too.
  expect_refused("POST", "/v1/records?dry_run=true", cat_.tsinghua_token, batch,
                 "/records/1/grade/value");
  EXPECT_EQ(server_->ledger().Size(), 0u);
  json recs = server_->CallJson("GET", "/v1/learners/" + b + "/records", cat_.learner_b_token,
                                nullptr, 200);
  EXPECT_TRUE(recs["records"].empty());

  // Other bodies: a learner account, a catalog unit, a token.
  expect_refused("POST", "/v1/learners", cat_.tsinghua_token,
                 R"({"display_name":"x","display_name":"y"})", "/display_name");
  expect_refused("PUT", "/v1/units/tsinghua:DUP1", cat_.tsinghua_token,
                 R"({"title":"t","kind":"degree_course","credits":2,"level":6,"field":"0613","credits":9})",
                 "/credits");
  server_->CallJson("GET", "/v1/units/tsinghua:DUP1", "", nullptr, 404);
  expect_refused("POST", "/v1/tokens", server_->admin_token(),
                 R"({"role":"auditor","role":"admin"})", "/role");
}

TEST_F(RecordsTest, AuthenticationAndRoles) {
  json rec = cat_.Record(cat_.learner_a, "tsinghua:CS101", "A-1");
  EXPECT_EQ(server_->Call("POST", "/v1/records", "", rec.dump()).status, 401);
  EXPECT_EQ(server_->Call("POST", "/v1/records", "cb_not-a-token", rec.dump()).status, 401);
  // Learners, auditors and admins do not post records.
  EXPECT_EQ(server_->Call("POST", "/v1/records", cat_.learner_a_token, rec.dump()).status, 403);
  EXPECT_EQ(server_->Call("POST", "/v1/records", cat_.auditor_token, rec.dump()).status, 403);
  EXPECT_EQ(server_->Call("POST", "/v1/records", server_->admin_token(), rec.dump()).status, 403);
  // An institution cannot post for another institution's unit.
  ClientResponse r = server_->Call("POST", "/v1/records", cat_.ouchn_token, rec.dump());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(json::parse(r.body)["pointer"], "/unit");
  // A revoked token stops working at once.
  json t = server_->CallJson("POST", "/v1/tokens", server_->admin_token(),
                             {{"role", "institution:tsinghua"}}, 201);
  server_->CallJson("POST", "/v1/records", t["token"], rec, 201);
  server_->CallJson("DELETE", "/v1/tokens/" + t["id"].get<std::string>(), server_->admin_token(),
                    nullptr, 200);
  EXPECT_EQ(server_->Call("POST", "/v1/records", t["token"], rec.dump()).status, 401);
}

TEST_F(RecordsTest, CsvWithBadLineStoresNothingThenSucceeds) {
  std::string csv = "\xEF\xBB\xBFlearner,unit,external_ref,grade_scale,grade_value,completed_on,attendance\n" +
                    cat_.learner_a + ",tsinghua:CS101,C-1,percent,85,2024-01-10,全勤\n" +
                    cat_.learner_a + ",tsinghua:MA101,C-2,five_level,优秀,2024-01-11,\n" +
                    cat_.learner_a + ",tsinghua:MA101,C-3,percent,abc,2024-01-12,\n";
  ClientResponse r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, csv,
                                   {{"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 400) << r.body;
  json p = json::parse(r.body);
  ASSERT_EQ(p["errors"].size(), 1u);
  EXPECT_EQ(p["errors"][0]["line"], 4);
  EXPECT_EQ(p["errors"][0]["field"], "grade/value");
  EXPECT_EQ(server_->ledger().Size(), 0u);
  // The grade field, not the first "abc": a learner id is random hex and may hold one.
  csv.replace(csv.find(",abc,"), 5, ",77,");
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, csv, {{"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 201) << r.body;
  json list = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/records",
                                cat_.learner_a_token, nullptr, 200);
  ASSERT_EQ(list["records"].size(), 3u);
  EXPECT_EQ(list["records"][0]["attendance"], "全勤");
  EXPECT_EQ(list["records"][1]["grade"]["value"], "优秀");
  EXPECT_EQ(list["records"][1]["grade"]["normalized"], 95);
}

// A file's problems of every kind come in one answer, in line order, whether it is checked
// (?dry_run=true) or posted: a row that does not read, a row that does not recognize, and rows
// whose external_ref conflicts with a stored record or with another row. A row that does not
// recognize is not also said to conflict. Nothing is stored.
TEST_F(RecordsTest, CsvProblemsOfEveryKindComeInOneAnswer) {
  server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                    cat_.Record(cat_.learner_a, "tsinghua:CS101", "C-9"), 201);
  const std::string& a = cat_.learner_a;
  const std::string header =
      "learner,unit,external_ref,credits,grade_scale,grade_value,completed_on\n";
  const std::string good = a + ",tsinghua:CS101,C-1,,percent,85,2024-01-10\n";
  const std::string csv = header + good +                                      // line 2
                          a + ",tsinghua:NOPE,C-2,,percent,80,2024-01-10\n" +  // 3: no such unit
                          a + ",tsinghua:MA101,C-3,abc,percent,80,2024-01-10\n" +  // 4: credits
                          a + ",tsinghua:MA101,C-9,,percent,60,2024-01-11\n" +     // 5: stored key
                          a + ",tsinghua:MA101,C-1,,percent,70,2024-01-12\n" +  // 6: line 2's key
                          a + ",tsinghua:NOPE,C-9,,percent,60,2024-01-11\n";    // 7: no such unit
  for (const char* target : {"/v1/records?dry_run=true", "/v1/records"}) {
    ClientResponse r =
        server_->Call("POST", target, cat_.tsinghua_token, csv, {{"Content-Type", "text/csv"}});
    ASSERT_EQ(r.status, 400) << target << r.body;
    json p = json::parse(r.body);
    std::vector<std::pair<int, std::string>> found;
    for (const json& e : p["errors"]) found.emplace_back(e["line"].get<int>(), e["field"]);
    const std::vector<std::pair<int, std::string>> want = {
        {3, "unit"}, {4, "credits"}, {5, "external_ref"}, {6, "external_ref"}, {7, "unit"}};
    EXPECT_EQ(found, want) << target << r.body;
    // The repeat names the line it repeats.
    EXPECT_EQ(p["errors"][3]["detail"], "posted twice in one request: also on line 2") << r.body;
    EXPECT_TRUE(p["detail"].get<std::string>().starts_with("5 records were rejected")) << r.body;
    EXPECT_EQ(server_->ledger().Size(), 1u) << target;
  }
  // Only conflicts left: 409, each at its line.
  const std::string conflicts = header + good + a + ",tsinghua:MA101,C-9,,percent,60,2024-01-11\n" +
                                a + ",tsinghua:MA101,C-1,,percent,70,2024-01-12\n";
  ClientResponse r = server_->Call("POST", "/v1/records?dry_run=true", cat_.tsinghua_token,
                                   conflicts, {{"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 409) << r.body;
  json p = json::parse(r.body);
  ASSERT_EQ(p["errors"].size(), 2u) << r.body;
  EXPECT_EQ(p["errors"][0]["line"], 3);
  EXPECT_EQ(p["errors"][1]["line"], 4);
  // One repeated external_ref alone: the answer's own detail names the line too.
  r = server_->Call("POST", "/v1/records?dry_run=true", cat_.tsinghua_token,
                    header + good + a + ",tsinghua:MA101,C-1,,percent,70,2024-01-12\n",
                    {{"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(json::parse(r.body)["detail"], "posted twice in one request: also on line 2") << r.body;
  // One row with a problem: its own detail, not a count.
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token,
                    header + good + a + ",tsinghua:NOPE,C-2,,percent,80,2024-01-10\n",
                    {{"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["errors"].size(), 1u) << r.body;
  EXPECT_EQ(server_->ledger().Size(), 1u);
  // The clean file posts.
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, header + good,
                    {{"Content-Type", "text/csv"}});
  EXPECT_EQ(r.status, 201) << r.body;
}

// Every problem of a row is listed, each at its own field, not only the first: a grade out of
// its scale and a date in the future on one line of a file are both named (the registrar fixes
// the row once), in field order. `detail` counts records and problems. Nothing is stored.
TEST_F(RecordsTest, EveryProblemOfARowIsListed) {
  const std::string& a = cat_.learner_a;
  const std::string header =
      "learner,unit,external_ref,credits,grade_scale,grade_value,completed_on\n";
  const std::string csv = header + a + ",tsinghua:CS101,C-1,,percent,85,2024-01-10\n" + a +
                          ",tsinghua:MA101,C-2,,percent,105,2999-01-10\n" +    // line 3: two
                          a + ",tsinghua:MA101,C-3,,percent,70,2999-02-01\n";  // line 4: one
  const uint64_t before = server_->ledger().Size();
  for (const char* target : {"/v1/records?dry_run=true", "/v1/records"}) {
    ClientResponse r =
        server_->Call("POST", target, cat_.tsinghua_token, csv, {{"Content-Type", "text/csv"}});
    ASSERT_EQ(r.status, 400) << target << r.body;
    json p = json::parse(r.body);
    std::vector<std::tuple<int, std::string, std::string>> found;
    for (const json& e : p["errors"]) found.emplace_back(e["line"], e["field"], e["pointer"]);
    const std::vector<std::tuple<int, std::string, std::string>> want = {
        {3, "grade/value", "/records/1/grade/value"},
        {3, "completed_on", "/records/1/completed_on"},
        {4, "completed_on", "/records/2/completed_on"}};
    EXPECT_EQ(found, want) << target << r.body;
    EXPECT_NE(p["errors"][1]["detail"].get<std::string>().find("is in the future"),
              std::string::npos)
        << r.body;
    EXPECT_EQ(p["pointer"], "/records/1/grade/value") << r.body;  // the first problem
    EXPECT_TRUE(p["detail"].get<std::string>().starts_with(
        "2 records were rejected (3 problems); nothing was stored. First: "))
        << r.body;
    EXPECT_EQ(server_->ledger().Size(), before) << target;
  }

  // One record posted alone (JSON): both problems, at the record's own pointers.
  json one = cat_.Record(a, "tsinghua:MA101", "C-4", "105", "2999-01-10");
  ClientResponse r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, one.dump());
  ASSERT_EQ(r.status, 400) << r.body;
  json p = json::parse(r.body);
  ASSERT_EQ(p["errors"].size(), 2u) << r.body;
  EXPECT_EQ(p["errors"][0]["pointer"], "/grade/value");
  EXPECT_EQ(p["errors"][1]["pointer"], "/completed_on");
  EXPECT_TRUE(p["detail"].get<std::string>().starts_with("1 record was rejected (2 problems)"))
      << r.body;
  EXPECT_EQ(server_->ledger().Size(), before);
}

// What Excel writes on a Chinese Windows: GB18030 bytes, said in the Content-Type's charset.
std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
  std::string in = utf8, out(utf8.size() * 2 + 16, '\0');
  char* src = in.data();
  char* dst = out.data();
  size_t src_left = in.size(), dst_left = out.size();
  EXPECT_NE(iconv(cd, &src, &src_left, &dst, &dst_left), static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - dst_left);
  return out;
}

TEST_F(RecordsTest, CsvInGb18030IsReadByItsCharset) {
  const std::string utf8 = "learner,unit,external_ref,grade_scale,grade_value,completed_on,attendance\n" +
                           cat_.learner_a + ",tsinghua:MA101,G-1,five_level,良好,2024-01-11,全勤\n";
  const std::string gb = ToGb18030(utf8);
  ASSERT_NE(gb, utf8);
  // Read as UTF-8 (no charset), the GB18030 bytes are refused, naming the line; nothing stored.
  ClientResponse r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, gb,
                                   {{"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 400) << r.body;
  json p = json::parse(r.body);
  EXPECT_EQ(p["errors"][0]["line"], 2) << r.body;
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, gb,
                    {{"Content-Type", "text/csv; charset=latin1"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("/content-type"), std::string::npos) << r.body;
  EXPECT_EQ(server_->ledger().Size(), 0u);
  r = server_->Call("POST", "/v1/records", cat_.tsinghua_token, gb,
                    {{"Content-Type", "text/csv; charset=GB18030"}});
  ASSERT_EQ(r.status, 201) << r.body;
  json list = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/records",
                                cat_.learner_a_token, nullptr, 200);
  ASSERT_EQ(list["records"].size(), 1u);
  EXPECT_EQ(list["records"][0]["attendance"], "全勤");
  EXPECT_EQ(list["records"][0]["grade"]["value"], "良好");
}

TEST_F(RecordsTest, RestartKeepsEveryAcknowledgedRecord) {
  std::vector<std::pair<std::string, uint64_t>> acked;
  for (int i = 0; i < 20; ++i) {
    json r = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                               cat_.Record(cat_.learner_a, "tsinghua:CS101", "R-" + std::to_string(i)),
                               201);
    acked.emplace_back(r["records"][0]["id"], r["records"][0]["leaf_index"]);
  }
  std::string checkpoint = server_->ledger().LatestCheckpoint();
  server_.reset();
  server_ = std::make_unique<TestServer>(dir_.path());
  EXPECT_EQ(server_->ledger().LatestCheckpoint(), checkpoint);
  for (const auto& [id, leaf] : acked) {
    json got = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
    EXPECT_EQ(got["receipt"]["leaf_index"], leaf);
  }
  // The log goes on from where it was, consistent with the old checkpoint.
  json r = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                             cat_.Record(cat_.learner_a, "tsinghua:MA101", "R-after"), 201);
  EXPECT_EQ(r["records"][0]["leaf_index"], acked.back().second + 1);
}

TEST_F(RecordsTest, PaginationAndPassbook) {
  for (int i = 0; i < 7; ++i) {
    server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                      cat_.Record(cat_.learner_a, i % 2 ? "tsinghua:CS101" : "tsinghua:MA101",
                                  "PG-" + std::to_string(i), "80", "202" + std::to_string(i % 3) + "-05-01"),
                      201);
  }
  server_->CallJson("POST", "/v1/records", cat_.ouchn_token,
                    cat_.Record(cat_.learner_a, "ouchn:ENG1", "E-1", "75", "2022-03-01"), 201);
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string target = "/v1/learners/" + cat_.learner_a + "/records?limit=3";
    if (!cursor.empty()) target += "&cursor=" + cursor;
    json r = server_->CallJson("GET", target, cat_.learner_a_token, nullptr, 200);
    for (const auto& rec : r["records"]) seen.push_back(rec["id"]);
    if (r["next_cursor"].is_null()) break;
    cursor = r["next_cursor"];
  }
  EXPECT_EQ(seen.size(), 8u);
  // A page of nothing is not a page: limit=0 is refused, not read as the default 50.
  for (const auto& [target, token] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/learners/" + cat_.learner_a + "/records?limit=0", cat_.auditor_token},
           {"/v1/admin/actions?limit=0", server_->admin_token()},
           {"/v1/institutions?limit=0", ""}}) {
    ClientResponse r = server_->Call("GET", target, token);
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    if (r.status == 400) EXPECT_EQ(json::parse(r.body)["pointer"], "/limit") << target;
  }
  json pb = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook",
                              cat_.learner_a_token, nullptr, 200);
  // 4 MA101 (5 credits) + 3 CS101 (4) + ENG1 (2.5).
  EXPECT_EQ(pb["total_credits"], 34.5);
  EXPECT_EQ(pb["by_issuer"]["tsinghua"], 32);
  EXPECT_EQ(pb["by_issuer"]["ouchn"], 2.5);
  EXPECT_EQ(pb["by_kind"]["non_degree_course"], 2.5);
  EXPECT_EQ(pb["by_field"]["06"], 12);
  // Each issuer's name comes with the totals, and a renamed institution shows its new name.
  EXPECT_EQ(pb["issuer_names"], json({{"tsinghua", "清华大学"}, {"ouchn", "国家开放大学"}}));
  server_->CallJson("PUT", "/v1/institutions/ouchn", server_->admin_token(),
                    {{"name", "国家开放大学（新）"}, {"kind", "open_university"},
                     {"hours_per_credit", 18}},
                    200);
  pb = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook",
                         cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(pb["issuer_names"]["ouchn"], "国家开放大学（新）");
  EXPECT_EQ(pb["total_credits"], 34.5);
  // Others may not see it.
  server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook", cat_.learner_b_token,
                    nullptr, 404);
  server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook", cat_.ouchn_token,
                    nullptr, 404);
  // Until the learner grants it.
  server_->CallJson("POST", "/v1/learners/" + cat_.learner_a + "/grants", cat_.learner_a_token,
                    {{"institution", "ouchn"}}, 201);
  server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook", cat_.ouchn_token,
                    nullptr, 200);
  server_->CallJson("DELETE", "/v1/learners/" + cat_.learner_a + "/grants/ouchn",
                    cat_.learner_a_token, nullptr, 200);
  server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook", cat_.ouchn_token,
                    nullptr, 404);
}

TEST_F(RecordsTest, RevokeAndCorrect) {
  json r = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                             cat_.Record(cat_.learner_a, "tsinghua:CS101", "RV-1", "55"), 201);
  std::string id = r["records"][0]["id"];
  // Only the issuer may correct it.
  json fix = {{"record", cat_.Record(cat_.learner_a, "tsinghua:CS101", "RV-1b", "65")},
              {"reason", "grade entry error"}};
  server_->CallJson("POST", "/v1/records/" + id + "/correct", cat_.ouchn_token, fix, 404);
  json corrected = server_->CallJson("POST", "/v1/records/" + id + "/correct",
                                     cat_.tsinghua_token, fix, 201);
  std::string new_id = corrected["record"]["id"];
  json old_rec = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(old_rec["status"], "revoked");
  json new_rec = server_->CallJson("GET", "/v1/records/" + new_id, cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(new_rec["record"]["supersedes"], id);
  json pb = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook",
                              cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(pb["total_credits"], 4);
  EXPECT_EQ(pb["revoked_count"], 1);
  // Revoking twice with the same reason is idempotent; a revoked record cannot be corrected.
  server_->CallJson("POST", "/v1/records/" + new_id + "/revoke", cat_.tsinghua_token,
                    {{"reason", "withdrawn"}}, 200);
  server_->CallJson("POST", "/v1/records/" + new_id + "/revoke", cat_.tsinghua_token,
                    {{"reason", "withdrawn"}}, 200);
  server_->CallJson("POST", "/v1/records/" + new_id + "/revoke", cat_.tsinghua_token,
                    {{"reason", "other"}}, 409);
}

// A failing grade (below its scale's pass mark) is recognized and kept, so the learner's
// history is whole, but it earns nothing: the record says `passing: false`, the passbook counts
// it in failed_count only, and a conversion gives it below_min_grade even where neither the
// policy nor the rule sets a min_grade. A registered scale's pass mark holds after a restart.
TEST_F(RecordsTest, FailingGradesAreKeptButEarnNothing) {
  server_->CallJson(
      "PUT", "/v1/grade-scales/uk-btec", server_->admin_token(),
      {{"kind", "symbolic"},
       {"pass_value", 60},
       {"symbols", {{{"symbol", "Pass"}, {"value", 60}}, {{"symbol", "Fail"}, {"value", 0}}}}},
      201);
  auto post = [&](const std::string& token, json rec) {
    json r = server_->CallJson("POST", "/v1/records", token, rec, 201);
    return r["records"][0]["id"].get<std::string>();
  };
  auto graded = [&](const std::string& unit, const std::string& ref, const std::string& scale,
                    const std::string& value) {
    json rec = cat_.Record(cat_.learner_a, unit, ref);
    rec["grade"] = {{"scale", scale}, {"value", value}};
    return rec;
  };
  const std::string f1 =
      post(cat_.tsinghua_token, cat_.Record(cat_.learner_a, "tsinghua:CS101", "F-1", "55"));
  const std::string f2 =
      post(cat_.tsinghua_token, cat_.Record(cat_.learner_a, "tsinghua:MA101", "F-2", "80"));
  const std::string f3 =
      post(cat_.ouchn_token, graded("ouchn:ENG1", "F-3", "five_level", "不及格"));
  const std::string f4 =
      post(cat_.tsinghua_token, graded("tsinghua:MA101", "F-4", "uk-btec", "Fail"));
  const std::string f5 =
      post(cat_.tsinghua_token, graded("tsinghua:CS101", "F-5", "uk-btec", "Pass"));

  PutElectivesProgram();

  auto check = [&](const std::string& when) {
    SCOPED_TRACE(when);
    for (const auto& [id, passing] : std::vector<std::pair<std::string, bool>>{
             {f1, false}, {f2, true}, {f3, false}, {f4, false}, {f5, true}}) {
      json got = server_->CallJson("GET", "/v1/records/" + id, cat_.learner_a_token, nullptr, 200);
      EXPECT_EQ(got["status"], "active") << id;
      EXPECT_EQ(got["passing"], passing) << id;
      EXPECT_EQ(got["common_level"], id == f3 ? 5 : 6) << id;
    }
    json list = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/records",
                                  cat_.learner_a_token, nullptr, 200);
    ASSERT_EQ(list["records"].size(), 5u);
    int failing = 0;
    for (const auto& item : list["records"]) failing += item["passing"] == false;
    EXPECT_EQ(failing, 3);
    json pb = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook",
                                cat_.learner_a_token, nullptr, 200);
    EXPECT_EQ(pb["total_credits"], 9) << pb.dump();  // F-2 (5) and F-5 (4)
    EXPECT_EQ(pb["active_count"], 2);
    EXPECT_EQ(pb["failed_count"], 3);
    EXPECT_EQ(pb["by_issuer"], json({{"tsinghua", 9}}));
    EXPECT_TRUE(pb["expiring"].empty()) << pb.dump();  // ENG1 expires, but failed
    json eval = server_->CallJson("POST", "/v1/conversions/evaluate", cat_.learner_a_token,
                                  {{"learner", cat_.learner_a}, {"program", "tsinghua:BS"}}, 200);
    EXPECT_EQ(eval["granted"], 9) << eval.dump();
    std::map<std::string, std::string> reasons;
    for (const auto& u : eval["unused"]) reasons[u["record"]] = u["reason"];
    EXPECT_EQ(reasons[f1], "below_min_grade") << eval.dump();
    EXPECT_EQ(reasons[f4], "below_min_grade") << eval.dump();
  };
  check("before a restart");
  // Revoking a failing record moves it from failed to revoked.
  server_->CallJson("POST", "/v1/records/" + f1 + "/revoke", cat_.tsinghua_token,
                    {{"reason", "entered twice"}}, 200);
  json pb = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook",
                              cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(pb["failed_count"], 2);
  EXPECT_EQ(pb["revoked_count"], 1);
  EXPECT_EQ(pb["total_credits"], 9);
  server_->CallJson("POST", "/v1/records/" + f4 + "/revoke", cat_.tsinghua_token,
                    {{"reason", "entered twice"}}, 200);
  const std::string f6 =
      post(cat_.tsinghua_token, graded("tsinghua:MA101", "F-6", "uk-btec", "Fail"));
  server_.reset();
  server_ = std::make_unique<TestServer>(dir_.path());
  // The registered scale's pass mark is read back from the catalog after the restart, both
  // ways; the passbook (its stored row caught up through F-6) agrees.
  json got = server_->CallJson("GET", "/v1/records/" + f5, cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(got["passing"], true);
  got = server_->CallJson("GET", "/v1/records/" + f6, cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(got["passing"], false);
  pb = server_->CallJson("GET", "/v1/learners/" + cat_.learner_a + "/passbook",
                         cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(pb["failed_count"], 2);  // F-3, F-6
  EXPECT_EQ(pb["revoked_count"], 2);
  EXPECT_EQ(pb["active_count"], 2);
  EXPECT_EQ(pb["total_credits"], 9);
}

// Applied conversions are read back: a learner's list (oldest first, in pages) and each one as a
// bundle whose receipt verifies against the entry the log hashed; only those who may read the
// learner's data see them.
TEST_F(RecordsTest, AppliedConversionsAreReadBackWithTheirReceipts) {
  server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                    cat_.Record(cat_.learner_a, "tsinghua:CS101", "C-1"), 201);
  const std::string record = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                                               cat_.Record(cat_.learner_a, "tsinghua:MA101", "C-2"),
                                               201)["records"][0]["id"];
  PutElectivesProgram();
  server_->CallJson("POST", "/v1/learners/" + cat_.learner_a + "/grants", cat_.learner_a_token,
                    {{"institution", "tsinghua"}}, 201);
  const std::string list = "/v1/learners/" + cat_.learner_a + "/conversions";
  EXPECT_TRUE(
      server_->CallJson("GET", list, cat_.learner_a_token, nullptr, 200)["conversions"].empty());
  std::vector<std::string> applied;
  for (int i = 0; i < 3; ++i) {
    json a = server_->CallJson("POST", "/v1/conversions", cat_.tsinghua_token,
                               {{"learner", cat_.learner_a}, {"program", "tsinghua:BS"}}, 201);
    applied.push_back(a["id"]);
  }
  // In pages of two, oldest first.
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    std::string target = list + "?limit=2";
    if (!cursor.empty()) target += "&cursor=" + cursor;
    json r = server_->CallJson("GET", target, cat_.learner_a_token, nullptr, 200);
    for (const json& c : r["conversions"]) {
      seen.push_back(c["id"]);
      EXPECT_EQ(c["type"], "conversion");
      EXPECT_EQ(c["program"], "tsinghua:BS");
      EXPECT_EQ(c["result"]["granted"], 9) << c.dump();
      EXPECT_TRUE(c.contains("leaf_index"));
      EXPECT_FALSE(c.contains("program_snapshot"));
    }
    if (r["next_cursor"].is_null()) break;
    cursor = r["next_cursor"];
  }
  EXPECT_EQ(seen, applied);
  EXPECT_EQ(
      json::parse(server_->Call("GET", list + "?cursor=zz", cat_.learner_a_token).body)["pointer"],
      "/cursor");

  // One, as a bundle: the entry as hashed, with a receipt that verifies.
  const std::string one = "/v1/conversions/" + applied[1];
  json bundle = server_->CallJson("GET", one, cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(bundle["conversion"]["id"], applied[1]);
  EXPECT_EQ(bundle["conversion"]["learner"], cat_.learner_a);
  EXPECT_TRUE(bundle["conversion"].contains("program_snapshot"));
  const uint64_t leaf = bundle["leaf_index"];
  json entries = server_->CallJson(
      "GET", "/v1/log/entries?start=" + std::to_string(leaf) + "&end=" + std::to_string(leaf + 1),
      cat_.auditor_token, nullptr, 200);
  const std::string bytes = *Base64Decode(entries["entries"][0]["entry"].get<std::string>());
  EXPECT_EQ(json::parse(bytes), bundle["conversion"]);
  ExpectReceiptVerifies(*server_, bundle["receipt"], bytes);
  // Who may read the learner's data reads it; others get 404 (admin 403), as for records.
  server_->CallJson("GET", one, cat_.tsinghua_token, nullptr, 200);
  server_->CallJson("GET", one, cat_.auditor_token, nullptr, 200);
  server_->CallJson("GET", one, cat_.learner_b_token, nullptr, 404);
  server_->CallJson("GET", one, cat_.ouchn_token, nullptr, 404);
  server_->CallJson("GET", one, server_->admin_token(), nullptr, 403);
  server_->CallJson("GET", one, "", nullptr, 401);
  server_->CallJson("GET", list, cat_.learner_b_token, nullptr, 404);
  server_->CallJson("GET", list, cat_.ouchn_token, nullptr, 404);
  // A record's id, or no entry at all, is no conversion.
  server_->CallJson("GET", "/v1/conversions/" + record, cat_.learner_a_token, nullptr, 404);
  server_->CallJson("GET", "/v1/conversions/conv_000000000000000000000000", cat_.learner_a_token,
                    nullptr, 404);
  // Once the grant is withdrawn, the institution no longer reads them.
  server_->CallJson("DELETE", "/v1/learners/" + cat_.learner_a + "/grants/tsinghua",
                    cat_.learner_a_token, nullptr, 200);
  server_->CallJson("GET", one, cat_.tsinghua_token, nullptr, 404);
}

TEST_F(RecordsTest, RegisteredGradeScalesSurviveRestart) {
  json scale = {{"kind", "symbolic"},
                {"pass_value", 60},
                {"symbols", {{{"symbol", "Distinction"}, {"value", 90}},
                             {{"symbol", "Merit"}, {"value", 75}},
                             {{"symbol", "Pass"}, {"value", 60}},
                             {{"symbol", "Fail"}, {"value", 0}}}}};
  server_->CallJson("PUT", "/v1/grade-scales/uk-btec", cat_.tsinghua_token, scale, 403);
  server_->CallJson("PUT", "/v1/grade-scales/uk-btec", server_->admin_token(), scale, 201);
  server_->CallJson("PUT", "/v1/grade-scales/uk-btec", server_->admin_token(), scale, 409);
  server_->CallJson("PUT", "/v1/grade-scales/percent", server_->admin_token(), scale, 409);
  json bad = scale;
  bad["symbols"][1]["value"] = 101;
  json problem = server_->CallJson("PUT", "/v1/grade-scales/other", server_->admin_token(), bad, 400);
  EXPECT_EQ(problem["pointer"], "/symbols/1/value");
  json numeric = {{"kind", "numeric"}, {"min", 0}, {"max", 10}, {"factor", 10}, {"decimals", 1},
                  {"pass_value", 60}};
  server_->CallJson("PUT", "/v1/grade-scales/ten-point", server_->admin_token(), numeric, 201);

  json rec = cat_.Record(cat_.learner_a, "tsinghua:CS101", "GS-1");
  rec["grade"] = {{"scale", "uk-btec"}, {"value", "Merit"}};
  server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, rec, 201);
  server_.reset();
  server_ = std::make_unique<TestServer>(dir_.path());
  json list = server_->CallJson("GET", "/v1/grade-scales", "", nullptr, 200);
  EXPECT_GE(list["scales"].size(), 8u);
  json got = server_->CallJson("GET", "/v1/grade-scales/ten-point", "", nullptr, 200);
  EXPECT_EQ(got["factor"], 10);
  json rec2 = cat_.Record(cat_.learner_a, "tsinghua:MA101", "GS-2");
  rec2["grade"] = {{"scale", "ten-point"}, {"value", "8.5"}};
  json posted = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, rec2, 201);
  json stored = server_->CallJson("GET", "/v1/records/" + posted["records"][0]["id"].get<std::string>(),
                                  cat_.learner_a_token, nullptr, 200);
  EXPECT_EQ(stored["record"]["grade"]["normalized"], 85);
  rec2["external_ref"] = "GS-3";
  rec2["grade"]["value"] = "Merit";
  json wrong = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, rec2, 400);
  EXPECT_EQ(wrong["pointer"], "/grade/value");
}

TEST_F(RecordsTest, DryRunValidatesWithoutStoring) {
  json batch = {{"records",
                 {cat_.Record(cat_.learner_a, "tsinghua:CS101", "D-1"),
                  cat_.Record(cat_.learner_b, "tsinghua:MA101", "D-2")}}};
  json ok = server_->CallJson("POST", "/v1/records?dry_run=true", cat_.tsinghua_token, batch, 200);
  EXPECT_EQ(ok["valid"], 2);
  EXPECT_EQ(server_->ledger().Size(), 0u);
  batch["records"][1]["learner"] = "lrn_nobody";
  json bad = server_->CallJson("POST", "/v1/records?dry_run=true", cat_.tsinghua_token, batch, 400);
  EXPECT_EQ(bad["errors"][0]["pointer"], "/records/1/learner");
  EXPECT_EQ(server_->ledger().Size(), 0u);
}

TEST_F(RecordsTest, LearnerAccountsByNationalId) {
  // Two institutions posting for the same person reach one account.
  json a = server_->CallJson("POST", "/v1/learners", cat_.ouchn_token,
                             {{"national_id", "110101 19900307 0011"}}, 200);
  EXPECT_EQ(a["id"], cat_.learner_a);
  json found = server_->CallJson("GET", "/v1/learners/lookup?national_id=110101199003070011",
                                 cat_.ouchn_token, nullptr, 200);
  EXPECT_EQ(found["id"], cat_.learner_a);
  server_->CallJson("GET", "/v1/learners/lookup?national_id=110101199003070011",
                    cat_.learner_a_token, nullptr, 403);
}

}  // namespace
}  // namespace lcb::testing
