// How each logical Table of storage/kv.h is stored in SQL: the one table of codecs (pg_codec.cc)
// and the translation between Kv bytes and typed columns. Pure code: no connection here.
//
// Every key and value grammar is a sequence of parts; each part is one typed column:
//
//   part     bytes in the Kv key or value                 SQL column
//   text0    UTF-8 without NUL, then one NUL byte         text COLLATE "C"
//   text     UTF-8 without NUL, to the end                text COLLATE "C"
//   be64     8 bytes big-endian, below 2^63 in keys       bigint (>= 0 in keys)
//   be32     4 bytes big-endian                           bigint
//   hash32   exactly 32 bytes                             bytea
//   bytes    any bytes, to the end                        bytea
//
// Order: PostgreSQL compares text COLLATE "C" by bytes (UTF-8 byte order is code point order),
// bigint numerically and bytea by bytes then length, and a composite primary key
// lexicographically, so for every key grammar below the SQL order of the primary key equals the
// byte order of the Kv keys (text0's NUL sorts below every other byte, as a shorter text sorts
// first; a be64 below 2^63 orders as a non-negative bigint). A Scan's bounds are arbitrary
// bytes, not necessarily keys of the grammar: Bound() turns one into an exact row comparison.
//
// Tables without a typed codec use the generic fallback, (key bytea, value bytea), named
// kv_<table>; it takes any bytes.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/kv.h"
#include "storage/pg_conn.h"

namespace lcb::pg {

enum class Part : uint8_t { kText0, kText, kBe64, kBe32, kHash32, kBytes };

struct Column {
  Part part;
  const char* name;
};

struct TableCodec {
  Table table;
  const char* sql_name;       // the SQL table
  std::vector<Column> key;    // the primary key, in order
  std::vector<Column> value;  // the other columns
  bool generic = false;       // the (key bytea, value bytea) fallback
  // A batch that moves the log head only ever adds rows to this table (new leaves, tiles,
  // checkpoints, idempotency keys, and index rows keyed by a new leaf or a new key): PgKv
  // writes them with plain INSERT, not an upsert (see PgKv::Write).
  bool log_append_only = false;
};

// The codec of `t` (every Table has one: typed, or the generic fallback).
const TableCodec& CodecOf(Table t);

// Splits `bytes` along `grammar` into one view per part. InvalidArgument naming the table and
// the part when the bytes do not follow the grammar (a key of a typed table must; the Kv refuses
// the whole batch otherwise).
Status Split(const TableCodec& codec, bool is_key, std::string_view bytes,
             std::vector<std::string_view>* parts);
// Binds parts as binary parameters (be32 widened to int8 in `scratch`).
void Bind(const std::vector<Column>& grammar, const std::vector<std::string_view>& parts,
          Params* params, std::deque<std::string>* scratch);
// Appends the Kv bytes of columns [first, first + grammar.size()) of `row` to `out`.
void Join(const std::vector<Column>& grammar, const Result& result, int row, int first,
          std::string* out);
// The parameter types of a grammar's columns.
void AppendTypes(const std::vector<Column>& grammar, std::vector<Type>* types);
// "a, b, c": the grammar's column names.
std::string ColumnList(const std::vector<Column>& grammar);

// "key >= bytes" for every key of the table's grammar, as a row comparison on the first
// parts.size() key columns: (k1..kn) > (parts) when `strict`, >= otherwise. No parts and not
// strict: every key; no parts and strict: no key. ("key < bytes" is its negation: < or <=.)
struct Bound {
  std::vector<std::string> parts;  // parameter bytes (be32 already widened)
  bool strict = false;
};
StatusOr<Bound> LowerBound(const TableCodec& codec, std::string_view bytes);

}  // namespace lcb::pg
