"""Nothing is left behind on the Docker engine: not after a run, not after Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

import pytest

from grader.grade import Options, grade
from grader.publish import commit_overlay
from tests.unit.conftest import HOME, docker_leftovers

pytestmark = pytest.mark.docker


def test_nothing_left_after_a_run(toy_repo, tmp_path):
    report = grade(Options(location=str(toy_repo), out_dir=tmp_path / "out", sandbox="docker"))
    assert report.sandbox.backend == "docker" and report.verdict == "fail"
    assert docker_leftovers() == ([], [])


def test_nothing_left_after_ctrl_c(toy_repo, tmp_path):
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "answer.py").write_text("import time\ntime.sleep(120)\n")
    commit_overlay(toy_repo, slow, "slow")
    proc = subprocess.Popen([sys.executable, "-m", "grader", "score", str(toy_repo), "--sandbox", "docker",
                             "--out", str(tmp_path / "out")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "GRADER_HOME": str(HOME)})
    deadline = time.monotonic() + 60
    while not any("answer" in (c.attrs["Config"]["Cmd"] or [""])[-2:][0] for c in docker_leftovers()[0]) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert time.monotonic() < deadline, "the step never started"
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert docker_leftovers() == ([], [])
