#!/usr/bin/env python3
"""Run one data-driven `parity compare` case and check its outcome.

Usage: run_case.py PARITY CASE_DIR

CASE_DIR holds a.json and b.json (the reference and candidate bodies; they need not be
JSON), `args` (the options, shell-quoted, relative paths resolved in CASE_DIR), `expect`
(line 1: the expected exit code; the rest, when present: the expected --format json
output) and optionally `stderr` (a text the error output must contain). Divergences are
compared in order; a key left out of an expected divergence (e.g. "message") is not
checked, numbers compare numerically (1 == 1.0).
"""
import json
import os
import shlex
import subprocess
import sys


def same(expected, actual):
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual))
    return expected == actual


def main():
    parity, case = sys.argv[1], sys.argv[2]
    with open(os.path.join(case, "args")) as f:
        args = shlex.split(f.read())
    with open(os.path.join(case, "expect")) as f:
        first, _, rest = f.read().partition("\n")
    want_code = int(first.strip())
    cmd = [parity, "compare"] + args + ["--format", "json", "a.json", "b.json"]
    p = subprocess.run(cmd, cwd=case, capture_output=True, text=True, timeout=60)
    ok = True
    if p.returncode != want_code:
        print(f"exit code {p.returncode}, expected {want_code}")
        ok = False
    if rest.strip():
        want = json.loads(rest)
        try:
            got = json.loads(p.stdout)
        except ValueError as e:
            print(f"output is not JSON ({e}): {p.stdout!r}")
            got = None
        if got is not None:
            for d in got.get("divergences", []):
                for k in ("class", "kind", "path", "a", "b", "message"):
                    if k not in d:
                        print(f"divergence without '{k}': {d}")
                        ok = False
            if not same(want, got):
                print("output differs from expect")
                ok = False
    st = os.path.join(case, "stderr")
    if os.path.exists(st):
        with open(st) as f:
            needle = f.read().strip()
        if needle not in p.stderr:
            print(f"stderr lacks {needle!r}")
            ok = False
    if not ok:
        print("command:", " ".join(shlex.quote(c) for c in cmd))
        print("stdout:", p.stdout)
        print("stderr:", p.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
