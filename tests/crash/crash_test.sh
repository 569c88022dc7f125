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
# missing). Extra arguments go to crash_loader.py (--help lists them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BIN="${CREDITBANK_BIN:-$ROOT/build/cli/creditbank}"
if [[ ! -x "$BIN" ]]; then
  echo "crash_test: $BIN missing; building the creditbank target (default preset)" >&2
  cmake --preset default >/dev/null
  cmake --build --preset default --target creditbank
fi
exec python3 "$ROOT/tests/crash/crash_loader.py" --bin "$BIN" "$@"
