"""End-to-end fixtures: the skew exercise published and graded like real submissions."""

from __future__ import annotations

import pytest

from grader import catalog
from grader.calibrate import calibrate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def skew():
    return catalog.get_exercise("training-serving-skew")


@pytest.fixture(scope="session")
def skew_calibration(skew, tmp_path_factory):
    """Starter, reference and every known partial fix of the skew exercise, graded once."""
    rows = calibrate(skew, tmp_path_factory.mktemp("calibration"), sandbox="local")
    return {row.variant: row for row in rows}
