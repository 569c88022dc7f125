#!/usr/bin/env bash
# Issue 15 side by side in one run: the C++ benchmarks (vc_bench) and the digitalbazaar stack
# (js_bench.mjs) on the same credential, then the ratios against the >= 20x target.
#   benchmarks/vc/run.sh [build dir, default build]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
work="$(mktemp -d "${TMPDIR:-/tmp}/lcb-vc-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$build/tests/credentials/credential_tool" write "$work" >/dev/null
taskset -c 0 "$build/benchmarks/vc/vc_bench" --benchmark_min_time=1 \
  --benchmark_out="$work/cpp.json" --benchmark_out_format=json
js=$(taskset -c 0 node "$root/benchmarks/vc/js_bench.mjs" "$work/unsigned.json" 3)
echo "digitalbazaar (node $(node --version)): $js"
python3 - "$work/cpp.json" "$js" <<'PY'
import json, sys
cpp = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
js = json.loads(sys.argv[2])
issue, verify = cpp["BM_IssueDi"]["items_per_second"], cpp["BM_VerifyDi"]["items_per_second"]
print(f"issue  C++ {issue:,.0f}/s  JS {js['issue_per_s']:,}/s  = {issue / js['issue_per_s']:.1f}x (target >= 5,000/s and >= 20x)")
print(f"verify C++ {verify:,.0f}/s  JS {js['verify_per_s']:,}/s  = {verify / js['verify_per_s']:.1f}x (target >= 3,000/s and >= 20x)")
for arg in (0, 10, 100, 500):
    b = cpp[f"BM_StatusList1M/{arg}"]
    print(f"status list 1M entries, {arg / 10:g}% revoked: {b['real_time']:.1f} ms wall, {b['cpu_time']:.1f} ms CPU (target <= 50 ms)")
PY
