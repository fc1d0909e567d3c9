#!/usr/bin/env python3
"""End-to-end tests of `parity shadow`, the live shadow proxy: refd as primary, refd with
a fault (or a broken fake) as shadow, traffic through the proxy, SIGTERM, then the
parity-shadow/1 log read back (docs/shadow.md).

Usage: proxy.py --parity P --repo R --build B CASE
  fault     shadow = refd --fault read.missing-field: structural entries at GET
            /api/memory/:id, no values or query strings in the log, writes skipped;
            then `parity shadow-report` and `parity gate --shadow` on the log report the
            fault's class at its endpoint
  hang      shadow accepts and never answers: the primary path stays fast, entries of
            class error "timeout", clean stop
  dead      shadow port closed: error "connect"
  garbage   shadow answers bytes that are not HTTP: error "garbage"
  state     --shadow-writes with --state-db-*: a shadow storing tags otherwise
            (write.tags-storage) gives one remember entry with state divergences only;
            the ids each side generated are paired (a later GET by the primary's id
            reaches the shadow's row, no id divergence)
  too-large --max-body under an answer's size: the client gets it whole, the exchange is
            an error entry "too-large", not compared
  overflow  hanging shadow, --queue 2: overflow counted in the stop event, never waited on
  usage     bad options exit 2, an unreachable primary exits 3
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness as h  # noqa: E402

SECRET = "s3cr3t-query-value"


class FakeShadow:
    """A TCP server that misbehaves: 'hang' accepts and reads but never answers,
    'garbage' answers every request with bytes that are not HTTP and closes."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stop = False
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.mode == "garbage":
                threading.Thread(target=self.garbage, args=(c,), daemon=True).start()

    def garbage(self, c):
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                c.sendall(b"\x00\x17garbage \xff\xfe not http at all\r\n\r\n")
                c.close()
                break
        except OSError:
            pass

    def close(self):
        self.stop = True
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def dead_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_proxy(env, primary, shadow, log, procs, *extra):
    err = open(os.path.join(env.tmp, "proxy.err"), "w+")
    argv = [env.parity, "shadow", "--listen", "0", "--primary", primary, "--shadow", shadow,
            "--rules", os.path.join(env.repo, "fixtures", "rules.json"), "--log", log] + list(extra)
    p = subprocess.Popen(argv, stderr=err)
    procs.append(p)
    for _ in range(100):
        err.seek(0)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", err.read())
        if m:
            return p, int(m.group(1)), err
        if p.poll() is not None:
            err.seek(0)
            h.fail(f"parity shadow exited with {p.returncode} at start: {err.read()}")
        time.sleep(0.1)
    h.fail("parity shadow did not start within 10 s")


def stop_proxy(p, err, within=15):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=within)
    except subprocess.TimeoutExpired:
        h.fail(f"parity shadow still runs {within} s after SIGTERM")
    err.seek(0)
    sys.stderr.write(err.read())
    h.check(rc == 0, f"parity shadow exited with {rc} after SIGTERM")


def read_log(path):
    entries, events = [], []
    with open(path) as f:
        for no, line in enumerate(f, 1):
            d = json.loads(line)
            h.check(d.get("format") == "parity-shadow/1", f"line {no}: format {d.get('format')}")
            (events if "event" in d else entries).append(d)
    return entries, events


def check_entry_shape(e):
    for k in ("ts", "request_id", "method", "path", "endpoint", "rule", "domain", "class",
              "paths", "divergences", "status", "latency_ms"):
        h.check(k in e, f"entry without {k}: {e}")
    h.check("?" not in e["path"] and "?" not in e["endpoint"], f"query string logged: {e}")
    for d in e["divergences"]:
        h.check(set(d) == {"class", "kind", "path"}, f"divergence with more than class, kind, "
                f"path: {d}")
    h.check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e["ts"]), f"ts {e['ts']}")


def refd_pair(env, procs, fault=None):
    ws = []
    for n in ("primary", "shadow"):
        d = os.path.join(env.tmp, "ws-" + n)
        h.render_workspace(os.path.join(env.repo, "fixtures", "workspaces", "default"), d)
        ws.append(d)
    refd = os.path.join(env.build, "fixtures", "refd", "refd")
    pa, porta = h.start_refd([refd], ws[0], os.path.join(env.tmp, "primary.log"), procs,
                             label="primary refd")
    if fault is None:
        return pa, porta
    pb, portb = h.start_refd([refd, "--fault", fault], ws[1], os.path.join(env.tmp, "shadow.log"),
                             procs, label="shadow refd")
    return pa, porta, pb, portb


def get(conn, path, method="GET", body=None):
    t0 = time.perf_counter()
    conn.request(method, path, body=body, headers={"Authorization": "Bearer " + SECRET,
                                                  "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    return r.status, data, (time.perf_counter() - t0) * 1000


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


def case_fault(env, procs):
    pa, porta, pb, portb = refd_pair(env, procs, "read.missing-field")
    log = os.path.join(env.tmp, "shadow.jsonl")
    p, port, err = start_proxy(env, f"http://127.0.0.1:{porta}", f"http://127.0.0.1:{portb}",
                               log, procs)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    direct = http.client.HTTPConnection("127.0.0.1", porta, timeout=10)
    st, body, _ = get(conn, "/api/memories?limit=5")
    h.check(st == 200, f"GET /api/memories through the proxy: {st}")
    ids = [m["id"] for m in json.loads(body)["memories"]]
    h.check(ids, "no memories in the fixture")
    for i in ids:
        st, body, _ = get(conn, f"/api/memory/{i}?token={SECRET}")
        st2, body2, _ = get(direct, f"/api/memory/{i}?token={SECRET}")
        h.check((st, body) == (st2, body2), f"the proxy changed the primary's answer for {i}")
    # a write: not replayed without --shadow-writes
    st, _, _ = get(conn, "/api/memory/remember", "POST",
                   json.dumps({"content": "proxy test memory " + SECRET}))
    h.check(st < 500, f"POST /api/memory/remember through the proxy: {st}")
    time.sleep(0.5)
    stop_proxy(p, err)
    with open(log) as f:
        text = f.read()
    h.check(SECRET not in text, "a secret (header, query or body value) reached the log")
    entries, events = read_log(log)
    kinds = [e["event"] for e in events]
    h.check(kinds[0] == "start" and kinds[-1] == "stop", f"events {kinds}")
    stop = events[-1]
    h.check(stop["skipped_writes"] == 1, f"skipped_writes {stop['skipped_writes']}, expected 1")
    h.check(stop["drained"] is True, "the queue was not drained")
    h.check(stop["divergent"] == len(entries), f"divergent {stop['divergent']} but "
            f"{len(entries)} entries")
    hit = [e for e in entries if e["rule"] == "GET /api/memory/:id"]
    h.check(len(hit) == len(ids), f"{len(hit)} entries under GET /api/memory/:id, expected "
            f"{len(ids)}: {entries}")
    for e in entries:
        check_entry_shape(e)
    for e in hit:
        h.check(e["class"] == "structural" and e["domain"] == "read",
                f"class {e['class']} domain {e['domain']}")
        h.check(e["status"] == {"primary": 200, "shadow": 200}, f"status {e['status']}")
        h.check(isinstance(e["latency_ms"]["shadow"], float), "no shadow latency")
    # shadow-report and gate read the log as the third format (core/src/shadow/log_parity.c)
    r = h.run([env.parity, "shadow-report", "--format", "json", log])
    h.check(r.returncode == 1, f"shadow-report exited {r.returncode}, expected 1 (structural)")
    rep = json.loads(r.stdout)
    h.check(rep["domains"].get("read", {}).get("structural", 0) >= len(ids),
            f"shadow-report read domain: {rep['domains'].get('read')}")
    h.check(any(f["class"] == "structural" and "/api/memory/" in f["endpoint"]
                for f in rep["fingerprints"]), f"fingerprints {rep['fingerprints']}")
    r = h.run([env.parity, "gate", "--format", "json", "--shadow", log])
    h.check(r.returncode in (1, 3), f"gate exited {r.returncode} on a structural shadow log")
    g = json.loads(r.stdout)
    h.check(any(x.get("domain") == "read" for x in g["reasons"]), f"gate reasons {g['reasons']}")


def case_state(env, procs):
    """--shadow-writes with both databases: a shadow that stores tags otherwise
    (write.tags-storage) answers a remember alike, and the state snapshot finds the row."""
    pa, porta, pb, portb = refd_pair(env, procs, "write.tags-storage")
    log = os.path.join(env.tmp, "shadow.jsonl")
    dbs = [os.path.join(env.tmp, "ws-" + n, "memory", "memories.db")
           for n in ("primary", "shadow")]
    p, port, err = start_proxy(env, f"http://127.0.0.1:{porta}", f"http://127.0.0.1:{portb}",
                               log, procs, "--shadow-writes", "--state-db-primary", dbs[0],
                               "--state-db-shadow", dbs[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    st, body, _ = get(conn, "/api/memory/remember", "POST",
                      json.dumps({"content": "The proxy state check stores two tags.",
                                  "tags": "harbor,ferry"}))
    h.check(st == 200, f"POST /api/memory/remember through the proxy: {st} {body[:200]!r}")
    mid = json.loads(body)["id"]
    # the client names the primary's id; the shadow is asked with its own
    st, _, _ = get(conn, f"/api/memory/{mid}")
    h.check(st == 200, f"GET /api/memory/{mid}: {st}")
    st, _, _ = get(conn, "/api/memories?limit=3")
    h.check(st == 200, f"GET /api/memories: {st}")
    time.sleep(0.5)
    stop_proxy(p, err)
    entries, events = read_log(log)
    stop = events[-1]
    h.check(stop["skipped_writes"] == 0, f"skipped_writes {stop['skipped_writes']} with "
            "--shadow-writes")
    hit = [e for e in entries if e["endpoint"] == "POST /api/memory/remember"]
    h.check(len(hit) == 1, f"{len(hit)} remember entries, expected 1: {entries}")
    state = [d for d in hit[0]["divergences"] if d["kind"] == "state"]
    h.check(any(d["path"].startswith("db.memories.tags") for d in state),
            f"no state divergence at db.memories.tags: {hit[0]['divergences']}")
    h.check(all(d["kind"] == "state" for d in hit[0]["divergences"]),
            f"the answers differ too (the generated ids were not paired?): "
            f"{hit[0]['divergences']}")
    for e in entries:
        h.check(e["status"]["shadow"] != 404, f"the shadow did not know the id: {e}")
        h.check(not any(d["path"] == "id" or d["path"].endswith(".id")
                        for d in e["divergences"]), f"an id differs: {e}")
    for e in entries:
        check_entry_shape(e)
    with open(log) as f:
        h.check("harbor" not in f.read(), "a stored value reached the log")


def broken_shadow(env, procs, shadow_url, expect_error, extra=()):
    pa, porta = refd_pair(env, procs)
    log = os.path.join(env.tmp, "shadow.jsonl")
    p, port, err = start_proxy(env, f"http://127.0.0.1:{porta}", shadow_url, log, procs,
                               "--shadow-timeout-ms", "1000", "--drain-ms", "3000", *extra)
    direct = http.client.HTTPConnection("127.0.0.1", porta, timeout=10)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    lat_d, lat_p = [], []
    for i in range(200):
        path = "/api/memories?limit=3" if i % 2 else "/health"
        st, _, ms = get(direct, path)
        lat_d.append(ms)
        st2, _, ms2 = get(conn, path)
        h.check(st2 == st == 200, f"{path}: direct {st}, through the proxy {st2}")
        lat_p.append(ms2)
    p50d, p99d, p50p, p99p = pct(lat_d, .5), pct(lat_d, .99), pct(lat_p, .5), pct(lat_p, .99)
    print(f"direct p50 {p50d:.2f} ms p99 {p99d:.2f} ms; proxy p50 {p50p:.2f} ms p99 {p99p:.2f} ms")
    h.check(p99p < p99d + 50, f"p99 through the proxy {p99p:.1f} ms against {p99d:.1f} ms direct")
    t0 = time.time()
    stop_proxy(p, err)
    print(f"stopped in {time.time() - t0:.1f} s")
    entries, events = read_log(log)
    stop = events[-1]
    h.check(stop["event"] == "stop", f"last event {stop}")
    h.check(stop["forwarded"] == 200, f"forwarded {stop['forwarded']}")
    h.check(entries, "no entry written for a broken shadow")
    for e in entries:
        check_entry_shape(e)
        h.check(e["class"] == "error", f"class {e['class']}")
        h.check(e["divergences"] == [{"class": "error", "kind": "shadow-failed", "path": ""}],
                f"divergences {e['divergences']}")
        h.check(e["latency_ms"]["shadow"] is None, "a shadow latency without an answer")
    errs = {e["error"] for e in entries}
    h.check(errs == {expect_error}, f"errors {errs}, expected {expect_error}")
    return stop


def case_hang(env, procs):
    f = FakeShadow("hang")
    try:
        stop = broken_shadow(env, procs, f"http://127.0.0.1:{f.port}", "timeout")
        h.check(stop["dropped"] > 0, "200 requests to a hanging shadow with 1 s timeouts "
                "dropped nothing")
    finally:
        f.close()


def case_dead(env, procs):
    stop = broken_shadow(env, procs, f"http://127.0.0.1:{dead_port()}", "connect")
    h.check(stop["shadow_errors"] == stop["replayed"] == 200, f"stop {stop}")


def case_garbage(env, procs):
    f = FakeShadow("garbage")
    try:
        broken_shadow(env, procs, f"http://127.0.0.1:{f.port}", "garbage")
    finally:
        f.close()


def case_too_large(env, procs):
    """--max-body smaller than an answer: the client still gets the whole answer, the
    exchange is not compared but logged as class error "too-large"."""
    pa, porta, pb, portb = refd_pair(env, procs, "read.missing-field")
    log = os.path.join(env.tmp, "shadow.jsonl")
    p, port, err = start_proxy(env, f"http://127.0.0.1:{porta}", f"http://127.0.0.1:{portb}",
                               log, procs, "--max-body", "64")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    direct = http.client.HTTPConnection("127.0.0.1", porta, timeout=10)
    st, body, _ = get(conn, "/api/memories?limit=5")
    st2, body2, _ = get(direct, "/api/memories?limit=5")
    h.check(st == 200 and len(body) > 64, f"the answer through the proxy: {st}, {len(body)} bytes")
    h.check(body == body2, "the proxy cut or changed the primary's answer")
    st, _, _ = get(conn, "/health")
    time.sleep(0.3)
    stop_proxy(p, err)
    entries, events = read_log(log)
    big = [e for e in entries if e["path"] == "/api/memories"]
    h.check(len(big) == 1 and big[0]["class"] == "error" and big[0].get("error") == "too-large",
            f"entries {entries}")
    for e in entries:
        check_entry_shape(e)


def case_overflow(env, procs):
    f = FakeShadow("hang")
    try:
        pa, porta = refd_pair(env, procs)
        log = os.path.join(env.tmp, "shadow.jsonl")
        p, port, err = start_proxy(env, f"http://127.0.0.1:{porta}", f"http://127.0.0.1:{f.port}",
                                   log, procs, "--queue", "2", "--workers", "1",
                                   "--shadow-timeout-ms", "5000", "--drain-ms", "200")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        lat = []
        for _ in range(100):
            st, _, ms = get(conn, "/health")
            h.check(st == 200, f"/health through the proxy: {st}")
            lat.append(ms)
        h.check(max(lat) < 1000, f"a request waited {max(lat):.0f} ms: the queue blocked")
        time.sleep(1.5)  # one overflow event
        t0 = time.time()
        stop_proxy(p, err)
        h.check(time.time() - t0 < 5, "stop took longer than the drain time allows")
        entries, events = read_log(log)
        stop = events[-1]
        h.check(stop["dropped"] >= 97, f"dropped {stop['dropped']}, expected at least 97")
        h.check(stop["drained"] is False, "a hanging shadow's queue reported as drained")
        h.check(any(e["event"] == "overflow" and e["dropped"] > 0 for e in events),
                f"no overflow event: {events}")
    finally:
        f.close()


def case_usage(env, procs):
    pa, porta = refd_pair(env, procs)
    log = os.path.join(env.tmp, "x.jsonl")
    base = [env.parity, "shadow", "--primary", f"http://127.0.0.1:{porta}", "--shadow",
            "http://127.0.0.1:9", "--log", log]
    db = os.path.join(env.tmp, "one.db")
    open(db, "w").close()
    for argv, code, what in (
            (base, 2, "--listen missing"),
            (base + ["--listen", "0", "--bind", "10.1.2.3"], 2, "non-loopback bind"),
            (base + ["--listen", "0", "--queue", "0"], 2, "--queue 0"),
            (base + ["--listen", "0", "--nope"], 2, "unknown option"),
            (base + ["--listen", "0", "--state-db-primary", "x"], 2, "one state db"),
            (base + ["--listen", "0", "--state-db-primary", db, "--state-db-shadow",
                     os.path.join(env.tmp, ".", "one.db")], 2, "one database for both sides"),
            (base + ["--listen", "0", "--same", "no-equals-sign"], 2, "--same without '='"),
            ([env.parity, "shadow", "--listen", "0", "--primary", f"http://127.0.0.1:{porta}",
              "--shadow", f"http://127.0.0.1:{porta}", "--log", log], 2,
             "the primary as its own shadow"),
            ([env.parity, "shadow", "--listen", "0", "--primary",
              f"http://127.0.0.1:{dead_port()}", "--shadow", "http://127.0.0.1:9", "--log", log],
             3, "unreachable primary")):
        r = h.run(argv, timeout=20)
        h.check(r.returncode == code, f"{what}: exit {r.returncode}, expected {code}")
    r = h.run([env.parity, "shadow", "--help"])
    h.check(r.returncode == 0 and "--shadow-writes" in r.stdout, "shadow --help")
    cfg = os.path.join(env.tmp, "cfg.json")
    with open(cfg, "w") as f:
        json.dump({"shadow": {"listen": 0, "primary": f"http://127.0.0.1:{porta}",
                              "shadow": "http://127.0.0.1:9", "log": log, "bogus": 1}}, f)
    r = h.run([env.parity, "shadow", "--config", cfg])
    h.check(r.returncode == 2 and "bogus" in r.stderr, "unknown config key accepted")
    with open(cfg, "w") as f:
        json.dump({"shadow": {"listen": 0, "primary": f"http://127.0.0.1:{porta}",
                              "shadow": f"http://127.0.0.1:{dead_port()}", "log": log,
                              "queue": 8}}, f)
    err = open(os.path.join(env.tmp, "cfg.err"), "w+")
    p = subprocess.Popen([env.parity, "shadow", "--config", cfg], stderr=err)
    procs.append(p)
    for _ in range(100):
        err.seek(0)
        if "listening on" in err.read():
            break
        time.sleep(0.1)
    stop_proxy(p, err)
    _, events = read_log(log)
    h.check(events[0]["event"] == "start" and events[0]["queue"] == 8, f"start {events[0]}")


CASES = {"fault": case_fault, "state": case_state, "too-large": case_too_large, "hang": case_hang, "dead": case_dead, "garbage": case_garbage,
         "overflow": case_overflow, "usage": case_usage}


def main():
    ap = argparse.ArgumentParser()
    h.env_args(ap)
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    env = h.Env(args)
    procs = []
    h.main_with_cleanup(lambda: CASES[args.case](env, procs), f"proxy.{args.case}", procs,
                        env.tmp)
    print(f"proxy.{args.case}: ok")


if __name__ == "__main__":
    main()
