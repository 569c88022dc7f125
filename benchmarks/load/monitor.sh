#!/usr/bin/env bash
# The monitor's read rate (issue 19: >= 200,000 entries/s from a local server): a bank filled
# by wrk (ingest.lua, batches of 100) for SECS seconds, then `creditbank monitor --once` from an
# empty state over the whole log, ROUNDS times for each binary given (alternated, so two builds
# compare in one run).
#   benchmarks/load/monitor.sh [SECS, default 10] [BIN ...]   (default build/cli/creditbank)
# ROUNDS=3 by default.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
shift || true
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(build/cli/creditbank)
rounds="${ROUNDS:-3}"
scripts/deps.sh wrk >/dev/null
work=$(mktemp -d /tmp/cb-monitor.XXXXXX)
trap 'kill $server_pid 2>/dev/null && wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT

. benchmarks/load/lib.sh
start_server "${bins[0]}" "$work"
institution_with_unit loaduni "Load University" Course 0613
auditor_token
new_learners 50
CB_TOKEN=$INST CB_UNIT=loaduni:C1 CB_LEARNERS=$learners CB_BATCH=100 CB_RUN=m$RANDOM \
  wrk -t2 -c8 -d"${secs}s" --timeout 10s -s benchmarks/load/ingest.lua "$B" >/dev/null 2>&1
sleep 1
size=$(curl -sf "$B/v1/log/checkpoint" | sed -n 2p)
echo "== log of $size entries; monitor --once from an empty state, $rounds rounds"
for round in $(seq 1 "$rounds"); do
  for bin in "${bins[@]}"; do
    rm -rf "$work/state"
    start=$(date +%s.%N)
    "$bin" monitor --server "$B" --state "$work/state" --token "$AUD" --once > "$work/out"
    end=$(date +%s.%N)
    grep -q "$size" "$work/out" || { echo "monitor did not reach $size:"; tail -c 300 "$work/out"; exit 1; }
    echo "round $round $bin: $size entries in $(python3 -c "print(round($end-$start,2))") s = $(python3 -c "print(round($size/($end-$start)))") entries/s"
  done
done
