"""Probe what the hidden checks accept: grade the reference with one small change applied.

    .venv/bin/python bench/probe_checks.py                      (lists the variants)
    .venv/bin/python bench/probe_checks.py thr-0.05 never-promote [--sandbox local]

Each variant is a text replacement in one file of an exercise's reference solution (for
example a drift monitor's threshold or a promotion gate's tolerance), committed on top of
the published starter and the reference, then graded end to end. The output gives the score,
the verdict and each check that did not pass, with its message, to show which reasonable
designs the checks accept and which flawed ones they reject. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader import catalog
from grader.grade import Options, grade
from grader.publish import commit_overlay, publish, solution

DRIFT = "credit_risk/monitoring/drift.py"
GATE = "credit_risk/gate.py"
WASSERSTEIN, JENSEN_SHANNON = '"wasserstein", 0.1', '"jensenshannon", 0.1'
OVERALL_TOL = '"overall": {"auc": 0.01, "log_loss": 0.01}'
REGION_TOL = '"region": {"auc": 0.03, "log_loss": 0.02}'


@dataclass(frozen=True)
class Variant:
    exercise: str
    path: str
    replacements: tuple[tuple[str, str], ...]
    what: str


def thresholds(value: str) -> tuple[tuple[str, str], ...]:
    return ((WASSERSTEIN, f'"wasserstein", {value}'), (JENSEN_SHANNON, f'"jensenshannon", {value}'))


VARIANTS = {
    **{f"thr-{v}": Variant("silent-drift", DRIFT, thresholds(v), f"drift distance threshold {v} instead of 0.1")
       for v in ("0.05", "0.07", "0.15", "0.3")},
    "psi-0.1": Variant("silent-drift", DRIFT, ((WASSERSTEIN, '"psi", 0.1'), (JENSEN_SHANNON, '"psi", 0.1')),
                       "PSI at 0.1 on every field"),
    "dataset-share": Variant("silent-drift", DRIFT, (('"alert": bool(drifted),', '"alert": len(drifted) >= len(columns) / 2,'),),
                             "alert only when at least half of the fields drifted"),
    "no-missing-check": Variant("silent-drift", DRIFT, (("MISSING_SHARE_TOLERANCE = 0.05", "MISSING_SHARE_TOLERANCE = 1.0"),),
                                "no check on the share of missing values"),
    "never-promote": Variant("missing-validation-gate", GATE,
                             (("    if failures:\n", '    failures.append("change freeze")\n    if failures:\n'),),
                             "a gate that blocks every version"),
    "zero-tolerance": Variant("missing-validation-gate", GATE,
                              ((OVERALL_TOL, '"overall": {"auc": 0.0, "log_loss": 0.0}'),
                               (REGION_TOL, '"region": {"auc": 0.0, "log_loss": 0.0}')),
                              "block on any drop, overall or in any region"),
    "loose-region-0.10": Variant("missing-validation-gate", GATE,
                                 ((REGION_TOL, '"region": {"auc": 0.10, "log_loss": 0.10}'),),
                                 "region tolerance 0.10 AUC and log loss"),
}


def probe(name: str, variant: Variant, root: Path, sandbox: str) -> None:
    exercise = catalog.get_exercise(variant.exercise)
    text = (solution(exercise, root / name / "rendered") / variant.path).read_text()
    for old, new in variant.replacements:
        if old not in text:
            raise SystemExit(f"{name}: the reference's {variant.path} no longer contains {old!r}")
        text = text.replace(old, new)
    overlay = root / name / "overlay"
    (overlay / variant.path).parent.mkdir(parents=True)
    (overlay / variant.path).write_text(text)
    repo = root / name / "repo"
    publish(exercise, repo)
    commit_overlay(repo, solution(exercise, repo.parent), "Reference solution")
    commit_overlay(repo, overlay, variant.what)
    report = grade(Options(location=str(repo), out_dir=root / name / "report", sandbox=sandbox, trusted=True))
    print(f"{name} ({variant.exercise}: {variant.what}): {report.score.earned:g}/{report.score.possible:g} "
          f"{report.verdict}", flush=True)
    for check in report.all_checks():
        if check.outcome != "passed":
            print(f"    {check.outcome} {check.id}: {check.message}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", metavar="VARIANT")
    parser.add_argument("--sandbox", default="local")
    args = parser.parse_args()
    if not args.variants:
        for name, variant in VARIANTS.items():
            print(f"{name:18} {variant.exercise:24} {variant.what}")
        return
    unknown = [name for name in args.variants if name not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variant(s): {', '.join(unknown)} (run without arguments to list them)")
    root = Path(tempfile.mkdtemp(prefix="grader-probe-"))
    try:
        for name in args.variants:
            probe(name, VARIANTS[name], root, args.sandbox)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
