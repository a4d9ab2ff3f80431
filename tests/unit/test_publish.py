import git

from grader import catalog, starter_tests
from grader.publish import commit_overlay, publish, solution, starter_tree


def test_publish_is_deterministic_and_has_no_hiring_side(tmp_path):
    ex = catalog.get_exercise("training-serving-skew")
    a = publish(ex, tmp_path / "a")
    b = publish(ex, tmp_path / "b")
    assert a == b
    repo = git.Repo(tmp_path / "a")
    assert len(list(repo.iter_commits())) == 1
    names = {item.path for item in repo.head.commit.tree.traverse()}
    assert catalog.MARKER in names
    assert not any(n.startswith(("exercises", "checks", "solution", "partial_fixes")) for n in names)
    assert not any("hidden" in n or "DEBRIEF" in n or "__pycache__" in n for n in names)
    assert starter_tree(ex, tmp_path / "scratch") == repo.head.commit.tree.hexsha


def test_publish_refuses_non_empty_destination(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("")
    import pytest

    from grader.errors import GraderError

    with pytest.raises(GraderError, match="not an empty folder"):
        publish(catalog.get_exercise("training-serving-skew"), tmp_path / "x")


def test_overlay_commit(tmp_path):
    ex = catalog.get_exercise("training-serving-skew")
    publish(ex, tmp_path / "r")
    commit_overlay(tmp_path / "r", solution(ex, tmp_path), "fix")
    repo = git.Repo(tmp_path / "r")
    assert [c.message for c in repo.iter_commits()] == ["fix", repo.head.commit.parents[0].message]
    assert not repo.is_dirty(untracked_files=True)


def test_publish_to_a_remote_served_by_git_daemon(git_server, tmp_path):
    import subprocess
    import sys

    import pytest

    from grader.checkout.urls import UrlPolicy
    from grader.errors import GraderError
    from grader.publish import push

    url = git_server.empty("template")
    ex = catalog.get_exercise("training-serving-skew")
    cli = [sys.executable, "-m", "grader", "publish", "training-serving-skew"]
    # the first publish runs the starter's own visible tests (grader.starter_tests), the second reuses that
    first = subprocess.run([*cli, str(tmp_path / "a"), "--remote", url, "--allow-host", "127.0.0.1"],
                           capture_output=True, text=True, timeout=120 + starter_tests.TIMEOUT_S)
    assert first.returncode == 0, first.stderr
    remote_head = git.Repo(git_server.base / "template.git").commit("main")
    local_head = git.Repo(tmp_path / "a").head.commit
    assert remote_head.hexsha == local_head.hexsha
    # Publishing again gives the same tree and commit, so the second push is a no-op.
    second = subprocess.run([*cli, str(tmp_path / "b"), "--remote", url, "--allow-host", "127.0.0.1"],
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert git.Repo(tmp_path / "b").head.commit.tree.hexsha == remote_head.tree.hexsha
    # A remote whose main has other history is not overwritten.
    commit_overlay(tmp_path / "a", solution(ex, tmp_path), "fix")
    git.Repo(tmp_path / "a").git.push(url, "main:main")
    with pytest.raises(GraderError, match="rejected"):
        push(tmp_path / "b", url, UrlPolicy(hosts=("127.0.0.1",)))
