#!/usr/bin/env bash
# Configures and builds with the given CMake preset (default: "default" -> ./build).
# BUILD_TARGET=creditbank builds only that target.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
shift || true
jobs="${JOBS:-$(nproc)}"
# ccache across clones: paths relative to the checkout, and no build-dir in the hash.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake --preset "$preset" "$@" >/dev/null
cmake --build --preset "$preset" -j "$jobs" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
