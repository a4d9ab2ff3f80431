"""End-to-end fixtures: exercises published and graded like real submissions, once per session."""

from __future__ import annotations

import pytest

from grader import catalog
from grader.calibrate import calibrate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def calibration(tmp_path_factory):
    """exercise id -> {variant: CalibrationRow}: starter, reference and known partial fixes, graded once.

    Exercises that need docker are calibrated under docker (skipped where there is no engine,
    failed where GRADER_REQUIRE_DOCKER=1); the others under the local backend.
    """
    cache: dict[str, dict] = {}

    def get(exercise_id: str, request: pytest.FixtureRequest) -> dict:
        if exercise_id not in cache:
            exercise = catalog.get_exercise(exercise_id)
            if exercise.spec.needs_docker:
                request.getfixturevalue("docker_image")
            # the skew calibration's reports also show the candidate's own tests (test_candidate_tests.py)
            rows = calibrate(exercise, tmp_path_factory.mktemp(exercise_id), sandbox="local",
                             own_tests=exercise_id == "training-serving-skew")
            cache[exercise_id] = {row.variant: row for row in rows}
        return cache[exercise_id]

    return get


@pytest.fixture(scope="session")
def skew():
    return catalog.get_exercise("training-serving-skew")


@pytest.fixture(scope="session")
def skew_calibration(calibration, request):
    return calibration("training-serving-skew", request)
