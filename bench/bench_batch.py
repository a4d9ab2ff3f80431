"""Benchmark batch grading: 8 submissions with --jobs 1 and --jobs 2, throughput and speed-up.

    .venv/bin/python bench/bench_batch.py [--sandbox local|docker] [--count 8]

The submissions are the skew exercise's starter, reference and known partial fixes,
repeated to --count, each published as its own repo. Both runs use --force (no reuse).
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from grader import catalog
from grader.batch import Batch, Submission
from grader.calibrate import publish_variant, variants
from grader.grade import Options


def make_submissions(root: Path, count: int) -> list[Submission]:
    exercise = catalog.get_exercise("training-serving-skew")
    kinds = variants(exercise)
    subs = []
    for i in range(count):
        repo = publish_variant(exercise, kinds[i % len(kinds)], root / f"candidate-{i}")
        subs.append(Submission(candidate=f"candidate-{i}", repo=str(repo)))
    return subs


def setup(doc: str, prefix: str) -> tuple[argparse.Namespace, Path, list[Submission], Options]:
    """The arguments (--sandbox, --count), a scratch folder, the submissions and the grading options."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--sandbox", default="local")
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="(bench_cluster) runs of each kind")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix=prefix))
    subs = make_submissions(root / "repos", args.count)
    return args, root, subs, Options(location="", sandbox=args.sandbox, trusted=True)


def main() -> None:
    args, root, subs, template = setup(__doc__, "grader-bench-batch-")
    results = {}
    for jobs in (1, 2):
        started = time.monotonic()
        rows = Batch(subs, root / f"out-{jobs}", template, jobs=jobs, force=True).run()
        seconds = time.monotonic() - started
        failed = [r.submission.candidate for r in rows if r.status != "graded"]
        results[jobs] = seconds
        print(f"jobs={jobs}: {len(rows)} submissions in {seconds:.1f} s, {len(rows) / seconds * 60:.1f} per minute"
              + (f"; not graded: {failed}" if failed else ""))
    print(f"speed-up with 2 jobs: {results[1] / results[2]:.2f}x ({args.sandbox} sandbox)")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
