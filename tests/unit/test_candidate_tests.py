"""The candidate-tests step without grading: which files are theirs, the trees, reading runs, attribution."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from grader import catalog
from grader.candidate_tests import (
    TEST_ROOT,
    Plan,
    Revert,
    Run,
    attribute,
    glob_match,
    imported_modules,
    is_test_file,
    is_test_module,
    plan,
    read_run,
    reverted_tree,
    starter_tree,
)
from grader.junit import Case
from grader.report.model import CandidateTests
from grader.sandbox.base import StepResult
from grader.spec import Bug, Check

CHECK = [Check(id="c", kind="fail_to_pass", title="t")]


def bug(bug_id: str, *paths: str) -> Bug:
    return Bug(id=bug_id, title=bug_id, symptom="s", checks=CHECK, paths=list(paths))


def test_every_starter_runs_its_tests_the_way_the_step_does():
    for exercise in catalog.list_exercises():
        makefile = (exercise.starter / "Makefile").read_text()
        assert re.search(rf"^test:.*\n\t\$\(BIN\)/python -m pytest -q {TEST_ROOT}$", makefile, re.M), exercise.id


def test_which_files_are_tests():
    assert is_test_file("tests/test_api.py") and is_test_file("tests/data/rows.csv")
    assert is_test_file("conftest.py") and is_test_file("pytest.ini")
    assert not is_test_file("credit_risk/api.py") and not is_test_file("testsuite.py")
    assert is_test_module("tests/test_api.py") and is_test_module("tests/unit/api_test.py")
    assert not is_test_module("tests/conftest.py") and not is_test_module("tests/helpers.py")
    assert not is_test_module("test_root.py")


def test_globs_match_as_git_pathspecs_do(tmp_path):
    paths = ["credit_risk/api.py", "credit_risk/monitoring/drift.py", "tests/test_api.py", "tests/unit/test_x.py",
             "deploy/k8s/hpa.yaml", "deploy/k8s/base/x.yaml", "data/applications.csv", "Dockerfile", "api.py"]
    for path in paths:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, env=env)
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True, env=env)
    for pattern in ["credit_risk/*.py", "tests/**", "deploy/k8s/*.yaml", "**/*.py", "data/*", "Dockerfile",
                    "credit_risk/**/*.py", "?pi.py"]:
        listed = subprocess.run(["git", "-C", str(tmp_path), "ls-files", "--", f":(glob){pattern}"], check=True,
                                capture_output=True, text=True, env=env).stdout.split()
        assert sorted(p for p in paths if glob_match(p, pattern)) == sorted(listed), pattern


def test_imports_are_found_by_a_line_scan():
    text = """
import os, credit_risk.monitoring as mon
from credit_risk.monitoring.drift import drift_report, psi as p
from . import helpers
from ..credit_risk import features  # a comment
    from credit_risk.prediction_log import (PredictionLog,
        other)
x = "import not_a_module"
"""
    found = imported_modules(text, "tests")
    assert {"os", "credit_risk.monitoring", "credit_risk.monitoring.drift", "credit_risk.monitoring.drift.psi",
            "tests.helpers", "credit_risk.prediction_log", "credit_risk.prediction_log.PredictionLog"} <= found
    assert "tests.helpers.h" in imported_modules("from ..helpers import h", "tests.unit")
    assert not any("features" in name for name in found)  # beyond the top-level package: nothing
    assert not any(" " in name for name in found)


def test_the_import_scan_of_hostile_text_is_linear_and_bounded():
    started = time.monotonic()
    for text in ("from " + "." * 200_000 + "x", "from " + "." * 200_000, "import " + "a." * 100_000 + "b",
                 "from x import " + "a, " * 80_000, ("from a import b\n" * 15_000)):
        names = imported_modules(text, "tests")
        assert all(len(n) <= 200 for n in names)
    assert time.monotonic() - started < 5


STARTER = {"credit_risk/__init__.py": "s0", "credit_risk/api.py": "s1", "credit_risk/features.py": "s2",
           "credit_risk/train.py": "s3", "tests/conftest.py": "s4", "tests/test_api.py": "s5", "Makefile": "s6"}


def test_plan_their_tests_helpers_and_reverted_trees():
    submission = {**STARTER, "credit_risk/api.py": "c1", "credit_risk/features.py": "c2",
                  "tests/test_api.py": "c5", "tests/test_parity.py": "n1", "tests/helpers.py": "n2",
                  "credit_risk/monitoring/__init__.py": "n3", "credit_risk/monitoring/drift.py": "n4",
                  "credit_risk/monitoring/data.py": "n5", "credit_risk/unused.py": "n6", "NOTES.md": "n7"}
    del submission["credit_risk/train.py"]
    texts = {"tests/test_parity.py": b"from credit_risk.monitoring.drift import psi\nfrom .helpers import h\n",
             "tests/helpers.py": b"import numpy\n",
             "credit_risk/monitoring/drift.py": b"from .data import load\n"}
    bugs = [bug("units", "credit_risk/api.py", "tests/**"), bug("nulls", "credit_risk/features.py", "credit_risk/train.py"),
            bug("order", "credit_risk/api.py", "credit_risk/features.py", "credit_risk/train.py"),
            bug("same", "credit_risk/api.py"), bug("untouched", "credit_risk/batch.py"), bug("nowhere")]
    result = plan(STARTER, submission, bugs, lambda path: texts.get(path, b""))
    assert result.test_files == ["tests/helpers.py", "tests/test_api.py", "tests/test_parity.py"]
    assert result.test_modules == ["tests/test_api.py", "tests/test_parity.py"]
    assert result.helpers == ["credit_risk/monitoring/__init__.py", "credit_risk/monitoring/data.py",
                              "credit_risk/monitoring/drift.py"]
    reverts = {tuple(r.bugs): r.files for r in result.reverts}
    assert reverts == {("units", "same"): ["credit_risk/api.py"],
                       ("nulls",): ["credit_risk/features.py", "credit_risk/train.py"],
                       ("order",): ["credit_risk/api.py", "credit_risk/features.py", "credit_risk/train.py"]}
    assert "(credit_risk/batch.py) as they were" in result.unmeasured["untouched"]
    assert "names no fix files" in result.unmeasured["nowhere"]


def test_a_new_package_that_would_replace_a_starter_module_stays_out():
    submission = {**STARTER, "tests/test_new.py": "n1", "credit_risk/features/__init__.py": "n2"}
    result = plan(STARTER, submission, [], lambda path: b"from credit_risk.features import build\n")
    assert result.helpers == [] and "credit_risk/features/__init__.py" in result.left_out[0]


def test_no_test_changes_means_no_trees_but_the_suite():
    result = plan(STARTER, {**STARTER, "credit_risk/api.py": "c1"}, [bug("units", "credit_risk/api.py")],
                  lambda path: b"")
    assert result.test_files == result.test_modules == result.helpers == []


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def read_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_the_starter_tree_and_a_reverted_tree(tmp_path):
    starter = write(tmp_path / "starter", {"pkg/api.py": "buggy api", "pkg/train.py": "old train",
                                           "tests/test_api.py": "old test"})
    fix = write(tmp_path / "fix", {"pkg/api.py": "fixed api", "pkg/gate.py": "new gate", "pkg/helper.py": "helper",
                                   "tests/test_api.py": "new test", "tests/test_gate.py": "gate test"})
    os.symlink("/etc/passwd", fix / "tests" / "data.txt")
    the_plan = Plan(test_files=["tests/data.txt", "tests/test_api.py", "tests/test_gate.py"],
                    test_modules=["tests/test_api.py", "tests/test_gate.py"], helpers=["pkg/helper.py"])
    starter_tree(the_plan, starter, fix, tmp_path / "against")
    assert read_tree(tmp_path / "against") == {"pkg/api.py": "buggy api", "pkg/train.py": "old train",
                                               "pkg/helper.py": "helper", "tests/test_api.py": "new test",
                                               "tests/test_gate.py": "gate test"}
    reverted_tree(Revert(bugs=["b"], files=["pkg/api.py", "pkg/gate.py", "pkg/train.py"]), starter, fix,
                  tmp_path / "reverted")
    assert read_tree(tmp_path / "reverted") == {"pkg/api.py": "buggy api", "pkg/train.py": "old train",
                                                "pkg/helper.py": "helper", "tests/test_api.py": "new test",
                                                "tests/test_gate.py": "gate test"}


def step_result(tmp_path: Path, junit: bytes | None, exit_code: int | None = 1, stopped: str | None = None) -> StepResult:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    if junit is not None:
        (out / "junit.xml").write_bytes(junit)
    log = tmp_path / "step.log"
    log.write_text("collecting ...\nlast words\n")
    return StepResult(name="tests", command=[], exit_code=exit_code, duration_s=1.5, log_path=log, out_dir=out,
                      stopped=stopped)


def test_a_run_without_a_usable_report_says_why(tmp_path):
    run = Run(tree="their fix", paths=["tests"])
    read_run(run, step_result(tmp_path, None, exit_code=None, stopped="wall-time limit (5 s) reached during tests"))
    assert run.cases is None and run.stopped
    assert "wall-time limit" in run.note and "junit.xml was not written" in run.note and "last words" in run.note
    os.symlink("/etc/passwd", tmp_path / "out" / "junit.xml")
    run = Run(tree="their fix", paths=["tests"])
    read_run(run, step_result(tmp_path, None))
    assert run.cases is None and "cannot be read safely" in run.note
    assert run.status("tests/test_a.py::t", "tests/test_a.py") == ("cannot run", run.note)


def test_a_run_with_collection_errors(tmp_path):
    junit = (b'<testsuites><testsuite><testcase classname="" name="tests.test_b" file="tests/test_b.py">'
             b'<error message="collection failure">E   ImportError: cannot import name \'f\'</error></testcase>'
             b'<testcase classname="tests.test_a" name="t" file="tests/test_a.py"/></testsuite></testsuites>')
    run = Run(tree="their fix", paths=["tests"])
    read_run(run, step_result(tmp_path, junit))
    summary = run.summary()
    assert (summary.passed, summary.errors, summary.not_collected[0].test) == (1, 1, "tests/test_b.py")
    assert run.status("tests/test_b.py::x", "tests/test_b.py") == ("cannot run", "ImportError: cannot import name 'f'")
    assert run.status("tests/test_a.py::t", "tests/test_a.py")[0] == "pass"


# -- attribution -----------------------------------------------------------------------------
def case(name: str, outcome: str = "passed", reason: str = "", file: str = "tests/test_x.py") -> Case:
    return Case(file=file, classname=file[:-3].replace("/", "."), name=name, outcome=outcome, reason=reason)


def ran(tree: str, *cases: Case, not_collected: dict | None = None) -> Run:
    return Run(tree=tree, paths=[], cases={c.nodeid: c for c in cases}, not_collected=not_collected or {})


ATTRIBUTION_BUGS = [bug("units", "pkg/api.py"), bug("order", "pkg/api.py", "pkg/features.py"),
                    bug("nulls", "pkg/train.py"), bug("docs", "README.md")]
ATTRIBUTION_PLAN = Plan(test_files=["tests/test_x.py"], test_modules=["tests/test_x.py"],
                        reverts=[Revert(["units"], ["pkg/api.py"]), Revert(["order"], ["pkg/api.py", "pkg/features.py"]),
                                 Revert(["nulls"], ["pkg/train.py"])],
                        unmeasured={"docs": "their fix left this bug's usual fix files (README.md) as they were"})


def test_attribution_per_bug():
    suite = ran("fix", case("api"), case("order_only"), case("both_ways"), case("imports_new_code"),
                case("passes_everywhere"), case("broken_on_fix", "failed", "AssertionError"))
    against = ran("starter", case("api", "failed", "AssertionError: 0.99"), case("order_only", "failed"),
                  case("both_ways", "failed"), case("imports_new_code", "failed", "ImportError: cannot import name"),
                  case("passes_everywhere"), case("broken_on_fix", "failed"))
    units = ran("units", case("api", "failed"), case("order_only"), case("both_ways", "failed"),
                case("imports_new_code"), case("passes_everywhere"))
    order = ran("order", case("api", "failed"), case("order_only", "failed"), case("both_ways", "failed"),
                case("imports_new_code"), case("passes_everywhere"))
    nulls = ran("nulls", case("api", "error", "ImportError: x"), case("order_only", "error", "ModuleNotFoundError: y"),
                case("both_ways", "failed"), case("imports_new_code", "failed"), case("passes_everywhere"))
    section = CandidateTests()
    per_bug = attribute(ATTRIBUTION_BUGS, ATTRIBUTION_PLAN, suite, against,
                        list(zip(ATTRIBUTION_PLAN.reverts, [units, order, nulls])), section)
    detected = {b: {t.test.split("::")[-1]: t.one_of for t in o.detected_by} for b, o in per_bug.items()}
    assert detected["units"] == {"api": ["units", "order"], "both_ways": ["units", "order"]}
    assert detected["order"] == {"api": ["order", "units"], "order_only": [], "both_ways": ["order", "units"]}
    # imports_new_code cannot run against the starter, and fails with nulls' files put back: it detects nulls
    assert detected["nulls"] == {"both_ways": [], "imports_new_code": []}
    assert not per_bug["docs"].measured and "README.md" in per_bug["docs"].how
    assert [t.split("::")[-1] for t in section.fail_on_starter] == ["api", "order_only", "both_ways"]
    assert section.cannot_run_on_starter[0].test == "tests/test_x.py (1 test)"
    assert section.unattributed == []


def test_attribution_when_nothing_can_be_told():
    suite = ran("fix", case("a"), case("b"))
    against = ran("starter", case("a", "failed"), case("b"))
    cannot = ran("units", not_collected={"tests/test_x.py": "ImportError: cannot import name 'RAW'"})
    section = CandidateTests()
    the_plan = Plan(test_files=["tests/test_x.py"], test_modules=["tests/test_x.py"],
                    reverts=[Revert(["units"], ["pkg/api.py"])])
    per_bug = attribute([bug("units", "pkg/api.py")], the_plan, suite, against,
                        [(the_plan.reverts[0], cannot)], section)
    assert not per_bug["units"].measured and "could not run: ImportError: cannot import name 'RAW'" in per_bug["units"].how
    assert [t.split("::")[-1] for t in section.unattributed] == ["a"]
    # their suite broke on their own fix: nothing is measured, and it says why
    broken = Run(tree="fix", paths=["tests"], note="stopped: wall-time limit", stopped=True)
    per_bug = attribute([bug("units", "pkg/api.py")], the_plan, broken, None, [], CandidateTests())
    assert not per_bug["units"].measured and "wall-time limit" in per_bug["units"].how


@pytest.mark.parametrize("tests_changed, against, expected", [
    (False, None, "no test module"),
    (True, "all pass", "pass against the starter too"),
])
def test_attribution_without_reverted_runs(tests_changed, against, expected):
    the_plan = Plan(test_files=["tests/test_x.py"] * tests_changed, test_modules=["tests/test_x.py"] * tests_changed,
                    reverts=[Revert(["units"], ["pkg/api.py"])])
    suite = ran("fix", case("a"))
    per_bug = attribute([bug("units", "pkg/api.py")], the_plan, suite, ran("starter", case("a")) if against else None,
                        [], CandidateTests())
    assert expected in per_bug["units"].how and not per_bug["units"].detected_by
