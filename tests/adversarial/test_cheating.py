"""Tricks that try to fool the grader must score exactly what the same repo scores without them."""

import py_compile
import re
import socket
import threading

import git
import pytest

from grader import partial_fixes
from tests.adversarial.conftest import TRICKS, Graded, apply_overlay

pytestmark = pytest.mark.e2e


def assert_same_score(graded: Graded, baseline: Graded) -> None:
    assert graded.outcomes() == baseline.outcomes()
    assert graded.report.score.earned == baseline.report.score.earned
    assert graded.report.verdict == baseline.report.verdict


def test_runner_subversion(grader_, baselines, backend, tmp_path):
    """conftest.py, pytest.ini, sitecustomize.py, a .pth file, a module that patches pytest (and
    calls os._exit(0) inside a pytest process), and a committed unchecked-hash .pyc that would run
    a fixed API instead of the broken api.py the interviewer reads."""
    repo = grader_.repo("starter")
    apply_overlay(repo, TRICKS / "runner_subversion", {})
    pyc = repo / "credit_risk" / "__pycache__" / "api.cpython-311.pyc"
    pyc.parent.mkdir(parents=True)
    units_only = next(f for f in grader_.exercise.spec.partial_fixes if f.id == "units-only")
    (fixed,) = partial_fixes.overlays(grader_.exercise, units_only, tmp_path)
    fixed_api = fixed / "credit_risk" / "api.py"
    py_compile.compile(str(fixed_api), cfile=str(pyc), invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    git_repo = git.Repo(repo)
    git_repo.git.add("--force", str(pyc))  # past the starter's .gitignore, as a determined candidate would
    git_repo.index.commit("Speed up imports")
    graded = grader_.grade(repo, backend)
    assert_same_score(graded, baselines("starter", backend))
    findings = graded.report.submission.findings
    assert "committed bytecode removed: credit_risk/__pycache__/api.cpython-311.pyc" in findings


def test_reading_hidden_checks_and_labels(grader_, baselines, backend):
    graded = grader_.trick("reads_hidden_data", "starter", backend)
    assert_same_score(graded, baselines("starter", backend))
    snoops = [line for line in graded.logs().splitlines() if line.startswith("SNOOP found:")]
    assert snoops and all(line == "SNOOP found: nothing" for line in snoops), snoops


def test_network_exfiltration(grader_, baselines, backend):
    received = []
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", 0))
    server.listen()
    server.settimeout(0.5)

    def listen():
        while not stop.is_set():
            try:
                conn, addr = server.accept()
                received.append((addr, conn.recv(100)))
                conn.close()
            except OSError:
                pass

    stop = threading.Event()
    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        graded = grader_.trick("network", "reference", backend, LISTENER_PORT=str(server.getsockname()[1]))
    finally:
        stop.set()
        thread.join(2)
        server.close()
    assert received == []
    assert_same_score(graded, baselines("reference", backend))
    attempts = [line for line in graded.logs().splitlines() if line.startswith("EXFIL attempts:")]
    assert attempts and not any("SENT" in a or "RESOLVED" in a for a in attempts), attempts


def test_daemon_rewriting_outputs_after_the_step(grader_, baselines, backend):
    graded = grader_.trick("double_fork", "starter", backend)
    assert_same_score(graded, baselines("starter", backend))


def test_output_flood(grader_, baselines, backend):
    graded = grader_.trick("output_flood", "reference", backend)
    assert_same_score(graded, baselines("reference", backend))
    train_log = next((graded.out / "logs").glob("*-train.log")).read_text()
    assert "output limit reached" in train_log and len(train_log) < 1024 * 1024


def test_report_injection(grader_, baselines, backend, tmp_path):
    from tests.conftest import commit_files

    repo = grader_.repo("starter")
    evil = '<script>alert(1)</script> [click](javascript:alert(1)) ![x](http://evil.example/x.png) | # ** `'
    commit_files(git.Repo(repo), {"docs/<img src=x onerror=alert(1)>.md": "x", "docs/[a](http:evil).md": "y"}, evil)
    graded = grader_.grade(repo, backend)
    assert_same_score(graded, baselines("starter", backend))
    md = (graded.out / "report.md").read_text()
    assert "<script>" not in md and "<img" not in md
    assert not re.search(r"(?<!\\)\]\((javascript|http)", md)
    assert graded.report.history.commits[-1].message == evil  # kept as given in the JSON, escaped when rendered


@pytest.mark.docker
@pytest.mark.parametrize("base", ["starter", "reference"])
def test_backends_agree(baselines, docker_image, base):
    """The same submission gets the same outcome per check under docker and bubblewrap."""
    assert baselines(base, "docker").outcomes() == baselines(base, "bwrap").outcomes()
