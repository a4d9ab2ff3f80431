from grader.history import analyse
from tests.conftest import commit_files


def test_timeline_diff_and_protected_paths(repo_factory):
    repo = repo_factory({"app.py": "a = 1\n", "data/train.csv": "x\n1\n"}, "starter")
    starter_tree = repo.head.commit.tree.hexsha
    commit_files(repo, {"app.py": "a = 2\nb = 3\n"}, "fix app")
    head = commit_files(repo, {"data/train.csv": "x\n2\n", "NOTES.md": "notes\n"}, "edit data")
    history = analyse(repo, head, starter_tree=starter_tree, protected=("data/*",))
    assert [c.message for c in history.commits] == ["fix app", "edit data"]
    assert history.baseline_matches_starter is True
    files = {f.path: f for f in history.files}
    assert set(files) == {"app.py", "data/train.csv", "NOTES.md"}
    assert files["data/train.csv"].protected and not files["app.py"].protected
    assert (files["app.py"].insertions, files["app.py"].deletions) == (2, 1)
    assert history.insertions == 4 and history.deletions == 2


def test_foreign_baseline_is_flagged(repo_factory):
    repo = repo_factory({"other.py": "x"})
    history = analyse(repo, repo.head.commit.hexsha, starter_tree="0" * 40)
    assert history.baseline_matches_starter is False and history.commits == []
