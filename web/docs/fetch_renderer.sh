#!/usr/bin/env bash
# Fetches the API reference renderer (Redoc's standalone bundle) with `npm ci` from the
# committed package-lock.json, for the build (web/CMakeLists.txt):
#   fetch_renderer.sh SRC_DIR OUT_DIR
# Writes OUT_DIR/index.html: SRC_DIR/index.html when the bundle was fetched (then it is in
# OUT_DIR/redoc.standalone.js, its one remote image replaced, and its licenses in
# OUT_DIR/licenses.txt), else SRC_DIR/fallback.html, which says how to get it. Never fails the
# build for want of npm or a network.
set -uo pipefail
src="$1"
out="$2"
mkdir -p "$out/npm"
rm -f "$out/redoc.standalone.js" "$out/licenses.txt"
fallback() {
  echo "web/docs: $1; /docs/ will say how to get the API reference renderer" >&2
  cp "$src/fallback.html" "$out/index.html"
  exit 0
}
command -v npm >/dev/null 2>&1 || fallback "npm was not found"
cp "$src/package.json" "$src/package-lock.json" "$out/npm/"
(cd "$out/npm" && timeout 600 npm ci --ignore-scripts --omit=peer --no-audit --no-fund \
  --loglevel=error >/dev/null) || fallback "npm ci failed"
bundle="$out/npm/node_modules/redoc/bundles/redoc.standalone.js"
[ -s "$bundle" ] || fallback "the bundle is missing from the redoc package"
# The bundle draws Redocly's logo from their CDN in the sidebar's footer; the CSP would block
# it, but no request may even be attempted outside the origin: the image source becomes an
# empty data: URL (the link text stays).
logo='https://cdn.redoc.ly/redoc/logo-mini.svg'
grep -q "$logo" "$bundle" || echo "web/docs: the Redoc bundle no longer names $logo; check it for other remote URLs" >&2
sed "s#$logo#data:,#g" "$bundle" > "$out/redoc.standalone.js"
{
  echo "The API reference at /docs/ is drawn by Redoc (https://github.com/Redocly/redoc),"
  echo "redoc.standalone.js from the npm package redoc@$(node -p 'require("'"$out"'/npm/node_modules/redoc/package.json").version' 2>/dev/null)."
  echo
  echo "==== redoc: LICENSE"
  cat "$out/npm/node_modules/redoc/LICENSE"
  echo
  echo "==== Licenses of the libraries bundled in redoc.standalone.js"
  cat "$out/npm/node_modules/redoc/bundles/redoc.standalone.js.LICENSE.txt"
} > "$out/licenses.txt"
cp "$src/index.html" "$out/index.html"
