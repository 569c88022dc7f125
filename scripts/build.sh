#!/usr/bin/env bash
# Configures and builds with the given CMake preset (default: "default" -> ./build).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
shift || true
jobs="${JOBS:-$(nproc)}"
cmake --preset "$preset" "$@" >/dev/null
cmake --build --preset "$preset" -j "$jobs"
