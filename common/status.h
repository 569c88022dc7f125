// Status and StatusOr: the error currency of every module below api/.
//
// Codes follow Abseil's rules for choosing:
//   kInvalidArgument    bad input from a caller (names the field as a JSON pointer)
//   kNotFound           the object does not exist (or the caller may not know of it)
//   kAlreadyExists      a conflicting object exists (409)
//   kFailedPrecondition the system is not in a state that allows the operation
//   kPermissionDenied   the caller is known but may not act (403)
//   kUnauthenticated    no valid credentials (401)
//   kResourceExhausted  a limit was hit (413/429)
//   kUnavailable        retry-able: storage full, shutting down (503)
//   kDataLoss           a forged or corrupt stored object (500, never a wrong answer)
//   kInternal           a bug
// A Status is cheap to copy in the OK case (no allocation).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lcb {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,
  kUnavailable,
  kDataLoss,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

// The JSON pointer (RFC 6901) of the input field a Status is about ("" = the whole input).
// A type of its own, so that a factory's field and message cannot be swapped silently:
// Status::InvalidArgument(Field("/grade"), "must be ...") compiles, ("/grade", "...") does not.
struct Field {
  explicit Field(std::string json_pointer) : pointer(std::move(json_pointer)) {}
  std::string pointer;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(StatusCode code, Field field, std::string message)
      : code_(code), message_(std::move(message)), pointer_(std::move(field.pointer)) {}

  // Every factory that names a field takes it first, as a Field.
  static Status Ok() { return Status(); }
  static Status InvalidArgument(Field field, std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(field), std::move(message));
  }
  static Status NotFound(std::string message) {
    return Status(StatusCode::kNotFound, std::move(message));
  }
  static Status AlreadyExists(std::string message) {
    return Status(StatusCode::kAlreadyExists, std::move(message));
  }
  static Status AlreadyExists(Field field, std::string message) {
    return Status(StatusCode::kAlreadyExists, std::move(field), std::move(message));
  }
  static Status FailedPrecondition(std::string message) {
    return Status(StatusCode::kFailedPrecondition, std::move(message));
  }
  static Status PermissionDenied(std::string message) {
    return Status(StatusCode::kPermissionDenied, std::move(message));
  }
  static Status Unauthenticated(std::string message) {
    return Status(StatusCode::kUnauthenticated, std::move(message));
  }
  static Status ResourceExhausted(std::string message) {
    return Status(StatusCode::kResourceExhausted, std::move(message));
  }
  static Status ResourceExhausted(Field field, std::string message) {
    return Status(StatusCode::kResourceExhausted, std::move(field), std::move(message));
  }
  static Status PermissionDenied(Field field, std::string message) {
    return Status(StatusCode::kPermissionDenied, std::move(field), std::move(message));
  }
  static Status Unavailable(std::string message) {
    return Status(StatusCode::kUnavailable, std::move(message));
  }
  static Status DataLoss(std::string message) {
    return Status(StatusCode::kDataLoss, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(StatusCode::kInternal, std::move(message));
  }
  // A failure reported by the storage engine (RocksDB, PostgreSQL), whose message is for the
  // operator: it may name the data directory's files, the database's host, port and user. The
  // HTTP layer logs it and answers a generic reason (api/problem.cc); the CLI prints it.
  static Status Backend(StatusCode code, std::string message) {
    Status s(code, std::move(message));
    s.backend_ = true;
    return s;
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // JSON pointer (RFC 6901) of the offending input field, or empty.
  const std::string& pointer() const { return pointer_; }
  // Made by Backend: the message is for the operator's log, not for a client.
  bool backend() const { return backend_; }

  // Returns a copy whose pointer is `prefix` + the current pointer ("/records/3" + "/grade").
  Status WithPointerPrefix(std::string_view prefix) const {
    Status s = *this;
    s.pointer_ = std::string(prefix) + pointer_;
    return s;
  }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string pointer_;
  bool backend_ = false;
};

// StatusOr<T> holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok());
  }
  StatusOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace lcb

#define LCB_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::lcb::Status lcb_status__ = (expr);   \
    if (!lcb_status__.ok()) return lcb_status__; \
  } while (0)

#define LCB_CONCAT_INNER(a, b) a##b
#define LCB_CONCAT(a, b) LCB_CONCAT_INNER(a, b)
#define LCB_ASSIGN_OR_RETURN(lhs, expr) \
  LCB_ASSIGN_OR_RETURN_IMPL(LCB_CONCAT(lcb_statusor_, __LINE__), lhs, expr)
#define LCB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
