// Statistics for regulators (GET /v1/stats): learners, active records, credits and applied
// conversions grouped by region (the learner's GB/T 2260 code at a region level), kind, level
// (the record's common level: EQF for issuers with a regime, else the posted level), year
// (of completed_on) and issuer. Cells counting fewer than k learners are left out and only
// counted, so no cell describes a handful of people; no totals are given (a total minus the
// shown cells would reveal the suppressed ones), and, since another query can give such a total
// (the city of a county, a cell without one of its keys), more cells are left out until what a
// subtraction recovers counts 0 or at least k learners (service/stats_suppress.h), within the
// answer of the question's region's siblings when its prefix is finer than a province (so a
// finer prefix never shows a county that its city's answer leaves out). A region-only cell,
// which counts learners without records too, is also left out when its records come from 1 to
// k-1 learners (stats_suppress.h, TooFew).
//
// Definitions, per cell (one combination of group keys):
//   learners     distinct learners with at least one active record in the cell; when every
//                group key is a learner's own (region only), every learner of the region,
//                with or without records
//   records      active records in the cell (not revoked, with a passing grade: a failing
//                grade earns nothing and is counted nowhere);  credits  their sum
//   conversions  applied conversions of the cell's learners (a learner in two cells counts
//                its conversions in both)
// Learners without a region are left out of every query that filters or groups by region.
//
// Cost: computed from maintained aggregates (service/stats_aggregates.h), not by a scan of
// the store per request. They are built by one scan (O(learners + records),
// service/stats_scan.h): by `serve` in the background at start (config stats_build_on_start,
// Build()), else by the first request. From then on the writing services mark each learner
// whose records were revoked, conversions or account changed (service/learner_changes.h:
// LearnerService, RecordService, ConversionService, once the change is durable), and each request
// (or the keeper, see Freshness below) first brings the aggregates up to date: the records
// logged since the last request are read from the log's entries, a bundle of 256 at a time, and
// added to their learners (O(records added)
// reads, O(each learner's distinct cells) in memory); a new account whose row says its
// records all lie in the entries read next (LearnerRow::logged_before, LearnerChanges::MarkNew)
// is taken from its row alone; a learner marked for anything else (a revocation, a conversion,
// an account written before rows said so) is reloaded whole (O(its records)). Then it reads cells
// in memory: grouped by region, kind, level and year only, O(cells of the counties under the region
// prefix), independent of the number of learners and records; grouped by issuer nationally, with
// at most one of kind, level, year by province, or alone or with year by city, the same (those maps
// are kept for everyone, each province and each city); any other question by issuer, O(distinct
// cells of the learners under the prefix) (maps of every subset with issuer at every level would
// hold about one entry per record). A question under a city or county is answered with its
// siblings' (above; ScopeOf in service/stats_suppress.h), so it costs what its province's answer
// by city (or its city's by county) costs: for issuer x year in a city at 1M learners, ~100k
// cells suppressed together. Memory: per learner its county, conversions and distinct (kind,
// level, year, issuer) cells, plus 8 cell maps per region, 8 issuer maps for everyone, 4 per
// province and 2 per city (figures in benchmarks/README.md). On a PostgreSQL follower (which
// does not write), each poll of the store marks the learners of the revocations and
// conversions among the log entries it brings (Services::FollowStore, at most
// 16,384 entries a poll, all of them when the node takes the log over; the records themselves are
// read from the shared log's entries by the next request, as on the writer), and marks as new the
// learners whose accounts the admin log says were created (accounts are not log entries:
// "create_learner" actions).
//
// Freshness: without a keeper (StartKeeper not called, or a staleness of 0) each question
// brings the figures up to date itself, as above, so it counts everything acknowledged before
// it. With a keeper (`serve`: config stats_max_staleness_ms, default 1,000), a background
// thread does that work while regulators are asking (for kKeepWarm after the last question),
// pausing a quarter of the staleness bound (10 to 250 ms) after each pass, in steps of
// kKeeperStep entries whose parsing is done outside the lock; a question then answers from the
// figures as they are, without waiting for the records posted meanwhile, as long as the
// keeper's last complete pass started at most the staleness bound before it; otherwise (the
// first question after a quiet period, a keeper that fell behind) it brings them up to date
// itself. Between questions (config stats_idle_keeper, default true) a second thread keeps them
// up to date at the lowest priority the kernel has (SCHED_IDLE: it runs only on CPU time no
// other thread wants), so that the first question after a quiet period reads only what that
// thread has not read yet, not everything posted since the last question (~4-5 us a record:
// most of a minute after 10M records). Either way an answer
// (but a later page, which reads the answer of its first page) counts every record,
// revocation, conversion and account change this node acknowledged more than the bound before
// the question (a PostgreSQL follower learns of other nodes' changes by its polls of the
// store), and gives the log size below which every record is counted (StatsResult::tree_size;
// a revocation's or conversion's learner is marked when its group is durable, just after its
// entry becomes visible, so it may be counted a pass later than its entry). Thread-safe:
// requests compute one at a time (a mutex, which the keeper holds for one step at a time,
// plus the reloads of the learners marked meanwhile); a mark is a map insert.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "service/learner_changes.h"
#include "service/records.h"
#include "service/stats_query.h"
#include "storage/kv.h"

namespace lcb {

class StatsAggregates;

class StatsService {
 public:
  // `changes` is marked by the writing services (Services wires them).
  StatsService(RecordService* records, Kv* kv, LearnerChanges* changes);
  ~StatsService();
  StatusOr<StatsResult> Compute(const StatsQuery& query);
  // Builds the aggregates now if no request has (serve calls it in the background at start);
  // a request meanwhile waits for it. Returns the number of learners read.
  StatusOr<size_t> Build();
  // Learners reloaded whole (their records replayed) since start: a mark other than a new
  // account's; a new account already known here, or whose row does not say where its records
  // start or says a leaf already read past; a learner met in the entries before its mark. For
  // tests and figures.
  uint64_t reloads();
  // Makes a running or later Build give up (Unavailable) at its next learner: on shutdown.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  // Starts the keeper (see Freshness above): answers may then be up to `max_staleness` old.
  // It makes a pass every `period` (zero: a quarter of the bound, from 10 to 250 ms) while
  // regulators ask, and with `between_questions` a second thread, at SCHED_IDLE, makes them
  // at the same pace the rest of the time. Zero staleness starts nothing. Call once, before
  // the first question.
  void StartKeeper(std::chrono::milliseconds max_staleness,
                   std::chrono::milliseconds period = std::chrono::milliseconds(0),
                   bool between_questions = false);
  // One pass of the keeper: brings the figures up to the log's size read as it starts,
  // kKeeperStep entries at a time, each read outside the lock. Does nothing before the
  // aggregates are built, and (so that the two threads do not read the same entries) nothing
  // unless regulators are asking (a question within kKeepWarm) or, `between_questions`, unless
  // they are not. The keeper's threads run it every period; tests call it directly.
  void KeepUp(bool between_questions = false);
  // Stops the keeper and waits for it (also Cancel()s a Build). Idempotent.
  void Stop();
  // Complete passes of the keeper since start (tests, /metrics).
  uint64_t keeper_passes() const { return keeper_passes_.load(); }
  // Questions that brought the figures up to date themselves (no keeper, the first question
  // after a quiet period, or the keeper's last pass older than the bound) (/metrics).
  uint64_t catch_ups() const { return catch_ups_.load(); }
  // Log entries those questions read (what the keepers had not read yet) (tests, /metrics).
  uint64_t catch_up_entries() const { return catch_up_entries_.load(); }
  // The log size the figures count now (StatsResult::tree_size of a question now) (/metrics).
  uint64_t counted_to() const { return counted_to_.load(); }

  // The keeper stays at work this long after the last question.
  static constexpr std::chrono::minutes kKeepWarm{10};
  // Entries the keeper reads per step (the lock is held only to add them).
  static constexpr uint64_t kKeeperStep = 128;

 private:
  // The aggregates from a scan of the store (the first request, or Build()), and the number of
  // learners read; mu_ held.
  StatusOr<size_t> BuildLocked();
  // A record of the log's entries as the statistics count it, read outside the lock.
  struct EntryRecord;
  // Brings the aggregates up to date: takes in every learner marked since the last request (a
  // new account from its row, a revocation or a conversion by a replay: Reload) and adds the
  // records logged since. mu_ held.
  Status Refresh();
  // Takes in the learners marked since the last call (Reload). mu_ held.
  Status TakeMarks();
  // The records of the log's entries [from, to). Needs no lock.
  StatusOr<std::vector<EntryRecord>> ReadEntries(uint64_t from, uint64_t to);
  // Adds `records`, read from the entries [entries_read_to_, to), and moves entries_read_to_ to
  // `to`. mu_ held.
  Status AddEntries(const std::vector<EntryRecord>& records, uint64_t to);
  // Whether a question at `now` may be answered without bringing the figures up to date. mu_
  // held.
  bool FreshEnough(std::chrono::steady_clock::time_point now) const;
  // The figures count every record below `tree_size` (answers and /metrics say so). mu_ held.
  void SetCountedTo(uint64_t tree_size);
  // Every change acknowledged before `started` is counted (never moves back). mu_ held.
  void CaughtUpAt(std::chrono::steady_clock::time_point started);
  void KeeperLoop(std::chrono::milliseconds period, bool between_questions);
  // Reads a learner again: an account marked `created` and not known here from its row alone
  // when the row says its records all lie in the entries not read yet
  // (LearnerRow::logged_before); any other by replaying its records.
  Status Reload(const std::string& learner, bool created = false);

  RecordService* records_;
  Kv* kv_;
  LearnerChanges* changes_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;  // guards everything below
  bool built_ = false;
  uint64_t entries_read_to_ = 0;  // the log's records below this are counted
  uint64_t reloads_ = 0;
  // Behind a pointer, so that the header of its maps stays in stats.cc.
  std::unique_ptr<StatsAggregates> aggregates_;
  std::optional<std::chrono::steady_clock::time_point> last_question_;
  // When the last complete bringing up to date started (by the keeper or by a question): every
  // change acknowledged before it is counted.
  std::optional<std::chrono::steady_clock::time_point> caught_up_at_;
  std::chrono::milliseconds max_staleness_{0};  // 0: no keeper

  std::mutex keeper_mu_;  // guards keeper_stop_
  std::condition_variable keeper_cv_;
  bool keeper_stop_ = false;
  std::atomic<uint64_t> keeper_passes_{0};
  std::atomic<uint64_t> catch_ups_{0};
  std::atomic<uint64_t> catch_up_entries_{0};
  std::atomic<uint64_t> counted_to_{0};  // entries_read_to_, for readers without mu_
  std::thread keeper_;
  std::thread idle_keeper_;  // between questions, at SCHED_IDLE
};

}  // namespace lcb
