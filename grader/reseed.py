"""`grader validate --seeds K`: calibration again under K other draws of the hidden data.

Hidden data come from fixed seeds, so a check that passes by the luck of one draw looks
perfect. Here every calibration variant (starter, reference, each known partial fix) is
graded K more times, each time with the hidden data drawn from another key (grader.seeds:
seed set i of base B), and per exercise we get, for every variant and check, how many of
the K runs it passed. A check whose outcome differs across seeds for any variant is
*flaky*; a variant whose expected outcome fails on any seed is a *failure* (the command
exits non-zero). What does not depend on the seed is made once: each variant's repository
is published once and graded K times (the runner image is content-addressed anyway).
Gradings run `jobs` at a time; measured (latency) steps never overlap on one host anyway
(sandbox/hostlock.py). `validate.json`, and the same tables in Markdown (`validate.md`), are
rewritten after every grading, so an interrupted run keeps the seeds it finished.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from grader import seeds
from grader.calibrate import CalibrationRow, Variant, backend_for, grade_prepared, prepare_variant, run_all, variants
from grader.catalog import Exercise
from grader.grade import Progress


@dataclass
class VariantRuns:
    expected: dict[str, bool]
    #: seed index -> check id -> outcome
    outcomes: dict[int, dict[str, str]] = field(default_factory=dict)
    #: seed index -> mismatch lines against `expected`
    mismatches: dict[int, list[str]] = field(default_factory=dict)
    verdicts: dict[int, str] = field(default_factory=dict)

    def passes(self, check: str) -> int:
        return sum(runs.get(check) == "passed" for runs in self.outcomes.values())

    def flaky(self, check: str) -> bool:
        return len({runs.get(check) == "passed" for runs in self.outcomes.values()}) > 1

    def to_json(self) -> dict:
        return {"expected": self.expected, "runs": len(self.outcomes),
                "passed": {c: self.passes(c) for c in self.expected},
                "outcomes": {str(i): o for i, o in sorted(self.outcomes.items())},
                "verdicts": {str(i): v for i, v in sorted(self.verdicts.items())},
                "mismatches": {str(i): m for i, m in sorted(self.mismatches.items()) if m}}


@dataclass
class ExerciseRuns:
    exercise: str
    checks: list[str]
    variants: dict[str, VariantRuns]

    def flaky(self) -> list[str]:
        return [c for c in self.checks if any(v.flaky(c) for v in self.variants.values())]

    def failures(self) -> list[str]:
        return [f"{name} (seed {i}): {line}" for name, v in self.variants.items()
                for i, lines in sorted(v.mismatches.items()) for line in lines]

    def to_json(self) -> dict:
        return {"checks": self.checks, "flaky": self.flaky(), "failures": self.failures(),
                "variants": {name: v.to_json() for name, v in self.variants.items()}}

    def markdown(self) -> str:
        """The pass-count table (check x variant, **flaky** marked; an unexpected count in bold)."""
        names = list(self.variants)
        flaky = set(self.flaky())
        lines = ["| check | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "---|" * len(names)]
        for check in self.checks:
            cells = []
            for name in names:
                v = self.variants[name]
                count, runs = v.passes(check), len(v.outcomes)
                cell = f"{count}/{runs}"
                cells.append(cell if count == (runs if v.expected[check] else 0) else f"**{cell}**")
            lines.append(f"| `{check}`{' **flaky**' if check in flaky else ''} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


@dataclass
class Validation:
    base: int
    seeds: int
    exercises: dict[str, ExerciseRuns]
    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ok(self) -> bool:
        return not any(e.failures() for e in self.exercises.values())

    def record(self, exercise: str, variant: str, index: int, row: CalibrationRow) -> None:
        with self._lock:
            runs = self.exercises[exercise].variants[variant]
            runs.outcomes[index] = row.got
            runs.mismatches[index] = row.mismatches
            runs.verdicts[index] = row.verdict
            self.save()

    def save(self) -> None:
        data = {"base": self.base, "seeds": self.seeds, "ok": self.ok,
                "exercises": {k: v.to_json() for k, v in self.exercises.items()}}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.path)
        tables = [f"### `{k}`: checks passed per variant over {self.seeds} seed sets (base {self.base})\n\n"
                  f"{v.markdown()}" for k, v in self.exercises.items()]
        tmp = self.path.with_name("validate.md.tmp")
        tmp.write_text("\n".join(tables))
        tmp.replace(self.path.with_name("validate.md"))


def validate_seeds(exercises: list[Exercise], out_root: Path, count: int, base: int = 0, sandbox: str = "auto",
                   jobs: int = 1, progress_for: Callable[[str], Progress] = lambda label: Progress(),
                   on_done: Callable[[str, str, int, CalibrationRow], None] = lambda *a: None,
                   of: dict[str, list | None] | None = None) -> Validation:
    """Grade every variant of every exercise under `count` seed sets of `base` (the exercise
    variants `of[exercise id]`, default: the default variant; see calibrate.variants)."""
    out_root.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[Exercise, Variant, Path]] = []
    result = Validation(base, count, {}, out_root / "validate.json")
    for exercise in exercises:
        found = variants(exercise, (of or {}).get(exercise.id))
        result.exercises[exercise.id] = ExerciseRuns(exercise.id, [c.id for c in exercise.spec.all_checks()],
                                                     {v.name: VariantRuns(v.expected) for v in found})
        plan += [(exercise, v, prepare_variant(exercise, v, out_root)) for v in found]
    result.save()

    def one(exercise: Exercise, variant: Variant, repo: Path, index: int) -> None:
        label = f"{exercise.id}/{variant.name}/seed-{index}"
        row = grade_prepared(exercise, variant, repo, repo.parent / f"report-seed-{index}",
                             backend_for(exercise, sandbox), progress_for(label), seeds.validation_key(base, index))
        result.record(exercise.id, variant.name, index, row)
        on_done(exercise.id, variant.name, index, row)

    # Seed by seed: an interrupted run keeps whole seeds for every variant.
    run_all([partial(one, exercise, variant, repo, index) for index in range(count) for exercise, variant, repo in plan],
            jobs, "validate-seeds")
    return result
