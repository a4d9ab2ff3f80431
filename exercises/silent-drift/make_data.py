"""Write the starter repo's data: `data/applications.csv` and `data/recent_applications.csv`.

    python exercises/silent-drift/make_data.py

- `applications.csv`: 5,000 labelled applicants from the stationary credit world (seed 2025),
  the warehouse extract the starter trains on.
- `recent_applications.csv`: 3,000 unlabelled applications from the incident week (seed
  2026): the West share tripled (15% -> 45%) and 35% of applications come from a partner
  that sends monthly income in `annual_income` (in thousands in the `partner=thousands`
  variant). Candidates can reproduce the incident with it.

In a `campaign` variant the campaign region takes the West's place in both extracts (the 15%
region, tripled in the incident week): `credit.Scenario.regions_swapped`.

Deterministic: running it twice gives identical bytes. Hidden checks never use these seeds.
Every variant but the default gets its own draw (`write_starter_data`, called by grader.publish).
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


def applications(seed: int = TRAIN_SEED, campaign: str = "west") -> pd.DataFrame:
    frame = credit.sample(TRAIN_ROWS, seed, credit.Scenario().regions_swapped("west", campaign), id_prefix="app-")
    return frame[["id", *credit.FEATURES, credit.LABEL]]


def recent_applications(seed: int = RECENT_SEED, divisor: int = 12, campaign: str = "west") -> pd.DataFrame:
    """The incident week: `campaign`'s share tripled, the partner's share of applications with
    income divided by `divisor`."""
    partner = int(RECENT_ROWS * PARTNER_SHARE)
    world = WEST_CAMPAIGN.regions_swapped("west", campaign)
    own = credit.sample(RECENT_ROWS - partner, seed, world)
    garbled = credit.sample(partner, seed + 1, world.with_(income_recorded_scale=1 / divisor))
    frame = pd.concat([own, garbled], ignore_index=True).sample(frac=1.0, random_state=seed)
    frame["id"] = [f"new-{i:04d}" for i in range(len(frame))]
    return frame[["id", *credit.FEATURES]].reset_index(drop=True)


def write_data(folder: Path, train_seed: int = TRAIN_SEED, recent_seed: int = RECENT_SEED, divisor: int = 12,
               campaign: str = "west") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (("applications.csv", applications(train_seed, campaign)),
                        ("recent_applications.csv", recent_applications(recent_seed, divisor, campaign))):
        frame.to_csv(folder / name, index=False, lineterminator="\n")


def write_starter_data(repo_dir: Path, seed: int, parameters: dict) -> None:
    """A variant's own draw of both extracts (grader.publish): the same worlds, other applicants,
    the partner's income garbled and the campaign's region grown as the variant's story says."""
    write_data(repo_dir / "data", seed, seed + 2, parameters["partner"]["divisor"], parameters["campaign"]["id"])


def main() -> None:
    write_data(DATA)
    print(f"wrote applications.csv and recent_applications.csv to {DATA.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
