"""`grader batch --cluster`: a real Dask scheduler and real workers, as processes on 127.0.0.1.

The skew test grades 2 submissions (the starter and the reference) locally and through 2
workers, one of them killed while it grades (5 full gradings, the killed one stopped as its
hidden checks begin and graded again). The fault
tests use the toy exercise (tests/fixtures/home), which grades in about a second.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from grader import catalog
from grader.batch import Batch, BatchProgress, Submission
from grader.calibrate import publish_variant, variants
from grader.cluster import ClusterRunner
from grader.errors import InfraError
from grader.grade import Options, Progress
from tests.dask_processes import DaskProcesses, make_tls_files
from tests.unit.test_cli import assert_one_line_error

pytestmark = pytest.mark.e2e

HOME = Path(__file__).parents[1] / "fixtures" / "home"
TIMING = ("seconds",)


def make_submissions(exercise, root: Path, count: int) -> list[Submission]:
    """The exercise's calibration variants (starter, reference, partial fixes), each published as a repo."""
    subs = []
    for i, variant in enumerate((variants(exercise) * count)[:count]):
        repo = publish_variant(exercise, variant, root / f"{variant.name}-{i}")
        subs.append(Submission(candidate=f"{variant.name} {i}", repo=str(repo)))
    return subs


def summary(out: Path) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(open(out / "summary.csv"))]


def write_csv(path: Path, subs: list[Submission]) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["candidate", "repo"])
        writer.writerows([s.candidate, s.repo] for s in subs)
    return path


def batch_cli(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "batch", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=900)


class KillOnVerify(BatchProgress):
    """Kills the worker of the first grading that reaches its hidden checks, then starts another worker."""

    def __init__(self, procs: DaskProcesses):
        self.procs, self.killed, self.row = procs, None, None
        self.replaced = threading.Event()

    def started(self, row) -> Progress:
        watcher = self

        class Watch(Progress):
            def step(self, name: str) -> None:
                if name == "verify" and watcher.killed is None:
                    watcher.killed, watcher.row = row.worker, row.folder
                    threading.Thread(target=watcher.replace, args=(row.worker,)).start()

        return Watch()

    def replace(self, name: str) -> None:
        self.procs.kill(name)
        self.procs.start_worker("w3")
        self.replaced.set()


def test_skew_batch_on_two_workers_equals_the_local_batch_and_survives_a_killed_worker(bwrap_ready, tmp_path):
    skew = catalog.get_exercise("training-serving-skew")
    subs = make_submissions(skew, tmp_path / "repos", 2)
    template = Options(location="", sandbox="local", trusted=True, candidate_tests=False)
    local = Batch(subs, tmp_path / "local", template, jobs=2).run()
    assert [r.status for r in local] == ["graded"] * 2

    procs = DaskProcesses(tmp_path / "dask")
    try:
        procs.start_scheduler()
        procs.start_worker("w1")
        procs.start_worker("w2")
        procs.wait_for_workers(2)
        killer = KillOnVerify(procs)
        rows = Batch(subs, tmp_path / "cluster", template).run(killer, runner=ClusterRunner(procs.address))
        assert killer.replaced.wait(timeout=300)
    finally:
        procs.stop()
    assert killer.killed in ("w1", "w2")
    assert [(r.status, r.message) for r in rows] == [("graded", "")] * 2
    rerun = next(r for r in rows if r.folder == killer.row)
    assert rerun.worker != killer.killed  # graded again on the other worker (or the new one)
    assert summary(tmp_path / "cluster") == summary(tmp_path / "local")
    for row in rows:
        names = {p.relative_to(tmp_path / "cluster" / row.folder) for p in (tmp_path / "cluster" / row.folder).rglob("*")}
        assert {Path("report.json"), Path("report.html"), Path("report.md"), Path("run.json")} <= names


# -- faults, on the toy exercise ---------------------------------------------------------------------


@pytest.fixture
def toy(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    return catalog.get_exercise("toy")


def other_home(tmp_path: Path, extra: str = "\n") -> Path:
    """A copy of the toy home whose starter ends in `extra`: another exercise fingerprint."""
    home = tmp_path / "other-home"
    shutil.copytree(HOME, home)
    answer = home / "broken_pipelines" / "toy" / "answer.py"
    answer.write_text(answer.read_text() + extra)
    return home


def test_a_worker_with_other_exercises_is_named_and_grades_nothing(toy, bwrap_ready, tmp_path):
    subs = make_submissions(toy, tmp_path / "repos", 3)
    procs = DaskProcesses(tmp_path / "dask", env={"GRADER_HOME": str(HOME)})
    try:
        address = procs.start_scheduler()
        procs.start_worker("good")
        procs.start_worker("stale", env={"GRADER_HOME": str(other_home(tmp_path))})
        procs.wait_for_workers(2)
        result = batch_cli(str(write_csv(tmp_path / "c.csv", subs)), "--out", str(tmp_path / "out"),
                           "--cluster", address, "--sandbox", "local")
        assert result.returncode == 0, result.stderr
        refusals = [line for line in result.stdout.splitlines() if "refuses" in line]
        assert refusals == [f"worker stale refuses gradings: exercise content "
                            f"{_fingerprint(tmp_path / 'other-home')[:12]} (client: {catalog.fingerprint()[:12]})"]
        assert "1 worker(s) grading (slots good: 1)" in result.stdout and "dashboard http://" in result.stdout
        assert [(r["status"], r["message"]) for r in summary(tmp_path / "out")] == [("graded", "")] * 3
        assert "3 graded (0 reused), 0 failed to grade" in result.stdout

        # re-running resumes: the finished reports are neither graded nor sent again
        html = tmp_path / "out" / summary(tmp_path / "out")[0]["report"]
        written = html.stat().st_mtime_ns
        result = batch_cli(str(tmp_path / "c.csv"), "--out", str(tmp_path / "out"), "--cluster", address)
        assert result.returncode == 0, result.stderr
        assert "3 graded (3 reused), 0 failed to grade" in result.stdout
        assert [r["status"] for r in summary(tmp_path / "out")] == ["reused"] * 3
        assert html.stat().st_mtime_ns == written
        assert "reused_at" in (html.parent / "run.json").read_text()

        # no worker matches this client: one line, nothing graded
        result = batch_cli(str(tmp_path / "c.csv"), "--out", str(tmp_path / "out2"), "--cluster", address,
                           env={"GRADER_HOME": str(other_home(tmp_path / "third", extra="\n\n"))})
        assert_one_line_error(result, "no worker of the scheduler")
    finally:
        procs.stop()


def _fingerprint(home: Path) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADER_HOME", str(home))
        return catalog.fingerprint()


def test_the_scheduler_going_away_stops_the_batch_and_keeps_what_finished(toy, bwrap_ready, tmp_path):
    subs = make_submissions(toy, tmp_path / "repos", 3)
    procs = DaskProcesses(tmp_path / "dask", env={"GRADER_HOME": str(HOME)})

    class StopSchedulerAfterFirst(BatchProgress):
        def finished(self, row) -> None:
            procs.stop_scheduler()

    try:
        procs.start_scheduler()
        procs.start_worker("only")
        procs.wait_for_workers(1)
        out = tmp_path / "out"
        with pytest.raises(InfraError, match=r"^lost the Dask scheduler at tcp://127\.0\.0\.1:\d+: stopped; "
                                             r"1 finished submission\(s\) are kept in "):
            Batch(subs, out, Options(location="", sandbox="local", trusted=True, candidate_tests=False)).run(
                StopSchedulerAfterFirst(), runner=ClusterRunner(procs.address))
    finally:
        procs.stop()
    assert [r["status"] for r in summary(out)] == ["graded", "pending", "pending"]
    assert (out / summary(out)[0]["report"]).is_file()


def test_unusable_schedulers_are_one_line_errors(toy, tmp_path):
    csv_path = write_csv(tmp_path / "c.csv", [Submission("a", str(tmp_path))])
    quick = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s", "GRADER_HOME": str(HOME)}
    result = batch_cli(str(csv_path), "--out", str(tmp_path / "o1"), "--cluster", "http://nowhere", env=quick)
    assert_one_line_error(result, "bad Dask scheduler address 'http://nowhere'")
    assert result.returncode == 2
    result = batch_cli(str(csv_path), "--out", str(tmp_path / "o2"), env={**quick, "GRADER_DASK_SCHEDULER": "tcp://127.0.0.1:9"})
    assert_one_line_error(result, "cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert result.returncode == 3
    procs = DaskProcesses(tmp_path / "dask")
    try:
        address = procs.start_scheduler()
        result = batch_cli(str(csv_path), "--out", str(tmp_path / "o3"), "--cluster", address, env=quick)
        assert_one_line_error(result, f"no Dask worker is connected to the scheduler at {address}")
        assert result.returncode == 3
    finally:
        procs.stop()


def test_a_batch_over_tls_and_a_client_without_certificates(toy, bwrap_ready, tmp_path):
    ca, cert, key = make_tls_files(tmp_path / "tls")
    subs = make_submissions(toy, tmp_path / "repos", 2)
    csv_path = write_csv(tmp_path / "c.csv", subs)
    procs = DaskProcesses(tmp_path / "dask", env={"GRADER_HOME": str(HOME)}, tls=(ca, cert, key))
    try:
        address = procs.start_scheduler()
        assert address.startswith("tls://")
        procs.start_worker("w1")
        procs.wait_for_workers(1)
        result = batch_cli(str(csv_path), "--out", str(tmp_path / "out"), "--cluster", address, "--sandbox", "local",
                           "--tls-ca-file", str(ca), "--tls-cert", str(cert), "--tls-key", str(key))
        assert result.returncode == 0, result.stderr
        assert [r["status"] for r in summary(tmp_path / "out")] == ["graded", "graded"]
        # without certificates, or with a certificate of another CA: refused, in one line
        quick = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "5s"}
        result = batch_cli(str(csv_path), "--out", str(tmp_path / "out2"), "--cluster", address, env=quick)
        assert_one_line_error(result, "tls:// needs --tls-ca-file and --tls-cert")
        stranger = make_tls_files(tmp_path / "stranger")
        result = batch_cli(str(csv_path), "--out", str(tmp_path / "out3"), "--cluster", address, "--tls-ca-file",
                           str(stranger[0]), "--tls-cert", str(stranger[1]), "--tls-key", str(stranger[2]), env=quick)
        assert_one_line_error(result, f"Dask scheduler at {address}")
        assert not (tmp_path / "out3" / "summary.csv").exists()
    finally:
        procs.stop()


def test_measured_gradings_take_the_whole_worker(monkeypatch, bwrap_ready, tmp_path):
    """A toy exercise marked needs_docker on a worker with 2 slots: its gradings never overlap.

    Two rows do not name the exercise (the worker finds out and the task comes back for a whole
    worker), one does (submitted for a whole worker at once).
    """
    home = tmp_path / "measured-home"
    shutil.copytree(HOME, home)
    spec = home / "exercises" / "toy" / "exercise.toml"
    spec.write_text(spec.read_text().replace('time_budget_hours = 0.5\n', 'time_budget_hours = 0.5\nneeds_docker = true\n'))
    monkeypatch.setenv("GRADER_HOME", str(home))
    toy = catalog.get_exercise("toy")
    assert toy.spec.needs_docker
    subs = make_submissions(toy, tmp_path / "repos", 3)
    subs[2] = Submission(subs[2].candidate, subs[2].repo, exercise="toy")
    procs = DaskProcesses(tmp_path / "dask", env={"GRADER_HOME": str(home)})
    try:
        procs.start_scheduler()
        procs.start_worker("big", slots=2)
        procs.wait_for_workers(1)
        rows = Batch(subs, tmp_path / "out", Options(location="", sandbox="local", trusted=True, candidate_tests=False)).run(
            runner=ClusterRunner(procs.address))
    finally:
        procs.stop()
    assert [(r.status, r.message, r.worker) for r in rows] == [("graded", "", "big")] * 3
    spans = sorted((json.loads((tmp_path / "out" / r.folder / "run.json").read_text())["started_at"],
                    json.loads((tmp_path / "out" / r.folder / "run.json").read_text())["finished_at"]) for r in rows)
    for (_, finished), (started, _) in zip(spans, spans[1:]):
        assert started >= finished, spans
