// Records, learners, grants and the passbook.
#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <unordered_map>
#include <unordered_set>

#include "api/handler_util.h"
#include "api/routes.h"
#include "api/views.h"
#include "codec/mapping.h"
#include "common/csv.h"
#include "common/encoding.h"
#include "formats/mapping.h"
#include "formats/mapping_apply.h"
#include "formats/text_encoding.h"
#include "formats/upload.h"
#include "formats/xlsx.h"

namespace lcb {
namespace {

// "posted twice in one request: also at /records/<i>/..." with record i's line instead; `text`
// unchanged when it has no such pointer (or i is not a row of the file).
std::string RepeatOnItsLine(const std::string& text, const std::vector<int>& lines) {
  const std::string also = std::string(kPostedTwice) + ": also at ";
  const size_t at = text.find(also);
  if (at == std::string::npos) return text;
  const size_t ptr = at + also.size();
  const size_t end = text.find_first_of(" ;)", ptr);
  const std::string pointer =
      text.substr(ptr, end == std::string::npos ? std::string::npos : end - ptr);
  const size_t other = RecordIndexOf(pointer);
  if (other >= lines.size()) return text;
  return text.substr(0, at) + std::string(kPostedTwice) + ": also on line " +
         std::to_string(lines[other]) + (end == std::string::npos ? "" : text.substr(end));
}

// Turns "/records/<i>/field" into the CSV line of row i, for registrars fixing their file.
void AddCsvLines(HttpResponse* r, const std::vector<int>& lines) {
  json doc = json::parse(r->body, nullptr, false);
  if (doc.is_discarded() || !doc.contains("errors")) {
    // One problem: the detail is its own.
    if (!doc.is_discarded() && doc.contains("detail") && doc["detail"].is_string()) {
      doc["detail"] = RepeatOnItsLine(doc["detail"], lines);
      r->body = Dump(doc);
    }
    return;
  }
  if (doc.contains("detail") && doc["detail"].is_string()) {
    doc["detail"] = RepeatOnItsLine(doc["detail"], lines);
  }
  for (auto& e : doc["errors"]) {
    std::string ptr = e.value("pointer", "");
    const size_t idx = RecordIndexOf(ptr);
    if (idx < lines.size()) {
      e["line"] = lines[idx];
      auto slash = ptr.find('/', 9);
      e["field"] = slash == std::string::npos ? "" : ptr.substr(slash + 1);
      // A repeated external_ref names the other record by its pointer: here, by its line.
      e["detail"] = RepeatOnItsLine(e.value("detail", ""), lines);
    }
  }
  r->body = Dump(doc);
}

// Rows POST /v1/records/table reads from one file at most.
constexpr size_t kMaxTableRows = 100'000;

// A POST /v1/records body once read: the inputs, whether it was a batch, and for a CSV body
// each row's line in the file (error responses name lines, not array indexes). A file's rows
// that do not read as records have their problems in `unreadable`, so that the others are
// still checked (CheckRows) and one answer names every problem of the file: a short row has an
// empty input in its place (its index in `stand_ins`); a row with cells that do not read (a bad
// number) has one problem per such cell and the rest of its cells as its input, which is still
// recognized, so that its other problems are named too.
struct PostBody {
  std::vector<RecordInput> inputs;
  std::vector<int> csv_lines;
  bool batch = true;
  BatchErrors unreadable;
  std::unordered_set<size_t> stand_ins;
};

// A 400 for a file that could not be read, with every problem found (line, column, letter).
HttpResponse FileProblem(std::string_view detail, const std::vector<formats::CellProblem>& problems,
                         const std::string& request_id) {
  HttpResponse r =
      ProblemResponse(Status::InvalidArgument(Field("/body"), std::string(detail)), request_id);
  json problem = json::parse(r.body);
  problem["errors"] = formats::ProblemsJson(problems);
  r.body = Dump(problem);
  return r;
}

// The answer to a file formats::ReadRecordUpload refused: a bad file (InvalidArgument with no
// pointer) is the 400 listing every problem found; a refused media type or charset, or a
// failure of the store behind a mapping, answers as its status says.
HttpResponse UploadProblem(const Status& s, const std::vector<formats::CellProblem>& problems,
                           const std::string& request_id) {
  if (s.code() == StatusCode::kInvalidArgument && s.pointer().empty()) {
    return FileProblem(s.message(), problems, request_id);
  }
  return ProblemResponse(s, request_id);
}

// The rows of a file in the bank's CSV header (CSV or XLSX), each with its line in the file; a
// row that does not read as a record is left in out->unreadable. False when it has responded
// (too many rows).
bool ReadTableRows(const HttpRequest& req, const CsvTable& table, int max_batch,
                   const Respond& respond, PostBody* out) {
  if (table.rows.size() > static_cast<size_t>(max_batch)) {
    respond(ProblemResponse(
        Status::ResourceExhausted(Field("/records"),
                                  "a request holds at most " + std::to_string(max_batch) +
                                      " records; split the file (creditbank import does)"),
        req.request_id));
    return false;
  }
  std::vector<Status> cells;
  for (size_t i = 0; i < table.rows.size(); ++i) {
    cells.clear();
    auto in = RecordInputFromCsvRow(table.header, table.rows[i].fields, &cells);
    out->csv_lines.push_back(table.rows[i].line);
    const std::string prefix = "/records/" + std::to_string(i);
    if (!in.ok()) {
      out->unreadable.errors.push_back(in.status().WithPointerPrefix(prefix));
      out->inputs.emplace_back();
      out->stand_ins.insert(i);
      continue;
    }
    for (const Status& cell : cells)
      out->unreadable.errors.push_back(cell.WithPointerPrefix(prefix));
    out->inputs.push_back(std::move(in).value());
  }
  return true;
}

// Every check of a request's records before anything is stored, in one pass, so that a
// registrar meets every problem of a file at once rather than in rounds: the rows that did not
// read (body.unreadable), each record's recognition (unknown unit or learner, bad grade, date
// in the future...), and idempotency conflicts with stored records or within the request of
// the rows with neither problem (CheckConflicts over the entries when every row recognizes,
// else CheckInputConflicts over the inputs). The problems are in *errors in row order; within a
// row, its cells that did not read, then recognition's in field order (every problem of a row;
// BatchProblem lists at most 1,000); the one returned is the
// headline: the first that is the client's to fix in the file (400) before a conflict (409). Ok
// with the entries when there is none.
StatusOr<std::vector<LogEntry>> CheckRows(
    RecordService& records, const std::string& issuer, const Submission& submission,
    const PostBody& body, BatchErrors* errors,
    const std::unordered_set<std::string>* new_learners = nullptr) {
  BatchErrors recognized, conflicts;
  auto entries =
      records.Validate(issuer, body.inputs, body.batch, submission, &recognized, new_learners);
  if (!entries.ok() && recognized.empty()) return entries.status();  // not a record's problem
  const Status conflict = entries.ok() && body.unreadable.empty()
                              ? records.CheckConflicts(*entries, &conflicts)
                              : records.CheckInputConflicts(issuer, body.inputs, &conflicts);
  if (!conflict.ok() && conflicts.empty()) return conflict;  // the store failed
  if (entries.ok() && body.unreadable.empty() && conflicts.empty()) return entries;
  // A short row stands in as an empty record: its only problem is that it did not read. A row
  // with cells that did not read is recognized without them (their fields unset), so its other
  // problems come too. A row that does not read or recognize is not also said to conflict: its
  // key's stored record may be this very row as it was meant (a mistyped unit), which posts
  // again once corrected.
  std::unordered_set<size_t> unreadable, unrecognized;
  for (const Status& e : body.unreadable.errors) unreadable.insert(RecordIndexOf(e.pointer()));
  std::vector<Status> all = body.unreadable.errors;
  for (const Status& e : recognized.errors) {
    const size_t row = RecordIndexOf(e.pointer());
    if (body.stand_ins.count(row)) continue;
    unrecognized.insert(row);
    all.push_back(e);
  }
  for (const Status& e : conflicts.errors) {
    const size_t row = RecordIndexOf(e.pointer());
    if (!unreadable.count(row) && !unrecognized.count(row)) all.push_back(e);
  }
  std::stable_sort(all.begin(), all.end(), [](const Status& a, const Status& b) {
    return RecordIndexOf(a.pointer()) < RecordIndexOf(b.pointer());
  });
  auto headline = std::find_if(all.begin(), all.end(), [](const Status& e) {
    return e.code() == StatusCode::kInvalidArgument;
  });
  Status first = headline == all.end() ? all.front() : *headline;
  errors->errors = std::move(all);
  return first;
}

// Decodes a text/csv body by its charset (gb18030 or gbk, what Excel writes on a Chinese
// Windows, or utf-8; none = UTF-8) and reads its rows into *out, as ReadXlsxBody does: rows the
// file cannot give whole (a short line, a value under no header) in the table's `refused`, their
// problems in *problems. Nothing when it has responded.
std::optional<formats::MappedTable> ReadCsvBody(const HttpRequest& req, const std::string& type,
                                                int max_batch, const Respond& respond,
                                                PostBody* out,
                                                std::vector<formats::CellProblem>* problems) {
  const std::optional<std::string> charset = formats::CharsetOfContentType(type);
  auto encoding = formats::ParseEncodingName(charset.value_or("utf-8"));
  if (!encoding.ok() || *encoding == formats::Encoding::kAuto) {
    respond(ProblemResponse(Status::InvalidArgument(Field("/content-type"),
                                                    "charset '" + charset.value_or("") +
                                                        "' is not one of utf-8, gb18030, gbk"),
                            req.request_id));
    return std::nullopt;
  }
  // A workbook sent as text/csv is named as one, rather than as bytes that are not UTF-8.
  if (Status s = formats::CheckCsvBody(req.body, req.Query("sheet") != nullptr); !s.ok()) {
    respond(ProblemResponse(s, req.request_id));
    return std::nullopt;
  }
  std::vector<formats::CellProblem> bad_bytes;
  auto decoded = formats::DecodeText(req.body, *encoding, &bad_bytes);
  if (!decoded.ok()) {
    respond(FileProblem(decoded.status().message(), bad_bytes, req.request_id));
    return std::nullopt;
  }
  CsvLimits limits;
  limits.keep_ragged_rows = true;  // a line of another width is a problem of its row
  limits.skip_empty_records = true;  // ",,,,": a row Excel wrote for formatting only
  auto table = ParseCsv(decoded->text, limits);
  if (!table.ok()) {
    respond(ProblemResponse(table.status(), req.request_id));
    return std::nullopt;
  }
  // The header as exports lay it out: title rows above it, or starting in a later column.
  formats::SourceTable source;
  source.letters = formats::ColumnLetters(table->header.size());
  source.table = std::move(table).value();
  std::vector<formats::CellProblem> row_problems;
  if (Status header = formats::LocateBankHeader(&source, &row_problems); !header.ok()) {
    respond(ProblemResponse(Status::InvalidArgument(Field("/header" + header.pointer()),
                                                    "CSV header (line " +
                                                        std::to_string(source.table.header_line) +
                                                        "): " + header.message()),
                            req.request_id));
    return std::nullopt;
  }
  formats::MappedTable mapped =
      formats::BankHeaderTable(std::move(source), std::move(row_problems), problems);
  if (!ReadTableRows(req, mapped.table, max_batch, respond, out)) return std::nullopt;
  return mapped;
}

// An XLSX workbook in the bank's CSV header (the first sheet, or ?sheet=NAME), read as
// `creditbank import` reads one (formats/upload.h): shared and inline strings, numbers stored as
// text, dates as serials or text. Every bad cell is named by its line, column and letter; a
// column mapping (cn-registrar) is the importer's, which creates learner accounts first. The
// table, its rows in *out; rows the file cannot give whole (a cell without its value) in its
// `refused`, their problems in *problems, for the caller to answer with the file's other
// problems (RefusedRowsProblem). Nothing when it has responded.
std::optional<formats::MappedTable> ReadXlsxBody(const HttpRequest& req, const std::string& type,
                                                 int max_batch, const Respond& respond,
                                                 PostBody* out,
                                                 std::vector<formats::CellProblem>* problems) {
  formats::UploadOptions options;
  if (const std::string* sheet = req.Query("sheet")) options.sheet = *sheet;
  options.return_refused_rows = true;
  auto mapped = formats::ReadRecordUpload(type, req.body, options, nullptr, problems);
  if (!mapped.ok()) {
    respond(UploadProblem(mapped.status(), *problems, req.request_id));
    return std::nullopt;
  }
  if (!ReadTableRows(req, mapped->table, max_batch, respond, out)) return std::nullopt;
  return std::move(mapped).value();
}

// ?sheet= and ?mapping= of a file upload. False when it has responded (an unknown mapping).
bool UploadQuery(const HttpRequest& req, const Respond& respond, formats::UploadOptions* options) {
  if (const std::string* sheet = req.Query("sheet")) options->sheet = *sheet;
  if (const std::string* mapping = req.Query("mapping")) {
    if (!formats::BuiltinMappingText(*mapping)) {
      respond(ProblemResponse(
          Status::InvalidArgument(Field("/mapping"), "is not a built-in mapping (cn-registrar)"),
          req.request_id));
      return false;
    }
    options->mapping = *mapping;
  }
  return true;
}

// A refusal of mapped rows, each error also naming the file's own column (成绩, letter J)
// besides its line and bank field.
HttpResponse MappedBatchProblem(const Status& first, const BatchErrors& errors,
                                const std::vector<int>& lines, const formats::MappedTable& table,
                                const std::string& request_id) {
  HttpResponse r = BatchProblem(first, errors, request_id);
  AddCsvLines(&r, lines);
  json doc = json::parse(r.body, nullptr, false);
  if (doc.is_discarded() || !doc.contains("errors")) return r;
  for (json& e : doc["errors"]) {
    const std::string ptr = e.value("pointer", "");
    if (!ptr.starts_with("/records/") || !e.contains("line")) continue;
    const size_t slash = ptr.find('/', 9);
    const formats::CellProblem p = formats::ProblemForField(
        table, e["line"].get<int>(), slash == std::string::npos ? "" : ptr.substr(slash), "");
    if (!p.letter.empty()) {
      e["column"] = p.column;
      e["letter"] = p.letter;
    }
  }
  r.body = Dump(doc);
  return r;
}

// The look-ups a column mapping needs (formats/mapping_apply.h), over the server's own services
// for the calling institution: its units by code and by title, learners by national ID (HMAC),
// and new accounts created as POST /v1/learners creates them (one per national ID).
class ServiceResolver final : public formats::RegistrarResolver {
 public:
  ServiceResolver(CatalogService& catalog, LearnerService& learners, const Principal& caller)
      : catalog_(catalog), learners_(learners), caller_(caller) {}

  StatusOr<std::optional<std::string>> UnitByCode(std::string_view code) override {
    std::string id = caller_.subject + ":" + std::string(code);
    auto unit = catalog_.GetUnit(id);
    if (unit.ok()) return std::optional<std::string>(std::move(id));
    if (unit.status().code() == StatusCode::kNotFound ||
        unit.status().code() == StatusCode::kInvalidArgument) {
      return std::optional<std::string>();
    }
    return unit.status();
  }

  StatusOr<std::vector<std::string>> UnitsByTitle(std::string_view title) override {
    if (!titles_loaded_) {
      std::string cursor;
      do {
        LCB_ASSIGN_OR_RETURN(CatalogPage<Unit> page,
                             catalog_.ListUnits(caller_.subject + ":", cursor, 1000));
        for (const CatalogItem<Unit>& item : page.items) {
          by_title_[item.value.title].push_back(item.value.id);
        }
        cursor = page.next_cursor;
      } while (!cursor.empty());
      titles_loaded_ = true;
    }
    auto it = by_title_.find(std::string(title));
    return it == by_title_.end() ? std::vector<std::string>() : it->second;
  }

  StatusOr<std::vector<std::optional<std::string>>> FindLearners(
      const std::vector<std::string>& national_ids) override {
    std::vector<std::optional<std::string>> out(national_ids.size());
    for (size_t i = 0; i < national_ids.size(); ++i) {
      auto id = learners_.Lookup(national_ids[i]);
      if (id.ok()) {
        out[i] = std::move(id).value();
      } else if (id.status().code() != StatusCode::kNotFound) {
        return id.status();
      }
    }
    return out;
  }

  StatusOr<std::vector<std::string>> CreateLearners(
      const std::vector<formats::NewLearner>& learners) override {
    std::vector<std::string> out;
    out.reserve(learners.size());
    for (const formats::NewLearner& in : learners) {
      NewLearner account;
      account.national_id = in.national_id;
      if (!in.display_name.empty()) account.display_name = in.display_name;
      if (!in.region.empty()) account.region = in.region;
      LCB_ASSIGN_OR_RETURN(LearnerAccount made, learners_.Create(account, caller_));
      out.push_back(std::move(made.id));
    }
    return out;
  }

 private:
  CatalogService& catalog_;
  LearnerService& learners_;
  const Principal& caller_;
  bool titles_loaded_ = false;
  std::unordered_map<std::string, std::vector<std::string>> by_title_;
};

// The learners of a mapped file that have no account yet stand in as "(new learner N)" (rows
// of body, parallel to mapped.table.rows), so that their records are checked as any other
// before the accounts are made. The stand-ins, for CheckRows.
std::unordered_set<std::string> StandInNewLearners(const formats::MappedTable& mapped,
                                                   PostBody* body) {
  std::unordered_set<std::string> stand_ins;
  for (size_t r = 0; r < body->inputs.size() && r < mapped.pending_of_row.size(); ++r) {
    if (const int p = mapped.pending_of_row[r]; p >= 0) {
      body->inputs[r].learner = "(new learner " + std::to_string(p + 1) + ")";
      stand_ins.insert(body->inputs[r].learner);
    }
  }
  return stand_ins;
}

// The answer to a file with rows that did not read whole (`problems`, theirs: a cell the mapping
// refuses, an XLSX cell without its value): every other problem of the file with them, as
// `creditbank import` reports it. The rows that read are checked as they would be stored
// (recognition, and conflicts with stored records), and the refused rows are recognized as far
// as they read, less what is said of their refused cells (an empty grade "is required" after
// "良" is not a grade). A 400 listing them all by line, column and letter; nothing is stored and
// no account is made.
HttpResponse RefusedRowsProblem(RecordService& records, const std::string& issuer,
                                const Submission& submission, const formats::MappedTable& mapped,
                                PostBody body, std::vector<formats::CellProblem> problems,
                                const std::string& request_id) {
  const size_t mapped_rows = body.inputs.size();
  // Accounts not made yet, and the learners of refused rows (found by national ID or not),
  // stand in as accounts: whether one exists is not a problem of this file.
  std::unordered_set<std::string> stand_ins = StandInNewLearners(mapped, &body);
  const std::string refused_learner = "(learner of a refused row)";
  std::vector<Status> cells;
  for (const formats::RefusedRow& refused : mapped.refused) {
    cells.clear();
    auto in = RecordInputFromCsvRow(mapped.table.header, refused.row.fields, &cells);
    body.inputs.push_back(in.ok() ? std::move(in).value() : RecordInput{});
    body.csv_lines.push_back(refused.row.line);
    if (refused.learner_by_national_id) {
      body.inputs.back().learner = refused_learner;
      stand_ins.insert(refused_learner);
    }
  }
  BatchErrors errors;
  auto entries = CheckRows(records, issuer, submission, body, &errors, &stand_ins);
  if (!entries.ok() && errors.empty()) return ProblemResponse(entries.status(), request_id);
  for (const Status& e : errors.errors) {
    const size_t row = RecordIndexOf(e.pointer());
    if (row >= body.inputs.size()) continue;
    const std::string& ptr = e.pointer();
    const size_t slash = ptr.find('/', 9);  // after "/records/"
    const std::string tail = slash == std::string::npos ? "" : ptr.substr(slash);
    if (row >= mapped_rows) {
      // A refused row is never stored, so a conflict of its key says nothing.
      if (e.code() != StatusCode::kInvalidArgument) continue;
      if (mapped.refused[row - mapped_rows].Refuses(formats::BankFieldOfPointer(tail))) continue;
    }
    problems.push_back(
        formats::ProblemForField(mapped, body.csv_lines[row], tail, std::string(e.message())));
  }
  formats::SortProblems(&problems);
  return FileProblem(formats::FormatProblem(problems.front()), problems, request_id);
}

// POST /v1/records/table: a registrar file (XLSX, the first sheet or ?sheet=NAME; or CSV in a
// supported charset) read as POST /v1/records would read it, answered as rows in the bank's CSV
// header, each with its line in the file, and the file's column letter of each header column.
// The file's form is checked (every bad cell named by line, column and letter); the records are
// not, and nothing is stored: the portal converts a workbook once this way and then checks and
// posts it in batches as CSV, naming the workbook's rows and columns in its report.
//
// ?mapping=cn-registrar reads a Chinese registrar export (formats/mapping.h) into the bank's
// header: units found in the caller's catalog, learners by national ID. Learners the bank does
// not know yet are created, as `creditbank import` creates them, only with
// ?create_learners=true and only once every row of the file passes every check its posting
// would make (the mapping; recognition, the new accounts standing in; conflicts with stored
// records and within the file), so that a file refused later leaves no account behind: a file
// with a problem is answered with all of them (400, or 409 for conflicts alone, each naming its
// line and the file's column). Otherwise the new learners' cells are empty and
// `pending_learners` counts them.
void ReadRecordTable(RecordService& records, CatalogService& catalog, LearnerService& learners,
                     const RouteContext& ctx, const Respond& respond) {
  const HttpRequest& req = ctx.request;
  const std::string* type = req.Header("content-type");  // any other is refused, "/content-type"
  formats::UploadOptions options;
  bool create_learners = false;
  if (!UploadQuery(req, respond, &options) ||
      !QueryBool(ctx, respond, "create_learners", &create_learners)) {
    return;
  }
  // The answer holds every row: a file of tiny rows must not become a huge answer (and its
  // memory). 100,000 rows is a term's grades of a large university; split larger files.
  options.csv.max_rows = options.xlsx.max_rows = kMaxTableRows;
  const std::string& issuer = ctx.principal.subject;
  ServiceResolver resolver(catalog, learners, ctx.principal);
  std::vector<formats::CellProblem> problems;
  options.return_refused_rows = true;
  auto mapped =
      formats::ReadRecordUpload(type ? *type : "", req.body, options, &resolver, &problems);
  if (!mapped.ok()) return respond(UploadProblem(mapped.status(), problems, req.request_id));
  size_t created = 0;
  if (!problems.empty() || (create_learners && !mapped->pending.empty())) {
    // The whole file is checked here, however many rows it has (the portal posts it in batches
    // once it passes): a file with rows that do not read is answered with every problem it
    // has, and accounts are made only for a file without any.
    PostBody body;
    if (!ReadTableRows(req, mapped->table, std::numeric_limits<int>::max(), respond, &body)) {
      return;
    }
    if (!problems.empty()) {
      return respond(RefusedRowsProblem(records, issuer, Submission{}, *mapped, std::move(body),
                                        std::move(problems), req.request_id));
    }
    const std::unordered_set<std::string> stand_ins = StandInNewLearners(*mapped, &body);
    BatchErrors errors;
    auto entries = CheckRows(records, issuer, Submission{}, body, &errors, &stand_ins);
    if (!entries.ok()) {
      return respond(
          MappedBatchProblem(entries.status(), errors, body.csv_lines, *mapped, req.request_id));
    }
    created = mapped->pending.size();
    if (Status made = formats::CreatePendingLearners(resolver, &*mapped); !made.ok()) {
      return respond(ProblemResponse(made, req.request_id));
    }
  }
  json letters = json::array(), columns = json::array();
  for (const formats::FieldSource& source : mapped->sources) {
    letters.push_back(source.letter);
    columns.push_back(source.column);
  }
  json rows = json::array();
  for (const CsvRow& row : mapped->table.rows) {
    rows.push_back({{"line", row.line}, {"fields", row.fields}});
  }
  respond(JsonResponse(200, json{{"header", mapped->table.header},
                                 {"header_line", mapped->table.header_line},
                                 {"letters", std::move(letters)},
                                 {"columns", std::move(columns)},
                                 {"pending_learners", mapped->pending.size()},
                                 {"created_learners", created},
                                 {"rows", std::move(rows)}}));
}

// Reads {"records": [...]} or one record as a JSON tree (the slow path, which names every
// error). False when it has responded.
bool ReadJsonBody(RouteContext& ctx, int max_batch, const Respond& respond, PostBody* out) {
  const HttpRequest& req = ctx.request;
  json body;
  if (!ParseJsonRequest(ctx, respond, &body,
                        "application/json, text/csv or "
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")) {
    return false;
  }
  if (!body.contains("records")) {
    out->batch = false;
    auto in = RecordInputFromJson(body, "");
    if (!in.ok()) {
      respond(ProblemResponse(in.status(), req.request_id));
      return false;
    }
    out->inputs.push_back(std::move(in).value());
    return true;
  }
  const json& arr = body["records"];
  Status shape = Status::Ok();
  if (!arr.is_array()) {
    shape = Status::InvalidArgument(Field("/records"), "must be an array");
  } else if (body.size() != 1) {
    shape = Status::InvalidArgument(Field(""), "a batch is {\"records\": [...]} and nothing else");
  } else if (arr.size() > static_cast<size_t>(max_batch)) {
    shape = Status::ResourceExhausted(Field("/records"),
                                      "a batch holds at most " + std::to_string(max_batch) +
                                          " records, this one has " + std::to_string(arr.size()));
  }
  if (!shape.ok()) {
    respond(ProblemResponse(shape, req.request_id));
    return false;
  }
  // A record that does not read (a missing field, a wrong type) stands in as an empty one, as a
  // CSV row that does not read does: the batch is refused with every other record's problems
  // too (PostRecords checks it as a dry run), not with the reading problems alone.
  for (size_t i = 0; i < arr.size(); ++i) {
    auto in = RecordInputFromJson(arr[i], "/records/" + std::to_string(i));
    if (!in.ok()) {
      out->unreadable.errors.push_back(in.status());
      out->inputs.emplace_back();
      out->stand_ins.insert(i);
      continue;
    }
    out->inputs.push_back(std::move(in).value());
  }
  return true;
}

// The 400 of a posting's refused records: for a file (`table`, CSV or XLSX), each problem also
// names its line and the file's own column and letter.
HttpResponse RecordsProblem(const Status& first, const BatchErrors& errors,
                            const std::vector<int>& lines, const formats::MappedTable* table,
                            const std::string& request_id) {
  if (table != nullptr) return MappedBatchProblem(first, errors, lines, *table, request_id);
  HttpResponse r = BatchProblem(first, errors, request_id);
  if (!lines.empty()) AddCsvLines(&r, lines);
  return r;
}

// ?dry_run=true: every check, idempotency conflicts with stored records included (read only),
// nothing stored.
void DryRun(RecordService& records, const std::string& issuer, const Submission& submission,
            const PostBody& body, const formats::MappedTable* table, const std::string& request_id,
            const Respond& respond) {
  BatchErrors errors;
  auto entries = CheckRows(records, issuer, submission, body, &errors);
  if (!entries.ok()) {
    return respond(RecordsProblem(entries.status(), errors, body.csv_lines, table, request_id));
  }
  json ids = json::array();
  for (const auto& e : *entries) ids.push_back(e.id);
  respond(JsonResponse(200, json{{"dry_run", true}, {"valid", entries->size()}, {"ids", ids}}));
}

// POST /v1/records?mapping=cn-registrar: a registrar's export (CSV in a supported charset, or
// XLSX with ?sheet=) mapped on the server as `creditbank import --mapping` maps it: units from
// the caller's catalog, learners by national ID. Learners the bank does not know yet are
// created only with ?create_learners=true, and only once every record of the file is valid
// (checked with the new accounts standing in, idempotency conflicts with stored records
// included); a file with any problem creates and stores nothing. ?dry_run=true checks all of it
// and creates nothing. Runs on the blocking pool.
void PostMapped(RecordService& records, CatalogService& catalog, LearnerService& learners,
                int max_batch, RouteContext& ctx, const Respond& respond) {
  const HttpRequest& req = ctx.request;
  const std::string issuer = ctx.principal.subject;
  auto submission = records.CheckSubmission(issuer, req.Header("x-jws-signature"), req.body);
  if (!submission.ok()) return respond(ProblemResponse(submission.status(), req.request_id));
  formats::UploadOptions options;
  bool dry_run = false, create = false;
  if (!UploadQuery(req, respond, &options) || !QueryBool(ctx, respond, "dry_run", &dry_run) ||
      !QueryBool(ctx, respond, "create_learners", &create)) {
    return;
  }
  const std::string* type = req.Header("content-type");
  if (!type || !formats::IsFileUpload(*type)) {
    return respond(ProblemResponse(
        Status::InvalidArgument(Field("/content-type"),
                                "a mapping reads a file: send text/csv or " +
                                    std::string(formats::kXlsxMediaType)),
        req.request_id));
  }
  ServiceResolver resolver(catalog, learners, ctx.principal);
  std::vector<formats::CellProblem> problems;
  options.return_refused_rows = true;
  auto mapped = formats::ReadRecordUpload(*type, req.body, options, &resolver, &problems);
  if (!mapped.ok()) return respond(UploadProblem(mapped.status(), problems, req.request_id));
  PostBody body;
  if (!ReadTableRows(req, mapped->table, max_batch, respond, &body)) return;
  if (!problems.empty()) {
    return respond(RefusedRowsProblem(records, issuer, *submission, *mapped, std::move(body),
                                      std::move(problems), req.request_id));
  }
  const size_t pending = mapped->pending.size();
  if (pending > 0 && !create && !dry_run) {
    size_t first = 0;
    while (mapped->pending_of_row[first] < 0) ++first;
    return respond(ProblemResponse(
        Status::InvalidArgument(
            Field("/create_learners"),
            std::to_string(pending) + " learners of the file have no account in the bank (the " +
                "first on line " + std::to_string(mapped->table.rows[first].line) +
                "); pass create_learners=true to create them with the records"),
        req.request_id));
  }
  // The accounts to be made stand in as "(new learner N)" until every record is valid.
  std::unordered_set<std::string> stand_ins = StandInNewLearners(*mapped, &body);
  BatchErrors errors;
  // A row whose external_ref is stored for different content is refused here, read only, before
  // any account exists (a stand-in's record cannot be stored yet, so its key can only conflict).
  auto entries = CheckRows(records, issuer, *submission, body, &errors, &stand_ins);
  if (!entries.ok()) {
    return respond(
        MappedBatchProblem(entries.status(), errors, body.csv_lines, *mapped, req.request_id));
  }
  if (dry_run) {
    json ids = json::array();
    for (const auto& e : *entries) ids.push_back(e.id);
    return respond(JsonResponse(200, json{{"dry_run", true},
                                          {"valid", entries->size()},
                                          {"ids", ids},
                                          {"pending_learners", pending}}));
  }
  // The accounts are made before the records are appended, not in their commit: learner rows
  // are written by LearnerService, the records by the Ledger's group commit. So a conflict that
  // another writer creates between the check above and the append (the same external_ref
  // posted for different content meanwhile) still refuses the records after the accounts were
  // made; a retry of the corrected file finds those accounts by national ID.
  if (Status made = formats::CreatePendingLearners(resolver, &*mapped); !made.ok()) {
    return respond(ProblemResponse(made, req.request_id));
  }
  const auto& header = mapped->table.header;
  const size_t learner_col = std::find(header.begin(), header.end(), "learner") - header.begin();
  for (size_t r = 0; r < body.inputs.size() && learner_col < header.size(); ++r) {
    if (stand_ins.count(body.inputs[r].learner)) {
      body.inputs[r].learner = mapped->table.rows[r].fields[learner_col];
    }
  }
  std::string request_id = req.request_id;
  records.Post(issuer, std::move(body.inputs), true, *submission,
               [respond, request_id, pending, lines = std::move(body.csv_lines),
                table = std::move(mapped).value()](StatusOr<PostOutcome> result,
                                                   BatchErrors errors) {
                 if (!result.ok()) {
                   return respond(
                       MappedBatchProblem(result.status(), errors, lines, table, request_id));
                 }
                 json doc = json::parse(PostOutcomeBody(*result));
                 doc["created_learners"] = pending;
                 respond(JsonResponse(result->any_new() ? 201 : 200, doc));
               });
}

void PostRecords(RecordService& records, int max_batch, RouteContext& ctx, Respond respond) {
  const HttpRequest& req = ctx.request;
  const std::string issuer = ctx.principal.subject;
  bool dry_run = false;
  if (!QueryBool(ctx, respond, "dry_run", &dry_run)) return;
  auto submission = records.CheckSubmission(issuer, req.Header("x-jws-signature"), req.body);
  if (!submission.ok()) return respond(ProblemResponse(submission.status(), req.request_id));
  PostBody body;
  const std::string* type = req.Header("content-type");
  const std::string media = type ? formats::MediaTypeOf(*type) : "";
  std::shared_ptr<const formats::MappedTable> file;  // a CSV or XLSX body: its columns
  if (media == "text/csv" || media == formats::kXlsxMediaType) {
    std::vector<formats::CellProblem> problems;
    auto table = media == "text/csv"
                     ? ReadCsvBody(req, *type, max_batch, respond, &body, &problems)
                     : ReadXlsxBody(req, *type, max_batch, respond, &body, &problems);
    if (!table) return;
    if (!problems.empty()) {
      return respond(RefusedRowsProblem(records, issuer, *submission, *table, std::move(body),
                                        std::move(problems), req.request_id));
    }
    file = std::make_shared<const formats::MappedTable>(std::move(*table));
  } else if (auto fast =
                 JsonBodyType(req) ? ParseRecordBatchFast(req.body, max_batch) : std::nullopt) {
    body.inputs = std::move(*fast);  // a valid batch, read without building a JSON tree
  } else if (!ReadJsonBody(ctx, max_batch, respond, &body)) {
    return;
  }
  std::string request_id = req.request_id;
  // A file with a row that does not read is refused whole, with every other problem it has.
  if (dry_run || !body.unreadable.empty()) {
    return DryRun(records, issuer, *submission, body, file.get(), request_id, respond);
  }
  records.Post(issuer, std::move(body.inputs), body.batch, *submission,
               [respond, request_id, csv_lines = std::move(body.csv_lines), file](
                   StatusOr<PostOutcome> result, BatchErrors errors) {
                 if (!result.ok()) {
                   return respond(
                       RecordsProblem(result.status(), errors, csv_lines, file.get(), request_id));
                 }
                 HttpResponse r;
                 r.status = result->any_new() ? 201 : 200;
                 r.body = PostOutcomeBody(*result);
                 respond(std::move(r));
               });
}

Handler LearnerRecordsHandler(RecordService& records, LearnerService& learners) {
  return [&records, &learners](RouteContext& ctx, Respond respond) {
    const std::string& learner = ctx.params["id"];
    if (!CanReadLearner(learners, ctx.principal, learner) || !learners.Exists(learner)) {
      return respond(ProblemResponse(Status::NotFound("no learner '" + learner + "'"),
                                     ctx.request.request_id));
    }
    uint64_t limit = 0;
    if (!QueryLimit(ctx, respond, 50, 1000, &limit)) return;
    if (limit == 0) limit = 50;
    const std::string* cursor = ctx.request.Query("cursor");
    auto page = records.List(learner, cursor ? *cursor : "", limit);
    if (!page.ok()) return respond(ProblemResponse(page.status(), ctx.request.request_id));
    json items = json::array();
    for (const auto& r : page->records) {
      auto item = RecordListItemJson(r);
      if (!item.ok()) return respond(ProblemResponse(item.status(), ctx.request.request_id));
      items.push_back(std::move(item).value());
    }
    respond(JsonResponse(
        200, json{{"records", items},
                  {"next_cursor",
                   page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}}));
  };
}

// The passbook's JSON, rendered once per (learner, version, day, institutions' names): reads
// run at the rate of a static file server, so the text is kept, not rebuilt per request. The
// issuers' names come with the totals so that a page can show them without a request per
// issuer.
class PassbookRenderCache {
 public:
  explicit PassbookRenderCache(CatalogService* catalog) : catalog_(catalog) {}

  std::string Render(const std::string& learner, const PassbookView& view) {
    const uint64_t names = catalog_->Version();
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = cache_.find(learner);
      if (it != cache_.end() && it->second.version == view.version &&
          it->second.as_of == view.as_of && it->second.passbook == view.passbook &&
          it->second.names == names) {
        return it->second.text;
      }
    }
    json extra = json::object();
    extra["as_of"] = FormatDate(view.as_of);
    json issuer_names = json::object();
    for (const auto& [issuer, credits] : view.passbook->by_issuer) {
      issuer_names[issuer] = catalog_->InstitutionName(issuer);
    }
    extra["issuer_names"] = std::move(issuer_names);
    std::string text = PassbookJsonText(learner, *view.passbook, std::move(extra));
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.size() >= kMaxCached) cache_.clear();
    cache_[learner] = Entry{view.version, view.as_of, names, view.passbook, text};
    return text;
  }

 private:
  struct Entry {
    uint64_t version;
    Days as_of;
    uint64_t names;  // CatalogService::Version when rendered
    std::shared_ptr<const Passbook> passbook;
    std::string text;
  };
  static constexpr size_t kMaxCached = 200'000;
  CatalogService* catalog_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;
};

void AddGrantRoutes(Router& router, LearnerService& learners) {
  LearnerService* l = &learners;
  router.Add(
      "POST", "/v1/learners/{id}/grants", kLearnerRole,
      "The learner shares its records with an institution (needed for conversion)",
      [l](RouteContext& ctx, Respond respond) {
        const std::string& learner = ctx.params["id"];
        if (!ctx.principal.is_learner(learner)) {
          return respond(ProblemResponse(
              Status::PermissionDenied("only the learner may grant access to its records"),
              ctx.request.request_id));
        }
        json body;
        if (!ParseJsonRequest(ctx, respond, &body)) return;
        Status s = RejectUnknown(body, "", {"institution", "expires_at"});
        auto inst = RequiredString(body, "institution", "", 64);
        auto expires = OptionalString(body, "expires_at", "", 40);
        if (s.ok() && !inst.ok()) s = inst.status();
        if (s.ok() && !expires.ok()) s = expires.status();
        if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
        RespondWith(ctx, respond, l->PutGrant(learner, *inst, expires->value_or("")), 201,
                    GrantJson);
      },
      RunOn::kBlockingPool);

  router.Add("GET", "/v1/learners/{id}/grants", kLearnerRole,
             "The institutions the learner shares its records with",
             [l](RouteContext& ctx, Respond respond) {
               const std::string& learner = ctx.params["id"];
               if (!ctx.principal.is_learner(learner)) {
                 return respond(ProblemResponse(Status::PermissionDenied("only the learner"),
                                                ctx.request.request_id));
               }
               RespondWith(ctx, respond, l->ListGrants(learner), 200,
                           [](const std::vector<GrantRow>& grants) {
                             json items = json::array();
                             for (const auto& g : grants) items.push_back(GrantJson(g));
                             return json{{"grants", items}};
                           });
             });

  router.Add(
      "DELETE", "/v1/learners/{id}/grants/{institution}", kLearnerRole, "Withdraw a grant",
      [l](RouteContext& ctx, Respond respond) {
        const std::string& learner = ctx.params["id"];
        if (!ctx.principal.is_learner(learner)) {
          return respond(ProblemResponse(Status::PermissionDenied("only the learner"),
                                         ctx.request.request_id));
        }
        Status s = l->DeleteGrant(learner, ctx.params["institution"]);
        if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
        respond(JsonResponse(200, json{{"learner", learner},
                                       {"institution", ctx.params["institution"]},
                                       {"status", "withdrawn"}}));
      },
      RunOn::kBlockingPool);
}

// The account `id` if `p` may read its data (CanReadLearner, or the institution that created
// it); NotFound otherwise, as for a learner that does not exist.
StatusOr<LearnerRow> ReadableLearner(LearnerService& learners, const Principal& p,
                                     const std::string& id) {
  auto row = learners.Get(id);
  if (!row.ok() && row.status().code() != StatusCode::kNotFound) return row.status();
  if (!row.ok() || (!CanReadLearner(learners, p, id) && p.role() != row->created_by)) {
    return Status::NotFound("no learner '" + id + "'");
  }
  return row;
}

json LearnerJson(const LearnerRow& row) {
  json out{{"id", row.id}, {"created_at", row.created_at}, {"created_by", row.created_by}};
  out["display_name"] = row.display_name ? json(*row.display_name) : json(nullptr);
  out["region"] = row.region ? json(*row.region) : json(nullptr);
  return out;
}

// At most this many national IDs per POST /v1/learners/lookup (`creditbank import` sends
// chunks of this size).
constexpr size_t kMaxLookupBatch = 1000;

// POST /v1/learners/lookup: {"national_ids": [...]} (1 to kMaxLookupBatch strings) answered as
// {"ids": [...]} in the same order, each the learner's id or null where GET
// /v1/learners/lookup?national_id= would answer 404. A missing or empty ID is 400 at
// /national_ids/<i>, as the GET refuses an empty one.
void LookupLearners(LearnerService& learners, RouteContext& ctx, const Respond& respond) {
  json body;
  if (!ParseJsonRequest(ctx, respond, &body)) return;
  Status s = RejectUnknown(body, "", {"national_ids"});
  const json* ids = body.contains("national_ids") ? &body["national_ids"] : nullptr;
  if (s.ok() && (!ids || !ids->is_array() || ids->empty())) {
    s = Status::InvalidArgument(Field("/national_ids"), "must be a non-empty array of strings");
  } else if (s.ok() && ids->size() > kMaxLookupBatch) {
    s = Status::InvalidArgument(Field("/national_ids"),
                                "holds at most " + std::to_string(kMaxLookupBatch) +
                                    " national IDs, this one has " + std::to_string(ids->size()));
  }
  std::vector<std::string> national_ids;
  for (size_t i = 0; s.ok() && i < ids->size(); ++i) {
    const json& id = (*ids)[i];
    if (!id.is_string()) {
      s = Status::InvalidArgument(Field("/national_ids/" + std::to_string(i)), "must be a string");
      break;
    }
    national_ids.push_back(id.get<std::string>());
  }
  if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
  RespondWith(ctx, respond, learners.LookupMany(national_ids), 200,
              [](const std::vector<std::optional<std::string>>& found) {
                json out = json::array();
                for (const auto& id : found) out.push_back(id ? json(*id) : json(nullptr));
                return json{{"ids", std::move(out)}};
              });
}

void AddLearnerRoutes(Router& router, RecordService& records, LearnerService& learners,
                      PassbookService& passbook, CatalogService& catalog) {
  LearnerService* l = &learners;
  router.Add(
      "POST", "/v1/learners", kAdmin | kInstitutionRole,
      "Create a learner account; with national_id, one account per person",
      [l](RouteContext& ctx, Respond respond) {
        json body;
        if (!ParseJsonRequest(ctx, respond, &body)) return;
        NewLearner in;
        Status s = RejectUnknown(body, "", {"national_id", "display_name", "region"});
        auto nid = OptionalString(body, "national_id", "", 64);
        auto name = OptionalString(body, "display_name", "", 200);
        auto region = OptionalString(body, "region", "", 6);
        if (s.ok() && !nid.ok()) s = nid.status();
        if (s.ok() && !name.ok()) s = name.status();
        if (s.ok() && !region.ok()) s = region.status();
        if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
        in.national_id = *nid;
        in.display_name = *name;
        in.region = *region;
        auto account = l->Create(in, ctx.principal);
        if (!account.ok())
          return respond(ProblemResponse(account.status(), ctx.request.request_id));
        json out{{"id", account->id}, {"created", account->created}};
        if (account->region) out["region"] = *account->region;
        respond(JsonResponse(account->created ? 201 : 200, std::move(out)));
      },
      RunOn::kBlockingPool);

  router
      .Add("GET", "/v1/learners/lookup", kAdmin | kInstitutionRole,
           "Find a learner id by national ID (matched by HMAC; never stored in clear)",
           [l](RouteContext& ctx, Respond respond) {
             const std::string* nid = ctx.request.Query("national_id");
             if (!nid || nid->empty()) {
               return respond(ProblemResponse(
                   Status::InvalidArgument(Field("/national_id"), "query parameter is required"),
                   ctx.request.request_id));
             }
             RespondWith(ctx, respond, l->Lookup(*nid), 200, [](const std::string& id) {
               return json{{"id", id}};
             });
           })
      .Takes({Required(StringParam("national_id", "the national ID to look up"))});

  router.Add(
      "GET", "/v1/learners/{id}", kLearnerDataReaders,
      "A learner's account: display name, region, when and by whom it was created",
      [l](RouteContext& ctx, Respond respond) {
        auto row = ReadableLearner(*l, ctx.principal, ctx.params["id"]);
        if (!row.ok()) return respond(ProblemResponse(row.status(), ctx.request.request_id));
        respond(JsonResponse(200, LearnerJson(*row)));
      },
      RunOn::kBlockingPool);

  router.Add(
      "PATCH", "/v1/learners/{id}", kInstitutionRole | kLearnerRole,
      "Set or clear a learner's region {\"region\": code|null} (the learner, or the institution "
      "that created the account); the statistics count the learner there from then on",
      [l](RouteContext& ctx, Respond respond) {
        const std::string& id = ctx.params["id"];
        auto row = ReadableLearner(*l, ctx.principal, id);
        if (!row.ok()) return respond(ProblemResponse(row.status(), ctx.request.request_id));
        if (!ctx.principal.is_learner(id) && ctx.principal.role() != row->created_by) {
          return respond(ProblemResponse(
              Status::PermissionDenied("only the learner or the institution that created the "
                                       "account (" +
                                       row->created_by + ") sets its region"),
              ctx.request.request_id));
        }
        json body;
        if (!ParseJsonRequest(ctx, respond, &body)) return;
        Status s = RejectUnknown(body, "", {"region"});
        if (s.ok() && !body.contains("region")) {
          s = Status::InvalidArgument(Field("/region"),
                                      "is required: a GB/T 2260 six-digit code, or null to clear");
        }
        auto region = OptionalString(body, "region", "", 6);
        if (s.ok() && !region.ok()) s = region.status();
        if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
        RespondWith(ctx, respond, l->SetRegion(id, *region, ctx.principal), 200, LearnerJson);
      },
      RunOn::kBlockingPool);

  router.Add(
      "POST", "/v1/learners/lookup", kAdmin | kInstitutionRole,
      "Find the learner ids of up to 1,000 national IDs at once: {national_ids} -> {ids} in the "
      "same order, null where none",
      [l](RouteContext& ctx, Respond respond) { LookupLearners(*l, ctx, respond); },
      RunOn::kBlockingPool);

  router
      .Add("GET", "/v1/learners/{id}/records", kLearnerDataReaders,
           "A learner's records, oldest first, paginated with a stable cursor",
           LearnerRecordsHandler(records, learners))
      .Takes({CursorParam(), LimitParam(50, 1000)});

  auto render = std::make_shared<PassbookRenderCache>(&catalog);
  router.Add("GET", "/v1/learners/{id}/passbook", kLearnerDataReaders,
             "Totals of active credits by kind, level, field, issuer and year; what expires",
             [l, p = &passbook, render](RouteContext& ctx, Respond respond) {
               const std::string& learner = ctx.params["id"];
               if (!CanReadLearner(*l, ctx.principal, learner)) {
                 return respond(ProblemResponse(Status::NotFound("no learner '" + learner + "'"),
                                                ctx.request.request_id));
               }
               auto view = p->Get(learner, TodayUtc());
               if (!view.ok())
                 return respond(ProblemResponse(view.status(), ctx.request.request_id));
               HttpResponse r;
               r.body = render->Render(learner, *view);
               respond(std::move(r));
             });
  AddGrantRoutes(router, learners);
}

}  // namespace

void AddRecordRoutes(Router& router, RecordService& records, LearnerService& learners,
                     PassbookService& passbook, CatalogService& catalog, int max_batch) {
  RecordService* rs = &records;
  LearnerService* l = &learners;
  router
      .Add("POST", "/v1/records", kInstitutionRole,
           "Post one record, a batch {records: [...]} (at most max_batch), or text/csv; atomic; "
           "?dry_run=true validates only",
           [rs, max_batch, &catalog, l](RouteContext& ctx, Respond respond) {
             if (ctx.request.Query("mapping")) {
               return PostMapped(*rs, catalog, *l, max_batch, ctx, respond);
             }
             PostRecords(*rs, max_batch, ctx, std::move(respond));
           })
      .Takes({BooleanParam("dry_run", "validate only; store nothing"),
              StringParam("sheet", "XLSX: the sheet to read (default the first)"),
              StringParam("mapping", "read a registrar's export in this built-in mapping",
                          {"cn-registrar"}),
              BooleanParam("create_learners",
                           "with mapping: create the accounts of learners the bank does not know, "
                           "once every record of the file passes every check")});
  // A mapped file looks learners up and may create accounts: off the HTTP thread.
  router.BlockWhen("POST", "/v1/records",
                   [](const HttpRequest& req) { return req.Query("mapping") != nullptr; });

  router
      .Add(
          "POST", "/v1/records/table", kInstitutionRole,
          "Read a registrar file (XLSX, ?sheet=NAME; or CSV) as rows in the bank's CSV header, "
          "each with its line; ?mapping=cn-registrar; checks the file's form (and with "
          "create_learners every record, before any account is made) and stores no record",
          [rs, &catalog, &learners](RouteContext& ctx, Respond respond) {
            ReadRecordTable(*rs, catalog, learners, ctx, respond);
          },
          RunOn::kBlockingPool)
      .Takes({StringParam("sheet", "XLSX: the sheet to read (default the first)"),
              StringParam("mapping", "read a registrar's export in this built-in mapping",
                          {"cn-registrar"}),
              BooleanParam("create_learners",
                           "with mapping: create the accounts of learners the bank does not know, "
                           "once every record of the file passes every check")});

  router.Add(
      "GET", "/v1/records/{id}", kLearnerDataReaders,
      "A record with its status and receipt, and a revoked record's revocation entry with a "
      "receipt against the same checkpoint (issuer, the learner, auditors, granted institutions)",
      [rs, l](RouteContext& ctx, Respond respond) {
        auto rec = rs->Read(ctx.params["id"]);
        if (!rec.ok()) return respond(ProblemResponse(rec.status(), ctx.request.request_id));
        if (!CanReadRecord(*l, ctx.principal, *rec)) {
          return respond(ProblemResponse(Status::NotFound("no record '" + ctx.params["id"] + "'"),
                                         ctx.request.request_id));
        }
        auto bundle = rs->Bundle(std::move(rec).value());
        if (!bundle.ok()) return respond(ProblemResponse(bundle.status(), ctx.request.request_id));
        auto view = RecordViewJson(*bundle);
        if (!view.ok()) return respond(ProblemResponse(view.status(), ctx.request.request_id));
        respond(JsonResponse(200, *view));
      });

  router.Add("POST", "/v1/records/{id}/revoke", kInstitutionRole,
             "Revoke a record (its issuer): a new log entry; the record stays readable",
             [rs](RouteContext& ctx, Respond respond) {
               json body = json::object();
               if (!ctx.request.body.empty() && !ParseJsonRequest(ctx, respond, &body)) return;
               Status s = RejectUnknown(body, "", {"reason"});
               auto reason = OptionalString(body, "reason", "", 500);
               if (s.ok() && !reason.ok()) s = reason.status();
               if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
               std::string rid = ctx.request.request_id;
               rs->Revoke(ctx.params["id"], ctx.principal.subject,
                          reason->value_or("revoked by issuer"),
                          [respond, rid](StatusOr<Revocation> r) {
                            if (!r.ok()) return respond(ProblemResponse(r.status(), rid));
                            respond(JsonResponse(200, RevocationJson(*r)));
                          });
             });

  router.Add("POST", "/v1/records/{id}/correct", kInstitutionRole,
             "Correct a record (its issuer): revokes it and posts {record} with supersedes",
             [rs](RouteContext& ctx, Respond respond) {
               json body;
               if (!ParseJsonRequest(ctx, respond, &body)) return;
               Status s = RejectUnknown(body, "", {"record", "reason"});
               auto reason = OptionalString(body, "reason", "", 500);
               if (s.ok() && !reason.ok()) s = reason.status();
               if (s.ok() && !body.contains("record")) {
                 s = Status::InvalidArgument(Field("/record"), "is required");
               }
               if (!s.ok()) return respond(ProblemResponse(s, ctx.request.request_id));
               auto in = RecordInputFromJson(body["record"], "/record");
               if (!in.ok()) return respond(ProblemResponse(in.status(), ctx.request.request_id));
               std::string rid = ctx.request.request_id;
               rs->Correct(ctx.params["id"], ctx.principal.subject, std::move(in).value(),
                           reason->value_or("corrected by issuer"),
                           [respond, rid](StatusOr<Correction> r, BatchErrors errors) {
                             if (!r.ok()) return respond(BatchProblem(r.status(), errors, rid));
                             respond(JsonResponse(201, CorrectionJson(*r)));
                           });
             });
  AddLearnerRoutes(router, records, learners, passbook, catalog);
}

}  // namespace lcb
