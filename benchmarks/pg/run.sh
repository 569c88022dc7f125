#!/usr/bin/env bash
# Issue 18's storage figures in one run, side by side with their limits, against ONE PostgreSQL
# 15 started here (temp dir, loopback, fsync on; stopped and removed at the end):
#   1. limit:  pg_limit (benchmarks/pg/pg_limit.c): the Ledger's rows (layout tiles/2) from a
#              minimal libpq program, multi-row INSERTs, one transaction per group of 1,000,
#              pipelined;
#   2. ours:   pg_bench BM_LedgerAppendPg: the Ledger appending through PgKv in-process (and,
#              for attribution, BM_LedgerAppendPgNoLookup: its per-entry idempotency Gets
#              answered from memory);
#   3. limit:  pgbench -S (8 clients) for point reads;
#   4. ours:   pg_bench BM_PgKvGetRecordId / BM_InclusionProofPg (8 threads);
#   5. bytes per record of each table (the capacity model of docs/scale-out.md).
# Rounds alternate 2 and 1 so both see the same machine load; pg_limit writes the entries of
# the Ledger's database of its round (--entries-from), so that both write the same bytes.
#
#   cmake --build build --target pg_limit pg_bench pg_test_cluster
#   benchmarks/pg/run.sh                      # ROUNDS=3 by default
# RECORDS: records pg_limit writes (default: as many as the Ledger wrote in the same round).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${BUILD_DIR:-build}
RECORDS=${RECORDS:-}
ROUNDS=${ROUNDS:-3}
STATE=$(mktemp -u /tmp/creditbank-pg-bench.XXXXXX)

# PG_SET="name=value ...": server settings, e.g. PG_SET="shared_buffers=4GB" (as nodes.sh).
pg_set=()
for kv in ${PG_SET:-}; do pg_set+=(--set "$kv"); done
"$B/tests/pg/pg_test_cluster" start "$STATE" --fsync "${pg_set[@]}"
trap '"$B/tests/pg/pg_test_cluster" stop "$STATE"' EXIT
PORT=$(sed -n 's/^port=//p' "$STATE")
if [ -z "$PORT" ]; then
  echo "run.sh: PostgreSQL did not start: $(cat "$STATE")" >&2
  exit 1
fi
DSN="host=127.0.0.1 port=$PORT user=postgres"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }
fresh_db() { psql_ -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; }
echo "PostgreSQL: $(psql_ -d postgres -Atc 'SHOW server_version'), fsync $(psql_ -d postgres -Atc 'SHOW fsync')," \
  "synchronous_commit $(psql_ -d postgres -Atc 'SHOW synchronous_commit'); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

for round in $(seq "$ROUNDS"); do
  echo "== round $round"
  fresh_db nolookup_db
  LCB_PG_DSN="$DSN dbname=nolookup_db" "$B/benchmarks/pg/pg_bench" \
    --benchmark_filter='BM_LedgerAppendPgNoLookup' 2>&1 | grep -E '^BM_' || true
  fresh_db ledger_db
  LCB_PG_DSN="$DSN dbname=ledger_db" "$B/benchmarks/pg/pg_bench" \
    --benchmark_filter='BM_LedgerAppendPg/.*threads:2' 2>&1 | grep -E '^BM_' || true
  # The limit writes the entries the Ledger just wrote (its latest bundles), so both compress alike.
  fresh_db limit_db
  "$B/benchmarks/pg/pg_limit" --entries-from "$DSN dbname=ledger_db" --learners 200 \
    --schema storage/sql/postgres.sql "$DSN dbname=limit_db" \
    "${RECORDS:-$(psql_ -d ledger_db -Atc 'SELECT tree_size FROM log_head')}"
done

echo "== reads: pgbench -S (8 clients, 20 s) on a scale-10 pgbench database"
fresh_db pgbench_db
pgbench -h 127.0.0.1 -p "$PORT" -U postgres -i -s 10 -q pgbench_db >/dev/null 2>&1
pgbench -h 127.0.0.1 -p "$PORT" -U postgres -S -c 8 -j 2 -T 20 -n pgbench_db 2>/dev/null |
  grep -E 'tps|latency average'
echo "== reads through PgKv (8 threads) on the ledger database of the last round"
LCB_PG_DSN="$DSN dbname=ledger_db" "$B/benchmarks/pg/pg_bench" \
  --benchmark_filter='BM_PgKvGetRecordId|BM_InclusionProofPg' 2>&1 | grep -E '^BM_' || true

psql_ -d ledger_db -c "VACUUM ANALYZE"
echo "== bytes per record (ledger database, $(psql_ -d ledger_db -Atc 'SELECT tree_size FROM log_head') records)"
psql_ -d ledger_db -c "
  SELECT relname AS table, n_live_tup AS rows,
         pg_size_pretty(pg_total_relation_size(relid)) AS size_with_indexes,
         round(pg_total_relation_size(relid)::numeric / (SELECT tree_size FROM log_head), 1) AS bytes_per_record
  FROM pg_stat_user_tables WHERE n_live_tup > 0 OR relname IN ('log_leaves', 'log_nodes')
  ORDER BY pg_total_relation_size(relid) DESC;" -c "
  SELECT pg_size_pretty(pg_database_size('ledger_db')) AS database,
         round(pg_database_size('ledger_db')::numeric / (SELECT tree_size FROM log_head), 1) AS bytes_per_record;"
