"""missing-validation-gate's per-candidate variants: Risk's floor and the incident's region."""

import pytest

from grader import catalog, starter_tests, variants
from tests.e2e.conftest import reference_graded_on

pytestmark = pytest.mark.e2e


def test_a_gate_copied_from_another_variant_fails_only_where_the_floor_differs(bwrap_ready, tmp_path, monkeypatch):
    """The North variant with a 0.58 floor: its starter passes its own visible tests (as
    `grader publish` checks); the default variant's reference (West, 0.60) copied onto it blocks
    the grader's first version at 0.59, so it fails `floor_is_the_policy` and nothing else: a
    gate that judges every region is right whichever region the incident broke. That variant's
    own reference passing every check is calibration: `grader validate missing-validation-gate
    --variants all` (a benchmark, README "Every variant"), not the suite."""
    gate = catalog.get_exercise("missing-validation-gate")
    monkeypatch.setenv(starter_tests.CACHE_ENV, str(tmp_path / "cache"))  # run them, whatever ran before
    target = variants.parse(gate.spec, "policy=floor-58,incident=north")
    outcomes = reference_graded_on(gate, target, variants.default(gate.spec), tmp_path / "copied")
    assert {c for c, (outcome, _) in outcomes.items() if outcome != "passed"} == {"floor_is_the_policy"}, outcomes
