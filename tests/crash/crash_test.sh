#!/usr/bin/env bash
# Crash test: acknowledged means durable, and the log is never inconsistent.
# Loads a real `creditbank serve` with record batches, SIGKILLs it at a random moment
# (CRASH_MIN_DELAY_MS..CRASH_MAX_DELAY_MS into the load, default 50..800) CRASH_ROUNDS times
# (default 20) and checks after every restart what tests/crash/crash_loader.py describes.
#
#   tests/crash/crash_test.sh                      # 20 rounds
#   CRASH_ROUNDS=100 CRASH_SEED=42 tests/crash/crash_test.sh --keep
#
# Env: CRASH_ROUNDS, CRASH_MIN_DELAY_MS, CRASH_MAX_DELAY_MS, CRASH_SEED (replays a run's kill
# delays), CREDITBANK_BIN (default build/cli/creditbank; built with the default preset when
# missing), CRASH_STORAGE=postgres (the server on a throwaway PostgreSQL 15 started here with
# build/tests/pg/pg_test_cluster, fsync on, and stopped at the end; only the bank is killed).
# Extra arguments go to crash_loader.py (--help lists them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BIN="${CREDITBANK_BIN:-$ROOT/build/cli/creditbank}"
if [[ ! -x "$BIN" ]]; then
  echo "crash_test: $BIN missing; building the creditbank target (default preset)" >&2
  cmake --preset default >/dev/null
  cmake --build --preset default --target creditbank
fi
if [[ "${CRASH_STORAGE:-rocksdb}" != postgres ]]; then
  exec python3 "$ROOT/tests/crash/crash_loader.py" --bin "$BIN" "$@"
fi
CLUSTER="${PG_TEST_CLUSTER_BIN:-$ROOT/build/tests/pg/pg_test_cluster}"
if [[ ! -x "$CLUSTER" ]]; then
  cmake --preset default >/dev/null
  cmake --build --preset default --target pg_test_cluster
fi
STATE=$(mktemp -u /tmp/creditbank-crash-pg.XXXXXX)
trap '"$CLUSTER" stop "$STATE" >/dev/null 2>&1 || true' EXIT
LCB_REQUIRE_POSTGRES=1 "$CLUSTER" start "$STATE" --fsync
PORT=$(sed -n 's/^port=//p' "$STATE")
# The server restarts on the same --data and --listen, so it is the same lease holder and takes
# the log writer's lease back at once.
python3 "$ROOT/tests/crash/crash_loader.py" --bin "$BIN" --serve-arg=--storage \
  --serve-arg=postgres --serve-arg=--postgres-dsn \
  "--serve-arg=postgresql://postgres@127.0.0.1:$PORT/postgres" --serve-arg=--postgres-lease-ms \
  --serve-arg=2000 "$@"
