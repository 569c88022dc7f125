#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (ctest). CI runs exactly this.
#   scripts/test.sh            the default build (RelWithDebInfo)
#   scripts/test.sh asan       the whole suite under AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
scripts/deps.sh
scripts/build.sh "$preset"
ctest --preset "$preset" --timeout 600
