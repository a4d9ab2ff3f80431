"""Write the starter repo's data: `data/applications.csv` and `data/reference_sample.csv`.

    python exercises/over-provisioned-serving/make_data.py

`applications.csv`: 5,000 labelled applicants from the credit world (seed 2025) in the
warehouse schema, without the trusted-side `p_default` column. `reference_sample.csv`: the
first 1,000 of them without the label, the drift monitor's reference. Deterministic: running
it twice gives identical bytes. Hidden checks never use this seed. Every variant but the
default gets its own draw when published (`write_starter_data`).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from grader.worlds import credit  # noqa: E402

SEED = 2025
ROWS = 5_000
REFERENCE_ROWS = 1_000
DATA = ROOT / "broken_pipelines" / "over-provisioned-serving" / "data"


def write_data(folder: Path, seed: int) -> None:
    frame = credit.sample(ROWS, seed, id_prefix="app-")
    frame = frame[["id", *credit.FEATURES, credit.LABEL]]
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "applications.csv", index=False, lineterminator="\n")
    frame.head(REFERENCE_ROWS).drop(columns=credit.LABEL).to_csv(folder / "reference_sample.csv", index=False,
                                                                 lineterminator="\n")


def write_starter_data(repo_dir: Path, seed: int, parameters: dict) -> None:
    """A variant's own draw of the extract and the drift reference (grader.publish)."""
    write_data(repo_dir / "data", seed)


def main() -> None:
    write_data(DATA, SEED)
    print(f"wrote {ROWS} rows to {(DATA / 'applications.csv').relative_to(ROOT)} "
          f"and {REFERENCE_ROWS} to {(DATA / 'reference_sample.csv').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
