// The bank's services, opened together over one store: the composition root. It owns the
// store (Kv), the log (LogService, which owns the Ledger) and one object per concern; api/
// and cli/ get the services they need from here and nothing else.
//
// Open order: store -> national-ID secret -> log (key, ledger; the stored tree is checked
// against the last signed checkpoint) -> tokens (first start: an admin token written 0600)
// -> admin log -> catalog -> learners -> records -> passbook -> rulesets -> conversions
// -> credentials (first start: the credential keys written 0600).
// Stop() stops the log writer (queued appends fail with Unavailable); destruction closes the
// store.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "config/config.h"
#include "service/admin_log.h"
#include "service/backup.h"
#include "service/catalog.h"
#include "service/context.h"
#include "service/files.h"
#include "service/conversions.h"
#include "service/credential_input.h"
#include "service/credentials.h"
#include "service/learners.h"
#include "service/log.h"
#include "service/passbook.h"
#include "service/records.h"
#include "service/rulesets.h"
#include "service/stats.h"
#include "service/tokens.h"
#include "service/transcripts.h"
#include "service/writer_lease.h"
#include "storage/kv.h"

namespace lcb {

class Services {
 public:
  // Entries a follower reads for the statistics in one poll (FollowStore): 64 bundles.
  static constexpr uint64_t kMaxEntriesMarkedPerPoll = 64 * 256;
  // Opens (or initializes) everything in config.data_dir. On first start writes an admin token
  // to config.admin_token_file (0600) and returns it in *first_admin_token.
  static StatusOr<std::unique_ptr<Services>> Open(const Config& config,
                                                  std::string* first_admin_token = nullptr);
  ~Services();

  // `post` runs completions (off the log writer thread); `blocking` runs work that waits on
  // an fsync. Both run inline until set.
  void SetExecutors(Executor post, Executor blocking);
  void Stop();

  const Config& config() const { return config_; }
  ServiceCounters& counters() { return counters_; }
  TokenService& tokens() { return *tokens_; }
  AdminLog& admin_log() { return *admin_log_; }
  CatalogService& catalog() { return *catalog_; }
  LearnerService& learners() { return *learners_; }
  RecordService& records() { return *records_; }
  PassbookService& passbook() { return *passbook_; }
  RulesetService& rulesets() { return *rulesets_; }
  ConversionService& conversions() { return *conversions_; }
  LogService& log() { return *log_; }
  CredentialService& credentials() { return *credentials_; }
  TranscriptService& transcripts() { return *transcripts_; }
  StatsService& stats() { return *stats_; }
  CredentialInputService& credential_input() { return *credential_input_; }

  // The tag a node puts on a write it forwards to the log writer (api/forwarder.h), vouching
  // for the client address it names: HMAC-SHA256 of the request id and the address under a key
  // derived from the national-ID secret, which every node of one bank shares.
  std::string ForwardTag(std::string_view request_id, std::string_view client) const;
  // Whether `tag` is ForwardTag(request_id, client) (compared in constant time).
  bool ForwardTagValid(std::string_view request_id, std::string_view client,
                       std::string_view tag) const;

  // Online backup into `dir` (an absolute path that must not exist).
  StatusOr<BackupManifest> Backup(const std::string& dir);
  // Figures of the store for /metrics.
  std::map<std::string, double> StorageStats() { return kv_->Stats(); }
  // With storage.backend postgres: the log writer's lease (nullptr on RocksDB). Started by
  // StartWriterLease, which the server calls once it serves.
  WriterLeaseKeeper* writer_lease() { return writer_lease_.get(); }
  // Starts renewing (writer) or polling (follower) the lease; a follower follows the store on
  // each poll (FollowStore) and takes the log over when the writer is gone (TakeOverLog).
  void StartWriterLease(WriterLeaseKeeper::Listener listener);
  // Several nodes on one store. Stores `url` as the address other nodes forward writes to
  // while this node writes the log (kMeta "node/<lease holder>").
  Status AdvertiseNode(const std::string& url);
  // Where a write that arrives at this node is done: "" = here (embedded store, or this node
  // writes the log), else the log writer's advertised URL. Unavailable while no writer can be
  // named (a takeover in progress, a writer that has not advertised its URL yet).
  StatusOr<std::string> WriteTarget();
  // A follower's poll: publishes the log's newer checkpoint (Ledger::Follow) and forgets what
  // other nodes may have changed since: every learner's cached passbook and records (they
  // catch up from the store on their next read), status lists, and, when the admin log grew,
  // the catalog, tokens and compiled rulesets. Once /v1/stats tracks changes, the learners of
  // the new log entries (records, revocations, conversions) are marked for its aggregates.
  // `max_marked`: entries read for the statistics in this call (the rest at the next); taking
  // the log over reads them all, since a writer does not poll.
  Status FollowStore(uint64_t max_marked = kMaxEntriesMarkedPerPoll);
  // The store itself, for the HTTP layer's own rows (portal sessions, api/sessions.h).
  Kv& kv() { return *kv_; }

 private:
  Services() = default;
  Status Init(const Config& config, std::string* first_admin_token);
  Status LoadOrCreateSecret();
  Status BootstrapAdmin(std::string* first_admin_token);
  // Marks for the statistics the learner of each conversion and revocation entry in [from, to)
  // (FollowStore); records need no mark (the statistics read them from the entries).
  Status MarkLearnersOfEntries(uint64_t from, uint64_t to);

  Config config_;
  ServiceCounters counters_;
  LearnerGenerations generations_;
  LearnerChanges stats_changes_;  // marked by learners, records, conversions; read by stats
  std::unique_ptr<DirLock> dir_lock_;  // with storage.backend postgres (RocksDB locks its own)
  std::unique_ptr<Kv> kv_;
  PgKv* pg_ = nullptr;                               // kv_ when storage.backend is postgres
  std::unique_ptr<WriterLeaseKeeper> writer_lease_;  // stopped before kv_ closes (declared after)
  std::string national_id_secret_;
  std::unique_ptr<LogService> log_;
  std::unique_ptr<TokenService> tokens_;
  std::unique_ptr<AdminLog> admin_log_;
  std::unique_ptr<CatalogService> catalog_;
  std::unique_ptr<LearnerService> learners_;
  std::unique_ptr<RecordService> records_;
  std::unique_ptr<PassbookService> passbook_;
  std::unique_ptr<RulesetService> rulesets_;
  std::unique_ptr<ConversionService> conversions_;
  std::unique_ptr<CredentialService> credentials_;
  std::unique_ptr<TranscriptService> transcripts_;
  std::unique_ptr<StatsService> stats_;
  std::unique_ptr<CredentialInputService> credential_input_;

  // The log's size at the last FollowStore (at start: the size the store was opened at).
  std::atomic<uint64_t> followed_size_{0};
  std::mutex writer_mu_;                          // guards the two below
  std::string writer_holder_;                     // the lease holder as last read (FollowStore)
  std::map<std::string, std::string> node_urls_;  // lease holder -> advertised URL
};

}  // namespace lcb
