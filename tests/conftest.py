"""Shared fixtures: throwaway git repos, a real git server on loopback, published exercises."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import git
import pytest

from grader.publish import BOT
from grader.sandbox import Limits, SandboxConfig, make_sandbox


def make_repo(path: Path, files: dict[str, str | bytes], message: str = "initial") -> git.Repo:
    """A git repo at `path` with one commit holding `files`."""
    repo = git.Repo.init(path, initial_branch="main")
    commit_files(repo, files, message)
    return repo


def grader_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m grader ARGS` in a child process, with `env` added to this one's environment."""
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def commit_files(repo: git.Repo, files: dict[str, str | bytes], message: str) -> str:
    root = Path(repo.working_tree_dir)
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    repo.git.add("--all")
    return repo.index.commit(message, author=BOT, committer=BOT).hexsha


@pytest.fixture
def repo_factory(tmp_path):
    counter = iter(range(1000))

    def factory(files: dict[str, str | bytes], message: str = "initial") -> git.Repo:
        return make_repo(tmp_path / f"repo{next(counter)}", files, message)

    return factory


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GitServer:
    """`git daemon` serving bare repos from a folder, on 127.0.0.1."""

    def __init__(self, base: Path):
        self.base = base
        self.port = _free_port()
        self.proc = subprocess.Popen(
            ["git", "daemon", f"--base-path={base}", "--export-all", "--enable=receive-pack", "--reuseaddr",
             "--listen=127.0.0.1",
             f"--port={self.port}", str(base)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("git daemon did not start")

    def add(self, name: str, source: Path) -> str:
        """Serve a bare copy of the repo at `source` as `name`; return its git:// URL."""
        dest = self.base / f"{name}.git"
        shutil.rmtree(dest, ignore_errors=True)
        subprocess.run(["git", "clone", "--bare", "--quiet", str(source), str(dest)], check=True)
        return f"git://127.0.0.1:{self.port}/{name}.git"

    def empty(self, name: str) -> str:
        """A new empty bare repo that accepts pushes; return its git:// URL."""
        subprocess.run(["git", "init", "--bare", "--quiet", "--initial-branch=main", str(self.base / f"{name}.git")],
                       check=True)
        return f"git://127.0.0.1:{self.port}/{name}.git"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def git_server(tmp_path_factory):
    server = GitServer(tmp_path_factory.mktemp("git-server"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _no_operator_git_config(monkeypatch):
    """Tests never depend on the machine's git identity or config."""
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)


# -- sandbox backends -----------------------------------------------------------------------
# Docker tests skip with a reason where no engine runs, except where GRADER_REQUIRE_DOCKER=1
# (CI sets it): there a missing engine or image fails them instead.
REQUIRE_DOCKER = os.environ.get("GRADER_REQUIRE_DOCKER") == "1"


@pytest.fixture(scope="session")
def docker_image() -> str:
    from grader.sandbox.docker import docker_status

    status = docker_status()
    if not status.ready:
        if REQUIRE_DOCKER:
            pytest.fail(f"GRADER_REQUIRE_DOCKER=1 but Docker is not usable: {status.problem}")
        pytest.skip(f"Docker not available: {status.problem}")
    return status.image


@pytest.fixture(scope="session")
def bwrap_ready() -> None:
    from grader.sandbox.local import bwrap_path

    if bwrap_path() is None:
        pytest.skip("bubblewrap (bwrap) is not installed")


BACKENDS = ["bwrap", pytest.param("docker", marks=pytest.mark.docker)]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each sandbox backend in turn (a test using this runs once per backend)."""
    request.getfixturevalue("docker_image" if request.param == "docker" else "bwrap_ready")
    return request.param


#: Small limits for sandbox tests, so that bombs and floods end quickly.
LIMITS = Limits(memory_mb=400, pids=64, step_timeout_s=20, serve_start_timeout_s=20, output_kb=64, file_size_mb=8,
                disk_mb=40)


@pytest.fixture
def box(backend, tmp_path, request):
    """A sandbox of each backend in turn, with LIMITS, on an empty workspace."""
    (tmp_path / "ws").mkdir()
    image = request.getfixturevalue("docker_image") if backend == "docker" else None
    sandbox = make_sandbox(SandboxConfig(backend, str(tmp_path / "ws"), str(tmp_path / "run"), asdict(LIMITS),
                                         image=image))
    yield sandbox
    sandbox.close()


# -- parallel runs (pytest-xdist, `make test`) ----------------------------------------------
class SharedResults:
    """Results that several tests read, computed once per test run whichever worker asks first.

    `make test` runs pytest-xdist workers, each with its own session. A grading that tests on
    different workers read (a calibration variant, a hostile-repo baseline) is built under a
    lock file in a folder all workers share and pickled there; the others wait for it and
    read it. A build that raises leaves nothing behind, so the next test tries again.
    """

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._mine: dict[str, object] = {}

    def get(self, key: str, build):
        if key not in self._mine:
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
            path = self.root / f"{name}.pickle"
            with open(self.root / f"{name}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
                if path.exists():
                    self._mine[key] = pickle.loads(path.read_bytes())
                else:
                    value = build()
                    partial = path.with_suffix(".partial")
                    partial.write_bytes(pickle.dumps(value))
                    partial.replace(path)
                    self._mine[key] = value
        return self._mine[key]


@pytest.fixture(scope="session")
def shared_results(tmp_path_factory) -> SharedResults:
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker's base is <run>/popen-gwN: the run's folder is shared by all of them
    return SharedResults((base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-results")


#: The longest tests first, so that two workers end close together (`make test` passes
#: --no-loadscope-reorder, so xdist hands tests out in this order): calibration variants and
#: hostile repos are one grading each (about 1 to 4 minutes), then the other end-to-end tests.
def _rank(item) -> int:
    parts = set(Path(str(item.fspath)).parts)
    if "test_calibration.py" in parts:
        return 0
    if "adversarial" in parts:
        return 1
    return 2 if "e2e" in parts else 3


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    items.sort(key=_rank)  # stable: the order within a rank is the collection's
