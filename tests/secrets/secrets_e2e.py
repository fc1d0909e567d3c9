#!/usr/bin/env python3
"""End-to-end scenarios of the secrets domain: the built `parity` drives two refd.

Usage: secrets_e2e.py --parity BIN --repo DIR SCENARIO

self-parity          refd vs refd: exit 0, every row at parity, all file and roundtrip rows
no-leak              runs with and without the secrets.no-redaction fault; no value the
                     suite stores appears in any file of the report folders (raw, JSON-
                     escaped or base64), although the faulty candidate printed them
real-file            --secrets-file F --machine-id ID (ID unlike the runtimes'): the
                     roundtrip runs on a copy, every entry resolves alike, F is unchanged
real-file-wrong-id   the same with the wrong machine id: an error row, exit 3
"""
import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from harness import check, domain_of, matrix_of, parity_rows, run_scenario  # noqa: E402
import harness  # noqa: E402


def run(args, parity, **kw):
    return harness.run([parity] + args, timeout=100, **kw)


def rows(out):
    return domain_of(matrix_of(out), "secrets", "the matrix has no secrets domain")["features"]


def suite_values(repo):
    vals = []
    with open(os.path.join(repo, "suites/secrets/api.json")) as f:
        for c in json.load(f)["cases"]:
            v = (c.get("body") or {}).get("value")
            if v:
                vals.append(v)
    return vals


def forms(v):
    """The ways a value could be written into a report."""
    raw = v.encode()
    out = {raw, base64.b64encode(raw), json.dumps(v).encode()[1:-1],
           json.dumps(v, ensure_ascii=True).encode()[1:-1]}
    # HTML reports may escape; the suite's values hold no &<>"' so raw covers them
    return out


def grep_tree(folder, values):
    hits = []
    n = 0
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            n += 1
            for v in values:
                for form in forms(v):
                    if form in data:
                        hits.append((path, v[:6] + "..."))
    return n, hits


def s_self_parity(a, tmp):
    out = os.path.join(tmp, "out")
    p = run(["run", "--domain", "secrets", "--out", out], a.parity)
    rs = parity_rows(p, matrix_of(out), "secrets", shown=2, status=False,
                     missing="the matrix has no secrets domain")
    features = {r["feature"] for r in rs}
    for f in ("format", "decrypts with derived key", "values identical",
              "roundtrip reference -> candidate", "roundtrip candidate -> reference",
              "POST /api/secrets/exec", "GET /api/secrets", "POST /api/secrets/:name",
              "DELETE /api/secrets/:name"):
        check(f in features, f"no row for {f}")
    resolves = [r for r in rs if r["case"].startswith("resolve ")]
    # three secrets remain after the suite; each resolved in both directions
    check(len(resolves) == 6, f"{len(resolves)} resolve rows, expected 6")
    check(all(r["reference"] == "200, resolved" for r in resolves), "a secret did not resolve")


def s_no_leak(a, tmp):
    values = suite_values(a.repo)
    check(len(values) >= 4, "the suite stores too few values to test")
    with open(os.path.join(a.repo, "parity.json")) as f:
        cfg = json.load(f)
    cfg["runtimes"]["candidate"]["command"] += ["--fault", "secrets.no-redaction"]
    cfg_path = os.path.join(tmp, "leaky.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    outs = [os.path.join(tmp, "clean"), os.path.join(tmp, "leaky")]
    p = run(["run", "--domain", "secrets", "--out", outs[0]], a.parity)
    check(p.returncode == 0, f"clean run: exit {p.returncode}, expected 0")
    p = run(["run", "--config", cfg_path, "--domain", "secrets", "--out", outs[1]], a.parity)
    check(p.returncode == 1, f"leaky run: exit {p.returncode}, expected 1")
    # the candidate did print values: the harness saw them and reported them masked
    leaked = [r for r in rows(outs[1]) if r["candidate"] == "semantic"]
    check(leaked, "the no-redaction fault was not detected")
    check(any("unredacted value of" in json.dumps(r["divergences"]) for r in leaked),
          "the divergence does not name the unredacted secret")
    for out in outs:
        n, hits = grep_tree(out, values)
        for must in ("matrix.json", "matrix.md", "junit.xml", "report.html", "parity.log"):
            check(os.path.exists(os.path.join(out, must)), f"{out}: no {must}")
        check(os.path.isdir(os.path.join(out, "runtimes")), f"{out}: no runtime logs")
        check(n >= 6, f"{out}: only {n} files")
        check(not hits, f"secret values found in reports: {hits[:5]}")
    check(not (p.stdout and any(v in p.stdout for v in values)), "a value on stdout")
    check(not any(v in p.stderr for v in values), "a value on stderr")


REAL = {"OPENAI_API_KEY": "pv-real-sk-5kLq-openai-key-value",
        "GITHUB_TOKEN": "pv-real-ghp-Rt71-github-token",
        "Slack_Webhook_2": "pv-real-hooks slack 9Zq with spaces"}
REAL_ID = "users-real-machine-id-7f3a9c"


def make_real_file(a, tmp):
    path = os.path.join(tmp, "real", "secrets.enc")
    os.makedirs(os.path.dirname(path))
    for name, value in REAL.items():
        p = subprocess.run([a.parity, "secrets", "encrypt", "--machine-id", REAL_ID,
                            "--name", name, path], input=value, text=True,
                           capture_output=True, timeout=30)
        check(p.returncode == 0, f"parity secrets encrypt: {p.stderr}")
    return path


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def s_real_file(a, tmp):
    path = make_real_file(a, tmp)
    before = (digest(path), os.stat(path).st_mtime_ns, os.stat(path).st_mode)
    out = os.path.join(tmp, "out")
    p = run(["run", "--domain", "secrets", "--out", out, "--secrets-file", path,
             "--machine-id", REAL_ID], a.parity)
    check(p.returncode == 0, f"exit {p.returncode}, expected 0")
    after = (digest(path), os.stat(path).st_mtime_ns, os.stat(path).st_mode)
    check(before == after, "the real secrets file was modified")
    rs = [r for r in rows(out) if r["feature"] == "roundtrip real secrets file"]
    names = sorted(r["case"][len("resolve "):] for r in rs if r["case"].startswith("resolve "))
    check(names == sorted(REAL), f"resolved {names}, expected {sorted(REAL)}")
    check(all(r["candidate"] == "parity" for r in rs), f"real-file rows diverge: {rs}")
    check(all(r["reference"] == "200, resolved" for r in rs if r["case"] != "list"),
          "a real secret did not resolve")
    _, hits = grep_tree(out, list(REAL.values()))
    check(not hits, f"real values found in reports: {hits}")


def s_real_file_wrong_id(a, tmp):
    path = make_real_file(a, tmp)
    before = digest(path)
    out = os.path.join(tmp, "out")
    p = run(["run", "--domain", "secrets", "--out", out, "--secrets-file", path,
             "--machine-id", "not-the-right-id"], a.parity)
    check(p.returncode == 3, f"exit {p.returncode}, expected 3 (could not evaluate)")
    errs = [r for r in rows(out) if r["feature"] == "roundtrip real secrets file"
            and r["candidate"] == "error"]
    check(errs and "do not decrypt" in errs[0].get("error", ""),
          f"no error row naming the failing entries: {errs}")
    check(digest(path) == before, "the real secrets file was modified")


SCENARIOS = {"self-parity": s_self_parity, "no-leak": s_no_leak, "real-file": s_real_file,
             "real-file-wrong-id": s_real_file_wrong_id}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parity", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    a = ap.parse_args()
    return run_scenario(f"secrets e2e {a.scenario}", SCENARIOS[a.scenario], a,
                        tmp_prefix="parity-secrets-e2e-")

if __name__ == "__main__":
    sys.exit(main())
