"""A real Dask scheduler and real Dask workers, as processes on 127.0.0.1 in one folder.

Used by the cluster tests and by bench/bench_cluster.py. Killing a worker kills everything
it started (its gradings' verifiers and sandboxes), as a host that dies would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DASK = str(Path(sys.executable).parent / "dask")


class DaskProcesses:
    def __init__(self, root: Path, env: dict[str, str] | None = None):
        self.root = root
        self.env = {**os.environ, **(env or {})}
        self.scheduler: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        self.address = ""
        root.mkdir(parents=True, exist_ok=True)

    def _start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "ab")
        tmp = self.root / f"{name}-tmp"
        tmp.mkdir(exist_ok=True)
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**self.env, "TMPDIR": str(tmp), **(env or {})}, cwd=self.root)

    def start_scheduler(self, timeout_s: float = 120) -> str:
        info = self.root / "scheduler.json"
        info.unlink(missing_ok=True)
        self.scheduler = self._start("scheduler", [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                                   "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(info)])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.scheduler.poll() is not None:
                raise RuntimeError(f"dask scheduler exited: {(self.root / 'scheduler.log').read_text()[-2000:]}")
            try:
                self.address = json.loads(info.read_text())["address"]
                return self.address
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        raise RuntimeError("dask scheduler did not start")

    def start_worker(self, name: str, slots: int = 1, env: dict[str, str] | None = None) -> None:
        self.workers[name] = self._start(name, [
            DASK, "worker", self.address, "--name", name, "--nthreads", str(slots), "--resources", f"grading={slots}",
            "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(self.root / f"{name}-dask"),
        ], env)

    def wait_for_workers(self, count: int, timeout_s: float = 300) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout_s, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=timeout_s)

    def kill(self, name: str) -> None:
        """SIGKILL a worker and everything it started."""
        proc = self.workers.pop(name)
        _kill_group(proc)

    def stop_scheduler(self) -> None:
        if self.scheduler is not None:
            _kill_group(self.scheduler)
            self.scheduler = None

    def stop(self) -> None:
        for name in list(self.workers):
            self.kill(name)
        self.stop_scheduler()


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process and all its descendants (the verifier runs in a session of its own)."""
    import psutil

    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for pid in [proc.pid, *(p.pid for p in family)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=60)
