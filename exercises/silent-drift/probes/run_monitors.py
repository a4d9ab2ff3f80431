"""Runs inside the sandbox: the candidate's monitor on many batches, a few at a time.

    python -I run_monitors.py OUT_DIR IN_DIR PARALLEL TIMEOUT_S BUDGET_S

IN_DIR holds `reference.csv` and `runs.csv.gz`: every batch of this step in one file, its
rows tagged with an opaque run name (`r001`, `r002`, ... in the order to run them). For each
run, in the working directory (the candidate's workspace) and this step's environment, the
monitor's fixed interface is run:

    python -m credit_risk.monitoring --reference IN_DIR/reference.csv --current TMP/rNNN.csv --output TMP/rNNN

A fresh interpreter per run would cost an interpreter start and the monitor's imports
(Evidently: several seconds) every time; instead this process imports the candidate's
`credit_risk.monitoring` and its modules once (not `__main__`) and forks a child per run, which runs the package's
`__main__` exactly as `python -m` does (runpy, with that argv) in its own session. Nothing
in a run's name or place says what it is: controls, drift and normal days all look alike.

Per run: exit code (None if it timed out), duration, the size of `report.html`, and
`report.json` copied to OUT_DIR/rNNN.report.json (a regular file, at most 1 MiB); the tail of
its output to OUT_DIR/rNNN.log; all of it in OUT_DIR/runs.json, rewritten after every run.
Runs not started when BUDGET_S is spent are left out. The trusted side reads all of it as
untrusted text.
"""

import csv
import gzip
import importlib
import json
import os
import pkgutil
import runpy
import shutil
import signal
import stat
import sys
import tempfile
import time
import traceback

MAX_JSON = 1024 * 1024
LOG_TAIL = 8 * 1024
RUN_COLUMN = "__run"


def copy_regular(src, dest, limit):
    """Copy a regular file (never through a symlink) if it is at most `limit` bytes; else say why not."""
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return "not written"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        if info.st_size > limit:
            return f"{info.st_size} bytes, over the {limit}-byte limit"
        with open(dest, "wb") as out:
            out.write(f.read(limit))
    return None


def regular_size(path):
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def tail(path, limit):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - limit))
            return f.read()
    except OSError:
        return b""


def split_runs(in_dir, scratch):
    """runs.csv.gz -> scratch/rNNN.csv, one per run, in file order; the run column dropped."""
    order, writers, files = [], {}, {}
    with gzip.open(os.path.join(in_dir, "runs.csv.gz"), "rt", newline="") as source:
        reader = csv.reader(source)
        header = next(reader)
        at = header.index(RUN_COLUMN)
        columns = header[:at] + header[at + 1:]
        for row in reader:
            name = row[at]
            if name not in writers:
                order.append(name)
                files[name] = open(os.path.join(scratch, f"{name}.csv"), "w", newline="")
                writers[name] = csv.writer(files[name])
                writers[name].writerow(columns)
            writers[name].writerow(row[:at] + row[at + 1:])
    for f in files.values():
        f.close()
    return order


#: Libraries of the exercise's environment that monitors use, imported once before the
#: package: a monitor importing Evidently inside a function (as the starter does) would
#: otherwise pay its import (3 s of a 4 s run) in every forked run. Importing a library
#: changes nothing a run computes; one that is missing or fails to import is skipped.
LIBRARIES = ("numpy", "pandas", "scipy.stats", "sklearn", "plotly.graph_objs", "plotly.offline", "plotly.io",
             "evidently", "evidently.core.report", "evidently.presets", "evidently.metrics", "evidently.legacy.report",
             "evidently.legacy.metric_preset", "evidently.legacy.test_suite", "evidently.legacy.tests")


def warm_up():
    """Import, once, what every run imports: the environment's heavy libraries, then the
    monitor package and its modules (not its `__main__`). Returns the package's first error, if any."""
    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a library a monitor may not even use
            continue
    try:
        package = importlib.import_module("credit_risk.monitoring")
        for module in pkgutil.walk_packages(getattr(package, "__path__", []), "credit_risk.monitoring."):
            if not module.name.endswith(".__main__"):
                importlib.import_module(module.name)
    except BaseException as exc:  # each run then fails (or not) on its own, in its own log
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return None


def child(argv, log_path):
    """In the forked child: run the monitor's `__main__` as `python -m credit_risk.monitoring` would."""
    os.setsid()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    code = 0
    try:
        sys.argv = argv
        runpy.run_module("credit_risk.monitoring", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code & 0xFF)


def main(out_dir, in_dir, parallel, timeout_s, budget_s):
    started_step = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="monitors-")
    names = split_runs(in_dir, scratch)
    sys.path.insert(0, os.getcwd())  # what `python -m` puts first: the workspace
    warm = warm_up()
    runs, pending, running = {"_warm_import_error": warm}, list(names), {}

    def finish(name, pid, started, code, timed_out):
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        folder = os.path.join(scratch, name)
        runs[name] = {
            "exit_code": None if timed_out else code,
            "timed_out": timed_out,
            "duration_s": round(time.monotonic() - started, 2),
            "report_json": copy_regular(os.path.join(folder, "report.json"),
                                        os.path.join(out_dir, f"{name}.report.json"), MAX_JSON),
            "report_html_bytes": regular_size(os.path.join(folder, "report.html")),
        }
        with open(os.path.join(out_dir, f"{name}.log"), "wb") as f:
            f.write(tail(os.path.join(scratch, f"{name}.log"), LOG_TAIL))
        with open(os.path.join(out_dir, "runs.json"), "w") as f:
            json.dump(runs, f)
        os.unlink(os.path.join(scratch, f"{name}.csv"))
        shutil.rmtree(folder, ignore_errors=True)  # an HTML report is ~4 MB: /tmp holds a few, not 70

    while pending or running:
        while pending and len(running) < parallel and time.monotonic() - started_step < budget_s:
            name = pending.pop(0)
            argv = ["credit_risk.monitoring", "--reference", os.path.join(in_dir, "reference.csv"),
                    "--current", os.path.join(scratch, f"{name}.csv"), "--output", os.path.join(scratch, name)]
            pid = os.fork()
            if pid == 0:
                child(argv, os.path.join(scratch, f"{name}.log"))
            running[name] = (pid, time.monotonic())
        if not running:
            break  # the budget is spent: what was not started stays out of runs.json
        time.sleep(0.02)
        for name, (pid, started) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                finish(name, pid, started, code, timed_out=False)
                del running[name]
            elif time.monotonic() - started > timeout_s:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                finish(name, pid, started, None, timed_out=True)
                del running[name]
    with open(os.path.join(out_dir, "runs.json"), "w") as f:
        json.dump(runs, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
