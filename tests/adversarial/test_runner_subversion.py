"""Runner subversion: conftest.py, pytest.ini, sitecustomize.py and a module that patches pytest on
import change nothing, because no candidate file ever reaches the trusted verifier process."""

import json
from pathlib import Path

import pytest

from grader.grade import Options, grade
from grader.publish import commit_overlay, publish

pytestmark = pytest.mark.e2e
TRICKS = Path(__file__).parent / "tricks" / "runner_subversion"


def outcomes(report_dir: Path) -> dict[str, str]:
    report = json.loads((report_dir / "report.json").read_text())
    return {c["id"]: c["outcome"] for b in report["bugs"] for c in b["checks"]} | {
        c["id"]: c["outcome"] for c in report["checks"]}


def test_runner_tricks_score_like_the_plain_starter(skew, skew_calibration, tmp_path):
    repo = tmp_path / "repo"
    publish(skew, repo)
    commit_overlay(repo, TRICKS, "PASSED: all checks green")
    report = grade(Options(location=str(repo), out_dir=tmp_path / "out", sandbox="local"))
    starter = skew_calibration["starter"]
    assert outcomes(tmp_path / "out") == outcomes(starter.report_dir)
    assert report.score.earned == starter.earned and report.verdict == "fail"
