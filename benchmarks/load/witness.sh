#!/usr/bin/env bash
# Witness and monitor load benchmark (issue 19), side by side in one run on loopback:
#   ingestion  POST batches of 100 records over 8 keep-alive connections (benchmarks/load/
#              ingest.lua), against a bank with no witness and against one with two local
#              `creditbank witness` servers (quorum 2), alternated: none, two, none, two
#   monitor    `creditbank monitor --once` from an empty state over the whole log the last
#              run left (entry bundles + level-0 tiles, every leaf hash checked): entries/s
# Usage: benchmarks/load/witness.sh [seconds per ingestion phase, default 10]
# Needs: build/cli/creditbank (scripts/build.sh), wrk, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
scripts/deps.sh wrk curl >/dev/null
bin=${CREDITBANK_BIN:-build/cli/creditbank}
[ -x "$bin" ] || scripts/build.sh default
work=$(mktemp -d /tmp/cb-witness.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
. benchmarks/load/lib.sh  # j, new_learners, auditor_token
wait_port() { for _ in $(seq 1 100); do [ -s "$1" ] && break; sleep 0.1; done; cat "$1"; }

"$bin" keygen --out "$work/log_key.pem" >/dev/null
# The bank's verifier key, as a first start prints it in GET /v1/log/key.
"$bin" serve --data "$work/probe" --key-file "$work/log_key.pem" --listen 127.0.0.1:0 \
  --port-file "$work/probe.port" --log-level warn 2>/dev/null &
probe=$!
log_vkey=$(curl -sf "http://127.0.0.1:$(wait_port "$work/probe.port")/v1/log/key" | j '["verifier_key"]')
kill $probe; wait $probe 2>/dev/null || true

# Two fresh witnesses (new state) per witnessed phase: each phase's bank is a new log under the
# same key, which witnesses that saw the previous one would rightly refuse as a fork.
wpids=()
start_witnesses() {
  for p in "${wpids[@]}"; do kill "$p" 2>/dev/null || true; done
  wpids=()
  local witnesses='[' w port
  for w in a b; do
    [ -f "$work/w$w.pem" ] || "$bin" keygen --out "$work/w$w.pem" --name "w$w.bench/w" >/dev/null
    rm -rf "$work/w$w" "$work/w$w.port" "$work/w$w.vkey"
    "$bin" witness --listen 127.0.0.1:0 --key "$work/w$w.pem" --name "w$w.bench/w" \
      --log-vkey "$log_vkey" --state "$work/w$w" --port-file "$work/w$w.port" \
      > "$work/w$w.vkey" 2>/dev/null &
    wpids+=($!)
    pids+=($!)
    port=$(wait_port "$work/w$w.port")
    for _ in $(seq 1 50); do [ -s "$work/w$w.vkey" ] && break; sleep 0.1; done
    witnesses="$witnesses{\"name\":\"w$w.bench/w\",\"url\":\"http://127.0.0.1:$port\",\"vkey\":\"$(cat "$work/w$w.vkey")\"},"
  done
  printf '{"witnesses": %s, "witness_quorum": 2}\n' "${witnesses%,}]" > "$work/witnessed.json"
}
echo '{}' > "$work/plain.json"

cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
# ingest NAME CONFIG: a fresh bank, setup, one wrk phase; prints records/s; leaves the bank up.
ingest() {
  local name=$1 config=$2 data="$work/data-$1"
  "$bin" serve --config "$config" --data "$data" --key-file "$work/log_key.pem" \
    --listen 127.0.0.1:0 --port-file "$work/$name.port" --log-level error --rate-limit-rps 0 \
    2>"$work/$name.log" &
  server=$!
  pids+=($server)
  B="http://127.0.0.1:$(wait_port "$work/$name.port")"
  ADMIN=$(cat "$data/admin.token")
  institution_with_unit loaduni "Load University" Course 0613
  auditor_token
  new_learners 50
  local cpu0; cpu0=$(cpu_s $server)
  out=$(CB_TOKEN=$INST CB_UNIT=loaduni:C1 CB_LEARNERS=$learners CB_BATCH=100 CB_RUN=r$RANDOM \
    wrk -t2 -c8 -d"${secs}s" --timeout 10s -s benchmarks/load/ingest.lua "$B" 2>&1)
  req_s=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  echo "$name: $(python3 -c "print(round($req_s*100))") records/s (server CPU $(python3 -c "print(round($(cpu_s $server)-$cpu0,1))") s)"
}

echo "== machine: $(nproc) cores; ${secs}s ingestion phases, alternated"
for round in 1 2; do
  for kind in plain witnessed; do
    [ "$kind" = witnessed ] && start_witnesses
    ingest "$kind-$round" "$work/$kind.json"
    if [ "$kind" = witnessed ]; then
      sleep 1
      cosigs=$(curl -sf "$B/log/checkpoint" | grep -c '^— w' || true)
      echo "  cosignatures on the served checkpoint 1 s after the phase: $cosigs"
    fi
    if [ "$round" = 2 ] && [ "$kind" = witnessed ]; then break 2; fi
    kill $server; wait $server 2>/dev/null || true
  done
done

echo "== monitor: --once from an empty state over the last bank's log"
size=$(curl -sf "$B/v1/log/checkpoint" | sed -n 2p)
start=$(date +%s.%N)
"$bin" monitor --server "$B" --state "$work/monitor" --token "$AUD" --once > "$work/monitor.out"
end=$(date +%s.%N)
echo "monitor: $size entries in $(python3 -c "print(round($end-$start,2))") s = $(python3 -c "print(round($size/($end-$start)))") entries/s"
tail -c 300 "$work/monitor.out"
