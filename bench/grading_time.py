"""How long one grading of each exercise's reference takes, step by step.

Publishes every named exercise's reference (the starter with the solution committed on top,
as `grader validate` does) once, grades it `--rounds` times with the public default seeds
and prints, per exercise, the wall time of each grading and of its `verify` step (the hidden
checks) read from run.json. Run it on a quiet machine, one exercise at a time:

    .venv/bin/python bench/grading_time.py [EXERCISE...] [--rounds N] [--sandbox auto|docker|local]

It uses only what `grader.calibrate` has had since before issue 11 (`variants`,
`prepare_variant`, `grade_prepared`), so a copy of it measures an older checkout too:

    git worktree add /tmp/old 0abe68e^ && cp bench/grading_time.py /tmp/old/bench/
    PYTHONPATH=/tmp/old .venv/bin/python /tmp/old/bench/grading_time.py silent-drift
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import calibrate, catalog  # noqa: E402
from grader.grade import Progress  # noqa: E402


def seconds_between(started: str, finished: str) -> float:
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def measure(exercise_id: str, rounds: int, sandbox: str, work: Path) -> dict:
    exercise = catalog.get_exercise(exercise_id)
    reference = next(v for v in calibrate.variants(exercise) if v.name == "reference")
    backend = calibrate.backend_for(exercise, sandbox)
    repo = calibrate.prepare_variant(exercise, reference, work)
    walls, verifies, verdicts = [], [], []
    for n in range(rounds):
        report_dir = work / exercise_id / f"report-{n}"
        began = time.monotonic()
        row = calibrate.grade_prepared(exercise, reference, repo, report_dir, backend, Progress())
        walls.append(time.monotonic() - began)
        run = json.loads((report_dir / "run.json").read_text())
        verifies.append(sum(s["duration_s"] for s in run["steps"] if s["step"] == "verify"))
        verdicts.append(row.verdict)
        print(f"  {exercise_id} round {n + 1}: {walls[-1]:.1f} s (verify {verifies[-1]:.1f} s), verdict {row.verdict}",
              flush=True)
    return {"exercise": exercise_id, "backend": backend, "wall_s": walls, "verify_s": verifies, "verdicts": verdicts,
            "median_wall_s": round(statistics.median(walls), 1), "median_verify_s": round(statistics.median(verifies), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*", help="default: every exercise")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sandbox", default="auto", choices=["auto", "docker", "local"])
    args = parser.parse_args()
    names = args.exercises or [e.id for e in catalog.list_exercises()]
    results = []
    with tempfile.TemporaryDirectory(prefix="grading-time-") as tmp:
        for name in names:
            results.append(measure(name, args.rounds, args.sandbox, Path(tmp)))
    print(f"{'exercise':28} {'backend':8} {'median wall':>12} {'median verify':>14}")
    for r in results:
        print(f"{r['exercise']:28} {r['backend']:8} {r['median_wall_s']:>10.1f} s {r['median_verify_s']:>12.1f} s")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
