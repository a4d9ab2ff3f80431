"""Errors a user can cause end in one line on stderr and a non-zero exit, never a traceback."""

import json
import os
import subprocess
import sys

import pytest

from grader import catalog
from grader.publish import publish
from tests.conftest import make_repo


def grader(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def assert_one_line_error(result, contains):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # not even a blank line left by the progress display
    assert contains in lines[0], lines[0]


@pytest.mark.parametrize("args, contains", [
    (["publish", "nope", "/tmp/never"], "unknown exercise 'nope'"),
    (["score", "/tmp", "--exercise", "nope"], "unknown exercise 'nope'"),
    (["score", "ext::sh -c touch% /tmp/pwned"], "ext:: are not allowed"),
    (["score", "--", "--upload-pack=touch /tmp/pwned"], "looks like a command-line option"),
    (["score", "--upload-pack=touch /tmp/pwned"], "No such option"),
    (["score", "https://evil.example/x.git"], "host 'evil.example' is not allowed"),
    (["score", "/definitely/not/here"], "no such path"),
    (["score"], "Missing argument"),
    (["score", "/tmp", "--sandbox", "vm"], "Invalid value for '--sandbox'"),
])
def test_bad_input_is_one_line(args, contains, tmp_path):
    assert_one_line_error(grader(*args, cwd=tmp_path), contains)


def test_unreachable_url(tmp_path):
    result = grader("score", "git://127.0.0.1:9/x.git", "--allow-host", "127.0.0.1", "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "clone of git://127.0.0.1:9/x.git failed")
    assert '"status": "error"' in (tmp_path / "o" / "run.json").read_text()


def test_missing_ref(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.txt": "a"})
    result = grader("score", repo.working_tree_dir, "--ref", "nope", "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "ref 'nope' not found")


def test_no_docker_engine(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.txt": "a"})
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    result = grader("score", repo.working_tree_dir, "--sandbox", "docker", "--exercise", "training-serving-skew",
                    "--out", str(tmp_path / "o"), env=env)
    assert_one_line_error(result, "no Docker engine answers")
    assert result.returncode == 3  # a fault of the grading machine, not of the input


def test_a_measured_exercise_under_auto_with_no_engine_says_so_before_grading(tmp_path):
    """`auto` falls back to bubblewrap, where a latency-measuring exercise's measured checks
    can only be inconclusive: it says so at once instead of after a grading that cannot pass."""
    publish(catalog.get_exercise("over-provisioned-serving"), tmp_path / "r")
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    result = grader("score", str(tmp_path / "r"), "--out", str(tmp_path / "o"), env=env)
    assert_one_line_error(result, "over-provisioned-serving measures latency and memory, which only the docker sandbox")
    assert "no Docker engine answers" in result.stderr and "--sandbox local" in result.stderr
    assert result.returncode == 3
    run = json.loads((tmp_path / "o" / "run.json").read_text())
    assert run["status"] == "error" and [s["step"] for s in run["steps"]][-1] == "sandbox"


@pytest.mark.parametrize("asked", ["auto", "local", "bwrap", "docker"])
def test_one_rule_says_which_backend_grades_an_exercise(asked):
    """Score (`choose_for`) and calibration (`backend_for`) read the same rule: a measured exercise
    is graded under docker when `auto` is asked, and calibrated under docker whatever is asked;
    every other exercise under what is asked."""
    from grader.calibrate import backend_for
    from grader.grade import sandbox_for

    for exercise in catalog.list_exercises():
        measured = exercise.spec.needs_docker
        assert sandbox_for(exercise.spec, asked) == ("docker" if measured and asked == "auto" else asked)
        assert backend_for(exercise, asked) == ("docker" if measured else asked)
    assert any(e.spec.needs_docker for e in catalog.list_exercises())


def test_doctor_without_an_engine_names_what_only_docker_grades(tmp_path, bwrap_ready):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    result = grader("doctor", env=env)
    shown = " ".join(result.stdout.split())
    assert result.returncode == 0 and "Traceback" not in result.stdout + result.stderr
    assert "--sandbox auto will use: bwrap" in shown
    assert "over-provisioned-serving measures latency and memory: only docker grades it" in shown


def test_repo_that_is_not_an_exercise(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.txt": "a"})
    result = grader("score", repo.working_tree_dir, "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "not an exercise repo")


def test_exercises_lists_the_catalog():
    result = grader("exercises")
    assert result.returncode == 0 and "training-serving-skew" in result.stdout
