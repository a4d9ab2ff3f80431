"""Benchmark the candidate-tests step: what running the candidate's own tests adds to a grading.

    .venv/bin/python bench/bench_candidate_tests.py [--exercise ID] [--overlay DIR ...] [--rounds 3] [--workers 2]

By default it measures the skew exercise's reference solution (its tests are in
`exercises/training-serving-skew/solution/tests`): the step alone, `--rounds` times, on the
local backend (bubblewrap), with the exercise's limits. For each round: the step's wall time,
the CPU time of this process and everything it starts (a cgroup-v1 `cpuacct` group of its own,
where the host lets it make one, since sandboxed processes are not reaped by it), each pytest
run's seconds, and the load average before and after, since a busy host stretches the wall time.
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from grader import candidate_tests, catalog
from grader.checkout import fetch
from grader.publish import commit_overlay, publish, solution
from grader.sandbox import Limits, choose

CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def cpu_meter():
    """A function giving the CPU seconds used so far by this process and its descendants, or None."""
    group = CPUACCT / f"grader-bench-{os.getpid()}"
    try:
        group.mkdir()
        (group / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        return lambda: None
    atexit.register(_leave, group)
    return lambda: int((group / "cpuacct.usage").read_text()) / 1e9


def _leave(group: Path) -> None:
    """Move back to the root group and remove ours (empty once the step's processes are gone)."""
    try:
        (CPUACCT / "cgroup.procs").write_text(str(os.getpid()))
        group.rmdir()
    except OSError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="training-serving-skew")
    parser.add_argument("--overlay", action="append", help="overlays on the starter (default: the reference solution)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=candidate_tests.WORKERS)
    args = parser.parse_args()
    candidate_tests.WORKERS = args.workers
    exercise = catalog.get_exercise(args.exercise)
    root = Path(tempfile.mkdtemp(prefix="grader-bench-candidate-tests-"))
    try:
        repo = root / "repo"
        publish(exercise, repo)
        for overlay in args.overlay or [solution(exercise, root)]:
            commit_overlay(repo, Path(overlay), f"overlay {Path(overlay).name}")
        submission = fetch(str(repo), None, root / "submission")
        limits = Limits.from_resources(exercise.spec.resources)
        choice = choose("local", limits, trusted=True, allow_unsandboxed=False, hidden=[])
        print(f"{exercise.id}, {args.workers} worker(s), backend {choice.backend}, {os.cpu_count()} cores")
        cpu_used = cpu_meter()
        for round_ in range(1, args.rounds + 1):
            work = root / f"work-{round_}"
            work.mkdir()
            load_before = os.getloadavg()[0]
            cpu_before, started = cpu_used(), time.monotonic()
            outcome = candidate_tests.measure(exercise, submission.repo, submission.commit, submission.workspace,
                                              choice, replace(limits), work, root / f"out-{round_}")
            wall, cpu_after = time.monotonic() - started, cpu_used()
            cpu = f"{cpu_after - cpu_before:.1f} s" if cpu_before is not None else "n/a"
            runs = ", ".join(f"{tree}: {seconds:.1f} s" for tree, seconds in outcome.timings.items())
            detected = {bug: len(own.detected_by) for bug, own in outcome.per_bug.items()}
            print(f"round {round_}: {wall:.1f} s wall, CPU {cpu}; load {load_before:.1f} -> "
                  f"{os.getloadavg()[0]:.1f}\n  runs: {runs}\n  detecting tests per bug: {detected}")
            shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
