#!/usr/bin/env bash
# Starts creditbank on a free loopback port, fetches /openapi.json and validates it with
# @apidevtools/swagger-parser from the npm registry. Usage: tests/openapi/validate.sh [BIN]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../../build/cli/creditbank}"
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" serve --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" --log-level warn 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$(cat "$work/port")/openapi.json" > "$work/openapi.json"
cd "$here"
[ -d node_modules/@apidevtools/swagger-parser ] || npm install --no-audit --no-fund --loglevel=error >/dev/null
node validate.mjs "$work/openapi.json"
