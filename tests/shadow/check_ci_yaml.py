#!/usr/bin/env python3
"""Check the GitHub Actions example of docs/ci.md: every ```yaml block parses, and the
workflow has what the document promises: a per-domain job over a matrix strategy running
`parity run --domain`, a merge job running `parity merge`, `parity gate`, JUnit results
uploaded, and matrix.md appended to $GITHUB_STEP_SUMMARY.

usage: check_ci_yaml.py docs/ci.md      exit 0 ok, 1 failure, 77 PyYAML missing (skip)
"""
import re
import sys

try:
    import yaml
except ImportError:
    print("PyYAML is not installed (Debian: python3-yaml); skipping")
    sys.exit(77)


def main(path):
    with open(path) as f:
        text = f.read()
    blocks = re.findall(r"^```ya?ml\n(.*?)^```", text, re.S | re.M)
    if not blocks:
        print("%s: no ```yaml block" % path)
        return 1
    docs = []
    for i, b in enumerate(blocks):
        try:
            docs.append(yaml.safe_load(b))
        except yaml.YAMLError as e:
            print("%s: yaml block %d does not parse: %s" % (path, i + 1, e))
            return 1
    wf = next((d for d in docs if isinstance(d, dict) and "jobs" in d), None)
    if wf is None:
        print("%s: no block is a workflow with jobs" % path)
        return 1
    problems = []
    jobs = wf["jobs"]
    runs = {}
    for name, job in jobs.items():
        steps = job.get("steps", [])
        runs[name] = "\n".join(str(s.get("run", "")) + str(s.get("uses", "")) +
                               str(s.get("with", "")) for s in steps)
    shard = [n for n, j in jobs.items()
             if "domain" in j.get("strategy", {}).get("matrix", {})]
    if not shard:
        problems.append("no job with strategy.matrix.domain")
    else:
        domains = jobs[shard[0]]["strategy"]["matrix"]["domain"]
        nine = ["schema", "read", "write", "pipeline", "auth", "watcher", "gitsync", "mcp",
                "secrets"]
        if sorted(domains) != sorted(nine):
            problems.append("matrix.domain is not the nine domains: %r" % domains)
        if "parity run" not in runs[shard[0]] or "--domain" not in runs[shard[0]]:
            problems.append("the per-domain job does not run 'parity run --domain'")
        if "upload-artifact" not in runs[shard[0]]:
            problems.append("the per-domain job does not upload its matrix")
    allruns = "\n".join(runs.values())
    for needle, what in [("parity merge", "a merge step"), ("parity gate", "a gate step"),
                         ("GITHUB_STEP_SUMMARY", "matrix.md in the job summary"),
                         ("junit", "JUnit results")]:
        if needle not in allruns:
            problems.append("missing %s (%s)" % (what, needle))
    needs = [n for n, j in jobs.items() if j.get("needs")]
    if not needs:
        problems.append("no job depends on the per-domain jobs (needs:)")
    for p in problems:
        print("%s: %s" % (path, p))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
