"""Benchmark the cluster's overhead: 8 submissions, local --jobs 2 against 2 Dask workers x 1 slot.

    .venv/bin/python bench/bench_cluster.py [--sandbox local|docker] [--count 8]

Both run on this machine with the same two gradings at a time, so the difference is what
Dask adds (task shipping, events, the report archive back to the client, the workers' own
start-up is not counted: they are up before the clock starts). The submissions are the skew
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

    started = time.monotonic()
    rows = Batch(subs, root / "out-local", template, jobs=2, force=True).run()
    local = time.monotonic() - started
    report("local --jobs 2", rows, local)

    procs = DaskProcesses(root / "dask")
    try:
        procs.start_scheduler()
        for name in ("w1", "w2"):
            procs.start_worker(name, slots=1)
        procs.wait_for_workers(2)
        runner = ClusterRunner(procs.address)
        runner.connect(root / "out-cluster" / "cluster.log")
        started = time.monotonic()
        rows = Batch(subs, root / "out-cluster", template, force=True).run(runner=runner)
        cluster = time.monotonic() - started
    finally:
        procs.stop()
    report("cluster 2 workers x 1 slot", rows, cluster)
    print(f"overhead of the cluster: {(cluster / local - 1) * 100:+.1f}% ({args.sandbox} sandbox)")
    shutil.rmtree(root, ignore_errors=True)


def report(label: str, rows, seconds: float) -> None:
    failed = [r.submission.candidate for r in rows if r.status != "graded"]
    print(f"{label}: {len(rows)} submissions in {seconds:.1f} s, {len(rows) / seconds * 60:.1f} per minute"
          + (f"; not graded: {failed}" if failed else ""))


if __name__ == "__main__":
    main()
