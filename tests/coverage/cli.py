#!/usr/bin/env python3
"""End-to-end checks of route coverage run as processes: `parity coverage` (text, json,
md, several matrices, exit 2 on every kind of bad input), `parity gate --min-coverage`
(pass, blocked, insufficient, bad spec), `parity merge` of shards with coverage, `parity
run` with "route_list" in its config (refd's read domain: the matrix's coverage, the
reports' section, ${NAME} expansion, an unset variable or a bad list refused before any
runtime starts), and upstream's route-parity.json (skipped, exit 77, when neither
../shared/signet nor $SIGNET_CHECKOUT has it).

usage: cli.py --parity PATH --repo DIR --build DIR command|gate|merge|run|upstream
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import check  # noqa: E402

DOMAINS = ["schema", "read", "write", "pipeline", "auth", "watcher", "gitsync", "mcp",
           "secrets"]
SKIP = 77

ROUTES = {"routes": [
    {"method": "GET", "path": "/api/memory/:id", "status": "native-rust-replay-proven"},
    "GET /api/memory/search",
    {"method": "POST", "path": "/api/memory/remember"},
    "ALL /mcp",
    {"method": "DELETE", "path": "/api/memory/:id", "status": "mounted-shallow"},
]}


def parity(env, *args, echo=False):
    return harness.run([env.parity] + list(args), echo=echo, timeout=120)


def write_json(env, name, doc):
    path = os.path.join(env.tmp, name)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def row(feature, cls="parity", **extra):
    r = {"feature": feature, "case": "c1", "reference": "200", "candidate": cls,
         "divergences": [], "latency_ms": {"reference": 1.0, "candidate": 1.0}}
    r.update(extra)
    return r


def matrix(env, name, domains, coverage=None):
    """domains: name -> [rows]; every domain passes unless a row says otherwise."""
    ds = []
    for d, rows in domains.items():
        counts = {k: 0 for k in ["parity", "structural", "semantic", "timing", "error"]}
        for r in rows:
            counts[r["candidate"]] += 1
        ds.append({"domain": d, "status": "error" if counts["error"] else "pass",
                   "counts": counts, "features": rows})
    doc = {"schema": "parity-matrix/1", "generated_at": "2026-06-01T00:00:00Z",
           "runtimes": {"reference": {"name": "js", "version": "1"},
                        "candidate": {"name": "rust", "version": "1"}},
           "domains": ds, "metrics": {}, "verdict": "parity"}
    if coverage is not False:
        doc["coverage"] = coverage
    return write_json(env, name, doc)


def sample_rows():
    return [row("GET /api/memory/:id [local]"),
            row("search", "timing", route="GET /api/memory/search?q=x", depth="status"),
            row("db: memories", route=["POST /api/memory/remember", "DELETE /api/memory/m1"],
                depth="state"),
            row("MCP /tools/list", route="POST /mcp"),
            row("MCP /ping"),
            row("GET /api/memory/:id", "error", error="no answer"),
            row("unknown route", route="GET /api/nope?x=1")]


def coverage_json(env, routes, *mats):
    p = parity(env, "coverage", "--routes", routes, "--format", "json", *mats)
    check(p.returncode == 0, f"coverage --format json exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


def t_command(env):
    routes = write_json(env, "routes.json", ROUTES)
    m = matrix(env, "m.json", {"read": sample_rows()})
    p = parity(env, "coverage", "--routes", routes, m)
    check(p.returncode == 0, f"coverage exits 0 ({p.returncode}: {p.stderr})")
    lines = p.stdout.splitlines()
    check(lines[0].startswith("coverage: 5 routes of ") and "routes.json" in lines[0] and
          "status 1.0000, body 0.8000, state 0.4000" in lines[0],
          f"summary line: {lines[0]!r}")
    want = [("GET /api/memory/:id", "body", "1"), ("GET /api/memory/search", "status", "1"),
            ("POST /api/memory/remember", "state", "1"), ("ALL /mcp", "body", "1"),
            ("DELETE /api/memory/:id", "state", "1")]
    got = [tuple(re.split(r"\s{2,}", l.strip())) for l in lines[1:6]]
    check(got == want, f"one line per route in the list's order: {got}")
    check(lines[6] == "unlisted (1):" and re.split(r"\s{2,}", lines[7].strip()) ==
          ["GET /api/nope", "body", "1"], f"unlisted lines: {lines[6:]}")

    cov = coverage_json(env, routes, m)
    for key in ["source", "routes", "counts", "ratio", "routes_table", "unlisted"]:
        check(key in cov, f"json has key {key}")
    check(cov["counts"] == {"none": 0, "status": 1, "body": 2, "state": 2},
          f"counts {cov['counts']}")
    check(cov["ratio"] == {"status": 1.0, "body": 0.8, "state": 0.4}, f"ratio {cov['ratio']}")
    check([e["listed_status"] for e in cov["routes_table"]] ==
          ["native-rust-replay-proven", None, None, None, "mounted-shallow"],
          "listed_status from the list")
    # the rows of two matrices together
    m2 = matrix(env, "m2.json", {"write": [row("GET /api/memory/:id", depth="state")]})
    cov2 = coverage_json(env, routes, m, m2)
    check(cov2["routes_table"][0] == {"route": "GET /api/memory/:id", "depth": "state",
                                      "rows": 2, "listed_status": "native-rust-replay-proven"},
          f"two matrices: {cov2['routes_table'][0]}")
    p = parity(env, "coverage", "--routes", routes, "--format", "md", m)
    check(p.returncode == 0 and "## Route coverage" in p.stdout and
          "| GET /api/memory/search | status | 1 | - |" in p.stdout and
          "| GET /api/nope | body | 1 |" in p.stdout, f"md output:\n{p.stdout}")
    # our own short form: an array of strings
    short = write_json(env, "short.json", ["GET /api/memory/:id", "GET /health"])
    cov = coverage_json(env, short, m)
    check(cov["routes"] == 2 and cov["counts"]["none"] == 1, f"array list: {cov['counts']}")

    # bad input: exit 2, naming what is wrong
    bad_list = write_json(env, "bad-list.json", {"routes": ["GET /a", {"method": "get"}]})
    bad_row = matrix(env, "bad-row.json", {"read": [row("x", route="nope")]})
    for args, frag in [
            (["--routes", os.path.join(env.tmp, "none.json"), m], "none.json"),
            (["--routes", bad_list, m], "bad-list.json: routes[1].method"),
            (["--routes", write_json(env, "empty.json", []), m], "at least one route"),
            (["--routes", routes, os.path.join(env.tmp, "nomatrix.json")], "nomatrix.json"),
            (["--routes", routes, bad_row], "bad-row.json: domains[0].features[0].route"),
            (["--routes", routes, "--format", "xml", m], "--format"),
            ([m], "--routes"),
            (["--routes", routes], "no matrix"),
            (["--routes", routes, "--bogus", m], "bogus")]:
        p = parity(env, "coverage", *args)
        check(p.returncode == 2 and frag in p.stderr,
              f"coverage {args} exits 2 naming {frag!r} ({p.returncode}: {p.stderr})")
    p = parity(env, "coverage", "--help")
    check(p.returncode == 0 and "--routes" in p.stdout, "coverage --help")
    p = parity(env, "--help")
    check("coverage" in p.stdout, "parity --help lists coverage")


def all_domains():
    doms = {d: [row("GET /health")] for d in DOMAINS}
    doms["read"] = sample_rows()[:5]
    return doms


def t_gate(env):
    routes = write_json(env, "routes.json", ROUTES)
    plain = matrix(env, "plain.json", all_domains(), coverage=None)
    cov = coverage_json(env, routes, plain)
    m = matrix(env, "m.json", all_domains(), coverage=cov)

    def gate(*args):
        p = parity(env, "gate", "--format", "json", "--min-shadow-days", "0", *args)
        return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else None), p.stderr

    code, rep, err = gate("--matrix", m)
    check(code == 0, f"no minimum: pass ({code} {rep} {err})")
    code, rep, err = gate("--matrix", m, "--min-coverage", "status=1,body=0.8")
    check(code == 0 and rep["verdict"] == "pass" and not rep["reasons"] and
          any(n["kind"] == "coverage" for n in rep["notes"]), f"met: pass ({code} {rep})")
    code, rep, err = gate("--matrix", m, "--min-coverage", "body=0.8,state=0.5")
    check(code == 1 and rep["verdict"] == "blocked", f"below: blocked ({code} {rep})")
    reasons = [r for r in rep["reasons"] if r["kind"] == "coverage"]
    check(len(reasons) == 1 and reasons[0]["detail"] ==
          f"{m}: state 0.40 < 0.50 (route_list {routes})", f"reason: {reasons}")
    # no coverage (null, or a matrix from before coverage): insufficient
    for name, c in [("null.json", None), ("old.json", False)]:
        nocov = matrix(env, name, all_domains(), coverage=c)
        code, rep, err = gate("--matrix", nocov, "--min-coverage", "body=0.1")
        check(code == 3 and rep["verdict"] == "insufficient" and
              [r["kind"] for r in rep["reasons"]] == ["coverage-missing"],
              f"{name}: insufficient ({code} {rep})")
    # text output names the reason too
    p = parity(env, "gate", "--min-shadow-days", "0", "--matrix", m, "--min-coverage",
               "state=0.9")
    check(p.returncode == 1 and "coverage" in p.stdout and "state 0.40 < 0.90" in p.stdout,
          f"text output:\n{p.stdout}")
    for spec in ["body", "body=1.5", "depth=0.5", "body=0.5,body=0.6", "", "state=0.5,"]:
        code, rep, err = gate("--matrix", m, "--min-coverage", spec)
        check(code == 2 and "--min-coverage" in err, f"bad spec {spec!r}: exit 2 ({code} {err})")
    p = parity(env, "gate", "--help")
    check(p.returncode == 0 and "--min-coverage" in p.stdout, "gate --help names --min-coverage")


def t_merge(env):
    routes = write_json(env, "routes.json", ROUTES)
    a_doms = {d: [row("GET /api/memory/:id")] for d in DOMAINS[:5]}
    b_doms = {d: [row("GET /api/memory/x", depth="state")] for d in DOMAINS[5:]}
    b_doms["mcp"].append(row("new", route="GET /api/new"))
    a = matrix(env, "a.json", a_doms)
    b = matrix(env, "b.json", b_doms)
    a = matrix(env, "a.json", a_doms, coverage=coverage_json(env, routes, a))
    b = matrix(env, "b.json", b_doms, coverage=coverage_json(env, routes, b))
    out = os.path.join(env.tmp, "merged.json")
    p = parity(env, "merge", "--out", out, a, b)
    check(p.returncode == 0, f"merge exits 0 ({p.returncode}: {p.stderr})")
    with open(out) as f:
        cov = json.load(f)["coverage"]
    check(cov["routes_table"][0] == {"route": "GET /api/memory/:id", "depth": "state",
                                     "rows": 9, "listed_status": "native-rust-replay-proven"},
          f"deepest per route, rows summed: {cov['routes_table'][0]}")
    check(cov["unlisted"] == [{"route": "GET /api/new", "depth": "body", "rows": 1}],
          f"unlisted merged: {cov['unlisted']}")
    check(cov["counts"]["state"] == 1 and cov["ratio"]["state"] == 0.2, f"recounted: {cov}")
    # the same as coverage over both matrices' rows
    both = coverage_json(env, routes, a, b)
    check(both == cov, "merged coverage = coverage of the merged rows")
    p = parity(env, "gate", "--format", "json", "--min-shadow-days", "0", "--matrix", out,
               "--min-coverage", "state=0.2")
    check(p.returncode == 0, f"gate reads the merged coverage ({p.returncode} {p.stdout})")
    # another list, or a shard without coverage: exit 2 naming both files
    other = write_json(env, "other.json", ["GET /api/memory/:id"])
    c = matrix(env, "c.json", b_doms, coverage=coverage_json(env, other, b))
    p = parity(env, "merge", "--out", out, a, c)
    check(p.returncode == 2 and "a.json" in p.stderr and "c.json" in p.stderr and
          "other.json" in p.stderr, f"different lists exit 2 ({p.returncode}: {p.stderr})")
    d = matrix(env, "d.json", b_doms, coverage=None)
    p = parity(env, "merge", "--out", out, a, d)
    check(p.returncode == 2 and "d.json" in p.stderr and "has none" in p.stderr,
          f"a shard without coverage exits 2 ({p.returncode}: {p.stderr})")


def t_run(env):
    with open(os.path.join(env.repo, "parity.json")) as f:
        cfg = json.load(f)
    routes = write_json(env, "routes.json", {"routes": [
        "GET /health", "GET /api/memory/:id", {"method": "GET", "path": "/api/memory/search",
                                               "status": "s"},
        "POST /api/memory/recall", "GET /api/never", "DELETE /api/memory/:id"]})
    cfg["route_list"] = "${PARITY_TEST_ROUTES}"
    config = write_json(env, "config.json", cfg)
    run_env = dict(os.environ, PARITY_TEST_ROUTES=routes)
    p = harness.run([env.parity, "run", "--config", config, "--domain", "read", "--out",
                     env.out], env=run_env, timeout=120)
    check(p.returncode == 0, f"run exits 0 ({p.returncode})")
    cov = harness.matrix_of(env.out)["coverage"]
    check(cov["source"] == "${PARITY_TEST_ROUTES}", f"source as configured: {cov['source']}")
    depth = {e["route"]: e["depth"] for e in cov["routes_table"]}
    check(depth == {"GET /health": "body", "GET /api/memory/:id": "body",
                    "GET /api/memory/search": "body", "POST /api/memory/recall": "body",
                    "GET /api/never": "none", "DELETE /api/memory/:id": "none"},
          f"depths: {depth}")
    check(any(u["route"] == "GET /api/memories" for u in cov["unlisted"]),
          f"unlisted: {cov['unlisted']}")
    check("coverage of ${PARITY_TEST_ROUTES}: 6 routes" in p.stderr, "stderr coverage line")
    # parity coverage over the run's matrix says the same
    again = coverage_json(env, routes, os.path.join(env.out, "matrix.json"))
    again["source"] = cov["source"]
    check(again == cov, "parity coverage of the run's matrix = the run's coverage")
    with open(os.path.join(env.out, "matrix.md")) as f:
        md = f.read()
    check("## Route coverage" in md and "| GET /api/never | none | 0 | - |" in md and
          "| GET /api/memory/search | body |" in md and "| s |" in md,
          "matrix.md has the coverage section")
    with open(os.path.join(env.out, "report.html")) as f:
        html = f.read()
    check('id="coverage"' in html and "depth-none" in html, "report.html has the section")
    with open(os.path.join(env.out, "junit.xml")) as f:
        check("coverage" not in f.read().lower(), "junit.xml has no coverage")
    harness.run_cleaned_up(env.out)

    # refused before any runtime starts: an unset variable, a bad list
    out2 = os.path.join(env.tmp, "out2")
    cfg["route_list"] = "${PARITY_TEST_UNSET_ROUTES}/r.json"
    config = write_json(env, "config2.json", cfg)
    p = harness.run([env.parity, "run", "--config", config, "--domain", "read", "--out", out2],
                    env=dict(os.environ), timeout=60)
    check(p.returncode == 2 and "route_list" in p.stderr and
          "${PARITY_TEST_UNSET_ROUTES} is not set" in p.stderr and not os.path.exists(out2),
          f"unset variable: exit 2 naming route_list ({p.returncode}: {p.stderr})")
    cfg["route_list"] = write_json(env, "bad.json", ["GET /a", "nope"])
    config = write_json(env, "config3.json", cfg)
    p = harness.run([env.parity, "run", "--config", config, "--domain", "read", "--out", out2],
                    timeout=60)
    check(p.returncode == 2 and "bad.json: [1]" in p.stderr and not os.path.exists(out2),
          f"bad list: exit 2 naming file and index ({p.returncode}: {p.stderr})")
    # without route_list: "coverage": null
    del cfg["route_list"]
    config = write_json(env, "config4.json", cfg)
    p = harness.run([env.parity, "run", "--config", config, "--domain", "schema", "--out",
                     out2], timeout=120)
    with open(os.path.join(out2, "matrix.json")) as f:
        m = json.load(f)
    check(p.returncode == 0 and "coverage" in m and m["coverage"] is None,
          "without route_list the matrix has coverage null")


def upstream_list(repo):
    """../shared/signet/route-parity.json beside the repo, else $SIGNET_CHECKOUT's."""
    path = os.path.join(repo, "..", "shared", "signet", "route-parity.json")
    if os.path.exists(path):
        return path
    co = os.environ.get("SIGNET_CHECKOUT")
    path = co and os.path.join(co, "platform/daemon-rs/contracts/route-parity.json")
    return path if path and os.path.exists(path) else None


def t_upstream(env):
    path = upstream_list(env.repo)
    if not path:
        print("skipped: no route-parity.json in ../shared/signet or $SIGNET_CHECKOUT")
        raise SystemExit(SKIP)
    with open(path) as f:
        listed = json.load(f)["routes"]
    m = matrix(env, "m.json", {"read": [row("GET /api/memory/mem-0001 [local]"),
                                        row("x", route="POST /mcp", depth="status"),
                                        row("y", route="GET /api/memory/search?q=1")]})
    cov = coverage_json(env, path, m)
    check(cov["routes"] == len(listed) and len(cov["routes_table"]) == len(listed),
          f"{cov['routes']} routes of {len(listed)}")
    check([e["route"] for e in cov["routes_table"]] ==
          [f"{r['method']} {r['path']}" for r in listed], "the list's order")
    check([e["listed_status"] for e in cov["routes_table"]] == [r["status"] for r in listed],
          "listed_status is upstream's status")
    depth = {e["route"]: e["depth"] for e in cov["routes_table"] if e["depth"] != "none"}
    check(depth == {"GET /api/memory/:id": "body", "ALL /mcp": "status",
                    "GET /api/memory/search": "body"}, f"driven: {depth}")
    p = parity(env, "coverage", "--routes", path, m)
    check(p.returncode == 0 and p.stdout.startswith(f"coverage: {len(listed)} routes"),
          "text output")
    print(f"upstream list {path}: {len(listed)} routes")


CASES = {"command": t_command, "gate": t_gate, "merge": t_merge, "run": t_run,
         "upstream": t_upstream}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.env_args(ap)
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    os.environ["PARITY_REPO"] = args.repo
    os.environ["NO_COLOR"] = "1"
    return harness.run_in_env(f"coverage {args.case}", harness.Env(args), CASES[args.case])


if __name__ == "__main__":
    sys.exit(main())
