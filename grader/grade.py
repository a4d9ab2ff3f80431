"""`grader score`: one submission from URL to report, step by step.

checkout -> identify -> sandbox -> history -> changes -> verify -> candidate-tests -> [per-commit] -> score -> report.
All git work (checkout, history, diffs) is done before any candidate code runs. Each
step's timing and outcome go to `run.json` as soon as the step ends, and every step's
command and output to `logs/`, so a crash still leaves what was done and a run can be
replayed. An infrastructure fault during verification is retried on a fresh workspace,
then reported as `inconclusive`. With `reuse`, a finished report for the same exercise
version, commit and grader version is returned as it is (batch grading resumes this way).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import grader
from grader import candidate_tests, catalog, files, history, marker, publish, scoring, secret, seeds, variants
from grader.catalog import Exercise
from grader.changes import save as save_changes
from grader.checkout import CloneLimits, Submission, TreeLimits, UrlPolicy, fetch
from grader.checkout.tree import export_tree
from grader.errors import GraderError, InfraError
from grader.report.blind import blind, identities, scrubber
from grader.report.model import CommitVerdicts, ExerciseInfo, History, Report, SandboxInfo, SubmissionInfo
from grader.report.render import write_reports
from grader.sandbox import Choice, Limits, SandboxConfig, choose, sweep
from grader.spec import ExerciseSpec
from grader.verify.run import CheckOutcome, verify
from grader.verify.session import VerifySession

MAX_PER_COMMIT = 20


@dataclass
class Options:
    location: str
    ref: str | None = None
    exercise: str | None = None
    out_dir: Path | None = None
    sandbox: str = "auto"
    policy: UrlPolicy = field(default_factory=UrlPolicy)
    #: Only for the project's own repos (demo, calibration): may run unconfined.
    trusted: bool = False
    allow_unsandboxed: bool = False
    retries: int = 1
    keep_work: bool = False
    #: Override the exercise's resource limits (e.g. shorter timeouts in tests).
    limits: dict = field(default_factory=dict)
    candidate: str | None = None
    deadline: datetime | None = None
    blind: bool = False
    #: Also grade every earlier commit, to find when each bug got fixed (slow).
    per_commit: bool = False
    #: Return the report already in out_dir if it is for the same exercise version, commit and grader.
    reuse: bool = False
    clone_limits: CloneLimits = field(default_factory=CloneLimits)
    tree_limits: TreeLimits = field(default_factory=TreeLimits)
    #: Draw the hidden data from this key (grader.seeds) instead of the public default seeds.
    hidden_seed: str | None = None
    #: Run the candidate's own tests (their suite, and what their new tests catch): evidence, never points.
    candidate_tests: bool = True


class Progress:
    """What a grading run tells its caller while it works (the CLI draws it with Rich)."""

    def step(self, name: str) -> None: ...

    def identified(self, exercise: Exercise) -> None:
        """The exercise is known and nothing is reused: may raise to stop before any candidate code runs."""

    def checks_total(self, total: int) -> None: ...

    def check_done(self, outcome: CheckOutcome) -> None: ...


class RunRecord:
    """`run.json`: provenance and per-step timings, rewritten after every step."""

    def __init__(self, out_dir: Path, options: Options):
        self.path = out_dir / "run.json"
        try:
            self.previous = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.previous = {}
        self.data: dict = {
            "grader_version": grader.__version__,
            "started_at": _now(),
            "request": {"location": options.location, "ref": options.ref, "exercise": options.exercise,
                        "sandbox": options.sandbox, "candidate": options.candidate, "blind": options.blind,
                        "per_commit": options.per_commit},
            "steps": [],
            "status": "running",
        }
        self.save()

    def save(self) -> None:
        self.path.write_text(json.dumps(self.data, indent=2, default=str))

    def set(self, **values) -> None:
        self.data.update(values)
        self.save()

    @contextmanager
    def step(self, name: str, progress: Progress) -> Iterator[dict]:
        progress.step(name)
        entry = {"step": name, "started_at": _now()}
        self.data["steps"].append(entry)
        started = time.monotonic()
        try:
            yield entry
            entry["status"] = "ok"
        except BaseException as exc:
            entry["status"] = "error"
            entry["error"] = str(exc) or type(exc).__name__
            raise
        finally:
            entry["duration_s"] = round(time.monotonic() - started, 3)
            self.save()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_out_dir() -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Path("runs") / stamp


def identify(submission: Submission, requested: str | None) -> tuple[Exercise, str | None, list[str]]:
    """The exercise to grade: `--exercise`, else the repo's marker file."""
    notes = []
    text = submission.read_file(catalog.MARKER)
    named, version = marker.identify(text) if text is not None else (None, None)
    if requested:
        if named and named != requested:
            notes.append(f"the repo's {catalog.MARKER} names {named!r}; graded as {requested!r} as requested")
        return catalog.get_exercise(requested), version, notes
    if text is None:
        raise GraderError(f"not an exercise repo: no {catalog.MARKER} marker at its root (pass --exercise ID)")
    return catalog.get_exercise(named), version, notes


@dataclass(frozen=True)
class HiddenData:
    """What the hidden checks' data derive from: the seeds' key (grader.seeds; None: the public
    defaults) and the graded variant (grader.variants; GRADER_VARIANT's JSON, None: no variants)."""

    key: str | None = None
    variant: str | None = None


def run_verifier(exercise: Exercise, tree: Path, commit: str, choice: Choice, limits: Limits, work: Path,
                 run_dir: Path, label: str, progress: Progress, hidden: HiddenData = HiddenData()) -> dict[str, CheckOutcome]:
    """One verifier run on a fresh copy of an exported tree; an InfraError means no result."""
    spec = exercise.spec
    workspace = work / f"workspace-{label}"
    files.copy_tree(tree, workspace)
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    config = SandboxConfig(
        backend=choice.backend, workspace=str(workspace), run_dir=str(run_dir),
        limits=asdict(limits),
        probes=str(exercise.probes_dir) if exercise.probes_dir.is_dir() else None, image=choice.image,
        run_id=uuid.uuid4().hex,
    )
    session = VerifySession(
        exercise_id=spec.id, spec_path=str(exercise.root / "exercise.toml"),
        check_ids=[c.id for c in spec.all_checks()], sandbox=config.to_dict(),
        results_path=str(work / f"results-{label}.jsonl"), scratch_dir=str(work / f"scratch-{label}"),
        submission={"commit": commit, "tree_path": str(tree)}, hidden_key=hidden.key, variant=hidden.variant,
    )
    progress.checks_total(len(session.check_ids))
    try:
        return verify(exercise, session, work / f"verify-{label}", run_dir / "logs" / "verify.log",
                      timeout_s=spec.resources.verify_timeout_s, on_result=progress.check_done)
    finally:
        sweep(config)
        files.remove_tree(workspace)


def verify_with_retries(exercise: Exercise, tree: Path, commit: str, choice: Choice, limits: Limits, work: Path,
                        run_dir: Path, retries: int, progress: Progress,
                        hidden: HiddenData = HiddenData()) -> tuple[dict[str, CheckOutcome], int]:
    """Outcomes by check id; infrastructure faults are retried, then reported as inconclusive."""
    outcomes: dict[str, CheckOutcome] = {}
    for attempt in range(1, retries + 2):
        label = f"{commit[:10]}-{attempt}"
        attempt_dir = run_dir if attempt == 1 else run_dir / f"retry-{attempt}"
        try:
            outcomes = run_verifier(exercise, tree, commit, choice, limits, work, attempt_dir, label, progress,
                                    hidden)
        except InfraError as exc:
            outcomes = {c.id: CheckOutcome(c.id, "error", infra=True, message=str(exc))
                        for c in exercise.spec.all_checks()}
        if not any(o.infra for o in outcomes.values()):
            return outcomes, attempt
    return outcomes, retries + 1


def hidden_key(options: Options, exercise: Exercise, grading_secret: str | None) -> str | None:
    """The key of this exercise's hidden data for this run (None: the public default seeds).

    An explicit key (`grader validate --seeds`) comes first, then the grading secret
    (GRADER_SECRET_FILE, grader.secret); without either the public default seeds are used."""
    return seeds.exercise_key(options.hidden_seed or grading_secret, exercise.spec.id, exercise.spec.version)


def reusable(out_dir: Path, exercise: Exercise, commit: str, hidden_data: str = seeds.describe(None)) -> Report | None:
    """A finished report in `out_dir` for the same (exercise version, commit, grader version, hidden data)."""
    path = out_dir / "report.json"
    try:
        report = Report.model_validate_json(path.read_text())
    except (OSError, ValueError):
        return None
    same = (report.exercise.id, report.exercise.version, report.submission.commit, report.grader_version,
            report.hidden_data) == (exercise.spec.id, exercise.spec.version, commit, grader.__version__, hidden_data)
    return report if same and report.verdict != "inconclusive" else None


def per_commit_verdicts(exercise: Exercise, submission: Submission, timeline: History, choice: Choice, limits: Limits,
                        work: Path, out_dir: Path, options: Options, progress: Progress,
                        hidden: HiddenData) -> list[CommitVerdicts]:
    """Grade every earlier commit of the candidate (bounded), oldest first."""
    rows = []
    repo = submission.repo
    for info in timeline.commits[:-1][-MAX_PER_COMMIT:]:
        progress.step(f"commit {info.sha[:10]}")
        tree = work / f"tree-{info.sha[:10]}"
        export_tree(repo.commit(info.sha), tree, options.tree_limits)
        outcomes, _ = verify_with_retries(exercise, tree, info.sha, choice, limits, work,
                                          out_dir / "per-commit" / info.sha[:10], options.retries, progress, hidden)
        bugs, _, summary, _ = scoring.score(exercise.spec, outcomes)
        rows.append(CommitVerdicts(sha=info.sha, verdicts={b.id: b.verdict for b in bugs}, earned=summary.earned))
        files.remove_tree(tree)
    return rows


def sandbox_for(spec: ExerciseSpec, asked: str, *, always: bool = False) -> str:
    """The backend to grade `spec` under when `asked` is: docker for an exercise that measures
    latency and memory (`needs_docker`) when `auto` is asked, or whatever is asked when `always`
    (calibration: such an exercise's expectations hold under docker only); else `asked`."""
    return "docker" if spec.needs_docker and (always or asked == "auto") else asked


def choose_for(spec: ExerciseSpec, kind: str, limits: Limits, **how) -> Choice:
    """The sandbox for grading `spec`: `choose` of `sandbox_for`. Elsewhere than docker an
    exercise's measured checks can only be inconclusive, so an engine that does not answer is
    said at once, in one line, rather than after a grading whose verdict could not be a pass;
    `--sandbox local` still grades it."""
    wanted = sandbox_for(spec, kind)
    if wanted == kind:
        return choose(kind, limits, **how)
    try:
        return choose(wanted, limits, **how)
    except InfraError as exc:
        raise InfraError(f"{spec.id} measures latency and memory, which only the docker sandbox can: {exc} "
                         f"(--sandbox local grades it with those checks inconclusive)") from None


def grade(options: Options, progress: Progress | None = None) -> Report:
    progress = progress or Progress()
    out_dir = options.out_dir or default_out_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "logs").mkdir(exist_ok=True)
    run = RunRecord(out_dir, options)
    work = Path(tempfile.mkdtemp(prefix="grader-work-"))
    try:
        report = _grade(options, progress, out_dir, run, work)
        run.set(status="done", finished_at=_now(), verdict=report.verdict,
                score={"earned": report.score.earned, "possible": report.score.possible})
        return report
    except BaseException as exc:
        run.set(status="error", finished_at=_now(), error=str(exc) or type(exc).__name__)
        raise
    finally:
        if options.keep_work:
            run.set(work_dir=str(work))
        else:
            left = files.remove_tree(work)
            if left:
                run.set(cleanup_problems=left[:10])


def _grade(options: Options, progress: Progress, out_dir: Path, run: RunRecord, work: Path) -> Report:
    with run.step("checkout", progress) as entry:
        submission = fetch(options.location, options.ref, work / "submission", options.policy,
                           options.clone_limits, options.tree_limits)
        shutil.copy(work / "submission" / "clone.git.clone.log", out_dir / "logs" / "clone.log")
        entry.update(commit=submission.commit, tree=submission.tree, files=submission.export.files,
                     findings=submission.export.findings())
        run.set(submission={"url": submission.source.display, "ref": options.ref, "commit": submission.commit,
                            "tree": submission.tree})

    with run.step("identify", progress) as entry:
        exercise, submitted_version, notes = identify(submission, options.exercise)
        spec = exercise.spec
        entry.update(exercise=spec.id, version=spec.version)
        grading_secret = secret.load()  # read once: the hidden data's key and the marker's signature
        key = hidden_key(options, exercise, grading_secret)
        run.set(exercise={"id": spec.id, "version": spec.version}, hidden_data=seeds.fingerprint(key) or seeds.PUBLIC)

    if options.reuse:
        previous = reusable(out_dir, exercise, submission.commit, seeds.describe(key))
        if previous is not None:
            run.data = {**run.previous, "reused_at": _now()}
            run.save()
            return previous
    progress.identified(exercise)

    with run.step("sandbox", progress) as entry:
        limits = replace(Limits.from_resources(spec.resources), **options.limits)
        choice = choose_for(spec, options.sandbox, limits, trusted=options.trusted,
                            allow_unsandboxed=options.allow_unsandboxed,
                            hidden=[catalog.project_root().resolve(), *catalog.hidden_dirs(), out_dir.resolve(), work])
        entry.update(backend=choice.backend, isolated=choice.isolated, self_test=choice.self_test, notes=choice.notes)
        run.set(sandbox={"backend": choice.backend, "isolated": choice.isolated, "image": choice.image})

    with run.step("history", progress):
        repo = submission.repo
        timeline = history.analyse(repo, submission.commit, protected=tuple(spec.protected_paths),
                                   deadline=options.deadline)
        base = timeline.baseline
        # the first commit's marker says who the repository was published for (grader.marker)
        published = marker.parse(submission.read_file(catalog.MARKER, at=base)) if base else None
        marker_flags, marker_notes = marker.check(published, options.candidate, grading_secret)
        graded_variant, variant_notes = variants.of_marker(spec, published.variant if published else None)
        marker_notes += variant_notes
        if base:
            tree = publish.starter_tree(exercise, work, published.candidate if published else None, graded_variant)
            timeline.baseline_matches_starter = repo.commit(base).tree.hexsha == tree
            if spec.variants and not timeline.baseline_matches_starter:
                # graded against the variant the files really are, whatever the marker says
                built_on = publish.starter_variant(exercise, repo.commit(base).tree, work)
                if built_on is not None and built_on != graded_variant:
                    marker_flags.append(f"Built on the starter of variant {built_on.id}, although its marker names "
                                        f"{graded_variant.id}: graded as {built_on.id}")
                    graded_variant = built_on
        write_up = history.write_up(repo, base, submission.commit, spec.notes_file)
        changes = {b.id: history.file_diff(repo, base, submission.commit, b.paths) if base else None for b in spec.bugs}

    with run.step("changes", progress) as entry:  # the candidate's own files, for `grader similarity`
        scrub = scrubber(identities(timeline, submission.source.display, options.candidate)) if options.blind else None
        entry.update(save_changes(repo, submission.commit, exercise, out_dir, work, scrub, graded_variant).summary())

    hidden = HiddenData(key, variants.to_env(spec, graded_variant) if spec.variants else None)
    with run.step("verify", progress) as entry:
        outcomes, entry["attempts"] = verify_with_retries(exercise, submission.workspace, submission.commit, choice,
                                                          limits, work, out_dir, options.retries, progress, hidden)
        entry["outcomes"] = {k: v.outcome for k, v in outcomes.items()}

    own_tests = None
    if options.candidate_tests:
        with run.step("candidate-tests", progress) as entry:  # evidence only: never changes the score
            own_tests = candidate_tests.measure(exercise, submission.repo, submission.commit, submission.workspace,
                                                choice, limits, work, out_dir, graded_variant)
            entry.update(own_tests.summary())

    if options.per_commit:
        with run.step("per-commit", progress) as entry:
            timeline.per_commit = per_commit_verdicts(exercise, submission, timeline, choice, limits, work, out_dir,
                                                      options, progress, hidden)
            entry["commits"] = len(timeline.per_commit)

    with run.step("score", progress):
        bugs, service_checks, summary, verdict = scoring.score(spec, outcomes)
        for bug, bug_spec in zip(bugs, spec.bugs):
            bug.questions = bug_spec.questions.for_verdict(bug.verdict)
            bug.changes = changes[bug.id]
            bug.own_tests = own_tests.per_bug.get(bug.id) if own_tests else None
            if options.per_commit:
                verdicts = [(c.sha, c.verdicts.get(bug.id)) for c in timeline.per_commit]
                verdicts.append((submission.commit, bug.verdict))
                bug.first_fixed_commit = next((sha for sha, v in verdicts if v == "fixed"), None)

    with run.step("report", progress):
        if submitted_version and submitted_version != spec.version:
            notes.append(f"the repo was published from exercise version {submitted_version}; graded with {spec.version}")
        if timeline.baseline_matches_starter is False:
            notes.append("the history's first commit is not the published starter")
        notes.extend(marker_notes)
        if timeline.late_commits:
            notes.append(f"{len(timeline.late_commits)} commit(s) dated after the deadline {timeline.deadline} "
                         "(commit dates are set by the candidate)")
        report = Report(
            grader_version=grader.__version__, generated_at=_now(),
            banner="; ".join(filter(None, [*marker_flags, choice.banner])) or None,
            candidate=options.candidate, write_up=write_up, questions=list(spec.questions),
            exercise=ExerciseInfo(id=spec.id, version=spec.version, title=spec.title, failure_mode=spec.failure_mode,
                                  variant=graded_variant.id if spec.variants else None,
                                  time_budget_hours=spec.time_budget_hours,
                                  submitted_version=submitted_version if submitted_version != spec.version else None),
            submission=SubmissionInfo(url=submission.source.display, ref=options.ref, commit=submission.commit,
                                      tree=submission.tree, findings=submission.export.findings()),
            sandbox=SandboxInfo(backend=choice.backend, isolated=choice.isolated, self_test=choice.self_test,
                                image=choice.image, notes=choice.notes),
            score=summary, verdict=verdict, bugs=bugs, checks=service_checks, history=timeline, notes=notes,
            hidden_data=seeds.describe(key),
            candidate_tests=own_tests.section if own_tests else None,
        )
        if options.blind:
            report = blind(report)
        report = write_reports(report, out_dir)
    return report
