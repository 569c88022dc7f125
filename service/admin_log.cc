#include "service/admin_log.h"

#include "common/date.h"
#include "common/encoding.h"
#include "storage/keys.h"

namespace lcb {

namespace {

// Whether the admin log holds an action numbered `seq` or higher.
StatusOr<bool> AnyFrom(Kv* kv, uint64_t seq) {
  bool any = false;
  LCB_RETURN_IF_ERROR(kv->Scan(Table::kAdminLog, keys::AdminAction(seq), "", 1,
                               [&](std::string_view, std::string_view) {
                                 any = true;
                                 return false;
                               }));
  return any;
}

}  // namespace

StatusOr<std::unique_ptr<AdminLog>> AdminLog::Open(Kv* kv) {
  std::unique_ptr<AdminLog> log(new AdminLog(kv));
  // The last action's number, found by ~2 log2(n) one-row reads instead of a scan of every
  // action (one per learner account: millions). "Some action numbered >= x exists" holds for
  // every x up to the last one and for none above it, gaps or not.
  uint64_t high = 1;
  for (;;) {
    LCB_ASSIGN_OR_RETURN(bool any, AnyFrom(kv, high));
    if (!any) break;
    high *= 2;
  }
  uint64_t low = high / 2;  // no action >= high; some >= low, unless low is 0
  while (high - low > 1) {
    const uint64_t mid = low + (high - low) / 2;
    LCB_ASSIGN_OR_RETURN(bool any, AnyFrom(kv, mid));
    (any ? low : high) = mid;
  }
  log->seq_ = low;
  return log;
}

StatusOr<std::vector<AdminActionRow>> AdminLog::CatchUp() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AdminActionRow> found;
  Status bad;
  LCB_RETURN_IF_ERROR(kv_->Scan(Table::kAdminLog, keys::AdminAction(seq_ + 1), "", SIZE_MAX,
                                [&](std::string_view key, std::string_view value) {
                                  seq_ = GetBigEndian64(key);
                                  StatusOr<AdminActionRow> row = DecodeAdminActionRow(value);
                                  if (!row.ok()) {
                                    bad = row.status();
                                    return false;
                                  }
                                  found.push_back(std::move(row).value());
                                  return true;
                                }));
  LCB_RETURN_IF_ERROR(bad);
  return found;
}

void AdminLog::Record(const Principal& by, const std::string& action, const std::string& object) {
  std::lock_guard<std::mutex> lock(mu_);
  AdminActionRow row{++seq_, NowRfc3339(), by.role(), by.token_id, action, object};
  WriteBatch batch;
  batch.Put(Table::kAdminLog, keys::AdminAction(row.seq), EncodeAdminActionRow(row));
  (void)kv_->Write(batch, true);
}

Status AdminLog::RecordWith(const Principal& by, const std::string& action,
                            const std::string& object, WriteBatch batch) {
  std::lock_guard<std::mutex> lock(mu_);
  AdminActionRow row{seq_ + 1, NowRfc3339(), by.role(), by.token_id, action, object};
  batch.Put(Table::kAdminLog, keys::AdminAction(row.seq), EncodeAdminActionRow(row));
  LCB_RETURN_IF_ERROR(kv_->Write(batch, true));
  seq_ = row.seq;
  return Status::Ok();
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
