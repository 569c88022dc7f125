#!/usr/bin/env bash
# The learner home's page weight and first contentful paint, beside a static page of the same
# size (same number of files, same bytes) served by nginx, measured in the same run,
# interleaved, in headless Chromium over loopback.
#   benchmarks/portal/run.sh [BIN]      (RUNS=7 loads of each; needs chromium and nginx)
# Prints each load as a JSON line, then the medians.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$(realpath "${1:-$root/build/cli/creditbank}")"
runs="${RUNS:-7}"
command -v nginx >/dev/null || { echo "needs nginx (apt-get install nginx-light)" >&2; exit 2; }
(cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" serve --data "$work/data" --listen 127.0.0.1:0 --port-file "$work/port" --log-level warn 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")"
admin="$(cat "$work/data/admin.token")"
"$bin" demo --server "$base" --token "$admin" --out "$work/demo" >/dev/null
learner=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["learners"][0]["id"])' "$work/demo/tokens.json")
cookie() {  # a fresh session for the demo's first learner
  local code
  code=$(curl -sf -X POST "$base/v1/sign-in-codes" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"learner\":\"$learner\"}" | python3 -c 'import json,sys;print(json.load(sys.stdin)["code"])')
  curl -sf -D - -o /dev/null -X POST "$base/v1/sessions" -H 'Content-Type: application/json' -d "{\"code\":\"$code\"}" |
    sed -n 's/^Set-Cookie: cb_session=\([^;]*\).*/\1/ip'
}

# The static twin: one HTML page with the same text content, and as many files of the same
# sizes as the portal's home loaded (scripts for its scripts and API answers, a style sheet).
node "$here/measure.mjs" portal "$base" "$(cookie)" > "$work/probe.json"
python3 "$here/make_twin.py" "$work/probe.json" "$work/www"
cat > "$work/nginx.conf" <<NGINX
user root;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  server { listen 127.0.0.1:0; root $work/www; location / { etag on; } }
}
NGINX
nport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
sed -i "s/listen 127.0.0.1:0;/listen 127.0.0.1:$nport;/" "$work/nginx.conf"
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$nport/index.html" >/dev/null && break; sleep 0.1; done

for _ in $(seq 1 "$runs"); do
  node "$here/measure.mjs" portal "$base" "$(cookie)" | tee -a "$work/all.json" | cut -c1-200
  node "$here/measure.mjs" static "http://127.0.0.1:$nport/index.html" | tee -a "$work/all.json" | cut -c1-200
done
python3 - "$work/all.json" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for kind in ("portal", "static"):
    r = [x for x in rows if x["kind"] == kind]
    med = lambda k: statistics.median(x[k] for x in r)
    print(f"{kind}: {len(r)} loads, {med('requests'):.0f} requests, {med('transfer')/1024:.1f} KiB transferred, "
          f"{med('body')/1024:.1f} KiB bodies, FCP median {med('fcp_ms'):.0f} ms "
          f"(min {min(x['fcp_ms'] for x in r)}, max {max(x['fcp_ms'] for x in r)}), "
          f"content median {med('content_ms'):.0f} ms")
PY
