"""missing-validation-gate's per-candidate variants: Risk's floor and the incident's region."""

import pytest

from grader import catalog, starter_tests, variants
from tests.e2e.conftest import reference_graded_on

pytestmark = pytest.mark.e2e


def test_a_gate_copied_from_another_variant_fails_only_where_the_floor_differs(bwrap_ready, tmp_path, monkeypatch):
    """The North variant with a 0.58 floor: its starter passes its own visible tests (as
    `grader publish` checks), its own reference passes every check; the default variant's
    reference (West, 0.60) copied onto it blocks the grader's first version at 0.59, so it fails
    `floor_is_the_policy` and nothing else: a gate that judges every region is right whichever
    region the incident broke."""
    gate = catalog.get_exercise("missing-validation-gate")
    monkeypatch.setenv(starter_tests.CACHE_ENV, str(tmp_path / "cache"))  # run them, whatever ran before
    default, target = variants.default(gate.spec), variants.parse(gate.spec, "policy=floor-58,incident=north")
    outcomes = {name: {check: outcome for check, (outcome, _) in
                       reference_graded_on(gate, target, fix_of, tmp_path / name).items()}
                for name, fix_of in (("own", target), ("copied", default))}
    assert set(outcomes["own"].values()) == {"passed"}, outcomes["own"]
    assert {c for c, outcome in outcomes["copied"].items() if outcome != "passed"} == {"floor_is_the_policy"}, \
        outcomes["copied"]
