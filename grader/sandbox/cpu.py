"""Did a step get the CPU it was promised? Telling a slow submission from a starved host.

A step that hits its wall-time limit is the candidate's failure only if it had its share of
the CPU. The kernel keeps, for every task, the time it ran and the time it sat runnable on a
run queue waiting for a CPU (`/proc/<pid>/task/<tid>/schedstat`, in nanoseconds). A task that
sleeps (a hostile `time.sleep`) waits on nothing; a task on a busy host waits a lot. So a
step is *starved* when it ran for far less than its share (wall time x its CPU limit) and
its tasks spent a good part of the wall time waiting for a CPU: a fault of the host, to be
retried and then reported as inconclusive, never held against the candidate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Far less than its share: under this fraction of wall time x CPUs actually run.
RAN_FRACTION = 0.35
#: ... while waiting for a CPU at least this fraction of the wall time (summed over tasks).
WAITED_FRACTION = 0.25


@dataclass(frozen=True)
class CpuTimes:
    ran_s: float
    waited_s: float


def parse_schedstat(text: str) -> CpuTimes:
    """Sum `ran waited slices` lines (nanoseconds) as read from schedstat files."""
    ran = waited = 0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            ran += int(parts[0])
            waited += int(parts[1])
    return CpuTimes(ran / 1e9, waited / 1e9)


def task_times(pids: list[int]) -> CpuTimes | None:
    """CPU run and wait times of every thread of `pids`, as the host's /proc sees them."""
    lines = []
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                lines.append(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text())
            except OSError:
                continue
    return parse_schedstat("\n".join(lines)) if lines else None


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (a scan of /proc; for steps without a cgroup)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def starvation(times: CpuTimes | None, wall_s: float, cpus: float) -> str | None:
    """Why the step counts as starved by the host, or None if it had its share (or we cannot tell)."""
    if times is None or wall_s <= 0:
        return None
    share = wall_s * max(cpus, 0.01)
    if times.ran_s < RAN_FRACTION * share and times.waited_s >= WAITED_FRACTION * wall_s:
        return (f"the host was too busy: in {wall_s:.0f} s the step ran {times.ran_s:.1f} s of its "
                f"{share:.0f} s CPU share and waited {times.waited_s:.0f} s for a CPU")
    return None
