"""Measure `grader similarity` on the labelled set: every pair's figures and how it is classified.

    .venv/bin/python bench/similarity_labels.py [--threshold 0.5] [--min-lines 12]

The labelled set is tests/fixtures/similarity (see labels.toml there): hand-written fixes of
the skew exercise, some copied from each other and disguised, the rest written independently.
Prints, for every pair of submissions and every submission against the reference solution
and the known partial fixes, the share of each side's own lines that match and the matched
lines, the label and the classification. This is how the default threshold was chosen.
Not a test: tests/unit/test_similarity.py asserts the classification.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from grader import catalog
from grader.similarity.run import MIN_LINES, THRESHOLD, Options, compare_overlays

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "similarity"


def copied_pairs(labels: dict) -> set[frozenset[str]]:
    return {frozenset((a, b)) for group in labels["copied"]["groups"] for a in group for b in group if a != b}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--min-lines", type=int, default=MIN_LINES)
    args = parser.parse_args()
    labels = tomllib.loads((LABELLED / "labels.toml").read_text())
    exercise = catalog.get_exercise(labels["exercise"])
    folders = {name: LABELLED / "skew" / name for name in labels["submissions"]}
    copied = copied_pairs(labels)
    rows = compare_overlays(exercise, folders, Options(threshold=args.threshold, min_lines=args.min_lines))
    print(f"{'a':20} {'b':36} {'a share':>8} {'lines':>5} {'b share':>8} {'lines':>5}  label       flagged")
    wrong = 0
    for r in sorted(rows, key=lambda r: -max(r.a_side.share, r.b_side.share)):
        label = "copied" if frozenset((r.a.key, r.b.key)) in copied else "independent"
        wrong += (label == "copied") != r.flagged
        print(f"{r.a.label:20} {r.b.label:36} {r.a_side.share:8.2f} {r.a_side.matched_lines:5} "
              f"{r.b_side.share:8.2f} {r.b_side.matched_lines:5}  {label:11} {'yes' if r.flagged else 'no'}")
    print(f"threshold {args.threshold:g}, at least {args.min_lines} lines: {len(rows) - wrong} of {len(rows)} pairs "
          f"classified as labelled")


if __name__ == "__main__":
    main()
