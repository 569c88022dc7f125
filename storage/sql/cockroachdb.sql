-- creditbank schema for CockroachDB (written from its documentation; NOT tested here).
--
-- Same tables, columns and sections as postgres.sql (read its header for the rules). What
-- differs: STRING compares by bytes without a collation (CockroachDB refuses to compare a
-- collated string with an uncollated parameter), so text keys carry no COLLATE; BYTES is bytea.
-- CockroachDB runs every transaction SERIALIZABLE: PgKv retries on 40001 as it does anywhere.
-- Sequential keys (leaf, node, tree_size, seq) put every append on one range; if that range
-- becomes the bottleneck, "PRIMARY KEY (leaf) USING HASH" spreads it (ordered scans still work,
-- with a fan-out over the buckets).

-- version 1
CREATE TABLE IF NOT EXISTS kv_meta (
  key bytea PRIMARY KEY,
  value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
  id text PRIMARY KEY,
  leaf bigint NOT NULL);
CREATE TABLE IF NOT EXISTS unique_keys (
  key text PRIMARY KEY,
  leaf bigint NOT NULL,
  fingerprint bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
  id text NOT NULL);
CREATE TABLE IF NOT EXISTS learner_records (
  learner text NOT NULL,
  leaf bigint NOT NULL CHECK (leaf >= 0),
  record_id text NOT NULL,
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
  key text PRIMARY KEY,
  doc bytea NOT NULL);
CREATE TABLE IF NOT EXISTS rulesets (
  program text NOT NULL,
  version bigint NOT NULL CHECK (version >= 0),
  leaf bigint NOT NULL,
  PRIMARY KEY (program, version));
CREATE TABLE IF NOT EXISTS tokens (
  key text PRIMARY KEY,
  doc bytea NOT NULL);
CREATE TABLE IF NOT EXISTS learners (
  key text PRIMARY KEY,
  doc bytea NOT NULL);
CREATE TABLE IF NOT EXISTS grants (
  learner text NOT NULL,
  institution text NOT NULL,
  doc bytea NOT NULL,
  PRIMARY KEY (learner, institution));
CREATE TABLE IF NOT EXISTS record_status (
  record_id text PRIMARY KEY,
  revoked_by text NOT NULL);
CREATE TABLE IF NOT EXISTS admin_log (
  seq bigint PRIMARY KEY CHECK (seq >= 0),
  action bytea NOT NULL);
CREATE TABLE IF NOT EXISTS conversions (
  learner text NOT NULL,
  leaf bigint NOT NULL CHECK (leaf >= 0),
  conversion_id text NOT NULL,
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
-- The log as C2SP tiles (storage/ledger_layout.h).
CREATE TABLE IF NOT EXISTS log_tiles (
  key bytea PRIMARY KEY,
  tile bytea NOT NULL);
CREATE TABLE IF NOT EXISTS log_bundles (
  tile bigint PRIMARY KEY CHECK (tile >= 0),
  bundle bytea NOT NULL);
