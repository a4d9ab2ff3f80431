"""`grader validate` for every shipped exercise: each check does what its spec promises.

One test per variant (the untouched starter, the reference, each known partial fix and
control), so that two workers share the gradings out evenly.
"""

import pytest

from grader import catalog
from tests.e2e.conftest import calibration_cases

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("exercise_id, variant", calibration_cases())
def test_calibration_holds(exercise_id, variant, calibrated):
    row = calibrated(exercise_id, variant)
    assert row.ok, f"{variant}: {row.mismatches}"
    verdicts = {"starter": "fail", "reference": "pass",
                **{f.id: f.verdict for f in catalog.get_exercise(exercise_id).spec.partial_fixes}}
    assert row.verdict == verdicts[variant]

