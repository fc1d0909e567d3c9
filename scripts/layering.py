#!/usr/bin/env python3
"""The folders of core/src depend on each other one way only (core/README.md, "Folders,
along the data path"): this reads every `#include "<folder>/x.h"` line of core/src/**,
prints each include whose folder the including folder may not use, as file:line, and
exits 1 when there is any (0 otherwise, 2 for bad usage). The table below is the one in
core/README.md; change both together.

Usage: layering.py [--repo DIR]   (default: the repo this script is in)
"""
import argparse
import os
import re
import sys

# folder -> the folders of core/src it may include from (besides itself); `lib` and the
# plugin ABI (core/include/parity, included as "parity/...") are open to every folder.
LOWEST = set()
ALLOWED = {
    "cli": None,  # uses every folder
    "run": {"plugin", "runtime", "llm", "compare", "matrix", "measure", "schema", "secrets",
            "domain"},
    "gate": {"matrix", "shadow", "measure", "compare", "domain", "coverage"},
    "report": {"matrix"},
    "matrix": {"compare", "domain", "coverage"},
    "coverage": {"compare"},
    "shadow": {"compare", "domain"},
    "proxy": {"compare", "domain"},
    "measure": LOWEST,
    "plugin": LOWEST,
    "runtime": LOWEST,
    "llm": LOWEST,
    "compare": LOWEST,
    "schema": LOWEST,
    "secrets": LOWEST,
    "domain": LOWEST,
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/[^"]+"')


def check(src):
    """Yield (path, line number, from folder, to folder) of every forbidden include."""
    for root, dirs, files in os.walk(src):
        dirs.sort()
        rel = os.path.relpath(root, src)
        folder = rel.split(os.sep)[0]
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            if folder == ".":
                yield path, 0, "(top)", "a file outside the folders"
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for no, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m or m.group(1) in ("parity", folder):
                        continue
                    to = m.group(1)
                    if folder not in ALLOWED:
                        yield path, no, folder, to
                    elif ALLOWED[folder] is not None and to not in ALLOWED[folder]:
                        yield path, no, folder, to


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))))
    args = ap.parse_args()
    src = os.path.join(args.repo, "core", "src")
    if not os.path.isdir(src):
        print("layering.py: %s: no such folder" % src, file=sys.stderr)
        return 2
    bad = 0
    for path, no, frm, to in check(src):
        bad += 1
        where = os.path.relpath(path, args.repo)
        if frm not in ALLOWED:
            print("%s:%d: folder '%s' is not in the table (core/README.md)" % (where, no, frm))
        elif no == 0:
            print("%s: a source file outside the folders of core/src" % where)
        else:
            allowed = ", ".join(sorted(ALLOWED[frm])) or "lib only"
            print("%s:%d: %s -> %s is not allowed (%s may use: %s)" %
                  (where, no, frm, to, frm, allowed))
    if bad:
        print("layering: %d forbidden include(s)" % bad)
        return 1
    print("layering: every include of core/src follows the table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
