// The catalog: institutions (admin), units and programs (their institution), grade scales
// (admin, create-only so a stored grade never changes meaning). Rows: kCatalog
// (storage/keys.h), documents as codec/mapping.h writes them plus "updated_at".
//
// Reads are served from in-memory caches filled on first use; a Put replaces the cached
// object after its write is durable. Thread-safe. Puts write with sync: call them off the
// HTTP threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/grades.h"
#include "engine/model.h"
#include "service/admin_log.h"
#include "storage/kv.h"

namespace lcb {

// A catalog object and when it was last written.
template <typename T>
struct CatalogItem {
  T value;
  std::string updated_at;
};

template <typename T>
struct CatalogPage {
  std::vector<CatalogItem<T>> items;
  std::string next_cursor;  // empty on the last page
};

// Keeps a program change from invalidating the program's published ruleset (RulesetService
// implements it): runs `write` only if the change is allowed, serialized with publications.
class ProgramGuard {
 public:
  virtual ~ProgramGuard() = default;
  virtual Status GuardProgramChange(const Program& program,
                                    const std::function<Status()>& write) = 0;
};

class CatalogService {
 public:
  // Loads the registered grade scales.
  static StatusOr<std::unique_ptr<CatalogService>> Open(Kv* kv, AdminLog* admin_log);
  void SetProgramGuard(ProgramGuard* guard) { guard_ = guard; }

  // Forgets what is cached and reads the grade scales again (another node changed the
  // catalog: several nodes on one store).
  Status Reload();

  StatusOr<CatalogItem<Institution>> PutInstitution(Institution inst, const Principal& by);
  StatusOr<CatalogItem<Unit>> PutUnit(Unit unit, const Principal& by);
  // An institution's regime cannot change once it has posted records (AlreadyExists at
  // /regime). A program with an empty policy whose institution has a regime is stored with
  // the regime's default policy.
  StatusOr<CatalogItem<Program>> PutProgram(Program program, const Principal& by);
  // Whether the store holds the institution's posted mark (written with its first records,
  // RecordService). A yes is remembered (marks are never removed), so the writers of a batch
  // ask the store only until the first one is durable: before, every record rewrote the mark,
  // i.e. one more row per record on one key (a memtable with millions of versions of it).
  StatusOr<bool> HasPosted(const std::string& institution_id);

  // NotFound when absent. The *Item forms carry updated_at (one store read); the plain forms
  // come from the cache.
  StatusOr<CatalogItem<Institution>> InstitutionItem(const std::string& id);
  StatusOr<CatalogItem<Unit>> UnitItem(const std::string& id);
  StatusOr<CatalogItem<Program>> ProgramItem(const std::string& id);
  StatusOr<Institution> GetInstitution(const std::string& id);
  // The institution's name, or its id when it has none or is unknown (for display).
  std::string InstitutionName(const std::string& id);
  // Changes whenever an institution, unit or program is written, so a text that shows what
  // the catalog says of them (names, titles) can be kept until then.
  uint64_t Version() const { return version_.load(std::memory_order_acquire); }
  StatusOr<Unit> GetUnit(const std::string& id);
  StatusOr<Program> GetProgram(const std::string& id);

  // Ids starting with `prefix`, after `cursor` (an id from a previous page), in id order.
  StatusOr<CatalogPage<Institution>> ListInstitutions(const std::string& prefix,
                                                      const std::string& cursor, size_t limit);
  StatusOr<CatalogPage<Unit>> ListUnits(const std::string& prefix, const std::string& cursor,
                                        size_t limit);
  StatusOr<CatalogPage<Program>> ListPrograms(const std::string& prefix, const std::string& cursor,
                                              size_t limit);

  StatusOr<GradeScale> RegisterGradeScale(GradeScale scale, const Principal& by);
  std::vector<GradeScale> ListGradeScales() const;
  StatusOr<GradeScale> GetGradeScale(const std::string& id) const;
  // An immutable snapshot of every scale, for recognition.
  std::shared_ptr<const GradeScales> Scales() const;
  // A snapshot that knows the scale `id`: on a miss the scales are read again from the store
  // first (a PostgreSQL follower can read a record before its poll of the admin log brings the
  // scale's registration); nullptr when the store does not know it either.
  std::shared_ptr<const GradeScales> ScalesKnowing(std::string_view id);

 private:
  CatalogService(Kv* kv, AdminLog* admin_log) : kv_(kv), admin_log_(admin_log) {}
  Status LoadGradeScales();
  // 409 at /regime when `inst` changes the regime of an institution that has posted records.
  Status CheckRegimeChange(const Institution& inst);
  // 409 at /did or /public_keys/<i> when another institution holds the same DID or key.
  Status CheckIdentityUnique(const Institution& inst);
  // A program with no policy at all whose institution has a regime gets the regime's default
  // policy (Regime::DefaultPolicy: ratio and caps), stored with the program.
  void ApplyRegimeDefaultPolicy(Program& program);
  // Reads a stored document; NotFound names `noun`.
  StatusOr<std::string> ReadDocument(int kind, const std::string& id, const char* noun);
  Status WriteDocument(int kind, const std::string& id, const std::string& document);
  template <typename T>
  StatusOr<CatalogPage<T>> List(int kind, const std::string& prefix, const std::string& cursor,
                                size_t limit);

  Kv* kv_;
  AdminLog* admin_log_;
  ProgramGuard* guard_ = nullptr;

  mutable std::shared_mutex cache_mu_;
  std::unordered_map<std::string, std::shared_ptr<const Institution>> institutions_;
  std::unordered_map<std::string, std::shared_ptr<const Unit>> units_;
  std::unordered_map<std::string, std::shared_ptr<const Program>> programs_;
  std::atomic<uint64_t> version_{0};  // Version(): bumped with each Put* under cache_mu_
  std::unordered_set<std::string> posted_;  // HasPosted() answered yes; under cache_mu_

  mutable std::mutex scales_mu_;  // guards the pointer; the scales themselves are immutable
  std::shared_ptr<const GradeScales> scales_ = std::make_shared<const GradeScales>();
  std::mutex register_mu_;  // serializes registrations
};

}  // namespace lcb
