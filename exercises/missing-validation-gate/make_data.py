"""Write the starter repo's data: two weekly warehouse snapshots and the frozen evaluation set.

    python exercises/missing-validation-gate/make_data.py

- `data/applications_2026-01-05.csv`: last week's snapshot, 8,000 labelled applications, clean.
- `data/applications_2026-01-12.csv`: this week's snapshot, 8,000 labelled applications. The
  upstream join that attaches loan outcomes was broken for the West region: every West label
  is a coin flip (the planted incident).
- `data/eval.csv` + `data/eval.json`: Risk's frozen evaluation set, 6,000 labelled
  applications from a clean period, with its version and sha256 in the manifest.

All from the credit world, without the trusted-side `p_default` column. Deterministic:
running it twice gives identical bytes. Hidden checks never use these seeds for the data
they judge with (they read the committed evaluation set only to confirm their premises
hold on it, too).

`write_starter_data` gives every variant but the default (grader/variants.py) its own draw
of the two snapshots, this week's broken in the variant's incident region. Risk's frozen
evaluation set is the yardstick of every variant and stays as committed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from grader.worlds import credit  # noqa: E402

OUTPUT = ROOT / "broken_pipelines" / "missing-validation-gate" / "data"
ROWS = 8_000
EVAL_ROWS = 6_000
LAST_WEEK_SEED = 3_105
THIS_WEEK_SEED = 3_112
BROKEN_JOIN_SEED = 3_113
EVAL_SEED = 3_001


def broken_join(frame, region: str, seed: int):
    """Labels of one region replaced by coin flips, as the broken upstream join did."""
    frame = frame.copy()
    rows = frame["region"] == region
    rng = np.random.default_rng(seed)
    frame.loc[rows, credit.LABEL] = (rng.random(int(rows.sum())) < 0.5).astype(int)
    return frame


def write(frame, path: Path) -> Path:
    frame[["id", *credit.FEATURES, credit.LABEL]].to_csv(path, index=False, lineterminator="\n")
    return path


def write_snapshots(output: Path, seeds: tuple[int, int, int], region: str) -> None:
    """Last week's clean snapshot and this week's, whose `region` labels the broken join scrambled."""
    last_week, this_week, join = seeds
    write(credit.sample(ROWS, last_week, id_prefix="a0105-"), output / "applications_2026-01-05.csv")
    write(broken_join(credit.sample(ROWS, this_week, id_prefix="a0112-"), region, join),
          output / "applications_2026-01-12.csv")


def write_starter_data(repo_dir: Path, seed: int, parameters: dict) -> None:
    """A variant's own draw of the snapshots (grader.publish), broken in its incident region."""
    write_snapshots(repo_dir / "data", (seed, seed + 1, seed + 2), parameters["incident"]["region"])


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    write_snapshots(OUTPUT, (LAST_WEEK_SEED, THIS_WEEK_SEED, BROKEN_JOIN_SEED), "west")
    path = write(credit.sample(EVAL_ROWS, EVAL_SEED, id_prefix="e-"), OUTPUT / "eval.csv")
    manifest = {
        "name": "risk-holdout",
        "version": "2025.10",
        "file": "eval.csv",
        "rows": EVAL_ROWS,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "frozen_on": "2025-10-01",
        "owner": "risk-analytics",
        "description": "Matured loans from Q2 2025, held out of every training snapshot. Do not edit: "
                       "publish a new version instead.",
    }
    (OUTPUT / "eval.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote the two snapshots, eval.csv and eval.json to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
