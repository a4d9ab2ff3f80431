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


def test_time_on_task_sessions_and_deadline(repo_factory):
    from datetime import datetime, timezone

    import git

    from grader.history import time_on_task

    t = lambda h, m=0: datetime(2026, 5, 1, h, m, tzinfo=timezone.utc)  # noqa: E731
    assert time_on_task([]) == (0.0, 0)
    assert time_on_task([t(10), t(11), t(11, 30)]) == (2.0, 1)  # 0.5 lead-in + 1.5 h of gaps
    assert time_on_task([t(9), t(10), t(20)]) == (2.0, 2)  # a 10 h gap starts a new session

    repo = repo_factory({"a.py": "a = 1\n"}, "starter")
    actor = git.Actor("Ada", "ada@example.com")
    (repo.working_tree_dir and open(f"{repo.working_tree_dir}/a.py", "w").write("a = 2\n"))
    repo.git.add("--all")
    on_time = repo.index.commit("fix", author=actor, committer=actor, author_date="1777629600 +0000",
                                commit_date="1777629600 +0000").hexsha  # 2026-05-01T10:00Z
    open(f"{repo.working_tree_dir}/a.py", "w").write("a = 3\n")
    repo.git.add("--all")
    late = repo.index.commit("late fix", author=actor, committer=actor, author_date="1777716000 +0000",
                             commit_date="1777716000 +0000").hexsha  # 2026-05-02T10:00Z
    history = analyse(repo, late, deadline=datetime(2026, 5, 1, 18, tzinfo=timezone.utc))
    assert history.late_commits == [late] and on_time not in history.late_commits
    assert history.work_sessions == 2


def test_file_diff_and_write_up(repo_factory):
    from grader.history import file_diff, write_up

    repo = repo_factory({"app/api.py": "x = 1\n", "NOTES.md": "template\n", "other.py": "y\n"}, "starter")
    base = repo.head.commit.hexsha
    head = commit_files(repo, {"app/api.py": "x = 2\n", "other.py": "z\n", "NOTES.md": "I fixed <b>x</b>\n"}, "fix")
    diff = file_diff(repo, base, head, ["app/*.py"])
    assert diff.files == ["app/api.py"] and "-x = 1" in diff.text and "+x = 2" in diff.text and "other" not in diff.text
    assert file_diff(repo, base, head, ["nothing/*"]).files == []
    notes = write_up(repo, base, head, "NOTES.md")
    assert notes.changed and notes.text == "I fixed <b>x</b>\n"
    assert not write_up(repo, base, base, "NOTES.md").changed
    assert write_up(repo, base, head, "MISSING.md") is None
