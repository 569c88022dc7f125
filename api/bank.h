// Bank: the service behind the HTTP API and the CLI. It owns the store, the ledger (log
// writer), the signing key, tokens and the in-memory catalog caches, and implements every
// operation in terms of the engine (recognition, passbook, conversion) and storage.
//
// Authorization is not decided here: api/routes.cc checks the caller's role and ownership
// (api/authz.h) before calling in. Thread safety: every public method may be called
// concurrently.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/auth.h"
#include "api/json_util.h"
#include "config/config.h"
#include "crypto/ed25519.h"
#include "engine/grades.h"
#include "engine/model.h"
#include "engine/recognition.h"
#include "storage/kv.h"
#include "storage/ledger.h"

namespace lcb {

class CompiledRuleset;

// Counters exported on /metrics.
struct BankCounters {
  std::atomic<uint64_t> records_ingested{0};
  std::atomic<uint64_t> records_rejected{0};
  std::atomic<uint64_t> conversions_evaluated{0};
  std::atomic<uint64_t> conversions_applied{0};
};

// A record read back with its status.
struct StoredRecord {
  json entry;        // the logged entry
  std::string bytes;  // its exact bytes
  Record record;     // parsed
  uint64_t leaf_index = 0;
  std::string status;  // "active" | "revoked"
  std::string revoked_by;
};

// Problems in a batch, each with a JSON pointer; a batch with any is stored not at all.
struct BatchErrors {
  std::vector<Status> errors;
  bool empty() const { return errors.empty(); }
};

class Bank {
 public:
  // Opens (or initializes) the bank in config.data_dir: store, signing key, national-ID
  // secret, ledger. On first start writes an admin token to config.admin_token_file (0600)
  // and returns it in *first_admin_token.
  static StatusOr<std::unique_ptr<Bank>> Open(const Config& config,
                                              std::string* first_admin_token = nullptr);
  ~Bank();

  const Config& config() const { return config_; }
  TokenStore& tokens() { return *tokens_; }
  Ledger& ledger() { return *ledger_; }
  Kv& kv() { return *kv_; }
  BankCounters& counters() { return counters_; }
  // Where ledger completions continue (off the single log-writer thread). The server sets its
  // thread pool here; by default work runs inline.
  void SetExecutor(std::function<void(std::function<void()>)> post) { post_ = std::move(post); }

  // ---- Catalog -----------------------------------------------------------------------------
  StatusOr<json> PutInstitution(const std::string& id, const json& doc, const Principal& by);
  StatusOr<json> GetInstitutionJson(const std::string& id);
  StatusOr<Institution> GetInstitution(const std::string& id);
  StatusOr<json> PutUnit(const std::string& id, const json& doc, const Principal& by);
  StatusOr<json> GetUnitJson(const std::string& id);
  StatusOr<Unit> GetUnit(const std::string& id);
  StatusOr<json> PutProgram(const std::string& id, const json& doc, const Principal& by);
  StatusOr<json> GetProgramJson(const std::string& id);
  StatusOr<Program> GetProgram(const std::string& id);
  // Lists catalog objects of one kind ("inst", "unit", "prog") after `cursor`.
  StatusOr<json> ListCatalog(const std::string& kind, const std::string& prefix,
                             const std::string& cursor, size_t limit);

  // ---- Grade scales (built-in ones plus registered ones; registration is create-only, so a
  // stored grade never changes meaning) ----------------------------------------------------
  StatusOr<json> RegisterGradeScale(const std::string& id, const json& doc, const Principal& by);
  json ListGradeScales();
  StatusOr<json> GetGradeScale(const std::string& id);

  // ---- Rulesets ----------------------------------------------------------------------------
  void PublishRuleset(const std::string& program, const json& doc, const Principal& by,
                      std::function<void(StatusOr<json>)> done);
  StatusOr<json> GetRulesetJson(const std::string& program, std::optional<int> version);
  StatusOr<std::shared_ptr<const CompiledRuleset>> GetCompiled(const std::string& program);

  // ---- Learners and grants -----------------------------------------------------------------
  // Returns {"id", "created": bool}.
  StatusOr<json> CreateLearner(const json& doc, const Principal& by);
  StatusOr<std::string> LookupLearner(const std::string& national_id);
  bool LearnerExists(const std::string& id);
  StatusOr<json> PutGrant(const std::string& learner, const json& doc);
  Status DeleteGrant(const std::string& learner, const std::string& institution);
  StatusOr<json> ListGrants(const std::string& learner);
  bool HasGrant(const std::string& learner, const std::string& institution);

  // ---- Records -----------------------------------------------------------------------------
  // Validates every input (errors collected, pointers prefixed with "/records/<i>" when
  // `batch`), then appends all or nothing. `done` gets the receipts response or a Status
  // (with errors in *errors_out for validation failures).
  struct PostResult {
    int http_status = 201;
    std::string body_text;  // the JSON answer, already serialized
  };
  void PostRecords(const std::string& issuer, std::vector<RecordInput> inputs, bool batch,
                   const std::string& submission_jws, const std::string& body_sha256,
                   std::function<void(StatusOr<PostResult>, BatchErrors)> done);
  // Recognizes every input and builds its log entry; nothing is stored. Errors are collected
  // in *errors (the first is also returned). Used by PostRecords and by ?dry_run=true.
  StatusOr<std::vector<LogEntry>> ValidateRecords(const std::string& issuer,
                                                  const std::vector<RecordInput>& inputs,
                                                  bool batch, const std::string& submission_jws,
                                                  const std::string& body_sha256,
                                                  BatchErrors* errors);
  StatusOr<StoredRecord> ReadRecord(const std::string& id);
  json ReceiptFor(uint64_t leaf_index);
  // The receipt of a stored entry, after checking that `entry_bytes` are included in the tree
  // the latest signed checkpoint commits to (DataLoss if the store was altered).
  StatusOr<json> VerifiedReceipt(uint64_t leaf_index, const std::string& entry_bytes);
  void RevokeRecord(const std::string& id, const std::string& issuer, const std::string& reason,
                    std::function<void(StatusOr<json>)> done);
  void CorrectRecord(const std::string& id, const std::string& issuer, RecordInput replacement,
                     const std::string& reason,
                     std::function<void(StatusOr<PostResult>, BatchErrors)> done);
  // Records of a learner in leaf order, starting after `cursor` (opaque string).
  StatusOr<std::vector<StoredRecord>> LearnerRecords(const std::string& learner,
                                                     const std::string& cursor, size_t limit,
                                                     std::string* next_cursor);
  StatusOr<json> Passbook(const std::string& learner, Days today);
  // The passbook as serialized JSON, cached until the learner's records change.
  StatusOr<std::string> PassbookText(const std::string& learner, Days today);

  // ---- Conversions -------------------------------------------------------------------------
  StatusOr<json> Evaluate(const std::string& learner, const std::string& program, Days as_of);
  void ApplyConversion(const std::string& learner, const std::string& program, Days as_of,
                       const Principal& by, std::function<void(StatusOr<json>)> done);
  StatusOr<json> WhatIf(const std::string& learner, const std::vector<std::string>& programs,
                        Days as_of, size_t limit);

  // ---- Log -----------------------------------------------------------------------------------
  json LogKeyJson();
  StatusOr<json> LogEntries(uint64_t start, uint64_t end, bool with_entries);

  // ---- Admin action log ----------------------------------------------------------------------
  void AdminLog(const Principal& by, const std::string& action, const std::string& object);
  StatusOr<json> ListAdminLog(uint64_t after, size_t limit);

 private:
  Bank() = default;
  // Builds the log entry of one posted record (validation errors carry `ptr` as prefix).
  StatusOr<LogEntry> BuildRecordEntry(const Institution& issuer, const RecordInput& in,
                                      const std::string& ptr, const std::string& supersedes,
                                      const json& submission, Days today,
                                      const std::string& recorded_at, const std::string& salt_hex);
  Status Init(const Config& config, std::string* first_admin_token);
  Status LoadOrCreateKeys();
  StatusOr<std::shared_ptr<const std::vector<Record>>> ActiveView(const std::string& learner);
  void AppendPosted(std::vector<LogEntry> entries, std::vector<std::string> learners,
                    std::function<void(StatusOr<PostResult>, BatchErrors)> done);

  Config config_;
  std::function<void(std::function<void()>)> post_ = [](std::function<void()> f) { f(); };
  std::unique_ptr<Kv> kv_;
  std::shared_ptr<const Ed25519Key> key_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<TokenStore> tokens_;
  std::string nid_secret_;
  std::shared_mutex scales_mu_;  // Register is exclusive; Recognize reads
  GradeScales scales_;
  json log_keys_;  // published verifier keys with validity
  BankCounters counters_;

  std::shared_mutex cache_mu_;
  std::unordered_map<std::string, std::shared_ptr<const Institution>> institutions_;
  std::unordered_map<std::string, std::shared_ptr<const Unit>> units_;
  std::unordered_map<std::string, std::shared_ptr<const Program>> programs_;
  std::unordered_map<std::string, std::shared_ptr<const CompiledRuleset>> compiled_;
  // Read cache of each learner's records (and its passbook). Generations are striped by a
  // hash of the learner id and bumped after a write that touches the learner is durable; a
  // cached view is used only if its stripe's generation is unchanged.
  struct LearnerView {
    uint64_t generation = 0;
    std::shared_ptr<const std::vector<Record>> records;
    Days passbook_day = -1;
    std::string passbook;
  };
  static constexpr size_t kGenerationStripes = 1 << 16;
  static constexpr size_t kMaxCachedViews = 200'000;
  std::atomic<uint64_t>& GenerationOf(const std::string& learner);
  void Touch(const std::string& learner) { GenerationOf(learner).fetch_add(1); }
  std::unique_ptr<std::atomic<uint64_t>[]> generations_{
      new std::atomic<uint64_t>[kGenerationStripes]()};
  std::mutex views_mu_;
  std::unordered_map<std::string, LearnerView> views_;
  std::shared_mutex known_mu_;
  std::unordered_map<std::string, bool> known_learners_;

  std::mutex learner_mu_;   // serializes account creation (one account per national ID)
  std::mutex ruleset_mu_;   // serializes version numbering per publication
  std::mutex admin_mu_;
  uint64_t admin_seq_ = 0;
};

}  // namespace lcb
