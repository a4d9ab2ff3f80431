"""The result of grading one submission: the `report.json` schema.

`SCHEMA_VERSION` changes with any incompatible change to these models. Everything that
came from the candidate (commit messages, file names, messages quoting their output) is
stored as given; renderers escape it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = "1.2"

Outcome = Literal["passed", "failed", "error", "skipped"]
BugVerdict = Literal["fixed", "partly fixed", "not fixed", "inconclusive"]
Verdict = Literal["pass", "partial", "fail", "inconclusive"]


class CheckResult(BaseModel):
    id: str
    title: str
    kind: Literal["fail_to_pass", "pass_to_pass", "stretch"]
    outcome: Outcome
    #: True when an infrastructure fault, not the candidate, caused an error.
    infra: bool = False
    points: float
    max_points: float
    message: str | None = None
    evidence: dict = Field(default_factory=dict)
    duration_s: float = 0.0
    #: Follow-up questions chosen by the outcome (stretch checks).
    questions: list[str] = Field(default_factory=list)


class Diff(BaseModel):
    """The candidate's changes to some files, baseline to graded commit, as a unified diff."""

    files: list[str] = Field(default_factory=list)
    text: str = ""
    truncated: bool = False


class DetectingTest(BaseModel):
    """One of the candidate's own tests that catches a planted bug (see grader/candidate_tests.py)."""

    test: str
    #: Set when the bugs this test catches share fix files: it catches one of these, maybe not this one.
    one_of: list[str] = Field(default_factory=list)


class OwnTests(BaseModel):
    """Per planted bug: which of the candidate's own tests detect it. Evidence only: no points."""

    #: False when it could not be measured (`how` says why); True with no tests: measured, none detects it.
    measured: bool
    detected_by: list[DetectingTest] = Field(default_factory=list)
    #: Detecting tests beyond those listed.
    more: int = 0
    #: How it was measured, or why it could not be.
    how: str = ""


class BugResult(BaseModel):
    id: str
    title: str
    symptom: str
    verdict: BugVerdict
    points: float
    max_points: float
    checks: list[CheckResult]
    #: The candidate's changes to the files where this bug's fix lands.
    changes: Diff | None = None
    #: Follow-up questions for the paired round, chosen by the verdict.
    questions: list[str] = Field(default_factory=list)
    #: With --per-commit: the first commit at which this bug's checks all pass.
    first_fixed_commit: str | None = None
    #: Which of the candidate's own tests catch this bug (evidence, never points).
    own_tests: OwnTests | None = None


class ScoreSummary(BaseModel):
    earned: float
    possible: float
    percent: float
    #: Stretch checks' points: a strong fix's extras, never part of the score or a verdict.
    stretch_earned: float = 0.0
    stretch_possible: float = 0.0


class ExerciseInfo(BaseModel):
    id: str
    version: str
    title: str
    failure_mode: str
    time_budget_hours: float
    #: The version named by the submission's marker file, when it differs from ours.
    submitted_version: str | None = None
    #: The variant graded (grader.variants), for an exercise that has variants.
    variant: str | None = None


class SubmissionInfo(BaseModel):
    url: str
    ref: str | None
    commit: str
    tree: str
    #: Oddities found while exporting the tree (symlinks, bytecode, binaries, submodules).
    findings: list[str] = Field(default_factory=list)


class SandboxInfo(BaseModel):
    backend: str
    isolated: bool
    self_test: dict[str, bool] = Field(default_factory=dict)
    image: str | None = None
    notes: list[str] = Field(default_factory=list)


class CommitInfo(BaseModel):
    sha: str
    author: str
    email: str
    date: str
    message: str
    files_changed: int
    insertions: int
    deletions: int


class FileChange(BaseModel):
    path: str
    insertions: int
    deletions: int
    protected: bool = False


class CommitVerdicts(BaseModel):
    """With --per-commit: every bug's verdict at one commit of the history."""

    sha: str
    verdicts: dict[str, str]
    earned: float


class History(BaseModel):
    baseline: str | None = None
    baseline_matches_starter: bool | None = None
    commits: list[CommitInfo] = Field(default_factory=list)
    files: list[FileChange] = Field(default_factory=list)
    #: Changed files beyond the listed ones (protected files are always listed).
    files_truncated: int = 0
    insertions: int = 0
    deletions: int = 0
    first_commit_at: str | None = None
    last_commit_at: str | None = None
    truncated: bool = False
    #: Estimated from commit times (which the candidate controls): see history.time_on_task.
    time_on_task_hours: float | None = None
    work_sessions: int = 0
    deadline: str | None = None
    #: Commits dated after the deadline.
    late_commits: list[str] = Field(default_factory=list)
    per_commit: list[CommitVerdicts] = Field(default_factory=list)


class WriteUp(BaseModel):
    """The candidate's own notes (e.g. NOTES.md), as text."""

    path: str
    text: str
    truncated: bool = False
    changed: bool = False


class SimilarTo(BaseModel):
    """Another document whose code matches this submission's own lines (see `grader similarity`)."""

    other: str
    kind: str
    #: Share of this submission's own lines (not the starter's) that the other matches.
    share: float
    #: Share of the other's own lines that this submission matches.
    other_share: float
    #: This submission's own lines that match.
    lines: int
    #: Where the matching code is shown side by side, relative to the report.
    where: str | None = None


class SimilarityCheck(BaseModel):
    """What `grader similarity` found: evidence for a human to look at, never a verdict (the score is unchanged)."""

    checked_at: str
    threshold: float
    min_lines: int
    #: Other submissions, earlier submissions, references and leaked solutions compared with.
    compared_with: int
    similar_to: list[SimilarTo] = Field(default_factory=list)


class FailedTest(BaseModel):
    test: str
    outcome: Literal["failed", "error"] = "failed"
    #: One line: the exception pytest reported.
    reason: str = ""


class SuiteRun(BaseModel):
    """One pytest run of the candidate's tests on one tree, as their own pytest reported it (JUnit XML)."""

    #: "their fix", "the starter with their tests", "their fix with <bug>'s files put back".
    tree: str
    #: What pytest was given: `tests`, or their new and changed test modules.
    paths: list[str] = Field(default_factory=list)
    #: False when no usable report came back (`note` says why).
    reported: bool = False
    note: str | None = None
    exit_code: int | None = None
    duration_s: float = 0.0
    passed: int = 0
    failed: int = 0
    #: Errors in set-up or tear-down, and test modules that could not be collected.
    errors: int = 0
    skipped: int = 0
    #: The first failures and errors, each with its reason.
    failures: list[FailedTest] = Field(default_factory=list)
    more_failures: int = 0
    not_collected: list[FailedTest] = Field(default_factory=list)


class CandidateTests(BaseModel):
    """The candidate's own tests: their suite on their fix, and what their new tests catch. Never points."""

    #: Why nothing (or not everything) was measured, e.g. no tests/ folder, a grader fault.
    note: str | None = None
    #: Their new and changed test files, against the published starter.
    test_files: list[str] = Field(default_factory=list)
    #: Their new modules that their tests import, run next to the starter.
    helpers: list[str] = Field(default_factory=list)
    #: What was left out of the starter's tree, and why.
    left_out: list[str] = Field(default_factory=list)
    #: Their `make test` run on their fix.
    suite: SuiteRun | None = None
    #: Their new and changed tests against the starter (plus helpers).
    starter: SuiteRun | None = None
    #: Their new and changed tests on their fix with one bug's fix files put back.
    reverted: list[SuiteRun] = Field(default_factory=list)
    #: Their tests that pass on their fix and fail against the starter.
    fail_on_starter: list[str] = Field(default_factory=list)
    #: Of those, the tests that no single bug's files explain.
    unattributed: list[str] = Field(default_factory=list)
    #: Their tests (passing on their fix) that could not run against the starter, with the reason.
    cannot_run_on_starter: list[FailedTest] = Field(default_factory=list)
    duration_s: float = 0.0


class Report(BaseModel):
    schema_version: str = SCHEMA_VERSION
    grader_version: str
    generated_at: str
    #: Who the submission is from, as the hiring team named them (batch CSV or --candidate).
    candidate: str | None = None
    #: True when author names and e-mails were replaced by pseudonyms (--blind).
    blind: bool = False
    #: A warning for the first line of every rendering (e.g. the run was not isolated).
    banner: str | None = None
    exercise: ExerciseInfo
    submission: SubmissionInfo
    sandbox: SandboxInfo
    score: ScoreSummary
    verdict: Verdict
    bugs: list[BugResult]
    #: Whole-service checks, not tied to one planted bug.
    checks: list[CheckResult] = Field(default_factory=list)
    history: History | None = None
    write_up: WriteUp | None = None
    #: Questions for every candidate of this exercise.
    questions: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    #: Set by `grader similarity` (and at the end of `grader batch`); never changes the score.
    similarity: SimilarityCheck | None = None
    #: The candidate's own test suite and what it catches; never changes the score.
    candidate_tests: CandidateTests | None = None

    #: Where the hidden data's seeds came from ("hidden data: public default seeds", or a seed set's fingerprint).
    hidden_data: str = "hidden data: public default seeds"

    def all_checks(self) -> list[CheckResult]:
        return [c for b in self.bugs for c in b.checks] + list(self.checks)
