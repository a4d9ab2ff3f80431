"""Write the starter repo's training data: `data/applications.csv`.

    python exercises/training-serving-skew/make_data.py

5,000 labelled applicants from the credit world (seed 2024) in the warehouse schema, without
the trusted-side `p_default` column. Deterministic: running it twice gives identical bytes.
Hidden checks never use this seed. `write_starter_data` draws another 5,000 for each
per-candidate variant but the default when the starter is published; in the
nullable=late-payments variant 1% of the late-payment counts are missing instead of 1% of the
employment histories.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from grader.worlds import credit  # noqa: E402

SEED = 2024
ROWS = 5_000
OUTPUT = ROOT / "broken_pipelines" / "training-serving-skew" / "data" / "applications.csv"


def write(output: Path, seed: int, nullable: str = "employment_years") -> int:
    """Write ROWS applicants drawn with `seed` to `output`, 1% of them missing `nullable` (and
    nothing else missing); the number of rows."""
    frame = credit.sample(ROWS, seed, credit.missing_only(nullable, 0.01), id_prefix="app-")
    frame = frame[["id", *credit.FEATURES, credit.LABEL]]
    frame["num_late_payments"] = frame["num_late_payments"].astype("Int64")  # a count: "2", or empty when unknown
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(output, index=False, lineterminator="\n")
    return len(frame)


def write_starter_data(repo_dir: Path, seed: int, parameters: dict) -> None:
    """Every variant but the default gets its own draw of the committed data (grader.publish),
    with the variant's nullable field the one that is sometimes missing."""
    write(repo_dir / OUTPUT.relative_to(OUTPUT.parents[1]), seed, parameters["nullable"]["field"])


def main() -> None:
    rows = write(OUTPUT, SEED)
    print(f"wrote {rows} rows to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
