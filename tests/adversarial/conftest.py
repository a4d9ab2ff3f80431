"""Hostile submissions of the skew exercise, each graded end to end under every backend.

A trick is an overlay in `tricks/<name>/` committed on top of the starter or the reference
solution, as a candidate would. `@@NAME@@` placeholders in its files are filled in when it
is applied (a listener's port, the project's paths), so a trick can aim at real targets.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader import catalog
from grader.grade import Options, grade
from grader.publish import commit_overlay, publish, solution
from grader.report.model import Report

TRICKS = Path(__file__).parent / "tricks"
#: The exercise's own time limits (a loaded host must not turn a baseline into a failure), a
#: smaller disk so that a disk fill ends quickly; tests that need a short timer pass their own.
LIMITS = {"disk_mb": 300}


@dataclass
class Graded:
    report: Report
    out: Path
    seconds: float

    def outcomes(self) -> dict[str, str]:
        return {c.id: c.outcome for c in self.report.all_checks()}

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted((self.out / "logs").glob("*.log")))

    def check(self, check_id: str):
        return next(c for c in self.report.all_checks() if c.id == check_id)

    def step_seconds(self, step: str) -> float:
        run = json.loads((self.out / "run.json").read_text())
        return next(s["duration_s"] for s in run["steps"] if s["step"] == step)


def apply_overlay(repo: Path, trick: Path, values: dict[str, str]) -> None:
    staged = repo.parent / f"{trick.name}-overlay"
    shutil.copytree(trick, staged)
    for path in staged.rglob("*"):
        if path.is_file():
            text = path.read_bytes()
            for key, value in values.items():
                text = text.replace(f"@@{key}@@".encode(), value.encode())
            path.write_bytes(text)
    commit_overlay(repo, staged, f"Apply {trick.name}")
    shutil.rmtree(staged)


class Grader:
    def __init__(self, root: Path):
        self.root = root
        self.exercise = catalog.get_exercise("training-serving-skew")
        self.count = 0

    def repo(self, base: str) -> Path:
        self.count += 1
        repo = self.root / f"case{self.count}" / "repo"
        publish(self.exercise, repo)
        if base == "reference":
            commit_overlay(repo, solution(self.exercise, repo.parent), "Reference solution")
        return repo

    def grade(self, repo: Path, backend: str, limits: dict | None = None) -> Graded:
        out = repo.parent / f"out-{backend}"
        started = time.monotonic()
        report = grade(Options(location=str(repo), out_dir=out, sandbox="docker" if backend == "docker" else "local",
                               limits={**LIMITS, **(limits or {})}, retries=0,
                               candidate_tests=False))  # hostile suites: tests/e2e/test_candidate_tests.py
        return Graded(report, out, time.monotonic() - started)

    def trick(self, name: str, base: str, backend: str, limits: dict | None = None, **values: str) -> Graded:
        repo = self.repo(base)
        values.setdefault("PROJECT_ROOT", str(catalog.project_root()))
        values.setdefault("RUN_DIR", str(repo.parent))
        apply_overlay(repo, TRICKS / name, values)
        return self.grade(repo, backend, limits)


@pytest.fixture(scope="session")
def grader_(tmp_path_factory) -> Grader:
    return Grader(tmp_path_factory.mktemp("adversarial"))


@pytest.fixture(scope="session")
def baselines(grader_, shared_results):
    """The plain starter and reference, graded once per backend with the suite's limits, once per
    test run whichever worker asks first (tests/conftest.py SharedResults)."""

    def get(base: str, backend: str) -> Graded:
        return shared_results.get(f"adversarial-baseline/{base}/{backend}",
                                  lambda: grader_.grade(grader_.repo(base), backend))

    return get


def report_text(graded: Graded) -> str:
    return json.dumps(graded.report.model_dump()) + (graded.out / "report.md").read_text()
