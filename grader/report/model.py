"""The result of grading one submission: the `report.json` schema.

`SCHEMA_VERSION` changes with any incompatible change to these models. Everything that
came from the candidate (commit messages, file names, messages quoting their output) is
stored as given; renderers escape it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = "1.0"

Outcome = Literal["passed", "failed", "error", "skipped"]
BugVerdict = Literal["fixed", "partly fixed", "not fixed", "inconclusive"]
Verdict = Literal["pass", "partial", "fail", "inconclusive"]


class CheckResult(BaseModel):
    id: str
    title: str
    kind: Literal["fail_to_pass", "pass_to_pass"]
    outcome: Outcome
    #: True when an infrastructure fault, not the candidate, caused an error.
    infra: bool = False
    points: float
    max_points: float
    message: str | None = None
    evidence: dict = Field(default_factory=dict)
    duration_s: float = 0.0


class BugResult(BaseModel):
    id: str
    title: str
    symptom: str
    verdict: BugVerdict
    points: float
    max_points: float
    checks: list[CheckResult]


class ScoreSummary(BaseModel):
    earned: float
    possible: float
    percent: float


class ExerciseInfo(BaseModel):
    id: str
    version: str
    title: str
    failure_mode: str
    time_budget_hours: float
    #: The version named by the submission's marker file, when it differs from ours.
    submitted_version: str | None = None


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


class History(BaseModel):
    baseline: str | None = None
    baseline_matches_starter: bool | None = None
    commits: list[CommitInfo] = Field(default_factory=list)
    files: list[FileChange] = Field(default_factory=list)
    insertions: int = 0
    deletions: int = 0
    first_commit_at: str | None = None
    last_commit_at: str | None = None
    truncated: bool = False


class Report(BaseModel):
    schema_version: str = SCHEMA_VERSION
    grader_version: str
    generated_at: str
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
    notes: list[str] = Field(default_factory=list)

    def all_checks(self) -> list[CheckResult]:
        return [c for b in self.bugs for c in b.checks] + list(self.checks)
