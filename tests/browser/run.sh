#!/usr/bin/env bash
# The portal's browser tests: starts `creditbank serve` on a free loopback port with a fresh
# data dir, loads the demo (`creditbank demo`), and runs the suites in Debian's Chromium.
#   tests/browser/run.sh [BIN]                      BIN defaults to build/cli/creditbank
#   CB_SCREENSHOTS=docs/screenshots tests/browser/run.sh   also writes the README's screenshots
#   CB_PERF_OUT=FILE                                 writes the learner home's page weight and paints
# Under CI=true a missing chromium, node >= 20, npm or zbarimg is an error, never a skip.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$(realpath "${1:-$root/build/cli/creditbank}")"
if [ -n "${CB_SCREENSHOTS:-}" ]; then CB_SCREENSHOTS="$(realpath -m "$CB_SCREENSHOTS")"; fi

missing() {
  if [ "${CI:-}" = true ]; then
    echo "browser tests: $1 (CI=true: failing, not skipping)" >&2
    exit 1
  fi
  echo "browser tests: SKIPPED: $1" >&2
  exit 0
}
chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || missing "$chromium is not installed (scripts/deps.sh installs chromium)"
command -v node >/dev/null 2>&1 || missing "node is not installed"
command -v npm >/dev/null 2>&1 || missing "npm is not installed"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || missing "node $(node -v) is older than 20 (playwright-core needs 20)"
command -v zbarimg >/dev/null 2>&1 || missing "zbarimg is not installed (scripts/deps.sh installs zbar-tools)"

cd "$here"
npm ci --no-audit --no-fund --loglevel=error >/dev/null || missing "npm ci could not install playwright-core and axe-core"

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
"$bin" serve --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" --log-level warn 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/server.log" >&2; echo "browser tests: the server did not start" >&2; exit 1; }
base="http://127.0.0.1:$(cat "$work/port")"
"$bin" demo --server "$base" --token "$(cat "$work/data/admin.token")" --out "$work/demo" >/dev/null

export CB_BASE="$base" CB_DATA="$work/data" CB_DEMO="$work/demo" CHROMIUM="$chromium"
if [ -n "${CB_SCREENSHOTS:-}" ]; then export CB_SCREENSHOTS; fi
status=0
node --test --test-concurrency=1 --test-reporter=spec qr_test.mjs i18n_test.mjs reasons_test.mjs portal.test.mjs screenshots.test.mjs || status=$?
if [ "$status" != 0 ]; then
  echo "---- server log (tail)" >&2
  tail -n 40 "$work/server.log" >&2
fi
exit "$status"
