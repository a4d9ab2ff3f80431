"""Write the starter repo's training data: `data/applications.csv`.

    python exercises/training-serving-skew/make_data.py

5,000 labelled applicants from the credit world (seed 2024) in the warehouse schema, without
the trusted-side `p_default` column. Deterministic: running it twice gives identical bytes.
Hidden checks never use this seed.
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


def main() -> None:
    frame = credit.sample(ROWS, SEED, id_prefix="app-")
    frame = frame[["id", *credit.FEATURES, credit.LABEL]]
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(OUTPUT, index=False, lineterminator="\n")
    print(f"wrote {len(frame)} rows to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
