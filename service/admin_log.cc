#include "service/admin_log.h"

#include "common/date.h"
#include "common/encoding.h"
#include "storage/keys.h"

namespace lcb {

StatusOr<std::unique_ptr<AdminLog>> AdminLog::Open(Kv* kv) {
  std::unique_ptr<AdminLog> log(new AdminLog(kv));
  LCB_RETURN_IF_ERROR(
      kv->Scan(Table::kAdminLog, "", "", SIZE_MAX, [&](std::string_view key, std::string_view) {
        log->seq_ = GetBigEndian64(key);
        return true;
      }));
  return log;
}

StatusOr<uint64_t> AdminLog::CatchUp() {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t found = 0;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kAdminLog, keys::AdminAction(seq_ + 1), "", SIZE_MAX,
                                [&](std::string_view key, std::string_view) {
                                  seq_ = GetBigEndian64(key);
                                  ++found;
                                  return true;
                                }));
  return found;
}

void AdminLog::Record(const Principal& by, const std::string& action, const std::string& object) {
  std::lock_guard<std::mutex> lock(mu_);
  AdminActionRow row{++seq_, NowRfc3339(), by.role(), by.token_id, action, object};
  WriteBatch batch;
  batch.Put(Table::kAdminLog, keys::AdminAction(row.seq), EncodeAdminActionRow(row));
  (void)kv_->Write(batch, true);
}

StatusOr<std::vector<AdminActionRow>> AdminLog::List(uint64_t after, size_t limit) {
  std::vector<AdminActionRow> out;
  Status bad;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kAdminLog, keys::AdminAction(after + 1), "", limit,
                                [&](std::string_view, std::string_view value) {
                                  auto row = DecodeAdminActionRow(value);
                                  if (!row.ok()) {
                                    bad = row.status();
                                    return false;
                                  }
                                  out.push_back(std::move(row).value());
                                  return true;
                                }));
  LCB_RETURN_IF_ERROR(bad);
  return out;
}

}  // namespace lcb
