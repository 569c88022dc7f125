# Sourced by the scripts that run the outside verifiers: exits 77 (ctest: skipped) with a
# message unless node >= 20 and tests/credentials' npm packages are there. Needs $here set to
# tests/credentials.
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (scripts/deps.sh installs it)"; exit 77
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "SKIP: node $(node --version) is too old for jose 6 and WebCrypto Ed25519 (need >= 20)"; exit 77
fi
if [ ! -d "$here/node_modules/@digitalbazaar/vc" ] || [ ! -d "$here/node_modules/jose" ]; then
  echo "SKIP: npm packages missing; run npm ci in tests/credentials (scripts/test.sh does)"; exit 77
fi
