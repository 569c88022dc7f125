#!/usr/bin/env bash
# Installs what is missing, builds, starts `creditbank serve` on 127.0.0.1:8080 with the data
# in ./var, and loads the demo catalog (once). Ctrl-C stops the server cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_TARGET=creditbank scripts/build.sh default
bin=build/cli/creditbank
listen="${CREDITBANK_LISTEN:-127.0.0.1:8080}"
data="${CREDITBANK_DATA_DIR:-./var}"
"$bin" serve --data "$data" --listen "$listen" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
for _ in $(seq 1 100); do
  if curl -sf "http://$listen/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
if [ ! -f "$data/.demo-loaded" ]; then
  "$bin" demo --server "http://$listen" --token "$(cat "$data/admin.token")" --out "$data/demo" \
    && touch "$data/.demo-loaded"
fi
echo
echo "creditbank is running at http://$listen"
echo "  admin token:        $data/admin.token"
echo "  demo tokens:        $data/demo/tokens.json"
echo "  try:                curl -s http://$listen/v1/programs | python3 -m json.tool"
echo "Ctrl-C stops it."
wait $pid
