// The admin action log: who created, revoked or changed what. Append-only rows in kAdminLog
// (storage/keys.h), numbered from 1.
//
// Thread-safe. Record writes with sync: call it off the HTTP threads.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "codec/rows.h"
#include "service/tokens.h"
#include "storage/kv.h"

namespace lcb {

class AdminLog {
 public:
  // Continues the sequence after the last stored action.
  static StatusOr<std::unique_ptr<AdminLog>> Open(Kv* kv);

  // The action already happened; a failure to log it is reported in the server log.
  void Record(const Principal& by, const std::string& action, const std::string& object);
  // Writes `batch` (synced) with the action's row: the change and its record, or neither.
  Status RecordWith(const Principal& by, const std::string& action, const std::string& object,
                    WriteBatch batch);
  // Continues the sequence after actions another node stored (several nodes on one store):
  // the actions found after the last one this node knew of, oldest first.
  StatusOr<std::vector<AdminActionRow>> CatchUp();
  // Actions with sequence numbers above `after`, oldest first.
  StatusOr<std::vector<AdminActionRow>> List(uint64_t after, size_t limit);

 private:
  explicit AdminLog(Kv* kv) : kv_(kv) {}
  Kv* kv_;
  std::mutex mu_;
  uint64_t seq_ = 0;
};

}  // namespace lcb
