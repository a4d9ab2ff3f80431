"""Benchmark the sandbox backends: grading time, container start overhead, image builds.

    make bench            (or: .venv/bin/python bench/bench_sandbox.py [--runs 3] [--cold-base])

Prints, in one run: the time to grade one submission (the skew exercise's reference
solution) under docker and under local bubblewrap, median of --runs, with the step
breakdown; the start overhead of a trivial step in each backend; and the runner image
build time cold (no image, no wheelhouse; with --cold-base also no base image) and warm.
Needs root for the cold base build (debootstrap). Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from grader import catalog, images
from grader.grade import Options, grade
from grader.publish import commit_overlay, publish, solution
from grader.sandbox import Limits, SandboxConfig, make_sandbox


def median(values: list[float]) -> float:
    return statistics.median(values)


def grade_times(backend: str, repo: Path, runs: int, scratch: Path) -> tuple[list[float], dict[str, float]]:
    totals, steps = [], {}
    for i in range(runs):
        out = scratch / f"{backend}-{i}"
        started = time.monotonic()
        grade(Options(location=str(repo), out_dir=out, sandbox=backend, trusted=True))
        totals.append(time.monotonic() - started)
        run = json.loads((out / "run.json").read_text())
        for step in run["steps"]:
            steps.setdefault(step["step"], []).append(step["duration_s"])
    return totals, {k: median(v) for k, v in steps.items()}


def start_overhead(backend: str, scratch: Path, runs: int = 10) -> float:
    (scratch / f"ws-{backend}").mkdir(parents=True, exist_ok=True)
    image = images.runner_tag() if backend == "docker" else None
    box = make_sandbox(SandboxConfig(backend, str(scratch / f"ws-{backend}"), str(scratch / f"run-{backend}"),
                                     asdict(Limits()), image=image))
    try:
        box.run("warmup", ["{python}", "-c", "pass"])
        times = []
        for _ in range(runs):
            result = box.run("noop", ["{python}", "-c", "pass"])
            times.append(result.duration_s)
        return median(times)
    finally:
        box.close()


def build_times(cold_base: bool) -> dict[str, float]:
    client = images.docker_client()
    tag = images.runner_tag()
    for name in [tag] + ([images.base_tag()] if cold_base else []):
        if images.image_exists(client, name):
            client.images.remove(name, force=True)
    shutil.rmtree(images.SOURCE_ROOT / ".cache" / "wheelhouse", ignore_errors=True)
    cold = images.build_runner(say=lambda s: print(f"    {s}", file=sys.stderr))
    warm = images.build_runner()
    return {"cold": cold.seconds, **{f"cold {k}": v for k, v in cold.steps.items()}, "warm": warm.seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold-base", action="store_true", help="also rebuild the debootstrapped base image")
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    exercise = catalog.get_exercise("training-serving-skew")
    repo = scratch / "repo"
    publish(exercise, repo)
    commit_overlay(repo, solution(exercise, scratch), "Reference solution")

    print("== image build")
    builds = {} if args.skip_build else build_times(args.cold_base)
    for key, value in builds.items():
        print(f"  {key:<22} {value:7.1f} s")

    print(f"== grading one submission (skew reference), median of {args.runs}")
    for backend in ("docker", "local"):
        totals, steps = grade_times(backend, repo, args.runs, scratch)
        breakdown = ", ".join(f"{k} {v:.1f}" for k, v in steps.items())
        print(f"  {backend:<7} {median(totals):6.1f} s  (runs: {', '.join(f'{t:.1f}' for t in totals)}; steps: {breakdown})")

    print("== start overhead of a trivial step (python -c pass), median of 10")
    for backend in ("docker", "bwrap"):
        print(f"  {backend:<7} {start_overhead(backend, scratch):6.2f} s")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
