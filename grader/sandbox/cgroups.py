"""A throwaway control group per sandboxed step, where the machine lets us make one.

It gives the local backend what rlimits cannot: a memory limit on the whole process tree,
a process-count limit that also holds for root, a CPU quota, a way to kill every process
of a step (even a `setsid` grandchild) and the facts for the report (OOM kill, peak
memory). Works with cgroup v2 (controllers delegated) and v1 (one hierarchy per
controller). `Cgroup.create` returns None where neither is writable, and the caller falls
back to rlimits.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


def _own_path(controller: str | None) -> str:
    """This process's cgroup path for a v1 controller, or the v2 path when None."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _id, controllers, path = line.split(":", 2)
        if (controller is None and controllers == "") or (controller and controller in controllers.split(",")):
            return path.lstrip("/")
    return ""


def count_oom_kills(text: str) -> int:
    """`oom_kill N` from memory.events (v2) or memory.oom_control (v1)."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "oom_kill" and parts[1].isdigit():
            return int(parts[1])
    return 0


def _write(path: Path, value: str) -> None:
    path.write_text(value)


@dataclass
class Cgroup:
    dirs: dict[str, Path]  # controller ("memory", "pids", "cpu" or "unified") -> directory
    v2: bool

    @classmethod
    def create(cls, memory_bytes: int, pids: int, cpus: float) -> "Cgroup | None":
        name = f"grader-{uuid.uuid4().hex[:12]}"
        try:
            return cls._create_v2(name, memory_bytes, pids, cpus) or cls._create_v1(name, memory_bytes, pids, cpus)
        except OSError:
            return None

    @classmethod
    def _create_v2(cls, name, memory_bytes, pids, cpus) -> "Cgroup | None":
        base = ROOT if (ROOT / "cgroup.controllers").exists() else None
        if base is None:
            return None
        parent = base / _own_path(None)
        # The parent must delegate memory and pids; a process-holding cgroup cannot (no
        # internal processes rule), so a nested leaf is made under our own cgroup's parent.
        for candidate in (parent, parent.parent):
            enabled = (candidate / "cgroup.subtree_control").read_text().split() if candidate.exists() else []
            if {"memory", "pids"} <= set(enabled):
                d = candidate / name
                d.mkdir()
                cg = cls(dirs={"unified": d}, v2=True)
                _write(d / "memory.max", str(memory_bytes))
                if (d / "memory.swap.max").exists():
                    _write(d / "memory.swap.max", "0")
                _write(d / "pids.max", str(pids))
                if "cpu" in enabled:
                    _write(d / "cpu.max", f"{int(cpus * PERIOD_US)} {PERIOD_US}")
                return cg
        return None

    @classmethod
    def _create_v1(cls, name, memory_bytes, pids, cpus) -> "Cgroup | None":
        if not (ROOT / "memory" / "cgroup.procs").exists() or not (ROOT / "pids" / "cgroup.procs").exists():
            return None
        dirs = {}
        try:
            for controller in ("memory", "pids", "cpu"):
                hierarchy = ROOT / controller
                if not (hierarchy / "cgroup.procs").exists():
                    continue
                d = hierarchy / _own_path(controller) / name
                d.mkdir()
                dirs[controller] = d
            cg = cls(dirs=dirs, v2=False)
            _write(dirs["memory"] / "memory.limit_in_bytes", str(memory_bytes))
            swap = dirs["memory"] / "memory.memsw.limit_in_bytes"
            if swap.exists():
                _write(swap, str(memory_bytes))
            _write(dirs["pids"] / "pids.max", str(pids))
            if "cpu" in dirs:
                _write(dirs["cpu"] / "cpu.cfs_period_us", str(PERIOD_US))
                _write(dirs["cpu"] / "cpu.cfs_quota_us", str(int(cpus * PERIOD_US)))
            return cg
        except OSError:
            for d in dirs.values():
                try:
                    d.rmdir()
                except OSError:
                    pass
            raise

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs.values()]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for f in self.procs_files:
            try:
                found.update(int(x) for x in Path(f).read_text().split())
            except OSError:
                pass
        return sorted(found)

    def kill_all(self, wait_s: float = 5.0) -> None:
        """SIGKILL every process in the group until none is left."""
        kill_file = self.dirs.get("unified", Path("/nonexistent")) / "cgroup.kill"
        deadline = time.monotonic() + wait_s
        while True:
            if kill_file.exists():
                try:
                    _write(kill_file, "1")
                except OSError:
                    pass
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if not self.pids() or time.monotonic() > deadline:
                return
            time.sleep(0.02)

    def oom_kills(self) -> int:
        """Processes killed by the OOM killer in this group so far."""
        path = self.dirs["unified"] / "memory.events" if self.v2 else self.dirs["memory"] / "memory.oom_control"
        try:
            return count_oom_kills(path.read_text())
        except OSError:
            return 0

    def oom_killed(self) -> bool:
        if self.oom_kills():
            return True
        if self.v2:
            return False
        d = self.dirs["memory"]
        at_limit = int((d / "memory.max_usage_in_bytes").read_text()) >= int((d / "memory.limit_in_bytes").read_text())
        return int((d / "memory.failcnt").read_text()) > 0 and at_limit

    def peak_memory(self) -> int | None:
        try:
            if self.v2:
                peak = self.dirs["unified"] / "memory.peak"
                return int(peak.read_text()) if peak.exists() else None
            return int((self.dirs["memory"] / "memory.max_usage_in_bytes").read_text())
        except OSError:
            return None

    def pids_limit_hit(self) -> bool:
        d = self.dirs.get("unified") or self.dirs["pids"]
        try:
            for line in (d / "pids.events").read_text().splitlines():
                key, value = line.split()
                if key == "max" and int(value) > 0:
                    return True
        except OSError:
            pass
        return False

    def remove(self) -> None:
        self.kill_all()
        for d in self.dirs.values():
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
