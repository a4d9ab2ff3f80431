"""Grading outputs as `grader score` and `grader batch` leave them, made without grading.

For the similarity tests and bench/bench_similarity.py: a report folder with the candidate's
changes/, and a batch folder (summary.csv, index.html) of such folders.
"""

from __future__ import annotations

import csv
from pathlib import Path

from grader.batch import render_index
from grader.report.model import (
    CommitInfo,
    ExerciseInfo,
    History,
    Report,
    SandboxInfo,
    ScoreSummary,
    SubmissionInfo,
)
from grader.report.render import write_reports


def fake_graded(folder: Path, candidate: str, files: dict[str, str], commit: str, email: str | None = None) -> Report:
    """A report folder as `grader score` leaves it, with `files` as the candidate's changes/."""
    owner = candidate.split()[0].lower()
    report = Report(
        grader_version="0", generated_at="then", candidate=candidate,
        exercise=ExerciseInfo(id="training-serving-skew", version="1.0.0", title="Skew", failure_mode="skew",
                              time_budget_hours=3),
        submission=SubmissionInfo(url=f"https://github.com/{owner}/fix", ref=None, commit=commit, tree="t" * 40),
        sandbox=SandboxInfo(backend="bwrap", isolated=True), score=ScoreSummary(earned=5, possible=13, percent=38.5),
        verdict="partial", bugs=[],
        history=History(commits=[CommitInfo(sha=commit, author=candidate, email=email or f"{owner}@example.com",
                                            date="2026-01-02T00:00:00+00:00", message="fix", files_changed=1,
                                            insertions=1, deletions=0)]))
    folder.mkdir(parents=True, exist_ok=True)
    write_reports(report, folder)
    for path, text in files.items():
        (folder / "changes" / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / "changes" / path).write_text(text)
    (folder / "changes").mkdir(exist_ok=True)
    return report


def fake_batch(root: Path, submissions: dict[str, dict[str, str]], first: int = 1) -> Path:
    rows = []
    for i, (candidate, files) in enumerate(submissions.items(), start=first):
        folder = candidate.replace(" ", "-")
        report = fake_graded(root / folder, candidate, files, commit=f"{i:02x}" * 20)
        rows.append({"candidate": candidate, "repo": report.submission.url, "ref": "", "exercise": report.exercise.id,
                     "commit": report.submission.commit, "status": "graded", "verdict": report.verdict,
                     "earned": "5", "possible": "13", "percent": "38.5", "bugs": "", "report": f"{folder}/report.html",
                     "seconds": "1.0", "message": ""})
    with open(root / "summary.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (root / "index.html").write_text(render_index(rows))
    return root
