#!/usr/bin/env bash
# Outside verifiers on credentials a real running server hands out (ctest
# "credentials_served_interop"): verify_served.mjs starts `creditbank serve` on a free loopback
# port in a temp dir, drives it over HTTP and verifies what it serves with digitalbazaar's VC
# library, vc-bitstring-status-list and jose. Exits 77 (ctest: skipped) with a message when
# node >= 20 or the npm packages are missing.
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/require_node.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/lcb-served.XXXXXX")"
trap 'rm -rf "$work"' EXIT
node "$here/verify_served.mjs" "$bin" "$work"
