// The options and shared types of `creditbank import` (cli/cmd_import.cc describes the phases).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "cli/cli_app.h"
#include "engine/model.h"
#include "engine/recognition.h"  // RecordInput
#include "formats/registrar_file.h"

namespace lcb::import_cli {

using Clock = std::chrono::steady_clock;

inline constexpr size_t kDefaultBatch = 500;
inline constexpr size_t kMaxBatch = 1000;
inline constexpr int kMaxConnections = 16;

struct ImportOptions : ServerFlags {
  std::string file;
  std::string institution;
  std::string mapping;  // "" = the bank's CSV header; a built-in name or a mapping file
  std::string sheet;
  formats::Encoding encoding = formats::Encoding::kAuto;
  size_t batch = kDefaultBatch;
  int connections = 1;
  bool skip_invalid = false;
  bool dry_run = false;
};

// A data row that mapped to a record.
struct Row {
  int line = 0;
  RecordInput input;
  size_t table_row = 0;  // index into the MappedTable's rows
  int pending = -1;      // index into MappedTable::pending: the account is not created yet
};

}  // namespace lcb::import_cli
