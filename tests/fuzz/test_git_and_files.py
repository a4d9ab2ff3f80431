"""Git metadata (names, e-mails, messages, dates), file names and trees, NOTES.md: whatever a
repository holds, the history, the export and the write-up are bounded and never crash."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader import history
from grader.checkout.tree import TreeLimits, export_tree
from grader.errors import CheckoutError
from tests.fuzz.conftest import within

# What git itself accepts in an identity (no NUL, no newline, no angle brackets), plus anything else.
names = st.text(st.characters(blacklist_characters="\x00\n<>", blacklist_categories=["Cs"]), max_size=3000)
messages = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), min_size=1, max_size=3000)
# Seconds since the epoch, including ones no calendar holds, and time zone offsets.
stamps = st.integers(min_value=0, max_value=2**62)
offsets = st.sampled_from(["+0000", "-1200", "+1400", "+9959"])


def _git(repo: Path, *args: str, data: bytes | None = None, env: dict | None = None) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=True,
                          env={**os.environ, **(env or {})})
    return done.stdout.decode().strip()


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(names, names, messages, stamps, offsets), min_size=1, max_size=4))
def test_history_of_hostile_commits(tmp_path_factory, commits):
    repo_dir = tmp_path_factory.mktemp("repo")
    _git(repo_dir, "init", "-q", "-b", "main")
    tree = _git(repo_dir, "mktree", data=b"")
    parent: list[str] = []
    for name, email, message, stamp, offset in commits:
        env = {"GIT_AUTHOR_NAME": name or "x", "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": "c",
               "GIT_COMMITTER_EMAIL": "c@x", "GIT_AUTHOR_DATE": f"{stamp} {offset}",
               "GIT_COMMITTER_DATE": f"{stamp} {offset}"}
        try:
            sha = _git(repo_dir, "commit-tree", tree, *parent, "-m", message, env=env)
        except subprocess.CalledProcessError:
            return  # git refused the identity: nothing to grade
        parent = ["-p", sha]
    _git(repo_dir, "update-ref", "HEAD", sha)
    repo = git.Repo(repo_dir)
    with within(10.0):
        timeline = history.analyse(repo, sha)
        history.write_up(repo, timeline.baseline, sha, "NOTES.md")
    for c in timeline.commits:
        assert len(c.author) <= history.MAX_NAME + 40 and len(c.email) <= history.MAX_NAME + 40
        assert len(c.message) <= history.MAX_MESSAGE + 40
        (c.author + c.email + c.message + c.date).encode("utf-8")


# File names git can store: anything but "/" and NUL, not "." or "..".
file_names = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"]), min_size=1,
                     max_size=300).filter(lambda n: n not in (".", ".."))
paths = st.lists(file_names, min_size=1, max_size=90)


def commit_paths(repo_dir: Path, files: list[tuple[list[str], bytes]]) -> git.Commit:
    repo_dir.mkdir(parents=True, exist_ok=True)
    _git(repo_dir, "init", "-q", "-b", "main")
    root: dict = {}
    for parts, content in files:
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            if not isinstance(node.get(parts[-1]), dict):
                node[parts[-1]] = content

    def write(node: dict) -> str:
        entries = []
        for name, value in node.items():
            raw = name.encode("utf-8", "surrogatepass")
            if isinstance(value, dict):
                entries.append(b"40000 " + raw + b"\0" + bytes.fromhex(write(value)))
            else:
                blob = _git(repo_dir, "hash-object", "-w", "--stdin", data=value)
                entries.append(b"100644 " + raw + b"\0" + bytes.fromhex(blob))
        entries.sort(key=lambda e: e.split(b"\0")[0].split(b" ", 1)[1] + (b"/" if e.startswith(b"40000") else b""))
        return _git(repo_dir, "hash-object", "-w", "-t", "tree", "--literally", "--stdin", data=b"".join(entries))

    tree = write(root)
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@x"}
    sha = _git(repo_dir, "commit-tree", tree, "-m", "tree", env=env)
    return git.Repo(repo_dir).commit(sha)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(paths, st.binary(max_size=64)), min_size=1, max_size=6))
def test_exporting_hostile_trees(tmp_path_factory, files):
    base = tmp_path_factory.mktemp("export")
    commit = commit_paths(base / "repo", files)
    dest = base / "workspace"
    limits = TreeLimits(max_files=50)
    with within(10.0):
        try:
            result = export_tree(commit, dest, limits)
        except CheckoutError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 600
            return
    written = [p for p in dest.rglob("*") if p.is_file()]
    assert len(written) == result.files <= limits.max_files
    for path in written:
        assert path.resolve().is_relative_to(dest.resolve()) and not path.is_symlink()
        assert len(path.relative_to(dest).parts) <= limits.max_depth


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=100_000))
def test_the_write_up(tmp_path_factory, content):
    repo_dir = tmp_path_factory.mktemp("notes")
    commit = commit_paths(repo_dir, [(["NOTES.md"], content)])
    notes = history.write_up(git.Repo(repo_dir), None, commit.hexsha, "NOTES.md")
    assert notes is not None and len(notes.text) <= history.MAX_WRITE_UP + 40
    notes.text.encode("utf-8")
