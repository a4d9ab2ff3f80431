"""Benchmark the cluster's overhead: 8 submissions, local --jobs 2 against 2 Dask workers x 1 slot.

    .venv/bin/python bench/bench_cluster.py [--sandbox local|docker] [--count 8] [--rounds 2]

Both run on this machine with the same two gradings at a time, so the difference is what
Dask adds (task shipping, events, the report archive back to the client; the workers' own
start-up is not counted: they are up, idle, before the first clock starts). `--rounds 2` runs
local, cluster, cluster, local and compares the totals. Last, 4 submissions on one worker
give the engine's own time per task directly. The submissions are the skew
exercise's starter, reference and known partial fixes (bench/bench_batch.py). Both runs use
--force (no reuse). Not a test: it asserts nothing.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_batch import setup  # noqa: E402
from grader.batch import Batch  # noqa: E402
from grader.cluster import ClusterRunner  # noqa: E402
from tests.dask_processes import DaskProcesses  # noqa: E402


def main() -> None:
    args, root, subs, template = setup(__doc__, "grader-bench-cluster-")
    procs = DaskProcesses(root / "dask")
    times: dict[str, list[float]] = {"local": [], "cluster": []}
    try:
        procs.start_scheduler()
        for name in ("w1", "w2"):
            procs.start_worker(name, slots=1)
        procs.wait_for_workers(2)
        # local, cluster, then cluster, local, ...: a machine shared with other work gets faster
        # or slower over minutes, and the mirrored order spreads that over both kinds.
        order = [kind for r in range(args.rounds) for kind in (("local", "cluster"), ("cluster", "local"))[r % 2]]
        for i, kind in enumerate(order):
            out = root / f"out-{kind}-{i}"
            runner = None
            if kind == "cluster":
                runner = ClusterRunner(procs.address)
                runner.connect(out / "cluster.log")
            started = time.monotonic()
            rows = Batch(subs, out, template, jobs=2, force=True).run(runner=runner)
            times[kind].append(time.monotonic() - started)
            report("local --jobs 2" if kind == "local" else "cluster 2 workers x 1 slot", rows, times[kind][-1])
        # The engine's own time per task, measured directly: on one worker with one slot the
        # gradings run one after another, so the wall time less the workers' grading time is
        # what Dask and the report transfer added.
        procs.kill("w2")
        runner = ClusterRunner(procs.address)
        runner.connect(root / "out-serial" / "cluster.log")
        started = time.monotonic()
        rows = Batch(subs[:4], root / "out-serial", template, force=True).run(runner=runner)
        engine = time.monotonic() - started - sum(r.seconds for r in rows)
        print(f"engine time per task (1 worker x 1 slot, {len(rows)} tasks): {engine / len(rows):.2f} s")
    finally:
        procs.stop()
    local, cluster = sum(times["local"]), sum(times["cluster"])
    print(f"overhead of the cluster: {(cluster / local - 1) * 100:+.1f}% over {len(times['local'])} run(s) each "
          f"({args.sandbox} sandbox)")
    shutil.rmtree(root, ignore_errors=True)


def report(label: str, rows, seconds: float) -> None:
    failed = [r.submission.candidate for r in rows if r.status != "graded"]
    print(f"{label}: {len(rows)} submissions in {seconds:.1f} s, {len(rows) / seconds * 60:.1f} per minute"
          + (f"; not graded: {failed}" if failed else ""))


if __name__ == "__main__":
    main()
