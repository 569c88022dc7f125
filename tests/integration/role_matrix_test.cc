// Who may call what: every route of the real router, tried by every kind of caller, against
// the table in DESIGN.md ("HTTP API"). The table below is checked against
// App::router().routes() in both directions, so a new route without a row (or a row whose
// route is gone) fails the build's tests, not a review.
//
// Callers (columns), relative to the learner a row is about ("subject"):
//   anon     no Authorization header
//   admin    the admin token
//   auditor  an auditor token
//   owner    institution:tsinghua: issues the subject's records, owns the units, the program
//            and its ruleset; learner A granted it access, learner B did not
//   granted  institution:pku: owns nothing here; learner A granted it access, B did not
//   stranger institution:ouchn: owns nothing here, no grant from anyone
//   self     the subject learner
//   other    the other learner
//
// Every caller is tried twice: with its bearer token, and with a portal session made from that
// token (POST /v1/sessions {"token"}: the cookie plus its X-CSRF-Token), which must act exactly
// as the token does (DESIGN.md: "A portal session acts with its role").
//
// Every request is otherwise valid (real ids, well-formed bodies, fresh objects where the
// call consumes one), so a 2xx is really reachable for the callers the table allows and every
// refusal is the authorization decision, not a validation error. 404 where a caller may not
// know the object exists (DESIGN.md: "404 is fine for objects it may not know of").
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <sstream>

#include "api/logging.h"
#include "api/routes_tiles.h"
#include "crypto/jws.h"
#include "tests/integration/test_server.h"
#include "vc/open_badge.h"
#include "vc/securing.h"

namespace lcb::testing {
namespace {

enum Caller { kAnon, kAdminCaller, kAuditorCaller, kOwner, kGranted, kStranger, kSelf, kOther };
constexpr int kNumCallers = 8;
constexpr const char* kCallerNames[kNumCallers] = {"anon",    "admin",    "auditor", "owner",
                                                   "granted", "stranger", "self",    "other"};

// One request of a cell, built fresh for every cell (objects a call consumes are new each time).
struct CellRequest {
  std::string target;
  std::string body;
  std::string type = "";  // Content-Type when not JSON
};

struct Row {
  std::string method;
  std::string pattern;  // exactly as registered in the router
  std::string variant;  // what distinguishes rows of the same route
  char subject;         // 'A' or 'B': whose data the row touches ("self", "other")
  // One expectation per caller, space separated: "2xx", "401", "403" or "404".
  std::string expect;
  std::function<CellRequest()> make;
  std::string session_expect;  // when a session's answer differs from the token's (rare)
};

// How the callers authenticate in a run of the matrix.
enum class Via { kToken, kSession };

std::vector<std::string> SplitSpaces(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string StatusClass(int status) {
  if (status >= 200 && status < 300) return "2xx";
  return std::to_string(status);
}

std::string PathOf(const std::string& target) { return target.substr(0, target.find('?')); }

class RoleMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel("error");  // the request log of a few hundred cells is noise here
    server_ = std::make_unique<TestServer>(
        dir_.sub("bank"), std::map<std::string, std::string>{{"public_url", "https://bank.example"},
                                                             {"vc_api_issue", "true"}});
    TestServer& s = *server_;
    cat_.Load(s);
    const std::string& admin = s.admin_token();
    s.CallJson("PUT", "/v1/institutions/pku", admin, {{"name", "北京大学"}, {"kind", "university"}},
               200);
    s.CallJson("PUT", "/v1/institutions/fudan", admin, FudanDoc(), 200);
    pku_token_ = s.NewToken("institution:pku");
    s.CallJson("PUT", "/v1/programs/tsinghua:BSC", cat_.tsinghua_token, ProgramDoc(), 200);
    s.CallJson("PUT", "/v1/programs/tsinghua:BSC/ruleset", cat_.tsinghua_token, RulesetDoc(), 201);
    for (const char* inst : {"tsinghua", "pku"}) {
      s.CallJson("POST", "/v1/learners/" + cat_.learner_a + "/grants", cat_.learner_a_token,
                 {{"institution", inst}}, 201);
    }
    record_a_ = PostRecord(cat_.learner_a, "FIX-A");
    record_b_ = PostRecord(cat_.learner_b, "FIX-B");
    std::string note = s.ledger().LatestCheckpoint();
    // Second line of the checkpoint note is the tree size it was signed at.
    size_t nl = note.find('\n');
    checkpoint_size_ = std::stoull(note.substr(nl + 1, note.find('\n', nl + 1) - nl - 1));
    BuildTable();
  }

  // A token written as POST /v1/tokens wrote one before it checked the role's subject (a
  // TokenService with no subject check, over the server's store).
  std::string TokenMadeUnchecked(const std::string& role) {
    TokenService unchecked(&server_->services().kv());
    auto t = unchecked.Create(role, "");
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t->token : "";
  }

  static json FudanDoc() { return {{"name", "复旦大学"}, {"kind", "university"}}; }
  static json ProgramDoc() {
    return {{"title", "计算机科学与技术"},
            {"kind", "bachelor"},
            {"total_credits", 120},
            {"requirements",
             {{{"id", "cs101"}, {"title", "程序设计"}, {"kind", "course"}, {"credits", 4}},
              {{"id", "elective"}, {"kind", "pool"}, {"credits", 10}}}},
            {"policy", {{"max_transfer_ratio", 0.5}}}};
  }
  static json RulesetDoc() {
    return {{"rules",
             {{{"id", "r-cs101"},
               {"target", "cs101"},
               {"grant", 4},
               {"sources", {{{"unit", "tsinghua:CS101"}}}}},
              {{"id", "r-eng"},
               {"target", "elective"},
               {"grant", 2},
               {"sources", {{{"kind", "non_degree_course"}}}}}}}};
  }

  // Posts a record of tsinghua:CS101 as tsinghua (setup, not a cell) and returns its id.
  std::string PostRecord(const std::string& learner, const std::string& ref) {
    json r = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token,
                               cat_.Record(learner, "tsinghua:CS101", ref), 201);
    return r["records"][0].value("id", "");
  }
  std::string Fresh(const std::string& prefix) { return prefix + std::to_string(++counter_); }
  const std::string& Learner(char subject) const {
    return subject == 'A' ? cat_.learner_a : cat_.learner_b;
  }

  std::string TokenFor(Caller c, char subject) const {
    switch (c) {
      case kAnon: return "";
      case kAdminCaller: return server_->admin_token();
      case kAuditorCaller: return cat_.auditor_token;
      case kOwner: return cat_.tsinghua_token;
      case kGranted: return pku_token_;
      case kStranger: return cat_.ouchn_token;
      case kSelf: return subject == 'A' ? cat_.learner_a_token : cat_.learner_b_token;
      case kOther: return subject == 'A' ? cat_.learner_b_token : cat_.learner_a_token;
    }
    return "";
  }

  void Add(std::string method, std::string pattern, std::string variant, char subject,
           std::string expect, std::function<CellRequest()> make, std::string session_expect = "") {
    rows_.push_back(Row{std::move(method), std::move(pattern), std::move(variant), subject,
                        std::move(expect), std::move(make), std::move(session_expect)});
  }
  // A fresh portal session made from `token`: {cookie value, csrf token}.
  std::pair<std::string, std::string> SessionFrom(const std::string& token) {
    ClientResponse r = server_->Call("POST", "/v1/sessions", "", json{{"token", token}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    std::string cookie = r.headers["set-cookie"];
    cookie = cookie.substr(0, cookie.find(';'));
    return {cookie, json::parse(r.body, nullptr, false).value("csrf_token", "")};
  }
  // One cell's request, authenticated as `caller` by token or by a fresh session.
  ClientResponse CallAs(Via via, Caller caller, char subject, const Row& row,
                        const CellRequest& req, bool with_csrf = true) {
    std::string token = TokenFor(caller, subject);
    std::map<std::string, std::string> headers;
    if (!req.type.empty()) headers["Content-Type"] = req.type;
    if (via == Via::kToken || token.empty()) {
      return server_->Call(row.method, req.target, token, req.body, headers);
    }
    auto [cookie, csrf] = SessionFrom(token);
    headers["Cookie"] = cookie;
    if (with_csrf) headers["X-CSRF-Token"] = csrf;
    return server_->Call(row.method, req.target, "", req.body, headers);
  }
  void RunMatrix(Via via);
  static std::function<CellRequest()> Fixed(std::string target, std::string body = "") {
    return [target, body] { return CellRequest{target, body}; };
  }

  void BuildTable();

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
  std::string pku_token_;
  std::string record_a_, record_b_;
  std::string conversion_a_;  // applied by the first cell that needs it
  uint64_t checkpoint_size_ = 0;
  int counter_ = 0;
  std::vector<Row> rows_;
};

void RoleMatrixTest::BuildTable() {
  const std::string a = cat_.learner_a, b = cat_.learner_b;
  const std::string n = std::to_string(checkpoint_size_);
  // Everyone, signed in or not.
  const std::string kPublic = "2xx 2xx 2xx 2xx 2xx 2xx 2xx 2xx";
  // Admin only.
  const std::string kAdminOnly = "401 2xx 403 403 403 403 403 403";

  //                                                                 anon admin audit owner grant strngr self other
  Add("GET", "/healthz", "", 'A', kPublic, Fixed("/healthz"));
  Add("GET", "/readyz", "", 'A', kPublic, Fixed("/readyz"));
  Add("GET", "/metrics", "", 'A', kPublic, Fixed("/metrics"));
  Add("GET", "/openapi.json", "", 'A', kPublic, Fixed("/openapi.json"));

  // Tokens and the admin action log.
  Add("POST", "/v1/tokens", "", 'A', kAdminOnly, Fixed("/v1/tokens", R"({"role":"auditor"})"));
  Add("GET", "/v1/tokens", "", 'A', kAdminOnly, Fixed("/v1/tokens"));
  // Any token describes itself; a portal session is not a token (404).
  Add("GET", "/v1/tokens/current", "", 'A', "401 2xx 2xx 2xx 2xx 2xx 2xx 2xx",
      Fixed("/v1/tokens/current"), "401 404 404 404 404 404 404 404");
  Add("DELETE", "/v1/tokens/{id}", "a fresh token each cell", 'A', kAdminOnly, [this] {
    auto t = server_->services().tokens().Create("auditor", "");
    return CellRequest{"/v1/tokens/" + t->id, ""};
  });
  Add("GET", "/v1/admin/actions", "", 'A', kAdminOnly, Fixed("/v1/admin/actions"));
  Add("POST", "/v1/admin/backup", "a fresh directory each cell", 'A', kAdminOnly, [this] {
    return CellRequest{"/v1/admin/backup", json{{"to", dir_.sub(Fresh("backup-"))}}.dump()};
  });

  // Catalog: institutions (admin), units and programs (owner or admin), rulesets (owner).
  Add("PUT", "/v1/institutions/{id}", "", 'A', kAdminOnly,
      Fixed("/v1/institutions/fudan", FudanDoc().dump()));
  Add("GET", "/v1/institutions/{id}", "", 'A', kPublic, Fixed("/v1/institutions/tsinghua"));
  Add("GET", "/v1/institutions", "", 'A', kPublic, Fixed("/v1/institutions"));
  Add("PUT", "/v1/grade-scales/{id}", "a fresh scale id each cell", 'A', kAdminOnly, [this] {
    return CellRequest{"/v1/grade-scales/" + Fresh("scale-"),
                       R"({"kind":"symbolic","pass_value":60,"symbols":[{"symbol":"P","value":70},{"symbol":"N","value":0}]})"};
  });
  Add("GET", "/v1/grade-scales/{id}", "", 'A', kPublic, Fixed("/v1/grade-scales/five_level"));
  Add("GET", "/v1/grade-scales", "", 'A', kPublic, Fixed("/v1/grade-scales"));
  Add("GET", "/v1/regimes", "", 'A', kPublic, Fixed("/v1/regimes"));
  const std::string unit_doc = json{{"title", "程序设计基础"},
                                    {"kind", "degree_course"},
                                    {"credits", 4},
                                    {"level", 6},
                                    {"field", "0613"}}
                                   .dump();
  Add("PUT", "/v1/units/{id}", "owner's unit", 'A', "401 2xx 403 2xx 403 403 403 403",
      Fixed("/v1/units/tsinghua:CS101", unit_doc));
  Add("GET", "/v1/units/{id}", "", 'A', kPublic, Fixed("/v1/units/tsinghua:CS101"));
  Add("GET", "/v1/units", "", 'A', kPublic, Fixed("/v1/units?institution=tsinghua"));
  Add("PUT", "/v1/programs/{id}", "owner's program", 'A', "401 2xx 403 2xx 403 403 403 403",
      Fixed("/v1/programs/tsinghua:BSC", ProgramDoc().dump()));
  Add("GET", "/v1/programs/{id}", "", 'A', kPublic, Fixed("/v1/programs/tsinghua:BSC"));
  Add("GET", "/v1/programs", "", 'A', kPublic, Fixed("/v1/programs"));
  Add("PUT", "/v1/programs/{id}/ruleset", "owner's program", 'A',
      "401 403 403 2xx 403 403 403 403",
      Fixed("/v1/programs/tsinghua:BSC/ruleset", RulesetDoc().dump()));
  Add("GET", "/v1/programs/{id}/ruleset", "", 'A', kPublic,
      Fixed("/v1/programs/tsinghua:BSC/ruleset?version=1"));

  // Records: institutions post their own units' records; the issuer revokes and corrects.
  Add("POST", "/v1/records", "owner's unit, fresh external_ref", 'A',
      "401 403 403 2xx 403 403 403 403", [this, a] {
        return CellRequest{"/v1/records",
                           cat_.Record(a, "tsinghua:CS101", Fresh("MX-")).dump()};
      });
  Add("POST", "/v1/records/table", "a CSV file, nothing stored", 'A',
      "401 403 403 2xx 2xx 2xx 403 403", [] {
        return CellRequest{"/v1/records/table",
                           "learner,unit,external_ref,grade_scale,grade_value,completed_on\n"
                           "x,tsinghua:CS101,T-1,percent,90,2024-06-30\n",
                           "text/csv"};
      });
  Add("GET", "/v1/records/{id}", "A's record", 'A', "401 403 2xx 2xx 2xx 404 2xx 404",
      Fixed("/v1/records/" + record_a_));
  Add("GET", "/v1/records/{id}", "B's record (issuer has no grant)", 'B',
      "401 403 2xx 2xx 404 404 2xx 404", Fixed("/v1/records/" + record_b_));
  Add("POST", "/v1/records/{id}/revoke", "a fresh record each cell", 'A',
      "401 403 403 2xx 404 404 403 403", [this, a] {
        std::string id = PostRecord(a, Fresh("MXR-"));
        return CellRequest{"/v1/records/" + id + "/revoke", R"({"reason":"matrix"})"};
      });
  Add("POST", "/v1/records/{id}/correct", "a fresh record each cell", 'A',
      "401 403 403 2xx 404 404 403 403", [this, a] {
        std::string id = PostRecord(a, Fresh("MXC-"));
        json body = {{"record", cat_.Record(a, "tsinghua:CS101", Fresh("MXC-"), "95")},
                     {"reason", "matrix"}};
        return CellRequest{"/v1/records/" + id + "/correct", body.dump()};
      });

  // Learners: accounts (institutions, admin); their data (self, auditors, granted institutions).
  Add("POST", "/v1/learners", "", 'A', "401 2xx 403 2xx 2xx 2xx 403 403",
      Fixed("/v1/learners", R"({"display_name":"王五"})"));
  Add("GET", "/v1/learners/lookup", "", 'A', "401 2xx 403 2xx 2xx 2xx 403 403",
      Fixed("/v1/learners/lookup?national_id=110101199003070011"));
  Add("POST", "/v1/learners/lookup", "", 'A', "401 2xx 403 2xx 2xx 2xx 403 403",
      Fixed("/v1/learners/lookup", R"({"national_ids":["110101199003070011"]})"));
  // The owner created both accounts: it reads and moves them, granted or not.
  Add("GET", "/v1/learners/{id}", "A granted owner and pku", 'A', "401 403 2xx 2xx 2xx 404 2xx 404",
      Fixed("/v1/learners/" + a));
  Add("GET", "/v1/learners/{id}", "B granted no one", 'B', "401 403 2xx 2xx 404 404 2xx 404",
      Fixed("/v1/learners/" + b));
  Add("PATCH", "/v1/learners/{id}", "A granted owner and pku", 'A',
      "401 403 403 2xx 403 404 2xx 404", Fixed("/v1/learners/" + a, R"({"region":"310101"})"));
  Add("PATCH", "/v1/learners/{id}", "B granted no one", 'B', "401 403 403 2xx 404 404 2xx 404",
      Fixed("/v1/learners/" + b, R"({"region":"310104"})"));
  Add("GET", "/v1/learners/{id}/records", "A granted owner and pku", 'A',
      "401 403 2xx 2xx 2xx 404 2xx 404", Fixed("/v1/learners/" + a + "/records"));
  Add("GET", "/v1/learners/{id}/records", "B granted no one", 'B',
      "401 403 2xx 404 404 404 2xx 404", Fixed("/v1/learners/" + b + "/records"));
  Add("GET", "/v1/learners/{id}/passbook", "A granted owner and pku", 'A',
      "401 403 2xx 2xx 2xx 404 2xx 404", Fixed("/v1/learners/" + a + "/passbook"));
  Add("GET", "/v1/learners/{id}/passbook", "B granted no one", 'B',
      "401 403 2xx 404 404 404 2xx 404", Fixed("/v1/learners/" + b + "/passbook"));
  Add("POST", "/v1/learners/{id}/grants", "", 'A', "401 403 403 403 403 403 2xx 403",
      Fixed("/v1/learners/" + a + "/grants", R"({"institution":"fudan"})"));
  Add("GET", "/v1/learners/{id}/grants", "", 'A', "401 403 403 403 403 403 2xx 403",
      Fixed("/v1/learners/" + a + "/grants"));
  Add("DELETE", "/v1/learners/{id}/grants/{institution}", "grant re-made each cell", 'A',
      "401 403 403 403 403 403 2xx 403", [this, a] {
        auto g = server_->services().learners().PutGrant(a, "fudan", "");
        EXPECT_TRUE(g.ok()) << g.status().ToString();
        return CellRequest{"/v1/learners/" + a + "/grants/fudan", ""};
      });

  // Transcripts: the PDF for whoever may read the learner's records; the code's holder checks it.
  // Credentials as input: an Open Badge for A signed with a key institution "badges"
  // registered (its unit aligns the achievement). The learner and the institutions A granted
  // may present it (the first 2xx stores, later ones are idempotent repeats).
  Ed25519Key badge_key = Ed25519Key::Generate();
  server_->CallJson("PUT", "/v1/institutions/badges", server_->admin_token(),
                    {{"name", "Badges"},
                     {"kind", "training_provider"},
                     {"public_keys", json::array({Ed25519PublicJwk(badge_key.PublicKey(), "k1")})}},
                    200);
  server_->CallJson("PUT", "/v1/units/badges:PY", server_->admin_token(),
                    {{"title", "Python"},
                     {"kind", "skill_certificate"},
                     {"credits", 1},
                     {"level", 4},
                     {"field", "0613"},
                     {"aligned_achievements", json::array({"https://badges.example/a/python"})}},
                    200);
  auto badge = vc::SecureDataIntegrity(
      {{"@context", {vc::kVcV2Context, vc::kOb303Context}},
       {"type", {"VerifiableCredential", "OpenBadgeCredential"}},
       {"issuer", {{"id", "https://badges.example"}, {"type", {"Profile"}}}},
       {"validFrom", "2025-01-01T00:00:00Z"},
       {"credentialSubject",
        {{"id", "urn:creditbank:learner:" + a},
         {"type", {"AchievementSubject"}},
         {"achievement", {{"id", "https://badges.example/a/python"}, {"type", {"Achievement"}}}}}}},
      badge_key, "https://badges.example#k1", "");
  EXPECT_TRUE(badge.ok()) << badge.status().ToString();
  Add("POST", "/v1/learners/{id}/credentials", "A granted owner and pku", 'A',
      "401 403 403 2xx 2xx 404 2xx 404",
      Fixed("/v1/learners/" + a + "/credentials", badge.ok() ? badge->dump() : ""));
  Add("GET", "/v1/learners/{id}/transcript", "A granted owner and pku", 'A',
      "401 403 2xx 2xx 2xx 404 2xx 404", Fixed("/v1/learners/" + a + "/transcript?format=pdf"));
  Add("GET", "/v1/learners/{id}/transcript", "B granted no one", 'B',
      "401 403 2xx 404 404 404 2xx 404", Fixed("/v1/learners/" + b + "/transcript?format=pdf"));
  Add("GET", "/v1/transcripts/{code}", "a code of A's transcript", 'A', kPublic, [this, a] {
    auto t = server_->services().transcripts().IssuePdf(a, "https://bank.example/v1/transcripts/");
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return CellRequest{"/v1/transcripts/" + (t.ok() ? t->code : std::string()), ""};
  });

  // Statistics: regulators (tested in stats_test.cc) and admin.
  Add("GET", "/v1/stats", "", 'A', kAdminOnly, Fixed("/v1/stats?group_by=kind,year"));

  // Conversions: the learner evaluates its own; the program's institution, with the learner's
  // grant, evaluates and applies; without the grant it does not know the learner (404).
  auto conversion = [](const std::string& learner) {
    return json{{"learner", learner}, {"program", "tsinghua:BSC"}, {"as_of", "2025-01-01"}}.dump();
  };
  Add("POST", "/v1/conversions/evaluate", "A granted owner", 'A',
      "401 403 403 2xx 403 403 2xx 403", Fixed("/v1/conversions/evaluate", conversion(a)));
  Add("POST", "/v1/conversions/evaluate", "B granted no one", 'B',
      "401 403 403 404 403 403 2xx 403", Fixed("/v1/conversions/evaluate", conversion(b)));
  Add("POST", "/v1/conversions", "A granted owner", 'A', "401 403 403 2xx 403 403 403 403",
      Fixed("/v1/conversions", conversion(a)));
  Add("POST", "/v1/conversions", "B granted no one", 'B', "401 403 403 404 403 403 403 403",
      Fixed("/v1/conversions", conversion(b)));
  // Applied conversions are the learner's data: read as its records are.
  Add("GET", "/v1/learners/{id}/conversions", "A granted owner and pku", 'A',
      "401 403 2xx 2xx 2xx 404 2xx 404", Fixed("/v1/learners/" + a + "/conversions"));
  Add("GET", "/v1/learners/{id}/conversions", "B granted no one", 'B',
      "401 403 2xx 404 404 404 2xx 404", Fixed("/v1/learners/" + b + "/conversions"));
  Add("GET", "/v1/conversions/{id}", "A's applied conversion", 'A',
      "401 403 2xx 2xx 2xx 404 2xx 404", [this, a, conversion] {
        if (conversion_a_.empty()) {
          conversion_a_ = server_->CallJson("POST", "/v1/conversions", cat_.tsinghua_token,
                                            json::parse(conversion(a)), 201)["id"];
        }
        return CellRequest{"/v1/conversions/" + conversion_a_, ""};
      });
  Add("GET", "/v1/learners/{id}/what-if", "", 'A', "401 403 403 403 403 403 2xx 404",
      Fixed("/v1/learners/" + a + "/what-if?programs=all"));

  // The log is public (raw entry bytes only for auditors; LogEntriesBytesOnlyForAuditors).
  Add("GET", "/v1/log/checkpoint", "", 'A', kPublic, Fixed("/v1/log/checkpoint"));
  Add("GET", "/v1/log/checkpoints/{size}", "", 'A', kPublic, Fixed("/v1/log/checkpoints/" + n));
  Add("GET", "/v1/log/key", "", 'A', kPublic, Fixed("/v1/log/key"));
  Add("GET", "/v1/log/proof/inclusion", "", 'A', kPublic,
      Fixed("/v1/log/proof/inclusion?index=0&size=" + n));
  Add("GET", "/v1/log/proof/consistency", "", 'A', kPublic,
      Fixed("/v1/log/proof/consistency?first=1&second=" + n));
  Add("GET", "/v1/log/entries", "", 'A', kPublic, Fixed("/v1/log/entries?start=0&end=" + n));

  // C2SP tiles (api/routes_tiles.cc): hash tiles are public, entry bundles for auditors. One
  // pattern per number of path segments; only the partial level-0 tile (2 segments: "000.p",
  // the width) exists in this small log, so the other lengths answer 404 to whoever may ask.
  Add("GET", "/log/checkpoint", "", 'A', kPublic, Fixed("/log/checkpoint"));
  const std::vector<std::string> tile_patterns = TileRoutePatterns();
  for (size_t k = 1; k <= tile_patterns.size(); ++k) {
    std::string index = "000.p/" + std::to_string(checkpoint_size_ % 256);
    if (k != 2) {  // k index groups x001/x000/.../000 (1000^(k-1)), a full tile; 8 segments
      const size_t groups = k == 8 ? 7 : k;  // are 7 groups and the width of a partial one
      index = groups == 1 ? "" : "x001/";
      for (size_t g = 2; g < groups; ++g) index += "x000/";
      index += k == 8 ? "000.p/1" : "000";
    }
    const bool exists = k == 2;
    Add("GET", tile_patterns[k - 1], "hash tile", 'A',
        exists ? kPublic : "404 404 404 404 404 404 404 404", Fixed("/log/tile/0/" + index));
    Add("GET", tile_patterns[k - 1], "entry bundle", 'A',
        exists ? "401 403 2xx 403 403 403 403 403" : "401 403 404 403 403 403 403 403",
        Fixed("/log/tile/entries/" + index));
  }
  // Portal sign-in: codes for a learner (admin, the learner, the institution that created the
  // account or one the learner granted); sessions (anyone signs in; admin lists and ends them
  // all, a learner those opened in its name: another's is 404, as for an unknown id).
  Add("POST", "/v1/sign-in-codes", "A: owner created and granted, pku granted", 'A',
      "401 2xx 403 2xx 2xx 404 2xx 404", Fixed("/v1/sign-in-codes", json{{"learner", a}}.dump()));
  Add("POST", "/v1/sign-in-codes", "B: owner created, no grants", 'B',
      "401 2xx 403 2xx 404 404 2xx 404", Fixed("/v1/sign-in-codes", json{{"learner", b}}.dump()));
  Add("POST", "/v1/sessions", "a fresh token each cell", 'A', kPublic, [this] {
    auto t = server_->services().tokens().Create("auditor", "");
    return CellRequest{"/v1/sessions", json{{"token", t->token}}.dump()};
  });
  Add("GET", "/v1/sessions/current", "", 'A', "401 404 404 404 404 404 404 404",
      Fixed("/v1/sessions/current"), "401 2xx 2xx 2xx 2xx 2xx 2xx 2xx");
  Add("DELETE", "/v1/sessions/current", "", 'A', kPublic, Fixed("/v1/sessions/current"));
  Add("GET", "/v1/sessions", "admin: all; a learner: its own", 'A',
      "401 2xx 403 403 403 403 2xx 2xx", Fixed("/v1/sessions"));
  Add("DELETE", "/v1/sessions/{id}", "a fresh auditor's session each cell", 'A',
      "401 2xx 403 403 403 403 404 404", [this] {
        auto t = server_->services().tokens().Create("auditor", "");
        ClientResponse r =
            server_->Call("POST", "/v1/sessions", "", json{{"token", t->token}}.dump());
        return CellRequest{
            "/v1/sessions/" + json::parse(r.body, nullptr, false).value("id", "none"), ""};
      });
  Add("DELETE", "/v1/sessions/{id}", "a fresh session of learner A each cell", 'A',
      "401 2xx 403 403 403 403 2xx 404", [this] {
        json code = server_->CallJson("POST", "/v1/sign-in-codes", cat_.tsinghua_token,
                                      {{"learner", cat_.learner_a}}, 201);
        ClientResponse r =
            server_->Call("POST", "/v1/sessions", "", json{{"code", code["code"]}}.dump());
        return CellRequest{
            "/v1/sessions/" + json::parse(r.body, nullptr, false).value("id", "none"), ""};
      });

  // The portal and the API reference: static files for anyone.
  const std::string kFound = "302 302 302 302 302 302 302 302";
  const std::string kMoved = "301 301 301 301 301 301 301 301";
  Add("GET", "/", "", 'A', kFound, Fixed("/"));
  Add("GET", "/portal", "", 'A', kMoved, Fixed("/portal"));
  Add("GET", "/portal/", "", 'A', kPublic, Fixed("/portal/"));
  Add("GET", "/portal/{file}", "", 'A', kPublic, Fixed("/portal/index.html"));
  Add("GET", "/docs", "", 'A', kMoved, Fixed("/docs"));
  Add("GET", "/docs/", "", 'A', kPublic, Fixed("/docs/"));
  Add("GET", "/docs/{file}", "", 'A', kPublic, Fixed("/docs/index.html"));

  // Portable credentials (api/routes_credentials.cc): issuer documents, status lists and
  // verification are public; a record's credential and the CLR transcript as the record and
  // the learner's data.
  Add("GET", "/v1/credentials/issuer", "", 'A', kPublic, Fixed("/v1/credentials/issuer"));
  Add("GET", "/.well-known/jwks.json", "", 'A', kPublic, Fixed("/.well-known/jwks.json"));
  Add("GET", "/.well-known/did.json", "public_url is https", 'A', kPublic,
      Fixed("/.well-known/did.json"));
  Add("GET", "/v1/records/{id}/credential", "A's record", 'A', "401 403 2xx 2xx 2xx 404 2xx 404",
      Fixed("/v1/records/" + record_a_ + "/credential?format=jwt"));
  Add("GET", "/v1/records/{id}/credential", "B's record (issuer has no grant)", 'B',
      "401 403 2xx 2xx 404 404 2xx 404", Fixed("/v1/records/" + record_b_ + "/credential"));
  Add("GET", "/v1/status/{list}", "", 'A', kPublic, Fixed("/v1/status/0"));
  auto stored = server_->services().records().Read(record_a_);
  EXPECT_TRUE(stored.ok()) << stored.status().ToString();
  auto credential = server_->services().credentials().RecordCredential(
      *stored, vc::CredentialFormat::kDataIntegrity, "");
  EXPECT_TRUE(credential.ok()) << credential.status().ToString();
  Add("POST", "/v1/credentials/verify", "", 'A', kPublic,
      Fixed("/v1/credentials/verify", credential->body));
  Add("POST", "/vc-api/credentials/verify", "", 'A', kPublic,
      Fixed("/vc-api/credentials/verify",
            json{{"verifiableCredential", json::parse(credential->body)}}.dump()));
  const std::string issuer_did = server_->services().credentials().keys().did();
  Add("POST", "/vc-api/credentials/issue", "vc_api_issue enabled", 'A', kAdminOnly,
      Fixed("/vc-api/credentials/issue",
            json{{"credential",
                  {{"@context", {"https://www.w3.org/ns/credentials/v2"}},
                   {"type", {"VerifiableCredential"}},
                   {"issuer", issuer_did},
                   {"credentialSubject", {{"id", "did:example:matrix"}}}}}}
                .dump()));
  Add("GET", "/v1/learners/{id}/transcript", "A granted owner and pku", 'A',
      "401 403 2xx 2xx 2xx 404 2xx 404", Fixed("/v1/learners/" + a + "/transcript?format=clr"));
  Add("GET", "/v1/learners/{id}/transcript", "B granted no one", 'B',
      "401 403 2xx 404 404 404 2xx 404", Fixed("/v1/learners/" + b + "/transcript?format=clr"));
}

// Both directions: every registered route has a row, every row names a registered route, and
// each row's request really reaches the route it claims to test.
TEST_F(RoleMatrixTest, TableCoversExactlyTheRouter) {
  App& probe = server_->app();  // the routes the server runs, for inspection
  std::set<std::pair<std::string, std::string>> registered, tabled;
  for (const Route& r : probe.router().routes()) registered.emplace(r.method, r.pattern);
  for (const Row& row : rows_) tabled.emplace(row.method, row.pattern);
  for (const auto& [method, pattern] : registered) {
    EXPECT_TRUE(tabled.count({method, pattern}))
        << "route " << method << " " << pattern
        << " has no row in the role matrix: add one (who may call it, per DESIGN.md)";
  }
  for (const auto& [method, pattern] : tabled) {
    EXPECT_TRUE(registered.count({method, pattern}))
        << "the role matrix names " << method << " " << pattern
        << ", which the router no longer has: remove or rename the row";
  }
  for (Row& row : rows_) {
    ASSERT_EQ(SplitSpaces(row.expect).size(), static_cast<size_t>(kNumCallers))
        << row.method << " " << row.pattern;
    CellRequest req = row.make();
    RouteMatch m = probe.router().Match(row.method, PathOf(req.target));
    ASSERT_NE(m.route, nullptr) << row.method << " " << req.target << " matches no route";
    EXPECT_EQ(m.route->pattern, row.pattern)
        << row.method << " " << req.target << " reaches " << m.route->pattern;
  }
}

void RoleMatrixTest::RunMatrix(Via via) {
  // Secrets that no response may echo (token creation shows only the new token).
  std::vector<std::string> secrets = {server_->admin_token(), cat_.tsinghua_token,
                                      cat_.ouchn_token,       cat_.auditor_token,
                                      pku_token_,             cat_.learner_a_token,
                                      cat_.learner_b_token,   "110101199003070011"};
  std::ostringstream table;
  const char* via_name = via == Via::kToken ? "token" : "session";
  table << "role matrix by " << via_name << " (actual; '!' marks a mismatch, expected after it)\n";
  char header[256];
  std::snprintf(header, sizeof header, "%-48s %-34s", "route", "variant");
  table << header;
  for (const char* name : kCallerNames) table << " " << std::string(name).substr(0, 8);
  table << "\n";
  int mismatches = 0, cells = 0;
  for (Row& row : rows_) {
    std::vector<std::string> expect = SplitSpaces(
        via == Via::kSession && !row.session_expect.empty() ? row.session_expect : row.expect);
    ASSERT_EQ(expect.size(), static_cast<size_t>(kNumCallers));
    char line[256];
    std::snprintf(line, sizeof line, "%-48s %-34s", (row.method + " " + row.pattern).c_str(),
                  row.variant.substr(0, 34).c_str());
    table << line;
    for (int c = 0; c < kNumCallers; ++c) {
      CellRequest req = row.make();
      ClientResponse r = CallAs(via, static_cast<Caller>(c), row.subject, row, req);
      ++cells;
      std::string got = StatusClass(r.status);
      std::string cell = got;
      if (got != expect[c]) {
        ++mismatches;
        cell += "!" + expect[c];
        ADD_FAILURE() << row.method << " " << req.target << " [" << row.variant << "] as "
                      << kCallerNames[c] << " by " << via_name << ": got " << r.status << ", want "
                      << expect[c] << "\n  " << r.body.substr(0, 300);
      }
      char padded[32];
      std::snprintf(padded, sizeof padded, " %-8s", cell.c_str());
      table << padded;
      // Refusals are problem+json; nothing echoes a secret.
      if (r.status >= 400) {
        EXPECT_EQ(r.headers["content-type"], "application/problem+json")
            << row.method << " " << req.target << " as " << kCallerNames[c];
      }
      if (r.status == 401) {
        EXPECT_TRUE(r.headers.count("www-authenticate")) << row.method << " " << req.target;
      }
      for (const std::string& secret : secrets) {
        EXPECT_EQ(r.body.find(secret), std::string::npos)
            << row.method << " " << req.target << " as " << kCallerNames[c]
            << " echoes a secret";
        for (const auto& [name, value] : r.headers) {
          EXPECT_EQ(value.find(secret), std::string::npos) << "header " << name;
        }
      }
    }
    table << "\n";
  }
  EXPECT_EQ(mismatches, 0) << table.str();
  EXPECT_EQ(cells, static_cast<int>(rows_.size()) * kNumCallers);
  EXPECT_EQ(server_->Call("GET", "/healthz").status, 200);
}

TEST_F(RoleMatrixTest, EveryRouteEveryCaller) { RunMatrix(Via::kToken); }

TEST_F(RoleMatrixTest, EveryRouteEveryCallerBySession) { RunMatrix(Via::kSession); }

// A session's state-changing request without its X-CSRF-Token is refused (403) on every route
// that needs a role, for every caller the matrix lets through.
TEST_F(RoleMatrixTest, SessionStateChangesNeedTheCsrfToken) {
  App& probe = server_->app();
  int checked = 0;
  for (Row& row : rows_) {
    if (row.method == "GET") continue;
    RouteMatch m = probe.router().Match(row.method, PathOf(row.make().target));
    ASSERT_NE(m.route, nullptr);
    if (m.route->roles == kAnyone) continue;
    std::vector<std::string> expect = SplitSpaces(row.expect);
    for (int c = 1; c < kNumCallers; ++c) {
      if (expect[c] != "2xx") continue;
      CellRequest req = row.make();
      ClientResponse r = CallAs(Via::kSession, static_cast<Caller>(c), row.subject, row, req,
                                /*with_csrf=*/false);
      EXPECT_EQ(r.status, 403) << row.method << " " << req.target << " as " << kCallerNames[c]
                               << ": " << r.body.substr(0, 200);
      EXPECT_NE(r.body.find("X-CSRF-Token"), std::string::npos) << r.body;
      ++checked;
    }
  }
  EXPECT_GE(checked, 20);
}

// Raw entry bytes hold learners' records: auditors only; everyone else gets leaf hashes.
TEST_F(RoleMatrixTest, LogEntriesBytesOnlyForAuditors) {
  const std::string target = "/v1/log/entries?start=0&end=" + std::to_string(checkpoint_size_);
  for (int c = 0; c < kNumCallers; ++c) {
    json r = server_->CallJson("GET", target, TokenFor(static_cast<Caller>(c), 'A'), nullptr, 200);
    ASSERT_FALSE(r["entries"].empty());
    for (const auto& e : r["entries"]) {
      EXPECT_TRUE(e.contains("leaf_hash"));
      EXPECT_EQ(e.contains("entry"), c == kAuditorCaller) << kCallerNames[c];
    }
  }
}

// No token is made for an institution that is not registered or a learner that does not
// exist (409 at /role): such a token used to be made, and could create learners. One made
// before the check (written to the store as Create wrote it then) still gets nothing that
// belongs to others, creates no learner, and posts no record.
TEST_F(RoleMatrixTest, UnknownSubjectsGetNoTokenAndSeeNothing) {
  for (const char* role : {"institution:ghostu", "learner:lrn_0000000000000000"}) {
    SCOPED_TRACE(role);
    json p = server_->CallJson("POST", "/v1/tokens", server_->admin_token(), {{"role", role}}, 409);
    EXPECT_EQ(p["pointer"], "/role") << p.dump();
    EXPECT_NE(p.value("detail", "").find(std::string(role).substr(std::string(role).find(':') + 1)),
              std::string::npos)
        << p.dump();
  }
  std::string ghost_inst = TokenMadeUnchecked("institution:ghost");
  std::string ghost_learner = TokenMadeUnchecked("learner:lrn_0000000000000000");
  ClientResponse made =
      server_->Call("POST", "/v1/learners", ghost_inst, R"({"display_name":"x"})");
  EXPECT_EQ(made.status, 409) << made.body;
  EXPECT_NE(made.body.find("not registered"), std::string::npos) << made.body;
  for (const std::string& token : {ghost_inst, ghost_learner}) {
    EXPECT_EQ(server_->Call("GET", "/v1/records/" + record_a_, token).status, 404);
    EXPECT_EQ(server_->Call("GET", "/v1/learners/" + cat_.learner_a + "/records", token).status,
              404);
    EXPECT_EQ(server_->Call("GET", "/v1/learners/" + cat_.learner_a + "/passbook", token).status,
              404);
  }
  // An institution that is not in the catalog cannot post records: 409 (failed precondition,
  // "not registered"), the only non-authorization status in this file, because the role check
  // passes (it is an institution token) and the issuer check is a catalog lookup.
  ClientResponse r = server_->Call("POST", "/v1/records", ghost_inst,
                                   cat_.Record(cat_.learner_a, "tsinghua:CS101", "G-1").dump());
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(server_->ledger().Size(), checkpoint_size_);
}

}  // namespace
}  // namespace lcb::testing
