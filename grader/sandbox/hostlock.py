"""Measurements never share the host with CPU-heavy steps: a host-wide readers-writer lock.

Every sandboxed step holds the lock *shared* while it runs (`cpu_heavy`); a measurement whose
latency is graded (a load test) holds it *exclusive* (`measured`), so it starts only once no
step of any grading on this host runs, and no step starts until it ends. The lock is a pair of
files locked with flock(2) in `GRADER_LOCK_DIR` (default `/tmp/mlops-grader-locks`), so all
grader processes of a host agree (batch jobs, their verifier processes, parallel test runs),
and a process that dies releases what it held. A turnstile gives a waiting measurement
priority over steps that start after it.

Within one process, steps that run inside a measurement (the measured server itself) do not
take the lock again, and a measurement taken while the process holds the shared lock (a
server it started) gives that up for the measurement and takes it back afterwards.
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_mutex = threading.RLock()
_state = {"shared": 0, "exclusive": 0}
_files: dict[str, int] = {}


def lock_dir() -> Path:
    return Path(os.environ.get("GRADER_LOCK_DIR") or "/tmp/mlops-grader-locks")


def _fd(name: str) -> int:
    if name not in _files:
        folder = lock_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            os.chmod(path, 0o666)  # graders run by other users share it
        except OSError:
            pass
        _files[name] = fd
    return _files[name]


def _take_shared() -> None:
    fcntl.flock(_fd("turnstile"), fcntl.LOCK_EX)
    try:
        fcntl.flock(_fd("host"), fcntl.LOCK_SH)
    finally:
        fcntl.flock(_fd("turnstile"), fcntl.LOCK_UN)


@contextmanager
def cpu_heavy() -> Iterator[None]:
    """Hold the host lock shared while a step runs (a no-op inside this process's measurement)."""
    with _mutex:
        if _state["exclusive"]:
            inside_measurement = True
        else:
            inside_measurement = False
            if _state["shared"] == 0:
                _take_shared()
            _state["shared"] += 1
    try:
        yield
    finally:
        if not inside_measurement:
            with _mutex:
                _state["shared"] -= 1
                if _state["shared"] == 0 and not _state["exclusive"]:
                    fcntl.flock(_fd("host"), fcntl.LOCK_UN)


@contextmanager
def measured() -> Iterator[None]:
    """Hold the host lock exclusively: no step of any grading runs on this host meanwhile."""
    with _mutex:
        nested = _state["exclusive"] > 0
        _state["exclusive"] += 1
        if not nested:
            try:
                if _state["shared"]:
                    fcntl.flock(_fd("host"), fcntl.LOCK_UN)  # before waiting, or two measurements deadlock
                fcntl.flock(_fd("turnstile"), fcntl.LOCK_EX)
                try:
                    fcntl.flock(_fd("host"), fcntl.LOCK_EX)
                finally:
                    fcntl.flock(_fd("turnstile"), fcntl.LOCK_UN)
            except BaseException:
                _state["exclusive"] -= 1
                if _state["shared"]:
                    _take_shared()
                raise
    try:
        yield
    finally:
        with _mutex:
            _state["exclusive"] -= 1
            if not _state["exclusive"]:
                fcntl.flock(_fd("host"), fcntl.LOCK_UN)
                if _state["shared"]:
                    _take_shared()
