"""What the candidate did, read from the clone's history before any of their code runs.

The baseline is the history's root commit (what `grader publish` made); its tree is
compared with the starter's so a submission that did not start from our starter is
flagged. Commit metadata is the candidate's to write: it is reported, never trusted.
"""

from __future__ import annotations

import fnmatch
from datetime import datetime, timezone

import git

from grader.report.model import CommitInfo, FileChange, History

MAX_COMMITS = 500
MAX_MESSAGE = 500


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def _numstat(repo: git.Repo, a: str, b: str) -> list[tuple[str, int, int]]:
    out = repo.git.diff("--numstat", "--no-renames", "--no-ext-diff", "--no-textconv", a, b, "--")
    rows = []
    for line in out.splitlines():
        added, deleted, path = line.split("\t", 2)
        rows.append((path, int(added) if added.isdigit() else 0, int(deleted) if deleted.isdigit() else 0))
    return rows


def analyse(repo: git.Repo, commit: str, starter_tree: str | None = None, protected: tuple[str, ...] = ()) -> History:
    commits = list(repo.iter_commits(commit, max_count=MAX_COMMITS + 1))
    truncated = len(commits) > MAX_COMMITS
    commits = commits[:MAX_COMMITS]
    roots = [c for c in commits if not c.parents]
    baseline = roots[-1] if roots and not truncated else None

    infos = []
    for c in commits:
        if c is baseline:
            continue
        stats = c.stats.total if len(infos) < 200 else {}
        infos.append(CommitInfo(
            sha=c.hexsha, author=str(c.author.name or ""), email=str(c.author.email or ""),
            date=_iso(c.committed_date), message=str(c.message).strip()[:MAX_MESSAGE],
            files_changed=int(stats.get("files", 0)), insertions=int(stats.get("insertions", 0)),
            deletions=int(stats.get("deletions", 0)),
        ))
    infos.reverse()  # oldest first, as a timeline reads

    history = History(
        baseline=baseline.hexsha if baseline else None,
        baseline_matches_starter=(baseline.tree.hexsha == starter_tree) if baseline and starter_tree else None,
        commits=infos, truncated=truncated,
        first_commit_at=infos[0].date if infos else None, last_commit_at=infos[-1].date if infos else None,
    )
    if baseline is not None:
        for path, added, deleted in _numstat(repo, baseline.hexsha, commit):
            is_protected = any(fnmatch.fnmatch(path, pattern) for pattern in protected)
            history.files.append(FileChange(path=path, insertions=added, deletions=deleted, protected=is_protected))
            history.insertions += added
            history.deletions += deleted
    return history
