#!/usr/bin/env python3
"""bench/summary: run every benchmark of bench/ once, in this one run, and print a summary
table of the ratios each measured against its own baseline (for the README's performance
section). Each benchmark runs as its own process, exactly as `make bench` runs it; its
output is kept in full and parsed for the numbers of the table, so a change in what a
benchmark prints shows up here as "unparsed" rather than as a wrong number.

  compare  comparison engine vs jansson parse + json_equal (bench/compare)
  run      harness cost per request vs a plain libcurl loop (bench/run)
  shadow   parity shadow-report vs jq on the same log (bench/shadow, needs jq)
  llm      canned-LLM p99 vs the 5 ms timing floor (bench/llm)
  schema   parity verify-schema vs sqldiff --schema (bench/schema, needs ../shared)
  secrets  secrets check vs raw crypto_secretbox_open_easy (bench/secrets)

usage: run.py --build DIR --repo DIR [--only NAME]... [--shadow-lines N] [--json FILE]
       [--verbose]
exit: 0 when every benchmark ran and met its target, 1 otherwise.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time


def bench_specs(a):
    b, r = a.build, a.repo
    shared = os.path.normpath(os.path.join(r, "..", "shared", "signet"))
    return [
        ("compare", "comparison engine vs jansson parse + json_equal",
         [os.path.join(b, "bench/compare/bench_compare")], parse_compare),
        ("run", "harness per request vs plain libcurl loop",
         [os.path.join(b, "bench/run/bench_run"), os.path.join(b, "parity"),
          os.path.join(b, "fixtures/refd/refd"), r], parse_run),
        ("shadow", "shadow-report vs jq (same aggregation)",
         [sys.executable, os.path.join(r, "bench/shadow/run.py"),
          "--parity", os.path.join(b, "parity"), "--gen", os.path.join(b, "bench/shadow/gen_shadow"),
          "--jq-program", os.path.join(r, "bench/shadow/aggregate.jq"),
          "--lines", str(a.shadow_lines)], parse_shadow),
        ("llm", "canned-LLM p99 vs 5 ms timing floor",
         [os.path.join(b, "bench/llm/bench_llm")], parse_llm),
        ("schema", "verify-schema vs sqldiff --schema",
         [os.path.join(b, "bench/schema/bench_schema"), os.path.join(b, "parity"), shared],
         parse_schema),
        ("secrets", "secrets check vs raw secretbox open",
         [os.path.join(b, "bench/secrets/bench_secrets")], parse_secrets),
    ]


def num(pattern, text, group=1):
    m = re.search(pattern, text, re.M)
    return float(m.group(group)) if m else None


# Each parser returns (measured, baseline, ratio, ratio meaning, target) from the output;
# None where the benchmark did not print it.

def parse_compare(out):
    base = num(r"^baseline .*?([\d.]+) ms", out)
    m = re.search(r"^compare\s+(\S+ \S+)\s+([\d.]+) ms\s+ratio ([\d.]+)", out, re.M)
    if not m:
        return None
    return ("%.1f ms" % float(m.group(2)), "%.1f ms" % base if base else "?",
            float(m.group(3)), "x baseline time", "<= 2x")


def parse_run(out):
    plain = num(r"plain libcurl loop\s+[\d.]+ ms\s+\(([\d.]+) ms per request\)", out)
    harness = num(r"harness path\s+[\d.]+ ms\s+\(([\d.]+) ms per request\)", out)
    overhead = num(r"harness overhead\s+([\d.]+) ms per request", out)
    if plain is None or harness is None:
        return None
    return ("%.3f ms/req" % harness, "%.3f ms/req" % plain, harness / plain if plain else None,
            "x baseline time (overhead %.3f ms)" % (overhead or 0), "overhead < 1 ms")


def parse_shadow(out):
    m = re.search(r"lines\s+[\d.]+ MiB: parity\s+([\d.]+) s.*?\| jq\s+([\d.]+) s.*?\| ([\d.]+)x faster",
                  out)
    if not m:
        t = num(r"lines\s+[\d.]+ MiB: parity\s+([\d.]+) s", out)
        return ("%.2f s" % t, "jq absent", None, "", ">= 10x faster") if t is not None else None
    return ("%.2f s" % float(m.group(1)), "%.2f s" % float(m.group(2)), float(m.group(3)),
            "x faster than baseline", ">= 10x faster")


def parse_llm(out):
    p99 = num(r"p99 ([\d.]+) ms", out)
    below = num(r"timing floor [\d.]+ ms: ([\d.]+)x below", out)
    if p99 is None:
        return None
    return ("p99 %.3f ms" % p99, "floor 5 ms", below, "x below the floor", ">= 2.5x below")


def parse_schema(out):
    if "skipped" in out:
        return ("skipped", "", None, "(../shared/signet absent)", "")
    t = num(r"parity verify-schema:\s+([\d.]+) ms", out)
    base = num(r"^baseline:\s+([\d.]+) ms", out)
    ratio = num(r"ratio verify-schema / baseline: ([\d.]+)x", out)
    if t is None:
        return None
    return ("%.2f ms" % t, "%.2f ms" % base if base is not None else "none", ratio,
            "x baseline time", "(none)")


def parse_secrets(out):
    rate = num(r"check\s+load \+ decrypt \+ utf-8\s+(\d+) entries/s", out)
    base = num(r"baseline\s+crypto_secretbox_open_easy\s+(\d+) entries/s", out)
    ratio = num(r"check\s+.*?([\d.]+)x baseline time", out)
    if rate is None:
        return None
    return ("%.0f entries/s" % rate, "%.0f entries/s" % base if base else "?", ratio,
            "x baseline time", "(correctness only)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="the CMake build folder")
    ap.add_argument("--repo", required=True, help="the repository root")
    ap.add_argument("--only", action="append", default=[], help="run only this benchmark")
    ap.add_argument("--shadow-lines", type=int, default=2000000)
    ap.add_argument("--json", help="also write the table as JSON to this file")
    ap.add_argument("--verbose", action="store_true", help="print each benchmark's output")
    a = ap.parse_args()

    rows, ok = [], True
    specs = [s for s in bench_specs(a) if not a.only or s[0] in a.only]
    if not specs:
        sys.exit("run.py: --only: no such benchmark (compare run shadow llm schema secrets)")
    for name, what, argv, parse in specs:
        prog = argv[1] if argv[0] == sys.executable else argv[0]
        if not os.path.exists(prog):
            rows.append(dict(name=name, what=what, status="not built", seconds=0))
            ok = False
            continue
        print("bench summary: running %s ..." % name, file=sys.stderr, flush=True)
        t0 = time.monotonic()
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           cwd=a.build)
        dt = time.monotonic() - t0
        if a.verbose:
            print(p.stdout)
        parsed = parse(p.stdout)
        row = dict(name=name, what=what, seconds=round(dt, 1), exit=p.returncode)
        if parsed is None:
            row["status"] = "unparsed (exit %d)" % p.returncode
            ok = False
            sys.stderr.write("--- %s output ---\n%s\n" % (name, p.stdout[-2000:]))
        else:
            row.update(measured=parsed[0], baseline=parsed[1], ratio=parsed[2],
                       meaning=parsed[3], target=parsed[4])
            row["status"] = "ok" if p.returncode == 0 else "target missed (exit %d)" % p.returncode
            if p.returncode:
                ok = False
        rows.append(row)

    print("\n| benchmark | what | measured | baseline | ratio | target | status |")
    print("| --- | --- | ---: | ---: | ---: | --- | --- |")
    for r in rows:
        ratio = r.get("ratio")
        rtext = ("%.2f%s" % (ratio, r.get("meaning") and " " + r["meaning"] or "")
                 if isinstance(ratio, float) else r.get("meaning", "") or "n/a")
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], r["what"], r.get("measured", ""), r.get("baseline", ""), rtext,
            r.get("target", ""), r["status"]))
    print("\nall measured in this run, %s; total %.0f s" % (
        time.strftime("%Y-%m-%d %H:%M:%S"), sum(r.get("seconds", 0) for r in rows)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
