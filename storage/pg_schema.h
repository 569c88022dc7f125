// The SQL schema: which engine a connection talks to, its DDL file (storage/sql/<engine>.sql,
// compiled into the binary), creation and migration on start with a version row, and a check
// that the tables match the table of codecs (storage/pg_codec.cc).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/pg_conn.h"

namespace lcb::pg {

enum class Engine : uint8_t { kPostgres, kCockroach, kYugabyte };
std::string_view EngineName(Engine e);  // "postgres", "cockroachdb", "yugabytedb"
// From SELECT version(): CockroachDB and YugabyteDB say so; anything else is PostgreSQL or of
// its lineage (openGauss, GaussDB, KingbaseES, Citus) and gets postgres.sql.
Engine DetectEngine(std::string_view server_version);
std::string_view DdlOf(Engine e);

// The schema version this binary writes (the last "-- version N" section of the DDL files).
int SchemaVersion();

// Creates or migrates the schema: runs each section newer than the version row, then moves the
// row by compare-and-set. FailedPrecondition when the database is newer than this binary.
// Safe to run from several nodes at once. Then checks every codec table's columns.
Status MigrateSchema(Conn& conn, Engine engine);

}  // namespace lcb::pg
