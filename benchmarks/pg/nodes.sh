#!/usr/bin/env bash
# Issue 18 over HTTP with several nodes: three `creditbank serve` on ONE PostgreSQL 15 started
# here (temp dir, loopback, fsync on; stopped and removed at the end), each figure beside its
# limit measured in the same run:
#   1. ingestion  wrk POSTing batches of 100 new records over 8 connections (CONNS), to the writer and
#                 to a follower (which forwards to the writer)
#      limit      pg_limit (benchmarks/pg/pg_limit.c): the same rows from a minimal libpq
#                 program, one transaction per group of 1,000, pipelined
#   2. reads      wrk GETting the passbook of a learner with 60 records over 32 connections,
#                 through a follower and through the writer
#      limit      pgbench -S (8 clients) on a scale-10 pgbench database of the same server
#   3. replica lag  a record posted to the writer, then the time until a follower serves a
#                 checkpoint that covers it (followers poll every 500 ms at most)
#   4. failover   SIGKILL of the writer while a client posts through a follower: the time to
#                 the first acknowledged write after the kill (lease storage.postgres.lease_ms)
#
#   benchmarks/pg/nodes.sh [seconds per phase, default 20]   LEASE_MS=5000 CONNS=8
#   RECORDS: records pg_limit writes (default: as many as the ingestion to the writer took in,
#   at least 200,000, so both write the same amount). READ_SECS: seconds of each read phase
#   (default: the phase's). A sustained figure: `READ_SECS=20 benchmarks/pg/nodes.sh 180`.
#   FOLLOWER_FIRST=1: the ingestion through a follower runs before the one to the writer.
#   PROFILE=1: during the ingestion to the writer, also samples what PostgreSQL's busy backends
#   wait on (pg_stat_activity every 10 ms) and prints the WAL the phase wrote (pg_stat_wal)
# Needs build/cli/creditbank, build/benchmarks/pg/pg_limit, build/tests/pg/pg_test_cluster
# (built here when missing), wrk and pgbench (installed here).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
BUILD=${BUILD_DIR:-build}
RECORDS=${RECORDS:-}
READ_SECS=${READ_SECS:-$secs}
LEASE_MS=${LEASE_MS:-5000}
CONNS=${CONNS:-8}  # posting connections of phase 1
scripts/deps.sh wrk postgresql >/dev/null
for t in cli/creditbank benchmarks/pg/pg_limit tests/pg/pg_test_cluster; do
  [ -x "$BUILD/$t" ] || BUILD_TARGET=$(basename "$t") scripts/build.sh default >/dev/null
done
bin=$BUILD/cli/creditbank
work=$(mktemp -d /tmp/cb-nodes.XXXXXX)
STATE=$work/pg.state
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$BUILD/tests/pg/pg_test_cluster" stop "$STATE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# PG_SET="name=value ...": server settings for the bank and the limit alike, given to the server
# when it starts (so any setting, e.g. PG_SET="shared_buffers=4GB max_wal_size=8GB
# checkpoint_timeout=15min"); the header line prints max_wal_size and shared_buffers.
pg_set=()
for kv in ${PG_SET:-}; do pg_set+=(--set "$kv"); done
"$BUILD/tests/pg/pg_test_cluster" start "$STATE" --fsync "${pg_set[@]}"
PORT=$(sed -n 's/^port=//p' "$STATE")
[ -n "$PORT" ] || { echo "nodes.sh: PostgreSQL did not start: $(cat "$STATE")" >&2; exit 1; }
DSN="host=127.0.0.1 port=$PORT user=postgres"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }
fresh_db() { psql_ -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; }
fresh_db nodes_db
echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $(psql_ -d postgres -Atc 'SHOW server_version'), fsync $(psql_ -d postgres -Atc 'SHOW fsync'), max_wal_size $(psql_ -d postgres -Atc 'SHOW max_wal_size'), shared_buffers $(psql_ -d postgres -Atc 'SHOW shared_buffers'); lease ${LEASE_MS} ms"

# STATS_ON_START=false: the nodes do not build /v1/stats aggregates, so followers do not read
# the entries they follow for them (default true, as `serve`).
STATS_ON_START="${STATS_ON_START:-true}"
# start_node NAME: a node on nodes_db; sets URL_<NAME> and PID_<NAME>.
start_node() {
  # Every node after the first signs credentials with the first node's keys (docs/scale-out.md).
  if [ "$1" != a ]; then
    mkdir -p "$work/$1"
    cp -n "$work/a/credential_key.pem" "$work/a/credential_rsa_key.pem" "$work/$1/"
  fi
  "$bin" serve --data "$work/$1" --listen 127.0.0.1:0 --port-file "$work/$1.port" \
    --log-level warn --rate-limit-rps 0 --storage postgres --postgres-dsn "$DSN dbname=nodes_db" \
    --key-file "$work/log_key.pem" --secret-file "$work/national_id.secret" \
    --postgres-lease-ms "$LEASE_MS" --stats-build-on-start "$STATS_ON_START" 2> "$work/$1.log" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 200); do [ -s "$work/$1.port" ] && break; sleep 0.05; done
  printf -v "URL_$1" '%s' "http://127.0.0.1:$(cat "$work/$1.port")"
  printf -v "PID_$1" '%s' "$pid"
}
start_node a
start_node b
start_node c
. benchmarks/load/lib.sh
B=$URL_a
ADMIN=$(cat "$work/a/admin.token")
institution_with_unit nodeuni "Node University" Course 0613
new_learners 200

rate() { # wrk output -> records/s for batches of 100
  python3 -c "print(round(float('$(echo "$1" | awk '/Requests\/sec/ {print $2}')') * 100))"
}
# The writer's commit-group stage times (GET /metrics, seconds summed over groups): printed as
# what one phase added, so the serial path's share of each stage shows.
stages() { curl -s "$URL_a/metrics" | awk '/^creditbank_log_(commit_groups_total|lookup_seconds_total|prepare_seconds_total|write_seconds_total|finish_seconds_total) / {printf "%s=%s ", $1, $2}'; }
stage_delta() { # BEFORE AFTER SECONDS
  python3 - "$1" "$2" "$3" <<'PY'
import sys
parse = lambda t: {k.replace('creditbank_log_', ''): float(v) for k, v in (p.split('=') for p in t.split())}
a, b, secs = parse(sys.argv[1]), parse(sys.argv[2]), float(sys.argv[3])
d = {k: b[k] - a.get(k, 0) for k in b}
groups = d.pop('commit_groups_total', 0)
print('writer stages over the phase: %d groups; ' % groups + ', '.join(
    '%s %.1f s (%.0f %% of the phase)' % (k.replace('_seconds_total', ''), v, 100 * v / secs) for k, v in d.items()))
PY
}
ingest() { # URL TAG
  CB_TOKEN=$INST CB_UNIT=nodeuni:C1 CB_LEARNERS=$learners CB_BATCH=100 CB_RUN=$2$RANDOM \
    wrk -t2 -c"$CONNS" -d"${secs}s" --timeout 10s -s benchmarks/load/ingest.lua "$1" 2>&1
}
# PROFILE=1: what the database's busy backends wait on while the writer ingests (one psql
# session sampling pg_stat_activity every 10 ms; "CPU" = running), and the WAL written.
wal() { psql_ -d postgres -Atc "SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal"; }
# CPU seconds (user + system) of each named thread of the writer node, summed by name.
thread_cpu() {
  for t in /proc/"$PID_a"/task/*; do
    awk -v tick="$(getconf CLK_TCK)" '{sub(/^[0-9]+ \(/, ""); name = $0; sub(/\).*/, "", name);
      n = split($0, f, ") "); split(f[n], g, " "); printf "%s=%.2f\n", name, (g[12] + g[13]) / tick}' "$t/stat"
  done | awk -F= '{s[$1] += $2} END {for (k in s) printf "%s=%s ", k, s[k]}'
}
pg_waits() { # SECONDS -> sample lines "wait statement"
  local n=$(( $1 * 100 )) sql=$work/waits.sql
  : > "$sql"
  for _ in $(seq 1 "$n"); do
    echo "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' ' || left(regexp_replace(query, '\s+', ' ', 'g'), 40) FROM pg_stat_activity WHERE datname = 'nodes_db' AND state = 'active' AND pid <> pg_backend_pid(); SELECT pg_sleep(0.01);" >> "$sql"
  done
  psql_ -d postgres -At -f "$sql" | grep -v '^$' || true
}
echo "== 1. ingestion, batches of 100 over $CONNS connections, ${secs}s each"
# The second phase writes into a database that already holds the first phase's records (its
# indexes larger, more of them out of shared_buffers). FOLLOWER_FIRST=1 runs the phase through
# a follower first, to tell that apart from the cost of the forwarding.
follower_phase() {
  local before after
  before=$(stages)
  out=$(ingest "$URL_b" f); echo "$out" | grep -E "RESULT|unexpected" || true
  via_follower=$(rate "$out")
  after=$(stages)
  stage_delta "$before" "$after" "$secs"
}
[ "${FOLLOWER_FIRST:-0}" = 1 ] && follower_phase
s0=$(stages)
if [ "${PROFILE:-0}" = 1 ]; then
  w0=$(wal)
  c0=$(thread_cpu)
  m0=$(head -1 /proc/stat)
  pg_waits "$secs" > "$work/waits.txt" &
  waits_pid=$!
fi
out=$(ingest "$URL_a" w); echo "$out" | grep -E "RESULT|unexpected" || true
if [ "${PROFILE:-0}" = 1 ]; then
  wait "$waits_pid" || true
  python3 - "$c0" "$(thread_cpu)" "$secs" "$m0" "$(head -1 /proc/stat)" <<'PY'
import os, sys
parse = lambda t: {k: float(v) for k, v in (p.split('=') for p in t.split())}
a, b, secs = parse(sys.argv[1]), parse(sys.argv[2]), float(sys.argv[3])
m0, m1 = ([int(x) for x in l.split()[1:]] for l in sys.argv[4:6])
busy = lambda m: sum(m) - m[3] - m[4]  # all but idle and iowait
print('machine CPU over the phase: %.0f %% of %d00 %%' % (
    100 * (busy(m1) - busy(m0)) / max(1, sum(m1) - sum(m0)) * os.cpu_count(), os.cpu_count()))
print('writer node CPU by thread over the phase: ' + ', '.join(
    '%s %.0f %%' % (k, 100 * (b[k] - a.get(k, 0)) / secs) for k in sorted(b, key=lambda k: a.get(k, 0) - b[k])))
PY
  python3 - "$w0" "$(wal)" "$secs" "$work/waits.txt" <<'PY'
import collections, sys
a, b = (list(map(int, x.split('|'))) for x in sys.argv[1:3])
secs = float(sys.argv[3])
d = [y - x for x, y in zip(a, b)]
print('WAL over the phase: %d records, %d full-page images, %.0f MB (%.1f MB/s)' % (d[0], d[1], d[2] / 1e6, d[2] / 1e6 / secs))
lines = [l.rstrip('\n') for l in open(sys.argv[4])]
c = collections.Counter(lines)
samples = secs * 100
print('busy backends of nodes_db, share of ~%d samples (wait event, statement):' % samples)
for what, n in c.most_common(12):
    print('  %5.1f %%  %s' % (100 * n / samples, what))
PY
fi
to_writer=$(rate "$out")
stage_delta "$s0" "$(stages)" "$secs"
[ "${FOLLOWER_FIRST:-0}" = 1 ] || follower_phase
fresh_db limit_db
[ -n "$RECORDS" ] || RECORDS=$(python3 -c "print(max(200000, round($to_writer * $secs / 1000) * 1000))")
# pg_limit writes the entries the bank just wrote (the latest bundles of nodes_db), so that its
# runs and bundles compress in PostgreSQL as the bank's do.
limit_line=$("$BUILD/benchmarks/pg/pg_limit" --entries-from "$DSN dbname=nodes_db" --learners 200 \
  --schema storage/sql/postgres.sql "$DSN dbname=limit_db" "$RECORDS")
echo "$limit_line"
limit=$(echo "$limit_line" | sed -n 's/.*= \([0-9]*\) records\/s.*/\1/p')
echo "records/s: to the writer $to_writer ($(python3 -c "print(round($to_writer/$limit, 2))")x the limit)," \
  "through a follower $via_follower ($(python3 -c "print(round($via_follower/$limit, 2))")x), limit (pg_limit) $limit"

echo "== 2. reads: passbook of a learner with 60 records, 32 connections, ${READ_SECS}s each"
learner_with_60_records nodeuni:C1
sleep 1  # the followers follow within 500 ms
read_rate() {
  local out
  out=$(CB_TOKEN=$LT CB_PATH="/v1/learners/$reader/passbook" \
    wrk -t2 -c32 -d"${READ_SECS}s" -s benchmarks/load/read.lua "$1" 2>&1)
  echo "$out" | grep RESULT >&2 || true
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}
follower_reads=$(read_rate "$URL_c")
writer_reads=$(read_rate "$URL_a")
fresh_db pgbench_db
pgbench -h 127.0.0.1 -p "$PORT" -U postgres -i -s 10 -q pgbench_db >/dev/null 2>&1
pgb=$(pgbench -h 127.0.0.1 -p "$PORT" -U postgres -S -c 8 -j 2 -T "$READ_SECS" -n pgbench_db 2>/dev/null |
  awk '/^tps/ {print $3}')
echo "passbook GETs/s: through a follower $follower_reads ($(python3 -c "print(round($follower_reads/$pgb, 2))")x pgbench -S)," \
  "through the writer $writer_reads; limit pgbench -S $pgb tps"

echo "== 3. replica lag: a record posted to the writer until a follower's checkpoint covers it (20 samples)"
python3 - "$URL_a" "$URL_c" "$INST" "$reader" <<'PY'
import json, sys, time, urllib.request
writer, follower, token, learner = sys.argv[1:]
def call(url, method="GET", body=None, auth=True):
    req = urllib.request.Request(url, method=method, data=body and body.encode())
    if auth: req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r: return r.read().decode()
lags = []
for i in range(20):
    rec = {"learner": learner, "unit": "nodeuni:C1", "external_ref": f"lag-{time.time_ns()}-{i}",
           "grade": {"scale": "percent", "value": "70"}, "completed_on": "2024-06-30"}
    out = json.loads(call(writer + "/v1/records", "POST", json.dumps({"records": [rec]})))
    size = out["records"][0]["receipt"]["tree_size"]
    t0 = time.monotonic()
    while int(call(follower + "/v1/log/checkpoint", auth=False).split("\n")[1]) < size:
        time.sleep(0.002)
    lags.append((time.monotonic() - t0) * 1000)
    time.sleep(0.137 * (i % 4))  # spread the samples over the followers' poll phase
lags.sort()
print(f"replica lag ms: median {lags[len(lags)//2]:.0f}, max {lags[-1]:.0f} (follower poll 500 ms)")
PY

echo "== 4. failover: SIGKILL the writer while a client posts through a follower"
python3 - "$URL_b" "$INST" "$reader" "$PID_a" "$LEASE_MS" <<'PY'
import json, os, signal, sys, time, urllib.request, urllib.error
follower, token, learner, writer_pid, lease = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
def post(i):
    rec = {"learner": learner, "unit": "nodeuni:C1", "external_ref": f"fo-{i}",
           "grade": {"scale": "percent", "value": "75"}, "completed_on": "2024-06-30"}
    req = urllib.request.Request(follower + "/v1/records", method="POST",
                                 data=json.dumps({"records": [rec]}).encode())
    req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r: return r.status
    except urllib.error.HTTPError as e: return e.code
for i in range(20): assert post(i) in (200, 201)
killed = time.monotonic()
os.kill(writer_pid, signal.SIGKILL)
i, refused = 20, 0
while True:
    status = post(i)
    if status in (200, 201): break
    refused += 1
    time.sleep(0.02)
print(f"failover: first acknowledged write {(time.monotonic() - killed) * 1000:.0f} ms after the SIGKILL "
      f"(lease {lease} ms; {refused} requests answered 503 meanwhile)")
PY
grep -h "took over" "$work"/b.log "$work"/c.log | head -1
