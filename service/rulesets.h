// Rulesets: each program's immutable, versioned conversion rules. A publication is validated
// against the program, logged as a "ruleset" entry (the version's sha256 is the hash of those
// entry bytes) and indexed in kRulesets; the compiled form (engine/ruleset_index.h) is cached
// and shared read-only by conversions.
//
// Versions of a program are consecutive: at most one publication per program is in flight
// (another gets Unavailable, retry), and a program change waits for none — it is refused while
// a publication of that program is in flight. Nothing waits on a commit while holding a lock.
//
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/model.h"
#include "service/admin_log.h"
#include "service/catalog.h"
#include "service/context.h"
#include "service/log.h"

namespace lcb {

class CompiledRuleset;

struct PublishedRuleset {
  std::string program;
  int version = 0;
  std::string sha256;  // hex, of the logged entry bytes
  std::string published_at;
  std::string published_by;
  uint64_t leaf_index = 0;
  Ruleset ruleset;
  Program program_snapshot;  // the program as it was when the rules were published
};

struct RulesetPublication {
  std::string program;
  int version = 0;
  std::string sha256;
  size_t rules = 0;
  Receipt receipt;
};

class RulesetService : public ProgramGuard {
 public:
  RulesetService(CatalogService* catalog, LogService* log, AdminLog* admin_log, Kv* kv)
      : catalog_(catalog), log_(log), admin_log_(admin_log), kv_(kv) {}
  // Where completions run; admin-log writes of completions go to `blocking`.
  // Forgets the compiled rulesets (another node may have published one).
  void DropCache() {
    std::unique_lock lock(cache_mu_);
    compiled_.clear();
  }
  void SetExecutors(Executor post, Executor blocking) {
    post_ = std::move(post);
    blocking_ = std::move(blocking);
  }

  void Publish(const std::string& program, Ruleset ruleset, const Principal& by,
               std::function<void(StatusOr<RulesetPublication>)> done);
  // The latest version, or `version`. NotFound when there is none.
  StatusOr<PublishedRuleset> Get(const std::string& program, std::optional<int> version);
  StatusOr<std::shared_ptr<const CompiledRuleset>> Compiled(const std::string& program);
  // Every program with a published ruleset, in id order.
  StatusOr<std::vector<std::string>> PublishedPrograms();

  Status GuardProgramChange(const Program& program, const std::function<Status()>& write) override;

 private:
  StatusOr<uint32_t> LatestVersion(const std::string& program);
  Status CheckReferences(const Ruleset& rs);
  StatusOr<RulesetPublication> FinishPublication(const std::string& program,
                                                 StatusOr<PublishedRuleset> published,
                                                 const Principal& by);
  void CacheCompiled(const std::string& program, std::shared_ptr<const CompiledRuleset> compiled);

  CatalogService* catalog_;
  LogService* log_;
  AdminLog* admin_log_;
  Kv* kv_;
  Executor post_ = [](std::function<void()> f) { f(); };
  Executor blocking_ = [](std::function<void()> f) { f(); };

  std::mutex publishing_mu_;
  std::unordered_set<std::string> publishing_;  // programs with a publication in flight

  std::shared_mutex cache_mu_;
  std::unordered_map<std::string, std::shared_ptr<const CompiledRuleset>> compiled_;
};

}  // namespace lcb
