// A sample record credential input shared by the vc tests and the credential writer of
// tests/credentials.
#pragma once

#include "common/date.h"
#include "vc/open_badge.h"
#include "vc/status_list.h"

namespace lcb::vc::testing {

inline constexpr char kPublicUrl[] = "https://bank.example";

inline RecordCredentialInput SampleRecord() {
  RecordCredentialInput r;
  r.record_id = "rec_0123456789abcdef01234567";
  r.leaf_index = 41;
  r.learner_id = "lrn_7f3a9c";
  r.unit_id = "tsinghua:CS101";
  r.unit_title = "程序设计基础";
  r.unit_kind = UnitKind::kDegreeCourse;
  r.unit_credits = 400;
  r.level = 6;
  r.field = "0613";
  r.institution_id = "tsinghua";
  r.institution_name = "清华大学";
  r.grade_scale = "percent";
  r.grade_value = "92";
  r.grade_normalized = 92;
  r.credits_earned = 400;
  r.completed_on = DaysFromCivil({2024, 12, 20});
  r.expires_on = DaysFromCivil({2029, 12, 20});
  return r;
}

inline CredentialContext SampleContext(const std::string& issuer_did, uint64_t status_index) {
  CredentialContext ctx;
  ctx.issuer = {issuer_did, "Example Learning Credit Bank", kPublicUrl};
  ctx.public_url = kPublicUrl;
  ctx.status = BuildStatusEntry(kPublicUrl, "1", status_index);
  return ctx;
}

}  // namespace lcb::vc::testing
