#!/usr/bin/env bash
# Fuzz every target of fuzz/ for a bounded time: usage
#   fuzz/run.sh [BUILD_DIR] [SECONDS] [TARGET...]
# BUILD_DIR (default build-fuzz) is configured with CC=clang -DPARITY_FUZZ=ON and built
# here when needed; SECONDS (default 20) is each target's -max_total_time. New inputs go
# to BUILD_DIR/fuzz/work/<target>, never into the seed corpus; a crash, leak or sanitizer
# report leaves its reproducer in BUILD_DIR/fuzz/artifacts/ and makes the script fail.
# Targets run two at a time (one per core of a CI runner).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
secs=${2:-20}
shift $(($# < 2 ? $# : 2))
if [[ ! -f $build/CMakeCache.txt ]]; then
  CC=clang cmake -S . -B "$build" -DPARITY_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target fuzz -j 2 >/dev/null
targets=("$@")
if ((${#targets[@]} == 0)); then
  for src in fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    [[ $t == fuzz_util ]] || targets+=("${t#fuzz_}")
  done
fi
mkdir -p "$build/fuzz/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

run_one() {
  local t=$1 work=$build/fuzz/work/$1 log=$build/fuzz/$1.log
  mkdir -p "$work"
  if "$build/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -dict=fuzz/json.dict \
      -artifact_prefix="$build/fuzz/artifacts/$t-" "$work" "fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz $t: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs in ${secs}s)"
  else
    echo "fuzz $t: FAILED, see $log" >&2
    tail -40 "$log" >&2
    return 1
  fi
}

status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if ((${#pids[@]} == 2)); then
    wait "${pids[0]}" || status=1
    pids=("${pids[1]}")
  fi
done
for p in "${pids[@]}"; do
  wait "$p" || status=1
done
exit $status
