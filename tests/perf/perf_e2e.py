#!/usr/bin/env python3
"""End-to-end checks of issue 9 (performance metrics, calibration, self-check) on real
refd processes started by a real `parity run`.

usage: perf_e2e.py --parity PATH --repo DIR SCENARIO
scenarios:
  perf-phase  --perf-requests/--idle-ms: metrics.perf per runtime with n samples per
              endpoint, ratios near 1 for refd against refd, the performance section in
              matrix.md, report.html (inline SVG plot) and junit.xml
  perf-usage  bad --perf-requests/--idle-ms values are usage errors (exit 2); a phase
              that cannot start the runtimes exits 3 with the reason in metrics.perf
  perf-gate   targets from the config's "perf" recorded in the matrix; `parity gate`
              blocks on a missed target (from --config or --targets), notes a met one
  calibrate   --calibrate learns GET /health pid/port noise from two reference instances,
              marks what the rules in force do not ignore as new, applies nothing, and
              never starts the candidate (its command does not exist)
  timing-samples  "timing": {"samples": k} sets how many samples confirm a timing
              divergence (two batches of k per side after the first answer; 0: none)
  selfcheck   refd against refd with the project's rules, all domains, three runs: each
              must exit 0 with zero divergences
"""
import argparse
import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(argv, timeout=600):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def base_config(repo):
    with open(os.path.join(repo, "parity.json")) as f:
        return json.load(f)


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def load(path):
    with open(path) as f:
        return json.load(f)


def perf_phase(a, tmp):
    out = os.path.join(tmp, "out")
    rc, _, err = run([a.parity, "run", "--domain", "read", "--perf-requests", "40",
                      "--idle-ms", "200", "--out", out])
    check(rc == 0, "parity run with --perf-requests exited %d:\n%s" % (rc, err))
    m = load(os.path.join(out, "matrix.json"))
    perf = m["metrics"].get("perf")
    check(isinstance(perf, dict), "no metrics.perf in the matrix")
    check("error" not in perf, "perf phase error: %s" % perf.get("error"))
    check(perf["requests"] == 40 and perf["idle_ms"] == 200, "options not recorded: %r" %
          {k: perf.get(k) for k in ("requests", "idle_ms")})
    eps = ["POST /api/memory/recall", "GET /api/memory/search"]
    check(perf["endpoints"] == eps, "endpoints measured: %r" % perf["endpoints"])
    for role in ("reference", "candidate"):
        side = perf[role]
        check(side["idle_rss_kb"] > 1000, "%s idle RSS %r" % (role, side["idle_rss_kb"]))
        check(side["peak_rss_kb"] >= side["idle_rss_kb"], "%s peak below idle" % role)
        check(side["cpu_ms"] >= 0 and side["startup_ms"] > 0, "%s cpu/startup" % role)
        for ep in eps:
            d = side["endpoints"][ep]
            check(d["n"] == 40, "%s %s: %d samples, want 40" % (role, ep, d["n"]))
            check(0 < d["min_ms"] <= d["p50_ms"] <= d["p95_ms"] <= d["p99_ms"] <= d["max_ms"],
                  "%s %s: quantiles out of order: %r" % (role, ep, d))
            check(len(d["cdf_ms"]) == 21, "cdf points")
    r = perf["ratios"]
    # the same binary on the same fixture: memory within a factor of two either way
    check(0.5 <= r["idle_rss_ratio"] <= 2, "idle_rss_ratio %r for refd vs refd" %
          r["idle_rss_ratio"])
    for k in ("startup_ratio", "peak_rss_ratio", "p50_ratio", "p95_ratio", "p99_ratio",
              "max_ratio"):
        check(isinstance(r[k], (int, float)) and r[k] > 0, "ratio %s = %r" % (k, r.get(k)))
    md = open(os.path.join(out, "matrix.md")).read()
    check("## Performance" in md and "| idle RSS kB |" in md, "matrix.md has no performance table")
    html = open(os.path.join(out, "report.html")).read()
    check(html.count("<svg") == 2 and "<polyline" in html, "report.html: no latency plot")
    junit = open(os.path.join(out, "junit.xml")).read()
    check('<testsuite name="performance"' in junit, "junit.xml: no performance suite")
    # the domains' verdict is untouched by the phase
    check(m["verdict"] == "parity", "verdict %s" % m["verdict"])


def perf_usage(a, tmp):
    for args in (["--perf-requests", "0"], ["--perf-requests", "x"], ["--idle-ms", "-1"]):
        rc, _, err = run([a.parity, "run", "--domain", "read", "--out", tmp] + args)
        check(rc == 2, "%s: exit %d, want 2" % (" ".join(args), rc))
        check(args[0] in err, "%s: message does not name the option: %s" % (args[0], err))
    # a phase that cannot measure is "could not evaluate" (3), with the reason in the matrix
    cfg = base_config(a.repo)
    cfg["domains"] = []
    cfg["runtimes"]["candidate"]["command"] = ["/nonexistent/candidate"]
    cfg["perf"] = {"requests": 10, "idle_ms": 0}
    cpath = os.path.join(tmp, "parity.json")
    write_json(cpath, cfg)
    out = os.path.join(tmp, "out")
    rc, _, err = run([a.parity, "run", "--config", cpath, "--out", out])
    check(rc == 3, "perf phase without a candidate exited %d, want 3:\n%s" % (rc, err))
    perf = load(os.path.join(out, "matrix.json"))["metrics"]["perf"]
    check("could not be executed" in perf.get("error", ""), "no error in metrics.perf: %r" % perf)


def perf_gate(a, tmp):
    cfg = base_config(a.repo)
    cfg["perf"] = {"requests": 30, "warmup": 5, "idle_ms": 100,
                   "targets": {"idle_rss_ratio": "<= 0.1", "p99_ratio": "<= 100"}}
    cpath = os.path.join(tmp, "parity.json")
    write_json(cpath, cfg)
    out = os.path.join(tmp, "out")
    rc, _, err = run([a.parity, "run", "--config", cpath, "--domain", "read", "--out", out])
    check(rc == 0, "run with a perf config exited %d (targets never fail a run):\n%s" % (rc, err))
    mpath = os.path.join(out, "matrix.json")
    targets = {t["target"]: t for t in load(mpath)["metrics"]["perf"]["targets"]}
    check(targets["idle_rss_ratio"]["met"] is False, "refd vs refd met idle_rss_ratio <= 0.1?")
    check(targets["p99_ratio"]["met"] is True, "p99_ratio <= 100 not met: %r" % targets)
    rc, text, err = run([a.parity, "gate", "--matrix", mpath, "--min-shadow-days", "0",
                         "--config", cpath, "--format", "json"])
    check(rc == 1, "gate with a missed target exited %d, want 1 (blocked)\n%s%s" % (rc, text, err))
    g = json.loads(text)
    kinds = [(r["kind"], r.get("effect")) for r in g["reasons"]]
    check(("perf-target", "blocked") in kinds, "no blocked perf-target reason: %r" % kinds)
    check(any(n["kind"] == "perf-target" and "p99_ratio" in n["detail"] for n in g["notes"]),
          "the met target is not noted")
    # --targets overrides the config; met targets add no reason
    rc, text, _ = run([a.parity, "gate", "--matrix", mpath, "--min-shadow-days", "0",
                       "--targets", "idle_rss_ratio<=3", "--format", "json"])
    g = json.loads(text)
    check(not any(r["kind"].startswith("perf") for r in g["reasons"]),
          "met --targets still gave a reason: %r" % g["reasons"])
    # without targets, the gate does not look at performance at all
    rc, text, _ = run([a.parity, "gate", "--matrix", mpath, "--min-shadow-days", "0",
                       "--format", "json"])
    g = json.loads(text)
    check(not any(r["kind"].startswith("perf") for r in g["reasons"] + g["notes"]),
          "performance judged without targets")
    rc, _, err = run([a.parity, "gate", "--matrix", mpath, "--targets", "p99_ratio"])
    check(rc == 2 and "--targets" in err, "bad --targets: exit %d: %s" % (rc, err))


def calibrate(a, tmp):
    cfg = base_config(a.repo)
    # calibration must never start the candidate: make it impossible to start
    cfg["runtimes"]["candidate"] = dict(cfg["runtimes"]["candidate"])
    cfg["runtimes"]["candidate"]["command"] = ["/nonexistent/candidate-must-not-start"]
    cfg["runtimes"]["candidate"]["name"] = "rust"
    rules = load(os.path.join(a.repo, "fixtures", "rules.json"))
    health = rules["rules"]["endpoints"]["GET /health"]
    health["ignoreFields"] = [f for f in health["ignoreFields"] if f != "uptime"]
    rpath = os.path.join(tmp, "rules.json")
    write_json(rpath, rules)
    cfg["rules"] = rpath
    cpath = os.path.join(tmp, "parity.json")
    write_json(cpath, cfg)
    before = hashlib.sha256(open(rpath, "rb").read()).hexdigest()
    out = os.path.join(tmp, "out")
    rc, _, err = run([a.parity, "run", "--config", cpath, "--domain", "read", "--calibrate",
                      "--out", out])
    check(rc == 0, "calibrate exited %d:\n%s" % (rc, err))
    check("proposed rules (nothing applied)" in err, "no summary printed:\n%s" % err)
    prop = load(os.path.join(out, "proposed-rules.json"))
    ev = prop["evidence"]
    check(ev.get("GET /health", {}).get("uptime", 0) >= 1,
          "GET /health uptime not learned: %r" % ev.get("GET /health"))
    # pid, port and agentsDir are canonicalised by the host: never noise to learn
    for field in ("pid", "port", "agentsDir"):
        check(ev.get("GET /health", {}).get(field, 0) == 0,
              "GET /health %s learned although canonicalised: %r" % (field, ev.get("GET /health")))
    check("uptime" in prop["rules"]["endpoints"]["GET /health"]["ignoreFields"],
          "uptime not proposed")
    new = prop["new"].get("GET /health", [])
    check("uptime" in new, "uptime (not ignored by the rules in force) is not marked new: %r" % new)
    check("version" not in new, "version is already ignored, yet marked new: %r" % new)
    check(prop["calibration"]["rows"] > 10, "calibration rows %r" % prop["calibration"])
    check(hashlib.sha256(open(rpath, "rb").read()).hexdigest() == before,
          "the rules file was modified")
    m = load(os.path.join(out, "matrix.json"))
    check(m["runtimes"]["candidate"]["name"] == m["runtimes"]["reference"]["name"] == "refd",
          "candidate side was not the reference runtime: %r" % m["runtimes"])
    check(not any(s.startswith("rust") for s in os.listdir(os.path.join(out, "runtimes"))),
          "a log of the candidate runtime exists")


def timing_samples(a, tmp):
    """A confirmed timing divergence carries 1 + 2 batches of "timing"."samples" samples."""
    for k in (3, 0):
        cfg = base_config(a.repo)
        cfg["runtimes"]["candidate"]["command"] = cfg["runtimes"]["candidate"]["command"] + [
            "--fault", "read.slow"]
        cfg["timing"] = dict(cfg.get("timing", {}), samples=k)
        cpath = os.path.join(tmp, "parity-%d.json" % k)
        write_json(cpath, cfg)
        out = os.path.join(tmp, "out%d" % k)
        rc, _, err = run([a.parity, "run", "--config", cpath, "--domain", "read", "--out", out])
        check(rc == 1, "samples %d: read.slow exited %d, want 1:\n%s" % (k, rc, err))
        rows = [f for d in load(os.path.join(out, "matrix.json"))["domains"]
                for f in d["features"] if f["feature"] == "GET /api/config"]
        check(rows and rows[0]["candidate"] == "timing", "samples %d: row %r" % (k, rows))
        got = rows[0].get("samples_ms")
        if k:
            check(got and len(got["reference"]) == 1 + 2 * k and len(got["candidate"]) == 1 + 2 * k,
                  "samples %d: samples_ms %r, want %d per side" % (k, got, 1 + 2 * k))
        else:
            check(got is None, "samples 0 still re-measured: %r" % got)


def selfcheck(a, tmp):
    for i in range(3):
        out = os.path.join(tmp, "run%d" % i)
        rc, _, err = run([a.parity, "run", "--out", out], timeout=800)
        tail = "\n".join(err.splitlines()[-14:])
        check(rc == 0, "self-check run %d exited %d:\n%s" % (i + 1, rc, tail))
        m = load(os.path.join(out, "matrix.json"))
        for d in m["domains"]:
            bad = [f["feature"] for f in d["features"] if f["candidate"] != "parity"]
            check(not bad and d["status"] == "pass",
                  "run %d: %s: %s %r" % (i + 1, d["domain"], d["status"], bad[:5]))
        print("self-check run %d: parity in %d domains" % (i + 1, len(m["domains"])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parity", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("scenario", choices=["perf-phase", "perf-usage", "perf-gate", "calibrate",
                                         "timing-samples", "selfcheck"])
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="parity-perf-e2e-")
    try:
        {"perf-phase": perf_phase, "perf-usage": perf_usage, "perf-gate": perf_gate,
         "calibrate": calibrate, "timing-samples": timing_samples,
         "selfcheck": selfcheck}[a.scenario](a, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok: " + a.scenario)


if __name__ == "__main__":
    main()
