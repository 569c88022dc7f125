#include "service/services.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#include "codec/json_util.h"
#include "codec/mapping.h"
#include "common/encoding.h"
#include "crypto/sha256.h"
#include "service/files.h"
#include "service/log_entries.h"
#include "storage/keys.h"

namespace lcb {
namespace {

// A token's subject exists: its institution is registered, its learner has an account. A
// token for a ghost would act (create learners) where the catalog would refuse its institution.
Status RoleSubjectExists(CatalogService& catalog, LearnerService& learners, const Principal& p) {
  if (p.kind == RoleKind::kInstitution) {
    auto inst = catalog.GetInstitution(p.subject);
    if (inst.ok()) return Status::Ok();
    if (inst.status().code() != StatusCode::kNotFound &&
        inst.status().code() != StatusCode::kInvalidArgument) {
      return inst.status();
    }
    return Status(StatusCode::kFailedPrecondition, Field("/role"),
                  "institution '" + p.subject +
                      "' is not registered; register it (PUT /v1/institutions/" + p.subject +
                      ") before making its token");
  }
  if (p.kind == RoleKind::kLearner && !learners.Exists(p.subject)) {
    return Status(StatusCode::kFailedPrecondition, Field("/role"),
                  "no learner '" + p.subject + "'; create it (POST /v1/learners) first");
  }
  return Status::Ok();
}

// A node that is not the log writer never makes the bank's first keys on a shared store: when it
// starts together with the bank's first node (which holds the lease but may not have published
// its keys yet), it waits for them, so that every node is checked against the same keys
// (LoadOrCreateSecret, LogService, CredentialKeys) instead of each making its own and the last
// one written winning. The writer writes the secret's check value before both key lists.
Status AwaitBankKeys(Kv& kv, std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  for (;;) {
    std::string value;
    const Status log = kv.Get(Table::kMeta, keys::kMetaLogKeys, &value);
    const Status credentials = kv.Get(Table::kMeta, keys::kMetaCredentialKeys, &value);
    if (log.ok() && credentials.ok()) return Status::Ok();
    for (const Status& s : {log, credentials}) {
      if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    }
    if (std::chrono::steady_clock::now() >= until) {
      return Status::FailedPrecondition(
          "the log writer has not published the bank's keys within " +
          std::to_string(wait.count()) +
          " ms: start the bank's first node on its own, then the others with its keys "
          "(docs/scale-out.md, \"Several nodes\")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

StatusOr<std::unique_ptr<Services>> Services::Open(const Config& config,
                                                   std::string* first_admin_token) {
  std::unique_ptr<Services> services(new Services());
  LCB_RETURN_IF_ERROR(services->Init(config, first_admin_token));
  return services;
}

Services::~Services() { Stop(); }

void Services::Stop() {
  if (stats_) stats_->Stop();
  if (log_) log_->Stop();
  // After the log: no event comes after the totals stored here, so a clean restart replays
  // none.
  if (passbook_) passbook_->PersistAll();
  if (writer_lease_) writer_lease_->Stop();
}

void Services::StartWriterLease(WriterLeaseKeeper::Listener listener) {
  if (!writer_lease_) return;
  WriterLeaseKeeper::Callbacks callbacks;
  callbacks.listener = std::move(listener);
  callbacks.follow = [this] { return FollowStore(); };
  // The old writer is fenced: the stored log is final until this node appends.
  callbacks.take_over = [this] { return FollowStore(UINT64_MAX); };
  writer_lease_->Start(std::move(callbacks));
}

Status Services::AdvertiseNode(const std::string& url) {
  if (!writer_lease_) return Status::Ok();
  WriteBatch batch;
  batch.Put(Table::kMeta, std::string(keys::kMetaNodePrefix) + writer_lease_->holder(), url);
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  std::lock_guard<std::mutex> lock(writer_mu_);
  node_urls_[writer_lease_->holder()] = url;
  return Status::Ok();
}

StatusOr<std::string> Services::WriteTarget() {
  if (!writer_lease_ || writer_lease_->is_writer()) return std::string();
  std::string holder;
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    holder = writer_holder_;
    if (auto it = node_urls_.find(holder);
        it != node_urls_.end() && holder != writer_lease_->holder()) {
      return it->second;
    }
  }
  if (holder.empty() || holder == writer_lease_->holder()) {
    LCB_ASSIGN_OR_RETURN(WriterLease now, pg_->CurrentWriter());
    holder = now.holder;
    std::lock_guard<std::mutex> lock(writer_mu_);
    writer_holder_ = holder;
  }
  if (holder.empty() || holder == writer_lease_->holder()) {
    return Status::Unavailable(
        "no node writes the log at the moment (a new writer takes over "
        "once the lease expires); retry shortly");
  }
  std::string url;
  Status s = kv_->Get(Table::kMeta, std::string(keys::kMetaNodePrefix) + holder, &url);
  if (s.code() == StatusCode::kNotFound) {
    return Status::Unavailable("the log writer '" + holder + "' has not advertised its URL yet");
  }
  LCB_RETURN_IF_ERROR(s);
  std::lock_guard<std::mutex> lock(writer_mu_);
  node_urls_[holder] = url;
  return url;
}

std::string Services::ForwardTag(std::string_view request_id, std::string_view client) const {
  const Hash key = HmacSha256(national_id_secret_, "creditbank forwarded-for tag v1");
  std::string material(request_id);
  material += '\n';
  material += client;
  return HashHex(HmacSha256(HashBytes(key), material));
}

bool Services::ForwardTagValid(std::string_view request_id, std::string_view client,
                               std::string_view tag) const {
  const std::string want = ForwardTag(request_id, client);
  if (tag.size() != want.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned char>(tag[i] ^ want[i]);
  return diff == 0;
}

Status Services::FollowStore(uint64_t max_marked) {
  // Compared with the size of the previous poll, not the log's size before this call: a read
  // may have followed the store in between (LogService::Reach).
  LCB_ASSIGN_OR_RETURN(uint64_t size, log_->Follow());
  // The witnesses' cosignatures the writer keeps in the store, so that this node serves the
  // same cosigned checkpoint (kept only for checkpoints this node has followed to).
  // A row that does not parse is the writer's to rewrite (its next cosignature does); until
  // then this node serves the checkpoint without those lines.
  if (log_->cosigned().enabled()) {
    (void)log_->cosigned().Restore([this](uint64_t at) { return log_->CheckpointAt(at); });
  }
  const uint64_t before = followed_size_.load();
  if (size != before) {
    generations_.TouchAll();
    records_->TouchRevocations();
    uint64_t followed = size;
    // Before followed_size_ moves on: if this fails, the next poll marks them again. A follower
    // far behind (a restart, a long pause) reads at most max_marked entries a poll, so that
    // one poll does not parse millions of entries before it looks at the lease and the
    // catalog again; the statistics catch up over the next polls.
    if (size > before && stats_changes_.tracking()) {
      followed = size - before > max_marked ? before + max_marked : size;
      LCB_RETURN_IF_ERROR(MarkLearnersOfEntries(before, followed));
    }
    followed_size_.store(followed);
  }
  LCB_ASSIGN_OR_RETURN(std::vector<AdminActionRow> actions, admin_log_->CatchUp());
  // Learner accounts are not log entries: the admin log tells of those the writer created
  // (their region counts in the statistics before they have a record) and of those moved to
  // another region.
  std::vector<std::string> created, moved;
  bool catalog_changed = false;
  for (const AdminActionRow& a : actions) {
    if (a.action == "create_learner") {
      created.push_back(a.object);
    } else if (a.action == "set_learner_region") {
      moved.push_back(a.object);
    } else {
      catalog_changed = true;
    }
  }
  if (!created.empty() && stats_changes_.tracking()) stats_changes_.MarkNew(created);
  if (!moved.empty()) stats_changes_.MarkAll(moved);
  if (catalog_changed) {
    tokens_->DropCache();
    rulesets_->DropCache();
    LCB_RETURN_IF_ERROR(catalog_->Reload());
  }
  if (writer_lease_) {
    LCB_ASSIGN_OR_RETURN(WriterLease now, pg_->CurrentWriter());
    std::lock_guard<std::mutex> lock(writer_mu_);
    writer_holder_ = now.holder;
  }
  return Status::Ok();
}

Status Services::MarkLearnersOfEntries(uint64_t from, uint64_t to) {
  return ForEachLogEntry(*log_, from, to, [&](uint64_t, std::string_view bytes) -> Status {
    // Nearly every entry is a record: told apart by the simdjson reader (~0.4 us) before a
    // JSON tree is built (~4 us), which only the other entries need.
    if (RecordFromEntryFast(bytes)) return Status::Ok();
    const json entry = json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (!entry.is_object()) return Status::Ok();  // not ours to judge here (verify checks entries)
    const std::string type = entry.value("type", "");
    // A record only adds: the statistics read records from the log's entries themselves.
    if (type == "conversion") {
      stats_changes_.Mark(entry.value("learner", ""));
    } else if (type == "revocation") {
      // The revoked record's learner, from the record's own entry.
      StatusOr<uint64_t> leaf = log_->ledger().ObjectIndex(entry.value("record", ""));
      if (!leaf.ok()) return Status::Ok();
      LCB_ASSIGN_OR_RETURN(std::string record, log_->ledger().Entry(*leaf));
      const json r = json::parse(record, nullptr, false);
      if (r.is_object()) stats_changes_.Mark(r.value("learner", ""));
    }
    return Status::Ok();
  });
}

Status Services::Init(const Config& config, std::string* first_admin_token) {
  config_ = config;
  KvOptions kv_options;
  kv_options.min_free_bytes = config_.min_free_disk_bytes;
  if (config_.storage_backend == "postgres") {
    PgKvOptions pg;
    pg.dsn = config_.storage_postgres_dsn;
    // The database first: a node that cannot reach it fails with that reason and leaves no
    // data directory behind (a mistyped DSN used to leave an empty one, with a LOCK and a
    // node_id, that looked like a node).
    LCB_ASSIGN_OR_RETURN(std::unique_ptr<PgKv> kv, PgKv::Open(pg));
    // One server per data directory, as RocksDB's own lock gives the embedded store: the
    // directory names this node in the database (its lease, its advertised URL).
    LCB_RETURN_IF_ERROR(MakeDirs(config_.data_dir));
    LCB_ASSIGN_OR_RETURN(dir_lock_, DirLock::Take(config_.data_dir));
    LCB_ASSIGN_OR_RETURN(std::string node, NodeName(config_.data_dir));
    // The holder names this node across restarts (it takes its own lease back at once), and
    // only this node: nodes on other machines with the same --data path and --listen differ by
    // their host and node id, so none takes another's lease as its own.
    pg_ = kv.get();
    writer_lease_ = std::make_unique<WriterLeaseKeeper>(
        kv.get(), node, std::chrono::milliseconds(config_.storage_postgres_lease_ms));
    const bool writer = writer_lease_->AcquireAtStart();
    kv_ = std::move(kv);  // before any return: writer_lease_ (stopped by ~Services) uses it
    if (!writer) {
      LCB_RETURN_IF_ERROR(
          AwaitBankKeys(*kv_, 3 * std::chrono::milliseconds(config_.storage_postgres_lease_ms)));
    }
  } else {
    LCB_RETURN_IF_ERROR(MakeDirs(config_.data_dir));
    LCB_ASSIGN_OR_RETURN(kv_, OpenRocksKv(config_.data_dir + "/db", kv_options));
  }
  LCB_RETURN_IF_ERROR(LoadOrCreateSecret());
  LCB_ASSIGN_OR_RETURN(
      log_, LogService::Open(kv_.get(), config_.key_file, config_.origin,
                             config_.storage_backend == "postgres", config_.rotate_log_key));
  followed_size_.store(log_->ledger().Size());
  if (writer_lease_) {
    log_->SetFollowing([lease = writer_lease_.get()] { return !lease->is_writer(); });
  }
  tokens_ = std::make_unique<TokenService>(kv_.get());
  LCB_RETURN_IF_ERROR(BootstrapAdmin(first_admin_token));
  LCB_ASSIGN_OR_RETURN(admin_log_, AdminLog::Open(kv_.get()));
  LCB_ASSIGN_OR_RETURN(catalog_, CatalogService::Open(kv_.get(), admin_log_.get()));
  learners_ = std::make_unique<LearnerService>(kv_.get(), catalog_.get(), admin_log_.get(),
                                               national_id_secret_);
  tokens_->SetSubjectCheck(
      [catalog = catalog_.get(), learners = learners_.get()](const Principal& p) {
        return RoleSubjectExists(*catalog, *learners, p);
      });
  records_ = std::make_unique<RecordService>(catalog_.get(), learners_.get(), log_.get(), kv_.get(),
                                             &generations_, &counters_);
  passbook_ =
      std::make_unique<PassbookService>(records_.get(), learners_.get(), kv_.get(), &generations_);
  rulesets_ =
      std::make_unique<RulesetService>(catalog_.get(), log_.get(), admin_log_.get(), kv_.get());
  catalog_->SetProgramGuard(rulesets_.get());
  conversions_ =
      std::make_unique<ConversionService>(catalog_.get(), learners_.get(), records_.get(),
                                          rulesets_.get(), log_.get(), kv_.get(), &counters_);
  credential_input_ = std::make_unique<CredentialInputService>(catalog_.get(), records_.get());
  LCB_ASSIGN_OR_RETURN(credentials_, CredentialService::Open(config_, kv_.get(), catalog_.get(),
                                                             records_.get(), log_.get()));
  transcripts_ = std::make_unique<TranscriptService>(catalog_.get(), learners_.get(),
                                                     records_.get(), log_.get(), kv_.get());
  stats_ = std::make_unique<StatsService>(records_.get(), kv_.get(), &stats_changes_);
  learners_->SetLogSize([log = log_.get()] { return log->Size(); });
  learners_->SetChanges(&stats_changes_);
  records_->SetChanges(&stats_changes_);
  conversions_->SetChanges(&stats_changes_);
  return Status::Ok();
}

// The store keeps a check value of the national-ID secret (storage/keys.h). A node started
// with another secret, or with none (which would make a new one), would find no learner by the
// national ID they were made with and open second accounts: it refuses to start instead.
Status Services::LoadOrCreateSecret() {
  std::string stored_check;
  Status s = kv_->Get(Table::kMeta, keys::kMetaNationalIdSecretCheck, &stored_check);
  if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  const bool known = s.ok();
  auto secret = ReadSecretFile(config_.secret_file);
  if (secret.ok()) {
    if (secret->size() < 32) {
      return Status::FailedPrecondition(config_.secret_file + " is too short");
    }
    national_id_secret_ = *secret;
  } else if (secret.status().code() != StatusCode::kNotFound) {
    return secret.status();
  } else if (known) {
    return Status::FailedPrecondition(
        config_.secret_file +
        " is missing, and this bank's store was made with a national-ID secret: copy that file "
        "(mode 0600) from a node of this bank or from its backup (a new secret would find none "
        "of the learners already known by national ID)");
  } else {
    national_id_secret_ = RandomBytes(32);
    LCB_RETURN_IF_ERROR(WriteSecretFile(config_.secret_file, national_id_secret_));
  }
  const Hash h = HmacSha256(national_id_secret_, "creditbank national-id secret check v1");
  const std::string check = HexEncode(HashBytes(h));
  if (known) {
    if (stored_check == check) return Status::Ok();
    return Status::FailedPrecondition(
        config_.secret_file +
        " is not the national-ID secret this bank's store was made with: copy the file (mode "
        "0600) from a node of this bank or from its backup (with this one, no learner already "
        "known by national ID would be found)");
  }
  WriteBatch batch;
  batch.Put(Table::kMeta, keys::kMetaNationalIdSecretCheck, check);
  return kv_->Write(batch, true);
}

Status Services::BootstrapAdmin(std::string* first_admin_token) {
  std::string value;
  Status s = kv_->Get(Table::kMeta, keys::kMetaAdminBootstrapped, &value);
  if (s.code() != StatusCode::kNotFound) return s;
  LCB_ASSIGN_OR_RETURN(NewToken admin, tokens_->Create("admin", ""));
  LCB_RETURN_IF_ERROR(WriteSecretFile(config_.admin_token_file, admin.token + "\n", true));
  WriteBatch batch;
  batch.Put(Table::kMeta, keys::kMetaAdminBootstrapped, admin.id);
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  if (first_admin_token) *first_admin_token = admin.token;
  return Status::Ok();
}

void Services::SetExecutors(Executor post, Executor blocking) {
  records_->SetExecutor(post);
  conversions_->SetExecutor(post);
  rulesets_->SetExecutors(post, blocking);
}

StatusOr<BackupManifest> Services::Backup(const std::string& dir) {
  return CreateBackup(*kv_, config_, dir);
}

}  // namespace lcb
