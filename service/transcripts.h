// Transcripts (学分证明): a learner's active records drawn at the latest signed checkpoint
// (not revoked; a record with a failing grade earned no credit and is not certified), rendered as a
// PDF (transcript/transcript.h) and remembered under a verification code so that whoever holds the
// code can see what the transcript held and whether any of it has been revoked since.
//
// The code is 128 random bits (32 lowercase hex digits); the store keeps only its SHA-256
// (kLearners "t/", storage/keys.h), like tokens, so a copy of the store does not reveal codes.
// What is kept: the learner, the checkpoint (origin, size, root hash), the record ids in the
// order printed, the total credits and when it was generated (codec/rows.h TranscriptRow).
//
// Thread-safe. Issue writes with sync and renders the PDF (tens of ms): call it off the HTTP
// threads.
#pragma once

#include <string>
#include <vector>

#include "codec/rows.h"
#include "service/catalog.h"
#include "service/learners.h"
#include "service/log.h"
#include "service/records.h"
#include "storage/kv.h"
#include "transcript/transcript.h"

namespace lcb {

struct IssuedTranscript {
  std::string code;
  std::string pdf;  // application/pdf bytes
  TranscriptRow held;
};

struct TranscriptEntryStatus {
  std::string id;
  std::string unit;
  std::string issuer;
  Centi credits = 0;
  bool revoked = false;
  std::string revoked_by;  // id of the revoking entry
};

// What a transcript held and the status of each of its records now.
struct TranscriptCheck {
  TranscriptRow held;
  std::string learner_name;  // the account's display name now; may be empty
  std::vector<TranscriptEntryStatus> records;
  bool any_revoked = false;
};

class TranscriptService {
 public:
  TranscriptService(CatalogService* catalog, LearnerService* learners, RecordService* records,
                    LogService* log, Kv* kv)
      : catalog_(catalog), learners_(learners), records_(records), log_(log), kv_(kv) {}

  // Draws the learner's active records at the latest checkpoint, stores what the transcript
  // holds under a new code and renders the PDF whose QR code and link are
  // `verification_base` + code. NotFound for an unknown learner.
  StatusOr<IssuedTranscript> IssuePdf(const std::string& learner,
                                      const std::string& verification_base);

  // What the transcript of `code` held. InvalidArgument at /code for a string that is not a
  // code; NotFound for a code no transcript has.
  StatusOr<TranscriptCheck> Check(const std::string& code);

  static constexpr size_t kCodeBytes = 16;  // 128 bits

 private:
  // The active records of `learner` as of the checkpoint of tree size `size`.
  StatusOr<std::vector<Record>> ActiveAt(const std::string& learner, uint64_t size);
  StatusOr<TranscriptInput> BuildInput(const std::string& learner, std::vector<Record> records,
                                       const TranscriptRow& held);

  CatalogService* catalog_;
  LearnerService* learners_;
  RecordService* records_;
  LogService* log_;
  Kv* kv_;
};

}  // namespace lcb
