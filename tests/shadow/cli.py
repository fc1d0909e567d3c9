#!/usr/bin/env python3
"""End-to-end checks of `parity shadow-report`, `parity gate` and `parity merge` run as
processes, on the TS, Rust and parity-shadow/1 (our proxy's) logs: exit codes (0, 1, 2,
3), the fixed JSON keys of DESIGN.md, text and Markdown output, stdin and gzip input, and
messages that name the bad file. Logs and matrices are
written by this script into a temporary folder.

usage: cli.py --parity PATH --repo DIR shadow-report|shadow-report-ours|gate|merge
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

DOMAINS = ["schema", "read", "write", "pipeline", "auth", "watcher", "gitsync", "mcp",
           "secrets"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, stdin=None):
    p = subprocess.run([PARITY] + args, input=stdin, capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def ts_line(ts, method, path, a, b):
    return json.dumps({"ts": ts, "path": path, "method": method, "primaryStatus": a,
                       "shadowStatus": b})


def rust_line(ts, endpoint, a, b, divs, la=5, lb=5):
    return json.dumps({"timestamp": ts, "endpoint": endpoint, "primaryStatus": a,
                       "shadowStatus": b, "primaryLatencyMs": la, "shadowLatencyMs": lb,
                       "divergences": divs})


def div(field, message, pv, sv, severity="critical"):
    return {"severity": severity, "field": field, "message": message, "primaryValue": pv,
            "shadowValue": sv}


def ps_line(ts, method, path, cls, divs=(), domain=None, error=None, status=(200, 200),
            la=3.0, lb=1.0):
    """An entry of parity-shadow/1, the format `parity shadow` writes (docs/shadow-log.md)."""
    o = {"format": "parity-shadow/1", "ts": ts, "request_id": "ps-1-000001",
         "method": method, "path": path, "endpoint": method + " " + path,
         "rule": "default", "class": cls,
         "paths": list(dict.fromkeys(d["path"] for d in divs)),
         "divergences": [{"class": d["class"], "kind": d["kind"], "path": d["path"]}
                         for d in divs],
         "status": {"primary": status[0], "shadow": status[1]},
         "latency_ms": {"primary": la, "shadow": lb}}
    if domain:
        o["domain"] = domain
    if error:
        o["error"] = error
    return json.dumps(o)


def ps_event(ev, ts, **kw):
    return json.dumps(dict({"format": "parity-shadow/1", "event": ev, "ts": ts}, **kw))


def pdiv(cls, kind, path):
    return {"class": cls, "kind": kind, "path": path}


def ps_stop(ts, dropped=0, drained=True):
    return ps_event("stop", ts, forwarded=500, replayed=480, compared=470, divergent=3,
                    dropped=dropped, skipped_writes=10, shadow_errors=1, drained=drained)


def write(path, lines):
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    return path


def row(feature, cls, divs=(), error=None):
    r = {"feature": feature, "case": "c1", "reference": "200", "candidate": cls,
         "divergences": list(divs), "latency_ms": {"reference": 1.0, "candidate": 1.0}}
    if error:
        r["error"] = error
    return r


def bare_row(feature, cls, error=None, divs=None):
    """A row without latency_ms (an error row, a state check), with divergences only
    when divs is given."""
    r = {"feature": feature, "case": "c1", "reference": "state", "candidate": cls}
    if divs is not None:
        r["divergences"] = divs
    if error:
        r["error"] = error
    return r


def matrix(path, domains, cand_version="0.82.5"):
    """domains: name -> (status, [rows])"""
    ds = []
    for name, (status, rows) in domains.items():
        counts = {k: 0 for k in ["parity", "structural", "semantic", "timing", "error"]}
        for r in rows:
            counts[r["candidate"]] += 1
        ds.append({"domain": name, "status": status, "counts": counts, "features": rows})
    doc = {"schema": "parity-matrix/1", "generated_at": "2026-06-01T00:00:00Z",
           "runtimes": {"reference": {"name": "js", "version": "0.109.15"},
                        "candidate": {"name": "rust", "version": cand_version}},
           "domains": ds, "metrics": {}, "verdict": "parity"}
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def all_pass():
    return {d: ("pass", [row("GET /health", "parity")]) for d in DOMAINS}


def test_shadow_report(tmp):
    log = write(os.path.join(tmp, "mixed.jsonl"), [
        ts_line("2026-05-01T00:00:00.000Z", "GET", "/api/memories", 200, 200),
        rust_line("2026-05-02T00:00:00.000+00:00", "POST /api/memory/recall", 200, 200,
                  [div("meta", "field missing in shadow response", "{}", None),
                   div("results[0].tags", "value mismatch", '"a"', '"b"'),
                   div("results[1].tags", "value mismatch", '"a"', '"c"')], 38, 7),
        "",
        "this is not json",
        ts_line("2026-05-15T00:00:00.000Z", "GET", "/api/unknown/x", 200, 0),
    ])
    code, out, err = run(["shadow-report", "--format", "json", log])
    check(code == 1, "structural divergence exits 1 (got %d, %s)" % (code, err))
    rep = json.loads(out)
    for key in ["lines", "entries", "malformed", "span_days", "first_seen", "last_seen",
                "domains", "fingerprints"]:
        check(key in rep, "shadow-report json has key %s" % key)
    check(rep["lines"] == 5 and rep["entries"] == 3, "lines/entries %r" % rep)
    check(rep["malformed"]["count"] == 1 and rep["malformed"]["lines"] == [4],
          "malformed line 4 reported: %r" % rep["malformed"])
    check(rep["span_days"] == 14.0, "span 14 days: %r" % rep["span_days"])
    check(rep["first_seen"] == "2026-05-01T00:00:00.000Z", "first_seen")
    check(rep["domains"]["read"] == {"entries": 2, "structural": 1, "semantic": 2,
                                     "timing": 1, "error": 0},
          "read counts %r" % rep["domains"].get("read"))
    check(rep["domains"]["unmapped"]["error"] == 1, "unmapped endpoint reported")
    fps = {(f["class"], f["path"]): f for f in rep["fingerprints"]}
    check(fps.get(("semantic", "results[].tags"), {}).get("count") == 2,
          "indexes folded into one fingerprint")
    for f in rep["fingerprints"]:
        for key in ["domain", "endpoint", "class", "path", "count", "first_seen",
                    "last_seen"]:
            check(key in f, "fingerprint key %s" % key)

    # text (default) names the malformed line with the file
    code, out, err = run(["shadow-report", log])
    check(code == 1, "text exit 1")
    check("mixed.jsonl:4: not JSON" in out, "text names file:line of malformed line")

    # md
    code, out, err = run(["shadow-report", "--format", "md", log])
    check(code == 1 and out.startswith("# Shadow report") and "| read | 2 |" in out,
          "markdown output")

    # stdin and gzip give the same numbers
    with open(log) as f:
        text = f.read()
    code, out, err = run(["shadow-report", "--format", "json", "-"], stdin=text)
    check(code == 1 and json.loads(out)["domains"] == rep["domains"], "stdin")
    gz = os.path.join(tmp, "mixed.jsonl.gz")
    with gzip.open(gz, "wt") as f:
        f.write(text)
    code, out, err = run(["shadow-report", "--format", "json", gz])
    check(code == 1 and json.loads(out)["domains"] == rep["domains"], "gzip")

    # no structural: exit 0; only TS lines
    clean = write(os.path.join(tmp, "clean.jsonl"), [
        ts_line("2026-05-01T00:00:00.000Z", "GET", "/health", 200, 200),
        ts_line("2026-05-02T00:00:00.000Z", "POST", "/api/memory/remember", 200, 200)])
    code, out, err = run(["shadow-report", "--format", "json", clean])
    check(code == 0, "clean log exits 0 (%d)" % code)
    check(json.loads(out)["domains"]["write"]["entries"] == 1, "TS-only log counted")

    # empty file
    empty = write(os.path.join(tmp, "empty.jsonl"), [])
    code, out, err = run(["shadow-report", "--format", "json", empty])
    rep = json.loads(out)
    check(code == 0 and rep["lines"] == 0 and rep["first_seen"] is None, "empty log")

    # timing thresholds from options
    code, out, err = run(["shadow-report", "--format", "json", "--timing-ratio", "10", log])
    check(json.loads(out)["domains"]["read"]["timing"] == 0, "--timing-ratio applies")
    cfg = os.path.join(tmp, "parity.json")
    with open(cfg, "w") as f:
        json.dump({"timing": {"ratio": 10}}, f)
    code, out, err = run(["shadow-report", "--format", "json", "--config", cfg, log])
    check(json.loads(out)["domains"]["read"]["timing"] == 0, "--config timing applies")

    # bad input: exit 2 with the file named
    code, out, err = run(["shadow-report", os.path.join(tmp, "missing.jsonl")])
    check(code == 2 and "missing.jsonl" in err, "missing file exits 2 naming it")
    bad = os.path.join(tmp, "bad.jsonl.gz")
    with open(gz, "rb") as f:
        data = f.read()
    with open(bad, "wb") as f:
        f.write(data[:len(data) // 2])
    code, out, err = run(["shadow-report", bad])
    check(code == 2 and "bad.jsonl.gz" in err, "truncated gzip exits 2 (%d %s)" % (code, err))
    code, out, err = run(["shadow-report", "--format", "xml", log])
    check(code == 2, "bad format exits 2")
    code, out, err = run(["shadow-report"])
    check(code == 2, "no log exits 2")
    baddom = os.path.join(tmp, "domains.json")
    with open(baddom, "w") as f:
        json.dump({"routes": [{"route": "GET /x", "domain": "nope"}]}, f)
    code, out, err = run(["shadow-report", "--domains", baddom, log])
    check(code == 2 and "routes[0].domain" in err, "bad domains file exits 2")


def test_shadow_report_ours(tmp):
    log = write(os.path.join(tmp, "ours.jsonl"), [
        ps_event("start", "2026-12-01T00:00:00.000Z", primary="http://127.0.0.1:3850",
                 shadow="http://127.0.0.1:3851", queue=1024),
        ps_line("2026-12-07T13:00:00.123Z", "POST", "/api/memory/recall", "structural",
                [pdiv("structural", "missing", "results.0.session_id"),
                 pdiv("semantic", "value", "results.1.tags")], domain="read"),
        ps_line("2026-12-07T13:00:01.000Z", "POST", "/api/memory/recall", "semantic",
                [pdiv("semantic", "value", "results.4.tags")], domain="read"),
        ps_line("2026-12-08T00:00:00.000Z", "GET", "/api/memory/mem-0001", "error",
                [pdiv("error", "shadow-failed", "")], status=(200, 0), lb=None,
                error="timeout"),
        "{\"format\": \"parity-shadow/1\", \"ts\": \"2026-12-08T00:00:00Z\", \"class\": ",
        ps_line("2026-12-09T00:00:00.000Z", "POST", "/api/memory/remember", "bogus",
                [pdiv("semantic", "value", "x")]),
        ps_event("overflow", "2026-12-10T00:00:00.000Z", dropped=17),
        ps_stop("2026-12-15T00:00:00.000Z", dropped=17, drained=False),
    ])
    code, out, err = run(["shadow-report", "--format", "json", log])
    check(code == 1, "ours: structural exits 1 (%d %s)" % (code, err))
    rep = json.loads(out)
    check(rep["lines"] == 8 and rep["entries"] == 3 and rep["parity_entries"] == 3,
          "ours: lines/entries %r" % {k: rep.get(k) for k in ["lines", "entries"]})
    check(rep["malformed"]["count"] == 2 and rep["malformed"]["lines"] == [5, 6],
          "ours: malformed lines 5 and 6 %r" % rep["malformed"])
    check(rep["domains"]["read"] == {"entries": 3, "structural": 1, "semantic": 2,
                                     "timing": 0, "error": 1},
          "ours: read counts %r" % rep["domains"]["read"])
    ev = rep["events"]
    check(ev["start"] == 1 and ev["overflow"] == 1 and ev["stop"] == 1 and
          ev["at_stop"]["dropped"] == 17 and ev["at_stop"]["undrained"] == 1,
          "ours: events %r" % ev)
    check(rep["span_days"] == 14.0, "ours: span from start to stop %r" % rep["span_days"])
    fps = {(f["class"], f["path"]): f for f in rep["fingerprints"]}
    check(fps.get(("semantic", "results.*.tags"), {}).get("count") == 2,
          "ours: indexes folded %r" % list(fps))
    code, out, err = run(["shadow-report", log])
    check(code == 1 and "events: 1 start, 1 overflow (17 dropped), 1 stop" in out and
          "ours.jsonl:6: 'class' is not structural" in out and "3 parity-shadow/1" in out,
          "ours: text report\n%s" % out)
    code, out, err = run(["shadow-report", "--format", "md", log])
    check(code == 1 and out.startswith("# Shadow report") and "| read | 3 | 1 | 2 | 0 | 1 |"
          in out and "- events: 1 start" in out, "ours: markdown report\n%s" % out)
    # without structural: exit 0
    clean = write(os.path.join(tmp, "ours-clean.jsonl"), [
        ps_event("start", "2026-12-01T00:00:00.000Z"),
        ps_line("2026-12-02T00:00:00.000Z", "GET", "/api/memories", "timing",
                [pdiv("timing", "latency", "")], domain="read", la=3, lb=300),
        ps_stop("2026-12-20T00:00:00.000Z")])
    code, out, err = run(["shadow-report", "--format", "json", clean])
    check(code == 0 and json.loads(out)["domains"]["read"]["timing"] == 1,
          "ours: timing only exits 0 (%d)" % code)
    # three files, three formats
    ts = write(os.path.join(tmp, "ts.jsonl"), [
        ts_line("2026-12-01T00:00:00.000Z", "POST", "/api/memory/forget", 200, 404)])
    rust = write(os.path.join(tmp, "rust.jsonl"), [
        rust_line("2026-12-02T00:00:00.000Z", "POST /api/memory/recall", 200, 200,
                  [div("meta", "field missing in shadow response", "{}", None)])])
    code, out, err = run(["shadow-report", "--format", "json", ts, rust, log])
    rep = json.loads(out)
    check(code == 1 and rep["entries"] == 5 and rep["ts_entries"] == 1 and
          rep["rust_entries"] == 1 and rep["parity_entries"] == 3,
          "three formats in three files (%d %r)" % (code, rep.get("entries")))
    check(rep["domains"]["write"]["structural"] == 1 and
          rep["domains"]["read"]["structural"] == 2, "three formats: counts %r" %
          rep["domains"])


def test_gate(tmp):
    clean = write(os.path.join(tmp, "shadow.jsonl"), [
        ts_line("2026-05-01T00:00:00.000Z", "GET", "/health", 200, 200),
        ts_line("2026-05-20T00:00:00.000Z", "GET", "/api/memories", 200, 200)])
    short = write(os.path.join(tmp, "short.jsonl"), [
        ts_line("2026-05-01T00:00:00.000Z", "GET", "/health", 200, 200),
        ts_line("2026-05-10T00:00:00.000Z", "GET", "/api/memories", 200, 200)])
    m_pass = matrix(os.path.join(tmp, "pass.json"), all_pass())
    doms = all_pass()
    doms["write"] = ("diverge", [row("POST /api/memory/remember", "semantic",
                                     [{"class": "semantic", "kind": "value",
                                       "path": "importance", "a": 0.8, "b": 0.5,
                                       "message": "0.8 vs 0.5"}])])
    m_sem = matrix(os.path.join(tmp, "semantic.json"), doms)
    documented = os.path.join(tmp, "documented.json")
    with open(documented, "w") as f:
        json.dump([{"domain": "write", "feature": "POST /api/memory/*", "path": "importance",
                    "class": "semantic", "reason": "default importance differs",
                    "owner": "rust-team", "expires": "2026-07-01"}], f)

    def gate(*args):
        code, out, err = run(["gate", "--format", "json", "--today", "2026-06-01"] +
                             list(args))
        return code, (json.loads(out) if out.strip() else None), err

    code, rep, err = gate("--matrix", m_pass, "--shadow", clean)
    check(code == 0 and rep["verdict"] == "pass" and rep["reasons"] == [],
          "gate pass (%d %r %s)" % (code, rep, err))
    code, rep, err = gate("--matrix", m_sem, "--shadow", clean)
    check(code == 1 and rep["verdict"] == "blocked" and
          rep["reasons"][0]["kind"] == "undocumented-semantic", "undocumented semantic")
    for r in rep["reasons"]:
        check(set(["kind", "domain", "detail"]) <= set(r), "reason keys")
    code, rep, err = gate("--matrix", m_sem, "--shadow", clean, "--documented", documented)
    check(code == 0, "documented semantic passes (%d %r)" % (code, rep))
    # our proxy's log: pass, blocked on structural, insufficient on errors, dropped a note
    ours = write(os.path.join(tmp, "ours.jsonl"), [
        ps_event("start", "2026-05-01T00:00:00.000Z"),
        ps_line("2026-05-02T00:00:00.000Z", "GET", "/api/memories", "timing",
                [pdiv("timing", "latency", "")], la=3, lb=300),
        ps_stop("2026-05-20T00:00:00.000Z")])
    code, rep, err = gate("--matrix", m_pass, "--shadow", ours)
    check(code == 0 and rep["verdict"] == "pass" and
          [n["kind"] for n in rep["notes"]] == ["timing"],
          "ours: timing only passes with a note (%d %r %s)" % (code, rep, err))
    ours_bad = write(os.path.join(tmp, "ours-bad.jsonl"), [
        ps_event("start", "2026-05-01T00:00:00.000Z"),
        ps_line("2026-05-02T00:00:00.000Z", "POST", "/api/memory/recall", "structural",
                [pdiv("structural", "missing", "results.0.session_id")]),
        ps_line("2026-05-03T00:00:00.000Z", "POST", "/api/memory/remember", "semantic",
                [pdiv("semantic", "state", "db.memories.importance")]),
        ps_stop("2026-05-20T00:00:00.000Z", dropped=4)])
    code, rep, err = gate("--matrix", m_pass, "--shadow", ours_bad)
    kinds = sorted(r["kind"] for r in rep["reasons"])
    check(code == 1 and kinds == ["structural", "undocumented-semantic"],
          "ours: structural and undocumented semantic block (%d %r)" % (code, kinds))
    dropped = [n for n in rep["notes"] if n["kind"] == "shadow-dropped"]
    check(len(dropped) == 1 and "4 exchanges not compared" in dropped[0]["detail"],
          "ours: dropped exchanges are a note (%r)" % rep["notes"])
    docs = os.path.join(tmp, "documented-state.json")
    with open(docs, "w") as f:
        json.dump([{"domain": "write", "feature": "POST /api/memory/remember",
                    "path": "db.memories.*", "class": "semantic", "reason": "r",
                    "owner": "o", "expires": "2026-07-01"}], f)
    code, rep, err = gate("--matrix", m_pass, "--shadow", ours_bad, "--documented", docs)
    check(code == 1 and [r["kind"] for r in rep["reasons"]] == ["structural"],
          "ours: documented state divergence covered (%d %r)" % (code, rep["reasons"]))
    ours_err = write(os.path.join(tmp, "ours-err.jsonl"), [
        ps_event("start", "2026-05-01T00:00:00.000Z"),
        ps_line("2026-05-02T00:00:00.000Z", "GET", "/api/memories", "error",
                [pdiv("error", "shadow-failed", "")], status=(200, 0), lb=None,
                error="connect"),
        ps_stop("2026-05-20T00:00:00.000Z", drained=False)])
    code, rep, err = gate("--matrix", m_pass, "--shadow", ours_err)
    check(code == 3 and [r["kind"] for r in rep["reasons"]] == ["shadow-error"] and
          any(n["kind"] == "shadow-dropped" and "1 stop without draining" in n["detail"]
              for n in rep["notes"]),
          "ours: error entries are insufficient evidence (%d %r)" % (code, rep))
    # with the TS and Rust logs beside it
    code, rep, err = gate("--matrix", m_pass, "--shadow", clean, "--shadow", ours)
    check(code == 0, "ours beside a TS log passes (%d %r)" % (code, rep))
    code, rep, err = run(["gate", "--format", "json", "--today", "2026-07-02", "--matrix",
                          m_sem, "--shadow", clean, "--documented", documented])
    rep = json.loads(rep)
    kinds = sorted(r["kind"] for r in rep["reasons"])
    check(code == 1 and kinds == ["expired-documentation", "undocumented-semantic"],
          "expired documentation blocks (%r)" % kinds)
    code, rep, err = gate("--matrix", m_pass, "--shadow", short)
    check(code == 3 and rep["reasons"][0]["kind"] == "shadow-too-short", "short shadow")
    code, rep, err = gate("--matrix", m_pass, "--shadow", short, "--min-shadow-days", "5")
    check(code == 0, "--min-shadow-days lowers the requirement")
    code, rep, err = gate("--matrix", m_pass)
    check(code == 3 and rep["reasons"][0]["kind"] == "no-shadow", "no shadow log")
    code, rep, err = gate("--shadow", clean)
    check(code == 3 and rep["reasons"][0]["kind"] == "no-matrix", "no matrix")
    doms = all_pass()
    del doms["auth"]
    doms["mcp"] = ("skipped", [])
    m_partial = matrix(os.path.join(tmp, "partial.json"), doms)
    code, rep, err = gate("--matrix", m_partial, "--shadow", clean)
    kinds = sorted((r["kind"], r["domain"]) for r in rep["reasons"])
    check(code == 3 and kinds == [("domain-missing", "auth"), ("domain-skipped", "mcp")],
          "missing and skipped domains (%r)" % kinds)
    # the missing domains from a second shard
    m_rest = matrix(os.path.join(tmp, "rest.json"),
                    {"auth": ("pass", [row("GET /api/auth/whoami", "parity")]),
                     "mcp": ("pass", [row("tools/list", "parity")])})
    code, rep, err = gate("--matrix", m_partial, "--matrix", m_rest, "--shadow", clean)
    check(code == 0, "two shard matrices together pass (%d %r)" % (code, rep))
    # structural in the shadow log blocks, and every reason is printed in text
    bad = write(os.path.join(tmp, "bad.jsonl"), [
        ts_line("2026-05-01T00:00:00.000Z", "POST", "/api/memory/forget", 200, 404),
        ts_line("2026-05-20T00:00:00.000Z", "GET", "/api/memories", 200, 200)])
    code, out, err = run(["gate", "--today", "2026-06-01", "--matrix", m_partial,
                          "--shadow", bad])
    check(code == 1 and out.startswith("gate: blocked") and "structural" in out and
          "domain-missing" in out and "/api/memory/forget" in out,
          "text lists every reason, blocked wins (%d)\n%s" % (code, out))
    # bad input: exit 2
    code, out, err = run(["gate", "--matrix", os.path.join(tmp, "nope.json")])
    check(code == 2 and "nope.json" in err, "missing matrix exits 2")
    wrong = os.path.join(tmp, "wrong.json")
    with open(wrong, "w") as f:
        json.dump([{"domain": "write", "feature": "*", "path": "*", "class": "semantic",
                    "reason": "r", "owner": "o", "expires": "soon"}], f)
    code, out, err = run(["gate", "--matrix", m_pass, "--documented", wrong])
    check(code == 2 and "[0].expires" in err, "bad documented file exits 2 (%s)" % err)
    code, out, err = run(["gate", "--today", "2026-13-01", "--matrix", m_pass])
    check(code == 2, "bad --today exits 2")
    code, out, err = run(["gate", "stray"])
    check(code == 2, "stray argument exits 2")


def test_merge(tmp):
    a = matrix(os.path.join(tmp, "a.json"),
               {d: ("pass", [row("GET /health", "parity")]) for d in DOMAINS[:5]})
    b = matrix(os.path.join(tmp, "b.json"),
               {d: ("pass", [row("GET /health", "parity")]) for d in DOMAINS[4:]})
    out = os.path.join(tmp, "merged.json")
    code, o, err = run(["merge", "--out", out, a, b])
    check(code == 0, "merge exits 0 (%d %s)" % (code, err))
    with open(out) as f:
        merged = json.load(f)
    check([d["domain"] for d in merged["domains"]] == DOMAINS, "all nine, canonical order")
    check(merged["verdict"] == "parity", "verdict recomputed")
    rdir = os.path.join(tmp, "reports")
    code, o, err = run(["merge", "--out", out, "--reports", rdir, a, b])
    check(code == 0 and all(os.path.exists(os.path.join(rdir, n)) for n in
                            ["matrix.json", "matrix.md", "junit.xml", "report.html"]),
          "merge --reports renders the merged matrix (%d %s)" % (code, err))
    code, o, err = run(["gate", "--format", "json", "--matrix", out, "--min-shadow-days",
                        "0"])
    check(code == 0, "gate reads the merged matrix (%d %s %s)" % (code, o, err))
    c = matrix(os.path.join(tmp, "c.json"),
               {"auth": ("diverge", [row("GET /api/auth/whoami", "structural")])})
    code, o, err = run(["merge", "--out", out, a, c])
    check(code == 2 and "'auth'" in err and "a.json" in err and "c.json" in err,
          "conflicting domain exits 2 naming both files (%s)" % err)
    d = matrix(os.path.join(tmp, "d.json"), {"mcp": ("pass", [row("x", "parity")])},
               cand_version="0.83.0")
    code, o, err = run(["merge", "--out", out, a, d])
    check(code == 2 and "a.json" in err and "d.json" in err and "0.83.0" in err,
          "runtime version disagreement exits 2 (%s)" % err)
    # rows without latency_ms and divergences: merged, rendered, gated, not refused
    e = matrix(os.path.join(tmp, "bare-a.json"),
               {d: ("pass", [bare_row("GET /health", "parity")]) for d in DOMAINS[:5]})
    f = matrix(os.path.join(tmp, "bare-b.json"),
               {d: ("pass", [row("GET /health", "parity")]) for d in DOMAINS[5:]})
    rdir = os.path.join(tmp, "bare-reports")
    code, o, err = run(["merge", "--out", out, "--reports", rdir, e, f])
    check(code == 0, "merge accepts rows without latency_ms/divergences (%d %s)" % (code, err))
    with open(out) as fh:
        merged = json.load(fh)
    check([d["domain"] for d in merged["domains"]] == DOMAINS and
          "latency_ms" not in merged["domains"][0]["features"][0],
          "bare rows kept as they are")
    code, o, err = run(["gate", "--format", "json", "--matrix", out, "--min-shadow-days",
                        "0"])
    check(code == 0, "gate passes the merged bare matrix (%d %s %s)" % (code, o, err))
    doms = {d: ("pass", [bare_row("GET /health", "parity")]) for d in DOMAINS}
    doms["write"] = ("diverge", [bare_row("POST /api/memory/remember", "structural",
                                          divs=[{"class": "structural", "kind": "state",
                                                 "path": "db.memories.content",
                                                 "message": "row missing"}])])
    doms["read"] = ("error", [bare_row("GET /api/memories", "error", error="timeout")])
    g = matrix(os.path.join(tmp, "bare-c.json"), doms)
    code, o, err = run(["merge", "--out", out, "--reports", rdir, g])
    check(code == 0, "merge renders error and state rows without latency (%d %s)" % (code, err))
    for name in ["matrix.md", "junit.xml", "report.html"]:
        with open(os.path.join(rdir, name)) as fh:
            text = fh.read()
        check("db.memories.content" in text, "%s shows the state row's divergence" % name)
    code, o, err = run(["gate", "--format", "json", "--matrix", g, "--min-shadow-days", "0"])
    rep = json.loads(o) if o.strip() else {}
    kinds = sorted(r["kind"] for r in rep.get("reasons", []))
    check(code == 1 and "structural" in kinds and "error-row" in kinds,
          "gate judges bare rows: structural blocks, error row insufficient (%d %r %s)" %
          (code, kinds, err))
    code, o, err = run(["merge", a, b])
    check(code == 2, "merge without --out exits 2")
    code, o, err = run(["merge", "--out", out, os.path.join(tmp, "none.json")])
    check(code == 2 and "none.json" in err, "missing input exits 2")


def main():
    global PARITY
    ap = argparse.ArgumentParser()
    ap.add_argument("--parity", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("case", choices=["shadow-report", "shadow-report-ours", "gate", "merge"])
    args = ap.parse_args()
    PARITY = args.parity
    os.environ["PARITY_REPO"] = args.repo
    os.environ["NO_COLOR"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        {"shadow-report": test_shadow_report, "shadow-report-ours": test_shadow_report_ours,
         "gate": test_gate,
         "merge": test_merge}[args.case](tmp)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
