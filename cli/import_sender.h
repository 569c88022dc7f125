// Phases 4 and 5 of `creditbank import`: the server's check of every batch (?dry_run=true) and
// the sending of the records, in batches over the pool's connections. A 413 halves the batch
// size for the rest; with --skip-invalid the rows the server refuses are dropped batch by batch.
#pragma once

#include <cstddef>
#include <mutex>
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

// Asks the server to validate every batch of `rows` without storing it (POST ?dry_run=true),
// which catches what the file and catalog cannot show, such as unknown learner accounts,
// before anything is stored. Problems are appended to `problems`; false when the check itself
// could not be made (a message was printed).
bool CheckBatches(RemotePool& pool, const ImportOptions& options, const formats::MappedTable& table,
                  const std::vector<Row>& rows, Progress& progress,
                  std::vector<formats::CellProblem>* problems);

struct SendOutcome {
  bool completed = false;  // false: stopped early, `unhandled` rows not tried
  size_t processed = 0;    // rows stored, dropped by the server's verdict, or failed
  size_t unhandled = 0;
};

// Posts every row of `rows` in batches, counting into `tally`.
SendOutcome SendBatches(RemotePool& pool, const ImportOptions& options,
                        const formats::MappedTable& table, const std::vector<Row>& rows,
                        Progress& progress, Tally& tally);

}  // namespace lcb::import_cli
