#!/usr/bin/env python3
"""End-to-end scenarios for `parity run`: real processes on loopback.

Each scenario runs the built `parity` binary against refd (or a small stand-in runtime
written here) and checks the exit code, the matrix it wrote, and that no runtime process
or temporary folder outlives the run. Usage: e2e.py --parity BIN --repo DIR --build DIR
SCENARIO [ARG].
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from harness import (Fail, check, domain_of as domain, no_process_left,  # noqa: E402
                     parity_rows, processes_in, run_cleaned_up)
import harness  # noqa: E402

# A stand-in runtime: answers /health at once; other requests after `delay` seconds with
# {}; exits with status 1 after `answers` non-health requests when answers >= 0.
STANDIN = r'''
import http.server, os, sys, time
port, delay, answers = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
count = 0
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def reply(self):
        global count
        if self.path != "/health":
            if answers >= 0 and count >= answers:
                os._exit(1)
            count += 1
            time.sleep(delay)
        body = b'{"status":"healthy"}' if self.path == "/health" else b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = reply
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
'''


class Env(harness.Env):
    TMP_PREFIX = "parity-e2e-"

    def base_config(self):
        with open(os.path.join(self.repo, "parity.json")) as f:
            return json.load(f)

    def write_config(self, cfg):
        path = os.path.join(self.tmp, "config.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        return path

    def run(self, args, timeout=90):
        return harness.run([self.parity] + args, timeout=timeout)

    def matrix(self):
        return harness.matrix_of(self.out)

    def run_tmp(self):
        return harness.run_tmp(self.out)


def standin(cfg, side, delay, answers):
    cfg["runtimes"][side] = {
        "name": "standin",
        "command": [sys.executable, "-c", STANDIN, "{port}", str(delay), str(answers)],
        "cwd": "{workspace}",
        "start_timeout_ms": 10000,
        "stop_timeout_ms": 2000,
    }


def s_self_parity(env, _):
    p = env.run(["run", "--domain", "read", "--out", env.out])
    m = env.matrix()
    check(m["schema"] == "parity-matrix/1", "matrix schema")
    rows = parity_rows(p, m, "read")
    check(len(rows) >= 20, f"only {len(rows)} read rows")
    known = [r for r in rows if r["case"].startswith("recall-known")]
    check(len(known) >= 10, f"{len(known)} known-memory recall rows, expected 10")
    for name in ("matrix.md", "junit.xml", "report.html"):
        check(os.path.getsize(os.path.join(env.out, name)) > 0, f"{name} missing")
    check(m["metrics"]["reference"]["startup_ms"] > 0, "no startup metric")
    check(m["metrics"]["candidate"]["rss_kb"] > 0, "no rss metric")
    run_cleaned_up(env.out)


def s_fault(env, name):
    with open(os.path.join(env.repo, "fixtures/refd/faults.json")) as f:
        fault = next(x for x in json.load(f) if x["fault"] == name)
    cfg = env.base_config()
    cfg["runtimes"]["candidate"]["command"] += ["--fault", name]
    path = env.write_config(cfg)
    p = env.run(["run", "--config", path, "--domain", fault["domain"], "--out", env.out])
    want = 0 if fault["class"] == "parity" else 1
    check(p.returncode == want, f"exit {p.returncode}, expected {want}")
    d = domain(env.matrix(), fault["domain"])
    rows = d["features"]
    hit = [r for r in rows if r["feature"] == fault["feature"]]
    check(hit, f"no row for feature {fault['feature']}")
    if fault["class"] == "parity":
        bad = [r for r in rows if r["candidate"] != "parity"]
        check(not bad, f"a harmless fault was flagged: {bad[:2]}")
    else:
        check(any(r["candidate"] == fault["class"] for r in hit),
              f"feature {fault['feature']} rows are {[r['candidate'] for r in hit]}, "
              f"expected {fault['class']}")
        others = [r for r in rows if r["feature"] != fault["feature"]
                  and r["candidate"] != "parity"]
        check(not others, f"other rows diverge: {others[:2]}")
    no_process_left(env.run_tmp())


def s_never_healthy(env, _):
    cfg = env.base_config()
    cfg["runtimes"]["candidate"] = {"name": "sleeper", "command": ["sleep", "60"],
                                    "cwd": "{workspace}", "start_timeout_ms": 700,
                                    "stop_timeout_ms": 500}
    p = env.run(["run", "--config", env.write_config(cfg), "--domain", "read",
                 "--out", env.out])
    check(p.returncode == 3, f"exit {p.returncode}, expected 3")
    check("sleeper" in p.stderr and "candidate" in p.stderr,
          "the error does not name the runtime")
    d = domain(env.matrix(), "read")
    check(d["status"] == "error", f"read status {d['status']}")
    no_process_left(env.run_tmp())


def s_exits_at_start(env, _):
    cfg = env.base_config()
    cfg["runtimes"]["candidate"] = {
        "name": "quitter", "cwd": "{workspace}", "start_timeout_ms": 5000,
        "command": ["sh", "-c", "echo boom-marker-42 >&2; exit 7"]}
    p = env.run(["run", "--config", env.write_config(cfg), "--domain", "read",
                 "--out", env.out])
    check(p.returncode == 3, f"exit {p.returncode}, expected 3")
    check("boom-marker-42" in p.stderr, "the error does not quote the runtime's log")
    check("quitter" in p.stderr, "the error does not name the runtime")
    no_process_left(env.run_tmp())


def s_crash_mid_run(env, _):
    cfg = env.base_config()
    standin(cfg, "candidate", 0.0, 3)
    p = env.run(["run", "--config", env.write_config(cfg), "--domain", "read",
                 "--out", env.out])
    check(p.returncode == 3, f"exit {p.returncode}, expected 3")
    d = domain(env.matrix(), "read")
    errors = [r for r in d["features"] if r["candidate"] == "error"]
    check(len(errors) >= 5, f"only {len(errors)} error rows after the crash")
    check(any("exited" in (r.get("error") or "") for r in errors),
          f"error rows do not say the runtime exited: {errors[:1]}")
    check(len(d["features"]) >= 20, "the remaining cases were not all recorded")
    no_process_left(env.run_tmp())


def start_slow_run(env):
    cfg = env.base_config()
    standin(cfg, "candidate", 30.0, -1)
    proc = subprocess.Popen([env.parity, "run", "--config", env.write_config(cfg),
                             "--domain", "read", "--out", env.out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = os.path.join(env.out, "parity.log")
    deadline = time.time() + 30
    while time.time() < deadline:
        if os.path.exists(log):
            with open(log) as f:
                if f.read().count("healthy on port") >= 2:
                    break
        time.sleep(0.1)
    else:
        proc.kill()
        raise Fail("the runtimes never became healthy")
    time.sleep(0.5)
    return proc


def s_interrupt(env, _):
    proc = start_slow_run(env)
    tmp = env.run_tmp()
    check(processes_in(tmp), "no runtime process found while running")
    t0 = time.time()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    sys.stderr.write(err)
    check(proc.returncode == 3, f"exit {proc.returncode} after Ctrl-C, expected 3")
    check(time.time() - t0 < 15, "parity took too long to stop after Ctrl-C")
    check("interrupted" in err, "no message about the interruption")
    no_process_left(tmp)
    check(not os.path.exists(tmp), f"{tmp} was not removed after Ctrl-C")


def s_parent_killed(env, _):
    proc = start_slow_run(env)
    tmp = env.run_tmp()
    check(processes_in(tmp), "no runtime process found while running")
    proc.kill()
    proc.communicate(timeout=30)
    no_process_left(tmp, wait=10)
    shutil.rmtree(tmp, ignore_errors=True)


def s_bad_config(env, _):
    cfg = env.base_config()
    cfg["runtimes"]["candidate"]["command"] = "not-an-array"
    path = env.write_config(cfg)
    p = env.run(["run", "--config", path, "--out", env.out])
    check(p.returncode == 2, f"exit {p.returncode}, expected 2")
    check("runtimes.candidate.command" in p.stderr and path in p.stderr,
          "the message does not name the file and the key")
    with open(path, "w") as f:
        f.write('{"runtimes": {\n  "reference": }')
    p = env.run(["run", "--config", path, "--out", env.out])
    check(p.returncode == 2 and f"{path}:2:" in p.stderr,
          "a JSON syntax error is not reported with its line")


def s_schema_self_parity(env, _):
    """refd against refd in the schema domain: every expected row present and at parity."""
    p = env.run(["run", "--domain", "schema", "--out", env.out])
    rows = {r["feature"]: r for r in parity_rows(p, env.matrix(), "schema")}
    for feat in ("table memories", "table memory_history", "table memories_fts",
                 "schema_migrations", "candidate db opened by reference",
                 "reference db opened by candidate"):
        check(feat in rows, f"no row for {feat}; rows: {sorted(rows)}")
    shadows = [f for f in rows if f.startswith("table memories_fts_")]
    check(not shadows, f"FTS shadow tables got rows: {shadows}")
    check(rows["table memories"]["case"] == "fresh-schema", "table rows are not fresh-schema")
    check(re.match(r"\d+ columns, \d+ indexes", rows["table memories"]["reference"]),
          f"memories summary {rows['table memories']['reference']!r}")
    check(rows["schema_migrations"]["reference"].startswith("versions 1-"),
          f"ledger summary {rows['schema_migrations']['reference']!r}")
    for feat in ("candidate db opened by reference", "reference db opened by candidate"):
        check(rows[feat]["reference"] == "healthy, 200, 10 memories",
              f"{feat}: reference {rows[feat]['reference']!r}")
    run_cleaned_up(env.out)


def s_write_self_parity(env, _):
    """refd against refd in the write domain: steps, database rows, crash and rollback
    rows all present and at parity, and the runtimes gone afterwards."""
    p = env.run(["run", "--domain", "write", "--out", env.out])
    rows = parity_rows(p, env.matrix(), "write")
    feats = {r["feature"] for r in rows}
    for feat in ("POST /api/memory/remember", "DELETE /api/memory/:id",
                 "POST /api/memory/:id/recover", "POST /api/memory/modify",
                 "PATCH /api/memory/:id", "db: memories", "db: memory_history",
                 "crash consistency", "rollback: reference reads candidate writes"):
        check(feat in feats, f"no row for {feat}; features: {sorted(feats)}")
    by_case = {(r["feature"], r["case"]): r for r in rows}
    again = by_case.get(("POST /api/memory/remember", "remember-dedup-same-content/again"))
    check(again and again["reference"] == "200 deduped",
          f"the repeated remember was not deduplicated: {again}")
    twice = by_case.get(("DELETE /api/memory/:id", "delete-twice/delete-again"))
    check(twice and twice["reference"] == "409", f"second delete: {twice}")
    crash = [r for r in rows if r["feature"] == "crash consistency"]
    check(sorted(r["case"] for r in crash) == ["candidate", "reference"],
          f"crash rows: {[r['case'] for r in crash]}")
    for r in crash:
        check(r["reference"].endswith("all complete"), f"crash row: {r['reference']!r}")
    roll = [r for r in rows if r["feature"].startswith("rollback")]
    check(roll[0]["reference"] == "5 of 5 listed, 5 recalled", f"rollback: {roll[0]}")
    run_cleaned_up(env.out)


def s_replay_self_parity(env, _):
    """refd against refd in the replay domain: every step of our corpus (suites/replay)
    gives its three rows at parity, and the expectations held on both sides."""
    p = env.run(["run", "--domain", "replay", "--out", env.out])
    rows = parity_rows(p, env.matrix(), "replay")
    cases = {r["case"] for r in rows}
    for c in ("remember-idempotency-key/retry with the same key",
              "remember-idempotency-key/retry with the same key expected",
              "remember-idempotency-key/retry with the same key state",
              "recall-skips-deleted", "recall-skips-deleted expected",
              "forget-soft-deletes state"):
        check(c in cases, f"no row for case {c!r}; cases: {sorted(cases)}")
    held = [r for r in rows if r["case"].endswith(" expected")]
    check(len(held) == 7 and all(r["reference"] == "reference: held; candidate: held"
                                 for r in held), f"expectation rows: {held}")
    state = [r for r in rows if r["case"].endswith(" state")]
    check(all(r.get("depth") == "state" for r in state), "a state row is not depth state")
    forget = next(r for r in state if r["case"] == "forget-soft-deletes state")
    check(forget["feature"] == "DELETE /api/memory/mem-replay-forget",
          f"the feature keeps the query: {forget['feature']}")
    run_cleaned_up(env.out)


def s_replay_fault(env, _):
    """A candidate that deletes rows instead of marking them: the replay domain finds it in
    what the forget step left behind, and the case's expectation breaks on the candidate
    only (class expectation, not a divergence); every other step stays at parity."""
    cfg = env.base_config()
    cfg["runtimes"]["candidate"]["command"] += ["--fault", "write.no-soft-delete"]
    p = env.run(["run", "--config", env.write_config(cfg), "--domain", "replay",
                 "--out", env.out])
    check(p.returncode == 1, f"exit {p.returncode}, expected 1")
    d = domain(env.matrix(), "replay")
    by_case = {r["case"]: r for r in d["features"]}
    state = by_case["forget-soft-deletes state"]
    check(state["candidate"] in ("structural", "semantic"), f"state row: {state}")
    exp = by_case["forget-soft-deletes expected"]
    check(exp["candidate"] == "expectation", f"expectation row: {exp}")
    check(exp["reference"].startswith("reference: held; candidate: "), exp["reference"])
    check(all(dv["message"].startswith("candidate: ") for dv in exp["divergences"]),
          f"divergences: {exp['divergences']}")
    check(d["counts"].get("expectation") == 1, f"counts: {d['counts']}")
    others = [r for r in d["features"] if not r["case"].startswith("forget-soft-deletes")
              and r["candidate"] != "parity"]
    check(not others, f"other rows diverge: {others[:2]}")
    no_process_left(env.run_tmp())


def s_mcp_self_parity(env, _):
    """refd against refd in the mcp domain: every case at parity, negotiation as specified."""
    p = env.run(["run", "--domain", "mcp", "--out", env.out])
    rows = parity_rows(p, env.matrix(), "mcp")
    feats = {r["feature"] for r in rows}
    for feat in ("MCP /initialize", "MCP /notifications/initialized", "MCP /tools/list",
                 "MCP /tools/call/memory_search", "MCP /tools/call/memory_store",
                 "MCP /tools/call/memory_get", "MCP /tools/call/memory_list", "MCP /ping",
                 "MCP /errors/unknown-method", "MCP /errors/bad-params",
                 "MCP /errors/bad-envelope", "MCP /errors/parse-error",
                 "MCP /errors/missing-accept"):
        check(feat in feats, f"no row for {feat}; rows: {sorted(feats)}")
    by_case = {r["case"]: r["reference"] for r in rows}
    want = {"initialize-2025-03-26": "200, protocol 2025-03-26",
            "initialize-unsupported-version": "200, protocol 2025-06-18",
            "initialized": "202", "tools-list": "200, 4 tools",
            "unknown-method": "200, error -32601", "call-missing-argument": "200, error -32602",
            "envelope-wrong-version": "400, error -32600", "parse-error": "400, error -32700",
            "missing-accept": "406, error -32000", "get-unknown-id": "200, tool error"}
    for case, ref in want.items():
        check(by_case.get(case) == ref, f"{case}: reference {by_case.get(case)!r}, expected {ref!r}")
    # the same suite over stdio (parity.json names `refd mcp-stdio`), HTTP-only cases left out
    want = {"initialize-2025-03-26 (stdio)": "protocol 2025-03-26", "initialized (stdio)": "no reply",
            "tools-list (stdio)": "4 tools", "unknown-method (stdio)": "error -32601",
            "envelope-wrong-version (stdio)": "error -32600", "parse-error (stdio)": "error -32700",
            "get-stored (stdio)": "result"}
    for case, ref in want.items():
        check(by_case.get(case) == ref, f"{case}: reference {by_case.get(case)!r}, expected {ref!r}")
    check("missing-accept (stdio)" not in by_case, "an HTTP-only case ran over stdio")
    http = [r for r in rows if not r["case"].endswith(" (stdio)")]
    stdio = [r for r in rows if r["case"].endswith(" (stdio)")]
    check(len(stdio) == len(http) - 3, f"{len(stdio)} stdio rows for {len(http)} HTTP rows")
    logs = os.listdir(os.path.join(env.out, "runtimes"))
    check("refd-reference-mcp-stdio.log" in logs, f"no stdio log among {logs}")
    run_cleaned_up(env.out)


def s_mcp_stdio_misconfigured(env, _):
    """A stdio command on one side only, then one that cannot start: one error row each
    time (feature "MCP stdio"), the HTTP rows unharmed, exit 3, no process left."""
    cfg = env.base_config()
    del cfg["runtimes"]["candidate"]["mcp_stdio"]
    p = env.run(["run", "--config", env.write_config(cfg), "--domain", "mcp", "--out", env.out])
    check(p.returncode == 3, f"exit {p.returncode}, expected 3")
    rows = domain(env.matrix(), "mcp")["features"]
    err = [r for r in rows if r["candidate"] != "parity"]
    check(len(err) == 1 and err[0]["feature"] == "MCP stdio" and err[0]["candidate"] == "error",
          f"rows not at parity: {err[:3]}")
    check("candidate" in err[0]["error"] and "mcp_stdio" in err[0]["error"], err[0]["error"])
    check(not [r for r in rows if r["case"].endswith(" (stdio)")], "stdio rows without a command")
    no_process_left(env.run_tmp())

    cfg = env.base_config()
    cfg["runtimes"]["candidate"]["mcp_stdio"]["command"] = [sys.executable, "-c", "import sys; sys.exit(4)"]
    p = env.run(["run", "--config", env.write_config(cfg), "--domain", "mcp", "--out", env.out])
    check(p.returncode == 3, f"exit {p.returncode}, expected 3")
    rows = domain(env.matrix(), "mcp")["features"]
    err = [r for r in rows if r["candidate"] != "parity"]
    check(len(err) == 1 and err[0]["candidate"] == "error", f"rows not at parity: {err[:3]}")
    check("candidate over stdio" in err[0]["error"] and "exited with status 4" in err[0]["error"],
          err[0]["error"])
    no_process_left(env.run_tmp())


def s_gitsync_self_parity(env, _):
    """refd against refd in the gitsync domain: auto-commits made with the upstream message
    format and compared with libgit2, the database never committed, push and pull against
    the local bare remotes, every row at parity, and the runtimes gone afterwards."""
    if not os.path.exists(os.path.join(env.build, "plugins", "gitsync.so")):
        print("skip: the gitsync plugin is not built (libgit2 missing)")
        return
    t0 = time.time()
    p = env.run(["run", "--domain", "gitsync", "--out", env.out], timeout=110)
    rows = parity_rows(p, env.matrix(), "gitsync")
    by = {(r["feature"], r["case"]): r["reference"] for r in rows}
    for feat in ("GET /api/git/status", "GET /api/git/config", "POST /api/git/push",
                 "POST /api/git/pull", "POST /api/git/sync", "git commits", "git tree",
                 "git .gitignore", "git never-committed", "git remote"):
        check(any(f == feat for f, _ in by), f"no row for {feat}")
    first = by.get(("git commits", "agents-md"), "")
    check(first.startswith("1 new commit: <ts>_auto_AGENTS.md"),
          f"agents-md commits: {first!r}")
    check(by.get(("git .gitignore", "agents-md")) == ".gitignore committed, 5/5 protected entries",
          f"gitignore: {by.get(('git .gitignore', 'agents-md'))!r}")
    check("memory/memories.db " in by.get(("git never-committed", "agents-md"), "") + " ",
          "the database is not listed as never committed")
    check(by.get(("git remote", "remote-after-push"), "").startswith("3 commits on origin/main"),
          f"remote: {by.get(('git remote', 'remote-after-push'))!r}")
    check(by.get(("git commits", "after-pull")) == "1 new commit: remote: add notes/from-remote.md",
          f"after pull: {by.get(('git commits', 'after-pull'))!r}")
    # route coverage: the remote and the pulled commits are what the push and the pull did
    notes = {(r["feature"], r["case"]): (r.get("route"), r.get("depth")) for r in rows}
    check(notes[("git remote", "remote-after-push")] == ("POST /api/git/push", "state"),
          f"remote row's route: {notes[('git remote', 'remote-after-push')]}")
    check(notes[("git tree", "after-pull")] == ("POST /api/git/pull", "state"),
          f"after-pull row's route: {notes[('git tree', 'after-pull')]}")
    check(notes[("POST /api/git/sync", "sync")] == ("POST /api/git/sync", None),
          f"an HTTP case's route: {notes[('POST /api/git/sync', 'sync')]}")
    check(notes[("git commits", "agents-md")] == (None, None),
          "an auto-commit drives no route")
    print(f"gitsync domain wall time {time.time() - t0:.1f} s")
    run_cleaned_up(env.out)


SCENARIOS = {
    "replay-self-parity": s_replay_self_parity,
    "replay-fault": s_replay_fault,
    "gitsync-self-parity": s_gitsync_self_parity,
    "mcp-self-parity": s_mcp_self_parity,
    "mcp-stdio-misconfigured": s_mcp_stdio_misconfigured,
    "write-self-parity": s_write_self_parity,
    "schema-self-parity": s_schema_self_parity,
    "self-parity": s_self_parity,
    "fault": s_fault,
    "never-healthy": s_never_healthy,
    "exits-at-start": s_exits_at_start,
    "crash-mid-run": s_crash_mid_run,
    "interrupt": s_interrupt,
    "parent-killed": s_parent_killed,
    "bad-config": s_bad_config,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    harness.env_args(ap)
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("arg", nargs="?")
    args = ap.parse_args()
    return harness.run_in_env(f"{args.scenario} {args.arg or ''}", Env(args),
                              SCENARIOS[args.scenario], args.arg)

if __name__ == "__main__":
    sys.exit(main())
