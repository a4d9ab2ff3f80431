"""End-to-end fixtures: exercises published and graded like real submissions, once per test run."""

from __future__ import annotations

import os
import random

import git
import pytest

from grader import catalog
from grader.calibrate import CalibrationRow, backend_for, grade_variant, variants
from grader.grade import Options, Progress, grade
from grader.publish import commit_overlay, publish, solution

pytestmark = pytest.mark.e2e


def reference_graded_on(exercise, target, fix_of, folder):
    """The outcome of every check when the reference solution of variant `fix_of` is committed
    on the starter published for variant `target`: `graded_with`."""
    return graded_with(exercise, target, [solution(exercise, folder / "fix", fix_of)], folder)


def graded_with(exercise, target, layers, folder):
    """The outcome and message of every check when the folders `layers` are committed in turn on
    the starter published for variant `target` (its visible tests run first, as `grader publish`
    runs them for a candidate), graded trusted without the candidate's own tests, under the
    local backend (docker for an exercise that measures latency and memory). The report is in
    `folder / "out"`."""
    repo = folder / "repo"
    publish(exercise, repo, variant=target, check_tests=True)
    for layer in layers:
        commit_overlay(repo, layer, "fix")
    report = grade(Options(location=str(repo), out_dir=folder / "out", sandbox=backend_for(exercise, "local"),
                           trusted=True, candidate_tests=False))
    assert report.exercise.variant == target.id
    return {c.id: (c.outcome, c.message) for c in report.all_checks()}


#: How many of each exercise's other partial fixes the suite calibrates besides its starter,
#: reference and controls ("all" for every one); `make validate` grades them all.
SAMPLE_ENV = "GRADER_CALIBRATION_SAMPLE"


def calibration_cases() -> list:
    """One test parameter per (exercise, variant) the suite calibrates.

    Always the starter, the reference and every control (a variant that blocks, alerts on or
    rejects everything); of the other known partial fixes, a sample drawn by the commit under
    test: by default one of the whole catalogue's, except those of exercises that measure
    latency (their gradings hold the host alone for minutes: their partial fixes are the
    benchmark's, README "Every variant"), else GRADER_CALIBRATION_SAMPLE per exercise (a number,
    or `all`, every exercise's), so that successive commits cover them while the suite stays
    within its time. `grader validate` calibrates every one.
    """
    wanted = os.environ.get(SAMPLE_ENV)
    if wanted is not None and wanted != "all" and not wanted.isdigit():
        raise pytest.UsageError(f"{SAMPLE_ENV} must be a number of partial fixes per exercise or 'all', not {wanted!r}")
    exercises = catalog.list_exercises()
    found = {exercise.id: variants(exercise) for exercise in exercises}
    others = {eid: [v.name for v in vs if v.fix is not None and not v.fix.control] for eid, vs in found.items()}
    if wanted is None:
        measured = {exercise.id for exercise in exercises if exercise.spec.needs_docker}
        pool = [(eid, name) for eid, names in others.items() if eid not in measured for name in names]
        chosen = set(random.Random(_commit()).sample(pool, min(1, len(pool))))
    else:
        chosen = {(eid, name) for eid, names in others.items()
                  for name in random.Random(f"{_commit()}:{eid}").sample(
                      names, len(names) if wanted == "all" else min(int(wanted), len(names)))}
    return [pytest.param(eid, v.name, id=f"{eid}/{v.name}") for eid, vs in found.items()
            for v in vs if v.fix is None or v.fix.control or (eid, v.name) in chosen]


def _commit() -> str:
    """The commit under test (the sample's seed); fixed where the tree is not a git checkout."""
    try:
        return git.Repo(catalog.project_root()).head.commit.hexsha
    except (git.GitError, ValueError):
        return "no-commit"


@pytest.fixture(scope="session")
def calibrated(shared_results, tmp_path_factory, request):
    """(exercise id, variant) -> CalibrationRow: the variant graded as `grader validate` grades it,
    once per test run whichever worker asks first (tests/conftest.py SharedResults).

    Exercises that need docker are calibrated under docker (skipped where there is no engine,
    failed where GRADER_REQUIRE_DOCKER=1); the others under the local backend. The skew
    variants' reports also show the candidate's own tests (tests/e2e/test_candidate_tests.py).
    """

    def get(exercise_id: str, variant: str) -> CalibrationRow:
        exercise = catalog.get_exercise(exercise_id)
        if exercise.spec.needs_docker:
            request.getfixturevalue("docker_image")
        (chosen,) = [v for v in variants(exercise) if v.name == variant]

        def build() -> CalibrationRow:
            out = tmp_path_factory.mktemp(f"{exercise_id}-{variant}")
            return grade_variant(exercise, chosen, out, backend_for(exercise, "local"), Progress(),
                                 own_tests=exercise_id == "training-serving-skew")

        return shared_results.get(f"calibration/{exercise_id}/{variant}", build)

    return get


class Rows:
    """An exercise's calibration rows by variant name, graded when first read."""

    def __init__(self, get, exercise_id: str):
        self._get, self._exercise = get, exercise_id

    def __getitem__(self, variant: str) -> CalibrationRow:
        return self._get(self._exercise, variant)


@pytest.fixture(scope="session")
def skew():
    return catalog.get_exercise("training-serving-skew")


@pytest.fixture(scope="session")
def skew_calibration(calibrated) -> Rows:
    return Rows(calibrated, "training-serving-skew")
