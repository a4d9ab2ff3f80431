"""Hidden data and the grader's own challengers for the validation-gate exercise.

The grader never trusts the candidate to build the models its gate must judge: it trains
them here, on the trusted side, from fresh samples of the credit world, and a probe
registers them in the candidate's model stores (inside the sandbox). Each model is a plain
scikit-learn pipeline over the warehouse columns, i.e. it honours the README's model
contract exactly as a notebook model from the data-science team would.

| name | what it is | role |
|---|---|---|
| `scorecard` | logistic regression on late payments, home ownership and region | weak but sound champion |
| `scorecard_v2` | `scorecard` plus utilization, loan amount and employment | clearly better than `scorecard` everywhere |
| `south_broken` | the starter's interaction model on a snapshot whose South labels are coin flips | better than `scorecard` overall, broken for the South |
| `pct_schema` | full logistic regression trained on `credit_utilization_pct` (0-100) | cannot score the warehouse schema |
| `full` | full logistic regression | strong champion |
| `scorecard_retrain` | `scorecard` retrained on another sample | over the floor, clearly worse than `full` |
| `east_overpriced` | `full` with the East's odds of default tripled | ranks as `full` does in every region, misprices the East |
| `under_floor`, `over_floor` | `full` with its late-payments weight turned down until its AUC on the frozen evaluation set is 0.01 under / over the variant's floor | first versions of empty stores, either side of Risk's floor |

Only these models and unlabelled feature rows enter the sandbox; every label used to judge
stays here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler

from grader import seeds, variants
from grader.worlds import credit

MODEL_NAME = "credit-risk"
#: The graded variant's parameters (exercise.toml's [[variants]]): Risk's floor and the incident's region.
VARIANT = variants.current(Path(__file__).resolve().parents[1] / "exercise.toml")
#: Risk's floor, as the starter README states it.
AUC_FLOOR = float(VARIANT["policy"]["auc_floor"])
#: How far either side of the floor `under_floor` and `over_floor` score on the frozen set, and
#: how close to that their AUC must come (floor_is_the_policy).
FLOOR_MARGIN = 0.01
FLOOR_PRECISION = 0.002

FEATURES = list(credit.FEATURES)
NUMERIC = list(credit.NUMERIC_FEATURES)
CATEGORICAL = list(credit.CATEGORICAL_FEATURES)

#: Labelled data the candidate's own training runs on (first model, then garbage).
FIRST_TRAIN_SEED = seeds.seed(81_101, "first_train")
SHUFFLED_TRAIN_SEED = seeds.seed(81_202, "shuffled_train")
SHUFFLE_SEED = seeds.seed(81_203, "shuffle")
TRAIN_ROWS = 8_000
#: Fresh labelled applicants the trusted side judges every model on.
JUDGE_SEED = seeds.seed(82_000, "judge")
JUDGE_ROWS = 30_000
#: Features-only rows the register probe infers model signatures from.
SIGNATURE_SEED = seeds.seed(83_000, "signature")
#: The incident replayed through training: this week's snapshot, broken for one region, then a clean one.
INCIDENT_TRAIN_SEED = seeds.seed(85_101, "incident_train")
INCIDENT_FLIP_SEED = seeds.seed(85_102, "incident_flips")
CLEAN_RETRAIN_SEED = seeds.seed(85_201, "clean_retrain")
#: The region whose outcomes the broken join scrambled, as in the README's incident.
INCIDENT_REGION = VARIANT["incident"]["region"]

#: The region the grader's slice challenger is broken for.
BROKEN_REGION = "south"
#: What `slice_regression_blocked` needs of that challenger (`south_broken`) against the
#: champion (`scorecard`) on both judging sets: better overall by SLICE_OVERALL_GAIN AUC, better
#: in every other region, worse in BROKEN_REGION by SLICE_AUC_DROP AUC and SLICE_LOG_LOSS_RISE
#: log loss; and better overall than the control (`scorecard_v2`) by SLICE_CONTROL_MARGIN.
SLICE_OVERALL_GAIN = 0.02
SLICE_AUC_DROP = 0.07
SLICE_LOG_LOSS_RISE = 0.03
SLICE_CONTROL_MARGIN = 0.005
#: How many draws `south_broken_seed` tries for a challenger that is that scenario.
STORY_ATTEMPTS = 8
#: The region the grader's miscalibrated challenger overprices (neither the incident's nor the
#: slice check's), and by how much it multiplies the odds of default there.
OVERPRICED_REGION = "east"
OVERPRICED_ODDS = 3.0

#: Model stores, one folder each under the grading run's {state}.
STORES = ("train", "better", "worse", "slice", "feature", "incident", "pricing", "under-floor", "over-floor")


def store_env(store: str) -> dict[str, str]:
    return {"CREDIT_RISK_STORE": "{state}/" + store}


@dataclass(frozen=True)
class Registration:
    """What the register probe puts in one store: versions in order, and which is champion."""

    models: tuple[str, ...]
    champion: str | None  # None: no champion yet (a new store), the one model is the challenger


#: store -> its registrations; the challenger is the last model, promoted by the candidate.
SETUP = {
    "better": Registration(("scorecard", "scorecard_v2"), champion="scorecard"),
    "worse": Registration(("full", "scorecard_retrain"), champion="full"),
    "slice": Registration(("scorecard", "south_broken"), champion="scorecard"),
    "feature": Registration(("scorecard", "pct_schema"), champion="scorecard"),
    # Last week's model, trained by the starter's own pipeline on a clean snapshot: the sound
    # champion the incident's retrain meets. The candidate's training runs into this store.
    "incident": Registration(("last_week",), champion="last_week"),
    "pricing": Registration(("scorecard", "east_overpriced"), champion="scorecard"),
    # New stores: a first version just under Risk's floor, and one just over it.
    "under-floor": Registration(("under_floor",), champion=None),
    "over-floor": Registration(("over_floor",), champion=None),
}
#: store -> the grader's version the candidate's `promote` is run on (a store whose only version
#: is its champion has none).
CHALLENGER = {store: reg.models[-1] for store, reg in SETUP.items() if reg.models[-1] != reg.champion}


# -- data -----------------------------------------------------------------------------------

def first_training_set() -> pd.DataFrame:
    """Clean labelled applications for the candidate's first model (only id, features and label enter the sandbox)."""
    return credit.sample(TRAIN_ROWS, FIRST_TRAIN_SEED, id_prefix="f")


def shuffled_training_set() -> pd.DataFrame:
    """Labelled applications whose labels were shuffled: no model can learn anything real from it."""
    frame = credit.sample(TRAIN_ROWS, SHUFFLED_TRAIN_SEED, id_prefix="s")
    frame[credit.LABEL] = np.random.default_rng(SHUFFLE_SEED).permutation(frame[credit.LABEL].to_numpy())
    return frame


def incident_training_set() -> pd.DataFrame:
    """This week's snapshot as the incident's broken join left it: fresh applications whose
    outcomes in one region are coin flips (the same size as a clean weekly snapshot)."""
    frame = credit.sample(TRAIN_ROWS, INCIDENT_TRAIN_SEED, id_prefix="i")
    return coin_flip_labels(frame, INCIDENT_REGION, INCIDENT_FLIP_SEED)


def clean_retraining_set() -> pd.DataFrame:
    """Next week's snapshot, the join fixed: the control a gate must let through."""
    return credit.sample(TRAIN_ROWS, CLEAN_RETRAIN_SEED, id_prefix="k")


@cache
def judge_set() -> pd.DataFrame:
    return credit.sample(JUDGE_ROWS, JUDGE_SEED, id_prefix="j")


def starter_eval_set() -> pd.DataFrame:
    """The frozen evaluation set the starter ships (read from the exercise's trusted copy)."""
    root = Path(__file__).resolve().parents[3]
    return pd.read_csv(root / "broken_pipelines" / "missing-validation-gate" / "data" / "eval.csv")


def signature_rows() -> pd.DataFrame:
    """Unlabelled warehouse rows, as a CSV would give them to `credit_risk.train`."""
    frame = credit.sample(50, SIGNATURE_SEED, credit.Scenario(employment_null_rate=0.1), id_prefix="g")
    return credit.features_only(frame).drop(columns="id")


def coin_flip_labels(frame: pd.DataFrame, region: str, seed: int) -> pd.DataFrame:
    """The planted broken join, for any region: every label there replaced by a coin flip."""
    frame = frame.copy()
    rows = frame["region"] == region
    frame.loc[rows, credit.LABEL] = (np.random.default_rng(seed).random(int(rows.sum())) < 0.5).astype(int)
    return frame


def as_percentage(frame: pd.DataFrame) -> pd.DataFrame:
    """The front end's naming: utilization as a percentage, under another column name."""
    out = frame.drop(columns="credit_utilization")
    out.insert(4, "credit_utilization_pct", frame["credit_utilization"] * 100)
    return out


# -- the grader's models --------------------------------------------------------------------

def _logistic(numeric: list[str], interactions: bool = False) -> Pipeline:
    prepare = ColumnTransformer([
        ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
    ])
    steps = [("prepare", prepare)]
    if interactions:
        steps.append(("interactions", PolynomialFeatures(2, interaction_only=True, include_bias=False)))
    steps.append(("classifier", LogisticRegression(max_iter=2000)))
    return Pipeline(steps)


@dataclass(frozen=True)
class Recipe:
    seed: int
    numeric: tuple[str, ...]
    interactions: bool = False
    #: Region whose labels are coin flips in the training data (the broken join).
    broken_region: str | None = None
    percentage: bool = False
    rows: int = 20_000
    #: Region whose odds of default the fitted model multiplies by `odds_factor` (a shift of
    #: its intercept there: the ranking within every region is the fitted model's).
    overpriced_region: str | None = None
    odds_factor: float = 1.0
    description: str = ""


RECIPES = {
    "scorecard": Recipe(seeds.seed(84_001, "recipe_1"), ("num_late_payments",), description="the old scorecard: late payments, home, region"),
    "scorecard_v2": Recipe(seeds.seed(84_002, "recipe_2"), ("employment_years", "credit_utilization", "num_late_payments", "loan_amount"),
                           description="the scorecard plus utilization, loan amount and employment history"),
    # The incident hit the West or the North (the variant's); the grader breaks another region,
    # so that a check written for the incident's region alone does not pass.
    "south_broken": Recipe(seeds.seed(84_003, "recipe_3"), tuple(NUMERIC), interactions=True, broken_region=BROKEN_REGION, rows=40_000,
                           description="the starter's model on a snapshot with coin-flip South labels"),
    "pct_schema": Recipe(seeds.seed(84_004, "recipe_4"), tuple(c if c != "credit_utilization" else "credit_utilization_pct" for c in NUMERIC),
                         percentage=True, description="trained on the front end's percentage column"),
    "full": Recipe(seeds.seed(84_005, "recipe_5"), tuple(NUMERIC), description="logistic regression on every feature"),
    "scorecard_retrain": Recipe(seeds.seed(84_006, "recipe_6"), ("num_late_payments",), description="the old scorecard, retrained"),
    # `full` itself (same seed, same fit), then mispriced in one region: what a notebook trained
    # on a sample that over-counts that region's defaults (a fan-out join) gives.
    "east_overpriced": Recipe(seeds.seed(84_005, "recipe_5"), tuple(NUMERIC), overpriced_region=OVERPRICED_REGION,
                              odds_factor=OVERPRICED_ODDS,
                              description="logistic regression on every feature, the East's odds of default tripled"),
    "last_week": Recipe(seeds.seed(84_007, "recipe_7"), tuple(NUMERIC), interactions=True, rows=TRAIN_ROWS * 5 // 4,
                        description="last week's model: the starter's pipeline on a clean snapshot of the same size"),
    # What the starter's pipeline makes of the two snapshots the candidate's training gets: the
    # trusted side's replica, to check that the replay shows what the check relies on.
    "incident_retrain": Recipe(0, tuple(NUMERIC), interactions=True, description="the starter's pipeline on the broken snapshot"),
    "clean_retrain": Recipe(0, tuple(NUMERIC), interactions=True, description="the starter's pipeline on the clean snapshot"),
}
#: Replicas of what the candidate's training fits (not registered anywhere).
REPLICAS = {"incident_retrain": incident_training_set, "clean_retrain": clean_retraining_set}
#: Versions tuned to an AUC on the frozen evaluation set: name -> offset from Risk's floor.
AT_FLOOR = {"under_floor": -FLOOR_MARGIN, "over_floor": FLOOR_MARGIN}
#: Every model `train` makes.
MODELS = (*RECIPES, *AT_FLOOR)


@dataclass
class Trained:
    name: str
    model: Pipeline
    columns: list[str]
    valid_auc: float
    rows: int
    description: str

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """P(default) for warehouse rows, each model fed the columns it was trained on."""
        rows = as_percentage(frame) if self.columns == PCT_COLUMNS else frame
        return self.model.predict_proba(rows[self.columns])[:, 1]


def overprice(model: Pipeline, region: str, odds_factor: float) -> None:
    """Multiply a fitted logistic pipeline's odds of default in `region` by `odds_factor`.

    The region's one-hot column enters the linear predictor once (no interactions), so adding
    log(odds_factor) to its coefficient shifts that region's log-odds and nothing else: every
    other region's scores, and the order of scores within the region, stay as they were.
    """
    if "interactions" in model.named_steps:
        raise ValueError("overprice needs a model without interaction terms")
    names = list(model.named_steps["prepare"].get_feature_names_out())
    column = names.index(f"categorical__region_{region}")
    model.named_steps["classifier"].coef_[0, column] += float(np.log(odds_factor))


PCT_COLUMNS = [c if c != "credit_utilization" else "credit_utilization_pct" for c in FEATURES]


def slice_story_holds(judged: dict[str, dict]) -> bool:
    """Whether `south_broken` is, on one judging set (model -> quality_by_region), the
    challenger `slice_regression_blocked` describes (the SLICE_* premises)."""
    from measures import better_everywhere

    broken, champion, control = judged["south_broken"], judged["scorecard"], judged["scorecard_v2"]
    others = ("overall", *(r for r in credit.REGIONS if r != BROKEN_REGION))
    return (broken["overall"]["auc"] >= champion["overall"]["auc"] + SLICE_OVERALL_GAIN
            and min(better_everywhere(broken, champion, others).values()) > 0
            and broken[BROKEN_REGION]["auc"] <= champion[BROKEN_REGION]["auc"] - SLICE_AUC_DROP
            and broken[BROKEN_REGION]["log_loss"] >= champion[BROKEN_REGION]["log_loss"] + SLICE_LOG_LOSS_RISE
            and control["overall"]["auc"] <= broken["overall"]["auc"] - SLICE_CONTROL_MARGIN)


@cache
def south_broken_seed() -> int:
    """The seed of `south_broken`: the first of STORY_ATTEMPTS draws whose model is the scenario
    `slice_regression_blocked` describes on both judging sets.

    Coin-flip labels for one region leave the model's main effects to score that region, so
    how far it falls there depends on the draw: over 12 reseeded draws the first one fell by
    0.03 to 0.17 AUC and failed the premises on 3 (the check then ended in error, the
    grading inconclusive). Which draw is used depends on the hidden data only, never on the
    candidate; the public default seeds keep their first draw. If none of the draws holds,
    the first is used and the check's premises say so."""
    from measures import quality_by_region

    sets = (judge_set(), starter_eval_set())
    for attempt in range(STORY_ATTEMPTS):
        seed = seeds.seed(84_003, "recipe_3" if attempt == 0 else f"recipe_3#{attempt}")
        broken = _south_broken_with(seed)
        if all(slice_story_holds({"south_broken": quality_by_region(frame, broken.probabilities(frame)),
                                  **{n: quality_by_region(frame, train(n).probabilities(frame))
                                     for n in ("scorecard", "scorecard_v2")}}) for frame in sets):
            return seed
    return RECIPES["south_broken"].seed


@cache
def train(name: str) -> Trained:
    """Fit one of the grader's models on its own fresh sample (80%), validated on the rest
    (once per process: the models are read, never changed, after training)."""
    if name == "south_broken":
        return _south_broken_with(south_broken_seed())
    if name in AT_FLOOR:
        return _at_auc(name, AUC_FLOOR + AT_FLOOR[name])
    return _fit(name, RECIPES[name])


def _frozen_auc(model: Pipeline, frame: pd.DataFrame) -> float:
    return float(roc_auc_score(frame[credit.LABEL], model.predict_proba(frame[FEATURES])[:, 1]))


def _at_auc(name: str, target: float) -> Trained:
    """`full` with its late-payments weight moved (bisection) until its AUC on the frozen
    evaluation set is `target`: from the fitted weight (AUC ~0.72) towards ever more negative
    ones (late payments read as good news), the AUC falls continuously past any floor."""
    model = copy.deepcopy(train("full").model)
    coef = model.named_steps["classifier"].coef_
    column = list(model.named_steps["prepare"].get_feature_names_out()).index("numeric__num_late_payments")
    frame = starter_eval_set()
    high = float(coef[0, column])
    low = -abs(high)
    for _ in range(8):  # widen until the bracket holds the target
        coef[0, column] = low
        if _frozen_auc(model, frame) < target:
            break
        low *= 2
    for _ in range(40):
        coef[0, column] = (low + high) / 2
        if _frozen_auc(model, frame) < target:
            low = coef[0, column]
        else:
            high = coef[0, column]
    coef[0, column] = (low + high) / 2
    judge = judge_set()
    return Trained(name, model, FEATURES, _frozen_auc(model, judge), len(judge),
                   f"logistic regression on every feature, late payments weighted to an AUC of {target:.2f} on the frozen set")


@cache
def _south_broken_with(seed: int) -> Trained:  # the draw south_broken_seed chose is fitted once
    return _fit("south_broken", replace(RECIPES["south_broken"], seed=seed))


def _fit(name: str, recipe: Recipe) -> Trained:
    if name in REPLICAS:  # fitted on exactly the snapshot the candidate gets, validated on its last 20%
        frame = REPLICAS[name]()
        cut = int(len(frame) * 0.8)
        model = _logistic(list(recipe.numeric), recipe.interactions).fit(frame[FEATURES].iloc[:cut],
                                                                         frame[credit.LABEL].iloc[:cut])
        valid_auc = roc_auc_score(frame[credit.LABEL].iloc[cut:], model.predict_proba(frame[FEATURES].iloc[cut:])[:, 1])
        return Trained(name, model, FEATURES, float(valid_auc), len(frame), recipe.description)
    frame = credit.sample(recipe.rows, recipe.seed, id_prefix="m")
    if recipe.broken_region:
        frame = coin_flip_labels(frame, recipe.broken_region, recipe.seed + 1)
    columns = PCT_COLUMNS if recipe.percentage else FEATURES
    rows = as_percentage(frame) if recipe.percentage else frame
    cut = int(len(frame) * 0.8)
    model = _logistic(list(recipe.numeric), recipe.interactions)
    model.fit(rows[columns].iloc[:cut], frame[credit.LABEL].iloc[:cut])
    if recipe.overpriced_region:
        overprice(model, recipe.overpriced_region, recipe.odds_factor)
    valid_auc = roc_auc_score(frame[credit.LABEL].iloc[cut:], model.predict_proba(rows[columns].iloc[cut:])[:, 1])
    return Trained(name, model, columns, float(valid_auc), len(frame), recipe.description)
