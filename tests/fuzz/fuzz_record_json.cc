// POST /v1/records body handling without the network (api/routes_records.cc PostRecords, JSON
// branch, then bank.cc BuildRecordEntry minus storage): parse with nlohmann (no exception may
// escape), one record or {"records": [...]}, RecordInputFromJson, Recognize against a fixed
// unit/institution, the log entry and the idempotency fingerprint.
//
// Properties: every rejection is a 4xx-class Status whose pointer names the record; a mapped
// RecordInput survives its canonical form (RecordInputToJson -> JSON text -> RecordInputFromJson
// gives the same input, so a retry computes the same fingerprint); a recognized record's entry
// canonicalizes and reads back (record_fixture.h). The input is also read as a log entry by the
// statistics' fast reader (RecordFromEntryFast), checked against the tree path.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/fuzz/record_fixture.h"

namespace lcb::fuzz {
namespace {

constexpr size_t kMaxBatch = 1000;  // config default max_batch

std::optional<RecordInput> MapOne(const json& doc, const std::string& ptr) {
  auto in = RecordInputFromJson(doc, ptr);
  if (!in.ok()) {
    LCB_FUZZ_CHECK(in.status().code() == StatusCode::kInvalidArgument, in.status().ToString());
    LCB_FUZZ_CHECK(in.status().pointer().starts_with(ptr), in.status().ToString());
    return std::nullopt;
  }
  // The fingerprint is computed from this form; it must map back to the same input.
  std::string text = Dump(RecordInputToJson(*in));
  auto reparsed = ParseJsonBody(text);
  LCB_FUZZ_CHECK(reparsed.ok(), text);
  auto again = RecordInputFromJson(*reparsed, "");
  LCB_FUZZ_CHECK(again.ok(), again.status().ToString() + " for " + text);
  LCB_FUZZ_CHECK(*in == *again, "canonical form maps to another input: " + text);
  return std::move(in).value();
}

}  // namespace
}  // namespace lcb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lcb;
  using namespace lcb::fuzz;
  // The SAX fast path (taken first by PostRecords) may decline anything, but what it accepts
  // the tree path below must accept, with the same inputs.
  auto fast = ParseRecordBatchFast(AsText(data, size), kMaxBatch);
  auto body = ParseJsonBody(AsText(data, size));
  LCB_FUZZ_CHECK(!fast || body.ok(), "fast path accepted a body that does not parse");
  // ParseJsonBody is I-JSON: it reads what nlohmann reads, except that a member named twice
  // (at any depth, which nlohmann resolves as "last wins") is refused with its pointer. The
  // fast path above declines such a body too (the check before this one).
  {
    auto lenient = json::parse(AsText(data, size), nullptr, false);
    // The same bytes as a log entry: the statistics' fast reader may decline anything, but a
    // record it reads is the one json::parse + RecordFromEntry read.
    if (auto entry = RecordFromEntryFast(AsText(data, size))) {
      LCB_FUZZ_CHECK(lenient.is_object() && lenient.contains("type") && lenient["type"] == "record",
                     "the fast entry reader read what is not a record entry");
      auto tree = RecordFromEntry(lenient);
      LCB_FUZZ_CHECK(tree.ok(), "the fast entry reader read a malformed entry");
      LCB_FUZZ_CHECK(SameRecordFields(*entry, *tree), "the fast entry reader read another record");
    }
    if (body.ok()) {
      LCB_FUZZ_CHECK(!lenient.is_discarded() && lenient == *body,
                     "the I-JSON parser read another document than nlohmann");
    } else if (!lenient.is_discarded() &&
               body.status().message().find("twice") != std::string::npos) {
      LCB_FUZZ_CHECK(!body.status().pointer().empty(), "a duplicate member without its pointer");
    }
  }
  if (!body.ok()) {
    LCB_FUZZ_CHECK(body.status().code() == StatusCode::kInvalidArgument, body.status().ToString());
    return 0;
  }
  if (!body->is_object()) return 0;  // 400 "body must be a JSON object"
  std::vector<RecordInput> inputs;
  if (body->contains("records")) {
    const json& arr = (*body)["records"];
    const bool shape_ok = arr.is_array() && body->size() == 1 && arr.size() <= kMaxBatch;
    LCB_FUZZ_CHECK(!fast || shape_ok, "fast path accepted a batch of the wrong shape");
    if (!shape_ok) return 0;
    for (size_t i = 0; i < arr.size(); ++i) {
      if (auto in = MapOne(arr[i], "/records/" + std::to_string(i))) inputs.push_back(*in);
    }
    LCB_FUZZ_CHECK(!fast || inputs.size() == arr.size(), "fast path accepted a rejected record");
    if (inputs.size() != arr.size()) return 0;  // the whole batch is rejected
    if (fast) {
      LCB_FUZZ_CHECK(fast->size() == inputs.size(), "fast path read another number of records");
      for (size_t i = 0; i < inputs.size(); ++i) {
        LCB_FUZZ_CHECK((*fast)[i] == inputs[i], "fast path read another record");
      }
    }
  } else {
    LCB_FUZZ_CHECK(!fast, "fast path accepted a body without records");
    auto in = MapOne(*body, "");
    if (!in) return 0;
    inputs.push_back(*in);
  }
  std::vector<Record> records;
  for (const RecordInput& in : inputs) {
    if (auto r = RecognizeAndCheck(in)) records.push_back(*r);
  }
  CheckPassbook(records);
  return 0;
}
