import git

from grader import catalog
from grader.publish import commit_overlay, publish, starter_tree


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
    commit_overlay(tmp_path / "r", ex.solution_dir, "fix")
    repo = git.Repo(tmp_path / "r")
    assert [c.message for c in repo.iter_commits()] == ["fix", repo.head.commit.parents[0].message]
    assert not repo.is_dirty(untracked_files=True)
