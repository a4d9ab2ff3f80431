"""The `grader` command line (Typer + Rich). One command per job; errors in one line.

Commands: exercises, publish, score, batch, similarity, validate, demo, doctor, images build,
new-exercise, secret init. Global options (before the command): --pack, --secret-file.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader import catalog, interrupt, marker, secret
from grader.checkout import UrlPolicy, vet
from grader.checkout.urls import DEFAULT_HOSTS
from grader.errors import GraderError
from grader.escape import for_terminal as t
from grader.grade import Options, grade
from grader.grade import Progress as GradeProgress
from grader.report.model import Report
from grader.similarity import MIN_LINES, THRESHOLD
from grader.similarity import Options as SimilarityOptions
from grader.similarity import Outcome as SimilarityOutcome
from grader.verify.run import CheckOutcome

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Hands-on MLOps take-home assessments: publish exercises, grade submissions.")
# Piped into a log or CI, Rich would wrap tables at 80 columns and squeeze columns out.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


class SandboxKind(str, Enum):
    auto = "auto"
    docker = "docker"
    local = "local"


DATE_FORMATS = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]
TRACK_HELP = "log the run to MLflow (a sqlite store under the output folder unless --track-uri)"
CORPUS_HELP = "folder of earlier submissions to compare with (batch adds this batch's to it)"
KNOWN_HELP = "folder of known leaked solutions, one subfolder each"
THRESHOLD_HELP = "flag a pair when at least this share of a submission's own lines match"
MIN_LINES_HELP = "...and at least this many of its own lines"


@app.callback()
def _everywhere(
    ctx: typer.Context,
    pack: list[Path] = typer.Option([], "--pack", help="also load the exercises of this pack folder (repeatable; "
                                    "adds to GRADER_PACKS)"),
    secret_file: Optional[Path] = typer.Option(None, "--secret-file", help="grading secret: hidden data drawn from it "
                                               "(default: GRADER_SECRET_FILE; without one, public default seeds)"),
) -> None:
    """Hands-on MLOps take-home assessments: publish exercises, grade submissions."""
    # Through the environment, so that every process of a run (the verifier, workers) sees the same.
    if pack:
        earlier = os.environ.get(catalog.PACKS_ENV, "")
        os.environ[catalog.PACKS_ENV] = ":".join([*(str(p.resolve()) for p in pack), *([earlier] if earlier else [])])
    if secret_file:
        os.environ[secret.ENV] = str(secret_file.resolve())
    try:
        catalog.packs()
        if ctx.invoked_subcommand not in ("secret", "new-exercise"):
            secret.load()
    except GraderError as exc:
        fail(exc)


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


SANDBOX_HELP = "auto (docker if it passes its self-test, else local), docker, or local (bubblewrap)"

VERDICT_STYLE = {"pass": "bold green", "partial": "bold yellow", "fail": "bold red", "inconclusive": "bold magenta",
                 "fixed": "green", "partly fixed": "yellow", "not fixed": "red"}
OUTCOME_STYLE = {"passed": "green", "failed": "red", "error": "magenta", "skipped": "dim"}


class RichProgress(GradeProgress):
    """Draws a grading run: the current step, then one bar over the hidden checks."""

    def __init__(self, progress: Progress, label: str = "", verbose: bool = True):
        self.progress = progress
        self.label = f"{label}: " if label else ""
        self.verbose = verbose
        self.task = progress.add_task(f"{self.label}starting", total=None)

    def step(self, name: str) -> None:
        self.progress.update(self.task, description=f"{self.label}{name}", total=None, completed=0)

    def checks_total(self, total: int) -> None:
        self.progress.update(self.task, description=f"{self.label}hidden checks", total=total, completed=0)

    def check_done(self, outcome: CheckOutcome) -> None:
        self.progress.advance(self.task)
        if not self.verbose:
            return
        style = OUTCOME_STYLE.get(outcome.outcome, "")
        self.progress.console.print(f"  {self.label}[{style}]{outcome.outcome:7}[/] {outcome.check}")


def progress_display() -> Progress:
    """A live bar on a terminal; in a log (no terminal) only the printed lines, not a stray blank line."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)


def fail(exc: GraderError) -> None:
    err.print(f"[bold red]error:[/] {t(exc)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def print_report(report: Report, out_dir: Path) -> None:
    if report.banner:
        console.print(f"[bold red]{t(report.banner)}[/]")
    table = Table(title=f"{t(report.exercise.id)} @ {report.submission.commit[:10]}", show_lines=False)
    table.add_column("planted bug / check")
    table.add_column("result")
    table.add_column("points", justify="right")
    for bug in report.bugs:
        table.add_row(f"[bold]{t(bug.title)}[/]", f"[{VERDICT_STYLE.get(bug.verdict, '')}]{bug.verdict}[/]",
                      f"{bug.points:g}/{bug.max_points:g}")
        for c in bug.checks:
            table.add_row(f"  {c.id}{' (stretch)' if c.kind == 'stretch' else ''}",
                          f"[{OUTCOME_STYLE[c.outcome]}]{c.outcome}[/]", f"{c.points:g}/{c.max_points:g}")
    for c in report.checks:
        table.add_row(f"{c.id} (whole service)", f"[{OUTCOME_STYLE[c.outcome]}]{c.outcome}[/]",
                      f"{c.points:g}/{c.max_points:g}")
    console.print(table)
    style = VERDICT_STYLE.get(report.verdict, "")
    stretch = (f", stretch points {report.score.stretch_earned:g}/{report.score.stretch_possible:g}"
               if report.score.stretch_possible else "")
    console.print(f"verdict [{style}]{report.verdict}[/], score {report.score.earned:g}/{report.score.possible:g}{stretch} "
                  f"({report.score.percent}%), sandbox {report.sandbox.backend}")
    console.print(f"reports: {t(out_dir / 'report.html')}  {t(out_dir / 'report.md')}  {t(out_dir / 'report.json')}")


def run_grading(options: Options, label: str = "") -> Report:
    with progress_display() as progress:
        return grade(options, RichProgress(progress, label))


@app.command()
def exercises() -> None:
    """List the exercises: id, title, failure mode, time budget."""
    try:
        found = catalog.list_exercises()
        table = Table()
        table.add_column("id", no_wrap=True)
        for col in ("version", "title", "failure mode", "budget", "pack"):
            table.add_column(col)
        for ex in found:
            s = ex.spec
            table.add_row(t(s.id), t(s.version), t(s.title), t(s.failure_mode), f"{s.time_budget_hours:g} h", t(ex.pack))
        console.print(table)
    except GraderError as exc:
        fail(exc)


@app.command()
def publish(
    exercise_id: str = typer.Argument(..., metavar="EXERCISE", help="exercise id (see `grader exercises`)"),
    dest: Path = typer.Argument(..., help="new or empty folder for the candidate repo"),
    remote: Optional[str] = typer.Option(None, "--remote", help="also push main to this git remote (template repo)"),
    allow_host: list[str] = typer.Option([], "--allow-host", help="also accept this git host (repeatable)"),
    candidate: Optional[str] = typer.Option(None, "--candidate", help="publish for this candidate: the marker names "
                                            "them, signed under the grading secret (checked by score --candidate)"),
    variant: Optional[str] = typer.Option(None, "--variant", metavar="NAME=VALUE,...",
                                          help="publish this variant (default: the one drawn for --candidate, else "
                                               "the exercise's default); see exercise.toml's [[variants]]"),
) -> None:
    """Write the candidate repo for EXERCISE into DEST as a fresh one-commit git repository."""
    from grader import variants
    from grader.publish import publish as do_publish
    from grader.publish import push

    try:
        policy = UrlPolicy(hosts=DEFAULT_HOSTS + tuple(allow_host))
        if remote:
            vet(remote, policy)
        exercise = catalog.get_exercise(exercise_id)
        chosen = variants.parse(exercise.spec, variant) if variant is not None else None
        sha = do_publish(exercise, dest, candidate, chosen, check_tests=True)
        signed = " (marker signed)" if candidate is not None and secret.configured() else ""
        console.print(f"published {t(exercise_id)} to {t(dest)}" + (f" for {t(candidate)}{signed}" if candidate else ""))
        published = marker.parse((dest / catalog.MARKER).read_text()) if (dest / catalog.MARKER).is_file() else None
        if exercise.spec.variants and published is not None:
            console.print(f"variant {t(published.variant)}")
        if remote:
            push(dest, remote, policy)
            console.print(f"pushed main to {t(vet(remote, policy).display)}")
    except GraderError as exc:
        fail(exc)
    console.print(f"baseline commit {sha}")


@app.command()
def score(
    repo: str = typer.Argument(..., help="https/ssh/git URL, file:// URL or local path of the submission"),
    ref: Optional[str] = typer.Option(None, "--ref", help="branch, tag or commit (default: the repo's HEAD)"),
    exercise: Optional[str] = typer.Option(None, "--exercise", help="grade as this exercise (default: the repo's marker)"),
    out: Optional[Path] = typer.Option(None, "--out", help="report folder (default: runs/<timestamp>)"),
    sandbox: SandboxKind = typer.Option(SandboxKind.auto, "--sandbox", help=SANDBOX_HELP),
    allow_host: list[str] = typer.Option([], "--allow-host", help="also accept this git host (repeatable)"),
    allow_unsandboxed: bool = typer.Option(False, "--allow-unsandboxed",
                                           help="run candidate code unconfined if no sandbox works (unsafe)"),
    keep_work: bool = typer.Option(False, "--keep-work", help="keep the clone and workspaces for debugging"),
    candidate: Optional[str] = typer.Option(None, "--candidate", help="name the candidate in the report"),
    blind: bool = typer.Option(False, "--blind", help="replace author names and e-mails by stable pseudonyms"),
    deadline: Optional[datetime] = typer.Option(None, "--deadline", formats=DATE_FORMATS,
                                                help="flag commits dated after this time (ISO 8601, UTC if no zone)"),
    per_commit: bool = typer.Option(False, "--per-commit", help="also grade each earlier commit (slow)"),
    track: bool = typer.Option(False, "--track", help=TRACK_HELP),
    track_uri: Optional[str] = typer.Option(None, "--track-uri", help="MLflow tracking URI for --track (implies it)"),
    no_own_tests: bool = typer.Option(False, "--no-own-tests",
                                      help="skip the candidate's own tests (evidence only; saves 30 s or so)"),
) -> None:
    """Grade one submission and write report.json, report.md, report.html, run.json and logs/."""
    from grader.grade import default_out_dir

    out_dir = out or default_out_dir()
    options = Options(location=repo, ref=ref, exercise=exercise, out_dir=out_dir, sandbox=sandbox.value,
                      policy=UrlPolicy(hosts=DEFAULT_HOSTS + tuple(allow_host)),
                      allow_unsandboxed=allow_unsandboxed, keep_work=keep_work, candidate=candidate, blind=blind,
                      deadline=as_utc(deadline), per_commit=per_commit, candidate_tests=not no_own_tests)
    try:
        vet(repo, options.policy)  # refuse bad input before any folder is made
        if exercise:
            catalog.get_exercise(exercise)
        report = run_grading(options)
        if track or track_uri:
            from grader.tracking import track_report

            where = track_report(report, out_dir, track_uri)
            console.print(f"tracked in MLflow: {t(where)}")
    except GraderError as exc:
        fail(exc)
    print_report(report, out_dir)


class BatchDisplay:
    """Rich display of a batch: one bar over submissions, one line per running submission."""

    def __init__(self, progress: Progress, total: int):
        self.progress = progress
        self.overall = progress.add_task("submissions", total=total)
        self.tasks: dict[str, int] = {}

    def started(self, row) -> RichProgress:
        if row.folder in self.tasks:  # started again (a cluster worker was lost)
            self.progress.remove_task(self.tasks.pop(row.folder))
        job = RichProgress(self.progress, f"{row.worker}: {row.folder}" if row.worker else row.folder, verbose=False)
        self.tasks[row.folder] = job.task
        return job

    def finished(self, row) -> None:
        task = self.tasks.pop(row.folder, None)
        if task is not None:
            self.progress.remove_task(task)
        self.progress.advance(self.overall)
        r = row.report
        result = f"[{VERDICT_STYLE.get(r.verdict, '')}]{r.verdict}[/] {r.score.earned:g}/{r.score.possible:g}" if r else \
            f"[red]error[/] {t(row.message)}"
        where = f" on {t(row.worker)}" if row.worker else ""
        self.progress.console.print(f"  {t(row.folder)}: {row.status}{where}, {result} ({row.seconds:.0f} s)",
                                    highlight=False)


@app.command()
def batch(
    candidates: Path = typer.Argument(..., help="CSV with columns candidate, repo and optionally ref, exercise"),
    out: Path = typer.Option(..., "--out", help="folder for one report folder per candidate, summary.csv, index.html"),
    jobs: Optional[int] = typer.Option(None, "--jobs", min=1, max=32,
                                       help="submissions graded in parallel (default: what this host holds)"),
    force: bool = typer.Option(False, "--force", help="grade again even where a report for the same commit exists"),
    sandbox: SandboxKind = typer.Option(SandboxKind.auto, "--sandbox", help=SANDBOX_HELP),
    allow_host: list[str] = typer.Option([], "--allow-host", help="also accept this git host (repeatable)"),
    blind: bool = typer.Option(False, "--blind", help="replace names and e-mails by stable pseudonyms"),
    deadline: Optional[datetime] = typer.Option(None, "--deadline", formats=DATE_FORMATS, help="flag late commits"),
    retries: int = typer.Option(2, "--retries", min=0, max=5, help="retries of an infrastructure fault per submission"),
    track: bool = typer.Option(False, "--track", help=TRACK_HELP),
    track_uri: Optional[str] = typer.Option(None, "--track-uri", help="MLflow tracking URI for --track (implies it)"),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help=CORPUS_HELP),
    known: Optional[Path] = typer.Option(None, "--known", help=KNOWN_HELP),
    threshold: float = typer.Option(THRESHOLD, "--threshold", min=0.01, max=1.0, help=THRESHOLD_HELP),
    min_lines: int = typer.Option(MIN_LINES, "--min-lines", min=1, help=MIN_LINES_HELP),
    no_similarity: bool = typer.Option(False, "--no-similarity", help="do not compare the submissions at the end"),
    no_own_tests: bool = typer.Option(False, "--no-own-tests",
                                      help="skip the candidate's own tests (evidence only; saves 30 s or so)"),
    cluster: Optional[str] = typer.Option(None, "--cluster", envvar="GRADER_DASK_SCHEDULER", show_envvar=True,
                                          help="grade on this Dask scheduler's workers (tcp:// or tls://HOST:PORT)"),
    tls_ca_file: Optional[Path] = typer.Option(None, "--tls-ca-file", help="CA certificate for TLS to the cluster"),
    tls_cert: Optional[Path] = typer.Option(None, "--tls-cert", help="client certificate for TLS to the cluster"),
    tls_key: Optional[Path] = typer.Option(None, "--tls-key", help="client key (if not in --tls-cert)"),
) -> None:
    """Grade many submissions; one failing or timing out never stops the others; re-running resumes.

    At the end, compares the submissions' own code (see `grader similarity`).
    """
    from grader.batch import Batch, default_jobs, read_candidates

    try:
        submissions = read_candidates(candidates)
        named = {sub.exercise for sub in submissions}
        exercises = [catalog.get_exercise(e) for e in sorted(n for n in named if n)]
        if None in named:  # identified at grading time from each repo's marker: any of them
            exercises = catalog.list_exercises()
        if jobs is None:
            jobs = default_jobs(exercises)
            if not cluster:
                console.print(f"grading {len(submissions)} submission(s), {jobs} at a time (what this host holds)")
        template = Options(location="", sandbox=sandbox.value, policy=UrlPolicy(hosts=DEFAULT_HOSTS + tuple(allow_host)),
                           blind=blind, deadline=as_utc(deadline), retries=retries, candidate_tests=not no_own_tests)
        similarity = None if no_similarity else SimilarityOptions(
            threshold=threshold, min_lines=min_lines, corpus=corpus, known=known, blind=blind)
        check_similarity_folders(corpus, known)
        job = Batch(submissions, out, template, jobs=jobs, force=force, track=track, track_uri=track_uri,
                    similarity=similarity)
        runner, where = None, f"with {jobs} job(s)"
        if cluster:
            from grader.cluster import ClusterRunner, Tls

            runner = ClusterRunner(cluster, Tls(tls_ca_file, tls_cert, tls_key), retries=retries,
                                   say=lambda line: console.print(line, highlight=False, markup=False))
            runner.connect(out / "cluster.log")
            where = f"on {len(runner.eligible)} Dask worker(s)"
        started = time.monotonic()
        with progress_display() as progress:
            if runner is not None:
                runner.say = lambda line: progress.console.print(line, highlight=False, markup=False)
            rows = job.run(BatchDisplay(progress, len(submissions)), runner=runner)
    except GraderError as exc:
        fail(exc)
    graded = sum(r.status in ("graded", "reused") for r in rows)
    reused = sum(r.status == "reused" for r in rows)
    errors = sum(r.status == "error" for r in rows)
    console.print(f"{graded} graded ({reused} reused), {errors} failed to grade, in {time.monotonic() - started:.0f} s "
                  f"{where}")
    if job.similar is not None:
        print_similarity(job.similar)
    elif job.similarity_error:
        console.print(f"similarity: {job.similarity_error}", highlight=False, markup=False)
    console.print(f"summary: {t(out / 'index.html')}  {t(out / 'summary.csv')}")


def check_similarity_folders(corpus: Path | None, known: Path | None) -> None:
    """Refuse bad --corpus / --known before any work is done."""
    if known is not None and not known.is_dir():
        raise GraderError(f"--known {known}: no such folder")
    if corpus is not None and corpus.exists() and not corpus.is_dir():
        raise GraderError(f"--corpus {corpus}: not a folder")


def print_similarity(outcome: SimilarityOutcome) -> None:
    for note in outcome.notes:
        console.print(f"  note: {note}", highlight=False, markup=False, soft_wrap=True)
    table = Table(title="similar code (evidence for a person to look at; scores unchanged)")
    for col in ("submission", "similar to", "its own lines matched", "the other's"):
        table.add_column(col)
    for c in outcome.flagged:
        a, b = c.pair.a, c.pair.b
        other = c.b.label if c.b.kind == "submission" else f"{c.b.label} ({c.b.kind})"
        table.add_row(t(c.a.label), t(other), f"{a.share:.0%} ({a.matched_lines} of {a.own_lines})",
                      f"{b.share:.0%} ({b.matched_lines} of {b.own_lines})")
    if outcome.flagged:
        console.print(table)
    console.print(f"similarity: {outcome.submissions} submission(s), {outcome.pairs_compared} pair(s) compared in "
                  f"{outcome.seconds:.1f} s, {len(outcome.flagged)} flagged")


@app.command()
def similarity(
    folders: list[Path] = typer.Argument(..., metavar="DIR", help="grader batch or grader score output folders"),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="folder of earlier submissions to compare with"),
    known: Optional[Path] = typer.Option(None, "--known", help=KNOWN_HELP),
    threshold: float = typer.Option(THRESHOLD, "--threshold", min=0.01, max=1.0, help=THRESHOLD_HELP),
    min_lines: int = typer.Option(MIN_LINES, "--min-lines", min=1, help=MIN_LINES_HELP),
    no_references: bool = typer.Option(False, "--no-references",
                                       help="do not compare with the reference solution and known partial fixes"),
    blind: bool = typer.Option(False, "--blind", help="name submissions by pseudonyms only"),
) -> None:
    """Compare the code candidates wrote (their changes against the starter) across graded submissions.

    Writes similarity.json and similarity.html into each DIR, and the same section into a batch's index.html.

    Each flagged report gets a "similar to" line: evidence for a person, never a verdict; scores do not change.
    """
    from grader.similarity import run

    try:
        check_similarity_folders(corpus, known)
        if corpus is not None and not corpus.is_dir():
            raise GraderError(f"--corpus {corpus}: no such folder")
        options = SimilarityOptions(threshold=threshold, min_lines=min_lines, corpus=corpus, known=known,
                                    references=not no_references, blind=blind)
        with err.status("comparing submissions"):
            outcome = run(folders, options)
    except GraderError as exc:
        fail(exc)
    print_similarity(outcome)
    for folder in outcome.results:
        console.print(f"written: {t(folder / 'similarity.json')}  {t(folder / 'similarity.html')}")


@app.command()
def validate(
    exercise_ids: list[str] = typer.Argument(None, metavar="[EXERCISE]...", help="default: every exercise"),
    sandbox: SandboxKind = typer.Option(SandboxKind.auto, "--sandbox", help=SANDBOX_HELP),
    out: Optional[Path] = typer.Option(None, "--out", help="keep the calibration reports here"),
    seeds: int = typer.Option(0, "--seeds", min=0, max=100,
                              help="grade every variant again under this many other draws of the hidden data"),
    seed_base: int = typer.Option(0, "--seed-base", help="the base the --seeds draws derive from"),
    jobs: int = typer.Option(1, "--jobs", min=1, max=32, help="gradings at once"),
    variant_count: Optional[str] = typer.Option(
        None, "--variants", metavar="N|all",
        help="calibrate N of each exercise's per-candidate variants (the default one first, the rest drawn with "
             "--seed-base), or all of them; default: the default variant only"),
    variant_ids: Optional[list[str]] = typer.Option(
        None, "--variant", metavar="ID",
        help="calibrate this per-candidate variant (e.g. 'partner=thousands,utilization=points-15'; repeatable) "
             "of the one EXERCISE named"),
    resume: bool = typer.Option(
        False, "--resume",
        help="go on with the calibration in --out: reuse each grading an earlier run finished there with the same "
             "grader code, exercise content, backend and hidden data, and grade the rest"),
) -> None:
    """Calibrate: the starter fails its fail-to-pass checks, the reference passes all, partial fixes as expected.

    With --seeds K, every variant is graded K times with reseeded hidden data: a table per exercise
    gives each check's pass count per variant, marks checks whose outcome changes with the seed as
    flaky, and validate.json holds the same.
    """
    from grader.calibrate import calibrate, named_variants, sample_variants

    try:
        chosen = [catalog.get_exercise(e) for e in exercise_ids] if exercise_ids else catalog.list_exercises()
        if variant_ids and (variant_count or len(chosen) != 1):
            raise GraderError("--variant names variants of one exercise: name that EXERCISE, and leave out --variants")
        of = {ex.id: named_variants(ex, variant_ids) if variant_ids else
              sample_variants(ex, variant_count, seed_base) if variant_count else None for ex in chosen}
        if resume and (out is None or seeds):
            raise GraderError("--resume goes on with the calibration in --out: name that folder, and leave out --seeds")
        out_root = out or Path(tempfile.mkdtemp(prefix="grader-validate-"))
        used = [ex.id for ex in chosen if (out_root / ex.id).is_dir() and any((out_root / ex.id).iterdir())]
        if used and not resume:
            raise GraderError(f"--out {out_root} already holds a calibration of {', '.join(used)}: "
                              "choose another folder, remove it, or go on with it (--resume)")
        if seeds:
            return validate_under_seeds(chosen, out_root, seeds, seed_base, sandbox.value, jobs, of)
        rows = []
        with progress_display() as progress:
            for ex in chosen:
                rows += calibrate(ex, out_root, sandbox=sandbox.value,
                                  progress_for=lambda label: RichProgress(progress, label), of=of[ex.id], jobs=jobs,
                                  resume=resume)
    except GraderError as exc:
        fail(exc)
    table = Table(title="calibration")
    for col in ("exercise", "variant", "checks passed (expected)", "points", "ok", "reused"):
        table.add_column(col, no_wrap=True)
    for row in rows:
        table.add_row(t(row.exercise), t(row.variant), f"{row.got_summary} ({row.expected_summary})",
                      f"{row.earned:g}/{row.possible:g}", "[green]yes[/]" if row.ok else "[red]NO[/]",
                      "yes" if row.reused else "")
    console.print(table)
    if reused := sum(r.reused for r in rows):
        console.print(f"{reused} of {len(rows)} gradings reused from an earlier run in {t(out_root)} (--resume)")
    for row in rows:
        for line in row.mismatches:
            console.print(f"[red]{t(row.exercise)}/{t(row.variant)}[/]: {t(line)}")
    console.print(f"reports: {t(out_root)}")
    if not all(r.ok for r in rows):
        raise typer.Exit(1)


def validate_under_seeds(chosen, out_root: Path, count: int, base: int, sandbox: str, jobs: int,
                         of: dict[str, list | None]) -> None:
    from grader.calibrate import variants
    from grader.reseed import validate_seeds

    total = sum(len(variants(ex, of[ex.id])) for ex in chosen) * count
    with progress_display() as progress:
        overall = progress.add_task(f"{count} seed set(s) of base {base}", total=total)

        def done(exercise: str, variant: str, index: int, row) -> None:
            progress.advance(overall)
            mark = "[green]as expected[/]" if row.ok else f"[red]{len(row.mismatches)} mismatch(es)[/]"
            progress.console.print(f"  {t(exercise)}/{t(variant)} seed {index}: {mark}", highlight=False)

        try:
            result = validate_seeds(chosen, out_root, count, base, sandbox, jobs,
                                    progress_for=lambda label: RichProgress(progress, label, verbose=False),
                                    on_done=done, of=of)
        except KeyboardInterrupt:
            console.print(f"interrupted: what finished is in {t(out_root / 'validate.json')}")
            raise
    for runs in result.exercises.values():
        names = list(runs.variants)
        table = Table(title=f"{t(runs.exercise)}: checks passed per variant over {count} seed set(s) (base {base})")
        table.add_column("check", no_wrap=True)
        for name in names:
            table.add_column(t(name), justify="center")
        flaky = set(runs.flaky())
        for check in runs.checks:
            cells = []
            for name in names:
                v = runs.variants[name]
                style = "green" if v.passes(check) == len(v.outcomes) and v.expected[check] else \
                    "dim" if v.passes(check) == 0 and not v.expected[check] else "red"
                cells.append(f"[{style}]{v.passes(check)}/{len(v.outcomes)}[/]")
            table.add_row(f"{check}{' [bold red](flaky)[/]' if check in flaky else ''}", *cells)
        console.print(table)
        for line in runs.failures():
            console.print(f"[red]{t(runs.exercise)}[/]: {t(line)}")
    console.print(f"validate.json and reports: {t(out_root)}")
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def demo(
    exercise_id: str = typer.Argument("training-serving-skew", metavar="[EXERCISE]"),
    out: Path = typer.Option(Path("runs/demo"), "--out", help="where the demo repos and reports go"),
    sandbox: SandboxKind = typer.Option(SandboxKind.auto, "--sandbox", help=SANDBOX_HELP),
) -> None:
    """Publish an exercise, then score the untouched starter and the reference solution."""
    from grader.publish import commit_overlay, solution
    from grader.publish import publish as do_publish

    try:
        ex = catalog.get_exercise(exercise_id)
        if out.exists() and any(out.iterdir()):
            import shutil

            shutil.rmtree(out)
        results = {}
        for variant in ("starter", "reference"):
            repo_dir = out / "repos" / variant
            sha = do_publish(ex, repo_dir)
            console.print(f"published {t(exercise_id)} ({variant}) to {t(repo_dir)} at {sha[:10]}")
            if variant == "reference":
                commit_overlay(repo_dir, solution(ex, out / "repos"), "Reference solution")
            options = Options(location=str(repo_dir), out_dir=out / "reports" / variant, sandbox=sandbox.value, trusted=True)
            results[variant] = run_grading(options, label=variant)
    except GraderError as exc:
        fail(exc)
    for variant, report in results.items():
        console.print(f"[bold]{variant}[/]: verdict [{VERDICT_STYLE.get(report.verdict, '')}]{report.verdict}[/], "
                      f"score {report.score.earned:g}/{report.score.possible:g} ({report.score.percent}%), "
                      f"sandbox {report.sandbox.backend}; report {out / 'reports' / variant / 'report.md'}")


@app.command()
def doctor(clean: bool = typer.Option(False, "--clean", help="remove containers and volumes left by crashed runs")) -> None:
    """Test each sandbox backend for real and say what `--sandbox auto` will use."""
    from grader.doctor import diagnose, leftovers

    with err.status("testing sandbox backends"):
        states = diagnose()
    table = Table()
    for col in ("backend", "state", "details", "to do"):
        table.add_column(col, no_wrap=col in ("backend", "state"))
    for s in states:
        table.add_row(s.name, "[green]ready[/]" if s.ready else "[red]not ready[/]", t(s.detail), t(s.advice))
    table.add_row("unconfined", "[yellow]unsafe[/]", "plain subprocesses, no isolation",
                  "only with --allow-unsandboxed (and the report says so)")
    console.print(table)
    chosen = next((s.name for s in states if s.ready), None)
    try:
        containers, volumes = leftovers(remove=clean)
        verb = "removed" if clean else "found"
        if containers or volumes or clean:
            console.print(f"{verb} {containers} leftover container(s) and {volumes} volume(s) from earlier runs"
                          + ("" if clean else " (grader doctor --clean removes them)"))
    except GraderError:
        pass  # no engine: nothing can be left over
    if chosen:
        console.print(f"--sandbox auto will use: [bold]{chosen}[/]")
        measured = [e.id for e in catalog.list_exercises() if e.spec.needs_docker]
        if measured and chosen != "docker":
            one = len(measured) == 1
            console.print(f"[yellow]{t(', '.join(measured))} {'measures' if one else 'measure'} latency and memory: "
                          f"only docker grades {'it' if one else 'them'} (--sandbox auto stops at once; "
                          f"--sandbox local gives those checks as inconclusive)[/]")
    else:
        console.print("[red]no sandbox backend is ready: grader score will refuse untrusted submissions[/]")
        raise typer.Exit(1)


@app.command("new-exercise")
def new_exercise(
    exercise_id: str = typer.Argument(..., metavar="ID", help="the new exercise's id (lower case, digits, - and _)"),
    pack: Path = typer.Option(..., "--pack", help="the pack folder to write it into (created if missing)"),
) -> None:
    """Scaffold a working exercise in a pack: spec, hidden check and conftest, starter with its marker,
    solution, a partial fix, debrief. `grader --pack DIR validate ID` calibrates it as it stands."""
    from grader.scaffold import scaffold

    try:
        written = scaffold(exercise_id, pack)
    except GraderError as exc:
        fail(exc)
    console.print(f"wrote exercise {t(exercise_id)} into pack {t(pack)}: {len(written)} files")
    console.print(f"next: grader --pack {t(pack)} validate {t(exercise_id)} --sandbox local")


secret_app = typer.Typer(help="The grading secret: hidden data nobody can draw from this public repository.",
                         no_args_is_help=True)
app.add_typer(secret_app, name="secret")


@secret_app.command("init")
def secret_init(path: Path = typer.Argument(..., help="new file for the secret (mode 0600; never overwritten)")) -> None:
    """Create a random grading secret; then set GRADER_SECRET_FILE (or pass --secret-file) where you grade."""
    try:
        secret.init(path)
    except GraderError as exc:
        fail(exc)
    console.print(f"wrote a new grading secret to {t(path)} (keep it private; back it up: hidden data drawn from it "
                  f"cannot be drawn again without it)")
    console.print(f"use it: export {secret.ENV}={t(path.resolve())}")


images_app = typer.Typer(help="Container images of the Docker sandbox.", no_args_is_help=True)
app.add_typer(images_app, name="images")


@images_app.command("build")
def images_build(
    base: str = typer.Option("auto", "--base", help="auto (python:3.11-slim if available, else debootstrap), registry or debootstrap"),
    force: bool = typer.Option(False, "--force", help="rebuild even if an image with this recipe hash exists"),
    mirror: Optional[str] = typer.Option(None, "--mirror", help="Debian mirror for debootstrap (default deb.debian.org)"),
    wheelhouse: Optional[Path] = typer.Option(None, "--wheelhouse", help="use these wheels instead of running pip wheel"),
) -> None:
    """Build the runner image offline (reused when its recipe is unchanged)."""
    from grader.images import build_runner

    try:
        with err.status("building images") as status:
            result = build_runner(base, force=force, mirror=mirror, wheels=wheelhouse,
                                  say=lambda text: (err.print(f"  {t(text)}"), status.update(t(text))))
    except GraderError as exc:
        fail(exc)
    if result.built:
        steps = ", ".join(f"{k} {v:.0f} s" for k, v in result.steps.items())
        console.print(f"built {result.image} on {result.base} in {result.seconds:.0f} s ({steps})")
    else:
        console.print(f"{result.image} is up to date (base {result.base})")


def main() -> None:
    """Entry point: usage errors and interrupts end in one line too, never a traceback.

    Ctrl-C is recorded (grader.interrupt), so an interrupt swallowed somewhere inside still
    ends the run at the next wait, and the exit code is 130 whatever happened in between.
    """
    interrupt.install()
    command = typer.main.get_command(app)
    args = sys.argv[1:] or ["--help"]
    try:
        code = command.main(args, prog_name="grader", standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, ...
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        err.print(f"[bold red]error:[/] {t(message)} (see grader --help)", highlight=False, soft_wrap=True)
        code = getattr(exc, "exit_code", 2)
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    if code == 130 or interrupt.requested():  # Typer turns Ctrl-C into 130 itself
        err.print("interrupted")
        code = 130
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
