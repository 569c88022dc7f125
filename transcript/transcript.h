// The transcript PDF (学分证明): a pure function from a typed transcript to the bytes of an A4
// PDF, bilingual (Chinese and English labels), drawn with cairo + pango in Noto Sans CJK, with
// a QR code (libqrencode) of the verification URL. No I/O besides reading fonts.
//
// Layout: every page has a header (title, learner, verification code) and a footer ("第 n 页
// 共 N 页 / Page n of N", generation time); the first page also has the learner block, the
// checkpoint the transcript was drawn from and the QR code; records follow as a table, as
// many pages as they need; the totals (by kind, overall) close the last page, which gets a
// page of its own when they do not fit. A learner with no records gets one page saying so.
//
// Thread-safe: each call builds its own cairo surface and pango layouts (pango's cairo font
// map is per thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/credits.h"
#include "common/date.h"
#include "common/status.h"
#include "engine/model.h"

namespace lcb {

struct TranscriptRecord {
  std::string id;          // record id (rec_…)
  std::string unit_title;  // the unit's title, as the catalog holds it
  std::string issuer;      // issuing institution's display name (or id)
  UnitKind kind = UnitKind::kDegreeCourse;
  int level = 0;  // as posted
  Centi credits = 0;
  std::string grade;  // as posted ("92", "优秀", "B")
  Days completed_on = 0;
};

// The signed checkpoint the transcript's records were read at.
struct TranscriptCheckpoint {
  std::string origin;
  uint64_t tree_size = 0;
  std::string root_hash_hex;  // 64 lowercase hex digits
};

struct TranscriptInput {
  std::string learner_id;
  std::string learner_name;               // display name; may be empty
  std::vector<TranscriptRecord> records;  // the active records, in the order to print
  TranscriptCheckpoint checkpoint;
  std::string verification_code;
  std::string verification_url;  // encoded in the QR code and printed
  std::string generated_at;      // RFC 3339 UTC, printed and written as the PDF's date
};

// Limits on input, so that a transcript is always a bounded amount of work.
constexpr size_t kMaxTranscriptRecords = 20000;
constexpr size_t kMaxTranscriptText = 1000;  // bytes of any one string
constexpr size_t kMaxVerificationUrl = 500;  // bytes; fits a version-10 QR code comfortably

// Renders the PDF. Errors: kInvalidArgument naming the field ("/verification_url",
// "/records/3/unit_title", ...) for a string that is not UTF-8, has control characters or is
// too long, a missing verification code or URL, a root hash that is not 64 hex digits, or
// more than kMaxTranscriptRecords records; kInternal if cairo fails.
StatusOr<std::string> RenderTranscriptPdf(const TranscriptInput& input);

// Bilingual label of a kind: "学位课程 Degree course".
std::string TranscriptKindLabel(UnitKind kind);

}  // namespace lcb
