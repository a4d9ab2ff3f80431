"""The exercise spec: one typed description of an exercise, read from `exercise.toml`.

An exercise has planted bugs; each bug has checks of three kinds. A *fail-to-pass* check
fails on the untouched starter and must pass once the bug is fixed; a *pass-to-pass*
guard passes on the starter and must keep passing; a *stretch* check fails on the starter
and passes for a strong fix that an adequate one may miss: it earns stretch points, reported
next to the score, and never changes the score or a verdict. Whole-service checks (`checks` at the
top level) are not tied to one bug. Known partial fixes name the checks they are expected
to pass; calibration (`grader validate`) holds every exercise to those expectations.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from grader.errors import GraderError

CheckKind = Literal["fail_to_pass", "pass_to_pass", "stretch"]
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resources(_Strict):
    """Limits for every sandboxed step of this exercise."""

    memory_mb: int = 2048
    cpus: float = 1.0
    pids: int = 256
    nofile: int = 1024
    file_size_mb: int = 512
    tmpfs_mb: int = 256
    #: What a step may write into the workspace, state and output folders together.
    disk_mb: int = 2048
    output_kb: int = 512
    step_timeout_s: float = 180
    serve_start_timeout_s: float = 90
    request_timeout_s: float = 10
    #: Wall-time limit for the whole verifier run, a backstop behind the per-step limits.
    verify_timeout_s: float = 1200


class CheckQuestions(_Strict):
    """Follow-up questions for a stretch check, chosen by its outcome."""

    passed: list[str] = []
    failed: list[str] = []


class Check(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: CheckKind
    title: str
    points: float = Field(default=1.0, gt=0)
    questions: CheckQuestions = CheckQuestions()

    @property
    def stretch(self) -> bool:
        return self.kind == "stretch"


class Questions(_Strict):
    """Follow-up questions for the paired debugging round, chosen by the bug's verdict."""

    fixed: list[str] = []
    partly_fixed: list[str] = []
    not_fixed: list[str] = []

    def for_verdict(self, verdict: str) -> list[str]:
        return {"fixed": self.fixed, "partly fixed": self.partly_fixed, "not fixed": self.not_fixed}.get(verdict, [])


class Bug(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    symptom: str
    checks: list[Check] = Field(min_length=1)
    #: Glob patterns of the files where a fix of this bug lands; the report shows their diff.
    paths: list[str] = []
    questions: Questions = Questions()

    @model_validator(mode="after")
    def _has_fail_to_pass(self) -> "Bug":
        if not any(c.kind == "fail_to_pass" for c in self.checks):
            raise ValueError(f"bug {self.id!r} needs at least one fail_to_pass check")
        return self


class PartialFix(_Strict):
    """A known incomplete fix: `partial_fixes/<id>.patch` or a folder `partial_fixes/<id>/`.

    With `based_on = "solution"` it starts from the reference solution (the patch is a diff
    against it), else from the starter; see grader/partial_fixes.py.
    """

    id: str = Field(pattern=ID_PATTERN)
    title: str
    based_on: Literal["starter", "solution"] = "starter"
    #: The checks this fix passes; every other check is expected to fail.
    passes: list[str]
    #: The overall verdict it gets: "fail" when it passes no fail-to-pass check at all; "pass"
    #: when it passes every scored check and misses only stretch checks (an adequate fix).
    verdict: Literal["partial", "fail", "pass"] = "partial"
    #: A control: it blocks, alerts on or rejects everything, so it must earn none of the checks
    #: that reward blocking, alerting or rejecting. The test suite calibrates every control (and
    #: a sample of the other partial fixes; `grader validate` calibrates them all).
    control: bool = False


class VariantParameter(_Strict):
    """One parameter of the exercise's variant space (grader/variants.py): a list of values,
    each a table with an `id` and the fields templates and hidden checks read."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    values: list[dict[str, str | int | float | bool]] = Field(min_length=1)

    @model_validator(mode="after")
    def _value_ids(self) -> "VariantParameter":
        ids = [v.get("id") for v in self.values]
        if not all(isinstance(i, str) and re.fullmatch(ID_PATTERN, i) for i in ids):
            raise ValueError(f"every value of variant parameter {self.name!r} needs an id matching {ID_PATTERN}")
        if len(set(ids)) != len(ids):
            raise ValueError(f"variant parameter {self.name!r} has a value id twice")
        return self


class ExerciseSpec(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    version: str
    title: str
    failure_mode: str
    summary: str
    time_budget_hours: float = Field(gt=0)
    resources: Resources = Resources()
    bugs: list[Bug] = Field(min_length=1)
    checks: list[Check] = []
    partial_fixes: list[PartialFix] = []
    #: Glob patterns of files a candidate should not need to edit (flagged in the report).
    protected_paths: list[str] = []
    #: Questions for every candidate, whatever the verdicts.
    questions: list[str] = []
    #: The candidate's write-up that the starter asks for.
    notes_file: str = "NOTES.md"
    #: Checks measure real CPU and memory limits, which only the docker backend enforces
    #: faithfully; under another backend those checks must end inconclusive (InfraError).
    needs_docker: bool = False
    #: The variant space: one value per parameter makes a candidate's variant (grader/variants.py).
    variants: list[VariantParameter] = []

    @model_validator(mode="after")
    def _ids_unique_and_known(self) -> "ExerciseSpec":
        ids = [c.id for c in self.all_checks()]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"check ids used twice: {', '.join(dupes)}")
        for fix in self.partial_fixes:
            unknown = sorted(set(fix.passes) - set(ids))
            if unknown:
                raise ValueError(f"partial fix {fix.id!r} names unknown checks: {', '.join(unknown)}")
        names = [p.name for p in self.variants]
        if len(set(names)) != len(names):
            raise ValueError("a variant parameter is declared twice")
        for check in self.stretch_checks():  # calibrated like every check: a known fix must miss it
            if not any(check.id not in fix.passes for fix in self.partial_fixes):
                raise ValueError(f"stretch check {check.id!r} needs a known partial fix that misses it")
        return self

    def all_checks(self) -> list[Check]:
        return [c for b in self.bugs for c in b.checks] + list(self.checks)

    def check(self, check_id: str) -> Check:
        for c in self.all_checks():
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def starter_expectation(self) -> dict[str, bool]:
        """check id -> whether the untouched starter is expected to pass it."""
        return {c.id: c.kind == "pass_to_pass" for c in self.all_checks()}

    def stretch_checks(self) -> list[Check]:
        return [c for c in self.all_checks() if c.stretch]

    def partial_expectation(self, fix_id: str) -> dict[str, bool]:
        fix = next(f for f in self.partial_fixes if f.id == fix_id)
        return {c.id: c.id in fix.passes for c in self.all_checks()}


def load_spec(path: Path) -> ExerciseSpec:
    try:
        data = tomllib.loads(path.read_text())
        return ExerciseSpec.model_validate(data)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GraderError(f"cannot read exercise spec {path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise GraderError(f"invalid exercise spec {path}: {where}: {first['msg']}") from None
