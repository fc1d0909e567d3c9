#!/usr/bin/env bash
# Run every unit test (ctest label `unit`) of a build under valgrind memcheck:
#   scripts/valgrind-unit.sh [BUILD_DIR] [ctest -R regex]
# Each test runs with --leak-check=full --errors-for-leak-kinds=definite
# --error-exitcode=1, with the suppressions of scripts/valgrind.supp (third-party
# libraries only, each one explained there), in the working folder and with the
# environment ctest would use. Use a build without sanitizers (valgrind and ASan do not
# mix): the default `build` folder is right. Exit 0 when every test passed with no
# memcheck error and no definite leak; the log of a failing test is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
filter=${2:-}
supp=$PWD/scripts/valgrind.supp
command -v valgrind >/dev/null || { echo "valgrind-unit: valgrind is not installed" >&2; exit 2; }
if grep -q 'PARITY_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "valgrind-unit: $build is a sanitizer build; use a plain one" >&2
  exit 2
fi
logdir=$build/valgrind
mkdir -p "$logdir"
# The tests as ctest knows them: name, command, working folder, environment.
(cd "$build" && ctest -L unit ${filter:+-R "$filter"} --show-only=json-v1) >"$logdir/tests.json"
mapfile -t lines < <(python3 - "$logdir/tests.json" <<'PY'
import json, sys, shlex
doc = json.load(open(sys.argv[1]))
for t in doc["tests"]:
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    env = props.get("ENVIRONMENT", [])
    wd = props.get("WORKING_DIRECTORY", "")
    print("\x1f".join([t["name"], wd, shlex.join(env), shlex.join(t["command"])]))
PY
)
fail=0
for line in "${lines[@]}"; do
  IFS=$'\x1f' read -r name wd env cmd <<<"$line"
  log=$(realpath "$logdir")/$name.log
  rm -f "$log" "$log".*
  start=$(date +%s)
  if (cd "${wd:-$build}" && eval "env $env valgrind --tool=memcheck --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite --error-exitcode=1 \
        --track-fds=no --num-callers=30 --suppressions=$supp --log-file=$log.%p $cmd" \
        >"$log" 2>&1); then
    echo "valgrind: $name ok ($(( $(date +%s) - start ))s)"
  else
    echo "valgrind: $name FAILED" >&2
    cat "$log" "$log".* >&2 2>/dev/null | tail -80 >&2
    fail=1
  fi
done
exit $fail
