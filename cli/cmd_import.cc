// creditbank import: posts a registrar's CSV export of outcome records to a running bank.
//
// Three phases, so that a bad file stores nothing:
//   1. parse     the whole file (common/csv.h: RFC 4180, BOM stripped, UTF-8 checked), the
//                header (ValidateRecordCsvHeader) and every row (RecordInputFromCsvRow);
//   2. validate  every row the way POST /v1/records will: the JSON API's byte limits, the
//                unit (each distinct unit fetched once with GET /v1/units/{id}), and the
//                engine's own recognition checks (Recognize: issuer may post the unit, grade
//                scale and value, credits/hours, level, completed_on not in the future, ...)
//                against the issuing institution (GET /v1/institutions/{id}); plus
//                external_refs repeated inside the file. Every bad line is reported as
//                "line N: <field>: <reason>" on stderr;
//   3. send      batches of {"records": [...]} over one keep-alive connection. Each batch is
//                atomic on the server and idempotent by (issuer, external_ref), so a re-run
//                stores only what is missing.
//
// What phase 2 cannot see: whether each learner account exists (an institution may not look
// learners up by id) and whether an external_ref was already used on the server for other
// content (409). So, unless --skip-invalid, every batch is first sent with ?dry_run=true (the
// server validates it, learners included, and stores nothing); any refusal is mapped to its
// file line and the import stops with nothing stored. A 409 (checked only when storing) and
// anything the server refuses with --skip-invalid come back as a batch rejection whose JSON
// pointers ("/records/<i>/<field>") are mapped to file lines; with --skip-invalid the
// offending rows are dropped and the rest of the batch is resent, otherwise the batch is
// reported as failed and the import goes on with the next one (exit 1).
//
// Retries: connection errors and 503 back off exponentially, 429 waits for Retry-After; a
// batch is tried at most kMaxTries times. A 413 halves the batch size (a server configured
// with a smaller max_batch).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/http_client.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "codec/json_util.h"
#include "codec/mapping.h"
#include "common/csv.h"
#include "common/date.h"
#include "engine/grades.h"
#include "engine/model.h"
#include "engine/recognition.h"

namespace lcb {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kDefaultBatch = 500;
constexpr size_t kMaxBatch = 1000;
constexpr int kMaxTries = 5;
constexpr int kFirstBackoffMs = 250;  // doubled per retry: 250, 500, 1000, 2000 ms
constexpr int kMaxRetryAfterSeconds = 300;
constexpr int kRequestTimeoutMs = 120'000;
constexpr auto kTtyRedrawEvery = std::chrono::milliseconds(100);
constexpr auto kPlainLineEvery = std::chrono::seconds(5);
constexpr int kBarWidth = 30;

// Byte limits POST /v1/records applies to JSON strings (api/mapping.cc RecordInputFromJson).
// Recognize counts code points instead, so a long Chinese attendance note can pass the CSV
// route and fail the JSON one; checking here keeps such a file from failing half-way.
struct ByteLimit {
  const char* field;
  size_t max_bytes;
};
constexpr ByteLimit kLearnerBytes{"learner", 128};
constexpr ByteLimit kUnitBytes{"unit", 200};
constexpr ByteLimit kExternalRefBytes{"external_ref", 128};
constexpr ByteLimit kScaleBytes{"grade_scale", 64};
constexpr ByteLimit kValueBytes{"grade_value", 64};
constexpr ByteLimit kAttendanceBytes{"attendance", 64};

struct ImportOptions {
  std::string file;
  std::string institution;
  std::string server;
  std::string token;
  std::string ca;
  size_t batch = kDefaultBatch;
  bool skip_invalid = false;
  bool dry_run = false;
  bool insecure = false;
};

// A data row that mapped to a record.
struct Row {
  int line = 0;
  RecordInput input;
};

// One bad line, as the registrar sees it.
struct Problem {
  int line = 0;
  std::string field;  // CSV column name ("grade_value"), or "row"
  std::string reason;
};

void PrintProblem(const Problem& p, const char* suffix = "") {
  std::fprintf(stderr, "line %d: %s: %s%s\n", p.line, p.field.c_str(), p.reason.c_str(), suffix);
}

// "/grade/value" -> "grade_value", the CSV column the registrar has to fix.
std::string FieldName(std::string_view pointer) {
  if (pointer == "/grade/scale" || pointer == "/grade") return "grade_scale";
  if (pointer == "/grade/value") return "grade_value";
  if (pointer.empty()) return "row";
  if (pointer.front() == '/') pointer.remove_prefix(1);
  return std::string(pointer);
}

std::string PathSegment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string ProblemDetail(const ClientResponse& r) {
  json doc = json::parse(r.body, nullptr, false);
  if (doc.is_object() && doc.contains("detail") && doc["detail"].is_string()) {
    return doc["detail"].get<std::string>();
  }
  return r.body.substr(0, 200);
}

// ---- Reading the server's catalog (tolerant: DESIGN.md lets fields be added) ---------------

StatusOr<Unit> UnitFromServer(const json& doc) {
  try {
    Unit u;
    u.id = doc.at("id").get<std::string>();
    u.institution = doc.value("institution", u.id.substr(0, u.id.find(':')));
    u.title = doc.value("title", "");
    auto kind = ParseUnitKind(doc.at("kind").get<std::string>());
    if (!kind) return Status::Internal("unit " + u.id + " has an unknown kind");
    u.kind = *kind;
    LCB_ASSIGN_OR_RETURN(u.credits, CentiFromDouble(doc.at("credits").get<double>(), "/credits"));
    if (doc.contains("hours") && doc["hours"].is_number()) {
      LCB_ASSIGN_OR_RETURN(u.hours, CentiFromDouble(doc["hours"].get<double>(), "/hours"));
    }
    u.level = doc.at("level").get<int>();
    u.field = doc.at("field").get<std::string>();
    u.validity_years = doc.value("validity_years", 0);
    return u;
  } catch (const json::exception& e) {
    return Status::Internal(std::string("unexpected unit document: ") + e.what());
  }
}

StatusOr<Institution> InstitutionFromServer(const json& doc) {
  try {
    Institution inst;
    inst.id = doc.at("id").get<std::string>();
    inst.name = doc.value("name", "");
    inst.kind = doc.value("kind", "");
    if (doc.contains("hours_per_credit") && doc["hours_per_credit"].is_number()) {
      LCB_ASSIGN_OR_RETURN(
          inst.hours_per_credit,
          CentiFromDouble(doc["hours_per_credit"].get<double>(), "/hours_per_credit"));
    }
    if (doc.contains("certifies") && doc["certifies"].is_array()) {
      for (const auto& p : doc["certifies"]) inst.certifies.push_back(p.get<std::string>());
    }
    inst.require_signatures = doc.value("require_signatures", false);
    return inst;
  } catch (const json::exception& e) {
    return Status::Internal(std::string("unexpected institution document: ") + e.what());
  }
}

// ---- HTTP with the retry policy ------------------------------------------------------------

int RetryAfterSeconds(const ClientResponse& r) {
  auto it = r.headers.find("retry-after");
  if (it == r.headers.end() || it->second.empty()) return 1;
  int seconds = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9') return 1;  // an HTTP-date: not worth parsing, wait a second
    seconds = std::min(kMaxRetryAfterSeconds, seconds * 10 + (c - '0'));
  }
  return std::max(seconds, 0);
}

class Remote {
 public:
  Remote(HttpClient& client, std::string token) : client_(client), token_(std::move(token)) {}

  // One logical request: retried on connection errors and 503 (exponential backoff) and on
  // 429 (after Retry-After), at most kMaxTries attempts. Other answers are returned as-is.
  StatusOr<ClientResponse> Send(const std::string& method, const std::string& target,
                                const std::string& body = "") {
    std::map<std::string, std::string> headers;
    if (!token_.empty()) headers["Authorization"] = "Bearer " + token_;
    StatusOr<ClientResponse> last = Status::Unavailable("no attempt made");
    for (int attempt = 0; attempt < kMaxTries; ++attempt) {
      last = client_.Request(method, target, body, headers, kRequestTimeoutMs);
      int wait_ms = kFirstBackoffMs << attempt;
      if (last.ok()) {
        if (last->status == 429) {
          wait_ms = RetryAfterSeconds(*last) * 1000;
        } else if (last->status == 503) {
          if (last->headers.count("retry-after")) wait_ms = RetryAfterSeconds(*last) * 1000;
        } else {
          return last;
        }
      }
      if (attempt + 1 == kMaxTries) break;
      ++retries_;
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
    if (last.ok()) {
      return Status::Unavailable("server still answers " + std::to_string(last->status) +
                                 " after " + std::to_string(kMaxTries) +
                                 " tries: " + ProblemDetail(*last));
    }
    return Status::Unavailable(last.status().message() + " (after " + std::to_string(kMaxTries) +
                               " tries)");
  }

  int retries() const { return retries_; }

 private:
  HttpClient& client_;
  std::string token_;
  int retries_ = 0;
};

// ---- Progress --------------------------------------------------------------------------------

// A bar redrawn in place when stderr is a terminal; a plain line every few seconds otherwise
// (logs, CI). Clear() before printing anything else on a terminal.
class Progress {
 public:
  Progress(size_t total, bool tty) : total_(total), tty_(tty), start_(Clock::now()) {}

  void Update(size_t done, bool final = false) {
    auto now = Clock::now();
    if (!final && now - last_ < (tty_ ? Clock::duration(kTtyRedrawEvery)
                                      : Clock::duration(kPlainLineEvery))) {
      return;
    }
    last_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    double eta = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : 0;
    int percent = total_ == 0 ? 100 : static_cast<int>(done * 100 / total_);
    if (tty_) {
      int filled = total_ == 0 ? kBarWidth : static_cast<int>(done * kBarWidth / total_);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(kBarWidth, '.');
      std::fprintf(stderr, "\r[%s] %zu/%zu %3d%%  %.0f records/s  ETA %.0f s\x1b[K%s", bar.c_str(),
                   done, total_, percent, rate, eta, final ? "\n" : "");
      drawn_ = !final;
    } else if (!final || done > 0) {
      std::fprintf(stderr, "import: %zu/%zu records (%d%%), %.0f records/s, ETA %.0f s\n", done,
                   total_, percent, rate, eta);
    }
    std::fflush(stderr);
  }

  void Clear() {
    if (tty_ && drawn_) std::fprintf(stderr, "\r\x1b[K");
    drawn_ = false;
  }

 private:
  size_t total_;
  bool tty_;
  Clock::time_point start_;
  Clock::time_point last_{};
  bool drawn_ = false;
};

// ---- Phase 1 and 2: parse and validate -------------------------------------------------------

struct Validated {
  size_t data_rows = 0;
  std::vector<Row> valid;         // file order
  std::vector<Problem> problems;  // file order
};

std::optional<Problem> CheckBytes(const Row& row, const ByteLimit& limit, std::string_view value) {
  if (value.size() <= limit.max_bytes) return std::nullopt;
  return Problem{
      row.line, limit.field,
      "longer than " + std::to_string(limit.max_bytes) + " bytes (the limit of POST /v1/records)"};
}

// Fetches every distinct unit named in `rows` once. Unknown units map to nullopt; any other
// failure (the server is down, answers 500) is returned.
StatusOr<std::unordered_map<std::string, std::optional<Unit>>> FetchUnits(
    Remote& remote, const std::vector<Row>& rows) {
  std::unordered_map<std::string, std::optional<Unit>> units;
  for (const Row& row : rows) {
    const std::string& id = row.input.unit;
    if (id.empty() || id.size() > kUnitBytes.max_bytes || units.count(id)) continue;
    LCB_ASSIGN_OR_RETURN(ClientResponse r, remote.Send("GET", "/v1/units/" + PathSegment(id)));
    if (r.status == 404 || r.status == 400) {
      units.emplace(id, std::nullopt);
      continue;
    }
    if (r.status != 200) {
      return Status::Unavailable("GET /v1/units/" + id + " answered " + std::to_string(r.status) +
                                 ": " + ProblemDetail(r));
    }
    json doc = json::parse(r.body, nullptr, false);
    if (doc.is_discarded()) return Status::Internal("GET /v1/units/" + id + ": not JSON");
    LCB_ASSIGN_OR_RETURN(Unit unit, UnitFromServer(doc));
    units.emplace(id, std::move(unit));
  }
  return units;
}

Status Validate(CsvTable table, const Institution& issuer, Remote& remote, Validated* out) {
  out->data_rows = table.rows.size();
  std::vector<Row> mapped;
  mapped.reserve(table.rows.size());
  for (CsvRow& csv_row : table.rows) {
    auto in = RecordInputFromCsvRow(table.header, std::move(csv_row.fields));
    if (!in.ok()) {
      out->problems.push_back(
          {csv_row.line, FieldName(in.status().pointer()), in.status().message()});
      continue;
    }
    mapped.push_back(Row{csv_row.line, std::move(in).value()});
  }
  LCB_ASSIGN_OR_RETURN(auto units, FetchUnits(remote, mapped));

  const GradeScales scales;
  const Days today = TodayUtc();
  const Unit no_unit;  // for rows without a unit: Recognize reports "/unit is required"
  std::unordered_map<std::string, int> first_line_of_ref;
  out->valid.reserve(mapped.size());
  for (Row& row : mapped) {
    const RecordInput& in = row.input;
    std::optional<Problem> problem = CheckBytes(row, kLearnerBytes, in.learner);
    if (!problem) problem = CheckBytes(row, kUnitBytes, in.unit);
    if (!problem) problem = CheckBytes(row, kExternalRefBytes, in.external_ref);
    if (!problem) problem = CheckBytes(row, kScaleBytes, in.grade_scale);
    if (!problem) problem = CheckBytes(row, kValueBytes, in.grade_value);
    if (!problem && in.attendance) problem = CheckBytes(row, kAttendanceBytes, *in.attendance);
    const Unit* unit = nullptr;
    if (!problem && !in.unit.empty()) {
      auto it = units.find(in.unit);
      if (it == units.end() || !it->second) {
        problem = Problem{row.line, "unit", "no unit '" + in.unit + "' in the catalog"};
      } else {
        unit = &*it->second;
      }
    }
    if (!problem) {
      auto rec = Recognize(in, unit ? *unit : no_unit, issuer, scales, today);
      if (!rec.ok()) {
        problem = Problem{row.line, FieldName(rec.status().pointer()), rec.status().message()};
      }
    }
    if (!problem) {
      auto [it, inserted] = first_line_of_ref.emplace(in.external_ref, row.line);
      if (!inserted) {
        problem = Problem{row.line, "external_ref",
                          "'" + in.external_ref + "' is also on line " +
                              std::to_string(it->second) + " (one record per external_ref)"};
      }
    }
    if (problem) {
      out->problems.push_back(std::move(*problem));
      continue;
    }
    out->valid.push_back(std::move(row));
  }
  std::stable_sort(out->problems.begin(), out->problems.end(),
                   [](const Problem& a, const Problem& b) { return a.line < b.line; });
  return Status::Ok();
}

// ---- Phase 3: send ---------------------------------------------------------------------------

struct Tally {
  size_t created = 0;
  size_t existing = 0;
  size_t skipped = 0;  // invalid rows left out (--skip-invalid)
  size_t failed = 0;   // rows meant to be stored that were not
};

enum class BatchResult { kDone, kRejected, kTooLarge, kFatal };

class Sender {
 public:
  Sender(Remote& remote, const ImportOptions& options, const std::vector<Row>& rows,
         Progress& progress, Tally& tally)
      : remote_(remote), options_(options), rows_(rows), progress_(progress), tally_(tally) {}

  // Sends every row; returns false when it had to stop early (the rest counted as failed).
  bool Run() {
    size_t stopped_at = 0;
    bool done = ForEachBatch(
        [&](std::vector<size_t>& part) {
          BatchResult result = Post(part);
          if (result == BatchResult::kRejected) tally_.failed += part.size();
          return result;
        },
        &stopped_at);
    if (done) return true;
    tally_.failed += rows_.size() - stopped_at;
    processed_ = rows_.size();
    return false;
  }

  // Rows handled so far: stored, dropped by the server's verdict, or failed.
  size_t processed() const { return processed_; }

  // Asks the server to validate every batch without storing it (POST ?dry_run=true), which
  // catches what the file and catalog cannot show, such as unknown learner accounts, before
  // anything is stored. Problems are appended to `problems`; false when the check itself
  // could not be made (a message was printed).
  bool Check(std::vector<Problem>* problems) {
    size_t stopped_at = 0;
    return ForEachBatch(
        [&](std::vector<size_t>& part) {
          auto r = remote_.Send("POST", "/v1/records?dry_run=true", Body(part));
          if (!r.ok()) {
            progress_.Clear();
            std::fprintf(stderr, "creditbank import: cannot check %s with the server: %s\n",
                         Lines(part).c_str(), r.status().message().c_str());
            return BatchResult::kFatal;
          }
          if (r->status == 200) return BatchResult::kDone;
          if (r->status == 413 && part.size() > 1) return BatchResult::kTooLarge;
          std::map<size_t, Problem> found =
              (r->status == 400 || r->status == 403 || r->status == 409)
                  ? RowProblems(*r, part)
                  : std::map<size_t, Problem>();
          if (found.empty()) {
            progress_.Clear();
            std::fprintf(stderr,
                         "creditbank import: cannot check %s with the server: it answered %d: %s\n",
                         Lines(part).c_str(), r->status, ProblemDetail(*r).c_str());
            return BatchResult::kFatal;
          }
          for (auto& [idx, p] : found) problems->push_back(std::move(p));
          return BatchResult::kRejected;
        },
        &stopped_at);
  }

 private:
  // The request body for rows_[part...]: {"records": [...]}.
  std::string Body(const std::vector<size_t>& part) const {
    json records = json::array();
    for (size_t idx : part) records.push_back(RecordInputToJson(rows_[idx].input));
    return Dump(json{{"records", std::move(records)}});
  }

  // Walks the rows in batches of --batch, calling step(part) with the row indexes of each. A
  // kTooLarge answer (413) halves the batch size and retries; kFatal, or kTooLarge at size 1,
  // stops: false, with *stopped_at the first row not handled.
  template <class Step>
  bool ForEachBatch(Step step, size_t* stopped_at) {
    size_t batch = options_.batch;
    size_t pos = 0;
    while (pos < rows_.size()) {
      size_t n = std::min(batch, rows_.size() - pos);
      std::vector<size_t> part(n);
      for (size_t i = 0; i < n; ++i) part[i] = pos + i;
      BatchResult result = step(part);
      if (result == BatchResult::kTooLarge && batch > 1) {
        batch = std::max<size_t>(1, n / 2);
        progress_.Clear();
        std::fprintf(stderr,
                     "import: the server refused %zu records in one request; "
                     "using batches of %zu\n",
                     n, batch);
        continue;
      }
      if (result == BatchResult::kTooLarge || result == BatchResult::kFatal) {
        *stopped_at = pos;
        return false;
      }
      pos += n;
      processed_ = pos;
      progress_.Update(processed_);
    }
    return true;
  }

  std::string Lines(const std::vector<size_t>& part) const {
    return "lines " + std::to_string(rows_[part.front()].line) + "-" +
           std::to_string(rows_[part.back()].line);
  }

  // Row problems named by a rejection: errors[].pointer and the top-level pointer
  // ("/records/<i>/<field>", i indexing `part`). Keyed by index into `part`.
  std::map<size_t, Problem> RowProblems(const ClientResponse& r,
                                        const std::vector<size_t>& part) const {
    std::map<size_t, Problem> out;
    json doc = json::parse(r.body, nullptr, false);
    if (!doc.is_object()) return out;
    auto add = [&](const json& pointer, const json& detail) {
      if (!pointer.is_string()) return;
      const std::string& p = pointer.get_ref<const std::string&>();
      if (!p.starts_with("/records/")) return;
      size_t slash = p.find('/', 9);
      std::string digits = p.substr(9, slash == std::string::npos ? std::string::npos : slash - 9);
      if (digits.empty() || digits.size() > 9 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return;
      }
      size_t idx = std::stoul(digits);
      if (idx >= part.size() || out.count(idx)) return;
      std::string field = slash == std::string::npos ? "" : p.substr(slash);
      out.emplace(idx, Problem{rows_[part[idx]].line, FieldName(field),
                               detail.is_string() ? detail.get<std::string>() : "rejected"});
    };
    if (doc.contains("errors") && doc["errors"].is_array()) {
      for (const auto& e : doc["errors"]) {
        if (e.is_object()) add(e.value("pointer", json()), e.value("detail", json()));
      }
    }
    if (doc.contains("pointer")) add(doc["pointer"], doc.value("detail", json()));
    return out;
  }

  // Posts rows_[part...]; with --skip-invalid, rows the server rejects are dropped from `part`
  // (and counted as skipped) until the rest is stored.
  BatchResult Post(std::vector<size_t>& part) {
    while (!part.empty()) {
      auto r = remote_.Send("POST", "/v1/records", Body(part));
      if (!r.ok()) {
        progress_.Clear();
        std::fprintf(stderr, "creditbank import: %s not stored: %s\n", Lines(part).c_str(),
                     r.status().message().c_str());
        return BatchResult::kFatal;
      }
      if (r->status == 200 || r->status == 201) return Count(*r, part);
      if (r->status == 413) return BatchResult::kTooLarge;
      std::map<size_t, Problem> problems =
          (r->status == 400 || r->status == 403 || r->status == 409) ? RowProblems(*r, part)
                                                                     : std::map<size_t, Problem>();
      progress_.Clear();
      if (problems.empty()) {
        std::fprintf(stderr, "creditbank import: %s not stored: the server answered %d: %s\n",
                     Lines(part).c_str(), r->status, ProblemDetail(*r).c_str());
        return BatchResult::kFatal;
      }
      if (!options_.skip_invalid) {
        for (const auto& [idx, p] : problems) PrintProblem(p);
        std::fprintf(stderr,
                     "import: the server rejected the batch of %s (%zu records); none "
                     "of them was stored\n",
                     Lines(part).c_str(), part.size());
        return BatchResult::kRejected;
      }
      std::vector<size_t> keep;
      keep.reserve(part.size());
      for (size_t i = 0; i < part.size(); ++i) {
        auto it = problems.find(i);
        if (it == problems.end()) {
          keep.push_back(part[i]);
        } else {
          PrintProblem(it->second, " (skipped)");
          ++tally_.skipped;
        }
      }
      part = std::move(keep);
    }
    return BatchResult::kDone;
  }

  BatchResult Count(const ClientResponse& r, const std::vector<size_t>& part) {
    json doc = json::parse(r.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("records") || !doc["records"].is_array() ||
        doc["records"].size() != part.size()) {
      progress_.Clear();
      std::fprintf(stderr, "creditbank import: %s: unexpected answer from the server\n",
                   Lines(part).c_str());
      return BatchResult::kFatal;
    }
    for (const auto& rec : doc["records"]) {
      if (rec.value("status", "") == "existing") {
        ++tally_.existing;
      } else {
        ++tally_.created;
      }
    }
    return BatchResult::kDone;
  }

  Remote& remote_;
  const ImportOptions& options_;
  const std::vector<Row>& rows_;
  Progress& progress_;
  Tally& tally_;
  size_t processed_ = 0;
};

// ---- The command -----------------------------------------------------------------------------

void ImportUsage(FILE* out) {
  std::fprintf(
      out,
      "usage: creditbank import --file FILE --institution ID --server URL --token TOKEN\n"
      "                         [--batch N] [--skip-invalid] [--dry-run] [--ca FILE] "
      "[--insecure]\n\n"
      "Posts the outcome records of a registrar's CSV export (UTF-8, with or without BOM;\n"
      "header: learner, unit, external_ref, credits, hours, level, grade_scale, grade_value,\n"
      "completed_on, attendance, evidence_sha256; empty cell = unset; FILE - reads stdin).\n\n"
      "The whole file is checked first, against the server's catalog too, then by the server\n"
      "itself (?dry_run=true, which also knows the learner accounts); every bad line is\n"
      "reported as 'line N: <field>: <reason>' and nothing is stored unless --skip-invalid.\n"
      "Records go in batches (default %zu, at most %zu) over one connection; re-running is\n"
      "safe: records are idempotent by external_ref. Exit 0 only if every record meant to be\n"
      "stored was stored.\n\n"
      "  --institution ID  the issuing institution (the token's)\n"
      "  --token TOKEN     an institution:<ID> token (or env CREDITBANK_TOKEN; not needed for\n"
      "                    --dry-run)\n"
      "  --batch N         records per request, 1..%zu\n"
      "  --skip-invalid    store the valid records, list the skipped lines\n"
      "  --dry-run         validate only (with the server too when a token is given);\n"
      "                    store nothing\n"
      "  --ca FILE         PEM trust anchor for https; --insecure skips verification\n",
      kDefaultBatch, kMaxBatch, kMaxBatch);
}

// Returns -1 when the options are usable, else the exit code.
int ParseImportOptions(const CommandArgs& argv, ImportOptions* o) {
  Args args;
  std::string error;
  if (!ParseArgs(argv, {"file", "institution", "server", "token", "batch", "ca"},
                 {"help", "skip-invalid", "dry-run", "insecure"}, &args, &error)) {
    std::fprintf(stderr, "creditbank import: %s\n\n", error.c_str());
    ImportUsage(stderr);
    return 2;
  }
  if (args.Has("help")) {
    ImportUsage(stdout);
    return 0;
  }
  o->file = args.Get("file");
  o->institution = args.Get("institution");
  o->server = args.Get("server");
  o->token = args.Get("token");
  o->ca = args.Get("ca");
  o->skip_invalid = args.Has("skip-invalid");
  o->dry_run = args.Has("dry-run");
  o->insecure = args.Has("insecure");
  if (o->token.empty()) {
    if (const char* env = std::getenv("CREDITBANK_TOKEN")) o->token = env;
  }
  std::vector<std::string> missing;
  if (o->file.empty()) missing.push_back("--file");
  if (o->institution.empty()) missing.push_back("--institution");
  if (o->server.empty()) missing.push_back("--server");
  if (o->token.empty() && !o->dry_run) missing.push_back("--token");
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    std::fprintf(stderr, "creditbank import: missing %s\n\n", list.c_str());
    ImportUsage(stderr);
    return 2;
  }
  if (args.Has("batch")) {
    const std::string& b = args.Get("batch");
    size_t n = 0;
    bool digits = !b.empty() && b.size() <= 5 &&
                  std::all_of(b.begin(), b.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) n = std::stoul(b);
    if (!digits || n < 1 || n > kMaxBatch) {
      std::fprintf(stderr, "creditbank import: --batch must be 1 to %zu\n", kMaxBatch);
      return 2;
    }
    o->batch = n;
  }
  return -1;
}

StatusOr<std::string> ReadInput(const std::string& path) {
  std::ostringstream buf;
  if (path == "-") {
    buf << std::cin.rdbuf();
    return buf.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  buf << in.rdbuf();
  if (in.bad()) return Status::Unavailable("cannot read " + path);
  return buf.str();
}

}  // namespace

int CmdImport(const CommandArgs& argv) {
  ImportOptions options;
  if (int code = ParseImportOptions(argv, &options); code >= 0) return code;
  const auto started = Clock::now();

  // Phase 1: the file.
  auto text = ReadInput(options.file);
  if (!text.ok()) {
    std::fprintf(stderr, "creditbank import: %s\n", text.status().message().c_str());
    return 1;
  }
  auto table = ParseCsv(*text);
  text = std::string();  // the table holds its own copy of every cell
  if (!table.ok()) {
    std::fprintf(stderr, "creditbank import: %s: %s\n", options.file.c_str(),
                 table.status().message().c_str());
    return 1;
  }
  if (Status header = ValidateRecordCsvHeader(table->header); !header.ok()) {
    std::fprintf(stderr, "line %d: header: %s\n", table->header_line, header.message().c_str());
    return 1;
  }

  // Phase 2: the server's view of the issuer and the units.
  auto client = HttpClient::Connect(options.server, options.ca, options.insecure);
  if (!client.ok()) {
    std::fprintf(stderr, "creditbank import: %s\n", client.status().message().c_str());
    return 1;
  }
  Remote remote(**client, options.token);
  auto inst_reply = remote.Send("GET", "/v1/institutions/" + PathSegment(options.institution));
  if (!inst_reply.ok()) {
    std::fprintf(stderr, "creditbank import: %s\n", inst_reply.status().message().c_str());
    return 1;
  }
  if (inst_reply->status != 200) {
    std::fprintf(stderr, "creditbank import: institution '%s': %s\n", options.institution.c_str(),
                 inst_reply->status == 404 ? "not registered in the catalog"
                                           : ProblemDetail(*inst_reply).c_str());
    return 1;
  }
  auto issuer = InstitutionFromServer(json::parse(inst_reply->body, nullptr, false));
  if (!issuer.ok()) {
    std::fprintf(stderr, "creditbank import: %s\n", issuer.status().message().c_str());
    return 1;
  }
  if (issuer->require_signatures && !options.dry_run) {
    std::fprintf(stderr,
                 "creditbank import: institution '%s' requires signed submissions "
                 "(X-JWS-Signature), which import does not make yet; post with a signing "
                 "client\n",
                 options.institution.c_str());
    return 1;
  }
  Validated checked;
  if (Status s = Validate(std::move(table).value(), *issuer, remote, &checked); !s.ok()) {
    std::fprintf(stderr, "creditbank import: %s\n", s.message().c_str());
    return 1;
  }
  for (const Problem& p : checked.problems) {
    PrintProblem(p, options.skip_invalid ? " (skipped)" : "");
  }
  const size_t invalid = checked.problems.size();
  if (invalid > 0 && !options.skip_invalid) {
    std::fprintf(stderr,
                 "creditbank import: %zu of %zu lines are invalid; nothing was stored (fix them, "
                 "or pass --skip-invalid to store the %zu valid ones)\n",
                 invalid, checked.data_rows, checked.valid.size());
    return 1;
  }
  // Phase 2b: the server's own check of every batch, stored nowhere, so that a learner id the
  // file gets wrong on its last line does not leave the batches before it stored. With
  // --skip-invalid the rows the server refuses are dropped batch by batch instead.
  bool server_checked = false;
  // (Not for an institution that requires signed submissions: import does not sign, so only
  // --dry-run gets here, and it stays local.)
  if (!options.skip_invalid && !options.token.empty() && !issuer->require_signatures) {
    Tally unused;
    Progress checking(checked.valid.size(), ::isatty(::fileno(stderr)) == 1);
    Sender checker(remote, options, checked.valid, checking, unused);
    std::vector<Problem> refused;
    if (!checker.Check(&refused)) return 1;
    checking.Clear();
    for (const Problem& p : refused) PrintProblem(p);
    if (!refused.empty()) {
      std::fprintf(stderr,
                   "creditbank import: the server's check refused %zu of %zu lines; nothing "
                   "was stored (fix them, or pass --skip-invalid to store the others)\n",
                   refused.size(), checked.data_rows);
      return 1;
    }
    server_checked = true;
  }
  if (options.dry_run) {
    std::printf("dry run: %zu records checked%s, %zu valid, %zu invalid; nothing was stored\n",
                checked.data_rows, server_checked ? " (also by the server)" : "",
                checked.valid.size(), invalid);
    return 0;
  }

  // Phase 3: the records.
  Tally tally;
  tally.skipped = invalid;
  Progress progress(checked.valid.size(), ::isatty(::fileno(stderr)) == 1);
  const auto send_started = Clock::now();
  Sender sender(remote, options, checked.valid, progress, tally);
  if (!sender.Run()) {
    progress.Clear();
    std::fprintf(stderr,
                 "creditbank import: stopped early; re-run to store the rest (records "
                 "already stored are recognized by their external_ref)\n");
  }
  progress.Update(sender.processed(), /*final=*/true);

  double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  double send_seconds = std::chrono::duration<double>(Clock::now() - send_started).count();
  size_t stored = tally.created + tally.existing;
  std::printf(
      "import %s: created %zu, already present %zu, skipped %zu, failed %zu; %.1f s, "
      "%.0f records/s%s\n",
      options.file.c_str(), tally.created, tally.existing, tally.skipped, tally.failed, elapsed,
      send_seconds > 0 ? static_cast<double>(stored) / send_seconds : 0.0,
      remote.retries() > 0 ? (" (" + std::to_string(remote.retries()) + " retries)").c_str() : "");
  return tally.failed == 0 ? 0 : 1;
}

}  // namespace lcb
