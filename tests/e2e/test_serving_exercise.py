"""The serving exercise: what its report shows, and that the local backend never passes a
measured check (it cannot enforce the candidate's CPU and memory limits)."""

import json

import pytest

from grader import catalog, starter_tests, variants
from grader.grade import Options, grade
from grader.publish import commit_overlay, publish, solution
from tests.e2e.conftest import reference_graded_on

pytestmark = pytest.mark.e2e
MEASURED = {"one_worker_serves_peak", "slo_at_declared_resources"}


def checks_in(report_dir) -> dict:
    """check id -> the check as report.json in `report_dir` holds it (bug checks and the others)."""
    report = json.loads((report_dir / "report.json").read_text())
    return {c["id"]: c for c in [c for b in report["bugs"] for c in b["checks"]] + report["checks"]}


@pytest.fixture(scope="module")
def serving():
    return catalog.get_exercise("over-provisioned-serving")


def test_local_backend_is_inconclusive_never_a_pass(serving, bwrap_ready, tmp_path):
    repo = tmp_path / "repo"
    publish(serving, repo)
    commit_overlay(repo, solution(serving, repo.parent), "Reference solution")
    report = grade(Options(location=str(repo), out_dir=tmp_path / "out", sandbox="local", trusted=True,
                           candidate_tests=False))
    checks = {c.id: c for c in report.all_checks()}
    assert report.verdict == "inconclusive"
    for check_id in MEASURED:
        assert checks[check_id].outcome == "error" and "needs the docker sandbox" in checks[check_id].message
    # cost credit depends on the measured SLO, so it cannot pass either
    assert checks["monthly_cost_within_budget"].outcome != "passed"


def test_report_shows_cost_latency_and_resources(calibrated):
    reference = calibrated("over-provisioned-serving", "reference")
    checks = checks_in(reference.report_dir)
    cost = checks["monthly_cost_within_budget"]["evidence"]
    assert cost["before"]["monthly"] == 1168.0 and cost["after"]["monthly"] < 150
    slo = checks["slo_at_declared_resources"]["evidence"]
    assert slo["load"]["p95_ms"] <= 150 and slo["load"]["error_rate"] <= 0.001
    assert slo["peak_memory_mb"] > 0 and slo["limits"]["ran_with"]["memory_mb"] >= slo["peak_memory_mb"]
    html = (reference.report_dir / "report.html").read_text()
    assert "<svg" in html and "p95" in html


def test_the_75_dollar_budget_is_met_by_two_replicas(serving, docker_image, tmp_path, monkeypatch):
    """The `budget=usd-75` variant: its starter passes its own visible tests (as `grader publish`
    checks) and its reference (two replicas of 1 CPU / 1Gi, the survivor carrying the whole
    60 rps peak: $65.70) passes every check, judged against $75. The default's reference
    ($98.55) copied onto it is over that budget: tests/unit/test_serving_variants.py."""
    monkeypatch.setenv(starter_tests.CACHE_ENV, str(tmp_path / "cache"))  # run them, whatever ran before
    target = variants.parse(serving.spec, "budget=usd-75")
    outcomes = reference_graded_on(serving, target, target, tmp_path / "own")
    assert {outcome for outcome, _ in outcomes.values()} == {"passed"}, outcomes
    checks = checks_in(tmp_path / "own" / "out")
    cost = checks["monthly_cost_within_budget"]["evidence"]
    assert cost["budget"] == 75 and cost["after"]["monthly"] == 65.7 and cost["declared"]["effective_replicas"] == 2
    slo = checks["slo_at_declared_resources"]["evidence"]
    assert slo["load"]["target_rps"] == 60
