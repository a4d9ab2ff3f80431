"""The trust boundary by construction: hostile trees, outputs and metadata end in the
candidate's failure or in one clear line, never in a crash, a host path or a bloated report."""

import json
import os
import subprocess
from pathlib import Path

import git
import pytest

from grader import catalog
from grader.publish import commit_overlay, publish
from tests.adversarial.test_cheating import assert_same_score
from tests.conftest import grader_cli

pytestmark = pytest.mark.e2e
HOME = Path(__file__).parents[1] / "fixtures" / "home"
ESC = "\x1b"
#: In a path, "x[" + "/" + "]..." reads as Rich's closing tag "[/]"; then escape sequences and a bidi override.
MARKUP_DIR, MARKUP = "x[", "]\x1b[31mred\x1b]0;pwned\x07\u202etxt.exe"


def test_links_and_deep_trees_left_by_steps(grader_, baselines, backend):
    """Trees 1,100 deep in the workspace and state crashed cleanup; links planted in {out}
    were copied into the report folder. Only regular files come out, and cleanup cannot fail."""
    graded = grader_.trick("planted_outputs", "reference", backend)
    assert_same_score(graded, baselines("reference", backend))
    for root, dirs, files in os.walk(graded.out):
        for name in dirs + files:
            path = Path(root) / name
            assert not path.is_symlink(), path
            assert path.is_dir() or path.is_file(), path
    batch_out = next(graded.out.glob("steps/*-batch/out"))
    assert (batch_out / "scores.csv").is_file() and not (batch_out / "passwd").exists()
    log = next((graded.out / "logs").glob("*-batch.log")).read_text()
    assert "passwd: a symlink" in log and "fifo: not a regular file" in log and "folders deep" in log
    run = json.loads((graded.out / "run.json").read_text())
    assert run["status"] == "done" and "cleanup_problems" not in run


def _git(repo: Path, *args: str, stdin: str | bytes | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "c", "GIT_AUTHOR_EMAIL": "c@x", "GIT_COMMITTER_NAME": "c",
           "GIT_COMMITTER_EMAIL": "c@x"}
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=True, env=env)
    return done.stdout.decode().strip()


def commit_path(repo: Path, parts: list[str], content: bytes, message: str) -> None:
    """Commit one file at a path made of `parts` with git's plumbing: no file system involved,
    so the path may be deeper than any checkout could write."""
    entry = f"100644 blob {_git(repo, 'hash-object', '-w', '--stdin', stdin=content)}\t{parts[-1]}"
    for name in reversed(parts[:-1]):
        entry = f"040000 tree {_git(repo, 'mktree', stdin=entry + chr(10))}\t{name}"
    root = _git(repo, "mktree", stdin=_git(repo, "ls-tree", "HEAD") + "\n" + entry + "\n")
    _git(repo, "update-ref", "HEAD", _git(repo, "commit-tree", root, "-p", "HEAD", "-m", message))


def test_a_committed_tree_1100_deep_is_refused_in_one_line(tmp_path):
    """mkdir(parents=True) recursed and crashed the checkout with a traceback; the path's markup
    and escape sequences crashed the CLI (rich MarkupError) or reached the terminal."""
    repo_dir = tmp_path / "repo"
    publish(catalog.get_exercise("training-serving-skew"), repo_dir)
    commit_path(repo_dir, [MARKUP_DIR, MARKUP] + ["d"] * 1100 + ["leaf"], b"x", "deep")
    result = grader_cli("score", str(repo_dir), "--out", str(tmp_path / "out"), "--sandbox", "local")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "more than 64 folders deep: 'x[/]\\x1b[31mred" in lines[0], result.stderr
    assert "Traceback" not in result.stderr and ESC not in result.stderr + result.stdout


def test_maximal_metadata_keeps_reports_small_and_escaped(tmp_path):
    """25 commits with 1 MiB author names gave a 26 MB report; names with escape sequences and
    markup reached the terminal. Every candidate string is capped and escaped for its sink."""
    env = {"GRADER_HOME": str(HOME)}
    os.environ["GRADER_HOME"] = str(HOME)
    try:
        repo_dir = tmp_path / "repo"
        publish(catalog.get_exercise("toy"), repo_dir)
        fix = tmp_path / "fix"
        fix.mkdir()
        huge = ("=HYPERLINK(\"http://evil\")" + MARKUP + "x" * 1024) * 1024  # over 1 MiB
        for i in range(25):
            (fix / f"{MARKUP}{i}.md").write_text(huge[: 4096])
            (fix / "NOTES.md").write_text(huge)
            author = git.Actor(huge + str(i), huge + f"{i}@evil.example")
            commit_overlay(repo_dir, fix, f"{huge[:200_000]} {i}", author=author, date=f"{1767225600 + 60 * i} +0000")
        result = grader_cli("score", str(repo_dir), "--out", str(tmp_path / "out"), "--sandbox", "local",
                            "--candidate", MARKUP, env=env)
    finally:
        del os.environ["GRADER_HOME"]
    assert result.returncode == 0, result.stderr
    assert ESC not in result.stdout + result.stderr and "Traceback" not in result.stderr
    out = tmp_path / "out"
    sizes = {name: (out / name).stat().st_size for name in ("report.json", "report.html", "report.md")}
    assert all(size <= 5 * 1024 * 1024 for size in sizes.values()), sizes
    report = json.loads((out / "report.json").read_text())
    assert all(len(c["author"]) < 400 and len(c["email"]) < 400 for c in report["history"]["commits"])
    assert "more characters" in report["history"]["commits"][0]["author"]
    for name in ("report.html", "report.md"):
        text = (out / name).read_text()
        assert ESC not in text and "\u202e" not in text and "\\x1b" in text, name
