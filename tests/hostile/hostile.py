#!/usr/bin/env python3
"""Hostile runtimes and hostile input files against the real `parity` binary.

Usage: hostile.py --parity BIN --repo DIR --build DIR runtime CASE
       hostile.py --parity BIN --repo DIR --build DIR input KIND

runtime CASE: both runtimes are tests/hostile/standin.py (the reference well-behaved, the
candidate in mode CASE, see standin.py) driving the read plugin over a three-case suite
(GET /api/before, GET /hostile, GET /api/after) in a private repo folder
(PARITY_REPO). Each case must end in a clear error row or message, within a time and
memory bound, with no process left behind.

input KIND: malformed and hostile variants of one kind of input file (truncated, binary,
huge, deeply nested, wrong types, duplicate keys, paths with '..'), each passed to the
command that reads it: exit 2 with a message naming the file, never a crash or sanitizer
report, and nothing written outside the test's folder (whose out/ is the output folder).
"""
import argparse
import gzip
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "lib"))
from harness import Fail, check  # noqa: E402
import harness  # noqa: E402

STANDIN = os.path.join(HERE, "standin.py")
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                       r"runtime error:|Segmentation fault|core dumped")


def no_process_left(prefix, wait=5.0):
    """Also kills what is left, so it does not leak into the next test."""
    harness.no_process_left(prefix, wait, kill=True)


def tree(root, skip):
    """Every path under root except those under skip (for 'nothing written elsewhere')."""
    out = set()
    for d, dirs, files in os.walk(root):
        if d.startswith(skip):
            continue
        for n in dirs + files:
            p = os.path.join(d, n)
            if not p.startswith(skip):
                out.add(p)
    return out


class Env(harness.Env):
    TMP_PREFIX = "parity-hostile-"

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, name, data):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return p

    def run(self, args, timeout=120, env=None):
        """Run parity in the test folder; returns (process, seconds, max RSS in MiB)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.time()
        p = subprocess.run([self.parity] + args, capture_output=True, text=True,
                           errors="replace", timeout=timeout, cwd=self.tmp,
                           env=dict(os.environ, **(env or {})))
        secs = time.time() - t0
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        sys.stdout.write(p.stdout[-4000:])
        sys.stderr.write(p.stderr[-4000:])
        check(p.returncode >= 0, f"parity {args[0]} died of signal {-p.returncode}")
        check(not SANITIZER.search(p.stderr), f"parity {args[0]}: sanitizer report or crash")
        # ru_maxrss of children is the largest so far: meaningful when it grew
        return p, secs, (rss if rss > before else 0) / 1024.0


# ---- hostile runtimes ------------------------------------------------------------------

SUITE = {"cases": [
    {"name": "before", "method": "GET", "path": "/api/before"},
    {"name": "hostile", "method": "GET", "path": "/hostile"},
    {"name": "after", "method": "GET", "path": "/api/after"},
]}


def runtime_entry(env, mode, start_ms=10000, stop_ms=2000):
    return {"name": f"standin-{mode}", "cwd": "{workspace}",
            "command": [sys.executable, STANDIN, mode, "{port}", env.tmp],
            "start_timeout_ms": start_ms, "stop_timeout_ms": stop_ms}


def run_standins(env, mode, start_ms=10000, stop_ms=2000):
    """One `parity run --domain read` with the candidate in mode; returns (p, secs, rss)."""
    env.write("repo/suites/read/hostile.json", json.dumps(SUITE))
    env.write("fixture/MEMORY.md", "# fixture\n")
    ref = runtime_entry(env, "normal")
    ref["name"] = "standin-reference"
    cfg = {"runtimes": {"reference": ref,
                        "candidate": runtime_entry(env, mode, start_ms, stop_ms)},
           "fixture": env.path("fixture"), "domains": ["read"], "out": env.out}
    path = env.write("config.json", json.dumps(cfg))
    return env.run(["run", "--config", path, "--domain", "read", "--out", env.out,
                    "--plugin-dir", os.path.join(env.build, "plugins")],
                   env={"PARITY_REPO": env.path("repo")})


def run_tmp(env):
    with open(os.path.join(env.out, "parity.log")) as f:
        m = re.search(r"tmp (/\S+)", f.read())
    check(m, "parity.log names no temporary folder")
    return m.group(1).rstrip(",")


def rows(env):
    with open(os.path.join(env.out, "matrix.json"), encoding="utf-8") as f:
        m = json.load(f)
    d = [x for x in m["domains"] if x["domain"] == "read"]
    check(d, "the matrix has no read domain")
    return d[0], {r["case"]: r for r in d[0]["features"]}


def reports_readable(env):
    import xml.dom.minidom
    xml.dom.minidom.parse(os.path.join(env.out, "junit.xml"))
    for name in ("matrix.md", "report.html"):
        with open(os.path.join(env.out, name), encoding="utf-8") as f:
            check(f.read(), f"{name} is empty")


def hostile_row(env, p, want_error, pattern):
    """The /hostile row is flagged (error, or any divergence) with a message matching
    pattern, the two ordinary rows around it are at parity, and exit says so."""
    _, by_case = rows(env)
    check(set(by_case) == {"before", "hostile", "after"}, f"rows: {sorted(by_case)}")
    for c in ("before", "after"):
        check(by_case[c]["candidate"] == "parity",
              f"row {c} is {by_case[c]['candidate']}: {by_case[c]}")
    h = by_case["hostile"]
    print("hostile row:", json.dumps(h)[:600])
    text = (h.get("error") or "") + " " + " ".join(
        d.get("message") or "" for d in h.get("divergences", []))
    if want_error:
        check(h["candidate"] == "error", f"hostile row is {h['candidate']}, expected error")
        check(p.returncode == 3, f"exit {p.returncode}, expected 3")
    else:
        check(h["candidate"] in ("structural", "error"),
              f"hostile row is {h['candidate']}, expected structural or error")
        check(p.returncode in (1, 3), f"exit {p.returncode}, expected 1 or 3")
    check(re.search(pattern, text, re.I), f"hostile row says {text!r}, expected /{pattern}/")
    reports_readable(env)


def r_big_body(env):
    p, secs, rss = run_standins(env, "big-body")
    hostile_row(env, p, True, r"exceeds \d+ bytes")
    check(secs < 60, f"took {secs:.0f} s")
    check(rss < 600, f"parity grew to {rss:.0f} MiB on a 200 MB answer")


def r_endless_body(env):
    p, secs, _ = run_standins(env, "endless-body")
    hostile_row(env, p, True, r"timed? ?out|timeout")
    check(secs < 60, f"took {secs:.0f} s")


def r_reset_mid_body(env):
    p, secs, _ = run_standins(env, "reset-mid-body")
    hostile_row(env, p, True, r"reset|closed|recv|partial|remaining")
    check(secs < 60, f"took {secs:.0f} s")


def r_invalid_utf8(env):
    p, _, _ = run_standins(env, "invalid-utf8")
    hostile_row(env, p, False, r"json|utf-?8|type|body")


def r_deep_json(env):
    p, _, _ = run_standins(env, "deep-json")
    hostile_row(env, p, False, r"json|depth|deep|type|body")


def r_ignore_sigterm(env):
    p, secs, _ = run_standins(env, "ignore-sigterm", stop_ms=1000)
    check(p.returncode == 0, f"exit {p.returncode}, expected 0 (it answers like the other)")
    check(secs < 30, f"took {secs:.0f} s to get rid of a runtime ignoring SIGTERM")
    check(re.search(r"standin-ignore-sigterm' ignored SIGTERM: killed after 1000 ms", p.stderr),
          "no message that the runtime ignored SIGTERM")
    with open(os.path.join(env.out, "parity.log")) as f:
        check("ignored SIGTERM" in f.read(), "parity.log does not say it ignored SIGTERM")


def r_fork_exit(env):
    p, secs, _ = run_standins(env, "fork-exit")
    check(p.returncode == 3, f"exit {p.returncode}, expected 3")
    check("candidate" in p.stderr and "standin-fork-exit" in p.stderr,
          "the message does not name the runtime")
    check(re.search(r"exit", p.stderr), "the message does not say it exited")
    check(secs < 60, f"took {secs:.0f} s")
    d, _ = rows(env)
    check(d["status"] == "error", f"read status {d['status']}")


def r_wrong_port(env):
    p, secs, _ = run_standins(env, "wrong-port", start_ms=1500)
    check(p.returncode == 3, f"exit {p.returncode}, expected 3")
    check("standin-wrong-port" in p.stderr and "not healthy within" in p.stderr,
          "the message does not name the runtime and the health timeout")
    check(secs < 30, f"took {secs:.0f} s")


RUNTIME = {
    "big-body": r_big_body, "endless-body": r_endless_body,
    "reset-mid-body": r_reset_mid_body, "invalid-utf8": r_invalid_utf8,
    "deep-json": r_deep_json, "ignore-sigterm": r_ignore_sigterm,
    "fork-exit": r_fork_exit, "wrong-port": r_wrong_port,
}


def s_runtime(env, case):
    try:
        RUNTIME[case](env)
    finally:
        if os.path.exists(os.path.join(env.out, "parity.log")):
            tmp = run_tmp(env)
            no_process_left(tmp)
            check(not os.path.exists(tmp), f"{tmp} was not removed")
        no_process_left(env.tmp)


# ---- hostile input files ---------------------------------------------------------------

def escape_path():
    """A path far outside the test folder that no command may create."""
    return "../" * 16 + f"tmp/parity-hostile-escape-{os.getpid()}"


def escaped():
    return os.path.exists(f"/tmp/parity-hostile-escape-{os.getpid()}") or \
        os.path.exists(f"/tmp/parity-hostile-escape-{os.getpid()}.log")


def generic_variants(valid):
    """The variants every JSON input gets: (name, bytes)."""
    rnd = random.Random(7)
    try:
        doc = json.loads(valid)
    except ValueError:  # JSON lines
        doc = None
    out = [
        ("empty", b""),
        ("truncated", valid[: len(valid) // 2].encode()),
        ("binary", bytes(rnd.randrange(256) for _ in range(4096))),
        ("deep-array", b"[" * 100000 + b"]" * 100000),
        ("deep-object", b'{"a":' * 100000 + b"1" + b"}" * 100000),
        ("top-array", b'[1, "two", null, {"x": []}]'),
        ("top-number", b"42"),
        ("invalid-utf8", b'{"a": "\xff\xfe\xc3\x28"}'),
        ("nul-in-key", b'{"a\\u0000b": 1}'),
        ("huge", b'["' + b"a" * (70 << 20) + b'"]'),
    ]
    if isinstance(doc, dict) and doc:
        first = next(iter(doc))
        dup = "{" + json.dumps(first) + ": null, " + valid.strip()[1:]
        out.append(("duplicate-key", dup.encode()))
    if isinstance(doc, list) and doc and isinstance(doc[0], dict) and doc[0]:
        first = next(iter(doc[0]))
        item = json.dumps(doc[0])
        dup = "[{" + json.dumps(first) + ": null, " + item[1:] + "]"
        out.append(("duplicate-key", dup.encode()))
    return out


def read_repo(env, rel):
    with open(os.path.join(env.repo, rel)) as f:
        return f.read()


GOOD_MATRIX = json.dumps({
    "schema": "parity-matrix/1", "generated_at": "2026-11-23T12:00:00Z",
    "runtimes": {"reference": {"name": "a", "version": "1"},
                 "candidate": {"name": "b", "version": "1"}},
    "domains": [{"domain": "read", "status": "pass",
                 "counts": {"parity": 1, "structural": 0, "semantic": 0, "timing": 0,
                            "error": 0},
                 "features": [{"feature": "GET /x", "case": "c", "reference": "200",
                               "candidate": "parity", "divergences": [],
                               "latency_ms": {"reference": 1.0, "candidate": 1.0}}]}],
    "metrics": {}, "verdict": "parity"})

GOOD_DOCUMENTED = json.dumps([{
    "domain": "write", "feature": "POST /api/memory/remember", "path": "importance",
    "class": "semantic", "reason": "defaults differ", "owner": "team",
    "expires": "2099-12-31"}])

GOOD_SHADOW = json.dumps({"ts": "2026-05-01T12:00:00.000Z", "path": "/api/memory/mem-0001",
                          "method": "GET", "primaryStatus": 200, "shadowStatus": 200})


# The input kinds: name -> (builder, the file name its variants are written as). A
# builder returns (a valid file's text or None, [(variant, data[, {command: exit codes}])],
# cmd(path) -> [(argv, exit codes allowed)]).
KINDS = {}


def kind(name, fname):
    """Register the decorated builder as input kind name, its files written as fname."""
    def register(build):
        KINDS[name] = (build, fname)
        return build
    return register


@kind("rules", "rules.json")
def kind_rules(env):
    env.write("a.json", "{}")
    env.write("b.json", "{}")
    cmd = lambda f: [(["compare", "--rules", f, "--endpoint", "GET /x", "a.json", "b.json"],
                      {2})]
    specific = [
        ("ignore-not-array", '{"rules": {"default": {"ignoreFields": "x"}}}'),
        ("endpoints-array", '{"rules": {"default": {}, "endpoints": []}}'),
        ("tolerance-string", '{"rules": {"default": {"tolerance": {"score": "big"}}}}'),
        ("mode-unknown", '{"rules": {"default": {"compareMode": "xml"}}}'),
    ]
    return read_repo(env, "fixtures/rules.json"), specific, cmd


@kind("config", "config.json")
def kind_config(env):
    cmd = lambda f: [(["run", "--config", f, "--out", env.out, "--domain", "read"], {2})]
    base = json.loads(read_repo(env, "parity.json"))

    def with_(**kv):
        c = json.loads(json.dumps(base))
        for k, v in kv.items():
            if k == "name":
                c["runtimes"]["candidate"]["name"] = v
            else:
                c[k] = v
        return json.dumps(c)
    specific = [
        ("runtimes-array", '{"runtimes": []}'),
        ("command-string", with_(runtimes={"reference": {"command": "x"},
                                          "candidate": {"command": ["y"]}})),
        ("timing-negative", with_(timing={"ratio": -1})),
        ("domains-unknown", with_(domains=["reed"])),
        ("dotdot-runtime-name", with_(name=escape_path())),
        ("dotdot-rules", with_(rules=escape_path() + "/rules.json")),
        ("dotdot-llm-dir", with_(llm={"dir": escape_path()})),
    ]
    return read_repo(env, "parity.json"), specific, cmd


@kind("matrix", "matrix.json")
def kind_matrix(env):
    cmd = lambda f: [(["gate", "--matrix", f], {2}),
                     (["merge", "--out", os.path.join(env.out, "m.json"), "--reports",
                       env.out, f], {2})]
    m = json.loads(GOOD_MATRIX)

    def with_(fn):
        c = json.loads(GOOD_MATRIX)
        fn(c)
        return json.dumps(c)
    specific = [
        ("schema-other", with_(lambda c: c.update(schema="parity-matrix/9"))),
        ("domains-object", with_(lambda c: c.update(domains={}))),
        ("candidate-bogus", with_(lambda c: c["domains"][0]["features"][0].update(
            candidate="bogus"))),
        ("domain-twice", with_(lambda c: c["domains"].append(c["domains"][0]))),
        # names other than the nine are allowed (merged as they are): the gate calls the
        # evidence insufficient, merge takes it; neither may write through the name
        ("dotdot-domain", with_(lambda c: c["domains"][0].update(domain=escape_path())),
         {"gate": {3}, "merge": {0}}),
    ]
    del m
    return GOOD_MATRIX, specific, cmd


@kind("documented", "documented.json")
def kind_documented(env):
    good = env.write("good-matrix.json", GOOD_MATRIX)
    cmd = lambda f: [(["gate", "--matrix", good, "--documented", f, "--min-shadow-days", "0"],
                      {2})]
    d = json.loads(GOOD_DOCUMENTED)[0]
    specific = [
        ("object-not-array", json.dumps(d)),
        ("expires-bad", json.dumps([dict(d, expires="tomorrow")])),
        ("class-structural", json.dumps([dict(d, **{"class": "structural"})])),
        ("owner-missing", json.dumps([{k: v for k, v in d.items() if k != "owner"}])),
        ("domain-number", json.dumps([dict(d, domain=7)])),
    ]
    return GOOD_DOCUMENTED, specific, cmd


@kind("domains", "domains.json")
def kind_domains(env):
    log = env.write("good.jsonl", GOOD_SHADOW + "\n")
    cmd = lambda f: [(["shadow-report", "--domains", f, log], {2})]
    specific = [
        ("routes-object", '{"routes": {}}'),
        ("domain-unknown", '{"routes": [{"route": "GET /a", "domain": "reed"}]}'),
        ("star-inside", '{"routes": [{"route": "GET /a/*/b", "domain": "read"}]}'),
    ]
    return read_repo(env, "suites/domains.json"), specific, cmd


@kind("secrets", "secrets.enc")
def kind_secrets(env):
    cmd = lambda f: [(["secrets", "check", "--machine-id", "hostile", f], {2}),
                     (["secrets", "list", f], {2})]
    specific = [
        ("secrets-array", '{"version": 1, "secrets": []}'),
        ("version-string", '{"version": "1", "secrets": {}}'),
        ("version-2", '{"version": 2, "secrets": {}}'),
    ]
    valid = json.dumps({"version": 1, "secrets": {"A": {
        "ciphertext": "AAAA", "created": "2026-01-01T00:00:00.000Z",
        "updated": "2026-01-01T00:00:00.000Z"}}})
    return valid, specific, cmd


@kind("secrets-entries", "secrets.enc")
def kind_secrets_entries(env):
    """Well-formed envelopes with hostile entries: a check failure (exit 1), not bad input."""
    cmd = lambda f: [(["secrets", "check", "--machine-id", "hostile", f], {1}),
                     (["secrets", "list", f], {0})]
    entries = {"NOT_OBJECT": 5, "NO_CT": {"created": "x"}, "BAD_B64": {"ciphertext": "!!!"},
               escape_path(): {"ciphertext": "AAAA"}, "SHORT": {"ciphertext": "AAAA"}}
    return None, [("hostile-entries", json.dumps({"version": 1, "secrets": entries}))], cmd


@kind("llm-set", "set.json")
def kind_llm_set(env):
    cmd = lambda f: [(["llm", "check", "--dir", f], {2})]
    specific = [
        ("entries-number", '{"entries": 5}'),
        ("match-unknown-key", '{"entries": [{"name": "a", "match": {"prefx": "x"}, '
                              '"response": "y"}]}'),
        ("status-string", '{"entries": [{"name": "a", "match": {"prefix": "x"}, '
                          '"response": "y", "status": "500"}]}'),
    ]
    return read_repo(env, "canned-llm/default/base.json"), specific, cmd


@kind("shadow", "shadow.jsonl")
def kind_shadow(env):
    """Shadow logs: broken lines are counted (exit 0/1), unreadable files exit 2."""
    def cmd(f):
        return [(["shadow-report", "--format", "json", f], {0, 1, 2})]
    good = "\n".join([GOOD_SHADOW] * 3) + "\n"
    specific = [
        ("corrupt-gzip", gzip.compress(good.encode())[:30]),
        ("gzip-of-binary", gzip.compress(bytes(range(256)) * 64)),
        ("wrong-types", '{"ts": 5, "path": [], "method": null, "primaryStatus": "x"}\n'),
    ]
    return good, specific, cmd


@kind("schema", "schema-a/001-init.sql")
def kind_schema(env):
    env.write("schema-b/001-init.sql", "CREATE TABLE t (a INTEGER);\n")
    cmd = lambda f: [(["verify-schema", os.path.dirname(f), env.path("schema-b")], {2})]
    specific = [
        ("duplicate-table", "CREATE TABLE t (a);\nCREATE TABLE t (a);\n"),
        ("deep-parens", "CREATE VIEW v AS SELECT " + "(" * 100000 + "1" + ")" * 100000 + ";"),
        ("not-sql", "this is not sql at all;\n"),
        ("empty", "", {"verify-schema": {1}}),  # an empty migration: valid, and drift
    ]
    return None, specific, cmd


@kind("schema-db", "db/a.db")
def kind_schema_db(env):
    env.write("schema-b/001-init.sql", "CREATE TABLE t (a INTEGER);\n")
    cmd = lambda f: [(["verify-schema", f, env.path("schema-b")], {2})]
    rnd = random.Random(3)
    return None, [("garbage.db", bytes(rnd.randrange(256) for _ in range(8192))),
                  ("truncated.db", b"SQLite format 3\0" + b"\0" * 84)], cmd


@kind("suite", "repo/suites/read/hostile.json")
def kind_suite(env):
    """Suite files are read by the plugins during `parity run`: a broken one makes that
    domain an error (exit 3) with a message naming the file."""
    env.write("fixture/MEMORY.md", "# fixture\n")
    ref = runtime_entry(env, "normal")
    cand = runtime_entry(env, "normal")
    cand["name"] = "standin-candidate"
    cfg = env.write("config.json", json.dumps({
        "runtimes": {"reference": ref, "candidate": cand}, "fixture": env.path("fixture"),
        "domains": ["read"], "out": env.out}))
    cmd = lambda f: [(["run", "--config", cfg, "--domain", "read", "--out", env.out,
                       "--plugin-dir", os.path.join(env.build, "plugins")], {2, 3})]
    specific = [
        ("cases-object", '{"cases": {}}'),
        ("case-no-path", '{"cases": [{"name": "x", "method": "GET"}]}'),
        ("case-path-dotdot", '{"cases": [{"name": "x", "method": "GET", "path": "'
                             + escape_path() + '"}]}'),
    ]
    return json.dumps(SUITE), specific, cmd


def s_input(env, kind):
    build, fname = KINDS[kind]
    valid, specific, cmd = build(env)
    variants = generic_variants(valid) if valid else []
    want_of_schema = {}
    if kind in ("schema",):  # SQL, not JSON: the generic byte-level ones only
        rnd = random.Random(5)
        variants = [("binary", bytes(rnd.randrange(256) for _ in range(4096))),
                    ("truncated", b"CREATE TABLE t (a INTEG"),
                    ("huge", b"CREATE TABLE t (" + b"a" * (70 << 20) + b" INTEGER);\n")]
        want_of_schema = {"huge": {"verify-schema": {1}}}  # valid SQL: a 70 MB column name
    want_of = want_of_schema if kind == "schema" else {}
    for v in specific:
        n, d = v[0], v[1]
        if len(v) > 2:
            want_of[n] = v[2]
        variants.append((n, d.encode() if isinstance(d, str) else d))
    failures = []
    for name, data in variants:
        path = env.write(fname, data)
        if kind == "schema-db":
            os.rename(path, env.path("db", name))
            path = env.path("db", name)
        shutil.rmtree(env.out, ignore_errors=True)
        os.makedirs(env.out)
        before = tree(env.tmp, env.out)
        for args, want in cmd(path):
            want = want_of.get(name, {}).get(args[0], want) if name in want_of else want
            try:
                p, secs, rss = env.run(args, env={"PARITY_REPO": env.path("repo")}
                                       if kind == "suite" else None)
            except subprocess.TimeoutExpired:
                failures.append(f"{name}: {args[0]} did not finish")
                continue
            except Fail as e:
                failures.append(f"{name}: {e}")
                continue
            what = f"{name}: parity {' '.join(args[:2])}"
            if p.returncode not in want:
                failures.append(f"{what}: exit {p.returncode}, expected {sorted(want)}")
            if p.returncode == 2 and os.path.basename(path) not in p.stderr and \
                    not (kind == "config" and "escape" in p.stderr):
                failures.append(f"{what}: the message does not name the file: "
                                f"{p.stderr.strip()[-300:]!r}")
            if p.returncode == 2 and len(p.stderr) > 20000:
                failures.append(f"{what}: a {len(p.stderr)}-byte message")
            if kind == "shadow" and p.returncode in (0, 1) and data.strip() and \
                    name not in ("gzip-of-binary",):
                rep = json.loads(p.stdout)
                if name != "wrong-types" and not rep["malformed"]["count"] and \
                        rep["entries"] != 3:
                    failures.append(f"{what}: nothing counted malformed")
            if kind == "shadow" and name == "corrupt-gzip" and p.returncode != 2:
                failures.append(f"{what}: a corrupt gzip stream is not an error")
            if secs > 60 or rss > 1500:
                failures.append(f"{what}: {secs:.0f} s, {rss:.0f} MiB")
        after = tree(env.tmp, env.out)
        new = sorted(x for x in after - before if "/repo/" not in x and
                     not x.endswith(os.path.basename(fname)))
        if new:
            failures.append(f"{name}: files written outside the output folder: {new[:5]}")
        if escaped():
            failures.append(f"{name}: a file was written through a '..' path")
        os.unlink(path)
        print(f"variant {name}: done", flush=True)
    if kind == "suite":
        no_process_left(env.tmp)
    check(not failures, "\n  " + "\n  ".join(failures))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    harness.env_args(ap)
    ap.add_argument("what", choices=["runtime", "input"])
    ap.add_argument("case")
    args = ap.parse_args()
    run = s_runtime if args.what == "runtime" else s_input
    return harness.run_in_env(f"{args.what} {args.case}", Env(args), run, args.case)

if __name__ == "__main__":
    sys.exit(main())
