"""`grader validate`: hold every exercise to what its checks promise.

For each exercise, grade three kinds of variant, each published like a real candidate
repo: the untouched starter (fails every fail-to-pass check, passes every guard), the
reference solution (passes everything) and each known partial fix (passes exactly the
checks its spec entry lists). A check that cannot fail, or fails a correct fix, shows up
here as a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from grader import partial_fixes
from grader.catalog import Exercise
from grader.grade import Options, Progress, grade
from grader.publish import commit_overlay, publish
from grader.report.model import Report
from grader.spec import PartialFix


@dataclass
class Variant:
    name: str
    expected: dict[str, bool]  # check id -> expected to pass
    verdict: str = "partial"  # the overall verdict it should get
    solution: bool = False  # the reference solution is laid over the starter
    fix: PartialFix | None = None  # a known partial fix is (over the solution where it is based on it)

    def overlays(self, exercise: Exercise, scratch: Path) -> list[Path]:
        """The folders committed in order on top of the published starter (a fix's patch is applied under `scratch`)."""
        if self.fix is not None:
            return partial_fixes.overlays(exercise, self.fix, scratch)
        return [exercise.solution_dir] if self.solution else []


@dataclass
class CalibrationRow:
    exercise: str
    variant: str
    expected: dict[str, bool]
    got: dict[str, str]
    earned: float
    possible: float
    verdict: str
    report_dir: Path
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def expected_summary(self) -> str:
        return f"{sum(self.expected.values())}/{len(self.expected)}"

    @property
    def got_summary(self) -> str:
        return f"{sum(v == 'passed' for v in self.got.values())}/{len(self.got)}"


def variants(exercise: Exercise) -> list[Variant]:
    spec = exercise.spec
    found = [
        Variant("starter", spec.starter_expectation(), "fail"),
        Variant("reference", {c.id: True for c in spec.all_checks()}, "pass", solution=True),
    ]
    return found + [Variant(fix.id, spec.partial_expectation(fix.id), fix.verdict, fix=fix) for fix in spec.partial_fixes]


def compare(expected: dict[str, bool], report: Report) -> tuple[dict[str, str], list[str]]:
    got = {c.id: c.outcome for c in report.all_checks()}
    mismatches = []
    for check_id, should_pass in expected.items():
        outcome = got.get(check_id, "missing")
        if (outcome == "passed") != should_pass:
            detail = next((c.message for c in report.all_checks() if c.id == check_id), None)
            want = "pass" if should_pass else "fail"
            mismatches.append(f"{check_id}: expected to {want}, got {outcome}" + (f" ({detail})" if detail else ""))
        elif outcome == "error":
            mismatches.append(f"{check_id}: error")
    return got, mismatches


def prepare_variant(exercise: Exercise, variant: Variant, out_root: Path) -> Path:
    """The repo to grade: see `publish_variant`."""
    return publish_variant(exercise, variant, out_root / exercise.id / variant.name / "repo")


def publish_variant(exercise: Exercise, variant: Variant, repo_dir: Path) -> Path:
    """Publish the starter at `repo_dir` and commit the variant's overlays on it, as a candidate would."""
    publish(exercise, repo_dir)
    for overlay in variant.overlays(exercise, repo_dir.parent / f"{repo_dir.name}-overlays"):
        commit_overlay(repo_dir, overlay, f"Calibration variant {variant.name}: {overlay.name}")
    return repo_dir


def grade_prepared(exercise: Exercise, variant: Variant, repo_dir: Path, report_dir: Path, sandbox: str,
                   progress: Progress, hidden_seed: str | None = None, own_tests: bool = False) -> CalibrationRow:
    """Grade one prepared variant. Calibration judges the hidden checks, so the candidate's own
    tests (evidence, never points) are run only where `own_tests` asks for them."""
    report = grade(Options(location=str(repo_dir), out_dir=report_dir, sandbox=sandbox, trusted=True,
                           hidden_seed=hidden_seed, candidate_tests=own_tests), progress)
    got, mismatches = compare(variant.expected, report)
    if report.verdict != variant.verdict and not mismatches:
        mismatches.append(f"verdict {report.verdict}, expected {variant.verdict}")
    return CalibrationRow(exercise.id, variant.name, variant.expected, got, report.score.earned, report.score.possible,
                          report.verdict, report_dir, mismatches)


def grade_variant(exercise: Exercise, variant: Variant, out_root: Path, sandbox: str, progress: Progress,
                  own_tests: bool = False) -> CalibrationRow:
    repo_dir = prepare_variant(exercise, variant, out_root)
    return grade_prepared(exercise, variant, repo_dir, repo_dir.parent / "report", sandbox, progress, own_tests=own_tests)


def backend_for(exercise: Exercise, sandbox: str) -> str:
    """Exercises that measure latency and memory are calibrated under docker, whatever was asked."""
    return "docker" if exercise.spec.needs_docker else sandbox


def calibrate(exercise: Exercise, out_root: Path, sandbox: str = "auto",
              progress_for: Callable[[str], Progress] = lambda label: Progress(),
              own_tests: bool = False) -> list[CalibrationRow]:
    sandbox = backend_for(exercise, sandbox)
    return [grade_variant(exercise, v, out_root, sandbox, progress_for(f"{exercise.id}/{v.name}"), own_tests)
            for v in variants(exercise)]
