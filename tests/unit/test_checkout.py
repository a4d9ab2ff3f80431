import json
import os
import socket
import threading
import time

import pytest

from grader import catalog
from grader.checkout import CloneLimits, TreeLimits, UrlPolicy, fetch
from grader.errors import CheckoutError
from grader.publish import commit_overlay, publish
from tests.conftest import commit_files, grader_cli
from tests.unit.conftest import HOME


def test_fetch_pins_ref_and_exports_tree_without_git(repo_factory, tmp_path):
    repo = repo_factory({"README.md": "v1\n", "run.sh": "#!/bin/sh\n"})
    os.chmod(os.path.join(repo.working_tree_dir, "run.sh"), 0o755)
    first = commit_files(repo, {"run.sh": "#!/bin/sh\necho hi\n"}, "exec bit")
    repo.create_tag("v1")
    second = commit_files(repo, {"README.md": "v2\n"}, "second")

    sub = fetch(repo.working_tree_dir, None, tmp_path / "a")
    assert sub.commit == second
    assert (sub.workspace / "README.md").read_text() == "v2\n"
    assert not (sub.workspace / ".git").exists()
    assert os.access(sub.workspace / "run.sh", os.X_OK)
    assert len(list(sub.repo.iter_commits(sub.commit))) == 3  # full history kept

    tagged = fetch(repo.working_tree_dir, "v1", tmp_path / "b")
    assert tagged.commit == first and (tagged.workspace / "README.md").read_text() == "v1\n"
    by_sha = fetch(repo.working_tree_dir, first[:10], tmp_path / "c")
    assert by_sha.commit == first


def test_missing_ref_and_bad_refs(repo_factory, tmp_path):
    repo = repo_factory({"a": "1"})
    with pytest.raises(CheckoutError, match="ref 'nope' not found"):
        fetch(repo.working_tree_dir, "nope", tmp_path / "a")
    with pytest.raises(CheckoutError, match="invalid ref"):
        fetch(repo.working_tree_dir, "--output=/tmp/x", tmp_path / "b")


def test_oddities_are_reported_not_exported(repo_factory, tmp_path):
    repo = repo_factory({"app.py": "print(1)\n", "app.pyc": b"\x00\x01", "pkg/__pycache__/m.cpython-311.pyc": b"x",
                         "model.bin": b"\x00\xff" * 10})
    root = repo.working_tree_dir
    os.symlink("/etc/passwd", os.path.join(root, "leak"))
    repo.git.add("leak")
    repo.git.update_index("--add", "--cacheinfo", f"160000,{repo.head.commit.hexsha},vendored")
    repo.index.commit("oddities")

    sub = fetch(root, None, tmp_path / "s")
    files = sorted(p.relative_to(sub.workspace).as_posix() for p in sub.workspace.rglob("*") if p.is_file())
    assert files == ["app.py", "model.bin"]
    assert not (sub.workspace / "leak").exists()
    findings = sub.export.findings()
    assert "symlink not exported: leak" in findings
    assert "submodule not fetched: vendored" in findings
    assert "committed bytecode removed: app.pyc" in findings
    assert "binary file: model.bin" in findings


def test_tree_limits(repo_factory, tmp_path):
    repo = repo_factory({f"f{i}.txt": "x" * 100 for i in range(20)})
    with pytest.raises(CheckoutError, match="more than 10 files"):
        fetch(repo.working_tree_dir, None, tmp_path / "a", tree_limits=TreeLimits(max_files=10))
    with pytest.raises(CheckoutError, match="larger than"):
        fetch(repo.working_tree_dir, None, tmp_path / "b", tree_limits=TreeLimits(max_file_bytes=50))


def test_clone_size_cap(repo_factory, tmp_path):
    repo = repo_factory({"big.bin": os.urandom(3 * 1024 * 1024)})
    with pytest.raises(CheckoutError, match="larger than 1 MiB"):
        fetch(repo.working_tree_dir, None, tmp_path / "a", clone_limits=CloneLimits(max_bytes=1024 * 1024))


def test_clone_timeout_is_enforced_outside_git(tmp_path):
    """A server that accepts and never answers: the clone is killed at the limit."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    started = time.monotonic()
    with pytest.raises(CheckoutError, match="took longer than 2 s"):
        fetch(f"git://127.0.0.1:{port}/x.git", None, tmp_path / "a", UrlPolicy(hosts=("127.0.0.1",)),
              clone_limits=CloneLimits(timeout_s=2))
    assert time.monotonic() - started < 10
    server.close()


def test_unreachable_and_empty(repo_factory, tmp_path):
    with pytest.raises(CheckoutError, match="clone of git://127.0.0.1:9/x.git failed"):
        fetch("git://127.0.0.1:9/x.git", None, tmp_path / "a", UrlPolicy(hosts=("127.0.0.1",)))
    empty = tmp_path / "empty"
    import git

    git.Repo.init(empty)
    with pytest.raises(CheckoutError):
        fetch(str(empty), None, tmp_path / "b")


def test_clone_by_url_from_git_server(repo_factory, git_server, tmp_path):
    repo = repo_factory({"hello.txt": "hi\n"})
    url = git_server.add("hello", repo.working_tree_dir)
    sub = fetch(url, "main", tmp_path / "a", UrlPolicy(hosts=("127.0.0.1",)))
    assert (sub.workspace / "hello.txt").read_text() == "hi\n"
    assert sub.source.kind == "git"


def test_score_by_url_from_a_git_server(git_server, tmp_path, monkeypatch):
    """`grader score` of a git:// URL (on the toy exercise, seconds: the checkout does not depend
    on the exercise): graded at the pinned commit, its history read, the baseline the starter."""
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    toy = catalog.get_exercise("toy")
    repo = tmp_path / "candidate"
    publish(toy, repo)
    commit_overlay(repo, toy.solution_dir, "Fix the answer")
    url = git_server.add("candidate", repo)
    out = tmp_path / "out"
    result = grader_cli("score", url, "--allow-host", "127.0.0.1", "--out", str(out), "--sandbox", "local",
                        "--no-own-tests")
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["submission"]["url"] == url and report["verdict"] == "pass"
    assert report["history"]["commits"][0]["message"] == "Fix the answer"
    assert report["history"]["baseline_matches_starter"] is True
    assert report["candidate_tests"] is None  # --no-own-tests
