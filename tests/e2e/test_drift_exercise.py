"""silent-drift's per-candidate variants: how far average utilization must move to page."""

import pytest

from grader import catalog, starter_tests, variants
from tests.e2e.conftest import reference_graded_on

pytestmark = pytest.mark.e2e


def test_a_monitor_copied_from_another_variant_fails_only_the_utilization_check(bwrap_ready, tmp_path, monkeypatch):
    """The 15-point variant (a move under 12 points is ordinary): its starter passes its own
    visible tests (as `grader publish` checks) and its own reference passes every check. The
    default reference (10 points, a distance) copied onto it pages on the ordinary +11 points;
    the 20-point reference does not name utilization at +16 points: each fails
    `detects_utilization_shift` and nothing else."""
    drift = catalog.get_exercise("silent-drift")
    monkeypatch.setenv(starter_tests.CACHE_ENV, str(tmp_path / "cache"))  # run them, whatever ran before
    target = variants.parse(drift.spec, "utilization=points-15")
    copies = {"own": target, "lower": variants.default(drift.spec),
              "higher": variants.parse(drift.spec, "utilization=points-20")}
    failed = {}
    for name, fix_of in copies.items():
        outcomes = reference_graded_on(drift, target, fix_of, tmp_path / name)
        failed[name] = {check: message for check, (outcome, message) in outcomes.items() if outcome != "passed"}
    assert failed["own"] == {}, failed["own"]
    for name in ("lower", "higher"):
        assert set(failed[name]) == {"detects_utilization_shift"}, failed[name]
    assert "ordinary day" in failed["lower"]["detects_utilization_shift"]
    missed = failed["higher"]["detects_utilization_shift"]
    assert "ordinary day" not in missed and ("no alert" in missed or "did not name credit_utilization" in missed)
