// The demo data set (cli/demo/demo.json, embedded) and the requests `creditbank demo` builds
// from it (cli/demo_requests.h).
//
// The oracle for "what the demo loads is unchanged": kRequestsSha256 and the counts were
// computed from the C++ tables this file replaced (cli/demo_data.cc at 653b8e9) with that
// commit's body builders (copied from cli/cmd_demo.cc), over the same canonical transcript
// that Transcript() writes. Any change to the data or to the builders changes the digest; a
// deliberate change of the demo updates it here, with the reason in the commit.
#include "cli/demo_data.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "cli/commands.h"
#include "cli/demo_requests.h"
#include "common/encoding.h"
#include "crypto/sha256.h"

namespace lcb::demo {
namespace {

using nlohmann::json;

constexpr const char* kRequestsSha256 =
    "ccfc85e16d1b5f37d85e24c6ac0445db349ee4637e1b66ea86b7a395fe667bb1";

std::string LearnerId(size_t i) { return "learner-" + std::to_string(i); }

// Every request the loader makes on a first run, in order, as "METHOD PATH [as ISSUER]" and
// the body's compact dump; learner ids (assigned by the server) are "learner-<index>".
std::string Transcript(const DemoData& d) {
  std::string out;
  auto add = [&](const std::string& head, const json& body) {
    out += head + "\n" + body.dump() + "\n";
  };
  for (const auto& i : d.institutions) add("PUT /v1/institutions/" + i.id, InstitutionBody(i));
  for (const auto& u : d.units) {
    add("PUT /v1/units/" + u.id + " as " + InstitutionOf(u.id), UnitBody(u));
  }
  for (const auto& p : d.programs) {
    add("PUT /v1/programs/" + p.id + " as " + InstitutionOf(p.id), ProgramBody(p));
  }
  for (const auto& p : d.programs) {
    add("PUT /v1/programs/" + p.id + "/ruleset as " + InstitutionOf(p.id), RulesetBody(p));
  }
  for (size_t i = 0; i < d.learners.size(); ++i) {
    add("POST /v1/learners", LearnerBody(d.learners[i]));
    for (const std::string& inst : GrantedInstitutions(d.learners[i])) {
      add("POST /v1/learners/" + LearnerId(i) + "/grants", {{"institution", inst}});
    }
  }
  std::map<std::string, json> by_issuer;  // one batch per issuer, as the loader posts them
  for (size_t li = 0; li < d.learners.size(); ++li) {
    const DemoLearner& l = d.learners[li];
    for (size_t ri = 0; ri < l.records.size(); ++ri) {
      const DemoRecord& r = l.records[ri];
      by_issuer[IssuerOf(r)].push_back(
          RecordBody(r, LearnerId(li), DemoExternalRef(l, ri), r.value));
    }
  }
  for (auto& [issuer, records] : by_issuer) {
    add("POST /v1/records as " + issuer, {{"records", records}});
  }
  for (const auto& rev : d.revocations) {
    const DemoLearner& l = d.learners[rev.learner];
    add("POST /v1/records/" + DemoExternalRef(l, rev.record) + "/revoke as " +
            IssuerOf(l.records[rev.record]),
        {{"reason", rev.reason}});
  }
  for (const auto& fix : d.corrections) {
    const DemoLearner& l = d.learners[fix.learner];
    const DemoRecord& r = l.records[fix.record];
    json replacement =
        RecordBody(r, LearnerId(fix.learner), DemoExternalRef(l, fix.record) + "-C1", fix.value);
    add("POST /v1/records/" + DemoExternalRef(l, fix.record) + "/correct as " + IssuerOf(r),
        {{"record", replacement}, {"reason", fix.reason}});
  }
  return out;
}

std::string Sha256Hex(std::string_view text) {
  Hash h = Sha256(text);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

DemoData Embedded() {
  StatusOr<DemoData> d = ParseDemoData(EmbeddedDemoJson());
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? *d : DemoData();
}

TEST(DemoDataTest, EmbeddedDataSendsWhatTheCppTablesSent) {
  DemoData d = Embedded();
  EXPECT_EQ(d.institutions.size(), 6u);
  EXPECT_EQ(d.units.size(), 58u);
  EXPECT_EQ(d.programs.size(), 5u);
  EXPECT_EQ(d.learners.size(), 20u);
  size_t records = 0;
  for (const auto& l : d.learners) records += l.records.size();
  EXPECT_EQ(records, 149u);
  ASSERT_EQ(d.revocations.size(), 2u);
  ASSERT_EQ(d.corrections.size(), 1u);
  // The indexes the demo tests rely on (cli_test: the passbooks with one revoked record).
  EXPECT_EQ(d.revocations[0].learner, 16u);
  EXPECT_EQ(d.revocations[0].record, 6u);
  EXPECT_EQ(d.revocations[1].learner, 18u);
  EXPECT_EQ(d.corrections[0].learner, 8u);
  EXPECT_EQ(DemoExternalRef(d.learners[16], 6), "DEMO-DEMO0000000017-07");
  EXPECT_EQ(Sha256Hex(Transcript(d)), kRequestsSha256);
}

TEST(DemoDataTest, TheTranscriptSeesEveryField) {
  // The digest can fail: one changed grade, hour or note-free field changes it.
  DemoData d = Embedded();
  const std::string before = Sha256Hex(Transcript(d));
  DemoData changed = d;
  changed.learners[3].records[2].hours = 12;
  EXPECT_NE(Sha256Hex(Transcript(changed)), before);
  changed = d;
  changed.programs[1].policy.caps[0].default_limit = 25;
  EXPECT_NE(Sha256Hex(Transcript(changed)), before);
  changed = d;
  changed.units[7].credits += 0.5;
  EXPECT_NE(Sha256Hex(Transcript(changed)), before);
}

// A copy of the embedded file with the member at `pointer` set to `value` (or removed when
// `value` is discarded).
std::string Broken(const std::string& pointer, const json& value) {
  json doc = json::parse(EmbeddedDemoJson());
  json::json_pointer p(pointer);
  if (value.is_discarded()) {
    doc[p.parent_pointer()].erase(p.back());
  } else {
    doc[p] = value;
  }
  return doc.dump(2);
}

struct BrokenCase {
  std::string pointer;   // what is changed
  json value;            // its new value; discarded = removed
  std::string reported;  // the pointer the error must name
  std::string message;   // a part of the message
};

TEST(DemoDataTest, ABrokenCopyIsRefusedNamingThePointer) {
  const json removed = json(json::value_t::discarded);
  const std::vector<BrokenCase> cases = {
      {"/units/3/credits", "three", "/units/3/credits", "must be a number"},
      {"/units/3/level", 5.5, "/units/3/level", "whole number"},
      {"/learners/2/records/1/unit", removed, "/learners/2/records/1/unit", "is required"},
      {"/programs/0/rules/2/grnt", 4, "/programs/0/rules/2/grnt", "unknown field"},
      {"/programs/1/policy/caps/0/max_count", json::array(), "/programs/1/policy/caps/0/max_count",
       "object"},
      {"/institutions", json::object(), "/institutions", "must be an array"},
      {"/learners", removed, "/learners", "is required"},
      {"/units/0/id", "mit:6.001", "/units/0/id", "no institution \"mit\""},
      {"/units/0/id", "CS1001", "/units/0/id", "<institution>:<code>"},
      {"/learners/0/programs/0", "mit:BSC", "/learners/0/programs/0", "no program"},
      {"/learners/0/records/5/issuer", "nobody", "/learners/0/records/5/issuer", "no institution"},
      {"/learners/1/national_id", "DEMO0000000001", "/learners/1/national_id", "another learner"},
      {"/revocations/0/record", 99, "/revocations/0/record", "between 1 and 7"},
      {"/revocations/0/record", 0, "/revocations/0/record", "between 1 and 7"},
      {"/corrections/0/learner", "NOBODY", "/corrections/0/learner", "no learner"},
      {"/corrections/0/value", removed, "/corrections/0/value", "is required"},
      {"/learners/4/records/0/attendance", "", "/learners/4/records/0/attendance", "empty"},
  };
  for (const BrokenCase& c : cases) {
    StatusOr<DemoData> d = ParseDemoData(Broken(c.pointer, c.value));
    ASSERT_FALSE(d.ok()) << c.pointer;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << c.pointer;
    EXPECT_EQ(d.status().pointer(), c.reported) << c.pointer << ": " << d.status().ToString();
    EXPECT_NE(d.status().message().find(c.message), std::string::npos)
        << c.pointer << ": " << d.status().ToString();
  }
}

TEST(DemoDataTest, TextThatIsNotIJsonIsRefused) {
  std::string text(EmbeddedDemoJson());
  StatusOr<DemoData> cut = ParseDemoData(text.substr(0, text.size() / 2));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().pointer(), "");
  // A member named twice: I-JSON refuses it, naming the member.
  const size_t at = text.find("\"kind\": \"university\"");
  ASSERT_NE(at, std::string::npos);
  text.insert(at, "\"kind\": \"open_university\", ");
  StatusOr<DemoData> twice = ParseDemoData(text);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().pointer(), "/institutions/0/kind") << twice.status().ToString();
  EXPECT_FALSE(ParseDemoData("[]").ok());
}

class DemoFileTest : public ::testing::Test {
 protected:
  DemoFileTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("creditbank_demo_data_test_" + HexEncode(RandomBytes(6)))) {
    std::filesystem::create_directories(dir_);
  }
  ~DemoFileTest() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(DemoFileTest, LoadsAFileAndNamesItInErrors) {
  StatusOr<DemoData> same = LoadDemoData(Write("same.json", std::string(EmbeddedDemoJson())));
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(Sha256Hex(Transcript(*same)), Sha256Hex(Transcript(Embedded())));

  const std::string path = Write("broken.json", Broken("/units/3/credits", "three"));
  StatusOr<DemoData> broken = LoadDemoData(path);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().pointer(), "/units/3/credits");
  EXPECT_EQ(broken.status().message(), path + ": /units/3/credits: must be a number");
  EXPECT_EQ(LoadDemoData((dir_ / "absent.json").string()).status().code(), StatusCode::kNotFound);
}

TEST_F(DemoFileTest, TheCommandRefusesABrokenFileBeforeContactingTheServer) {
  const std::string path = Write("broken.json", Broken("/learners/0/programs/0", "mit:BSC"));
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  // Port 1: nothing listens; the data error must come first.
  int code = CmdDemo({"--server", "http://127.0.0.1:1", "--token", "t", "--out",
                      (dir_ / "out").string(), "--data", path});
  ::testing::internal::GetCapturedStdout();
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 1) << err;
  EXPECT_NE(err.find(path + ": /learners/0/programs/0: no program \"mit:BSC\""), std::string::npos)
      << err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out"));
}

}  // namespace
}  // namespace lcb::demo
