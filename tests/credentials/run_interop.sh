#!/usr/bin/env bash
# Outside verifiers both ways (ctest "credentials_interop"):
#   1. credential_tool writes the bank's credentials; node verifies them with digitalbazaar's VC
#      library, jose and vc-bitstring-status-list, expands them with jsonld.js in safe mode, and
#      sees every tampered copy fail (verify_bank.mjs);
#   2. node issues an institution's OB 3.0 credentials with the same libraries, good and bad
#      (issue_external.mjs); the C++ verifier must accept the good and reject each bad one with
#      its reason code (credential_tool check);
#   3. the C++ JSON-LD safe-mode checker agrees with jsonld.js in safe mode (credential_tool safe-mode).
# Exits 77 (ctest: skipped) with a message when node >= 20 or the npm packages are missing.
set -euo pipefail
tool="$1"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/require_node.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/lcb-credentials.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$tool" write "$work"
node "$here/verify_bank.mjs" "$work"
node "$here/issue_external.mjs" "$work"
"$tool" check "$work/cases.json"
# 3. The JSON-LD safe-mode checker agrees with jsonld.js on every document of safe_mode/ and on
#    the bank's own credential.
mkdir -p "$work/safe"
cp "$here"/safe_mode/*.json "$work/safe/"
cp "$work/unsigned.json" "$work/safe/accept_bank_open_badge.json"
node "$here/safe_mode.mjs" "$work/safe" > "$work/verdicts.json"
"$tool" safe-mode "$work/safe" "$work/verdicts.json"
