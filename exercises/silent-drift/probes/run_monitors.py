"""Runs inside the sandbox: the candidate's monitor on several batches, a few at a time.

    python -I run_monitors.py OUT_DIR IN_DIR PARALLEL TIMEOUT_S NAME...

For each NAME, in the working directory (the candidate's workspace) and this step's
environment:

    python -m credit_risk.monitoring --reference IN_DIR/reference.csv --current IN_DIR/NAME.csv --output TMP/NAME

Names are opaque (`b1`, `b2`, ...): nothing in a monitor's inputs says which batch is a
control. Each run gets its own process group, killed when the run ends or times out. Its
report files are copied to OUT_DIR/NAME.report.json and OUT_DIR/NAME.report.html (regular
files only, size-capped) and the tail of its output to OUT_DIR/NAME.log; exit codes and
durations go to OUT_DIR/runs.json, rewritten after every run. One process per batch costs
an interpreter start and the monitor's imports each time; running a few at once hides most
of it. The trusted side reads all of it as untrusted text.
"""

import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time

MAX_JSON = 8 * 1024 * 1024
MAX_HTML = 64 * 1024 * 1024
LOG_TAIL = 8 * 1024


def copy_regular(src, dest, limit):
    """Copy a regular file (never through a symlink) if it is at most `limit` bytes."""
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


def tail(path, limit):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - limit))
            return f.read()
    except OSError:
        return b""


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def main(out_dir, in_dir, parallel, timeout_s, names):
    scratch = tempfile.mkdtemp(prefix="monitors-")
    runs, pending, running = {}, list(names), {}

    def finish(name, proc, started, timed_out):
        kill_group(proc.pid)
        proc.wait()
        folder = os.path.join(scratch, name)
        runs[name] = {
            "exit_code": None if timed_out else proc.returncode,
            "timed_out": timed_out,
            "duration_s": round(time.monotonic() - started, 2),
            "report_json": copy_regular(os.path.join(folder, "report.json"), os.path.join(out_dir, f"{name}.report.json"), MAX_JSON),
            "report_html": copy_regular(os.path.join(folder, "report.html"), os.path.join(out_dir, f"{name}.report.html"), MAX_HTML),
        }
        with open(os.path.join(out_dir, f"{name}.log"), "wb") as f:
            f.write(tail(os.path.join(scratch, f"{name}.log"), LOG_TAIL))
        with open(os.path.join(out_dir, "runs.json"), "w") as f:
            json.dump(runs, f)

    while pending or running:
        while pending and len(running) < parallel:
            name = pending.pop(0)
            command = [sys.executable, "-m", "credit_risk.monitoring", "--reference", os.path.join(in_dir, "reference.csv"),
                       "--current", os.path.join(in_dir, f"{name}.csv"), "--output", os.path.join(scratch, name)]
            with open(os.path.join(scratch, f"{name}.log"), "wb") as log:
                proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
            running[name] = (proc, time.monotonic())
        time.sleep(0.05)
        for name, (proc, started) in list(running.items()):
            if proc.poll() is not None:
                finish(name, proc, started, timed_out=False)
                del running[name]
            elif time.monotonic() - started > timeout_s:
                finish(name, proc, started, timed_out=True)
                del running[name]


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5:])
