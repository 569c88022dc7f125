// The DML PgKv sends, generated from the table of codecs (storage/pg_codec.h), in the portable
// subset of DESIGN.md ("Where one machine is not enough"): typed tables with composite primary
// keys, multi-row INSERT ... VALUES with binary parameters (plain, or ON CONFLICT upserts), row-value
// comparisons, compare-and-set UPDATE ... WHERE ... RETURNING. Every statement is prepared once
// per connection (its text is the cache key), so each builder returns the same text for the
// same shape.
#pragma once

#include <string>
#include <vector>

#include "storage/pg_codec.h"

namespace lcb::pg {

// SELECT value columns WHERE every key column = $i.
std::string SelectOne(const TableCodec& codec);
// For a table with a one-column key: the key and value columns of each key of $1 that exists,
// $1 an array of keys (of KeyArrayType): one statement for many point reads.
std::string SelectMany(const TableCodec& codec);
Type KeyArrayType(const TableCodec& codec);
// INSERT of `rows` rows; on a key that exists, its value columns are replaced.
std::string Upsert(const TableCodec& codec, size_t rows);
// Plain INSERT of `rows` rows: a key that exists fails the statement (23505). Cheaper than the
// upsert (no speculative insertion, one WAL record less per row): for rows known to be new.
std::string Insert(const TableCodec& codec, size_t rows);
// DELETE of one key.
std::string DeleteOne(const TableCodec& codec);
// DELETE of every key >= lower and < upper (parameters: lower's parts, then upper's).
std::string DeleteRange(const TableCodec& codec, const Bound& lower, const Bound& upper);
// SELECT key and value columns in key order: key >= lower (by its arity and strictness) and
// key < upper (when `upper` is set), LIMIT the last parameter. Parameters: lower's parts, then
// upper's, then the limit.
std::string ScanPage(const TableCodec& codec, const Bound& lower, const Bound* upper);
// Parameter types of the statements above.
std::vector<Type> UpsertTypes(const TableCodec& codec, size_t rows);
std::vector<Type> KeyTypes(const TableCodec& codec);
std::vector<Type> ScanTypes(const TableCodec& codec, const Bound& lower, const Bound* upper);
std::vector<Type> DeleteRangeTypes(const TableCodec& codec, const Bound& lower, const Bound& upper);

// The log head and the writer's lease (one row each per log; see pg_kv.h).
// $1 new size, $2 log id, $3 epoch, $4 old size. Fails with division_by_zero (22012) when the
// head did not move (0 rows), so a pipelined transaction stops there and commits nothing.
extern const char kMoveLogHead[];
extern const char kReadLogHead[];    // $1 log id -> epoch, tree_size
extern const char kAcquireLease[];   // $1 log id, $2 holder, $3 ttl ms -> epoch, tree_size
extern const char kRenewLease[];     // $1 log id, $2 holder, $3 epoch, $4 ttl ms -> remaining
extern const char kStepDown[];       // $1 log id, $2 holder, $3 epoch
extern const char kCurrentWriter[];  // $1 log id -> holder, epoch, remaining ms, tree_size

}  // namespace lcb::pg
