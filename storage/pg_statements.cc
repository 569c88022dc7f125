#include "storage/pg_statements.h"

namespace lcb::pg {
namespace {

std::string Placeholders(size_t first, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += "$" + std::to_string(first + i);
  }
  return out;
}

// "k1 = $1 AND k2 = $2"
std::string KeyEquals(const TableCodec& codec) {
  std::string out;
  for (size_t i = 0; i < codec.key.size(); ++i) {
    if (i) out += " AND ";
    out += std::string(codec.key[i].name) + " = $" + std::to_string(i + 1);
  }
  return out;
}

// "(k1, k2) op ($first, $first+1)" over the first `arity` key columns ("k1 op $first" for one).
std::string RowCompare(const TableCodec& codec, size_t arity, const char* op, size_t first) {
  std::vector<Column> prefix(codec.key.begin(), codec.key.begin() + static_cast<long>(arity));
  if (arity == 1) return std::string(prefix[0].name) + " " + op + " $" + std::to_string(first);
  return "(" + ColumnList(prefix) + ") " + op + " (" + Placeholders(first, arity) + ")";
}

}  // namespace

std::string SelectOne(const TableCodec& codec) {
  return "SELECT " + ColumnList(codec.value) + " FROM " + codec.sql_name + " WHERE " +
         KeyEquals(codec);
}

// A lateral point lookup per array element, not "key = ANY($1)": the planner may cache a
// sequential scan for that generic plan while the table is small (measured: a growing table
// then made each group's lookup O(rows)); the LIMIT keeps each lookup a parameterized
// primary-key probe, as SelectOne is.
std::string SelectMany(const TableCodec& codec) {
  const std::string columns = ColumnList(codec.key) + ", " + ColumnList(codec.value);
  return "SELECT r.* FROM unnest($1) AS asked(k) CROSS JOIN LATERAL (SELECT " + columns +
         " FROM " + codec.sql_name + " WHERE " + codec.key[0].name + " = asked.k LIMIT 1) AS r";
}

Type KeyArrayType(const TableCodec& codec) {
  std::vector<Type> key;
  AppendTypes(codec.key, &key);
  switch (key[0]) {
    case Type::kInt8:
      return Type::kInt8Array;
    case Type::kText:
      return Type::kTextArray;
    default:
      return Type::kByteaArray;
  }
}

std::string Insert(const TableCodec& codec, size_t rows) {
  const size_t width = codec.key.size() + codec.value.size();
  std::string sql = "INSERT INTO " + std::string(codec.sql_name) + " (" + ColumnList(codec.key) +
                    ", " + ColumnList(codec.value) + ") VALUES ";
  sql.reserve(sql.size() + rows * width * 6 + 128);
  for (size_t r = 0; r < rows; ++r) {
    if (r) sql += ", ";
    sql += "(" + Placeholders(1 + r * width, width) + ")";
  }
  return sql;
}

std::string Upsert(const TableCodec& codec, size_t rows) {
  std::string sql = Insert(codec, rows);
  sql += " ON CONFLICT (" + ColumnList(codec.key) + ") DO UPDATE SET ";
  for (size_t i = 0; i < codec.value.size(); ++i) {
    if (i) sql += ", ";
    sql += std::string(codec.value[i].name) + " = EXCLUDED." + codec.value[i].name;
  }
  return sql;
}

std::string DeleteOne(const TableCodec& codec) {
  return "DELETE FROM " + std::string(codec.sql_name) + " WHERE " + KeyEquals(codec);
}

std::string ScanPage(const TableCodec& codec, const Bound& lower, const Bound* upper) {
  std::string sql = "SELECT " + ColumnList(codec.key) + ", " + ColumnList(codec.value) + " FROM " +
                    codec.sql_name;
  std::vector<std::string> where;
  size_t next = 1;
  if (!lower.parts.empty()) {
    where.push_back(RowCompare(codec, lower.parts.size(), lower.strict ? ">" : ">=", next));
    next += lower.parts.size();
  }
  if (upper && !upper->parts.empty()) {
    // key < upper is the negation of key >= upper.
    where.push_back(RowCompare(codec, upper->parts.size(), upper->strict ? "<=" : "<", next));
    next += upper->parts.size();
  }
  for (size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  sql += " ORDER BY " + ColumnList(codec.key) + " LIMIT $" + std::to_string(next);
  return sql;
}

std::string DeleteRange(const TableCodec& codec, const Bound& lower, const Bound& upper) {
  std::string sql = std::string("DELETE FROM ") + codec.sql_name;
  std::vector<std::string> where;
  size_t next = 1;
  if (!lower.parts.empty()) {
    where.push_back(RowCompare(codec, lower.parts.size(), lower.strict ? ">" : ">=", next));
    next += lower.parts.size();
  }
  if (!upper.parts.empty()) {
    where.push_back(RowCompare(codec, upper.parts.size(), upper.strict ? "<=" : "<", next));
  } else if (!upper.strict) {
    where.push_back("false");  // key < (the empty key): nothing
  }
  for (size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  return sql;
}

std::vector<Type> UpsertTypes(const TableCodec& codec, size_t rows) {
  std::vector<Type> row, out;
  AppendTypes(codec.key, &row);
  AppendTypes(codec.value, &row);
  out.reserve(row.size() * rows);
  for (size_t r = 0; r < rows; ++r) out.insert(out.end(), row.begin(), row.end());
  return out;
}

std::vector<Type> KeyTypes(const TableCodec& codec) {
  std::vector<Type> out;
  AppendTypes(codec.key, &out);
  return out;
}

std::vector<Type> ScanTypes(const TableCodec& codec, const Bound& lower, const Bound* upper) {
  std::vector<Type> key = KeyTypes(codec), out;
  out.insert(out.end(), key.begin(), key.begin() + static_cast<long>(lower.parts.size()));
  if (upper)
    out.insert(out.end(), key.begin(), key.begin() + static_cast<long>(upper->parts.size()));
  out.push_back(Type::kInt8);
  return out;
}

std::vector<Type> DeleteRangeTypes(const TableCodec& codec, const Bound& lower,
                                   const Bound& upper) {
  std::vector<Type> key = KeyTypes(codec), out;
  out.insert(out.end(), key.begin(), key.begin() + static_cast<long>(lower.parts.size()));
  out.insert(out.end(), key.begin(), key.begin() + static_cast<long>(upper.parts.size()));
  return out;
}

// The group's first statement after BEGIN. A data-modifying CTE and an integer division keep it
// one statement in the portable subset (no PL/pgSQL to raise an error): when the head is not at
// ($3, $4) nothing is updated and 1 / 0 aborts the transaction, so the rest of the pipeline,
// COMMIT included, is skipped by the server.
const char kMoveLogHead[] =
    "WITH moved AS (UPDATE log_head SET tree_size = $1 WHERE log_id = $2 AND epoch = $3 AND "
    "tree_size = $4 RETURNING tree_size) SELECT 1 / (SELECT count(*) FROM moved)";

const char kReadLogHead[] = "SELECT epoch, tree_size FROM log_head WHERE log_id = $1";

// Takes the lease when it expired (by the database's clock) or is already ours, bumps the
// epoch, and writes that epoch into the head in the same statement: from its commit on, the
// previous holder's groups no longer match `epoch = mine` and fail.
const char kAcquireLease[] =
    "WITH taken AS (UPDATE log_lease SET holder = $2, epoch = epoch + 1, "
    "expires_at = now() + $3 * INTERVAL '1 millisecond' "
    "WHERE log_id = $1 AND (expires_at <= now() OR holder = $2) RETURNING log_id, epoch) "
    "UPDATE log_head SET epoch = taken.epoch FROM taken WHERE log_head.log_id = taken.log_id "
    "RETURNING log_head.epoch, log_head.tree_size";

const char kRenewLease[] =
    "UPDATE log_lease SET expires_at = now() + $4 * INTERVAL '1 millisecond' "
    "WHERE log_id = $1 AND holder = $2 AND epoch = $3 "
    "RETURNING CAST(EXTRACT(EPOCH FROM (expires_at - now())) * 1000 AS BIGINT)";

const char kStepDown[] =
    "UPDATE log_lease SET expires_at = now() WHERE log_id = $1 AND holder = $2 AND epoch = $3";

const char kCurrentWriter[] =
    "SELECT l.holder, l.epoch, CAST(EXTRACT(EPOCH FROM (l.expires_at - now())) * 1000 AS BIGINT), "
    "h.tree_size FROM log_lease l JOIN log_head h ON h.log_id = l.log_id WHERE l.log_id = $1";

}  // namespace lcb::pg
