"""The trusted verifier: outcomes are classified from exceptions, recorded as data, scored."""

from pathlib import Path

import pytest

from grader import catalog
from grader.grade import Options, grade
from grader.publish import publish

HOME = Path(__file__).parents[1] / "fixtures" / "home"


@pytest.fixture
def toy_home(monkeypatch):
    monkeypatch.setenv("GRADER_HOME", str(HOME))


def test_every_outcome_is_classified(toy_home, tmp_path):
    repo = tmp_path / "repo"
    publish(catalog.get_exercise("outcomes"), repo)
    report = grade(Options(location=str(repo), out_dir=tmp_path / "out", sandbox="local", trusted=True, retries=0))
    got = {c.id: (c.outcome, c.infra) for c in report.all_checks()}
    assert got == {
        "passes": ("passed", False),
        "asserts": ("failed", False),
        "candidate_fails": ("failed", False),
        "bad_output": ("failed", False),
        "infra_fault": ("error", True),
        "check_crashes": ("error", False),
        "skips": ("skipped", False),
        "not_implemented": ("error", False),
    }
    checks = {c.id: c for c in report.all_checks()}
    assert checks["asserts"].message == "AUC 0.610 below 0.70"
    assert checks["asserts"].evidence == {"auc": 0.61}
    assert checks["passes"].evidence == {"number": 1.5}
    assert "exited with code 2" in checks["candidate_fails"].message
    assert "Traceback: boom" in checks["candidate_fails"].evidence["log_tail"]
    assert checks["bad_output"].message.startswith("bad output: r.json is not JSON")
    assert "KeyError" in checks["check_crashes"].message
    assert checks["not_implemented"].message == "no hidden check implements this spec entry"
    # Errors never count against the candidate: the verdict is inconclusive.
    assert report.verdict == "inconclusive" and report.bugs[0].verdict == "partly fixed"
    assert report.score.earned == 1


def test_infra_fault_is_retried_then_inconclusive(toy_home, tmp_path):
    repo = tmp_path / "repo"
    publish(catalog.get_exercise("outcomes"), repo)
    out = tmp_path / "out"
    grade(Options(location=str(repo), out_dir=out, sandbox="local", trusted=True, retries=1))
    assert (out / "retry-2" / "logs" / "verify.log").exists()


def test_toy_starter_and_solution(toy_home, tmp_path):
    from grader.publish import commit_overlay

    repo = tmp_path / "repo"
    publish(catalog.get_exercise("toy"), repo)
    starter = grade(Options(location=str(repo), out_dir=tmp_path / "a", sandbox="local", trusted=True))
    assert [(c.id, c.outcome) for c in starter.all_checks()] == [
        ("answer_is_42", "failed"), ("prints_the_answer", "failed"), ("still_runs", "passed")]
    assert starter.verdict == "fail" and starter.score.earned == 1 and starter.score.possible == 5
    commit_overlay(repo, catalog.get_exercise("toy").solution_dir, "fix <b>it</b>")
    fixed = grade(Options(location=str(repo), out_dir=tmp_path / "b", sandbox="local", trusted=True))
    assert fixed.verdict == "pass" and fixed.score.earned == 5
    assert fixed.bugs[0].checks[0].evidence == {"answer": 42}
    assert [c.message for c in fixed.history.commits] == ["fix <b>it</b>"]
    assert fixed.history.baseline_matches_starter is True
    md = (tmp_path / "b" / "report.md").read_text()
    assert "<b>" not in md and "fix &lt;b&gt;it&lt;/b&gt;" in md
