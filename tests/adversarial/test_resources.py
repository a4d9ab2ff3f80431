"""Resource attacks are stopped within a bounded time, the report says what was stopped, and the
result is the candidate's failure, not an inconclusive run."""

import pytest

pytestmark = pytest.mark.e2e
BOUND_S = 240


def stopped_messages(graded) -> list[str]:
    return [c.message or "" for c in graded.report.all_checks()]


@pytest.mark.parametrize("trick, reason", [
    ("fork_bomb", "process limit (256) reached during train"),
    ("memory_bomb", "memory limit (2048 MiB) reached during train"),
    ("infinite_loop", "wall-time limit (60 s) reached during train"),
    ("disk_fill", "disk limit (300 MiB) reached during train"),
])
def test_training_attacks(grader_, backend, trick, reason):
    graded = grader_.trick(trick, "reference", backend)
    assert graded.seconds < BOUND_S
    assert graded.report.verdict == "fail"
    assert all(c.outcome == "failed" for c in graded.report.all_checks())
    assert any(reason in m for m in stopped_messages(graded)), stopped_messages(graded)
    assert reason in (graded.out / "report.md").read_text()


def test_server_that_never_becomes_ready(grader_, baselines, backend):
    graded = grader_.trick("never_ready", "reference", backend)
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


def test_huge_and_malformed_json_answers(grader_, backend):
    graded = grader_.trick("hostile_json", "reference", backend)
    assert graded.seconds < BOUND_S
    assert "answered more than 1048576 bytes" in graded.check("api_auc_floor").message
    assert "not JSON" in graded.check("served_version_is_champion").message
    assert graded.check("batch_auc_floor").outcome == "passed"
