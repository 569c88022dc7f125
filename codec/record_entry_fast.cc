// RecordFromEntryFast (codec/mapping.h): a record entry read with simdjson's DOM parser, which
// validates the whole document like nlohmann but skips over the long strings nobody reads (the
// submission's JWS, the salt) with SIMD instead of a byte at a time. Its own file, so that only
// it compiles simdjson.h.
//
// It mirrors what json::parse + RecordFromEntry read, and declines (nullopt: the caller takes
// that path) whatever they might judge differently: a read member repeated (a JSON tree keeps
// the last one), a value of another type, a whole number written as a float ("4.0", which
// get<int> reads), a grade with other members, anything simdjson refuses. The oracle:
// tests/integration/entry_format_test.cc (FastEntryReaderAgreesWithTheTreePath) and the fuzz
// targets (tests/fuzz/fuzz_record_json.cc, record_fixture.h).
#include <simdjson.h>

#include <array>
#include <climits>
#include <string>

#include "codec/mapping.h"
#include "common/date.h"

namespace lcb {
namespace {

// The string members, then the numbers (kFirstNumber on), then the grade object.
enum Field {
  kType,
  kId,
  kIssuer,
  kLearner,
  kUnit,
  kExternalRef,
  kKind,
  kFieldName,
  kCompletedOn,
  kExpiresOn,
  kSource,
  kCredits,
  kLevel,
  kGrade,
  kFields
};
constexpr int kFirstNumber = kCredits;
constexpr std::string_view kKeys[kFields] = {
    "type",  "id",           "issuer",     "learner", "unit",    "external_ref", "kind",
    "field", "completed_on", "expires_on", "source",  "credits", "level",        "grade"};
constexpr uint32_t kRequired = (1u << kFields) - 1 - (1u << kExpiresOn) - (1u << kSource);

int FieldOf(std::string_view key) {
  for (int i = 0; i < kFields; ++i) {
    if (key == kKeys[i]) return i;
  }
  return -1;
}

// A whole number in int's range, written as one: a float, even a whole one, is declined.
bool WholeInt(simdjson::dom::element v, int* out) {
  if (v.type() != simdjson::dom::element_type::INT64) return false;  // a float, or > INT64_MAX
  const int64_t whole = v.get_int64().value_unsafe();
  if (whole < INT_MIN || whole > INT_MAX) return false;
  *out = static_cast<int>(whole);
  return true;
}

bool Number(simdjson::dom::element v, double* out) {
  switch (v.type()) {
    case simdjson::dom::element_type::INT64:
      *out = static_cast<double>(v.get_int64().value_unsafe());
      return true;
    case simdjson::dom::element_type::UINT64:
      *out = static_cast<double>(v.get_uint64().value_unsafe());
      return true;
    case simdjson::dom::element_type::DOUBLE:
      *out = v.get_double().value_unsafe();
      return true;
    default:
      return false;
  }
}

bool Text(simdjson::dom::element v, std::string* out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return false;
  out->assign(s);
  return true;
}

// The parser and a padded copy of the entry, kept per thread (an entry is ~1 KB; a parser's
// buffers grow to the largest entry seen).
struct Reader {
  simdjson::dom::parser parser;
  std::string padded;
};

}  // namespace

std::optional<Record> RecordFromEntryFast(std::string_view bytes) {
  thread_local Reader reader;
  reader.padded.assign(bytes);
  reader.padded.resize(bytes.size() + simdjson::SIMDJSON_PADDING, '\0');
  simdjson::dom::element doc;
  if (reader.parser.parse(reader.padded.data(), bytes.size(), false).get(doc) !=
      simdjson::SUCCESS) {
    return std::nullopt;
  }
  simdjson::dom::object entry;
  if (doc.get_object().get(entry) != simdjson::SUCCESS) return std::nullopt;

  std::array<std::string, kFirstNumber> text;
  double credits = 0;
  int level = 0, normalized = 0;
  std::string scale, value;
  uint32_t seen = 0;
  for (simdjson::dom::key_value_pair member : entry) {
    const int field = FieldOf(member.key);
    if (field < 0) continue;  // a member nobody reads, whatever it holds
    if (seen & (1u << field)) return std::nullopt;
    seen |= 1u << field;
    if (field < kFirstNumber) {
      if (!Text(member.value, &text[field])) return std::nullopt;
    } else if (field == kCredits) {
      if (!Number(member.value, &credits)) return std::nullopt;
    } else if (field == kLevel) {
      if (!WholeInt(member.value, &level)) return std::nullopt;
    } else {  // kGrade: exactly scale, value and normalized
      simdjson::dom::object grade;
      if (member.value.get_object().get(grade) != simdjson::SUCCESS) return std::nullopt;
      uint32_t grade_seen = 0;
      for (simdjson::dom::key_value_pair g : grade) {
        int i = g.key == "scale" ? 0 : g.key == "value" ? 1 : g.key == "normalized" ? 2 : -1;
        if (i < 0 || (grade_seen & (1u << i))) return std::nullopt;
        grade_seen |= 1u << i;
        const bool ok = i == 0   ? Text(g.value, &scale)
                        : i == 1 ? Text(g.value, &value)
                                 : WholeInt(g.value, &normalized);
        if (!ok) return std::nullopt;
      }
      if (grade_seen != 7u) return std::nullopt;
    }
  }
  if ((seen & kRequired) != kRequired || text[kType] != "record") return std::nullopt;

  Record r;
  r.id = std::move(text[kId]);
  r.issuer = std::move(text[kIssuer]);
  r.learner = std::move(text[kLearner]);
  r.unit = std::move(text[kUnit]);
  r.external_ref = std::move(text[kExternalRef]);
  auto kind = ParseUnitKind(text[kKind]);
  if (!kind) return std::nullopt;
  r.kind = *kind;
  auto centi = CentiFromDouble(credits, "/credits");
  if (!centi.ok()) return std::nullopt;
  r.credits = *centi;
  r.level = level;
  r.field = std::move(text[kFieldName]);
  r.grade_scale = std::move(scale);
  r.grade_value = std::move(value);
  r.grade = normalized;
  auto completed = ParseDate(text[kCompletedOn], "/completed_on");
  if (!completed.ok()) return std::nullopt;
  r.completed_on = *completed;
  if (seen & (1u << kExpiresOn)) {
    auto expires = ParseDate(text[kExpiresOn], "/expires_on");
    if (!expires.ok()) return std::nullopt;
    r.expires_on = *expires;
  }
  if (seen & (1u << kSource)) {
    if (text[kSource] != "credential") return std::nullopt;
    r.source = RecordSource::kCredential;
  }
  return r;
}

}  // namespace lcb
