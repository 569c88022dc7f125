// The fixed catalog the record fuzzers recognize against, and the checks every recognized
// record must pass (shared by fuzz_record_json and fuzz_csv).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codec/json_util.h"
#include "codec/mapping.h"
#include "crypto/jcs.h"
#include "engine/passbook.h"
#include "engine/recognition.h"
#include "tests/fuzz/fuzz_util.h"

namespace lcb::fuzz {

struct RecordFixture {
  Institution issuer;  // "tsinghua", 16 h per credit, certifies "ouchn:"
  std::vector<Unit> units;
  GradeScales scales;
  Days today = DaysFromCivil({2025, 6, 30});

  RecordFixture() {
    issuer.id = "tsinghua";
    issuer.name = "清华大学";
    issuer.kind = "university";
    issuer.hours_per_credit = 1600;
    issuer.certifies = {"ouchn:"};
    units.push_back({"tsinghua:CS101", "tsinghua", "程序设计基础", UnitKind::kDegreeCourse, 400,
                     6400, 6, "0613", 0});
    units.push_back(
        {"tsinghua:MA101", "tsinghua", "微积分", UnitKind::kDegreeCourse, 500, 0, 6, "0541", 0});
    units.push_back(
        {"ouchn:ENG1", "ouchn", "English I", UnitKind::kNonDegreeCourse, 250, 4500, 5, "0231", 5});
    units.push_back({"pku:PHY1", "pku", "Physics", UnitKind::kMooc, 150, 0, 4, "0533", 2});
  }

  // The unit `id` names; an unknown id maps to the first unit (the bank answers 400 before
  // recognition then; the harness still wants recognition's coverage).
  const Unit& UnitFor(const std::string& id) const {
    for (const Unit& u : units) {
      if (u.id == id) return u;
    }
    return units.front();
  }
};

inline const RecordFixture& Fixture() {
  static const RecordFixture* fixture = new RecordFixture();
  return *fixture;
}

// Every field RecordFromEntry reads.
inline bool SameRecordFields(const Record& a, const Record& b) {
  return a.id == b.id && a.issuer == b.issuer && a.learner == b.learner && a.unit == b.unit &&
         a.external_ref == b.external_ref && a.kind == b.kind && a.credits == b.credits &&
         a.level == b.level && a.field == b.field && a.grade_scale == b.grade_scale &&
         a.grade_value == b.grade_value && a.grade == b.grade && a.completed_on == b.completed_on &&
         a.expires_on == b.expires_on && a.source == b.source;
}

// Recognizes `in` as api/bank.cc BuildRecordEntry does and checks what the bank relies on:
// errors are 4xx codes; an accepted record's log entry canonicalizes (bank.cc: "a failure
// here is a bug") and reads back (RecordFromEntry) as the same record; the idempotency
// fingerprint form canonicalizes. Returns the record when recognized.
inline std::optional<Record> RecognizeAndCheck(RecordInput in) {
  const RecordFixture& f = Fixture();
  const Unit& unit = f.UnitFor(in.unit);
  if (!in.unit.empty() && in.unit != unit.id) in.unit = unit.id;
  auto rec = Recognize(in, unit, f.issuer, f.scales, f.today);
  if (!rec.ok()) {
    LCB_FUZZ_CHECK(
        CodeIn(rec.status(), {StatusCode::kInvalidArgument, StatusCode::kPermissionDenied}),
        rec.status().ToString());
    return std::nullopt;
  }
  const Record& r = *rec;
  LCB_FUZZ_CHECK(r.issuer == f.issuer.id, r.issuer);
  LCB_FUZZ_CHECK(r.level >= 1 && r.level <= 10, std::to_string(r.level));
  LCB_FUZZ_CHECK(r.grade >= 0 && r.grade <= 100, std::to_string(r.grade));
  LCB_FUZZ_CHECK(r.credits >= 0 && r.credits <= 1000 * kCentiPerCredit, std::to_string(r.credits));
  LCB_FUZZ_CHECK(r.completed_on <= f.today, FormatDate(r.completed_on));

  json entry = RecordToEntry(r, in, "2025-06-30T08:00:00.000Z", std::string(32, 'a'), "");
  auto bytes = CanonicalJson(entry);
  LCB_FUZZ_CHECK(bytes.ok(), bytes.status().ToString());
  auto fp = CanonicalJson(RecordInputToJson(in));
  LCB_FUZZ_CHECK(fp.ok(), fp.status().ToString());

  json parsed = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  LCB_FUZZ_CHECK(!parsed.is_discarded(), *bytes);
  auto back = RecordFromEntry(parsed);
  LCB_FUZZ_CHECK(back.ok(), back.status().ToString() + " for " + *bytes);
  LCB_FUZZ_CHECK(back->learner == r.learner && back->unit == r.unit &&
                     back->external_ref == r.external_ref && back->kind == r.kind &&
                     back->credits == r.credits && back->level == r.level &&
                     back->field == r.field && back->grade_scale == r.grade_scale &&
                     back->grade_value == r.grade_value && back->grade == r.grade &&
                     back->completed_on == r.completed_on && back->expires_on == r.expires_on,
                 "entry does not read back as the record: " + *bytes);
  // The statistics' reader of entries takes every entry the bank writes, as the same record.
  auto fast = RecordFromEntryFast(*bytes);
  LCB_FUZZ_CHECK(fast.has_value(), "the fast entry reader declines " + *bytes);
  LCB_FUZZ_CHECK(SameRecordFields(*fast, *back),
                 "the fast entry reader reads another record: " + *bytes);
  return r;
}

inline void CheckPassbook(std::span<const Record> records) {
  const Passbook p = ComputePassbook(records, Fixture().today);
  LCB_FUZZ_CHECK(p.total_credits >= 0, std::to_string(p.total_credits));
  (void)PassbookJsonText("L1", p);
}

}  // namespace lcb::fuzz
