#!/usr/bin/env python3
"""bench/shadow: time `parity shadow-report --format json` against a jq per-domain
aggregation of the same generated log, and record the peak RSS of both (wait4's
ru_maxrss per child). Runs on N lines and on N/2 lines: the target is parity at least
10x faster than jq, and parity's peak memory not growing with the log (N vs N/2 within
25%). Prints both times, the ratio and both peak memories; exit 1 when a target is missed.

usage: run.py --parity PATH --gen PATH --jq-program FILE [--lines N]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def measure(argv, stdout):
    """Run argv; return (seconds, peak RSS in KiB, exit code)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if p.returncode not in (0, 1):
        sys.exit("%s failed (%d): %s" % (argv[0], p.returncode, err))
    return dt, ru.ru_maxrss, p.returncode


def one_size(args, tmp, n):
    log = os.path.join(tmp, "shadow-%d.jsonl" % n)
    subprocess.run([args.gen, str(n), log], check=True)
    size = os.path.getsize(log)
    out_p = os.path.join(tmp, "parity-%d.json" % n)
    with open(out_p, "w") as f:
        tp, mp, _ = measure([args.parity, "shadow-report", "--format", "json", log], f)
    with open(out_p) as f:
        rep = json.load(f)
    row = {"lines": n, "bytes": size, "parity_s": tp, "parity_kib": mp,
           "parity_entries": rep["entries"], "malformed": rep["malformed"]["count"]}
    if args.jq:
        out_j = os.path.join(tmp, "jq-%d.json" % n)
        with open(out_j, "w") as f:
            tj, mj, _ = measure([args.jq, "-n", "-c", "-f", args.jq_program, log], f)
        with open(out_j) as f:
            jrep = json.load(f)
        row.update(jq_s=tj, jq_kib=mj)
        # sanity: both saw the same entries per domain
        pd = {d: v["entries"] for d, v in rep["domains"].items() if v["entries"]}
        jd = {d: v["entries"] for d, v in jrep["domains"].items()}
        row["same_entries"] = pd == jd
    os.unlink(log)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parity", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--jq-program", required=True)
    ap.add_argument("--lines", type=int, default=2000000)
    args = ap.parse_args()
    args.jq = shutil.which("jq")
    if not args.jq:
        print("bench shadow: jq not found (Debian package jq): timing parity alone")
    tmp = tempfile.mkdtemp(prefix="bench-shadow.")
    try:
        full = one_size(args, tmp, args.lines)
        half = one_size(args, tmp, args.lines // 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ok = True
    print("bench shadow: parity shadow-report vs jq (same per-domain aggregation)")
    for r in (full, half):
        line = "  %9d lines %7.1f MiB: parity %6.2f s, peak %7.1f MiB" % (
            r["lines"], r["bytes"] / 2**20, r["parity_s"], r["parity_kib"] / 1024)
        if "jq_s" in r:
            ratio = r["jq_s"] / r["parity_s"]
            line += " | jq %7.2f s, peak %7.1f MiB | %.1fx faster%s" % (
                r["jq_s"], r["jq_kib"] / 1024, ratio,
                "" if r["same_entries"] else " (entries per domain DIFFER)")
            if r is full and ratio < 10:
                ok = False
            if not r["same_entries"] or r["malformed"]:
                ok = False
        print(line)
    growth = full["parity_kib"] / half["parity_kib"]
    print("  parity peak memory, %d vs %d lines: x%.2f (target: no growth, <= 1.25)" % (
        full["lines"], half["lines"], growth))
    if growth > 1.25:
        ok = False
    if "jq_s" in full:
        print("  target >= 10x faster than jq: %s (%.1fx)" % (
            "met" if full["jq_s"] / full["parity_s"] >= 10 else "MISSED",
            full["jq_s"] / full["parity_s"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
