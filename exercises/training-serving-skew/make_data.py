"""Write the starter repo's training data: `data/applications.csv`.

    python exercises/training-serving-skew/make_data.py

5,000 labelled applicants from the credit world (seed 2024) in the warehouse schema, without
the trusted-side `p_default` column. Deterministic: running it twice gives identical bytes.
Hidden checks never use this seed. `write_starter_data` draws another 5,000 for each
per-candidate variant but the default when the starter is published.
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


def write(output: Path, seed: int) -> int:
    """Write ROWS applicants drawn with `seed` to `output`; the number of rows."""
    frame = credit.sample(ROWS, seed, id_prefix="app-")
    frame = frame[["id", *credit.FEATURES, credit.LABEL]]
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(output, index=False, lineterminator="\n")
    return len(frame)


def write_starter_data(repo_dir: Path, seed: int, parameters: dict) -> None:
    """Every variant but the default gets its own draw of the committed data (grader.publish).
    The warehouse schema does not depend on the variant's parameters."""
    write(repo_dir / OUTPUT.relative_to(OUTPUT.parents[1]), seed)


def main() -> None:
    rows = write(OUTPUT, SEED)
    print(f"wrote {rows} rows to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
