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
//                national ID (POST /v1/learners/lookup, 1,000 at a time); every bad cell
//                is reported;
//   2. validate  every row the way POST /v1/records will: the JSON API's byte limits, the unit
//                and the engine's recognition checks (Recognize: issuer may post the unit,
//                grade scale and value, credits/hours, level, completed_on not in the future,
//                ...) against the issuing institution (GET /v1/institutions/{id}); plus
//                external_refs repeated inside the file. Every problem of every bad line is
//                reported, each as "line N: <column>: <reason> (column X)" on stderr (a bad
//                成绩 and a 获得时间 in the future are two), and nothing is stored;
//   3. accounts  with a mapping, learners the bank does not know yet are created (POST
//                /v1/learners with the national ID, kept only as HMAC, and the display name);
//                only now, once the whole file passed phases 1 and 2 and the server's check
//                of the rows of known learners (idempotency conflicts too; never for
//                --dry-run);
//   4. check     every batch is sent with ?dry_run=true (the server validates it, learner
//                accounts included, and stores nothing); any refusal is mapped to its file line
//                and column and the import stops with no record stored;
//   5. send      batches of {"records": [...]}. Each batch is atomic on the server and
//                idempotent by (issuer, external_ref), so a re-run stores only what is missing.
// A file with a problem found in phase 1 or 2 still has its other rows checked by the server
// (phase 4's check, before any account is made), and every problem of the three is reported in
// one list in line order, so that a registrar fixes the file once, not in rounds.
// With --skip-invalid the rows refused in phases 1, 2 or by the server are left out instead.
// Phases 3 and 5 use --connections keep-alive connections (default 1), phase 4 at least two,
// each sending whole batches; the progress bar shows rows/s.
//
// Retries: RestClient's policy (cli/rest_client.h). A 413 halves the batch size (a server
// configured with a smaller max_batch).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/cli_app.h"
#include "cli/commands.h"
#include "cli/import_options.h"
#include "cli/import_progress.h"
#include "cli/import_remote.h"
#include "cli/import_sender.h"
#include "cli/import_validate.h"
#include "formats/mapping.h"
#include "formats/mapping_apply.h"
#include "formats/registrar_file.h"

namespace lcb {
namespace import_cli {
namespace {

using formats::CellProblem;
using formats::MappedTable;

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
    "itself (?dry_run=true, which also knows the learner accounts); every problem of every\n"
    "bad line is reported, all in one list, as 'line N: <column>: <reason> (column X)' and\n"
    "nothing is "
    "stored unless --skip-invalid. Re-running is safe: records are idempotent by external_ref. "
    "Exit 0 only\n"
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

int Fail(const std::string& message) {
  std::fprintf(stderr, "creditbank import: %s\n", message.c_str());
  return 1;
}

// Phase 1: the file as the bank's table. nullopt (after printing why) when it cannot be used
// (unreadable, a bad header). The problems of rows left out (the mapping refused them, or the
// file cannot give them whole: an XLSX cell without its value) are printed as skipped
// with --skip-invalid, else left in *row_problems for the report of every phase (the other
// rows are still checked, so that one run names every problem of the file); *skipped_lines
// counts those lines.
std::optional<MappedTable> ReadTable(const ImportOptions& options, HttpResolver* resolver,
                                     size_t* skipped_lines,
                                     std::vector<CellProblem>* row_problems) {
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
  StatusOr<MappedTable> table = Status::Internal("unread");
  size_t rows = 0;
  if (options.mapping.empty()) {
    table = formats::IdentityMapping(std::move(source).value(), &problems);
    if (!table.ok()) {
      for (CellProblem& p : problems) p.column = "header";  // "line 1: header: ..."
      PrintAll(problems);
      return std::nullopt;
    }
    rows = table->data_rows;
  } else {
    auto mapping = LoadMapping(options.mapping);
    if (!mapping.ok()) {
      Fail(mapping.status().message());
      return std::nullopt;
    }
    if (Status s = resolver->LoadUnits(); !s.ok()) {
      Fail(s.message());
      return std::nullopt;
    }
    table = formats::ApplyMapping(*source, *mapping, *resolver, &problems);
    rows = formats::DataRowsBelowHeader(*source, *mapping);
  }
  if (!table.ok() && problems.empty()) {
    Fail(table.status().message());
    return std::nullopt;
  }
  if (!table.ok()) {
    PrintAll(problems);
    Fail(std::to_string(problems.size()) + " problems in " + std::to_string(rows) +
         " rows; nothing was stored");
    return std::nullopt;
  }
  if (options.skip_invalid) {
    PrintAll(problems, " (skipped)");
  } else {
    *row_problems = std::move(problems);
  }
  *skipped_lines = rows - std::min(rows, table->table.rows.size());
  return std::move(table).value();
}

// With --skip-invalid: only the learners of the rows left to store get accounts. One whose
// every row was skipped (refused by the checks of phase 2) gets none, as the mapping already
// does for the rows it refuses itself.
void KeepPendingOfRows(MappedTable* table, std::vector<Row>* rows) {
  std::vector<bool> used(table->pending.size(), false);
  for (const Row& row : *rows) {
    if (row.pending >= 0) used[static_cast<size_t>(row.pending)] = true;
  }
  std::vector<int> index(table->pending.size(), -1);
  std::vector<formats::NewLearner> kept;
  for (size_t p = 0; p < table->pending.size(); ++p) {
    if (!used[p]) continue;
    index[p] = static_cast<int>(kept.size());
    kept.push_back(std::move(table->pending[p]));
  }
  table->pending = std::move(kept);
  for (int& p : table->pending_of_row) {
    if (p >= 0) p = index[static_cast<size_t>(p)];
  }
  for (Row& row : *rows) {
    if (row.pending >= 0) row.pending = index[static_cast<size_t>(row.pending)];
  }
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

constexpr size_t kCheckConnections = 2;

// Phase 4: the server's own check of every batch, stored nowhere; the rows it refuses in
// *refused. Returns -1 when the check was made, else the exit code (the server could not be
// asked). Rows whose learner account does not exist yet (--dry-run) are left out. The bodies
// checked are kept in `bodies` for phase 5 when every valid row was checked (row indexes then
// agree).
int AskServer(RemotePool& pool, const ImportOptions& options, const MappedTable& table,
              const std::vector<Row>& valid, BatchBodies* bodies,
              std::vector<CellProblem>* refused) {
  // Rows of learners without an account yet (--dry-run) are left out: a copy only then.
  const bool all_known =
      std::all_of(valid.begin(), valid.end(), [](const Row& row) { return row.pending < 0; });
  std::vector<Row> some;
  if (!all_known) {
    std::copy_if(valid.begin(), valid.end(), std::back_inserter(some),
                 [](const Row& row) { return row.pending < 0; });
  }
  const std::vector<Row>& known = all_known ? valid : some;
  // The check stores nothing, so its batches need no order: two connections at least, so
  // that the server checks one batch while the next is on its way.
  if (Status s = pool.Widen(std::max<size_t>(kCheckConnections, pool.size())); !s.ok()) {
    return Fail(s.message());
  }
  Progress checking("checking", known.size(), StderrIsTty());
  if (!CheckBatches(pool, options, table, known, checking, refused, all_known ? bodies : nullptr)) {
    return 1;
  }
  checking.Update(known.size(), /*final=*/true);
  return -1;
}

// Phase 4 as a step of its own: the server's refusals printed, and the exit code when there is
// any (-1 to go on).
int ServerCheck(RemotePool& pool, const ImportOptions& options, const MappedTable& table,
                const std::vector<Row>& valid, size_t data_rows, bool* checked,
                BatchBodies* bodies) {
  std::vector<CellProblem> refused;
  if (int code = AskServer(pool, options, table, valid, bodies, &refused); code >= 0) return code;
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

  // The token, before the file is read: another institution's token (or an admin's) would
  // have every row refused by the server, after minutes of reading and checking.
  if (!options.token.empty()) {
    auto who = (*pool)->first().Send("GET", "/v1/tokens/current", options.token);
    if (!who.ok()) return Fail(who.status().message());
    if (who->status == 401) return Fail("the token was refused: " + ProblemDetail(*who));
    const json me = json::parse(who->body, nullptr, false);
    const std::string want = "institution:" + options.institution;
    const bool has_role = me.is_object() && me.contains("role") && me["role"].is_string();
    if (who->status == 200 && has_role && me["role"].get<std::string>() != want) {
      return Fail("the token acts as " + me["role"].get<std::string>() + ", not " + want +
                  ": records are posted with a token of the institution that issues them");
    }
  }

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
  std::vector<CellProblem> problems;  // of every phase, unless --skip-invalid
  std::optional<MappedTable> table = ReadTable(options, &resolver, &skipped_lines, &problems);
  if (!table) return 1;
  // A header and no data row (an empty export, the wrong sheet) is refused, as POST
  // /v1/records refuses it (400), not reported as an import of nothing.
  if (table->data_rows == 0) return Fail("no rows to import in " + options.file);
  std::unordered_map<std::string, std::optional<Unit>> units;
  for (const auto& [id, unit] : resolver.units()) units.emplace(id, unit);
  Validated checked;
  if (Status s =
          Validate(*table, *issuer, (*pool)->first(), options.token, std::move(units), &checked);
      !s.ok()) {
    return Fail(s.message());
  }
  const size_t invalid = checked.invalid_rows;
  const bool server_checks =
      !options.skip_invalid && !options.token.empty() && !issuer->require_signatures;
  if (options.skip_invalid) {
    PrintAll(checked.problems, " (skipped)");
    KeepPendingOfRows(&*table, &checked.valid);
  } else if (!problems.empty() || !checked.problems.empty()) {
    // The file is refused: the server still checks the rows that passed, so that this one
    // report names every problem (a stored external_ref reused for another grade too), not
    // only those of the first phase that found one.
    const size_t lines = table->data_rows;
    problems.insert(problems.end(), checked.problems.begin(), checked.problems.end());
    // The rows that failed here too: what only the server can tell of them (a learner account
    // that does not exist) is added, not what this check already said of the same cell.
    std::vector<Row> asked = checked.valid;
    asked.insert(asked.end(), checked.invalid.begin(), checked.invalid.end());
    if (server_checks && !asked.empty()) {
      BatchBodies unused;
      std::vector<CellProblem> server;
      if (int code = AskServer(**pool, options, *table, asked, &unused, &server); code >= 0) {
        return code;
      }
      std::set<std::pair<int, std::string>> said;
      for (const CellProblem& p : problems) said.emplace(p.line, p.column);
      for (CellProblem& p : server) {
        if (said.emplace(p.line, p.column).second) problems.push_back(std::move(p));
      }
    }
    formats::SortProblems(&problems);
    PrintAll(problems);
    std::set<int> bad_lines;
    for (const CellProblem& p : problems) bad_lines.insert(p.line);
    return Fail(std::to_string(problems.size()) + " problems on " +
                std::to_string(bad_lines.size()) + " of " + std::to_string(lines) +
                " lines; nothing was stored (fix them, or pass --skip-invalid to store the " +
                "others)");
  }

  // Phase 3: learner accounts (never for a dry run). The server first checks the rows of the
  // learners it knows (an external_ref already stored for a different grade, say), so that such
  // a file is refused before any account is made. The new learners' rows can be checked only
  // once their accounts exist (phase 4): a conflict among them is found after the accounts
  // were made, which then stay (a corrected re-run finds them by national ID).
  if (!options.dry_run && !table->pending.empty() && server_checks) {
    bool known_checked = false;
    BatchBodies unused;
    int code = ServerCheck(**pool, options, *table, checked.valid, checked.data_rows,
                           &known_checked, &unused);
    if (code >= 0) return code;
  }
  if (!options.dry_run) {
    if (Status s = CreateAccounts(resolver, &*table, &checked.valid); !s.ok()) {
      return Fail(s.message());
    }
  }

  // Phase 4: the server's check, so that a learner id the file gets wrong on its last line
  // does not leave the batches before it stored. With --skip-invalid the rows the server
  // refuses are dropped batch by batch instead. (Not for an institution that requires signed
  // submissions: import does not sign, so only --dry-run gets here, and it stays local.)
  const auto check_started = Clock::now();
  bool server_checked = false;
  BatchBodies bodies;
  if (server_checks) {
    int code = ServerCheck(**pool, options, *table, checked.valid, checked.data_rows,
                           &server_checked, &bodies);
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
  const SendOutcome sent =
      SendBatches(**pool, options, *table, checked.valid, progress, tally, &bodies);
  if (!sent.completed) {
    tally.failed += sent.unhandled;
    progress.Clear();
    std::fprintf(stderr,
                 "creditbank import: stopped early; re-run to store the rest (records "
                 "already stored are recognized by their external_ref)\n");
  }
  progress.Update(sent.processed, /*final=*/true);

  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  const double send_seconds = std::chrono::duration<double>(Clock::now() - send_started).count();
  const double file_seconds = std::chrono::duration<double>(check_started - started).count();
  const double check_seconds = std::chrono::duration<double>(send_started - check_started).count();
  const size_t stored = tally.created + tally.existing;
  const int retries = (*pool)->retries();
  std::printf(
      "import %s: created %zu, already present %zu, skipped %zu, failed %zu; %.1f s (file and "
      "checks %.1f, server check %.1f, storing %.1f), %.0f rows/s overall, %.0f records/s "
      "stored%s\n",
      options.file.c_str(), tally.created, tally.existing, tally.skipped, tally.failed, elapsed,
      file_seconds, check_seconds, send_seconds,
      elapsed > 0 ? static_cast<double>(checked.data_rows) / elapsed : 0.0,
      send_seconds > 0 ? static_cast<double>(stored) / send_seconds : 0.0,
      retries > 0 ? (" (" + std::to_string(retries) + " retries)").c_str() : "");
  return tally.failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace import_cli

void AddImportCommand(CLI::App& parent, int* exit_code) {
  auto o = std::make_shared<import_cli::ImportOptions>();
  auto encoding = std::make_shared<std::string>();
  CLI::App* cmd = parent.add_subcommand(
      "import", "post a registrar's CSV or XLSX of records in batches (validated first)");
  cmd->footer(import_cli::kImportFooter);
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
      ->check(CLI::Range(size_t{1}, import_cli::kMaxBatch))
      ->capture_default_str();
  cmd->add_option("--connections", o->connections, "keep-alive connections used in parallel")
      ->type_name("N")
      ->check(CLI::Range(1, import_cli::kMaxConnections))
      ->capture_default_str();
  cmd->add_flag("--skip-invalid", o->skip_invalid,
                "store the valid records, list the skipped lines");
  cmd->add_flag("--dry-run", o->dry_run,
                "validate only (with the server too when a token is given); store nothing, "
                "create no learner account");
  cmd->callback([o, encoding, exit_code] {
    int code = import_cli::CheckImportOptions(*encoding, o.get());
    *exit_code = code >= 0 ? code : import_cli::RunImport(*o);
  });
}

int CmdImport(const CommandArgs& args) { return RunCommand(AddImportCommand, args); }

}  // namespace lcb
