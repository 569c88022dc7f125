#!/usr/bin/env bash
# Soak benchmark (issue 14): sustained HTTP ingestion into a fresh store, window by window,
# beside db_bench fillrandom with the same number of keys measured in the same run.
#
#   creditbank  POST /v1/records, batches of 100 new records for learners drawn at random,
#               8 keep-alive connections, rate limit off, durable acknowledgements; wrk runs
#               back to back in windows of SOAK_WINDOW seconds until SOAK_RECORDS records
#               are in the log. Per window: records/s, p50/p99/max per batch, RocksDB write
#               stalls, compaction bytes, pending compaction bytes, L0 files, disk, RSS.
#   end         server stopped (SIGTERM), disk before and after a full compaction with the
#               store's own options (compact_store), bytes per record, peak RSS, compaction
#               figures per table and the stall reasons from RocksDB's LOG.
#   limit       db_bench --benchmarks=fillrandom --num=<records> --sync=1 --batch_size=100
#               --value_size=400 --key_size=24, its rate per window and overall, and its size
#               on disk after its own compaction.
#
# Usage: benchmarks/load/soak.sh [records, default 10000000]
# Env:   SOAK_LEARNERS (default 50000), SOAK_WINDOW (30 s), SOAK_CONNECTIONS (8),
#        SOAK_BATCH (100), SOAK_MAX_SECONDS (stop ingesting after this long; 0 = no limit),
#        SOAK_DIR (work directory, default a new /tmp/cb-soak.XXXXXX; needs ~1 KB per record
#        for creditbank and ~0.5 KB per key for db_bench), SOAK_KEEP=1 (keep it),
#        SOAK_SKIP_DBBENCH=1, SOAK_PERF=N (perf record the server during window N into
#        $SOAK_DIR/perf.data), CREDITBANK_BIN, COMPACT_STORE_BIN (default build/...).
# 100M records: SOAK_RECORDS... see benchmarks/README.md ("Soak"): about 100 GB free disk and
# one to two hours: `SOAK_DIR=/big/disk/soak benchmarks/load/soak.sh 100000000`.
# Run it under the build lock on a shared machine: flock /tmp/lcb-build.lock benchmarks/load/soak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
records="${1:-10000000}"
learners_n="${SOAK_LEARNERS:-50000}"
window="${SOAK_WINDOW:-30}"
conns="${SOAK_CONNECTIONS:-8}"
batch="${SOAK_BATCH:-100}"
max_secs="${SOAK_MAX_SECONDS:-0}"
scripts/deps.sh wrk rocksdb-tools >/dev/null
bin=${CREDITBANK_BIN:-build/cli/creditbank}
compact=${COMPACT_STORE_BIN:-build/benchmarks/storage/compact_store}
[ -x "$bin" ] && [ -x "$compact" ] || scripts/build.sh default
work=${SOAK_DIR:-$(mktemp -d /tmp/cb-soak.XXXXXX)}
mkdir -p "$work"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ "${SOAK_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
here=$(pwd)
tsv="$work/windows.tsv"

. "$here/benchmarks/load/lib.sh"
start_server "$bin" "$work"
institution_with_unit soakuni "Soak University" Course 0613

echo "== machine: $(nproc) cores, $(grep MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2/1024/1024}'), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== creating $learners_n learners"
t0=$(date +%s)
python3 - "$B" "$INST" "$learners_n" "$work/learners.txt" <<'PY'
import http.client, json, sys, threading
base, token, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
host, port = base.split("//")[1].split(":")
ids, lock = [], threading.Lock()
def work(count):
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    for _ in range(count):
        c.request("POST", "/v1/learners", "{}", {"Authorization": "Bearer " + token})
        r = c.getresponse(); body = r.read()
        if r.status != 201: raise SystemExit("learner creation: %d %s" % (r.status, body[:200]))
        with lock: ids.append(json.loads(body)["id"])
threads = [threading.Thread(target=work, args=(n // 8 + (1 if i < n % 8 else 0),)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
open(out, "w").write("\n".join(ids) + "\n")
PY
echo "   $(wc -l < "$work/learners.txt") learners in $(( $(date +%s) - t0 )) s"

# /metrics as NAME VALUE lines (gauges and counters without labels).
metrics() { curl -sf "$B/metrics" | awk '/^creditbank_[a-z0-9_]+ / {print $1, $2}' > "$1"; }
metric() { awk -v k="creditbank_$2" '$1 == k {print $2; found=1} END {if (!found) print 0}' "$1"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$server_pid/status"; }

echo "== ingestion: POST batches of $batch, $conns connections, ${window}s windows, until $records records"
printf "window\telapsed_s\trecords\trecords_per_s\tp50_ms\tp99_ms\tmax_ms\terrors\tstall_s\tcompaction_mb\tpending_mb\tl0_unique\tl0_learner\tdisk_mb\tbytes_per_record\trss_mib\n" | tee "$tsv"
metrics "$work/m0"
start=$(date +%s.%N)
w=0
prev_records=0
prev_stall=0
prev_comp=0
while :; do
  w=$((w + 1))
  perf_pid=""
  if [ "${SOAK_PERF:-0}" = "$w" ]; then
    perf record -g -p "$server_pid" -o "$work/perf.data" -- sleep "$window" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  ws=$(date +%s.%N)
  out=$(CB_TOKEN=$INST CB_UNIT=soakuni:C1 CB_LEARNERS_FILE="$work/learners.txt" CB_BATCH=$batch \
    CB_RUN="w$w" wrk -t2 -c"$conns" -d"${window}s" --timeout 30s -s benchmarks/load/soak.lua "$B" 2>&1) || true
  we=$(date +%s.%N)
  [ -n "$perf_pid" ] && wait "$perf_pid" || true
  result=$(echo "$out" | grep '^RESULT' || echo "RESULT requests=0 p50_ms=0 p99_ms=0 max_ms=0 errors_status=0 timeouts=0")
  field() { echo "$result" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
  metrics "$work/m"
  # Records from wrk's count of answered batches (all 201: every record new); /metrics prints
  # 6 significant digits.
  total=$(( prev_records + ($(field requests) - $(field errors_status)) * batch ))
  stall=$(metric "$work/m" rocksdb_stall_micros)
  comp=$(metric "$work/m" rocksdb_compaction_write_bytes)
  disk=$(du -sb "$work/data" | cut -f1)
  python3 - "$w" "$ws" "$we" "$start" "$total" "$prev_records" "$stall" "$prev_stall" "$comp" \
    "$prev_comp" "$(metric "$work/m" rocksdb_pending_compaction_bytes)" \
    "$(metric "$work/m" rocksdb_unique_l0_files)" "$(metric "$work/m" rocksdb_learner_records_l0_files)" \
    "$disk" "$(rss_kib)" "$(field p50_ms)" "$(field p99_ms)" "$(field max_ms)" \
    "$(( $(field errors_status) + $(field timeouts) ))" <<'PY' | tee -a "$tsv"
import sys
a = sys.argv[1:]
w, ws, we, start = int(a[0]), float(a[1]), float(a[2]), float(a[3])
total, prev, stall, pstall, comp, pcomp, pending = (float(x) for x in a[4:11])
l0u, l0l, disk, rss = (float(x) for x in a[11:15])
p50, p99, mx, errors = a[15], a[16], a[17], a[18]
rate = (total - prev) / (we - ws)
print("\t".join(str(x) for x in [w, round(we - start), int(total), round(rate), p50, p99, mx, errors,
      round((stall - pstall) / 1e6, 1), round((comp - pcomp) / 2**20), round(pending / 2**20),
      int(l0u), int(l0l), round(disk / 2**20), round(disk / max(total, 1)), round(rss / 1024)]))
PY
  prev_records=$total
  prev_stall=$stall
  prev_comp=$comp
  [ "$total" -ge "$records" ] && break
  if [ "$max_secs" != 0 ] && awk -v s="$start" -v m="$max_secs" -v now="$(date +%s.%N)" 'BEGIN {exit !(now - s >= m)}'; then
    echo "   stopped after SOAK_MAX_SECONDS=$max_secs with $total records"
    break
  fi
done
elapsed=$(python3 -c "print(round($(date +%s.%N) - $start))")
peak_rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$server_pid/status")
cp "$work/m" "$work/metrics.final"
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=""
disk_before=$(du -sb "$work/data/db" | cut -f1)
tc0=$(date +%s)
"$compact" "$work/data/db"
disk_after=$(du -sb "$work/data/db" | cut -f1)
echo "== creditbank: $total records in ${elapsed}s ($(python3 -c "print(round($total/$elapsed))") records/s overall), peak RSS $peak_rss MiB"
echo "   disk: $(python3 -c "print(round($disk_before/$total))") B/record before compaction, $(python3 -c "print(round($disk_after/$total))") B/record after a full compaction ($(( $(date +%s) - tc0 )) s)"
echo "== per table (whole run): compaction+flush MiB written, compaction s, stalls, live SST MiB"
python3 - "$work/metrics.final" <<'PY'
import sys, re
m = {}
for line in open(sys.argv[1]):
    k, v = line.split(); m[k] = float(v)
tables = sorted({re.sub(r"_(pending_compaction_bytes|live_sst_bytes|l0_files|compaction_write_bytes|compaction_seconds|stalls)$", "", k[len("creditbank_rocksdb_"):])
                 for k in m if k.endswith("_compaction_write_bytes") and k != "creditbank_rocksdb_compaction_write_bytes"})
for t in tables:
    g = lambda s: m.get("creditbank_rocksdb_%s_%s" % (t, s), 0)
    if g("compaction_write_bytes") == 0 and g("live_sst_bytes") == 0: continue
    print("   %-16s %9.0f MiB %7.0f s %5d stalls %8.0f MiB live" % (t, g("compaction_write_bytes") / 2**20,
          g("compaction_seconds"), g("stalls"), g("live_sst_bytes") / 2**20))
print("   total stall time %.1f s; compaction read %.0f MiB, written %.0f MiB; flushes %.0f MiB; WAL %.0f MiB" % (
    m.get("creditbank_rocksdb_stall_micros", 0) / 1e6, m.get("creditbank_rocksdb_compaction_read_bytes", 0) / 2**20,
    m.get("creditbank_rocksdb_compaction_write_bytes", 0) / 2**20, m.get("creditbank_rocksdb_flush_write_bytes", 0) / 2**20,
    m.get("creditbank_rocksdb_wal_bytes", 0) / 2**20))
PY
echo "   stall reasons in RocksDB's LOG:"
cat "$work"/data/db/LOG* 2>/dev/null | grep -oE "\[[a-z_]+\] (Stalling|Stopping) writes because [a-z ]+" \
  | sed 's/[0-9]//g' | sort | uniq -c | sort -rn | head -10 | sed 's/^/     /' || true

dbb_rate=0
if [ "${SOAK_SKIP_DBBENCH:-0}" != 1 ]; then
  echo "== limit: db_bench fillrandom --num=$total --sync=1 --batch_size=100 --value_size=400 --key_size=24"
  out=$(db_bench --benchmarks=fillrandom,stats --num="$total" --sync=1 --batch_size=100 \
    --value_size=400 --key_size=24 --threads=1 --db="$work/dbbench" \
    --report_interval_seconds="$window" --report_file="$work/dbbench.csv" 2>&1) || true
  echo "$out" | grep -E "^fillrandom" | sed 's/^/   /'
  echo "$out" | grep -E "Cumulative stall|Interval stall" | tail -2 | sed 's/^/   /'
  dbb_rate=$(echo "$out" | awk '/^fillrandom/ {for (i=1;i<=NF;i++) if ($i ~ /^ops\/sec/) print $(i-1)}')
  echo "   per ${window}s window (ops/s): $(awk -F, -v w="$window" 'NR > 1 {printf "%d ", $2 / w}' "$work/dbbench.csv")"
  db_bench --benchmarks=compact --use_existing_db=1 --num="$total" --key_size=24 --db="$work/dbbench" >/dev/null 2>&1 || true
  echo "   disk after its compaction: $(python3 -c "print(round($(du -sb "$work/dbbench" | cut -f1)/$total))") B/key"
  rm -rf "$work/dbbench"
fi

echo "== summary (targets of issue 14)"
python3 - "$tsv" "$dbb_rate" "$disk_after" "$total" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
dbb, disk, total = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
full = rows
rates = [float(r[3]) for r in full]
p99s = [float(r[5]) for r in rows]
print("   windows: %d; records/s min %d, median %d, max %d" % (len(rows), min(rates), sorted(rates)[len(rates) // 2], max(rates)))
if dbb > 0:
    print("   worst window / db_bench = %.2f (target >= 0.5): %s" % (min(rates) / dbb, "met" if min(rates) >= 0.5 * dbb else "missed"))
print("   worst p99 per batch = %.0f ms (target <= 100 ms): %s" % (max(p99s), "met" if max(p99s) <= 100 else "missed"))
print("   bytes on disk per record after compaction = %.0f (target <= 600): %s" % (disk / total, "met" if disk / total <= 600 else "missed"))
PY
