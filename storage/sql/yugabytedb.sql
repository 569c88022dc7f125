-- creditbank schema for YugabyteDB YSQL (written from its documentation; NOT tested here).
--
-- Same tables, columns and sections as postgres.sql (read its header for the rules). What
-- differs: YugabyteDB hash-shards on the first primary-key column unless told ASC, and a hashed
-- key cannot answer the range conditions a Kv Scan sends (learner >= $1 AND learner < $2), so
-- every primary key here is range-sharded (ASC); tablets split automatically as they grow.
-- COLLATE "C" is supported (other collations need a flag). Isolation: snapshot by default,
-- SERIALIZABLE on request; PgKv retries on 40001 either way.

-- version 1
CREATE TABLE IF NOT EXISTS kv_meta (
  key bytea NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (key ASC));
CREATE TABLE IF NOT EXISTS objects (
  id text COLLATE "C" NOT NULL,
  leaf bigint NOT NULL,
  PRIMARY KEY (id ASC));
CREATE TABLE IF NOT EXISTS unique_keys (
  key text COLLATE "C" NOT NULL,
  leaf bigint NOT NULL,
  fingerprint bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
  id text COLLATE "C" NOT NULL,
  PRIMARY KEY (key ASC));
CREATE TABLE IF NOT EXISTS learner_records (
  learner text COLLATE "C" NOT NULL,
  leaf bigint NOT NULL CHECK (leaf >= 0),
  record_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (learner ASC, leaf ASC));
CREATE TABLE IF NOT EXISTS log_leaves (
  leaf bigint NOT NULL CHECK (leaf >= 0),
  entry bytea NOT NULL,
  PRIMARY KEY (leaf ASC));
CREATE TABLE IF NOT EXISTS log_nodes (
  node bigint NOT NULL CHECK (node >= 0),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (node ASC));
CREATE TABLE IF NOT EXISTS checkpoints (
  tree_size bigint NOT NULL CHECK (tree_size >= 0),
  note bytea NOT NULL,
  PRIMARY KEY (tree_size ASC));
CREATE TABLE IF NOT EXISTS catalog (
  key text COLLATE "C" NOT NULL,
  doc bytea NOT NULL,
  PRIMARY KEY (key ASC));
CREATE TABLE IF NOT EXISTS rulesets (
  program text COLLATE "C" NOT NULL,
  version bigint NOT NULL CHECK (version >= 0),
  leaf bigint NOT NULL,
  PRIMARY KEY (program ASC, version ASC));
CREATE TABLE IF NOT EXISTS tokens (
  key text COLLATE "C" NOT NULL,
  doc bytea NOT NULL,
  PRIMARY KEY (key ASC));
CREATE TABLE IF NOT EXISTS learners (
  key text COLLATE "C" NOT NULL,
  doc bytea NOT NULL,
  PRIMARY KEY (key ASC));
CREATE TABLE IF NOT EXISTS grants (
  learner text COLLATE "C" NOT NULL,
  institution text COLLATE "C" NOT NULL,
  doc bytea NOT NULL,
  PRIMARY KEY (learner ASC, institution ASC));
CREATE TABLE IF NOT EXISTS record_status (
  record_id text COLLATE "C" NOT NULL,
  revoked_by text COLLATE "C" NOT NULL,
  PRIMARY KEY (record_id ASC));
CREATE TABLE IF NOT EXISTS admin_log (
  seq bigint NOT NULL CHECK (seq >= 0),
  action bytea NOT NULL,
  PRIMARY KEY (seq ASC));
CREATE TABLE IF NOT EXISTS conversions (
  learner text COLLATE "C" NOT NULL,
  leaf bigint NOT NULL CHECK (leaf >= 0),
  conversion_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (learner ASC, leaf ASC));
-- One row per log: who writes it, under which fencing epoch, until when (database clock).
CREATE TABLE IF NOT EXISTS log_lease (
  log_id integer NOT NULL,
  holder text NOT NULL,
  epoch bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (log_id ASC));
-- The log head, moved by every commit group only WHERE epoch = the writer's AND tree_size = old.
CREATE TABLE IF NOT EXISTS log_head (
  log_id integer NOT NULL,
  epoch bigint NOT NULL,
  tree_size bigint NOT NULL,
  PRIMARY KEY (log_id ASC));
INSERT INTO log_lease VALUES (0, '', 0, '1970-01-01T00:00:00Z') ON CONFLICT DO NOTHING;
INSERT INTO log_head VALUES (0, 0, 0) ON CONFLICT DO NOTHING;

-- version 2
-- The log as C2SP tiles (storage/ledger_layout.h); range-sharded like the other log tables.
CREATE TABLE IF NOT EXISTS log_tiles (
  key bytea NOT NULL,
  tile bytea NOT NULL,
  PRIMARY KEY (key ASC));
CREATE TABLE IF NOT EXISTS log_bundles (
  tile bigint NOT NULL CHECK (tile >= 0),
  bundle bytea NOT NULL,
  PRIMARY KEY (tile ASC));
