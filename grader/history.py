"""What the candidate did, read from the clone's history before any of their code runs.

The baseline is the history's root commit (what `grader publish` made); its tree is
compared with the starter's so a submission that did not start from our starter is
flagged. Commit metadata is the candidate's to write: it is reported, never trusted.
"""

from __future__ import annotations

import fnmatch
from datetime import datetime, timezone

import git

from grader.escape import clean
from grader.report.model import CommitInfo, Diff, FileChange, History, WriteUp

MAX_COMMITS = 500
MAX_MESSAGE = 500
MAX_NAME = 200
MAX_PATH = 300
MAX_FILES = 300
MAX_DIFF_LINES = 400
MAX_DIFF_LINE = 400
MAX_WRITE_UP = 30_000
#: Commits closer together than this belong to one work session.
SESSION_GAP_H = 2.0
#: Time assumed before the first commit of a session (reading, setting up).
SESSION_LEAD_H = 0.5


def _iso(ts: int) -> str:
    """A commit time as ISO 8601; a timestamp no calendar can hold (the candidate sets it) is clamped."""
    try:
        return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return (datetime.max if ts > 0 else datetime.min).replace(tzinfo=timezone.utc).isoformat(timespec="seconds")


def _numstat(repo: git.Repo, a: str, b: str) -> list[tuple[str, int, int]]:
    out = repo.git.diff("--numstat", *_diff_args(), a, b, "--")
    rows = []
    for line in out.splitlines():
        if line.count("\t") < 2:
            continue
        added, deleted, path = line.split("\t", 2)
        rows.append((path, int(added) if added.isdigit() else 0, int(deleted) if deleted.isdigit() else 0))
    return rows


def time_on_task(dates: list[datetime]) -> tuple[float, int]:
    """(hours, sessions): gaps under SESSION_GAP_H count as work, each session starts with a lead-in.

    Only an estimate from commit times, which the candidate controls; it says nothing about
    work done before the first commit beyond the lead-in.
    """
    if not dates:
        return 0.0, 0
    dates = sorted(dates)
    hours, sessions = SESSION_LEAD_H, 1
    for earlier, later in zip(dates, dates[1:]):
        gap = (later - earlier).total_seconds() / 3600
        if gap <= SESSION_GAP_H:
            hours += gap
        else:
            hours += SESSION_LEAD_H
            sessions += 1
    return round(hours, 2), sessions


def _diff_args() -> list[str]:
    return ["--no-ext-diff", "--no-textconv", "--no-color", "--no-renames"]


def file_diff(repo: git.Repo, base: str, head: str, patterns: list[str]) -> Diff:
    """The unified diff of the files matching `patterns` (globs), bounded in length."""
    if not patterns:
        return Diff()
    pathspecs = [f":(glob){p}" for p in patterns]
    names = repo.git.diff("--name-only", *_diff_args(), base, head, "--", *pathspecs).splitlines()
    if not names:
        return Diff()
    lines = repo.git.diff("--unified=3", *_diff_args(), base, head, "--", *pathspecs).splitlines()
    truncated = len(lines) > MAX_DIFF_LINES or len(names) > MAX_FILES
    text = "\n".join(clean(line, MAX_DIFF_LINE) for line in lines[:MAX_DIFF_LINES])
    return Diff(files=[clean(n, MAX_PATH) for n in names[:MAX_FILES]], text=text, truncated=truncated)


def write_up(repo: git.Repo, base: str | None, head: str, path: str) -> WriteUp | None:
    """The candidate's notes file at the graded commit, if it is a small regular file."""
    try:
        blob = repo.commit(head).tree / path
    except KeyError:
        return None
    if blob.type != "blob" or blob.mode == 0o120000:
        return None
    data = blob.data_stream.read(MAX_WRITE_UP + 1)
    changed = True
    if base is not None:
        try:
            changed = (repo.commit(base).tree / path).hexsha != blob.hexsha
        except KeyError:
            changed = True
    return WriteUp(path=path, text=clean(data[:MAX_WRITE_UP].decode("utf-8", errors="replace")),
                   truncated=len(data) > MAX_WRITE_UP, changed=changed)


def analyse(repo: git.Repo, commit: str, starter_tree: str | None = None, protected: tuple[str, ...] = (),
            deadline: datetime | None = None) -> History:
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
            sha=c.hexsha, author=clean(c.author.name or "", MAX_NAME), email=clean(c.author.email or "", MAX_NAME),
            date=_iso(c.committed_date), message=clean(str(c.message).strip(), MAX_MESSAGE),
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
    dates = [datetime.fromisoformat(c.date) for c in infos]
    history.time_on_task_hours, history.work_sessions = time_on_task(dates)
    if deadline is not None:
        history.deadline = deadline.isoformat(timespec="seconds")
        history.late_commits = [c.sha for c, d in zip(infos, dates) if d > deadline]
    if baseline is not None:
        for path, added, deleted in _numstat(repo, baseline.hexsha, commit):
            is_protected = any(fnmatch.fnmatch(path, pattern) for pattern in protected)
            if len(history.files) < MAX_FILES or (is_protected and len(history.files) < 2 * MAX_FILES):
                history.files.append(FileChange(path=clean(path, MAX_PATH), insertions=added, deletions=deleted,
                                                protected=is_protected))
            else:
                history.files_truncated += 1
            history.insertions += added
            history.deletions += deleted
    return history
