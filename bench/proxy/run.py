#!/usr/bin/env python3
"""bench/proxy: the live shadow proxy's cost on the primary path. Starts refd as primary,
a second refd as shadow and `parity shadow` between them, then runs the load loop
(load.c) at a fixed rate: per tick one GET straight to the primary and the same GET
through the proxy, so the baseline is measured in the same run. Prints p50/p99 of both,
the added latency, the proxy's RSS at start, middle and end, and the proxy's stop
counters. Exit 1 when a goal is missed: added p99 under 0.5 ms, RSS growth under 10 MiB
from the middle to the end (the start is after warm-up), no request failed.

usage: run.py --parity P --build B --repo R --load L [--requests N] [--rate N]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
import harness as h  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parity", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--load", required=True)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--rate", type=int, default=1000)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="parity-bench-proxy-")
    procs = []
    res = {}

    def run():
        refd = os.path.join(args.build, "fixtures", "refd", "refd")
        ports = []
        for n in ("primary", "shadow"):
            ws = os.path.join(tmp, "ws-" + n)
            h.render_workspace(os.path.join(args.repo, "fixtures", "workspaces", "default"), ws)
            ports.append(h.start_refd([refd], ws, os.path.join(tmp, n + ".log"), procs,
                                      label=n + " refd")[1])
        err = open(os.path.join(tmp, "proxy.err"), "w+")
        log = os.path.join(tmp, "shadow.jsonl")
        p = subprocess.Popen([args.parity, "shadow", "--listen", "0", "--primary",
                              f"http://127.0.0.1:{ports[0]}", "--shadow",
                              f"http://127.0.0.1:{ports[1]}", "--rules",
                              os.path.join(args.repo, "fixtures", "rules.json"), "--log", log],
                             stderr=err)
        procs.append(p)
        port = None
        for _ in range(100):
            err.seek(0)
            for line in err.read().splitlines():
                if line.startswith("listening on http://127.0.0.1:"):
                    port = int(line.split(":")[2].split()[0])
            if port:
                break
            time.sleep(0.1)
        h.check(port, "parity shadow did not start")
        r = subprocess.run([args.load, "--direct", f"http://127.0.0.1:{ports[0]}", "--proxy",
                            f"http://127.0.0.1:{port}", "--rate", str(args.rate), "--requests",
                            str(args.requests), "--pid", str(p.pid)],
                           capture_output=True, text=True)
        sys.stderr.write(r.stderr)
        res.update(json.loads(r.stdout))
        p.send_signal(signal.SIGTERM)
        h.check(p.wait(timeout=30) == 0, "parity shadow did not stop cleanly")
        with open(log) as f:
            lines = [json.loads(x) for x in f]
        res["stop"] = lines[-1]
        res["entries"] = sum(1 for x in lines if "event" not in x)

    h.main_with_cleanup(run, "bench/proxy", procs, tmp)
    d, pr, a, rss = res["direct_ms"], res["proxy_ms"], res["added_ms"], res["rss_kib"]
    print(f"bench/proxy: {res['requests']} requests per path at {res['rate']}/s in "
          f"{res['seconds']} s ({res['failures']} failed)")
    print(f"  direct      p50 {d['p50']:.3f} ms  p99 {d['p99']:.3f} ms  p99.9 {d['p999']:.3f} ms")
    print(f"  via proxy   p50 {pr['p50']:.3f} ms  p99 {pr['p99']:.3f} ms  p99.9 {pr['p999']:.3f} ms")
    print(f"  added       p50 {a['p50']:.3f} ms  p99 {a['p99']:.3f} ms   (goal: p99 < 0.5 ms)")
    print(f"  proxy RSS   start {rss['start']} KiB, middle {rss['middle']} KiB, end {rss['end']} KiB")
    st = res["stop"]
    print(f"  shadow      replayed {st['replayed']}, compared {st['compared']}, divergent "
          f"{st['divergent']}, dropped {st['dropped']}, drained {st['drained']}")
    ok = a["p99"] < 0.5 and rss["end"] - rss["middle"] < 10240 and res["failures"] == 0
    print("bench/proxy: " + ("goals met" if ok else "GOAL MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
