"""The synthetic credit-risk world every exercise lives in.

One fictional consumer-lending company. Applicants are drawn from seeded numpy generators
(no downloads), and the default label comes from a known logistic model, so the trusted
side knows each row's true default probability as well as its label. Starter repos commit
a sample of this world; hidden checks draw fresh samples (other seeds, other scenarios)
and judge the candidate's predictions against truths the sandbox never sees.

`Scenario` holds the knobs that exercises turn (income scale, region mix, utilization,
null rates, a changed label model); `Scenario()` is the stationary world, and
`regions_swapped` the same world with another region in a region's place (a variant's story).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

REGIONS = ("north", "south", "east", "west")
HOME_OWNERSHIP = ("rent", "own", "mortgage")

#: Raw warehouse schema, in column order. `credit_utilization` is a fraction 0–1 here.
FEATURES = (
    "age",
    "annual_income",
    "employment_years",
    "debt",
    "credit_utilization",
    "num_late_payments",
    "loan_amount",
    "region",
    "home_ownership",
)
NUMERIC_FEATURES = FEATURES[:7]
CATEGORICAL_FEATURES = FEATURES[7:]
LABEL = "default"
#: Trusted-side only: the probability the label was drawn with.
TRUE_PROBABILITY = "p_default"


@dataclass(frozen=True)
class LabelModel:
    """Coefficients of the logit the label is drawn from."""

    intercept: float = -3.0
    dti: float = 3.5
    utilization: float = 1.8
    late_payments: float = 0.45
    employment_years: float = -0.04
    rent: float = 0.25
    loan_to_income: float = 0.6
    south: float = 0.5
    west: float = -0.3


@dataclass(frozen=True)
class Scenario:
    """How a sample of applicants is drawn. The defaults are the stationary world."""

    region_probs: tuple[float, float, float, float] = (0.35, 0.25, 0.25, 0.15)
    income_median: float = 55_000.0
    #: Multiplies the income that is *recorded* (e.g. 1/12 for a partner sending monthly
    #: income); the label still depends on the true annual income.
    income_recorded_scale: float = 1.0
    utilization_beta: tuple[float, float] = (2.0, 5.0)
    employment_null_rate: float = 0.01
    #: Share of applications whose late-payment count is not recorded (no bureau history); with
    #: any, the column holds floats (NaN for unknown), as a CSV with empty cells reads back.
    late_payments_null_rate: float = 0.0
    label_model: LabelModel = field(default_factory=LabelModel)

    def with_(self, **changes) -> "Scenario":
        return replace(self, **changes)

    def regions_swapped(self, a: str, b: str) -> "Scenario":
        """The same world with regions `a` and `b` trading their shares of applications (the label
        model keeps its own regional terms). A region swapped with itself changes nothing, so a
        draw from `regions_swapped("west", "west")` is the very draw of this scenario."""
        if unknown := {a, b} - set(REGIONS):
            raise ValueError(f"no such region: {', '.join(sorted(unknown))} (regions: {', '.join(REGIONS)})")
        probs = dict(zip(REGIONS, self.region_probs, strict=True))
        probs[a], probs[b] = probs[b], probs[a]
        return replace(self, region_probs=tuple(probs[r] for r in REGIONS))


#: The Scenario knob of each field that may be missing.
NULL_RATE_OF = {"employment_years": "employment_null_rate", "num_late_payments": "late_payments_null_rate"}


def missing_only(field: str, rate: float) -> Scenario:
    """The stationary world with `rate` of `field` missing and no other field missing
    (`missing_only("employment_years", 0.01)` is `Scenario()` itself)."""
    if field not in NULL_RATE_OF:
        raise ValueError(f"{field} is never missing in this world (fields that may be: {', '.join(NULL_RATE_OF)})")
    return Scenario(**{**dict.fromkeys(NULL_RATE_OF.values(), 0.0), NULL_RATE_OF[field]: rate})


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def sample(n: int, seed: int, scenario: Scenario | None = None, *, id_prefix: str = "") -> pd.DataFrame:
    """Draw `n` applicants. Columns: `id`, the raw FEATURES, `default` and `p_default`."""
    s = scenario or Scenario()
    rng = np.random.default_rng(seed)
    age = np.clip(rng.normal(42, 12, n), 18, 85).round()
    income = rng.lognormal(np.log(s.income_median), 0.55, n)
    employment = np.minimum(rng.gamma(2.0, 3.0, n), age - 16).round(1)
    debt = income * rng.beta(2, 5, n) * 1.2
    utilization = rng.beta(*s.utilization_beta, n)
    late = rng.poisson(0.3 + 2 * utilization)
    loan = rng.lognormal(np.log(12_000), 0.6, n)
    region = rng.choice(REGIONS, n, p=s.region_probs)
    home = rng.choice(HOME_OWNERSHIP, n, p=(0.45, 0.20, 0.35))

    m = s.label_model
    dti = debt / income
    logit = (
        m.intercept
        + m.dti * dti
        + m.utilization * utilization
        + m.late_payments * late
        + m.employment_years * employment
        + m.rent * (home == "rent")
        + m.loan_to_income * loan / income
        + m.south * (region == "south")
        + m.west * (region == "west")
    )
    p = sigmoid(logit)
    label = (rng.random(n) < p).astype(int)

    recorded_employment = employment.copy()
    recorded_employment[rng.random(n) < s.employment_null_rate] = np.nan
    recorded_late: np.ndarray = late.astype(int)
    if s.late_payments_null_rate:  # drawn last, so every other column is the draw it always was
        recorded_late = late.astype(float)
        recorded_late[rng.random(n) < s.late_payments_null_rate] = np.nan

    return pd.DataFrame(
        {
            "id": ids(n, id_prefix),
            "age": age.astype(int),
            "annual_income": (income * s.income_recorded_scale).round(2),
            "employment_years": recorded_employment,
            "debt": debt.round(2),
            "credit_utilization": utilization.round(4),
            "num_late_payments": recorded_late,
            "loan_amount": loan.round(2),
            "region": region,
            "home_ownership": home,
            LABEL: label,
            TRUE_PROBABILITY: p,
        }
    )


def ids(n: int, prefix: str = "") -> list[str]:
    """`n` application ids: `prefix` and a zero-padded row number, as `sample` gives them."""
    width = len(str(n - 1))
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def features_only(frame: pd.DataFrame) -> pd.DataFrame:
    """What may enter a sandbox: the id and the raw features, never labels or truths."""
    return frame[["id", *FEATURES]].copy()
