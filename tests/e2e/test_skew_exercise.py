"""The skew exercise graded end to end: calibration, the report files, fixes copied across variants."""

import json

import pytest

from grader.report.model import SCHEMA_VERSION

pytestmark = pytest.mark.e2e


def test_partial_fixes_are_told_apart_per_bug(skew_calibration):
    def verdicts(variant):
        report = json.loads((skew_calibration[variant].report_dir / "report.json").read_text())
        return {b["id"]: b["verdict"] for b in report["bugs"]}

    assert verdicts("units-only") == {"utilization-units": "fixed", "null-employment-imputation": "not fixed",
                                      "region-one-hot-order": "not fixed"}
    assert verdicts("units-and-region-order")["region-one-hot-order"] == "fixed"
    assert verdicts("units-and-region-order")["null-employment-imputation"] == "not fixed"
    assert verdicts("reference") == dict.fromkeys(verdicts("reference"), "fixed")


def test_report_files_and_evidence(skew_calibration):
    out = skew_calibration["starter"].report_dir
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"] == SCHEMA_VERSION
    assert report["exercise"]["id"] == "training-serving-skew" and report["sandbox"]["backend"] == "bwrap"
    checks = {c["id"]: c for b in report["bugs"] for c in b["checks"]}
    assert checks["api_auc_floor"]["evidence"]["auc"] < 0.65
    assert checks["api_unit_contract"]["evidence"]["out_of_range_status"] == {"4500": 200, "-5": 200}
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "done" and run["submission"]["commit"] == report["submission"]["commit"]
    steps = ["checkout", "identify", "sandbox", "history", "changes", "verify", "candidate-tests", "score", "report"]
    assert [s["step"] for s in run["steps"]] == steps
    logs = {p.name for p in (out / "logs").iterdir()}
    assert {"verify.log", "clone.log"} <= logs and any(n.endswith("-train.log") for n in logs)
    assert "Verdict: fail" in (out / "report.md").read_text()


def test_a_fix_copied_from_another_unit_fails_the_unit_contract(skew, bwrap_ready, tmp_path, monkeypatch):
    """Per-candidate variants (grader/variants.py): the per-mille variant's starter passes its own
    visible tests (as `grader publish` checks); the percent variant's reference copied onto it
    reads the wrong field and scale, and fails the unit contract (the only parameter where they
    differ). The per-mille reference passing everything is calibration: `grader validate
    training-serving-skew --variants all` (README "Every variant"), not the suite."""
    from grader import starter_tests, variants
    from tests.e2e.conftest import reference_graded_on

    monkeypatch.setenv(starter_tests.CACHE_ENV, str(tmp_path / "cache"))  # run them, whatever ran before
    percent, per_mille = (variants.parse(skew.spec, f"utilization_unit={unit}") for unit in ("percent", "per-mille"))
    outcomes = reference_graded_on(skew, per_mille, percent, tmp_path / "copied")
    assert outcomes["api_unit_contract"][0] == "failed", outcomes


def test_a_fix_copied_from_the_other_nullable_field_fails_the_null_check(skew, bwrap_ready, tmp_path, monkeypatch):
    """`nullable`: the default reference (employment history may be missing) copied onto the
    nullable=late-payments starter (only the late-payment count may be missing), the variants
    differing in nothing else, fails `null_employment_served_calibration` and every check that
    needs its model: it does not impute a missing count, so training on this variant's data
    (1% of counts missing) stops on the NaN. (Its API would also refuse an unknown count.)"""
    from grader import starter_tests, variants
    from tests.e2e.conftest import reference_graded_on

    monkeypatch.setenv(starter_tests.CACHE_ENV, str(tmp_path / "cache"))  # run them, whatever ran before
    target = variants.parse(skew.spec, "nullable=late-payments")
    outcomes = reference_graded_on(skew, target, variants.default(skew.spec), tmp_path / "copied")
    assert outcomes["null_employment_served_calibration"][0] == "failed", outcomes
    assert outcomes["null_employment_served_calibration"][1].startswith("train: exited with code"), outcomes


def test_a_region_list_copied_from_the_other_order_fails_only_the_region_check(skew, bwrap_ready, tmp_path, monkeypatch):
    """`region_order`: the default variant's hand-reordered featurizer (partial fix
    `units-and-region-order`: units and the one-hot list fixed, nulls still 0), copied as whole
    files onto the `region-codes` starter (training in the warehouse's code order, serving
    sorted), is that starter's own region bug: it loses `region_served_calibration` and keeps
    every other outcome it has in its own variant. (The reference reuses training's featurizer
    and is right for either order.)"""
    from grader import starter_tests, variants
    from grader.partial_fixes import overlays
    from tests.e2e.conftest import graded_with

    monkeypatch.setenv(starter_tests.CACHE_ENV, str(tmp_path / "cache"))  # run them, whatever ran before
    fix = next(f for f in skew.spec.partial_fixes if f.id == "units-and-region-order")
    target = variants.parse(skew.spec, "region_order=region-codes")
    outcomes = graded_with(skew, target, overlays(skew, fix, tmp_path / "fix"), tmp_path)
    graded = {c.id for c in skew.spec.all_checks() if c.kind != "stretch"}
    passed = {check for check, (outcome, _) in outcomes.items() if outcome == "passed" and check in graded}
    assert passed == set(fix.passes) - {"region_served_calibration"}, outcomes
