#!/usr/bin/env bash
# Installs the Debian 12 packages creditbank needs to build and test (only what is missing).
# Usage: scripts/deps.sh [extra-package ...]
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates python3 lld
  clang libclang-rt-14-dev
  librocksdb-dev libssl-dev libboost1.81-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  libbenchmark-dev libjemalloc-dev zlib1g-dev
  libcairo2-dev libpango1.0-dev libqrencode-dev fonts-noto-cjk fonts-dejavu-core   # transcript PDF
  poppler-utils zbar-tools                                         # transcript tests read it back
  libzip-dev libpugixml-dev                                       # registrar XLSX
  openssl
  # The portal's browser tests (tests/browser): Debian's Chromium driven by playwright-core,
  # and zbar's zbarimg, which reads the portal's QR codes back.
  chromium zbar-tools
  # PostgreSQL 15: libpq for the postgres storage backend (storage/pg_conn.cc), and the server
  # the PostgreSQL tests and benchmarks start in a temp dir (tests/pg/pg_server.h).
  libpq-dev postgresql
  # CLI11 (header-only): the creditbank command line's subcommands, flags and help (cli/).
  libcli11-dev
  # simdjson: the statistics read every record entry posted (codec/record_entry_fast.cc).
  libsimdjson-dev
  "$@"
)
# node and npm run the JWS signer of the integration tests (tests/integration/jws). Debian's
# packages only where neither is on the machine already (a node from elsewhere brings its npm).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
