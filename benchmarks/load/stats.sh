#!/usr/bin/env bash
# GET /v1/stats over HTTP (issue 17: <= 10 ms per request), on its own and while records keep
# arriving (each question first reloads the learners changed since the one before it):
#   1. N learners (default 20,000) in 310 counties (31 provinces x 10 cities), then records
#      posted for S seconds in batches of 100 over 8 connections (the fill, also the
#      ingestion-alone rate of this run);
#   2. stats alone: wrk, 4 connections, S seconds, for each question below;
#   3. stats while ingesting: the same questions over 2 connections while wrk posts records over
#      8 connections; ingestion rate beside the rate of step 1; the server's own latency
#      histogram for those requests; then the same phase timed by timed_get.py (wrk's latency
#      figures do not add up in this phase: printed as "wrk's own check"), and the statistics
#      keeper's counters (/metrics: passes, questions that caught up themselves, lag).
# CREDITBANK_STATS_MAX_STALENESS_MS=0 runs the server without the keeper (each question exact).
# The first question's time is printed, and how many log entries it read itself (what the
# keeper between questions, CREDITBANK_STATS_IDLE_KEEPER, had not read yet).
# Questions: region x year by county (the regulator's table), kind x level in one province,
# and the first page of 1,000 cells of region x year.
# Usage: benchmarks/load/stats.sh [seconds per phase, default 20] [learners, default 20000]
# STATS_FILL_SECONDS: how long the fill posts records (default: the phase length). The issue's
# scale, 1M learners and ~10M records: STATS_FILL_SECONDS=240 benchmarks/load/stats.sh 15 1000000
# Needs: build/cli/creditbank (scripts/build.sh), wrk (installed here).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-20}"
n_learners="${2:-20000}"
fill_secs="${STATS_FILL_SECONDS:-$secs}"
scripts/deps.sh wrk time >/dev/null
bin=${CREDITBANK_BIN:-build/cli/creditbank}
[ -x "$bin" ] || scripts/build.sh default
work=$(mktemp -d /tmp/cb-stats.XXXXXX)
trap 'kill $server_pid 2>/dev/null && wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT

. benchmarks/load/lib.sh
start_server "$bin" "$work"
institution_with_unit loaduni "Load University" Course 0613
REG=$(curl -sf -X POST "$B/v1/tokens" -H "Authorization: Bearer $ADMIN" \
  -d '{"role":"regulator:31"}' | j '["token"]')

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $n_learners learners in 310 counties (8 keep-alive connections)"
t0=$(date +%s)
python3 - "$B" "$INST" "$n_learners" > "$work/learners" <<'PY'
import http.client, json, sys, threading, urllib.parse
base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(base)
provinces = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
             50, 51, 52, 53, 54, 61, 62, 63, 64, 65]
ids = [None] * n
failures = []  # a thread's sys.exit would end only that thread, silently
def work(first):  # learners first, first + 8, ...: the same regions whatever the threads' pace
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    for i in range(first, n, 8):
        region = "%02d%02d01" % (provinces[i % 31], 1 + (i // 31) % 10)
        c.request("POST", "/v1/learners", json.dumps({"region": region}),
                  {"Authorization": "Bearer " + token})
        r = c.getresponse()
        body = r.read()
        if r.status != 201:
            failures.append("POST /v1/learners: %d %s" % (r.status, body[:200]))
            return
        ids[i] = json.loads(body)["id"]
threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
for t in threads: t.start()
for t in threads: t.join()
if failures: sys.exit(failures[0])
if None in ids: sys.exit("some learners were not created")
print(",".join(ids))
PY

echo "   created in $(( $(date +%s) - t0 )) s"

ingest() {  # ingest SECONDS CONNECTIONS -> prints records/s; the batches' p99 in $work/ingest_p99
  local out
  out=$(CB_TOKEN=$INST CB_UNIT=loaduni:C1 CB_LEARNERS_FILE=$work/learners CB_BATCH=100 CB_RUN=r$RANDOM$1 \
    wrk -t1 -c"$2" -d"$1s" --timeout 10s -s benchmarks/load/ingest.lua "$B" 2>&1)
  echo "$out" | grep -E "unexpected" >&2 || true
  echo "$out" | sed -nE 's/.*p99_ms=([0-9.]+).*/\1/p' > "$work/ingest_p99"
  echo "$out" | awk '/Requests\/sec/ {printf "%d", $2 * 100}'
}

echo "== fill: records for ${fill_secs}s, batches of 100 over 8 connections"
alone=$(ingest "$fill_secs" 8)
[ -n "$alone" ] || { echo "ingestion failed (see above)" >&2; exit 1; }
echo "ingestion alone: $alone records/s, p99 per batch of 100 $(cat "$work/ingest_p99") ms"

questions=(
  "/v1/stats?group_by=region,year&region_level=county"
  "/v1/stats?group_by=kind,level&region=31"
  "/v1/stats?group_by=region,year&region_level=county&limit=1000"
)
first=1
for q in "${questions[@]}"; do
  t=$(curl -sf "$B$q" -H "Authorization: Bearer $REG" -o "$work/answer.json" -w '%{time_total}')
  if [ -n "$first" ]; then
    # Brings the figures up to date itself: reads what the keeper between questions has not
    # (with CREDITBANK_STATS_IDLE_KEEPER=false, every record of the fill).
    echo "== first question after the fill: ${t} s, $(curl -sf "$B/metrics" | awk '/^creditbank_stats_catch_up_entries_total / {print $2}') log entries read by it"
    first=
  fi
  echo "== $q: $(python3 -c "import json; a=json.load(open('$work/answer.json')); print(len(a['cells']), 'cells,', a['suppressed'], 'suppressed,')") $(stat -c %s "$work/answer.json") bytes"
  out=$(CB_TOKEN=$REG CB_PATH="$q" wrk -t1 -c4 -d"${secs}s" -s benchmarks/load/read.lua "$B" 2>&1)
  echo "alone:          $(echo "$out" | grep -E "RESULT") $(echo "$out" | awk '/Requests\/sec/ {print "req/s=" $2}')"
  ingest "$secs" 8 > "$work/rate" &
  ingest_pid=$!
  sleep 1
  curl -sf "$B/metrics" > "$work/metrics_before"
  out=$(CB_TOKEN=$REG CB_PATH="$q" wrk -t1 -c2 -d"$((secs - 2))s" -s benchmarks/load/read.lua "$B" 2>&1)
  curl -sf "$B/metrics" > "$work/metrics_after"
  wait $ingest_pid
  echo "with ingestion: $(echo "$out" | grep -E "RESULT") $(echo "$out" | awk '/Requests\/sec/ {print "req/s=" $2}'); ingestion $(cat "$work/rate") records/s = $(python3 -c "print(round($(cat "$work/rate")/$alone, 3))")x alone, p99 per batch $(cat "$work/ingest_p99") ms"
  # The server's own view of the same requests (its latency histogram, read before and after).
  echo "                server side: $(python3 - "$work/metrics_before" "$work/metrics_after" <<'PY'
import re, sys
def read(path):
    out = {}
    for line in open(path):
        m = re.match(r'creditbank_http_request_duration_seconds_(bucket|sum|count)\{method="GET",route="/v1/stats"(?:,le="([^"]+)")?\} (\S+)', line)
        if m: out[(m.group(1), m.group(2))] = float(m.group(3))
    return out
a, b = read(sys.argv[1]), read(sys.argv[2])
d = {k: b[k] - a.get(k, 0) for k in b}
n = d.get(("count", None), 0)
if n:
    print("requests=%d mean_ms=%.3f under_10ms=%.2f%% under_25ms=%.2f%%" % (
        n, 1000 * d[("sum", None)] / n, 100 * d[("bucket", "0.01")] / n, 100 * d[("bucket", "0.025")] / n))
PY
)"
  echo "                wrk's own check: its mean x requests = $(echo "$out" | python3 -c "
import re, sys
m = re.search(r'requests=(\d+).*mean_ms=([0-9.]+)', sys.stdin.read())
print('%.0f s of latency in %d s of 2 connections' % (int(m.group(1)) * float(m.group(2)) / 1000, 2 * ($secs - 2)) if m else '?')")"
  # The same phase again, timed by a client whose figures add up (timed_get.py).
  ingest "$secs" 8 > "$work/rate" &
  ingest_pid=$!
  sleep 1
  timed=$(python3 benchmarks/load/timed_get.py "$B" "$REG" "$q" 2 $((secs - 2)))
  wait $ingest_pid
  echo "timed client:   $timed; ingestion $(cat "$work/rate") records/s"
  # Who brought the figures up to date: the keeper's passes, or questions themselves.
  echo "                $(curl -sf "$B/metrics" | awk '/^creditbank_stats_(keeper_passes_total|catch_ups_total|catch_up_entries_total|lag_entries) / {sub("creditbank_stats_", "", $1); printf "%s=%s ", $1, $2}')"
done
# The floor of this client on this machine in the same phase: /healthz, which does no work.
ingest "$secs" 8 > "$work/rate" &
ingest_pid=$!
sleep 1
timed=$(python3 benchmarks/load/timed_get.py "$B" "$REG" /healthz 2 $((secs - 2)))
wait $ingest_pid
echo "== /healthz while ingesting, timed client: $timed; ingestion $(cat "$work/rate") records/s"
echo "== records: $(curl -sf "$B/log/checkpoint" | sed -n 2p) log entries; server peak memory $(grep VmHWM /proc/$server_pid/status | awk '{print $2/1024 " MiB"}')"
# Anything the server complained about (a failed request is a finding, not noise).
if grep -qE '"level":"(warn|error)"|level=(warn|error)' "$work/server.log"; then
  echo "== server log (warnings and errors, counted by message):"
  grep -E '"level":"(warn|error)"|level=(warn|error)' "$work/server.log" | sed -E 's/"(ts|time|request_id)":"[^"]*",?//g' | sort | uniq -c | sort -rn | head -20
fi
