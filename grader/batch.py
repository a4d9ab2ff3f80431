"""`grader batch`: grade many submissions, one report folder each, plus a summary.

The input is a CSV with columns `candidate`, `repo` and optionally `ref` and `exercise`.
Each submission is graded on its own (a failure or a timeout of one never stops the
others) in up to `jobs` parallel workers. `summary.csv` and `index.html` are rewritten
after every submission, so an interrupted batch leaves a valid summary, and re-running
the same batch resumes: a finished report for the same exercise version, commit and
grader version is reused unless `force`. At the end, `grader similarity` compares the
batch's submissions (and adds them to the corpus, if one is given); a problem there is
noted, never a lost batch.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from grader.catalog import Exercise
from grader.errors import GraderError
from grader.escape import csv_cell, one_line
from grader.grade import Options, Progress, grade
from grader.report.blind import identities, pseudonym
from grader.report.model import Report
from grader.report.render import environment
from grader.similarity import Options as SimilarityOptions
from grader.similarity import Outcome as SimilarityOutcome

REQUIRED = ("candidate", "repo")
OPTIONAL = ("ref", "exercise")
MAX_ROWS = 2000


@dataclass(frozen=True)
class Submission:
    candidate: str
    repo: str
    ref: str | None = None
    exercise: str | None = None


@dataclass
class Row:
    submission: Submission
    folder: str
    blind: bool = False
    status: str = "pending"  # pending | running | graded | reused | error
    report: Report | None = None
    message: str = ""
    seconds: float = 0.0
    worker: str = ""  # the cluster worker that graded it, for the display (not in the summary)

    def summary(self) -> dict[str, str]:
        r = self.report
        if r is not None:
            repo = r.submission.url
        else:
            repo = "" if self.blind else self.submission.repo
        message = self.message
        if self.blind:  # an error message may quote the URL, which names the candidate's account
            message = message.replace(self.submission.repo, "<repository>").replace(self.submission.candidate, self.folder)
        return {
            "candidate": r.candidate if r and r.candidate else (self.folder if self.blind else self.submission.candidate),
            "repo": repo,
            "ref": self.submission.ref or "",
            "exercise": r.exercise.id if r else (self.submission.exercise or ""),
            "commit": r.submission.commit if r else "",
            "status": self.status,
            "verdict": r.verdict if r else "",
            "earned": f"{r.score.earned:g}" if r else "",
            "possible": f"{r.score.possible:g}" if r else "",
            "percent": f"{r.score.percent:g}" if r else "",
            "stretch": f"{r.score.stretch_earned:g}/{r.score.stretch_possible:g}" if r and r.score.stretch_possible else "",
            "bugs": "; ".join(f"{b.id}={b.verdict}" for b in r.bugs) if r else "",
            "report": f"{self.folder}/report.html" if r else "",
            "seconds": f"{self.seconds:.1f}",
            "message": message,
        }


def read_candidates(path: Path) -> list[Submission]:
    """Parse and validate the candidates CSV; raise GraderError naming the bad line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise GraderError(f"cannot read {path}: {exc.strerror}") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise GraderError(f"{path}: missing column(s) {', '.join(missing)} (need candidate, repo; optional ref, exercise)")
    found, seen = [], set()
    for line, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        if not row.get("candidate") or not row.get("repo"):
            raise GraderError(f"{path}:{line}: candidate and repo must not be empty")
        if row["candidate"] in seen:
            raise GraderError(f"{path}:{line}: candidate {row['candidate']!r} appears twice")
        seen.add(row["candidate"])
        found.append(Submission(row["candidate"], row["repo"], row.get("ref") or None, row.get("exercise") or None))
        if len(found) > MAX_ROWS:
            raise GraderError(f"{path}: more than {MAX_ROWS} submissions")
    if not found:
        raise GraderError(f"{path}: no submissions")
    return found


def host_memory_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError):
        return 4096


def default_jobs(exercises: list[Exercise], memory_mb: int | None = None) -> int:
    """Gradings this host holds at once: every step of each gets the CPUs and memory its exercise
    declares (measured steps take the host-wide lock on top, so they never share it)."""
    cpus = max((e.spec.resources.cpus for e in exercises), default=1.0)
    memory = max((e.spec.resources.memory_mb for e in exercises), default=2048)
    by_cpu = int((os.cpu_count() or 1) // max(math.ceil(cpus), 1))
    by_memory = int((memory_mb if memory_mb is not None else host_memory_mb()) // max(memory, 1))
    return max(1, min(by_cpu, by_memory))


def folder_name(candidate: str, blind: bool) -> str:
    if blind:
        return pseudonym(f"candidate:{candidate}")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", candidate).strip(".-")[:60] or "candidate"
    return slug


@dataclass
class Outcome:
    """What grading one submission gave: its report (None if grading failed), status and message."""

    report: Report | None
    status: str  # graded | reused | error
    message: str = ""


def grade_submission(options: Options, progress: Progress) -> Outcome:
    """Grade one submission of a batch; its failure becomes the outcome's message, never an exception."""
    try:
        report = grade(options, progress)
        return Outcome(report, "reused" if _was_reused(options.out_dir) else "graded")
    except Exception as exc:  # a grader bug must not stop the other submissions either
        return Outcome(None, "error", _failure(exc))


def _failure(exc: Exception) -> str:
    if isinstance(exc, GraderError):
        return one_line(exc, 1000)
    return f"internal error: {type(exc).__name__}: {one_line(exc, 500)}"


class Runner(Protocol):
    """Grades a batch's rows somewhere else (a Dask cluster) and calls `Batch.finish` for each."""

    def run(self, batch: "Batch", progress: "BatchProgress") -> None: ...


class BatchProgress:
    """What a batch tells its caller; the CLI draws it with Rich."""

    def started(self, row: Row) -> Progress:
        return Progress()

    def finished(self, row: Row) -> None: ...


@dataclass
class Batch:
    submissions: list[Submission]
    out_root: Path
    template: Options
    jobs: int = 1
    force: bool = False
    track_uri: str | None = None
    track: bool = False
    #: Compare the submissions at the end (None: do not).
    similarity: SimilarityOptions | None = field(default_factory=SimilarityOptions)
    rows: list[Row] = field(default_factory=list)
    #: What the comparison found, or why it could not run.
    similar: SimilarityOutcome | None = None
    similarity_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        names = [folder_name(s.candidate, self.template.blind) for s in self.submissions]
        dupes = {n for n in names if names.count(n) > 1}
        self.rows = [Row(s, n if n not in dupes else f"{n}-{i}", blind=self.template.blind)
                     for i, (s, n) in enumerate(zip(self.submissions, names))]

    def run(self, progress: BatchProgress | None = None, runner: "Runner | None" = None) -> list[Row]:
        """Grade every row, here with `jobs` threads, or through `runner` (e.g. a Dask cluster)."""
        progress = progress or BatchProgress()
        self.out_root.mkdir(parents=True, exist_ok=True)
        self.write_summary()
        if runner is not None:
            runner.run(self, progress)
            self.compare()
            return self.rows
        with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
            futures = [pool.submit(self._grade_one, row, progress) for row in self.rows]
            try:
                for future in as_completed(futures):
                    future.result()
            except BaseException:  # Ctrl-C: do not start the ones still waiting
                for future in futures:
                    future.cancel()
                raise
        self.compare()
        return self.rows

    def compare(self) -> None:
        """Similarity across the graded submissions, then this batch joins the corpus."""
        if self.similarity is None:
            return
        from grader.similarity import add_to_corpus, run

        hide = {k: v for s in self.submissions for k, v in identities(None, s.repo, s.candidate).items()}
        try:
            self.similar = run([self.out_root], replace(self.similarity, blind=self.template.blind, hide=hide))
        except GraderError as exc:
            self.similarity_error = str(exc)
            return
        except Exception as exc:  # a grader bug must not lose a graded batch
            self.similarity_error = f"internal error: {type(exc).__name__}: {exc}"
            return
        if self.similarity.corpus is not None:
            for graded in self.similar.graded:
                add_to_corpus(self.similarity.corpus, graded)

    def options_for(self, row: Row) -> Options:
        """The grading options of one row: the batch's, this submission, its folder, resume unless `force`."""
        sub = row.submission
        return replace(self.template, location=sub.repo, ref=sub.ref, exercise=sub.exercise or self.template.exercise,
                       out_dir=self.out_root / row.folder, candidate=sub.candidate, reuse=not self.force)

    def _grade_one(self, row: Row, progress: BatchProgress) -> None:
        row.status = "running"
        started = time.monotonic()
        outcome = grade_submission(self.options_for(row), progress.started(row))
        self.finish(row, outcome, time.monotonic() - started, progress)

    def finish(self, row: Row, outcome: Outcome, seconds: float, progress: BatchProgress) -> None:
        """Record one row's outcome (its report folder is in place): tracking, summary.csv, index.html."""
        row.report, row.status, row.message = outcome.report, outcome.status, outcome.message
        if row.report is not None and (self.track or self.track_uri):
            try:
                from grader.tracking import track_report

                with self._lock:
                    track_report(row.report, self.out_root / row.folder, self.track_uri, store_dir=self.out_root)
            except Exception as exc:
                row.status, row.message = "error", _failure(exc)
        row.seconds = seconds
        with self._lock:
            self.write_summary()
        progress.finished(row)

    def write_summary(self) -> None:
        rows = [r.summary() for r in self.rows]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)  # no formulas in a spreadsheet
        _atomic_write(self.out_root / "summary.csv", buf.getvalue())
        _atomic_write(self.out_root / "index.html", render_index(rows))


def _was_reused(out: Path) -> bool:
    try:
        return "reused_at" in json.loads((out / "run.json").read_text())
    except (OSError, ValueError):
        return False


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def read_summary(path: Path) -> list[dict[str, str]]:
    """summary.csv's rows as `Row.summary()` wrote them (a missing column reads as empty)."""
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GraderError(f"{path}: unreadable ({exc})") from None
    columns = list(Row(Submission("", ""), "").summary())
    return [{c: (row.get(c) or "") for c in columns} for row in rows]


def render_index(summaries: list[dict[str, str]], similarity: dict | None = None) -> str:
    """index.html from summary.csv's rows, with the similarity section once it has run."""
    return environment().get_template("index.html.j2").render(summaries=summaries, similarity=similarity)


def render_similarity_page(similarity: dict) -> str:
    """similarity.html: the similarity section on a page of its own (for any grading output)."""
    return environment().get_template("similarity_page.html.j2").render(similarity=similarity)
