"""Hidden data for the skew exercise: fresh samples of the credit world, never published.

Every frame has an `id` whose prefix names its purpose. Only `features_only` views of these
frames enter the sandbox; labels stay here.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from grader import seeds, variants
from grader.worlds import credit

VARIANT = variants.current(Path(__file__).resolve().parents[1] / "exercise.toml")
#: The graded variant's utilization unit (exercise.toml's [[variants]]): `field`, `scale`, `noun`.
UNIT = VARIANT["utilization_unit"]
#: The field that may be missing (`field`; `without`: the segment, in words), the only one that is.
NULLABLE = VARIANT["nullable"]
NULLABLE_FIELD = NULLABLE["field"]


def with_nulls(rate: float) -> credit.Scenario:
    """The stationary world with `rate` of the nullable field missing and no other field missing
    (`with_nulls(0.01)` is the world itself in the default variant)."""
    return credit.missing_only(NULLABLE_FIELD, rate)

TRAIN_SEED = seeds.seed(71_101, "train")
CALIBRATION_SEED = seeds.seed(72_202, "calibration")
PARITY_SEED = seeds.seed(73_303, "parity")
PROBE_SEED = seeds.seed(74_404, "probe")

#: Where the candidate's code keeps its model store during grading: a fresh folder outside the repo.
STORE_ENV = {"CREDIT_RISK_STORE": "{state}/mlstore"}

PARITY_TOLERANCE = 1e-6
CALIBRATION_TOLERANCE = 0.035
#: How much worse calibrated applicants missing the nullable field may be than the rest
#: (see test_null_employment_imputation.py for the power computation).
EXCESS_GAP_TOLERANCE = 0.015
AUC_FLOOR = 0.70
#: Wall-time budget for all API calls of a grading run (~2,900 requests; ~10 s when healthy).
API_BUDGET_S = 180


def training_set() -> pd.DataFrame:
    """Labelled applications the candidate's training runs on (8,000 rows)."""
    return credit.sample(8_000, TRAIN_SEED, with_nulls(0.01), id_prefix="t").drop(columns=[credit.TRUE_PROBABILITY])


def calibration_set() -> pd.DataFrame:
    """30,000 applications, 10% missing the nullable field, scored through batch."""
    return credit.sample(30_000, CALIBRATION_SEED, with_nulls(0.10), id_prefix="c")


def parity_set() -> pd.DataFrame:
    """2,000 fresh applications (15% missing the nullable field) plus 64 extreme-but-valid ones."""
    fresh = credit.sample(2_000, PARITY_SEED, with_nulls(0.15), id_prefix="p")
    return pd.concat([fresh, extreme_applications(64)], ignore_index=True)


def extreme_applications(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(PARITY_SEED + 1)
    frame = credit.sample(n, PARITY_SEED + 2, with_nulls(0.01), id_prefix="x")
    pick = lambda *values: rng.choice(values, n)  # noqa: E731
    frame["age"] = pick(18, 19, 84, 85)
    frame["annual_income"] = pick(4_800.0, 9_999.99, 750_000.0, 2_400_000.0)
    frame["employment_years"] = pick(0.0, 0.1, 45.0, math.nan) if NULLABLE_FIELD == "employment_years" \
        else pick(0.0, 0.1, 45.0)
    frame["debt"] = pick(0.0, 1.0, 150_000.0)
    frame["credit_utilization"] = pick(0.0, 0.0001, 0.9999, 1.0)
    frame["num_late_payments"] = pick(0, 9, 25) if NULLABLE_FIELD != "num_late_payments" else pick(0.0, 9.0, 25.0, math.nan)
    frame["loan_amount"] = pick(500.0, 250_000.0)
    frame["region"] = np.array(credit.REGIONS)[np.arange(n) % 4]
    frame["home_ownership"] = np.array(credit.HOME_OWNERSHIP)[np.arange(n) % 3]
    return frame


def unit_probe() -> pd.DataFrame:
    """Applications where only the utilization units can matter: West, nothing missing."""
    frame = credit.sample(200, PROBE_SEED, with_nulls(0.0), id_prefix="u")
    frame["region"] = "west"  # West has the same one-hot position in either order
    return frame


def null_probe() -> pd.DataFrame:
    """Only null imputation can matter: West, utilization 0, the nullable field missing."""
    frame = credit.sample(200, PROBE_SEED + 1, with_nulls(1.0), id_prefix="n")
    frame["region"] = "west"
    frame["credit_utilization"] = 0.0
    return frame


def region_probe() -> pd.DataFrame:
    """Only the region encoding can matter: utilization 0, nothing missing, 100 per region."""
    frame = credit.sample(400, PROBE_SEED + 2, with_nulls(0.0), id_prefix="r")
    frame["region"] = np.array(credit.REGIONS)[np.arange(400) % 4]
    frame["credit_utilization"] = 0.0
    return frame


#: Values of the categorical fields that the training data never holds: what the front end might
#: send next (a new market, a new tenure type). Each must be refused, never scored.
UNSEEN_CATEGORIES = {"region": ("central", "northeast"), "home_ownership": ("shared_ownership",)}


def unseen_category_probe() -> pd.DataFrame:
    """Six valid applications (every region and home-ownership value): the controls of the
    unseen-category check, and the bases its unseen values are put into one at a time."""
    frame = credit.sample(6, PROBE_SEED + 3, with_nulls(0.0), id_prefix="k")
    frame["region"] = np.array(credit.REGIONS)[np.arange(6) % 4]
    frame["home_ownership"] = np.array(credit.HOME_OWNERSHIP)[np.arange(6) % 3]
    return frame


def to_api_payload(row: dict) -> dict:
    """A warehouse row in the API's units: utilization in the variant's unit, a count as an
    integer, a missing value as None."""
    payload = {k: row[k] for k in credit.FEATURES if k != "credit_utilization"}
    payload[UNIT["field"]] = row["credit_utilization"] * UNIT["scale"]
    for key, value in payload.items():
        if isinstance(value, np.generic):
            value = payload[key] = value.item()
        if isinstance(value, float) and math.isnan(value):
            payload[key] = None
    if payload["num_late_payments"] is not None:
        payload["num_late_payments"] = int(payload["num_late_payments"])
    return payload
