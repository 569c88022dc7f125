#!/usr/bin/env bash
# HTTP load benchmark (issue 7): ingestion and passbook reads against a real server on
# loopback, each beside the limit of this machine measured in the same run:
#   ingestion  POST batches of 100 records over 8 keep-alive connections (durable acks)
#              vs db_bench fillrandom --sync=1 --batch_size=100 --value_size=400
#   reads      GET the passbook of a learner with 60 records, 32 connections
#              vs nginx serving a static file of the same size
#   credential GET a learner's 60 records' Data Integrity credentials in turn, 32 connections,
#              beside the passbook rate
#   tiles      GET a full C2SP hash tile (/log/tile/0/000, 8,192 bytes), 32 connections
#              vs nginx serving a file of the same size
# Usage: benchmarks/load/run.sh [seconds per phase, default 15]
#        CREDITBANK_BIN=/path/to/creditbank benchmarks/load/run.sh 15   (compare another build)
# Needs: build/cli/creditbank (scripts/build.sh), wrk, nginx, rocksdb-tools (installed here).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-15}"
scripts/deps.sh wrk nginx-light rocksdb-tools time >/dev/null
bin=${CREDITBANK_BIN:-build/cli/creditbank}
[ -x "$bin" ] || scripts/build.sh default
work=$(mktemp -d /tmp/cb-load.XXXXXX)
trap 'kill $server_pid 2>/dev/null && wait $server_pid 2>/dev/null; [ -n "${nginx_pid:-}" ] && kill $nginx_pid 2>/dev/null; rm -rf "$work"' EXIT

. benchmarks/load/lib.sh
start_server "$bin" "$work"
institution_with_unit loaduni "Load University" Course 0613
new_learners 200

echo "== machine: $(nproc) cores, $(grep MemTotal /proc/meminfo | awk '{print $2/1024/1024 " GiB"}'), $(uname -r)"
echo "== ingestion: POST batches of 100 over 8 keep-alive connections for ${secs}s"
# CPU seconds (user+system) of a process so far, from /proc (clock ticks).
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
server_cpu0=$(cpu_s $server_pid)
wrk_times="$work/wrk.cpu"
out=$(CB_TOKEN=$INST CB_UNIT=loaduni:C1 CB_LEARNERS=$learners CB_BATCH=100 CB_RUN=r$RANDOM \
  /usr/bin/env time -f "%U %S" -o "$wrk_times" \
  wrk -t2 -c8 -d"${secs}s" --timeout 10s -s benchmarks/load/ingest.lua "$B" 2>&1)
echo "$out" | grep -E "Requests/sec|RESULT|unexpected" || true
server_cpu1=$(cpu_s $server_pid)
echo "CPU seconds over the ${secs}s phase on $(nproc) cores: server $(python3 -c "print(round($server_cpu1-$server_cpu0,1))"), load generator (wrk) $(awk '{print $1+$2}' "$wrk_times")"
req_s=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
ingest=$(python3 -c "print(round($req_s*100))")
echo "ingested records/s: $ingest"

echo "== limit: db_bench fillrandom --sync=1 --batch_size=100 --value_size=400 (${secs}s)"
dbb=$(db_bench --benchmarks=fillrandom --sync=1 --batch_size=100 --value_size=400 \
  --num=100000000 --duration="$secs" --db="$work/dbbench" --threads=1 2>&1 | grep -E "^fillrandom")
echo "$dbb"
dbb_ops=$(echo "$dbb" | awk '{for (i=1;i<=NF;i++) if ($i ~ /^ops\/sec/) print $(i-1)}')
echo "db_bench ops/s (keys): $dbb_ops; ratio creditbank/db_bench = $(python3 -c "print(round($ingest/$dbb_ops, 3))")"

echo "== reads: passbook of a learner with 60 records, 32 connections for ${secs}s"
learner_with_60_records loaduni:C1
curl -sf "$B/v1/learners/$reader/passbook" -H "Authorization: Bearer $LT" > "$work/passbook.json"
size=$(stat -c %s "$work/passbook.json")
out=$(CB_TOKEN=$LT CB_PATH="/v1/learners/$reader/passbook" \
  wrk -t2 -c32 -d"${secs}s" -s benchmarks/load/read.lua "$B" 2>&1)
echo "$out" | grep -E "Requests/sec|RESULT" || true
cb_read=$(echo "$out" | awk '/Requests\/sec/ {print $2}')

echo "== limit: nginx serving a static file of the same size ($size bytes), 32 connections"
mkdir -p "$work/www"
cp "$work/passbook.json" "$work/www/passbook.json"
cat > "$work/nginx.conf" <<NGINX
user root;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:18099; root $work/www; }
}
NGINX
nginx -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
sleep 0.5
out=$(CB_TOKEN="" CB_PATH=/passbook.json wrk -t2 -c32 -d"${secs}s" -s benchmarks/load/read.lua \
  http://127.0.0.1:18099 2>&1)
echo "$out" | grep -E "Requests/sec|RESULT" || true
ng_read=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
echo "passbook reads/s: $cb_read; nginx: $ng_read; ratio = $(python3 -c "print(round($cb_read/$ng_read, 3))")"

echo "== credentials: GET that learner's 60 records in turn as Data Integrity credentials (each signed on its first request, then kept), 32 connections for ${secs}s"
recs=$(curl -sf "$B/v1/learners/$reader/records?limit=100" -H "Authorization: Bearer $LT" |
  python3 -c 'import json,sys; print(" ".join("/v1/records/%s/credential?format=di" % r["id"] for r in json.load(sys.stdin)["records"]))')
curl -sf "$B${recs%% *}" -H "Authorization: Bearer $LT" > "$work/credential.json"
out=$(CB_TOKEN=$LT CB_PATH="$recs" wrk -t2 -c32 -d"${secs}s" -s benchmarks/load/read.lua "$B" 2>&1)
echo "$out" | grep -E "Requests/sec|RESULT" || true
cb_cred=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
echo "credential reads/s: $cb_cred ($(stat -c %s "$work/credential.json") bytes); passbook reads/s: $cb_read; ratio = $(python3 -c "print(round($cb_cred/$cb_read, 3))") (issue 15: >= 0.5)"

echo "== tiles: GET /log/tile/0/000 (a full hash tile), 32 connections for ${secs}s"
curl -sf "$B/log/tile/0/000" > "$work/www/tile"
out=$(CB_TOKEN="" CB_PATH=/log/tile/0/000 wrk -t2 -c32 -d"${secs}s" -s benchmarks/load/read.lua "$B" 2>&1)
echo "$out" | grep -E "Requests/sec|RESULT" || true
cb_tile=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
echo "== limit: nginx serving a file of the same size ($(stat -c %s "$work/www/tile") bytes), 32 connections"
out=$(CB_TOKEN="" CB_PATH=/tile wrk -t2 -c32 -d"${secs}s" -s benchmarks/load/read.lua \
  http://127.0.0.1:18099 2>&1)
echo "$out" | grep -E "Requests/sec|RESULT" || true
ng_tile=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
echo "full-tile reads/s: $cb_tile; nginx: $ng_tile; ratio = $(python3 -c "print(round($cb_tile/$ng_tile, 3))")"
echo "== server peak memory: $(grep VmHWM /proc/$server_pid/status | awk '{print $2/1024 " MiB"}')"
