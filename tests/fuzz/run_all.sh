#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset, clang) and runs each for FUZZ_SECONDS (default 30)
# from its seed corpus. Fails on any crash, sanitizer report, leak, timeout or OOM; prints one
# summary line per target. New inputs go to a scratch corpus (the checked-in seeds are only
# read); crashing inputs are kept in $FUZZ_ARTIFACTS (default build-fuzz/fuzz-artifacts).
#
#   tests/fuzz/run_all.sh                    # every target, 30 s each
#   FUZZ_SECONDS=600 tests/fuzz/run_all.sh fuzz_csv fuzz_jcs
#
# Env: FUZZ_SECONDS, FUZZ_JOBS (build parallelism, default 2), FUZZ_ARTIFACTS, FUZZ_NO_BUILD=1
# (use the existing build-fuzz binaries), FUZZ_KEEP_CORPUS=DIR (keep the grown corpora there).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
JOBS="${FUZZ_JOBS:-2}"
BUILD="$ROOT/build-fuzz"
ARTIFACTS="${FUZZ_ARTIFACTS:-$BUILD/fuzz-artifacts}"
ALL_TARGETS=(fuzz_record_json fuzz_csv fuzz_ruleset_json fuzz_config fuzz_checkpoint fuzz_jcs
             fuzz_credential fuzz_encoding fuzz_xlsx)
if [[ $# -gt 0 ]]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

if [[ "${FUZZ_NO_BUILD:-0}" != 1 ]]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target fuzz_all -j"$JOBS"
fi

mkdir -p "$ARTIFACTS"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/lcb-fuzz.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
for target in "${TARGETS[@]}"; do
  bin="$BUILD/tests/fuzz/$target"
  seeds="$ROOT/tests/fuzz/corpus/$target"
  dict="$ROOT/tests/fuzz/dict/$target.dict"
  if [[ ! -x "$bin" ]]; then
    echo "run_all: $bin missing (build the fuzz preset)" >&2
    failed+=("$target")
    continue
  fi
  corpus="${FUZZ_KEEP_CORPUS:+$FUZZ_KEEP_CORPUS/$target}"
  corpus="${corpus:-$WORK/$target}"
  mkdir -p "$corpus"
  args=(-max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -rss_limit_mb=2048 -timeout=25
        -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$target-")
  [[ -f "$dict" ]] && args+=(-dict="$dict")
  log="$WORK/$target.log"
  set +e
  "$bin" "${args[@]}" "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
  size=$( (grep -o 'corp: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
  if [[ $rc -eq 0 ]]; then
    printf '%-18s ok    %6ss  execs %-10s exec/s %-7s cov %-6s corpus %s\n' \
      "$target" "$SECONDS_PER_TARGET" "${execs:-?}" "${speed:-?}" "${cov:-?}" "$size"
  else
    printf '%-18s FAIL  exit %s (input saved under %s)\n' "$target" "$rc" "$ARTIFACTS" >&2
    grep -E 'ERROR|property violated|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
    tail -40 "$log" >&2
    failed+=("$target")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "run_all: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "run_all: ${#TARGETS[@]} fuzz targets ran ${SECONDS_PER_TARGET}s each without a failure"
