#!/usr/bin/env python3
"""A tenth domain from a folder, the core untouched (issue 15).

tests/tenth holds a plugin (tenth.c, built into a plugin folder of its own) and its
suite (suites/tenth). With `--plugin-dir` naming that folder and a config whose "suites"
adds this folder's suites, `parity run --domain tenth --domain read` must: accept
"tenth" in the config's domains and on the command line (its plugin is found), put its
rows after read's (the domain list's order, then others alphabetically) in matrix.json,
matrix.md and junit.xml, all parity; hand `--param tenth.greeting=...` to the tenth
plugin only; and `parity list` must show it. Without the plugin folder, "tenth" is an
unknown domain (exit 2). Listed tenth in a repo's suites/domains.json, with a route of its
own, `parity shadow-report` counts its log lines under it, not as unmapped.
Usage: tenth.py --parity BIN --repo DIR --plugin-dir DIR
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "lib"))
from harness import check, run_scenario  # noqa: E402


def run(args, timeout=300):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def config(repo, tmp):
    with open(os.path.join(repo, "parity.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(repo, "suites", "domains.json")) as f:
        nine = json.load(f)["domains"]
    cfg["domains"] = nine + ["tenth"]
    cfg["suites"] = ["suites", os.path.join(HERE, "suites")]
    path = os.path.join(tmp, "tenth.json")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


def test(a, tmp):
    cfg = config(a.repo, tmp)
    out = os.path.join(tmp, "out")
    base = [a.parity, "run", "--config", cfg, "--out", out]

    # no plugin folder: the config's "tenth" is no domain this run knows
    code, _, err = run(base + ["--domain", "read"])
    # the known ones are named: the listed nine, then the plugins found (replay)
    check(code == 2 and "unknown domain 'tenth'" in err and "secrets replay)" in err,
          "tenth without its plugin: exit %d, %r" % (code, err[-400:]))

    code, _, err = run(base + ["--plugin-dir", a.plugin_dir, "--domain", "tenth",
                               "--domain", "read", "--param", "tenth.greeting=hello tenth",
                               "--param", "read.x=for read only"])
    check(code == 0, "parity run with the tenth domain exited %d:\n%s" % (code, err[-3000:]))
    with open(os.path.join(out, "matrix.json")) as f:
        m = json.load(f)
    names = [d["domain"] for d in m["domains"]]
    check(names == ["read", "tenth"], "matrix domains in order %r, want read, tenth" % names)
    tenth = m["domains"][1]
    rows = {r["case"]: r for r in tenth["features"]}
    check(tenth["status"] == "pass" and set(rows) == {"tenth-health", "tenth-list", "param"},
          "tenth's rows: %s %r" % (tenth["status"], sorted(rows)))
    check(all(r["candidate"] == "parity" for r in tenth["features"]),
          "a tenth row is not parity: %r" % tenth["features"])
    params = {r["feature"]: r["reference"] for r in tenth["features"] if r["case"] == "param"}
    check(params == {"param greeting": "hello tenth", "param x": "(none)"},
          "the tenth plugin's parameters: %r" % params)
    check(m["verdict"] == "parity", "verdict %s" % m["verdict"])

    with open(os.path.join(out, "matrix.md")) as f:
        md = f.read()
    check("tenth" in md and md.index("tenth-health") > md.index("list-default"),
          "matrix.md has no tenth section after read's")
    with open(os.path.join(out, "junit.xml")) as f:
        junit = f.read()
    check('<testsuite name="tenth"' in junit and
          junit.index('<testsuite name="tenth"') > junit.index('<testsuite name="read"'),
          "junit.xml has no tenth testsuite after read's")

    code, text, err = run([a.parity, "list", "--plugin-dir", a.plugin_dir, "--format", "json"])
    check(code == 0, "parity list exited %d: %s" % (code, err))
    listed = {d["domain"]: d for d in json.loads(text)["domains"]}
    check("tenth" in listed and (listed["tenth"]["plugin"] or "").endswith("/tenth.so"),
          "parity list --format json does not show the tenth plugin: %r" % listed.get("tenth"))
    code, text, err = run([a.parity, "list", "--plugin-dir", a.plugin_dir])
    check(code == 0 and "tenth" in text, "parity list does not show tenth:\n%s" % text)
    shadow(a, tmp)


def shadow(a, tmp):
    """A tenth domain listed in the data file has its own row in shadow reports."""
    repo = os.path.join(tmp, "repo")
    os.makedirs(os.path.join(repo, "suites"))
    with open(os.path.join(a.repo, "suites", "domains.json")) as f:
        doc = json.load(f)
    doc["domains"].append("tenth")
    doc["routes"].insert(0, {"route": "* /api/tenth/*", "domain": "tenth"})
    with open(os.path.join(repo, "suites", "domains.json"), "w") as f:
        json.dump(doc, f)
    log = os.path.join(tmp, "shadow.jsonl")
    with open(log, "w") as f:
        for path, b in (("/api/tenth/ping", 500), ("/api/tenth/ping", 200),
                        ("/api/nowhere", 200)):
            f.write(json.dumps({"ts": "2026-06-01T00:00:00Z", "path": path, "method": "GET",
                                "primaryStatus": 200, "shadowStatus": b}) + "\n")
    env = dict(os.environ, PARITY_REPO=repo)
    p = subprocess.run([a.parity, "shadow-report", "--format", "json", log], env=env,
                       capture_output=True, text=True, timeout=60)
    check(p.returncode in (0, 1), "shadow-report exited %d: %s" % (p.returncode, p.stderr))
    rep = json.loads(p.stdout)
    doms = rep["domains"]
    check(doms.get("tenth", {}).get("entries") == 2,
          "shadow-report does not count the tenth's lines under it: %r" % doms)
    check(doms.get("unmapped", {}).get("entries") == 1,
          "the unrouted line is not unmapped: %r" % doms)
    p = subprocess.run([a.parity, "shadow-report", log], env=env, capture_output=True,
                       text=True, timeout=60)
    out = p.stdout
    check("tenth" in out and out.index("secrets") < out.index("tenth") < out.index("unmapped"),
          "the text report has no tenth row between secrets and unmapped:\n%s" % out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parity", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--plugin-dir", required=True)
    return run_scenario("tenth", test, ap.parse_args(), tmp_prefix="parity-tenth-")


if __name__ == "__main__":
    sys.exit(main())
