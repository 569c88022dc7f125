// The log writer's lease: acquire, renew, step down, read, each one compare-and-set statement
// on the log_lease row (and, for acquire, the log_head row) in the database's clock. See
// pg_kv.h for the design and pg_statements.cc for the statements.
#include "storage/pg_kv.h"
#include "storage/pg_statements.h"

namespace lcb {

StatusOr<WriterLease> PgKv::AcquireWriter(const std::string& holder,
                                          std::chrono::milliseconds ttl) {
  if (holder.empty()) {
    return Status::InvalidArgument(Field("holder"), "the writer's address must not be empty");
  }
  if (ttl.count() <= 0) return Status::InvalidArgument(Field("ttl"), "must be positive");
  WriterLease got;
  bool taken = false;
  // One statement: retrying it after a lost connection at worst takes this holder's own lease
  // again, with a newer epoch.
  LCB_RETURN_IF_ERROR(Run([&](pg::Conn& conn) {
    pg::Params p;
    p.Int8(options_.log_id);
    p.Bytes(holder);
    p.Int8(ttl.count());
    LCB_ASSIGN_OR_RETURN(
        pg::Result r,
        conn.Query(pg::kAcquireLease, {pg::Type::kInt8, pg::Type::kText, pg::Type::kInt8}, p));
    taken = r.rows() == 1;
    if (taken) {
      got.epoch = static_cast<uint64_t>(r.Int8(0, 0));
      got.tree_size = static_cast<uint64_t>(r.Int8(0, 1));
    }
    return Status::Ok();
  }));
  if (!taken) {
    LCB_ASSIGN_OR_RETURN(WriterLease now, CurrentWriter());
    return Status::FailedPrecondition("the log writer's lease is held by '" + now.holder +
                                      "' (epoch " + std::to_string(now.epoch) + ") for another " +
                                      std::to_string(now.remaining_ms) + " ms");
  }
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    holder_ = holder;
  }
  epoch_ = got.epoch;
  got.holder = holder;
  got.remaining_ms = ttl.count();
  return got;
}

StatusOr<WriterLease> PgKv::RenewWriter(std::chrono::milliseconds ttl) {
  const uint64_t epoch = epoch_.load();
  if (epoch == 0) return Status::Unavailable("fenced: this node does not hold the writer's lease");
  std::string holder;
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    holder = holder_;
  }
  WriterLease out;
  bool renewed = false;
  LCB_RETURN_IF_ERROR(Run([&](pg::Conn& conn) {
    pg::Params p;
    p.Int8(options_.log_id);
    p.Bytes(holder);
    p.Int8(static_cast<int64_t>(epoch));
    p.Int8(ttl.count());
    LCB_ASSIGN_OR_RETURN(
        pg::Result r,
        conn.Query(pg::kRenewLease,
                   {pg::Type::kInt8, pg::Type::kText, pg::Type::kInt8, pg::Type::kInt8}, p));
    renewed = r.rows() == 1;
    if (renewed) out.remaining_ms = r.Int8(0, 0);
    return Status::Ok();
  }));
  if (!renewed) {
    uint64_t expected = epoch;
    epoch_.compare_exchange_strong(expected, 0);
    fenced_++;
    return Status::Unavailable("fenced: the log writer's lease (epoch " + std::to_string(epoch) +
                               ") was taken by another node; this node stepped down");
  }
  out.holder = holder;
  out.epoch = epoch;
  return out;
}

Status PgKv::StepDown() {
  const uint64_t epoch = epoch_.exchange(0);
  if (epoch == 0) return Status::Ok();
  std::string holder;
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    holder = holder_;
  }
  return Run([&](pg::Conn& conn) {
    pg::Params p;
    p.Int8(options_.log_id);
    p.Bytes(holder);
    p.Int8(static_cast<int64_t>(epoch));
    return conn.Query(pg::kStepDown, {pg::Type::kInt8, pg::Type::kText, pg::Type::kInt8}, p)
        .status();
  });
}

StatusOr<WriterLease> PgKv::CurrentWriter() {
  WriterLease out;
  LCB_RETURN_IF_ERROR(Run([&](pg::Conn& conn) {
    pg::Params p;
    p.Int8(options_.log_id);
    LCB_ASSIGN_OR_RETURN(pg::Result r, conn.Query(pg::kCurrentWriter, {pg::Type::kInt8}, p));
    if (r.rows() != 1) return Status::Backend(StatusCode::kDataLoss, "postgres: the log's lease row is missing");
    out.holder = std::string(r.Bytes(0, 0));
    out.epoch = static_cast<uint64_t>(r.Int8(0, 1));
    out.remaining_ms = r.Int8(0, 2);
    out.tree_size = static_cast<uint64_t>(r.Int8(0, 3));
    return Status::Ok();
  }));
  return out;
}

}  // namespace lcb
