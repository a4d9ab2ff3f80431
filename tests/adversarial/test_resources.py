"""Resource attacks are stopped within a bounded time, the report says what was stopped, and the
result is the candidate's failure, not an inconclusive run."""

import pytest

pytestmark = pytest.mark.e2e
BOUND_S = 240


def stopped_messages(graded) -> list[str]:
    return [c.message or "" for c in graded.report.all_checks()]


@pytest.mark.parametrize("trick, reason, limits", [
    ("fork_bomb", "process limit (256) reached during train", None),
    ("memory_bomb", "memory limit (2048 MiB) reached during train", None),
    # a busy loop gets its CPU share even on a loaded host, so a short limit does not depend on host speed
    ("infinite_loop", "wall-time limit (30 s) reached during train", {"step_timeout_s": 30}),
    ("disk_fill", "disk limit (300 MiB) reached during train", None),
])
def test_training_attacks(grader_, backend, trick, reason, limits):
    graded = grader_.trick(trick, "reference", backend, limits)
    assert graded.seconds < BOUND_S
    assert graded.report.verdict == "fail"
    assert all(c.outcome == "failed" for c in graded.report.all_checks())
    assert any(reason in m for m in stopped_messages(graded)), stopped_messages(graded)
    assert reason in (graded.out / "report.md").read_text()


def test_server_that_never_becomes_ready(grader_, baselines, backend):
    graded = grader_.trick("never_ready", "reference", backend, {"serve_start_timeout_s": 30})
    assert graded.seconds < BOUND_S
    api_checks = ["api_unit_contract", "api_auc_floor", "null_employment_served_calibration",
                  "region_served_calibration", "online_offline_parity", "served_version_is_champion"]
    for check_id in api_checks:
        check = graded.check(check_id)
        assert check.outcome == "failed" and "server not ready after 30 s" in check.message
    assert graded.check("batch_auc_floor").outcome == "passed"


def test_results_symlinked_to_a_host_file(grader_, backend):
    graded = grader_.trick("symlinked_results", "starter", backend)
    batch_checks = ["api_unit_contract", "null_employment_served_calibration", "region_served_calibration",
                    "online_offline_parity", "batch_auc_floor"]
    for check_id in batch_checks:
        check = graded.check(check_id)
        assert check.outcome == "failed" and check.message.startswith("bad output: scores.csv"), check.message
    assert "root:x:0" not in (graded.out / "report.json").read_text()


def test_absurd_numbers_and_nesting_are_the_candidates_failure(grader_, backend):
    """A 401-digit probability and JSON nested 100,000 deep crashed checks (OverflowError,
    RecursionError) and turned the verdict inconclusive; they are the candidate's failure."""
    graded = grader_.trick("hostile_json", "reference", backend)
    assert graded.seconds < BOUND_S
    assert graded.report.verdict != "inconclusive"
    assert not [c.id for c in graded.report.all_checks() if c.outcome == "error"]
    assert "integer with 401 digits" in graded.check("api_auc_floor").message
    assert "nested too deeply" in graded.check("served_version_is_champion").message
    assert graded.check("batch_auc_floor").outcome == "passed"


def test_a_dribbling_server_is_stopped_by_a_total_deadline(grader_, baselines, backend):
    """/predict answering one byte every 5 s: each request has a total deadline, and after three
    in a row the server counts as stalled, so grading time stays bounded (it took 219 s)."""
    graded = grader_.trick("dribble", "reference", backend)
    baseline = baselines("reference", backend)
    assert graded.report.verdict == "fail"
    api = graded.check("api_auc_floor")
    assert api.outcome == "failed" and "did not answer POST /predict in time" in api.message, api.message
    assert graded.check("batch_auc_floor").outcome == "passed"
    # three requests of at most 10 s each, then every request fails at once (the API budget is 180 s)
    extra = graded.step_seconds("verify") - baseline.step_seconds("verify")
    assert extra < 3 * 10 + 45, extra
