#!/usr/bin/env python3
"""pipeline.remember-queues: refd's remember queues extraction work as the TypeScript daemon
does, and the pipeline.remember-no-job fault leaves it out as the Rust daemon does
(CONTRACT.md §3.1, §4.2). Starts refd directly (no parity binary) on fresh copies of the
fixture workspace whose pipeline worker is off (memory.pipelineV2.paused: true), so a
queued job stays as remember left it, and checks in memory/memories.db:
  - enabled: a new memory is stored with extraction_status 'pending' and exactly one
    `extract` job, pending, attempts 0, max_attempts = worker.maxRetries (set to 5 here,
    so the value is seen to come from agent.yaml); a deduplicated remember queues nothing;
    another memory gets its own job;
  - the same under --fault pipeline.remember-no-job: no job, extraction_status 'none';
  - memory.pipelineV2.enabled: false: no job, extraction_status 'none'.
usage: remember_queue.py REFD WORKSPACE
"""
import json
import os
import re
import sqlite3
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
import harness  # noqa: E402

REFD, WORKSPACE = sys.argv[1:3]
TMP = tempfile.mkdtemp(prefix="remember-queue-")
PROCS = []
NOTES = "The greenhouse irrigation controller waters the orchid benches twice daily."


fail = harness.fail


def worker_paused(enabled):
    """An edit for render_workspace: the pipeline enabled or not, its worker paused and
    maxRetries 5 in agent.yaml."""
    def edit(name, text):
        if name != "agent.yaml.in":
            return text
        on = "true" if enabled else "false"
        for pat, value in ((r"(pipelineV2:\n\s+enabled:) \w+", on),
                           (r"(pipelineV2:\n\s+enabled: \w+\n\s+paused:) \w+", "true"),
                           (r"(\n\s+maxRetries:) \d+", "5")):
            text, n = re.subn(pat, rf"\1 {value}", text, count=1)
            if not n:
                fail(f"{name}: no match for {pat!r}")
        return text
    return edit


def start(tag, enabled=True, faults=()):
    ws = os.path.join(TMP, tag)
    harness.render_workspace(WORKSPACE, ws, edit=worker_paused(enabled))
    p, port = harness.start_refd([REFD] + [a for f in faults for a in ("--fault", f)], ws,
                                 os.path.join(TMP, tag + ".log"), PROCS, label=f"refd ({tag})")
    return p, port, os.path.join(ws, "memory", "memories.db")


stop = harness.stop_refd


def remember(port, content):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/memory/remember",
                                 data=json.dumps({"content": content, "who": "test"}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 200:
            fail(f"remember answered {r.status}")
        return json.loads(r.read())


def jobs(db, memory_id):
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT job_type, status, attempts, max_attempts FROM memory_jobs"
                           " WHERE memory_id = ? ORDER BY rowid", (memory_id,)).fetchall()
        status = con.execute("SELECT extraction_status FROM memories WHERE id = ?",
                             (memory_id,)).fetchone()
    finally:
        con.close()
    return rows, status[0] if status else None


def check_queues():
    p, port, db = start("enabled")
    first = remember(port, NOTES)
    got = jobs(db, first["id"])
    if got != ([("extract", "pending", 0, 5)], "pending"):
        fail(f"enabled: remember left {got}, expected one pending extract job (attempts 0, "
             "max_attempts 5 from worker.maxRetries) and extraction_status 'pending'")
    again = remember(port, NOTES)
    if not again.get("deduped") or again["id"] != first["id"]:
        fail(f"enabled: the same content again was not deduplicated: {again}")
    if jobs(db, first["id"])[0] != [("extract", "pending", 0, 5)]:
        fail(f"enabled: a deduplicated remember queued work: {jobs(db, first['id'])}")
    other = remember(port, "Lunch trays arrive on Fridays.")
    if jobs(db, other["id"]) != ([("extract", "pending", 0, 5)], "pending"):
        fail(f"enabled: a second memory got {jobs(db, other['id'])}")
    stop(p)
    print("pipeline.remember-queues: enabled: one pending extract job per new memory, none "
          "for a deduplicated remember")


def check_none(tag, **kw):
    p, port, db = start(tag, **kw)
    got = jobs(db, remember(port, NOTES)["id"])
    if got != ([], "none"):
        fail(f"{tag}: remember left {got}, expected no job and extraction_status 'none'")
    stop(p)
    print(f"pipeline.remember-queues: {tag}: no job, extraction_status 'none'")


def main():
    check_queues()
    check_none("fault", faults=["pipeline.remember-no-job"])
    check_none("disabled", enabled=False)
    print("pipeline.remember-queues: ok")


if __name__ == "__main__":
    harness.main_with_cleanup(main, "pipeline.remember-queues", PROCS, TMP)
