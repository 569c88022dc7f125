// creditbank import: posts a registrar's export of outcome records to a running bank.
//
// The file is CSV (UTF-8 with or without BOM, GB18030 or GBK: detected, or --encoding) or XLSX
// (--sheet NAME, else the first sheet), in the bank's own CSV header or in a registrar
// system's columns read through a mapping (--mapping cn-registrar|FILE; formats/mapping.h).
//
// Phases, so that a bad file stores nothing:
//   1. read      the whole file into a table (formats/registrar_file.h) and, with a mapping,
//                map it (formats/mapping_apply.h): units found in the institution's catalog
//                (GET /v1/units?institution=, by code or title), learners looked up by
//                national ID (GET /v1/learners/lookup); every bad cell is reported;
//   2. validate  every row the way POST /v1/records will: the JSON API's byte limits, the unit
//                and the engine's recognition checks (Recognize: issuer may post the unit,
//                grade scale and value, credits/hours, level, completed_on not in the future,
//                ...) against the issuing institution (GET /v1/institutions/{id}); plus
//                external_refs repeated inside the file. Every bad line is reported as
//                "line N: <column>: <reason> (column X)" on stderr, and nothing is stored;
//   3. accounts  with a mapping, learners the bank does not know yet are created (POST
//                /v1/learners with the national ID, kept only as HMAC, and the display name);
//                only now, once the whole file passed phases 1 and 2 (never for --dry-run);
//   4. check     every batch is sent with ?dry_run=true (the server validates it, learner
//                accounts included, and stores nothing); any refusal is mapped to its file line
//                and column and the import stops with no record stored;
//   5. send      batches of {"records": [...]}. Each batch is atomic on the server and
//                idempotent by (issuer, external_ref), so a re-run stores only what is missing.
// With --skip-invalid the rows refused in phases 1, 2 or by the server are left out instead.
// Phases 3-5 use --connections keep-alive connections (default 1), each sending whole
// batches; the progress bar shows rows/s.
//
// Retries: RestClient's policy (cli/rest_client.h). A 413 halves the batch size (a server
// configured with a smaller max_batch).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cli/cli_app.h"
#include "cli/commands.h"
#include "cli/rest_client.h"
#include "codec/json_util.h"
#include "codec/mapping.h"
#include "common/csv.h"
#include "common/date.h"
#include "crypto/ijson.h"
#include "engine/grades.h"
#include "engine/limits.h"
#include "engine/model.h"
#include "engine/recognition.h"
#include "formats/mapping.h"
#include "formats/mapping_apply.h"
#include "formats/registrar_file.h"

namespace lcb {
namespace {

using Clock = std::chrono::steady_clock;
using formats::CellProblem;
using formats::MappedTable;

constexpr size_t kDefaultBatch = 500;
constexpr size_t kMaxBatch = 1000;
constexpr int kMaxConnections = 16;
constexpr auto kTtyRedrawEvery = std::chrono::milliseconds(100);
constexpr auto kPlainLineEvery = std::chrono::seconds(5);
constexpr int kBarWidth = 30;
constexpr size_t kUnitPage = 1000;  // GET /v1/units?limit=

// Byte limits POST /v1/records applies to JSON strings (codec/mapping.cc RecordInputFromJson,
// bounds from engine/limits.h).
// Recognize counts code points instead, so a long Chinese attendance note can pass the CSV
// route and fail the JSON one; checking here keeps such a file from failing half-way.
struct ByteLimit {
  const char* field;
  size_t max_bytes;
};
constexpr ByteLimit kLearnerBytes{"learner", kMaxLearnerChars};
constexpr ByteLimit kUnitBytes{"unit", kMaxUnitIdChars};
constexpr ByteLimit kExternalRefBytes{"external_ref", kMaxExternalRefChars};
constexpr ByteLimit kScaleBytes{"grade_scale", kMaxGradeScaleChars};
constexpr ByteLimit kValueBytes{"grade_value", kMaxGradeValueChars};
constexpr ByteLimit kAttendanceBytes{"attendance", kMaxAttendanceChars};

struct ImportOptions : ServerFlags {
  std::string file;
  std::string institution;
  std::string mapping;  // "" = the bank's CSV header; a built-in name or a mapping file
  std::string sheet;
  formats::Encoding encoding = formats::Encoding::kAuto;
  size_t batch = kDefaultBatch;
  int connections = 1;
  bool skip_invalid = false;
  bool dry_run = false;
};

// A data row that mapped to a record.
struct Row {
  int line = 0;
  RecordInput input;
  size_t table_row = 0;  // index into the MappedTable's rows
  int pending = -1;      // index into MappedTable::pending: the account is not created yet
};

// Serializes stderr output between the sending threads.
std::mutex g_print_mu;

// "line 7: 成绩: <reason> (column F)": the line, the column as the file names it, the reason.
// (The "line N: <field>: <reason>" form is what earlier versions printed for bank CSVs.)
void PrintProblem(const CellProblem& p, const char* suffix = "") {
  std::lock_guard<std::mutex> lock(g_print_mu);
  std::string where = p.column.empty() ? p.field : p.column;
  if (!where.empty()) where += ": ";
  std::string letter = p.letter.empty() ? "" : " (column " + p.letter + ")";
  if (p.line > 0) {
    std::fprintf(stderr, "line %d: %s%s%s%s\n", p.line, where.c_str(), p.reason.c_str(),
                 letter.c_str(), suffix);
  } else {
    std::fprintf(stderr, "file: %s%s\n", p.reason.c_str(), suffix);
  }
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

// Several keep-alive connections to the server, one RestClient each, and a way to spread work
// over them: ParallelFor hands out items by an atomic counter, one thread per connection.
class RemotePool {
 public:
  static StatusOr<std::unique_ptr<RemotePool>> Connect(const ImportOptions& o) {
    auto pool = std::unique_ptr<RemotePool>(new RemotePool(o.token));
    for (int i = 0; i < o.connections; ++i) {
      LCB_ASSIGN_OR_RETURN(auto client, RestClient::Connect(o.server, o.ca, o.insecure));
      pool->remotes_.push_back(std::move(client));
    }
    return pool;
  }

  RestClient& first() { return *remotes_.front(); }
  size_t size() const { return remotes_.size(); }
  // The bearer token of every request of the import.
  const std::string& token() const { return token_; }

  int retries() const {
    int n = 0;
    for (const auto& r : remotes_) n += r->retries();
    return n;
  }

  // Calls fn(remote, i) for every i in [0, n) over the connections; fn returns false to stop
  // every worker (after the items already started).
  void ParallelFor(size_t n, const std::function<bool(RestClient&, size_t)>& fn) {
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    auto work = [&](RestClient& remote) {
      for (;;) {
        if (stop.load()) return;
        const size_t i = next.fetch_add(1);
        if (i >= n) return;
        if (!fn(remote, i)) stop.store(true);
      }
    };
    if (remotes_.size() == 1 || n <= 1) {
      work(*remotes_.front());
      return;
    }
    std::vector<std::thread> threads;
    for (size_t t = 1; t < remotes_.size(); ++t) threads.emplace_back(work, std::ref(*remotes_[t]));
    work(*remotes_.front());
    for (auto& t : threads) t.join();
  }

 private:
  explicit RemotePool(std::string token) : token_(std::move(token)) {}
  std::string token_;
  std::vector<std::unique_ptr<RestClient>> remotes_;
};

// ---- Progress --------------------------------------------------------------------------------

// A bar redrawn in place when stderr is a terminal; a plain line every few seconds otherwise
// (logs, CI). Clear() before printing anything else on a terminal. Thread-safe.
class Progress {
 public:
  Progress(std::string what, size_t total, bool tty)
      : what_(std::move(what)), total_(total), tty_(tty), start_(Clock::now()) {}

  void Update(size_t done, bool final = false) {
    std::lock_guard<std::mutex> lock(g_print_mu);
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
      std::fprintf(stderr, "\r%-8s [%s] %zu/%zu %3d%%  %.0f rows/s  ETA %.0f s\x1b[K%s",
                   what_.c_str(), bar.c_str(), done, total_, percent, rate, eta, final ? "\n" : "");
      drawn_ = !final;
    } else if (!final || done > 0) {
      std::fprintf(stderr, "import: %s %zu/%zu rows (%d%%), %.0f rows/s, ETA %.0f s\n",
                   what_.c_str(), done, total_, percent, rate, eta);
    }
    std::fflush(stderr);
  }

  void Clear() {
    std::lock_guard<std::mutex> lock(g_print_mu);
    if (tty_ && drawn_) std::fprintf(stderr, "\r\x1b[K");
    drawn_ = false;
  }

 private:
  std::string what_;
  size_t total_;
  bool tty_;
  Clock::time_point start_;
  Clock::time_point last_{};
  bool drawn_ = false;
};

bool StderrIsTty() { return ::isatty(::fileno(stderr)) == 1; }

// ---- The mapping's look-ups over HTTP ----------------------------------------------------------

// RegistrarResolver for the CLI: the institution's units are listed once (GET
// /v1/units?institution=, paginated) and matched locally; national IDs are looked up (GET
// /v1/learners/lookup) and accounts created (POST /v1/learners) over every connection.
class HttpResolver : public formats::RegistrarResolver {
 public:
  HttpResolver(RemotePool& pool, std::string institution)
      : pool_(pool), institution_(std::move(institution)) {}

  // Lists the institution's units; each one is also kept as a Unit for the recognition check.
  Status LoadUnits() {
    std::string cursor;
    for (;;) {
      std::string target = "/v1/units?institution=" + PathSegment(institution_) +
                           "&limit=" + std::to_string(kUnitPage);
      if (!cursor.empty()) target += "&cursor=" + PathSegment(cursor);
      LCB_ASSIGN_OR_RETURN(ClientResponse r, pool_.first().Send("GET", target, pool_.token()));
      if (r.status != 200) {
        return Status::Unavailable("GET /v1/units answered " + std::to_string(r.status) + ": " +
                                   ProblemDetail(r));
      }
      json page = json::parse(r.body, nullptr, false);
      if (!page.is_object() || !page.contains("items") || !page["items"].is_array()) {
        return Status::Internal("GET /v1/units: unexpected answer");
      }
      for (const json& item : page["items"]) {
        LCB_ASSIGN_OR_RETURN(Unit u, UnitFromServer(item));
        if (!u.id.starts_with(institution_ + ":")) continue;
        by_title_[u.title].push_back(u.id);
        units_.emplace(u.id, std::move(u));
      }
      if (!page.contains("next_cursor") || !page["next_cursor"].is_string()) break;
      cursor = page["next_cursor"].get<std::string>();
    }
    return Status::Ok();
  }

  const std::unordered_map<std::string, Unit>& units() const { return units_; }

  StatusOr<std::optional<std::string>> UnitByCode(std::string_view code) override {
    std::string id = institution_ + ":" + std::string(code);
    if (units_.count(id)) return std::optional<std::string>(std::move(id));
    return std::optional<std::string>();
  }

  StatusOr<std::vector<std::string>> UnitsByTitle(std::string_view title) override {
    auto it = by_title_.find(std::string(title));
    return it == by_title_.end() ? std::vector<std::string>() : it->second;
  }

  StatusOr<std::vector<std::optional<std::string>>> FindLearners(
      const std::vector<std::string>& ids) override {
    std::vector<std::optional<std::string>> out(ids.size());
    Progress progress("learners", ids.size(), StderrIsTty());
    LCB_RETURN_IF_ERROR(
        ForEachId(ids.size(), &progress, [&](RestClient& remote, size_t i) -> Status {
          LCB_ASSIGN_OR_RETURN(
              ClientResponse r,
              remote.Send("GET", "/v1/learners/lookup?national_id=" + PathSegment(ids[i]),
                          pool_.token()));
          if (r.status == 404) return Status::Ok();
          if (r.status != 200) return Refused("GET /v1/learners/lookup", r);
          LCB_ASSIGN_OR_RETURN(out[i], IdOf(r));
          return Status::Ok();
        }));
    return out;
  }

  StatusOr<std::vector<std::string>> CreateLearners(
      const std::vector<formats::NewLearner>& learners) override {
    std::vector<std::string> out(learners.size());
    Progress progress("accounts", learners.size(), StderrIsTty());
    LCB_RETURN_IF_ERROR(
        ForEachId(learners.size(), &progress, [&](RestClient& remote, size_t i) -> Status {
          json body = {{"national_id", learners[i].national_id}};
          if (!learners[i].display_name.empty()) body["display_name"] = learners[i].display_name;
          LCB_ASSIGN_OR_RETURN(ClientResponse r,
                               remote.Send("POST", "/v1/learners", pool_.token(), Dump(body)));
          if (r.status != 200 && r.status != 201) return Refused("POST /v1/learners", r);
          LCB_ASSIGN_OR_RETURN(std::optional<std::string> id, IdOf(r));
          out[i] = std::move(*id);
          return Status::Ok();
        }));
    return out;
  }

 private:
  static Status Refused(const char* what, const ClientResponse& r) {
    return Status::Unavailable(std::string(what) + " answered " + std::to_string(r.status) + ": " +
                               ProblemDetail(r));
  }

  static StatusOr<std::optional<std::string>> IdOf(const ClientResponse& r) {
    json doc = json::parse(r.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("id") || !doc["id"].is_string()) {
      return Status::Internal("unexpected learner answer from the server");
    }
    return std::optional<std::string>(doc["id"].get<std::string>());
  }

  // Runs step(remote, i) for i in [0, n) over the pool; the first failure is returned.
  Status ForEachId(size_t n, Progress* progress,
                   const std::function<Status(RestClient&, size_t)>& step) {
    std::mutex mu;
    Status first = Status::Ok();
    std::atomic<size_t> done{0};
    pool_.ParallelFor(n, [&](RestClient& remote, size_t i) {
      Status s = step(remote, i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first.ok()) first = s;
        return false;
      }
      progress->Update(++done);
      return true;
    });
    progress->Clear();
    return first;
  }

  RemotePool& pool_;
  std::string institution_;
  std::unordered_map<std::string, Unit> units_;
  std::unordered_map<std::string, std::vector<std::string>> by_title_;
};

// ---- Phase 2: validate -------------------------------------------------------------------------

struct Validated {
  size_t data_rows = 0;
  std::vector<Row> valid;             // file order
  std::vector<CellProblem> problems;  // file order
};

std::optional<std::string> CheckBytes(const ByteLimit& limit, std::string_view value) {
  if (value.size() <= limit.max_bytes) return std::nullopt;
  return "longer than " + std::to_string(limit.max_bytes) +
         " bytes (the limit of POST /v1/records)";
}

// Fetches every distinct unit named in `rows` that `units` lacks. Unknown units map to
// nullopt; any other failure (the server is down, answers 500) is returned.
Status FetchUnits(RestClient& remote, const std::string& token, const std::vector<Row>& rows,
                  std::unordered_map<std::string, std::optional<Unit>>* units) {
  for (const Row& row : rows) {
    const std::string& id = row.input.unit;
    if (id.empty() || id.size() > kUnitBytes.max_bytes || units->count(id)) continue;
    LCB_ASSIGN_OR_RETURN(ClientResponse r,
                         remote.Send("GET", "/v1/units/" + PathSegment(id), token));
    if (r.status == 404 || r.status == 400) {
      units->emplace(id, std::nullopt);
      continue;
    }
    if (r.status != 200) {
      return Status::Unavailable("GET /v1/units/" + id + " answered " + std::to_string(r.status) +
                                 ": " + ProblemDetail(r));
    }
    json doc = json::parse(r.body, nullptr, false);
    if (doc.is_discarded()) return Status::Internal("GET /v1/units/" + id + ": not JSON");
    LCB_ASSIGN_OR_RETURN(Unit unit, UnitFromServer(doc));
    units->emplace(id, std::move(unit));
  }
  return Status::Ok();
}

// The first problem of one row as POST /v1/records would see it, or nullopt.
std::optional<std::pair<std::string, std::string>> CheckRow(
    const Row& row, const std::unordered_map<std::string, std::optional<Unit>>& units,
    const Institution& issuer, const GradeScales& scales, Days today) {
  const RecordInput& in = row.input;
  const std::pair<ByteLimit, std::string_view> sized[] = {
      {kLearnerBytes, in.learner},
      {kUnitBytes, in.unit},
      {kExternalRefBytes, in.external_ref},
      {kScaleBytes, in.grade_scale},
      {kValueBytes, in.grade_value},
      {kAttendanceBytes, in.attendance ? std::string_view(*in.attendance) : ""}};
  for (const auto& [limit, value] : sized) {
    if (auto why = CheckBytes(limit, value)) return std::pair{std::string(limit.field), *why};
  }
  static const Unit kNoUnit;  // for rows without a unit: Recognize reports "/unit is required"
  const Unit* unit = &kNoUnit;
  if (!in.unit.empty()) {
    auto it = units.find(in.unit);
    if (it == units.end() || !it->second) {
      return std::pair{std::string("unit"), "no unit '" + in.unit + "' in the catalog"};
    }
    unit = &*it->second;
  }
  // A learner account the import will create is checked like any other id.
  RecordInput copy;
  const RecordInput* checked = &in;
  if (row.pending >= 0) {
    copy = in;
    copy.learner = "lrn_pending";
    checked = &copy;
  }
  auto rec = Recognize(*checked, *unit, issuer, scales, today);
  if (!rec.ok()) {
    return std::pair{formats::BankFieldOfPointer(rec.status().pointer()), rec.status().message()};
  }
  return std::nullopt;
}

Status Validate(MappedTable& table, const Institution& issuer, RestClient& remote,
                const std::string& token,
                std::unordered_map<std::string, std::optional<Unit>> units, Validated* out) {
  out->data_rows = table.table.rows.size();
  std::vector<Row> mapped;
  mapped.reserve(table.table.rows.size());
  for (size_t r = 0; r < table.table.rows.size(); ++r) {
    CsvRow& csv_row = table.table.rows[r];
    auto in = RecordInputFromCsvRow(table.table.header, csv_row.fields);
    if (!in.ok()) {
      out->problems.push_back(formats::ProblemForField(table, csv_row.line, in.status().pointer(),
                                                       in.status().message()));
      continue;
    }
    mapped.push_back(Row{csv_row.line, std::move(in).value(), r, table.pending_of_row[r]});
  }
  LCB_RETURN_IF_ERROR(FetchUnits(remote, token, mapped, &units));

  const GradeScales scales;
  const Days today = TodayUtc();
  std::unordered_map<std::string, int> first_line_of_ref;
  out->valid.reserve(mapped.size());
  for (Row& row : mapped) {
    auto problem = CheckRow(row, units, issuer, scales, today);
    if (!problem) {
      auto [it, inserted] = first_line_of_ref.emplace(row.input.external_ref, row.line);
      if (!inserted) {
        problem = std::pair{std::string("external_ref"),
                            "'" + row.input.external_ref + "' is also on line " +
                                std::to_string(it->second) + " (one record per external_ref)"};
      }
    }
    if (problem) {
      out->problems.push_back(
          formats::ProblemForField(table, row.line, problem->first, std::move(problem->second)));
      continue;
    }
    out->valid.push_back(std::move(row));
  }
  formats::SortProblems(&out->problems);
  return Status::Ok();
}

// ---- Phases 4 and 5: check and send ------------------------------------------------------------

struct Tally {
  std::mutex mu;
  size_t created = 0;
  size_t existing = 0;
  size_t skipped = 0;  // invalid rows left out (--skip-invalid)
  size_t failed = 0;   // rows meant to be stored that were not
};

enum class BatchResult { kDone, kRejected, kTooLarge, kFatal };

class Sender {
 public:
  Sender(RemotePool& pool, const ImportOptions& options, const MappedTable& table,
         const std::vector<Row>& rows, Progress& progress, Tally& tally)
      : pool_(pool),
        options_(options),
        table_(table),
        rows_(rows),
        progress_(progress),
        tally_(tally),
        batch_(options.batch) {}

  // Sends every row; returns false when it had to stop early (the rest counted as failed).
  bool Run() {
    return ForEachBatch([&](RestClient& remote, std::vector<size_t>& part) {
      BatchResult result = Post(remote, part);
      if (result == BatchResult::kRejected) {
        std::lock_guard<std::mutex> lock(tally_.mu);
        tally_.failed += part.size();
      }
      return result;
    });
  }

  // Rows handled so far: stored, dropped by the server's verdict, or failed.
  size_t processed() const { return processed_; }
  size_t unhandled() const { return rows_.size() - processed_; }

  // Asks the server to validate every batch without storing it (POST ?dry_run=true), which
  // catches what the file and catalog cannot show, such as unknown learner accounts, before
  // anything is stored. Problems are appended to `problems`; false when the check itself
  // could not be made (a message was printed).
  bool Check(std::vector<CellProblem>* problems) {
    std::mutex mu;
    return ForEachBatch([&](RestClient& remote, std::vector<size_t>& part) {
      auto r = remote.Send("POST", "/v1/records?dry_run=true", options_.token, Body(part));
      if (!r.ok()) {
        Say("creditbank import: cannot check " + Lines(part) +
            " with the server: " + r.status().message());
        return BatchResult::kFatal;
      }
      if (r->status == 200) return BatchResult::kDone;
      if (r->status == 413 && part.size() > 1) return BatchResult::kTooLarge;
      std::map<size_t, CellProblem> found =
          (r->status == 400 || r->status == 403 || r->status == 409)
              ? RowProblems(*r, part)
              : std::map<size_t, CellProblem>();
      if (found.empty()) {
        Say("creditbank import: cannot check " + Lines(part) + " with the server: it answered " +
            std::to_string(r->status) + ": " + ProblemDetail(*r));
        return BatchResult::kFatal;
      }
      std::lock_guard<std::mutex> lock(mu);
      for (auto& [idx, p] : found) problems->push_back(std::move(p));
      return BatchResult::kRejected;
    });
  }

 private:
  void Say(const std::string& message) {
    progress_.Clear();
    std::lock_guard<std::mutex> lock(g_print_mu);
    std::fprintf(stderr, "%s\n", message.c_str());
  }

  // The request body for rows_[part...]: {"records": [...]}.
  std::string Body(const std::vector<size_t>& part) const {
    json records = json::array();
    for (size_t idx : part) records.push_back(RecordInputToJson(rows_[idx].input));
    return Dump(json{{"records", std::move(records)}});
  }

  // Walks the rows in batches over the pool's connections, calling step(remote, part) with the
  // row indexes of each. A kTooLarge answer (413) halves the batch size for the rest and
  // retries this batch in halves; kFatal, or kTooLarge at size 1, stops every connection:
  // false.
  template <class Step>
  bool ForEachBatch(Step step) {
    const size_t batches = (rows_.size() + batch_ - 1) / batch_;
    const size_t first_batch = batch_;
    std::atomic<bool> ok{true};
    pool_.ParallelFor(batches, [&](RestClient& remote, size_t b) {
      const size_t begin = b * first_batch;
      const size_t end = std::min(rows_.size(), begin + first_batch);
      if (!Range(remote, begin, end, step)) {
        ok.store(false);
        return false;
      }
      return true;
    });
    return ok.load();
  }

  template <class Step>
  bool Range(RestClient& remote, size_t begin, size_t end, Step& step) {
    while (begin < end) {
      const size_t n = std::min(batch_.load(), end - begin);
      std::vector<size_t> part(n);
      for (size_t i = 0; i < n; ++i) part[i] = begin + i;
      BatchResult result = step(remote, part);
      if (result == BatchResult::kTooLarge && n > 1) {
        const size_t smaller = std::max<size_t>(1, n / 2);
        size_t expected = batch_.load();
        while (expected > smaller && !batch_.compare_exchange_weak(expected, smaller)) {
        }
        if (expected > smaller) {
          Say("import: the server refused " + std::to_string(n) +
              " records in one request; using batches of " + std::to_string(smaller));
        }
        continue;
      }
      if (result == BatchResult::kTooLarge || result == BatchResult::kFatal) return false;
      begin += n;
      progress_.Update(processed_ += n);
    }
    return true;
  }

  std::string Lines(const std::vector<size_t>& part) const {
    return "lines " + std::to_string(rows_[part.front()].line) + "-" +
           std::to_string(rows_[part.back()].line);
  }

  // Row problems named by a rejection: errors[].pointer and the top-level pointer
  // ("/records/<i>/<field>", i indexing `part`). Keyed by index into `part`.
  std::map<size_t, CellProblem> RowProblems(const ClientResponse& r,
                                            const std::vector<size_t>& part) const {
    std::map<size_t, CellProblem> out;
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
      const Row& row = rows_[part[idx]];
      out.emplace(idx, formats::ProblemForField(
                           table_, row.line, field,
                           detail.is_string() ? detail.get<std::string>() : "rejected"));
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
  BatchResult Post(RestClient& remote, std::vector<size_t>& part) {
    while (!part.empty()) {
      auto r = remote.Send("POST", "/v1/records", options_.token, Body(part));
      if (!r.ok()) {
        Say("creditbank import: " + Lines(part) + " not stored: " + r.status().message());
        return BatchResult::kFatal;
      }
      if (r->status == 200 || r->status == 201) return Count(*r, part);
      if (r->status == 413) return BatchResult::kTooLarge;
      std::map<size_t, CellProblem> problems =
          (r->status == 400 || r->status == 403 || r->status == 409)
              ? RowProblems(*r, part)
              : std::map<size_t, CellProblem>();
      progress_.Clear();
      if (problems.empty()) {
        Say("creditbank import: " + Lines(part) + " not stored: the server answered " +
            std::to_string(r->status) + ": " + ProblemDetail(*r));
        return BatchResult::kFatal;
      }
      if (!options_.skip_invalid) {
        for (const auto& [idx, p] : problems) PrintProblem(p);
        Say("import: the server rejected the batch of " + Lines(part) + " (" +
            std::to_string(part.size()) + " records); none of them was stored");
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
          std::lock_guard<std::mutex> lock(tally_.mu);
          ++tally_.skipped;
        }
      }
      part = std::move(keep);
    }
    return BatchResult::kDone;
  }

  // Counts created and existing records in a 200/201 answer. The server writes each record's
  // "status" as a fixed token (api/bank.cc), so counting the tokens avoids parsing the receipts
  // (about 1.3 KB of proof per record); a count that does not add up falls back to parsing.
  BatchResult Count(const ClientResponse& r, const std::vector<size_t>& part) {
    size_t created = Occurrences(r.body, "\"status\":\"created\"");
    size_t existing = Occurrences(r.body, "\"status\":\"existing\"");
    if (created + existing != part.size()) {
      json doc = json::parse(r.body, nullptr, false);
      if (!doc.is_object() || !doc.contains("records") || !doc["records"].is_array() ||
          doc["records"].size() != part.size()) {
        Say("creditbank import: " + Lines(part) + ": unexpected answer from the server");
        return BatchResult::kFatal;
      }
      created = existing = 0;
      for (const auto& rec : doc["records"]) {
        ++(rec.value("status", "") == "existing" ? existing : created);
      }
    }
    std::lock_guard<std::mutex> lock(tally_.mu);
    tally_.created += created;
    tally_.existing += existing;
    return BatchResult::kDone;
  }

  static size_t Occurrences(std::string_view text, std::string_view token) {
    size_t n = 0;
    for (size_t at = text.find(token); at != std::string_view::npos;
         at = text.find(token, at + token.size())) {
      ++n;
    }
    return n;
  }

  RemotePool& pool_;
  const ImportOptions& options_;
  const MappedTable& table_;
  const std::vector<Row>& rows_;
  Progress& progress_;
  Tally& tally_;
  std::atomic<size_t> batch_;
  std::atomic<size_t> processed_{0};
};

// ---- The command -----------------------------------------------------------------------------

constexpr const char* kImportFooter =
    "FILE (- reads stdin) is CSV in UTF-8 (with or without BOM), GB18030 or GBK, or an .xlsx\n"
    "workbook. Without --mapping its header is the bank's: learner, unit, external_ref,\n"
    "credits, hours, level, grade_scale, grade_value, completed_on, attendance,\n"
    "evidence_sha256 (empty cell = unset). With --mapping cn-registrar it has a Chinese\n"
    "registrar system's columns (学号, 姓名, 身份证号, 课程名称, 教育层次代码, 教育类别代码,\n"
    "学分, 学时, 成绩, 获得时间, ...): units are found by 课程代码 or 课程名称, learners by\n"
    "身份证号 (accounts created for new ones, named by 姓名). docs/registrar-formats.md\n"
    "describes the columns and the mapping file format.\n\n"
    "The whole file is checked first, against the server's catalog too, then by the server\n"
    "itself (?dry_run=true, which also knows the learner accounts); every bad line is\n"
    "reported as 'line N: <column>: <reason> (column X)' and nothing is stored unless\n"
    "--skip-invalid. Re-running is safe: records are idempotent by external_ref. Exit 0 only\n"
    "if every record meant to be stored was stored.";

// The checks CLI11 cannot express: --token is needed unless a dry run without a mapping
// (which stays local); the encoding name. Returns -1 when usable, else the exit code.
int CheckImportOptions(const std::string& encoding, ImportOptions* o) {
  if (o->token.empty() && (!o->dry_run || !o->mapping.empty())) {
    std::fprintf(stderr,
                 "creditbank import: --token is required (or env CREDITBANK_TOKEN) unless "
                 "--dry-run without --mapping\nRun with --help for more information.\n");
    return kExitUsage;
  }
  auto parsed = formats::ParseEncodingName(encoding);
  if (!parsed.ok()) {
    std::fprintf(stderr, "creditbank import: --encoding: %s\n", parsed.status().message().c_str());
    return kExitUsage;
  }
  o->encoding = *parsed;
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

StatusOr<formats::Mapping> LoadMapping(const std::string& name_or_file) {
  if (formats::BuiltinMappingText(name_or_file)) return formats::BuiltinMapping(name_or_file);
  auto text = ReadInput(name_or_file);
  if (!text.ok()) {
    return Status::NotFound("--mapping " + name_or_file +
                            ": neither a built-in mapping (cn-registrar) nor a readable file");
  }
  auto mapping = formats::ParseMapping(*text);
  if (!mapping.ok()) {
    return Status::InvalidArgument(
        Field(""), name_or_file + mapping.status().pointer() + ": " + mapping.status().message());
  }
  return mapping;
}

void PrintAll(const std::vector<CellProblem>& problems, const char* suffix = "") {
  for (const CellProblem& p : problems) PrintProblem(p, suffix);
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "creditbank import: %s\n", message.c_str());
  return 1;
}

// Phase 1: the file as the bank's table. nullopt (after printing why) when it cannot be used.
// With --skip-invalid, *skipped_lines counts the lines the mapping left out.
std::optional<MappedTable> ReadTable(const ImportOptions& options, HttpResolver* resolver,
                                     size_t* skipped_lines) {
  auto bytes = ReadInput(options.file);
  if (!bytes.ok()) {
    Fail(bytes.status().message());
    return std::nullopt;
  }
  formats::ReadOptions read;
  read.encoding = options.encoding;
  read.sheet = options.sheet;
  std::vector<CellProblem> problems;
  auto source = formats::ReadRegistrarFile(*bytes, read, &problems);
  bytes = std::string();  // the table holds its own copy of every cell
  if (!source.ok()) {
    PrintAll(problems);
    Fail(options.file + ": not read (" + std::to_string(problems.size()) + " problems)");
    return std::nullopt;
  }
  if (options.mapping.empty()) {
    auto table = formats::IdentityMapping(std::move(source).value(), &problems);
    if (!table.ok()) {
      for (CellProblem& p : problems) p.column = "header";  // "line 1: header: ..."
      PrintAll(problems);
      return std::nullopt;
    }
    return std::move(table).value();
  }
  auto mapping = LoadMapping(options.mapping);
  if (!mapping.ok()) {
    Fail(mapping.status().message());
    return std::nullopt;
  }
  if (Status s = resolver->LoadUnits(); !s.ok()) {
    Fail(s.message());
    return std::nullopt;
  }
  auto table = formats::ApplyMapping(*source, *mapping, *resolver, &problems);
  const size_t rows = source->table.rows.size();
  if (!table.ok() && problems.empty()) {
    Fail(table.status().message());
    return std::nullopt;
  }
  PrintAll(problems, options.skip_invalid && table.ok() ? " (skipped)" : "");
  if (!table.ok() || (!problems.empty() && !options.skip_invalid)) {
    Fail(std::to_string(problems.size()) + " problems in " + std::to_string(rows) +
         " rows; nothing was stored" +
         (table.ok() ? " (fix them, or pass --skip-invalid to store the valid lines)" : ""));
    return std::nullopt;
  }
  *skipped_lines = rows - std::min(rows, table->table.rows.size());
  return std::move(table).value();
}

// Phase 3: accounts for the learners the bank does not know yet, then their rows' ids.
Status CreateAccounts(HttpResolver& resolver, MappedTable* table, std::vector<Row>* rows) {
  if (table->pending.empty()) return Status::Ok();
  const size_t n = table->pending.size();
  LCB_RETURN_IF_ERROR(formats::CreatePendingLearners(resolver, table));
  const size_t learner_col = 0;  // kRecordCsvColumns[0] == "learner" in a mapped table
  for (Row& row : *rows) {
    if (row.pending < 0) continue;
    row.input.learner = table->table.rows[row.table_row].fields[learner_col];
    row.pending = -1;
  }
  std::fprintf(stderr, "import: created %zu learner accounts\n", n);
  return Status::Ok();
}

// Phase 4: the server's own check of every batch, stored nowhere. Returns -1 to go on, else
// the exit code. Rows whose learner account does not exist yet (--dry-run) are left out.
int ServerCheck(RemotePool& pool, const ImportOptions& options, const MappedTable& table,
                const std::vector<Row>& valid, size_t data_rows, bool* checked) {
  std::vector<Row> known;
  for (const Row& row : valid) {
    if (row.pending < 0) known.push_back(row);
  }
  Tally unused;
  Progress checking("checking", known.size(), StderrIsTty());
  Sender checker(pool, options, table, known, checking, unused);
  std::vector<CellProblem> refused;
  if (!checker.Check(&refused)) return 1;
  checking.Clear();
  formats::SortProblems(&refused);
  PrintAll(refused);
  if (!refused.empty()) {
    std::fprintf(stderr,
                 "creditbank import: the server's check refused %zu of %zu lines; nothing "
                 "was stored (fix them, or pass --skip-invalid to store the others)\n",
                 refused.size(), data_rows);
    return 1;
  }
  *checked = true;
  return -1;
}

int RunImport(const ImportOptions& options) {
  const auto started = Clock::now();

  auto pool = RemotePool::Connect(options);
  if (!pool.ok()) return Fail(pool.status().message());
  HttpResolver resolver(**pool, options.institution);

  // The issuing institution, as the server knows it.
  auto inst_reply = (*pool)->first().Send(
      "GET", "/v1/institutions/" + PathSegment(options.institution), options.token);
  if (!inst_reply.ok()) return Fail(inst_reply.status().message());
  if (inst_reply->status != 200) {
    return Fail(
        "institution '" + options.institution + "': " +
        (inst_reply->status == 404 ? "not registered in the catalog" : ProblemDetail(*inst_reply)));
  }
  auto issuer = InstitutionFromServer(json::parse(inst_reply->body, nullptr, false));
  if (!issuer.ok()) return Fail(issuer.status().message());
  if (issuer->require_signatures && !options.dry_run) {
    return Fail("institution '" + options.institution +
                "' requires signed submissions (X-JWS-Signature), which import does not make "
                "yet; post with a signing client");
  }

  // Phases 1 and 2: the file, mapped and checked against the catalog.
  size_t skipped_lines = 0;
  std::optional<MappedTable> table = ReadTable(options, &resolver, &skipped_lines);
  if (!table) return 1;
  std::unordered_map<std::string, std::optional<Unit>> units;
  for (const auto& [id, unit] : resolver.units()) units.emplace(id, unit);
  Validated checked;
  if (Status s =
          Validate(*table, *issuer, (*pool)->first(), options.token, std::move(units), &checked);
      !s.ok()) {
    return Fail(s.message());
  }
  PrintAll(checked.problems, options.skip_invalid ? " (skipped)" : "");
  const size_t invalid = checked.problems.size();
  if (invalid > 0 && !options.skip_invalid) {
    return Fail(std::to_string(invalid) + " of " + std::to_string(checked.data_rows) +
                " lines are invalid; nothing was stored (fix them, or pass --skip-invalid to "
                "store the " +
                std::to_string(checked.valid.size()) + " valid ones)");
  }

  // Phase 3: learner accounts (never for a dry run).
  if (!options.dry_run) {
    if (Status s = CreateAccounts(resolver, &*table, &checked.valid); !s.ok()) {
      return Fail(s.message());
    }
  }

  // Phase 4: the server's check, so that a learner id the file gets wrong on its last line
  // does not leave the batches before it stored. With --skip-invalid the rows the server
  // refuses are dropped batch by batch instead. (Not for an institution that requires signed
  // submissions: import does not sign, so only --dry-run gets here, and it stays local.)
  bool server_checked = false;
  if (!options.skip_invalid && !options.token.empty() && !issuer->require_signatures) {
    int code =
        ServerCheck(**pool, options, *table, checked.valid, checked.data_rows, &server_checked);
    if (code >= 0) return code;
  }
  if (options.dry_run) {
    const size_t pending = table->pending.size();
    std::printf("dry run: %zu records checked%s, %zu valid, %zu invalid; nothing was stored%s\n",
                checked.data_rows, server_checked ? " (also by the server)" : "",
                checked.valid.size(), invalid,
                pending ? (" (" + std::to_string(pending) +
                           " learners are not in the bank yet: their rows were checked here only)")
                              .c_str()
                        : "");
    return 0;
  }

  // Phase 5: the records.
  Tally tally;
  tally.skipped = invalid + skipped_lines;
  Progress progress("storing", checked.valid.size(), StderrIsTty());
  const auto send_started = Clock::now();
  Sender sender(**pool, options, *table, checked.valid, progress, tally);
  if (!sender.Run()) {
    tally.failed += sender.unhandled();
    progress.Clear();
    std::fprintf(stderr,
                 "creditbank import: stopped early; re-run to store the rest (records "
                 "already stored are recognized by their external_ref)\n");
  }
  progress.Update(sender.processed(), /*final=*/true);

  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  const double send_seconds = std::chrono::duration<double>(Clock::now() - send_started).count();
  const size_t stored = tally.created + tally.existing;
  const int retries = (*pool)->retries();
  std::printf(
      "import %s: created %zu, already present %zu, skipped %zu, failed %zu; %.1f s, "
      "%.0f rows/s overall, %.0f records/s stored%s\n",
      options.file.c_str(), tally.created, tally.existing, tally.skipped, tally.failed, elapsed,
      elapsed > 0 ? static_cast<double>(checked.data_rows) / elapsed : 0.0,
      send_seconds > 0 ? static_cast<double>(stored) / send_seconds : 0.0,
      retries > 0 ? (" (" + std::to_string(retries) + " retries)").c_str() : "");
  return tally.failed == 0 ? 0 : 1;
}

}  // namespace

void AddImportCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<ImportOptions>();
  auto encoding = std::make_shared<std::string>();
  CLI::App* cmd = parent.add_subcommand(
      "import", "post a registrar's CSV of records in batches (validated first)");
  cmd->footer(kImportFooter);
  cmd->add_option("--file", o->file, "the registrar's CSV or XLSX file (- reads stdin)")
      ->type_name("FILE")
      ->required();
  cmd->add_option("--institution", o->institution, "the issuing institution (the token's)")
      ->type_name("ID")
      ->required();
  AddServerFlags(cmd, o.get(), /*server_required=*/true,
                 "an institution:<ID> token (not needed for --dry-run without a mapping)");
  cmd->add_option("--mapping", o->mapping, "cn-registrar (built in) or a mapping file (JSON)")
      ->type_name("M");
  cmd->add_option("--encoding", *encoding,
                  "CSV text encoding: utf-8, gb18030 or gbk (default: UTF-8 if the file is "
                  "valid UTF-8, else GB18030)")
      ->type_name("E");
  cmd->add_option("--sheet", o->sheet, "the XLSX sheet to read (default: the first)")
      ->type_name("NAME");
  cmd->add_option("--batch", o->batch, "records per request")
      ->type_name("N")
      ->check(CLI::Range(size_t{1}, kMaxBatch))
      ->capture_default_str();
  cmd->add_option("--connections", o->connections, "keep-alive connections used in parallel")
      ->type_name("N")
      ->check(CLI::Range(1, kMaxConnections))
      ->capture_default_str();
  cmd->add_flag("--skip-invalid", o->skip_invalid,
                "store the valid records, list the skipped lines");
  cmd->add_flag("--dry-run", o->dry_run,
                "validate only (with the server too when a token is given); store nothing, "
                "create no learner account");
  cmd->callback([o, encoding, exit_code] {
    int code = CheckImportOptions(*encoding, o.get());
    *exit_code = code >= 0 ? code : RunImport(*o);
  });
}

int CmdImport(const CommandArgs& args) { return RunCommand(AddImportCommand, args); }

}  // namespace lcb
