"""`grader validate` for every shipped exercise: each check does what its spec promises."""

import pytest

from grader import catalog

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("exercise_id", [e.id for e in catalog.list_exercises()])
def test_calibration_holds(exercise_id, calibration, request):
    exercise = catalog.get_exercise(exercise_id)
    rows = calibration(exercise_id, request)
    assert set(rows) == {"starter", "reference", *(f.id for f in exercise.spec.partial_fixes)}
    for row in rows.values():
        assert row.ok, f"{row.variant}: {row.mismatches}"
    assert rows["starter"].verdict == "fail"
    assert rows["reference"].verdict == "pass"
    assert all(rows[f.id].verdict == f.verdict for f in exercise.spec.partial_fixes)
