#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (ctest). CI runs exactly this.
#   scripts/test.sh            the default build (RelWithDebInfo)
#   scripts/test.sh asan       the whole suite under AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
scripts/deps.sh
scripts/build.sh "$preset"
# The npm package jose for the JWS signer; without it those tests skip and say why.
if command -v npm >/dev/null 2>&1; then
  (cd tests/integration/jws && { npm ci --no-audit --no-fund --loglevel=error ||
    npm install --no-audit --no-fund --loglevel=error; }) ||
    echo "test.sh: npm could not install tests/integration/jws; the JWS tests will skip" >&2
fi
# CI must run the PostgreSQL tests, never skip them: without a server they fail, loudly.
if [ "${CI:-}" = true ]; then export LCB_REQUIRE_POSTGRES=1; fi
ctest --preset "$preset" --timeout 600
# The OpenAPI document, validated by a real OpenAPI tool from the npm registry.
if [ "$preset" = default ] && command -v npm >/dev/null 2>&1; then
  tests/openapi/validate.sh build/cli/creditbank
fi
