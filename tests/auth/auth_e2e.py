#!/usr/bin/env python3
"""End-to-end tests of the auth domain (plugins/auth, fixtures/refd/auth.c).

Scenarios:
  refd         refd alone in team mode, driven with tokens minted here by an independent
               implementation of the contract's format (CONTRACT.md section 5): the secret
               file, 401/403/429 answers with their headers, and that a token refd issues
               verifies under the workspace's secret.
  self-parity  `parity run --domain auth` refd against refd: exit 0, every row at parity,
               every mode x endpoint x token condition present, the features the auth faults
               name present, and no workspace's auth secret in any report file.
The fault scenarios are e2e.fault.auth.* (fixtures/refd/faults.json).
Usage: auth_e2e.py --parity BIN --refd BIN --repo DIR SCENARIO
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from harness import check, parity_rows, render_workspace, run_scenario  # noqa: E402
import harness  # noqa: E402


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def mint(secret, claims):
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return payload + "." + b64url(sig)


def workspace(repo, dest, mode_block):
    render_workspace(os.path.join(repo, "fixtures/workspaces/default"), dest,
                     values=(("{llm_url}", ""), ("{workspace}", dest)))
    p = os.path.join(dest, "agent.yaml")
    with open(p) as fh:
        text = fh.read()
    text = re.sub(r"^auth:\n(?:[ #].*\n|\n)*", mode_block, text, flags=re.M)
    with open(p, "w") as fh:
        fh.write(text)


def request(port, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"null")


def s_refd(args, tmp):
    ws = os.path.join(tmp, "ws")
    workspace(args.repo, ws, "auth:\n  method: token\n  mode: team\n  rateLimits:\n"
              "    forget:\n      windowMs: 60000\n      max: 2\n")
    procs = []
    try:
        port = harness.start_refd([args.refd], ws, os.path.join(tmp, "refd.log"), procs,
                                  stdout=None, pause=0.05)[1]
        path = os.path.join(ws, ".daemon/auth-secret")
        st = os.stat(path)
        check(st.st_size == 32, f"auth-secret has {st.st_size} bytes, expected 32")
        check(stat.S_IMODE(st.st_mode) == 0o600, f"auth-secret mode {oct(st.st_mode)}")
        with open(path, "rb") as f:
            secret = f.read()
        now = int(time.time())

        def tok(role, scope=None, exp=now + 600, sub=None):
            return mint(secret, {"sub": sub or f"e2e:{role}", "scope": scope or {},
                                 "role": role, "iat": now, "exp": exp})

        s, h, b = request(port, "GET", "/health")
        check(s == 200, f"/health in team mode: {s}")
        s, h, b = request(port, "GET", "/api/memories")
        check(s == 401 and b == {"error": "authentication required"}, f"no token: {s} {b}")
        check(h.get("WWW-Authenticate") == "Bearer", f"no WWW-Authenticate: {h}")
        s, h, b = request(port, "GET", "/api/memories", tok("readonly"))
        check(s == 200 and len(b["memories"]) > 0, f"readonly list: {s}")
        s, _, b = request(port, "GET", "/api/memories", tok("admin", exp=now))
        check(s == 401 and b["error"] == "token expired", f"expired: {s} {b}")
        bad = tok("admin")
        bad = bad[:-2] + ("A" if bad[-2] != "A" else "B") + bad[-1]
        s, _, b = request(port, "GET", "/api/memories", bad)
        check(s == 401 and b["error"] == "invalid token signature", f"bad signature: {s} {b}")
        s, _, b = request(port, "POST", "/api/memory/remember", tok("readonly"),
                          {"content": "x"})
        check(s == 403 and b["error"] == "role 'readonly' lacks 'remember' permission",
              f"readonly remember: {s} {b}")
        s, _, b = request(port, "POST", "/api/memory/recall?project=other",
                          tok("agent", {"project": "parity"}), {"query": "coffee"})
        check(s == 403 and "scope" in b["error"], f"wrong scope: {s} {b}")
        # the forget limit is 2: the third request within the window is refused
        statuses = [request(port, "DELETE", "/api/memory/mem-9999", tok("admin", sub="e2e:rl"),
                            {"reason": "e2e"})[:2] for _ in range(3)]
        check([x[0] for x in statuses[:2]] == [404, 404], f"before the limit: {statuses}")
        s, h = statuses[2]
        check(s == 429 and int(h.get("Retry-After", "0")) >= 1, f"over the limit: {s} {h}")
        # a token refd issues verifies under the same secret, with the asked role and scope
        s, _, b = request(port, "POST", "/api/auth/token", tok("admin"),
                          {"role": "agent", "scope": {"project": "p"}, "ttlSeconds": 60})
        check(s == 200 and "token" in b and b["expiresAt"].endswith("Z"), f"issue: {s} {b}")
        payload, sig = b["token"].split(".")
        want = b64url(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
        check(sig == want, "an issued token does not verify under the workspace's secret")
        claims = json.loads(unb64url(payload))
        check(claims["role"] == "agent" and claims["scope"] == {"project": "p"} and
              claims["sub"] == "token:agent" and claims["exp"] - claims["iat"] == 60,
              f"issued claims {claims}")
        s, _, b = request(port, "GET", "/api/auth/whoami", b["token"])
        check(s == 200 and b["authenticated"] and b["mode"] == "team" and
              b["claims"]["role"] == "agent", f"whoami: {s} {b}")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                rc = p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                rc = None
    check(rc == 0, f"refd exited {rc} after SIGTERM")


def s_self_parity(args, tmp):
    out = os.path.join(tmp, "out")
    p = harness.run([args.parity, "run", "--domain", "auth", "--out", out, "--keep-workspaces"],
                    timeout=120, echo=False)
    sys.stderr.write(p.stderr)
    rows = parity_rows(p, harness.matrix_of(out), "auth", status=False)
    cells = {(r["feature"], r["case"]) for r in rows}
    conditions = ["admin", "operator", "agent", "readonly", "expired", "bad signature",
                  "wrong scope", "no token"]
    for mode in ("local", "team", "hybrid"):
        for c in conditions:
            for ep in ("GET /api/memories", "POST /api/memory/remember", "POST /api/auth/token"):
                check((f"{ep} [{mode}]", c) in cells, f"no row {ep} [{mode}] / {c}")
        check(any(f == f"auth-secret [{mode}]" for f, _ in cells), f"no secret row {mode}")
    ref = {(r["feature"], r["case"]): r["reference"] for r in rows}
    check(ref[("GET /api/memories [team]", "no token")].startswith("401"), "team without token")
    check(ref[("GET /api/memories [hybrid]", "no token")] == "200", "hybrid loopback")
    check(ref[("GET /api/memories [local]", "expired")] == "200", "local ignores tokens")
    check(ref[("POST /api/auth/token [team]", "operator")].startswith("403"), "admin guard")
    with open(os.path.join(args.repo, "fixtures/refd/faults.json")) as f:
        for fault in json.load(f):
            if fault["domain"] == "auth":
                check(any(r["feature"] == fault["feature"] for r in rows),
                      f"no row for the feature of {fault['fault']}")
    # the secrets of both workspaces appear in no report file, in any common encoding
    run_tmp = harness.run_tmp(out)
    try:
        secrets = []
        for role in ("reference", "candidate"):
            with open(os.path.join(run_tmp, "auth", role, "workspace/.daemon/auth-secret"),
                      "rb") as f:
                secrets.append(f.read())
        needles = []
        for s in secrets:
            check(len(s) == 32, "a workspace secret is not 32 bytes")
            needles += [s, s.hex().encode(), base64.b64encode(s).rstrip(b"="),
                        b64url(s).encode()]
        for root, _, files in os.walk(out):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                for n in needles:
                    check(n not in data, f"a workspace secret appears in {name}")
    finally:
        shutil.rmtree(run_tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parity", required=True)
    ap.add_argument("--refd", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("scenario", choices=["refd", "self-parity"])
    args = ap.parse_args()
    fn = {"refd": s_refd, "self-parity": s_self_parity}[args.scenario]
    return run_scenario(f"auth e2e {args.scenario}", fn, args, tmp_prefix="auth-e2e-",
                        to=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
