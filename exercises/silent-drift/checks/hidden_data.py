"""Hidden data for the drift exercise: fresh samples of the credit world, never published.

Two kinds of comparison, both on data the grader generates:

- **Monitor batches** (the monitor's explicit mode): one reference of 5,000 applications
  from the stationary world and batches of 3,000 from fresh seeds: three stationary
  controls and one batch per requirement the starter README states, each at or beyond the
  stated size of the change.
- **Replayed traffic** (end to end): the candidate's training runs on 8,000 labelled
  applications from `TRAINING_WORLD`, which differs from the world of the starter's
  committed data (higher incomes, fewer West applicants, higher utilization), so a monitor
  whose reference is anything but the champion's own training data alerts on stationary
  traffic. Stationary traffic is drawn from `TRAINING_WORLD`; drifted traffic is the
  incident: West's share tripled and 40% of applications carry monthly income.

Only `features_only` views enter the sandbox, except the training set, which the
candidate's training step needs with its labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from grader import seeds
from grader.worlds import credit

FIELDS = credit.FEATURES
TRAIN_SEED = seeds.seed(91_101, "train")
REFERENCE_SEED = seeds.seed(92_202, "reference")
STATIONARY_REPLAY_SEED = seeds.seed(94_401, "stationary_replay")
DRIFTED_REPLAY_SEED = seeds.seed(94_402, "drifted_replay")

TRAIN_ROWS = 8_000
REFERENCE_ROWS = 5_000
BATCH_ROWS = 3_000
STATIONARY_REPLAY_ROWS = 3_000
DRIFTED_REPLAY_ROWS = 1_500
PARTNER_SHARE = 0.40

TRAINING_WORLD = credit.Scenario(region_probs=(0.38, 0.26, 0.26, 0.10), income_median=75_000.0,
                                 utilization_beta=(2.5, 5.0))
#: West triples (10% -> 30%) in the drifted replay.
CAMPAIGN_REGIONS = (0.30, 0.20, 0.20, 0.30)

#: What the README promises: on a normal day no alert and at most one field flagged; when
#: something changes, at most one unchanged field flagged.
MAX_STRAY_FLAGS = 1
#: The grader's own Evidently report: the method the calibration in EXERCISES.md validated.
GRADER_NUMERIC = ("wasserstein", 0.1)
GRADER_CATEGORICAL = ("jensenshannon", 0.1)
GRADER_MISSING_RISE = 0.05

#: The prediction log: the README promises a record within 2 s of its response. The log is
#: read at once, then (if incomplete) at these times after the last response.
LOG_READ_AT_S = (2.5, 5.5)
#: Requests in flight at once during a replay, as production traffic arrives.
REPLAY_CONCURRENCY = 4
#: Wall-time budget for one replay through POST /predict (~3 ms a request when healthy).
REPLAY_BUDGET_S = 240
#: Requests sent to the service whose log folder cannot be created, and that folder.
BLOCKED_LOG_REQUESTS = 20
UNWRITABLE_LOG_DIR = "/dev/null/prediction-logs"
AUC_FLOOR = 0.70

STORE_ENV = {"CREDIT_RISK_STORE": "{state}/mlstore"}


def service_env(log_name: str) -> dict[str, str]:
    """Model store plus a prediction-log folder of its own for each served phase."""
    return {**STORE_ENV, "CREDIT_RISK_PREDICTION_LOG_DIR": "{state}/prediction-logs/" + log_name}


@dataclass(frozen=True)
class Batch:
    """One monitor batch: how it is drawn and which application fields it really changes."""

    name: str
    seed: int
    scenario: credit.Scenario
    description: str
    changed: tuple[str, ...] = ()
    #: The field the monitor must flag (None for a control).
    target: str | None = None

    def frame(self) -> pd.DataFrame:
        return credit.sample(BATCH_ROWS, self.seed, self.scenario, id_prefix=f"{self.name[:3]}-")


S = credit.Scenario
CONTROLS = (
    Batch("control_a", seeds.seed(93_301, "batch_control_a"), S(), "stationary: same world as the reference"),
    Batch("control_b", seeds.seed(93_302, "batch_control_b"), S(), "stationary: same world as the reference"),
    Batch("control_c", seeds.seed(93_303, "batch_control_c"), S(), "stationary: same world as the reference"),
)
DRIFTS = {
    "monthly_income": Batch("monthly_income", seeds.seed(93_311, "batch_monthly_income"), S(income_recorded_scale=1 / 12),
                            "annual_income recorded as monthly income (x1/12)", ("annual_income",), "annual_income"),
    "income_inflation": Batch("income_inflation", seeds.seed(93_312, "batch_income_inflation"), S(income_recorded_scale=1.25),
                              "annual_income recorded 25% higher", ("annual_income",), "annual_income"),
    "region_west_heavy": Batch("region_west_heavy", seeds.seed(93_313, "batch_region_west_heavy"), S(region_probs=(0.23, 0.16, 0.16, 0.45)),
                               "West share tripled (15% -> 45%)", ("region",), "region"),
    # Late payments are drawn from utilization, so they really change too.
    "utilization_up": Batch("utilization_up", seeds.seed(93_314, "batch_utilization_up"), S(utilization_beta=(3.5, 5.0)),
                            "credit_utilization beta(2,5) -> beta(3.5,5): mean 0.29 -> 0.41",
                            ("credit_utilization", "num_late_payments"), "credit_utilization"),
    "employment_nulls": Batch("employment_nulls", seeds.seed(93_315, "batch_employment_nulls"), S(employment_null_rate=0.30),
                              "missing employment_years 1% -> 30% (values otherwise unchanged)",
                              ("employment_years",), "employment_years"),
}
BATCHES = {b.name: b for b in (*CONTROLS, *DRIFTS.values())}
#: The monitor sees each batch under an opaque name (r001, r002, ...), in this order among the
#: normal days, so nothing but the data says which batch is a control.
MONITOR_ORDER = ("monthly_income", "control_b", "region_west_heavy", "income_inflation", "control_a",
                 "employment_nulls", "control_c", "utilization_up")
#: Monitor runs in flight at once in the batch step (resources give the step 2 CPUs), and
#: the time one run may take.
MONITOR_PARALLEL = 2
MONITOR_TIMEOUT_S = 60.0

#: Normal days: more stationary batches than three controls can show, so that a monitor paging
#: on 5% of normal days fails (see `Days` and measures.sequential_verdict). Unmistakable drift
#: (monthly incomes) is mixed into the same stream under the same opaque names, so the monitor
#: cannot tell which runs judge its silence, and a monitor that never pages earns nothing here.
DAYS_SEED = seeds.seed(95_501, "stationary_days")
DAYS_FIRST_STAGE = 60
DAYS_MAX = 200
DRIFTED_DAY_EVERY = 10
DRIFTED_DAY = S(income_recorded_scale=1 / 12)
#: Share of the unmistakable drifted days the monitor must alert on.
DRIFTED_DAYS_ALERT_SHARE = 0.9
#: Wall-time budget of one monitor step (runs left unstarted when it is spent count as not judged).
MONITOR_STEP_BUDGET_S = 300
#: Compact inputs: one gzipped CSV of every run of a step, split by the probe.
RUN_COLUMN = "__run"

STATIONARY_REPLAY_CHANGED: tuple[str, ...] = ()
DRIFTED_REPLAY_CHANGED = ("annual_income", "region")


@dataclass(frozen=True)
class Day:
    """One extra run of the monitor: a stationary day, or (every tenth) an unmistakably drifted one."""

    index: int
    drifted: bool

    @property
    def name(self) -> str:
        return f"{'drift' if self.drifted else 'day'}-{self.index:03d}"

    def frame(self) -> pd.DataFrame:
        return credit.sample(BATCH_ROWS, DAYS_SEED + self.index, DRIFTED_DAY if self.drifted else S(),
                             id_prefix=f"d{self.index}-")


def days(start: int, stop: int) -> list[Day]:
    return [Day(i, drifted=i % DRIFTED_DAY_EVERY == DRIFTED_DAY_EVERY // 2) for i in range(start, stop)]


def monitor_reference() -> pd.DataFrame:
    return credit.sample(REFERENCE_ROWS, REFERENCE_SEED, id_prefix="ref-")


def training_set() -> pd.DataFrame:
    """Labelled applications the candidate's training runs on."""
    return credit.sample(TRAIN_ROWS, TRAIN_SEED, TRAINING_WORLD, id_prefix="t").drop(columns=[credit.TRUE_PROBABILITY])


def stationary_replay() -> pd.DataFrame:
    return credit.sample(STATIONARY_REPLAY_ROWS, STATIONARY_REPLAY_SEED, TRAINING_WORLD, id_prefix="s")


def drifted_replay() -> pd.DataFrame:
    """The incident: West tripled, and a partner's applications carry monthly income."""
    campaign = TRAINING_WORLD.with_(region_probs=CAMPAIGN_REGIONS)
    partner = int(DRIFTED_REPLAY_ROWS * PARTNER_SHARE)
    own = credit.sample(DRIFTED_REPLAY_ROWS - partner, DRIFTED_REPLAY_SEED, campaign, id_prefix="d")
    monthly = credit.sample(partner, DRIFTED_REPLAY_SEED + 1, campaign.with_(income_recorded_scale=1 / 12), id_prefix="m")
    frame = pd.concat([own, monthly], ignore_index=True)
    return frame.sample(frac=1.0, random_state=DRIFTED_REPLAY_SEED).reset_index(drop=True)


def blocked_log_probe() -> pd.DataFrame:
    return credit.sample(BLOCKED_LOG_REQUESTS, STATIONARY_REPLAY_SEED + 7, TRAINING_WORLD, id_prefix="b")


def to_api_payload(row: dict) -> dict:
    """A warehouse row in the API's units: utilization as a percentage, null as None."""
    payload = {k: row[k] for k in FIELDS if k != "credit_utilization"}
    payload["credit_utilization_pct"] = row["credit_utilization"] * 100
    value = payload["employment_years"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        payload["employment_years"] = None
    for key, value in payload.items():
        if isinstance(value, np.generic):
            payload[key] = value.item()
    return payload
