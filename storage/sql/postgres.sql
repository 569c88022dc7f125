-- creditbank schema for PostgreSQL 15 (tested here; also the file for PostgreSQL-lineage
-- engines: openGauss, GaussDB, KingbaseES, Citus — on paper only).
--
-- Loaded by storage/pg_schema.cc, compiled into the binary. Each "-- version N" section runs
-- once, in order, as one multi-statement string (one implicit transaction on PostgreSQL); the
-- version row (creditbank_schema) then moves from N-1 to N by compare-and-set. Every statement
-- must be idempotent (IF NOT EXISTS, ON CONFLICT DO NOTHING): two nodes starting together may
-- both run a section. Never edit a released section; add a new one.
--
-- Tables follow storage/pg_codec.cc column for column (PgKv checks names, types and the "C"
-- collation when it opens). Text keys are COLLATE "C" so that SQL order is byte order; leaf
-- numbers are bigint >= 0 so that numeric order is the order of their big-endian bytes.

-- version 1
CREATE TABLE IF NOT EXISTS kv_meta (
  key bytea PRIMARY KEY,
  value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
  id text COLLATE "C" PRIMARY KEY,
  leaf bigint NOT NULL);
CREATE TABLE IF NOT EXISTS unique_keys (
  key text COLLATE "C" PRIMARY KEY,
  leaf bigint NOT NULL,
  fingerprint bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
  id text COLLATE "C" NOT NULL);
CREATE TABLE IF NOT EXISTS learner_records (
  learner text COLLATE "C" NOT NULL,
  leaf bigint NOT NULL CHECK (leaf >= 0),
  record_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (learner, leaf));
CREATE TABLE IF NOT EXISTS log_leaves (
  leaf bigint PRIMARY KEY CHECK (leaf >= 0),
  entry bytea NOT NULL);
CREATE TABLE IF NOT EXISTS log_nodes (
  node bigint PRIMARY KEY CHECK (node >= 0),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32));
CREATE TABLE IF NOT EXISTS checkpoints (
  tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
  note bytea NOT NULL);
CREATE TABLE IF NOT EXISTS catalog (
  key text COLLATE "C" PRIMARY KEY,
  doc bytea NOT NULL);
CREATE TABLE IF NOT EXISTS rulesets (
  program text COLLATE "C" NOT NULL,
  version bigint NOT NULL CHECK (version >= 0),
  leaf bigint NOT NULL,
  PRIMARY KEY (program, version));
CREATE TABLE IF NOT EXISTS tokens (
  key text COLLATE "C" PRIMARY KEY,
  doc bytea NOT NULL);
CREATE TABLE IF NOT EXISTS learners (
  key text COLLATE "C" PRIMARY KEY,
  doc bytea NOT NULL);
CREATE TABLE IF NOT EXISTS grants (
  learner text COLLATE "C" NOT NULL,
  institution text COLLATE "C" NOT NULL,
  doc bytea NOT NULL,
  PRIMARY KEY (learner, institution));
CREATE TABLE IF NOT EXISTS record_status (
  record_id text COLLATE "C" PRIMARY KEY,
  revoked_by text COLLATE "C" NOT NULL);
CREATE TABLE IF NOT EXISTS admin_log (
  seq bigint PRIMARY KEY CHECK (seq >= 0),
  action bytea NOT NULL);
CREATE TABLE IF NOT EXISTS conversions (
  learner text COLLATE "C" NOT NULL,
  leaf bigint NOT NULL CHECK (leaf >= 0),
  conversion_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (learner, leaf));
-- One row per log: who writes it, under which fencing epoch, until when (database clock).
CREATE TABLE IF NOT EXISTS log_lease (
  log_id integer PRIMARY KEY,
  holder text NOT NULL,
  epoch bigint NOT NULL,
  expires_at timestamptz NOT NULL);
-- The log head, moved by every commit group only WHERE epoch = the writer's AND tree_size = old.
CREATE TABLE IF NOT EXISTS log_head (
  log_id integer PRIMARY KEY,
  epoch bigint NOT NULL,
  tree_size bigint NOT NULL);
INSERT INTO log_lease VALUES (0, '', 0, '1970-01-01T00:00:00Z') ON CONFLICT DO NOTHING;
INSERT INTO log_head VALUES (0, 0, 0) ON CONFLICT DO NOTHING;

-- version 2
-- The log as C2SP tiles (storage/ledger_layout.h): full hash tiles keyed by level(1) BE64
-- index, and full entry bundles by tile index; leaves of a bundled tile leave log_leaves.
CREATE TABLE IF NOT EXISTS log_tiles (
  key bytea PRIMARY KEY,
  tile bytea NOT NULL);
CREATE TABLE IF NOT EXISTS log_bundles (
  tile bigint PRIMARY KEY CHECK (tile >= 0),
  bundle bytea NOT NULL);
