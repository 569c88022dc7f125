#!/usr/bin/env bash
# Runs README.md's "A first session with curl" shell blocks as written (ctest
# "readme_credentials"): a learner fetches a credential and verifies it with the bank, with
# `creditbank credential verify` and with Node's jose. Only the server's address changes (a
# free loopback port instead of 8080). The blocks must run, and say what the README says they
# say. Exits 77 (ctest: skipped) when node >= 20 or jose (tests/credentials) is missing.
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
modules="$root/tests/credentials/node_modules"
if ! command -v node >/dev/null 2>&1 || [ ! -d "$modules/jose" ]; then
  echo "SKIP: node or jose missing (scripts/test.sh runs npm ci in tests/credentials)"; exit 77
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/lcb-readme.XXXXXX")"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
mkdir -p build/cli && ln -s "$bin" build/cli/creditbank
ln -s "$modules" node_modules  # what `npm i jose` would leave here
"$bin" serve --data var --listen 127.0.0.1:0 --port-file port --log-level warn >server.log 2>&1 &
server=$!
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || { echo "FAIL: the server did not start"; cat server.log; exit 1; }

# The shell blocks between "## A first session with curl" and the next section.
python3 - "$root/README.md" "$(cat port)" >session.sh <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
section = text.split("## A first session with curl", 1)[1].split("\n## ", 1)[0]
blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
print("\n".join(blocks).replace("B=http://127.0.0.1:8080", "B=http://127.0.0.1:" + sys.argv[2]))
PY
grep -q "credential verify" session.sh || { echo "FAIL: no credential verify in the README"; exit 1; }
bash session.sh >out.txt 2>err.txt || true

fail=0
expect() {  # expect COUNT PATTERN: at least COUNT lines of the output match PATTERN
  local n
  n=$(grep -c -e "$2" out.txt || true)
  if [ "$n" -lt "$1" ]; then echo "FAIL: expected $1 x '$2', got $n"; fail=1; fi
}
expect 1 '"format":"di".*"verified":true}'                # POST /v1/credentials/verify
expect 3 '"verified": true'                              # the CLI: di, ob3-jwt, jwt
expect 2 '"status": "active"'                            # the two with a status list
expect 1 '"status": "unknown"'                           # the one without
expect 1 '"reason": "bad_signature"'                     # the changed credential
expect 1 '程序设计基础 4$'                                 # jose, ob3-jwt (the first block's unit)
expect 1 '^vc+jwt did:key:z6Mk.* 4$'                     # jose, jwt
if grep -q -i -e 'not found' -e 'error' -e 'usage:' err.txt; then
  echo "FAIL: the session wrote errors"; fail=1
fi
if [ "$fail" != 0 ]; then
  echo "--- stdout"; cat out.txt; echo "--- stderr"; cat err.txt; exit 1
fi
echo "OK: README's credential session runs as written"
