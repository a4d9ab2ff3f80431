"""Hidden data for the drift exercise: samples of the credit world, never published.

Two kinds of comparison, both on data the grader generates:

- **Monitor batches** (the monitor's explicit mode): one reference of 5,000 applications
  from the stationary world; three stationary controls of 3,000 fresh applications; and one
  batch per requirement the starter README states, each at or beyond the stated size of the
  change. A requirement's batch is a *counterfactual*: 3,000 of the reference's own
  applications with only that change applied (incomes divided by 12, regions reassigned, ...),
  so every field it does not change is a subset of the reference. What a monitor flags there
  beyond the changed field is caused by the change, never by sampling noise: a monitor's
  noise on ordinary days is judged once, by `stationary_batches_quiet` over 60 to 200 fresh
  normal days (`Day`), with its computed power.
- **Replayed traffic** (end to end): the candidate's training runs on 5,000 labelled
  applications from `TRAINING_WORLD`, which differs from the world of the starter's
  committed data (higher incomes, fewer applicants from the campaign region, higher
  utilization), so a monitor whose reference is anything but the champion's own training data
  alerts on stationary traffic. Stationary traffic is the training applications themselves,
  replayed: whatever sample of its training data the candidate stored, it is a subset of that
  traffic, so a sound, wired monitor has nothing to see, however noisy its statistic (that is
  judged by `stationary_batches_quiet`). Drifted traffic is the incident applied to 1,500 of those
  applications: the campaign region's share x3.3 and 40% carry the partner's garbled income
  (monthly, or in thousands: the variant's story). The campaign region is the variant's: every
  world here has it in the West's place (`STATIONARY`).

Only `features_only` views enter the sandbox, except the training set, which the
candidate's training step needs with its labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from grader import seeds, variants
from grader.worlds import credit

#: The graded variant's parameters (exercise.toml's [[variants]]): how far average utilization
#: must move to page (`alert_points`) and, but in the default variant, how far it may move on an
#: ordinary day (`ordinary_points`, 0 when the brief says nothing).
VARIANT = variants.current(Path(__file__).resolve().parents[1] / "exercise.toml")
UTILIZATION = VARIANT["utilization"]
#: How the partner's integration garbles income in the incident: divided by `divisor` (12: monthly).
PARTNER = VARIANT["partner"]
#: The region Marketing's campaign grew. Every world here has it in the West's place (the 15%
#: region; 10% in the training world): the West itself in the default variant, which changes nothing.
CAMPAIGN_REGION = VARIANT["campaign"]["id"]
#: The stationary world of this variant.
STATIONARY = credit.Scenario().regions_swapped("west", CAMPAIGN_REGION)

FIELDS = credit.FEATURES
TRAIN_SEED = seeds.seed(91_101, "train")
REFERENCE_SEED = seeds.seed(92_202, "reference")
STATIONARY_REPLAY_SEED = seeds.seed(94_401, "stationary_replay")
DRIFTED_REPLAY_SEED = seeds.seed(94_402, "drifted_replay")

#: As many rows as the starter's committed training data, so that anything a candidate sized
#: on it (a reference sample of 5,000, say) runs here too; the stationary replay sends all of it.
TRAIN_ROWS = 5_000
REFERENCE_ROWS = 5_000
BATCH_ROWS = 3_000
DRIFTED_REPLAY_ROWS = 1_500
PARTNER_SHARE = 0.40

TRAINING_WORLD = credit.Scenario(region_probs=(0.38, 0.26, 0.26, 0.10), income_median=75_000.0,
                                 utilization_beta=(2.5, 5.0)).regions_swapped("west", CAMPAIGN_REGION)
#: The README's sizes of change ("the median moves by 25% or more", "a region's share triples"),
#: taken a little further against the data as drawn, so that a monitor paging at exactly the
#: README's size passes on every draw: the monitor batches' median income x1.26 and the campaign
#: region's share x3.15 against the grader's reference; the incident's x3.3 against the training
#: set (the candidate's stored reference is a sample of it, whose share differs by ~2%).
INCOME_MOVE_RATIO = 1.26
REGION_SHARE_FACTOR = 3.15
INCIDENT_REGION_FACTOR = 3.3

#: What the README promises: on a normal day no alert and at most one field flagged; when
#: something changes, at most one unchanged field flagged.
MAX_STRAY_FLAGS = 1
#: A requirement's field only counts as detected if the monitor does not name it on (nearly)
#: every normal day too (the controls and the days of stationary_batches_quiet): a monitor that
#: always names it does not tell the change from an ordinary day. The share is far from both
#: kinds of monitor, so the draw never decides. One that names every field fails on every draw.
#: A noisy per-field test does not reach it: Evidently's chi-square at p < 0.05 takes the
#: reference's shares as exact, so how often it names region on fresh days of 3,000 depends on
#: the 5,000-row reference drawn (non-central chi-square, non-centrality 0.6 x a chi-square(3)
#: draw: 79% of days for the public default reference), and the chance that it names region on
#: more than 90% of 62 days (the first stage), over reference draws, is 8e-5 (half: 0.024, too close).
#: How often a monitor pages on normal days is stationary_batches_quiet's question, not this
#: control's.
NAMED_ON_NORMAL_DAYS_SHARE = 0.9
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


#: A requirement's change: (the picked applications, a generator, the data they are compared
#: with) -> the changed applications. It sees the comparison data so that a change can be
#: sized against it as drawn ("the median moves by 26%"), not only in expectation.
Change = Callable[[pd.DataFrame, np.random.Generator, pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Batch:
    """One monitor batch: how it is made and which application fields it really changes.

    A control (`change` None) is 3,000 fresh applications from the stationary world; a
    requirement's batch is 3,000 of the reference's own applications with `change` applied."""

    name: str
    seed: int
    description: str
    changed: tuple[str, ...] = ()
    #: The field the monitor must flag (None for a control).
    target: str | None = None
    change: Change | None = None

    def frame(self, reference: pd.DataFrame) -> pd.DataFrame:
        id_prefix = f"{self.name[:3]}-"
        if self.change is None:
            return credit.sample(BATCH_ROWS, self.seed, STATIONARY, id_prefix=id_prefix)
        return counterfactual(reference, BATCH_ROWS, self.seed, self.change, id_prefix)


def counterfactual(source: pd.DataFrame, rows: int, seed: int, change: Change, id_prefix: str) -> pd.DataFrame:
    """`rows` of `source`'s applications (drawn without replacement) with `change` applied and new ids."""
    rng = np.random.default_rng(seed)
    picked = source.iloc[np.sort(rng.choice(len(source), rows, replace=False))].reset_index(drop=True)
    changed = change(picked.copy(), rng, source)
    changed["id"] = credit.ids(rows, id_prefix)
    return changed


def income_scaled(scale: float) -> Change:
    """Recorded income multiplied by `scale` (1/12: a partner sending monthly income)."""
    def change(frame: pd.DataFrame, rng: np.random.Generator, source: pd.DataFrame) -> pd.DataFrame:
        frame["annual_income"] = (frame["annual_income"] * scale).round(2)
        return frame
    return change


def income_median_moved(ratio: float) -> Change:
    """Recorded income scaled so that the batch's median is `ratio` times the median of the data
    it is compared with, as drawn (a plain x1.25 on 3,000 of its rows lands anywhere from 23.5%
    to 27%: a monitor that pages at exactly the README's 25% would pass or fail by the draw)."""
    def change(frame: pd.DataFrame, rng: np.random.Generator, source: pd.DataFrame) -> pd.DataFrame:
        scale = ratio * source["annual_income"].median() / frame["annual_income"].median()
        frame["annual_income"] = (frame["annual_income"] * scale).round(2)
        return frame
    return change


def region_share_multiplied(region: str, factor: float) -> Change:
    """Regions reassigned so that `region`'s share is `factor` times its share in the data the
    batch is compared with, as drawn (exact counts, shuffled), the other regions keeping their
    relative shares (the world draws regions independently of every other field)."""
    def change(frame: pd.DataFrame, rng: np.random.Generator, source: pd.DataFrame) -> pd.DataFrame:
        shares = source["region"].value_counts(normalize=True).reindex(credit.REGIONS, fill_value=0.0)
        chosen = round(min(1.0, factor * shares[region]) * len(frame))
        others = shares.drop(region)
        exact = (others / others.sum() * (len(frame) - chosen)).to_numpy()
        counts = np.floor(exact).astype(int)
        counts[np.argsort(counts - exact)[: len(frame) - chosen - counts.sum()]] += 1  # the largest remainders
        labels = np.concatenate([np.repeat(region, chosen), np.repeat(others.index, counts)])
        frame["region"] = rng.permutation(labels)
        return frame
    return change


def beta_mapped(before: np.ndarray, old: tuple[float, float], new: tuple[float, float]) -> np.ndarray:
    """Utilization mapped quantile to quantile from beta(old) to beta(new) (`new` stochastically
    larger; no value falls)."""
    return np.maximum(stats.beta.ppf(stats.beta.cdf(before, *old), *new), before).round(4)


def with_utilization(frame: pd.DataFrame, rng: np.random.Generator, before: np.ndarray, after: np.ndarray,
                     late_payments: bool = True) -> pd.DataFrame:
    """`frame` with utilization `after`, and (with `late_payments`) late payments redrawn to
    match, as the world draws them (Poisson(0.3 + 2 u)): the extra late payments are
    Poisson(2 (u' - u)) on top of each one's own."""
    frame["credit_utilization"] = after
    if late_payments:
        frame["num_late_payments"] = frame["num_late_payments"] + rng.poisson(2 * (after - before))
    return frame


def utilization_moved(old: tuple[float, float], new: tuple[float, float]) -> Change:
    """Utilization mapped from beta(old) to beta(new), late payments redrawn to match."""
    def change(frame: pd.DataFrame, rng: np.random.Generator, source: pd.DataFrame) -> pd.DataFrame:
        before = frame["credit_utilization"].to_numpy(dtype=float)
        return with_utilization(frame, rng, before, beta_mapped(before, old, new))
    return change


def utilization_mean_moved(points: float, late_payments: bool) -> Change:
    """Utilization mapped from beta(2, 5) to the beta(a, 5) under which the batch's mean is
    `points` above the mean of the data it is compared with, as drawn (a found by bisection),
    with late payments redrawn to match when `late_payments`; otherwise utilization alone moves
    (a seasonal move: 24 months of late payments do not change with one season's spending)."""
    def change(frame: pd.DataFrame, rng: np.random.Generator, source: pd.DataFrame) -> pd.DataFrame:
        before = frame["credit_utilization"].to_numpy(dtype=float)
        target = source["credit_utilization"].mean() + points / 100
        low, high = 2.0, 40.0
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if beta_mapped(before, (2.0, 5.0), (middle, 5.0)).mean() < target else (low, middle)
        after = beta_mapped(before, (2.0, 5.0), ((low + high) / 2, 5.0))
        return with_utilization(frame, rng, before, after, late_payments)
    return change


def employment_missing(share: float) -> Change:
    """employment_years missing on about `share` of applications (known values otherwise unchanged)."""
    def change(frame: pd.DataFrame, rng: np.random.Generator, source: pd.DataFrame) -> pd.DataFrame:
        known = frame["employment_years"].notna().to_numpy()
        base = 1.0 - known.mean()
        hide = known & (rng.random(len(frame)) < (share - base) / (1.0 - base))
        frame.loc[hide, "employment_years"] = np.nan
        return frame
    return change


CONTROLS = (
    Batch("control_a", seeds.seed(93_301, "batch_control_a"), "stationary: same world as the reference"),
    Batch("control_b", seeds.seed(93_302, "batch_control_b"), "stationary: same world as the reference"),
    Batch("control_c", seeds.seed(93_303, "batch_control_c"), "stationary: same world as the reference"),
)
def utilization_batch() -> Batch:
    """The utilization requirement's batch. The default brief (10 points, nothing said about
    smaller moves): beta(2,5) -> beta(3.5,5), +12.6 points, as before there were variants;
    every other: the mean exactly 1 point past the variant's threshold. Late payments are drawn
    from utilization, so they really change too."""
    seed, changed = seeds.seed(93_314, "batch_utilization_up"), ("credit_utilization", "num_late_payments")
    if not UTILIZATION["ordinary_points"]:
        return Batch("utilization_up", seed, "credit_utilization beta(2,5) -> beta(3.5,5): mean 0.29 -> 0.41", changed,
                     "credit_utilization", utilization_moved((2.0, 5.0), (3.5, 5.0)))
    points = UTILIZATION["alert_points"] + 1
    return Batch("utilization_up", seed, f"credit_utilization mean +{points} points (the brief: "
                 f"{UTILIZATION['alert_points']} or more must page)", changed, "credit_utilization",
                 utilization_mean_moved(points, late_payments=True))


def ordinary_batches() -> dict[str, Batch]:
    """Where the brief calls a smaller move of utilization ordinary (every variant but the
    default), by the requirement it bounds: the mean 1 point under that bound, nothing else
    changed. The monitor must not page over it; one copied from a variant with a lower threshold does."""
    if not UTILIZATION["ordinary_points"]:
        return {}
    points = UTILIZATION["ordinary_points"] - 1
    return {"utilization_up": Batch(
        "utilization_ordinary", seeds.seed(93_316, "batch_utilization_ordinary"),
        f"credit_utilization mean +{points} points, nothing else changed (the brief: a move under "
        f"{UTILIZATION['ordinary_points']} points is ordinary and must not page)", ("credit_utilization",), None,
        utilization_mean_moved(points, late_payments=False))}


#: The region requirement's batch, named after the campaign region (its seed is the same in every variant).
REGION_BATCH = f"region_{CAMPAIGN_REGION}_heavy"
DRIFTS = {
    "monthly_income": Batch("monthly_income", seeds.seed(93_311, "batch_monthly_income"),
                            "annual_income recorded as monthly income (x1/12)", ("annual_income",), "annual_income",
                            income_scaled(1 / 12)),
    "income_inflation": Batch("income_inflation", seeds.seed(93_312, "batch_income_inflation"),
                              "annual_income recorded higher: median +26% (the README: 25% or more)", ("annual_income",),
                              "annual_income", income_median_moved(INCOME_MOVE_RATIO)),
    REGION_BATCH: Batch(REGION_BATCH, seeds.seed(93_313, "batch_region_west_heavy"),
                        f"{CAMPAIGN_REGION} share x3.15 (15% -> 47%; the README: triples)", ("region",), "region",
                        region_share_multiplied(CAMPAIGN_REGION, REGION_SHARE_FACTOR)),
    "utilization_up": utilization_batch(),
    "employment_nulls": Batch("employment_nulls", seeds.seed(93_315, "batch_employment_nulls"),
                              "missing employment_years 1% -> 30% (values otherwise unchanged)",
                              ("employment_years",), "employment_years", employment_missing(0.30)),
}
ORDINARY = ordinary_batches()
BATCHES = {b.name: b for b in (*CONTROLS, *DRIFTS.values(), *ORDINARY.values())}
#: The monitor sees each batch under an opaque name (r001, r002, ...), in this order among the
#: normal days. (A monitor that recognised the reference's rows in a requirement's batch would
#: gain nothing: the detection checks' control and the unmistakable drifted days are fresh.)
MONITOR_ORDER = ("monthly_income", "control_b", REGION_BATCH, "income_inflation", "control_a",
                 "employment_nulls", "control_c", "utilization_up", *(b.name for b in ORDINARY.values()))
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
DRIFTED_DAY = STATIONARY.with_(income_recorded_scale=1 / 12)
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
        return credit.sample(BATCH_ROWS, DAYS_SEED + self.index, DRIFTED_DAY if self.drifted else STATIONARY,
                             id_prefix=f"d{self.index}-")


def days(start: int, stop: int) -> list[Day]:
    return [Day(i, drifted=i % DRIFTED_DAY_EVERY == DRIFTED_DAY_EVERY // 2) for i in range(start, stop)]


def monitor_reference() -> pd.DataFrame:
    return credit.sample(REFERENCE_ROWS, REFERENCE_SEED, STATIONARY, id_prefix="ref-")


def training_world_sample() -> pd.DataFrame:
    """The training applications with their labels and true probabilities (the AUC's yardstick)."""
    return credit.sample(TRAIN_ROWS, TRAIN_SEED, TRAINING_WORLD, id_prefix="t")


def training_set() -> pd.DataFrame:
    """Labelled applications the candidate's training runs on."""
    return training_world_sample().drop(columns=[credit.TRUE_PROBABILITY])


def stationary_replay() -> pd.DataFrame:
    """The training applications themselves, in a shuffled order, as one day of traffic."""
    frame = training_world_sample()
    return frame.sample(frac=1.0, random_state=STATIONARY_REPLAY_SEED).reset_index(drop=True)


def drifted_replay() -> pd.DataFrame:
    """The incident applied to 1,500 of the training applications: the campaign region's share
    x3.3 (10% -> 33%), and 40% of them (the partner's) with income divided by PARTNER's divisor
    (12: monthly)."""
    def incident(frame: pd.DataFrame, rng: np.random.Generator, source: pd.DataFrame) -> pd.DataFrame:
        frame = region_share_multiplied(CAMPAIGN_REGION, INCIDENT_REGION_FACTOR)(frame, rng, source)
        partner = rng.permutation(len(frame))[: int(len(frame) * PARTNER_SHARE)]
        garbled = frame["annual_income"].iloc[partner] / PARTNER["divisor"]
        frame.loc[frame.index[partner], "annual_income"] = garbled.round(2)
        return frame
    return counterfactual(training_world_sample(), DRIFTED_REPLAY_ROWS, DRIFTED_REPLAY_SEED, incident, "d")


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
