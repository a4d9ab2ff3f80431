"""Write the starter repo's data: `data/applications.csv` and `data/recent_applications.csv`.

    python exercises/silent-drift/make_data.py

- `applications.csv`: 5,000 labelled applicants from the stationary credit world (seed 2025),
  the warehouse extract the starter trains on.
- `recent_applications.csv`: 3,000 unlabelled applications from the incident week (seed
  2026): the West share tripled (15% -> 45%) and 35% of applications come from a partner
  that sends monthly income in `annual_income`. Candidates can reproduce the incident with it.

Deterministic: running it twice gives identical bytes. Hidden checks never use these seeds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from grader.worlds import credit  # noqa: E402

DATA = ROOT / "broken_pipelines" / "silent-drift" / "data"
TRAIN_SEED, TRAIN_ROWS = 2025, 5_000
RECENT_SEED, RECENT_ROWS, PARTNER_SHARE = 2026, 3_000, 0.35
WEST_CAMPAIGN = credit.Scenario(region_probs=(0.23, 0.16, 0.16, 0.45))


def applications() -> pd.DataFrame:
    frame = credit.sample(TRAIN_ROWS, TRAIN_SEED, id_prefix="app-")
    return frame[["id", *credit.FEATURES, credit.LABEL]]


def recent_applications() -> pd.DataFrame:
    partner = int(RECENT_ROWS * PARTNER_SHARE)
    own = credit.sample(RECENT_ROWS - partner, RECENT_SEED, WEST_CAMPAIGN)
    monthly = credit.sample(partner, RECENT_SEED + 1, WEST_CAMPAIGN.with_(income_recorded_scale=1 / 12))
    frame = pd.concat([own, monthly], ignore_index=True).sample(frac=1.0, random_state=RECENT_SEED)
    frame["id"] = [f"new-{i:04d}" for i in range(len(frame))]
    return frame[["id", *credit.FEATURES]].reset_index(drop=True)


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for name, frame in (("applications.csv", applications()), ("recent_applications.csv", recent_applications())):
        frame.to_csv(DATA / name, index=False, lineterminator="\n")
        print(f"wrote {len(frame)} rows to {(DATA / name).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
