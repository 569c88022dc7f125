#!/usr/bin/env bash
# Outside verifiers on credentials a real running server hands out (ctest
# "credentials_served_interop"): verify_served.mjs starts `creditbank serve` on a free loopback
# port in a temp dir, drives it over HTTP and verifies what it serves with digitalbazaar's VC
# library, vc-bitstring-status-list and jose. Exits 77 (ctest: skipped) with a message when
# node >= 20 or the npm packages are missing.
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (scripts/deps.sh installs it)"; exit 77
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "SKIP: node $(node --version) is too old for jose 6 and WebCrypto Ed25519 (need >= 20)"; exit 77
fi
if [ ! -d "$here/node_modules/@digitalbazaar/vc" ] || [ ! -d "$here/node_modules/jose" ]; then
  echo "SKIP: npm packages missing; run npm ci in tests/credentials (scripts/test.sh does)"; exit 77
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/lcb-served.XXXXXX")"
trap 'rm -rf "$work"' EXIT
node "$here/verify_served.mjs" "$bin" "$work"
