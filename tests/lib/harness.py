"""What the Python end-to-end tests share (tests/*/*.py, fixtures/refd/tests/*.py).

A failed check raises Fail; the built `parity` is run with its output echoed and its
matrix read back; a run's temporary folder is found in its log, and processes left under
a folder are found through /proc; the fixture workspace is copied and its *.in files
rendered as the harness renders them; refd is started on a free port read from its log
and stopped with SIGTERM; a scenario runs in an Env (the built parity, the repo and build
folders, a temporary folder) and a script's main turns Fail into its exit status. Scripts import it with
`sys.path.insert(0, <repo>/tests/lib)`; it uses the standard library only.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def fail(what):
    raise Fail(what)


# ---- the parity binary and what it writes ----------------------------------------------

def run(argv, timeout=90, echo=True, **kw):
    """Run argv with its output captured as text (and echoed unless echo is False)."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if echo:
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
    return p


def matrix_of(out):
    with open(os.path.join(out, "matrix.json")) as f:
        return json.load(f)


def domain_of(m, name, missing=None):
    """The entry of domain name in matrix m; Fail(missing or a default) when absent."""
    for d in m["domains"]:
        if d["domain"] == name:
            return d
    raise Fail(missing or f"the matrix has no domain {name}")


def parity_rows(p, m, name, shown=3, status=True, missing=None):
    """The rows of domain name after a run that must exit 0 with every row at parity
    (and the domain's status "pass" when status is set); shown: offenders quoted."""
    check(p.returncode == 0, f"exit {p.returncode}, expected 0")
    d = domain_of(m, name, missing)
    if status:
        check(d["status"] == "pass", f"{name} status {d['status']}")
    rows = d["features"]
    bad = [r for r in rows if r["candidate"] != "parity"]
    check(not bad, f"rows not at parity: {bad[:shown]}")
    return rows


def run_tmp(out):
    """The run's temporary folder, from the first line of parity.log in out."""
    with open(os.path.join(out, "parity.log")) as f:
        m = re.search(r"tmp (/tmp/parity-\w+)", f.read())
    check(m, "parity.log names no temporary folder")
    return m.group(1)


# ---- processes a run leaves behind -----------------------------------------------------

def processes_in(prefix):
    """(pid, command line) of live processes whose cwd or command line lies under prefix."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and (cwd.startswith(prefix) or prefix in cmd):
            found.append((int(pid), cmd))
    return found


def no_process_left(prefix, wait=5.0, kill=False):
    """Fail unless every process under prefix is gone within wait seconds; with kill set
    the ones left are killed first, so they do not leak into the next test."""
    deadline = time.time() + wait
    while time.time() < deadline:
        if not processes_in(prefix):
            return
        time.sleep(0.1)
    left = processes_in(prefix)
    for pid, _ in left if kill else ():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    check(False, f"processes outlived the run: {left}")


def run_cleaned_up(out):
    """The run that wrote out left no process and removed its temporary folder."""
    tmp = run_tmp(out)
    no_process_left(tmp)
    check(not os.path.exists(tmp), f"{tmp} was not removed")


# ---- fixture workspaces and refd -------------------------------------------------------

def placeholders(dst):
    """The values the tests give a workspace's placeholders without a harness run."""
    return (("{workspace}", dst), ("{home}", dst + "-home"), ("{port}", "0"),
            ("{llm_url}", "http://127.0.0.1:9"), ("{repo}", "/repo"), ("{shared}", "/shared"))


def render_workspace(src, dst, values=None, edit=None):
    """Copy the fixture workspace src to dst, writing each NAME.in as NAME with the
    placeholders of values (default: placeholders(dst)) filled in; edit(name, text), when
    given, returns the text to write for the template name."""
    shutil.copytree(src, dst)
    for root, _, files in os.walk(dst):
        for name in files:
            if not name.endswith(".in"):
                continue
            path = os.path.join(root, name)
            with open(path) as f:
                text = f.read()
            for k, v in values if values is not None else placeholders(dst):
                text = text.replace(k, v)
            if edit:
                text = edit(name, text)
            with open(path[:-3], "w") as f:
                f.write(text)
            os.remove(path)


def start_refd(argv, ws, log_path, procs, label="refd", stdout=subprocess.DEVNULL, tries=100,
               pause=0.1):
    """Start refd (argv: the binary and its options) on workspace ws with a free port,
    adding it to procs (for main_with_cleanup); returns (process, port) once its log at
    log_path says where it listens. stdout None: into the log too."""
    log = open(log_path, "w+")
    env = dict(os.environ, SIGNET_PATH=ws, SIGNET_PORT="0", SIGNET_BIND="127.0.0.1")
    p = subprocess.Popen(argv, env=env, stdout=log if stdout is None else stdout, stderr=log)
    procs.append(p)
    for _ in range(tries):
        log.seek(0)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", log.read())
        if m:
            return p, int(m.group(1))
        if p.poll() is not None:
            fail(f"{label} exited with {p.returncode} during start")
        time.sleep(pause)
    fail(f"{label} did not start within {tries * pause:.0f} s")


def stop_refd(p):
    """SIGTERM, and refd must exit 0 within 10 s."""
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        fail("refd still runs 10 s after SIGTERM")
    if rc != 0:
        fail(f"refd exited with {rc} after SIGTERM")


def main_with_cleanup(main, name, procs, tmp):
    """Run main() of a script that starts processes itself: Fail exits with
    "<name>: <why>", and every process of procs is killed and tmp removed either way."""
    try:
        main()
    except Fail as e:
        raise SystemExit(f"{name}: {e}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


# ---- scenarios -------------------------------------------------------------------------

def env_args(ap):
    """The options every parity end-to-end script takes, on argparse parser ap."""
    ap.add_argument("--parity", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--build", required=True)


class Env:
    """What a scenario runs with: the built parity, the repo and build folders (from
    env_args), and a fresh temporary folder tmp (named after TMP_PREFIX) with out/, its
    output folder, in it; cleanup removes tmp."""
    TMP_PREFIX = "parity-test-"

    def __init__(self, args):
        self.parity = args.parity
        self.repo = args.repo
        self.build = args.build
        self.tmp = tempfile.mkdtemp(prefix=self.TMP_PREFIX)
        self.out = os.path.join(self.tmp, "out")

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_in_env(label, env, scenario, *args):
    """Run scenario(env, *args), then env.cleanup(); prints "ok <label>" or, on Fail,
    "FAIL <label>: <why>" on stderr, and returns the exit code."""
    try:
        scenario(env, *args)
    except Fail as e:
        print(f"FAIL {label}: {e}", file=sys.stderr)
        return 1
    finally:
        env.cleanup()
    print(f"ok {label}")
    return 0


def run_scenario(label, scenario, *args, tmp_prefix="parity-test-", to=sys.stdout):
    """Run scenario(*args, tmp) with a fresh temporary folder tmp, removed afterwards;
    prints "<label>: ok" or "<label>: FAIL: <why>" (to `to`) and returns the exit code."""
    tmp = tempfile.mkdtemp(prefix=tmp_prefix)
    try:
        scenario(*args, tmp)
    except Fail as e:
        print(f"{label}: FAIL: {e}", file=to)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{label}: ok")
    return 0
