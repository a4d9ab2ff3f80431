"""changes/: the candidate's own files read from git objects, bounded, text only, with what was skipped."""

import json
import os
from pathlib import Path

import git
import pytest

from grader import catalog
from grader.changes import MAX_FILE_BYTES, read_folder, save
from grader.publish import publish

HOME = Path(__file__).parents[1] / "fixtures" / "home"


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    return catalog.get_exercise("toy")


def commit_all(repo: git.Repo, message: str) -> str:
    repo.git.add("--all", "--force")
    actor = git.Actor("Ada Lovelace", "ada@example.com")
    return repo.index.commit(message, author=actor, committer=actor).hexsha


def test_save_keeps_changed_and_added_text_files_and_says_what_it_skipped(toy, tmp_path):
    work = tmp_path / "repo"
    publish(toy, work)
    (work / "answer.py").write_text("print(42)  # Ada Lovelace was here\n")
    (work / "helpers").mkdir()
    (work / "helpers" / "io.py").write_text("def load():\n    return 42\n")
    (work / "model.bin").write_bytes(b"\0\1\2" * 10)
    (work / "big.py").write_text("x = 1\n" * (MAX_FILE_BYTES // 6 + 10))
    (work / "poetry.lock").write_text("[[package]]\n")
    (work / "data.csv").write_text("a,b\n1,2\n")
    (work / "cache.pyc").write_bytes(b"not really bytecode")
    (work / "nb.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "source": ["# notes"]},
        {"cell_type": "code", "source": ["x = 41\n", "x + 1"], "outputs": [{"text": "42"}]}]}))
    os.symlink("/etc/passwd", work / "link.py")
    repo = git.Repo(work)
    commit = commit_all(repo, "fix")
    out = tmp_path / "out"
    out.mkdir()
    (out / "changes").mkdir()
    (out / "changes" / "stale.py").write_text("from an earlier grading")

    result = save(repo, commit, toy, out, tmp_path / "scratch")

    kept = sorted(p.relative_to(out / "changes").as_posix() for p in (out / "changes").rglob("*") if p.is_file())
    assert kept == ["answer.py", "helpers/io.py", "nb.ipynb.code.py"]
    assert (out / "changes" / "nb.ipynb.code.py").read_text() == "x = 41\nx + 1\n"
    manifest = json.loads((out / "changes.json").read_text())
    assert manifest["commit"] == commit and manifest["against"] == "published starter"
    assert {f["path"]: f["status"] for f in manifest["files"]} == {
        "answer.py": "changed", "helpers/io.py": "added", "nb.ipynb.code.py": "added"}
    reasons = {s["path"]: s["reason"] for s in manifest["skipped"]}
    assert reasons == {"model.bin": "binary file", "big.py": "larger than 1 MiB", "poetry.lock": "generated file",
                       "data.csv": "data file", "cache.pyc": "bytecode", "link.py": "symlink or submodule"}
    assert result.summary() == {"files": 3, "skipped": 6, "bytes": manifest["bytes"]}


def test_save_hides_names_when_blind(toy, tmp_path):
    work = tmp_path / "repo"
    publish(toy, work)
    (work / "answer.py").write_text("# fixed by Ada Lovelace <ada@example.com>\nprint(42)\n")
    repo = git.Repo(work)
    commit = commit_all(repo, "fix")
    save(repo, commit, toy, tmp_path / "out", tmp_path / "scratch",
         scrub=lambda text: text.replace("Ada Lovelace", "author-1").replace("ada@example.com", "author-1"))
    assert (tmp_path / "out" / "changes" / "answer.py").read_text() == "# fixed by author-1 <author-1>\nprint(42)\n"


def test_a_submission_with_no_change_has_an_empty_changes_folder(toy, tmp_path):
    work = tmp_path / "repo"
    publish(toy, work)
    repo = git.Repo(work)
    result = save(repo, repo.head.commit.hexsha, toy, tmp_path / "out", tmp_path / "scratch")
    assert result.files == [] and list((tmp_path / "out" / "changes").iterdir()) == []


def test_read_folder_is_bounded_and_never_follows_links(tmp_path):
    root = tmp_path / "solution"
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("a = 1\n")
    (root / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    (root / "blob.dat").write_bytes(b"\0" * 100)
    (tmp_path / "outside.py").write_text("secret = 1\n")
    os.symlink(tmp_path / "outside.py", root / "link.py")
    os.symlink(tmp_path, root / "linked-folder")
    deep = root
    for i in range(40):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "deep.py").write_text("deep = 1\n")

    found = read_folder(root)
    assert [f.path for f in found.files] == ["pkg/a.py"]
    reasons = {s["path"]: s["reason"] for s in found.skipped}
    assert reasons["blob.dat"] == "binary file"
    assert reasons["link.py"] == reasons["linked-folder"] == "not a regular file"
    assert any(r.startswith("deeper than") for r in reasons.values())
