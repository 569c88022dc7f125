// Phases 4 and 5 of `creditbank import`: the server's check of every batch (?dry_run=true) and
// the sending of the records, in batches over the pool's connections. A 413 halves the batch
// size for the rest; with --skip-invalid the rows the server refuses are dropped batch by batch.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cli/import_options.h"
#include "cli/import_progress.h"
#include "cli/import_remote.h"
#include "formats/mapping_apply.h"

namespace lcb::import_cli {

struct Tally {
  std::mutex mu;
  size_t created = 0;
  size_t existing = 0;
  size_t skipped = 0;  // invalid rows left out (--skip-invalid)
  size_t failed = 0;   // rows meant to be stored that were not
};

// The request bodies of the batches checked in phase 4, kept for phase 5 so that each is
// serialized once (a body is reused only for the same contiguous rows; bounded in bytes,
// beyond which bodies are rebuilt). Safe for the pool's threads.
class BatchBodies {
 public:
  static constexpr size_t kMaxBytes = size_t{256} << 20;
  // The body of rows [first, first + count), or "" when not kept. Taken bodies are dropped.
  std::string Take(size_t first, size_t count);
  void Keep(size_t first, size_t count, std::string body);

 private:
  std::mutex mu_;
  std::unordered_map<size_t, std::pair<size_t, std::string>> bodies_;  // first -> (count, body)
  size_t bytes_ = 0;
};

// Asks the server to validate every batch of `rows` without storing it (POST ?dry_run=true),
// which catches what the file and catalog cannot show, such as unknown learner accounts,
// before anything is stored. Problems are appended to `problems`; false when the check itself
// could not be made (a message was printed).
bool CheckBatches(RemotePool& pool, const ImportOptions& options, const formats::MappedTable& table,
                  const std::vector<Row>& rows, Progress& progress,
                  std::vector<formats::CellProblem>* problems, BatchBodies* bodies);

struct SendOutcome {
  bool completed = false;  // false: stopped early, `unhandled` rows not tried
  size_t processed = 0;    // rows stored, dropped by the server's verdict, or failed
  size_t unhandled = 0;
};

// Posts every row of `rows` in batches, counting into `tally`.
SendOutcome SendBatches(RemotePool& pool, const ImportOptions& options,
                        const formats::MappedTable& table, const std::vector<Row>& rows,
                        Progress& progress, Tally& tally, BatchBodies* bodies);

}  // namespace lcb::import_cli
