// Program and ruleset publication (api/bank.cc PutProgram, api/bank_conversion.cc
// PublishRuleset / GetCompiled) and conversion: ProgramFromJson + ValidateProgramPolicy,
// RulesetFromJson + ValidateRuleset, CompiledRuleset::Compile and Evaluate over a few fixed
// records.
//
// Input: a JSON object {"program": <program document>, "ruleset": <ruleset document>}; either
// member may be absent (a fixed default is used), so the fuzzer can work on one at a time.
//
// Properties:
//   - rejections are InvalidArgument;
//   - what was accepted survives storage: the bank stores ProgramToJson / RulesetToJson and
//     parses them again after a restart, so those must map back to the same documents and
//     still validate, and the published log entry must canonicalize;
//   - the round-tripped ruleset evaluates byte-identically, as does the same input with the
//     records in reverse order (engine/conversion.h: independent of the order of records);
//   - a result is consistent: granted = sum over requirements <= transfer cap and <= upper
//     bound (== when optimal), each requirement within its credits, no record used twice,
//     every record either used or listed unused once, remaining = max(0, total - granted).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "codec/json_util.h"
#include "codec/mapping.h"
#include "crypto/jcs.h"
#include "engine/conversion.h"
#include "engine/ruleset_index.h"
#include "engine/ruleset_validate.h"
#include "tests/fuzz/fuzz_util.h"

namespace lcb::fuzz {
namespace {

const std::string kProgramId = "uni:cs";
const Days kAsOf = DaysFromCivil({2025, 6, 30});
// Evaluation is skipped above these sizes (one input must stay fast; validation and
// compilation still run).
constexpr size_t kMaxEvalRules = 512;
constexpr size_t kMaxEvalRequirements = 256;
constexpr uint64_t kMaxNodes = 2000;

const char kDefaultProgram[] = R"({
  "title": "Computer Science", "kind": "bachelor", "total_credits": 120,
  "requirements": [
    {"id": "cs101", "credits": 4}, {"id": "ma101", "credits": 5},
    {"id": "elective", "kind": "pool", "credits": 10}, {"id": "lang", "credits": 3}],
  "policy": {"max_transfer_ratio": 0.5, "min_grade": 60,
             "caps": [{"by": "kind", "limits": {"mooc": 4}, "max_count": {"mooc": 2}}]}})";

const char kDefaultRuleset[] = R"({"program": "uni:cs", "rules": [
  {"id": "r1", "target": "cs101", "grant": 4, "sources": [{"unit": "tsinghua:CS101"}]},
  {"id": "r2", "target": "ma101", "grant": 5, "sources": [{"unit": "tsinghua:MA101"}]},
  {"id": "r3", "target": "elective", "grant": 2, "sources": [{"kind": "mooc", "field": "06"}]},
  {"id": "r4", "target": "elective", "grant": 3,
   "sources": [{"kind": "mooc", "min_level": 4}, {"kind": "mooc", "min_level": 5}]},
  {"id": "r5", "target": "lang", "grant": 3, "sources": [{"field": "0231"}], "min_grade": 60},
  {"id": "r6", "target": "elective", "grant": 3,
   "sources": [{"kind": "vocational_certificate", "issuer": "cert"}], "max_age_years": 5}]})";

Record MakeRecord(const std::string& id, const std::string& unit, UnitKind kind, Centi credits,
                  int level, const std::string& field, int grade, CivilDate completed) {
  Record r;
  r.id = id;
  r.learner = "L1";
  r.unit = unit;
  r.issuer = unit.substr(0, unit.find(':'));
  r.external_ref = id;
  r.kind = kind;
  r.credits = credits;
  r.level = level;
  r.field = field;
  r.grade_scale = "percent";
  r.grade_value = std::to_string(grade);
  r.grade = grade;
  r.completed_on = DaysFromCivil(completed);
  return r;
}

std::vector<Record> MakeRecords() {
  std::vector<Record> rs;
  rs.push_back(MakeRecord("rec_01", "tsinghua:CS101", UnitKind::kDegreeCourse, 400, 6, "0613", 90,
                          {2024, 1, 15}));
  rs.push_back(MakeRecord("rec_02", "tsinghua:MA101", UnitKind::kDegreeCourse, 500, 6, "0541", 75,
                          {2023, 6, 30}));
  rs.push_back(MakeRecord("rec_03", "ouchn:ENG1", UnitKind::kNonDegreeCourse, 250, 5, "0231", 65,
                          {2022, 1, 10}));
  rs.back().expires_on = DaysFromCivil({2027, 1, 10});
  rs.push_back(MakeRecord("rec_04", "mooc:PY", UnitKind::kMooc, 200, 4, "0613", 95, {2024, 3, 1}));
  rs.push_back(MakeRecord("rec_05", "mooc:DS", UnitKind::kMooc, 200, 5, "0613", 92, {2024, 9, 1}));
  rs.push_back(MakeRecord("rec_06", "cert:JAVA", UnitKind::kVocationalCertificate, 300, 5, "0613",
                          80, {2021, 5, 1}));
  rs.push_back(MakeRecord("rec_07", "tsinghua:CS102", UnitKind::kDegreeCourse, 300, 6, "0613", 88,
                          {2024, 6, 1}));
  rs.back().revoked = true;
  rs.push_back(
      MakeRecord("rec_08", "ouchn:OLD", UnitKind::kTraining, 100, 3, "0231", 70, {2010, 3, 1}));
  rs.back().expires_on = DaysFromCivil({2015, 3, 1});
  rs.push_back(MakeRecord("rec_09", "pku:PHY1", UnitKind::kMooc, 150, 4, "0533", 55, {2024, 2, 1}));
  rs.push_back(MakeRecord("rec_10", "mooc:ML", UnitKind::kMooc, 400, 6, "0613", 85, {2025, 1, 20}));
  return rs;
}

const std::vector<Record>& Records() {
  static const std::vector<Record>* records = new std::vector<Record>(MakeRecords());
  return *records;
}

void CheckResult(const ConversionResult& r, const Program& program, const CompiledRuleset& c) {
  LCB_FUZZ_CHECK(r.granted >= 0 && r.granted <= r.transfer_cap,
                 std::to_string(r.granted) + " > cap " + std::to_string(r.transfer_cap));
  LCB_FUZZ_CHECK(r.transfer_cap == c.transfer_cap(), "transfer cap differs from the index");
  LCB_FUZZ_CHECK(r.granted <= r.upper_bound, "granted above its upper bound");
  LCB_FUZZ_CHECK(!r.optimal || r.upper_bound == r.granted, "optimal but bound != granted");
  LCB_FUZZ_CHECK(r.remaining == std::max<Centi>(0, r.total_credits - r.granted), "remaining");
  LCB_FUZZ_CHECK(r.requirements.size() == program.requirements.size(), "requirements listed");
  Centi sum = 0;
  std::set<std::string> used;
  for (size_t i = 0; i < r.requirements.size(); ++i) {
    const RequirementConversion& q = r.requirements[i];
    LCB_FUZZ_CHECK(q.id == program.requirements[i].id, q.id);
    LCB_FUZZ_CHECK(q.granted <= program.requirements[i].credits, q.id + " over its credits");
    if (program.requirements[i].kind == RequirementKind::kCourse) {
      LCB_FUZZ_CHECK(q.applications.size() <= 1, q.id + " filled twice");
    }
    Centi apps = 0;
    for (const ConversionApplication& a : q.applications) {
      apps += a.credits;
      for (const std::string& rec : a.records) {
        LCB_FUZZ_CHECK(used.insert(rec).second, rec + " used twice");
      }
    }
    LCB_FUZZ_CHECK(apps == q.granted, q.id + ": applications do not add up");
    sum += q.granted;
  }
  LCB_FUZZ_CHECK(sum == r.granted, "requirements do not add up to granted");
  std::set<std::string> seen = used;
  for (const UnusedRecord& u : r.unused) {
    LCB_FUZZ_CHECK(seen.insert(u.record).second, u.record + " both used and unused");
    LCB_FUZZ_CHECK(!u.reason.empty(), u.record + " has no reason");
  }
  LCB_FUZZ_CHECK(seen.size() == Records().size(), "a record is neither used nor unused");
}

std::string Evaluated(const CompiledRuleset& c, const std::vector<Record>& records) {
  EvalOptions options;
  options.max_nodes = kMaxNodes;
  ConversionResult r = Evaluate(c, records, kAsOf, options);
  CheckResult(r, c.program(), c);
  ConversionResult greedy = EvaluateGreedy(c, records, kAsOf, options);
  LCB_FUZZ_CHECK(!r.optimal || greedy.granted <= r.granted,
                 "greedy " + std::to_string(greedy.granted) + " beats the optimum " +
                     std::to_string(r.granted));
  return CanonicalString(r);
}

// Parse -> validate -> store (JSON text) -> parse again, as the bank does across a restart.
std::optional<Program> AcceptProgram(const json& doc) {
  auto program = ProgramFromJson(doc, kProgramId);
  if (!program.ok()) {
    LCB_FUZZ_CHECK(program.status().code() == StatusCode::kInvalidArgument,
                   program.status().ToString());
    return std::nullopt;
  }
  Status valid = ValidateProgramPolicy(*program);
  if (!valid.ok()) {
    LCB_FUZZ_CHECK(valid.code() == StatusCode::kInvalidArgument, valid.ToString());
    return std::nullopt;
  }
  std::string stored = Dump(ProgramToJson(*program));
  auto reread = ProgramFromJson(json::parse(stored), kProgramId);
  LCB_FUZZ_CHECK(reread.ok(), reread.status().ToString() + " reading back " + stored);
  LCB_FUZZ_CHECK(ValidateProgramPolicy(*reread).ok(), "stored program no longer validates");
  LCB_FUZZ_CHECK(Dump(ProgramToJson(*reread)) == stored, "program changes on reread: " + stored);
  return std::move(program).value();
}

}  // namespace
}  // namespace lcb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lcb;
  using namespace lcb::fuzz;
  auto doc = ParseJsonBody(AsText(data, size));
  if (!doc.ok() || !doc->is_object()) return 0;
  auto pick = [&doc](const char* key, const char* fallback) {
    auto it = doc->find(key);
    return it != doc->end() ? *it : json::parse(fallback);
  };
  std::optional<Program> program = AcceptProgram(pick("program", kDefaultProgram));
  if (!program) return 0;

  auto ruleset = RulesetFromJson(pick("ruleset", kDefaultRuleset), kProgramId);
  if (!ruleset.ok()) {
    LCB_FUZZ_CHECK(ruleset.status().code() == StatusCode::kInvalidArgument,
                   ruleset.status().ToString());
    return 0;
  }
  Status valid = ValidateRuleset(*program, *ruleset);
  if (!valid.ok()) {
    LCB_FUZZ_CHECK(valid.code() == StatusCode::kInvalidArgument, valid.ToString());
    return 0;
  }
  // The published entry (bank_conversion.cc PublishRuleset) and its reread (GetCompiled).
  json rules_json = RulesetToJson(*ruleset);
  json entry = {{"type", "ruleset"},
                {"id", "ruleset:uni:cs:1"},
                {"program", kProgramId},
                {"version", 1},
                {"program_snapshot", ProgramToJson(*program)},
                {"rules", rules_json["rules"]}};
  auto bytes = CanonicalJson(entry);
  LCB_FUZZ_CHECK(bytes.ok(), bytes.status().ToString());
  std::string stored = Dump(rules_json);
  auto reread = RulesetFromJson(json::parse(stored), kProgramId);
  LCB_FUZZ_CHECK(reread.ok(), reread.status().ToString() + " reading back " + stored);
  LCB_FUZZ_CHECK(ValidateRuleset(*program, *reread).ok(), "stored ruleset no longer validates");
  LCB_FUZZ_CHECK(Dump(RulesetToJson(*reread)) == stored, "ruleset changes on reread: " + stored);

  size_t rules = ruleset->rules.size();
  ruleset->version = reread->version = 1;
  ruleset->sha256_hex = reread->sha256_hex = "00";
  auto compiled = CompiledRuleset::Compile(*program, std::move(ruleset).value());
  LCB_FUZZ_CHECK(compiled->skipped_rules() == 0, "a validated rule was skipped");
  LCB_FUZZ_CHECK(compiled->num_rules() == rules, "rule count");
  if (rules > kMaxEvalRules || program->requirements.size() > kMaxEvalRequirements) return 0;
  auto recompiled = CompiledRuleset::Compile(*program, std::move(reread).value());

  std::vector<Record> records = Records();
  std::string result = Evaluated(*compiled, records);
  LCB_FUZZ_CHECK(Evaluated(*recompiled, records) == result, "reread ruleset evaluates differently");
  std::reverse(records.begin(), records.end());
  LCB_FUZZ_CHECK(Evaluated(*compiled, records) == result, "result depends on record order");
  return 0;
}
