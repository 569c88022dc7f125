// Phase 2 of `creditbank import`: every mapped row checked the way POST /v1/records will check
// it, before anything is sent (cli/cmd_import.cc describes the phases).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/import_options.h"
#include "cli/rest_client.h"
#include "engine/model.h"
#include "formats/mapping_apply.h"

namespace lcb::import_cli {

struct Validated {
  size_t data_rows = 0;
  std::vector<Row> valid;                      // file order
  // The rows with a problem that still read as records (file order), for the server's own
  // check of a refused file: what only the server knows (a learner account that does not
  // exist, an external_ref stored for other content) is then named beside the rest.
  std::vector<Row> invalid;
  std::vector<formats::CellProblem> problems;  // file order; every problem of a row
  size_t invalid_rows = 0;                     // the rows with a problem
};

// Maps every row of `table` to a RecordInput and checks it: the JSON API's byte limits, the
// unit (fetched from the server when `units` lacks it), the engine's recognition checks
// against `issuer`, and external_refs repeated inside the file. A row's independent problems
// are all reported (a bad grade and a date in the future), each at its own column. The rows the
// mapping refused (table.refused; counted by the caller as left out) are checked as far as they
// mapped, and their problems added, less those of the cells the mapping refused. An error only
// when the check itself could not be made (the server is down).
Status Validate(formats::MappedTable& table, const Institution& issuer, RestClient& remote,
                const std::string& token,
                std::unordered_map<std::string, std::optional<Unit>> units, Validated* out);

}  // namespace lcb::import_cli
