#!/usr/bin/env python3
"""pipeline.self-parity: `parity run --domain pipeline` with the repo's parity.json (refd
against refd on the canned LLM) must exit 0 with every row at parity, and the acceptance
group must be there: one decisions row per kind (add, update, delete, none), plus the
jobs, egress and memories rows and the effective-config row; and the remember scenario's
rows: three remembers (one deduplicated) queued two extract jobs, both completed.
Usage: self_parity.py PARITY REPO"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    parity, repo = sys.argv[1], sys.argv[2]
    out = tempfile.mkdtemp(prefix="parity-pipeline-")
    try:
        p = subprocess.run([parity, "run", "--config", os.path.join(repo, "parity.json"),
                            "--domain", "pipeline", "--out", out],
                           capture_output=True, text=True, timeout=100)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        with open(os.path.join(out, "matrix.json")) as f:
            m = json.load(f)
        d = next(x for x in m["domains"] if x["domain"] == "pipeline")
        rows = {r["case"]: r for r in d["features"]}
        bad = [(r["case"], r["candidate"], r.get("error")) for r in d["features"]
               if r["candidate"] != "parity"]
        assert not bad, f"rows not at parity: {bad}"
        assert p.returncode == 0, f"exit {p.returncode}"
        want = ["effective-config", "extract-decisions/jobs", "extract-decisions/egress",
                "extract-decisions/memories"] + \
               [f"extract-decisions/decision-{k}" for k in ("add", "update", "delete", "none")]
        # the scenario whose work remember queued (suites/pipeline/remember.json)
        want += ["remember-extract/remember-jobs", "remember-extract/jobs",
                 "remember-extract/egress", "remember-extract/memories"] + \
                [f"remember-extract/decision-{k}" for k in ("add", "update", "none")]
        missing = [w for w in want if w not in rows]
        assert not missing, f"missing rows: {missing}"
        for k in ("add", "update", "delete", "none"):
            r = rows[f"extract-decisions/decision-{k}"]
            assert r["feature"] == "pipeline decisions", r
            assert not r["reference"].startswith("0 "), f"{k}: {r['reference']}"
        assert rows["extract-decisions/jobs"]["reference"] == \
            "3 jobs: 2 completed, 1 dead", rows["extract-decisions/jobs"]["reference"]
        r = rows["remember-extract/remember-jobs"]
        assert r["feature"] == "pipeline remember jobs", r
        assert r["reference"] == "3 remembers, 2 jobs queued", r["reference"]
        assert rows["remember-extract/jobs"]["reference"] == "2 jobs: 2 completed", \
            rows["remember-extract/jobs"]["reference"]
        print("ok:", len(rows), "pipeline rows at parity")
    except (AssertionError, StopIteration, OSError, ValueError) as e:
        print(f"FAIL: {e!r}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
