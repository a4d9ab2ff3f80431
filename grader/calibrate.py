"""`grader validate`: hold every exercise to what its checks promise.

For each exercise, grade three kinds of variant, each published like a real candidate
repo: the untouched starter (fails every fail-to-pass check, passes every guard), the
reference solution (passes everything) and each known partial fix (passes exactly the
checks its spec entry lists). A check that cannot fail, or fails a correct fix, shows up
here as a mismatch.

Each finished grading leaves `calibration.json` beside its report: a key over everything its
outcome depends on (`grading_key`). `grader validate --resume` reuses a grading whose key is
the one it computes now, so an interrupted calibration (every variant of an exercise: hours)
goes on where it stopped, and nothing graded by other code, content, backend or hidden data
is reused.
"""

from __future__ import annotations

import hashlib
import json
import random
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, TypeVar

import grader
from grader import catalog, partial_fixes, secret, seeds
from grader.catalog import Exercise
from grader.errors import GraderError
from grader.files import remove_tree
from grader.grade import Options, Progress, grade, sandbox_for
from grader.publish import commit_overlay, publish, solution
from grader.report.model import Report
from grader.spec import PartialFix
from grader.variants import Variant as ExerciseVariant
from grader.variants import every as every_variant
from grader.variants import parse as parse_variant

T = TypeVar("T")


@dataclass
class Variant:
    name: str
    expected: dict[str, bool]  # check id -> expected to pass
    verdict: str = "partial"  # the overall verdict it should get
    solution: bool = False  # the reference solution is laid over the starter
    fix: PartialFix | None = None  # a known partial fix is (over the solution where it is based on it)
    of: ExerciseVariant | None = None  # the exercise's variant (grader.variants); None: its default

    def overlays(self, exercise: Exercise, scratch: Path) -> list[Path]:
        """The folders committed in order on top of the published starter, rendered for the
        exercise variant under `scratch` (where a fix's patch is applied too)."""
        if self.fix is not None:
            return partial_fixes.overlays(exercise, self.fix, scratch, self.of)
        if self.solution:
            return [solution(exercise, scratch, self.of)]
        return []


@dataclass
class CalibrationRow:
    exercise: str
    variant: str
    expected: dict[str, bool]
    got: dict[str, str]
    earned: float
    possible: float
    verdict: str
    report_dir: Path
    mismatches: list[str] = field(default_factory=list)
    reused: bool = False  # graded by an earlier run with the same key (`grader validate --resume`)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def expected_summary(self) -> str:
        return f"{sum(self.expected.values())}/{len(self.expected)}"

    @property
    def got_summary(self) -> str:
        return f"{sum(v == 'passed' for v in self.got.values())}/{len(self.got)}"


def variants(exercise: Exercise, of: list[ExerciseVariant] | None = None) -> list[Variant]:
    """The starter, the reference and every known partial fix, for each exercise variant in `of`
    (default: the exercise's default variant only). Names carry `@<variant id>` when `of` is given."""
    spec = exercise.spec
    found = []
    for chosen in of or [None]:
        suffix = f"@{chosen.id}" if chosen is not None else ""
        found += [
            Variant(f"starter{suffix}", spec.starter_expectation(), "fail", of=chosen),
            Variant(f"reference{suffix}", {c.id: True for c in spec.all_checks()}, "pass", solution=True, of=chosen),
            *(Variant(f"{fix.id}{suffix}", spec.partial_expectation(fix.id), fix.verdict, fix=fix, of=chosen)
              for fix in spec.partial_fixes),
        ]
    return found


def named_variants(exercise: Exercise, ids: list[str]) -> list[ExerciseVariant]:
    """The exercise variants `grader validate --variant ID` names, in the order given, each once;
    GraderError (one line) for an exercise without variants or an id it does not have."""
    if not exercise.spec.variants:
        raise GraderError(f"exercise {exercise.id!r} has no per-candidate variants: --variant does not apply")
    return list(dict.fromkeys(parse_variant(exercise.spec, text) for text in ids))


def sample_variants(exercise: Exercise, count: str, seed: int = 0) -> list[ExerciseVariant] | None:
    """The exercise variants `grader validate --variants` calibrates: `all`, or N of them (the
    default first, the rest drawn with `seed`); None for an exercise without variants."""
    space = every_variant(exercise.spec)
    if not exercise.spec.variants:
        return None
    if count == "all":
        return space
    if not count.isdigit() or int(count) < 1:
        raise GraderError(f"--variants takes a number of variants (1 or more) or 'all', not {count!r}")
    rest = random.Random(f"{seed}:{exercise.id}").sample(space[1:], min(int(count), len(space)) - 1)
    return [space[0], *rest]


def compare(expected: dict[str, bool], report: Report) -> tuple[dict[str, str], list[str]]:
    got = {c.id: c.outcome for c in report.all_checks()}
    mismatches = []
    for check_id, should_pass in expected.items():
        outcome = got.get(check_id, "missing")
        if (outcome == "passed") != should_pass:
            detail = next((c.message for c in report.all_checks() if c.id == check_id), None)
            want = "pass" if should_pass else "fail"
            mismatches.append(f"{check_id}: expected to {want}, got {outcome}" + (f" ({detail})" if detail else ""))
        elif outcome == "error":
            mismatches.append(f"{check_id}: error")
    return got, mismatches


def prepare_variant(exercise: Exercise, variant: Variant, out_root: Path) -> Path:
    """The repo to grade: see `publish_variant`."""
    return publish_variant(exercise, variant, out_root / exercise.id / variant.name / "repo")


def publish_variant(exercise: Exercise, variant: Variant, repo_dir: Path) -> Path:
    """Publish the starter at `repo_dir` and commit the variant's overlays on it, as a candidate would."""
    publish(exercise, repo_dir, variant=variant.of)
    for overlay in variant.overlays(exercise, repo_dir.parent / f"{repo_dir.name}-overlays"):
        commit_overlay(repo_dir, overlay, f"Calibration variant {variant.name}: {overlay.name}")
    return repo_dir


def grade_prepared(exercise: Exercise, variant: Variant, repo_dir: Path, report_dir: Path, sandbox: str,
                   progress: Progress, hidden_seed: str | None = None, own_tests: bool = False) -> CalibrationRow:
    """Grade one prepared variant. Calibration judges the hidden checks, so the candidate's own
    tests (evidence, never points) are run only where `own_tests` asks for them."""
    report = grade(Options(location=str(repo_dir), out_dir=report_dir, sandbox=sandbox, trusted=True,
                           hidden_seed=hidden_seed, candidate_tests=own_tests), progress)
    return judged(exercise, variant, report, report_dir)


def judged(exercise: Exercise, variant: Variant, report: Report, report_dir: Path, reused: bool = False) -> CalibrationRow:
    """A variant's report against what its spec expects."""
    got, mismatches = compare(variant.expected, report)
    if report.verdict != variant.verdict and not mismatches:
        mismatches.append(f"verdict {report.verdict}, expected {variant.verdict}")
    return CalibrationRow(exercise.id, variant.name, variant.expected, got, report.score.earned, report.score.possible,
                          report.verdict, report_dir, mismatches, reused)


STAMP = "calibration.json"


def grading_key(exercise: Exercise, sandbox: str, own_tests: bool) -> str:
    """What a calibration grading's outcome depends on, hashed: the grader's version and code, the
    files its runner image and environment are built from, the exercise's content (spec, checks,
    hidden data code, starter, reference, partial fixes), the backend, the hidden data's key (the
    grading secret's fingerprint, or the public default seeds) and whether own tests run."""
    digest = hashlib.sha256()
    source = Path(grader.__file__).resolve().parent
    for label, root in (("grader", source), ("docker", source.parent / "docker"),
                        ("requirements", source.parent / "requirements")):
        if root.is_dir():
            catalog.hash_tree(digest, label, root)
    spec = exercise.spec
    hidden = seeds.describe(seeds.exercise_key(secret.load(), spec.id, spec.version))
    digest.update(json.dumps([grader.__version__, catalog.fingerprint([exercise]), sandbox, hidden, own_tests]).encode())
    return digest.hexdigest()


def finished(exercise: Exercise, variant: Variant, folder: Path, key: str) -> CalibrationRow | None:
    """The row of a grading an earlier run finished in `folder` under the same key; None if there
    is none (never started, interrupted, inconclusive, or graded under another key)."""
    try:
        stamp = json.loads((folder / STAMP).read_text())
        report = Report.model_validate_json((folder / "report" / "report.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("key") != key or stamp.get("variant") != variant.name \
            or report.verdict == "inconclusive":
        return None
    return judged(exercise, variant, report, folder / "report", reused=True)


def grade_variant(exercise: Exercise, variant: Variant, out_root: Path, sandbox: str, progress: Progress,
                  own_tests: bool = False, key: str | None = None, resume: bool = False) -> CalibrationRow:
    """Publish and grade one variant in `out_root/<exercise>/<variant>/`. With `key`, the grading
    is stamped with it when it ends; with `resume` too, a grading already stamped with it is
    reused, and anything else left in the folder is removed first."""
    folder = out_root / exercise.id / variant.name
    if key is not None and resume:
        previous = finished(exercise, variant, folder, key)
        if previous is not None:
            progress.step("reused: an earlier run graded it")
            return previous
        if folder.exists() and (problems := remove_tree(folder)):
            raise GraderError(f"cannot clear {folder} to grade {variant.name} again: {problems[0]}")
    repo_dir = prepare_variant(exercise, variant, out_root)
    row = grade_prepared(exercise, variant, repo_dir, folder / "report", sandbox, progress, own_tests=own_tests)
    if key is not None and row.verdict != "inconclusive":
        (folder / STAMP).write_text(json.dumps({"variant": variant.name, "key": key}) + "\n")
    return row


def backend_for(exercise: Exercise, sandbox: str) -> str:
    """Exercises that measure latency and memory are calibrated under docker, whatever was asked."""
    return sandbox_for(exercise.spec, sandbox, always=True)


def calibrate(exercise: Exercise, out_root: Path, sandbox: str = "auto",
              progress_for: Callable[[str], Progress] = lambda label: Progress(),
              own_tests: bool = False, of: list[ExerciseVariant] | None = None, jobs: int = 1,
              resume: bool = False) -> list[CalibrationRow]:
    """Grade every calibration variant (`variants`), `jobs` at a time; rows in `variants`' order.
    Gradings that measure latency take the host-wide measurement lock (grader.sandbox.hostlock),
    so running several at once does not change what they measure. With `resume`, gradings an
    earlier run finished in `out_root` under the `grading_key` computed now are reused."""
    sandbox = backend_for(exercise, sandbox)
    key = grading_key(exercise, sandbox, own_tests)

    def one(variant: Variant) -> CalibrationRow:
        return grade_variant(exercise, variant, out_root, sandbox, progress_for(f"{exercise.id}/{variant.name}"),
                             own_tests, key, resume)

    return run_all([partial(one, v) for v in variants(exercise, of)], jobs, "calibrate")


def run_all(calls: list[Callable[[], T]], jobs: int, name: str) -> list[T]:
    """Run `calls`, `jobs` at a time; their results in the calls' order. The first exception
    (or Ctrl-C) cancels every call not yet started, and is raised once the running ones end."""
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix=name) as pool:
        futures = [pool.submit(call) for call in calls]
        try:
            for future in as_completed(futures):
                future.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    return [future.result() for future in futures]
