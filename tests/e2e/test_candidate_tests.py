"""The candidate's own tests, graded end to end: the skew reference's tests per bug, hostile suites.

Their tests are evidence, never points: a hostile suite (one that hangs, one whose conftest
replaces the JUnit report with an entity bomb) changes nothing in the score or the verdict,
and the report says what happened.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader import catalog
from grader.grade import Options, grade
from grader.publish import commit_overlay, publish
from tests.conftest import commit_files

pytestmark = pytest.mark.e2e
HOME = Path(__file__).parents[1] / "fixtures" / "home"


def test_the_reference_tests_detect_the_units_bug_and_say_why_the_others_cannot_be_told(skew_calibration):
    out = skew_calibration["reference"].report_dir
    report = json.loads((out / "report.json").read_text())
    own = report["candidate_tests"]
    assert report["verdict"] == "pass"
    assert own["suite"]["reported"] and own["suite"]["failed"] == own["suite"]["errors"] == 0
    assert own["suite"]["passed"] >= 20
    assert own["test_files"] == ["tests/conftest.py", "tests/test_api.py", "tests/test_parity.py"]
    parity = "tests/test_parity.py::test_api_scores_like_batch"
    median = "tests/test_parity.py::test_model_imputes_unknown_employment_history_with_the_training_median"
    assert own["fail_on_starter"] == [parity, median]
    assert own["unattributed"] == [median]
    # test_api.py imports to_warehouse_row, which only the fix has: it cannot run against the starter
    (cannot,) = own["cannot_run_on_starter"]
    assert cannot["test"].startswith("tests/test_api.py (") and "to_warehouse_row" in cannot["reason"]
    bugs = {b["id"]: b["own_tests"] for b in report["bugs"]}
    assert [t["test"] for t in bugs["utilization-units"]["detected_by"]] == [parity]
    assert bugs["utilization-units"]["measured"] and "credit_risk/api.py put back" in bugs["utilization-units"]["how"]
    for bug_id in ("null-employment-imputation", "region-one-hot-order"):
        assert not bugs[bug_id]["measured"] and "could not run: ImportError" in bugs[bug_id]["how"], bugs[bug_id]
    html = (out / "report.html").read_text()
    assert 'id="own-tests-utilization-units"' in html and parity in html and 'id="candidate-tests"' in html
    md = (out / "report.md").read_text()
    assert "*Their own tests:* 1 of their tests catch it" in md and "## The candidate's own tests" in md
    run = json.loads((out / "run.json").read_text())
    step = next(s for s in run["steps"] if s["step"] == "candidate-tests")
    assert step["status"] == "ok" and len(step["runs"]) == 5  # their suite, the starter, three reverted trees


def test_partial_fixes_without_tests_show_their_suite_only(skew_calibration):
    for variant in ("starter", "units-only"):
        report = json.loads((skew_calibration[variant].report_dir / "report.json").read_text())
        own = report["candidate_tests"]
        assert own["suite"]["reported"] and own["suite"]["failed"] == 0 and own["starter"] is None
        assert all(b["own_tests"]["how"] == "they added or changed no test module" for b in report["bugs"])


CANDIDATE_TEST = """import json, subprocess, sys

def test_the_answer_is_42(tmp_path):
    subprocess.run([sys.executable, "answer.py", str(tmp_path)], check=True)
    assert json.loads((tmp_path / "answer.json").read_text()) == 42
"""
HANG = "import time\n\ndef test_waits_forever():\n    time.sleep(3600)\n"
#: A conftest that replaces pytest's report once it is written: an exponential entity expansion.
BOMB = '''def pytest_unconfigure(config):
    entities = "".join('<!ENTITY e%d "%s">' % (i, ("&e%d;" % (i - 1)) * 10) for i in range(1, 12))
    with open(config.option.xmlpath, "w") as f:
        f.write('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY e0 "lol">' + entities + ']>'
                '<testsuites><testcase classname="x" name="&e11;"/></testsuites>')
'''


def grade_toy(tmp_path: Path, name: str, files: dict[str, str], backend: str):
    exercise = catalog.get_exercise("toy")
    repo = tmp_path / name / "repo"
    publish(exercise, repo)
    commit_overlay(repo, exercise.solution_dir, "Fix the answer")
    import git

    commit_files(git.Repo(repo), files, "Tests")
    # the toy's own step limit is 30 s; a hanging suite is stopped at 20 s
    return grade(Options(location=str(repo), out_dir=tmp_path / name / "out", sandbox="docker" if backend == "docker"
                         else "local", limits={"step_timeout_s": 20}, retries=0))


def test_hostile_suites_are_evidence_and_change_no_score(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    clean = grade_toy(tmp_path, "clean", {"tests/test_answer.py": CANDIDATE_TEST}, backend)
    own = clean.candidate_tests
    assert own.suite.passed == 1 and own.fail_on_starter == ["tests/test_answer.py::test_the_answer_is_42"]
    assert own.starter.failed == 1 and own.unattributed == own.fail_on_starter
    assert "names no fix files" in clean.bugs[0].own_tests.how

    hangs = grade_toy(tmp_path, "hangs", {"tests/test_answer.py": CANDIDATE_TEST, "tests/test_hang.py": HANG}, backend)
    bomb = grade_toy(tmp_path, "bomb", {"tests/test_answer.py": CANDIDATE_TEST, "tests/conftest.py": BOMB}, backend)
    for graded in (hangs, bomb):
        assert graded.verdict == clean.verdict == "pass"
        assert graded.score == clean.score
        assert [c.outcome for c in graded.all_checks()] == [c.outcome for c in clean.all_checks()]
        assert not graded.bugs[0].own_tests.measured
    assert "wall-time limit (20 s)" in hangs.candidate_tests.suite.note
    assert "wall-time limit (20 s)" in hangs.bugs[0].own_tests.how
    assert "refused: it declares a DOCTYPE" in bomb.candidate_tests.suite.note
    for name in ("hangs", "bomb"):
        run = json.loads((tmp_path / name / "out" / "run.json").read_text())
        assert run["status"] == "done"
        assert next(s for s in run["steps"] if s["step"] == "candidate-tests")["status"] == "ok"
        md = (tmp_path / name / "out" / "report.md").read_text()
        assert "lol" not in md and "## The candidate's own tests" in md
