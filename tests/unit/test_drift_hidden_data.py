"""The drift exercise's hidden data and monitor runs: a requirement's batch changes only the
fields it says it changes, the replays are the champion's own training applications, and each
monitor run is read once.

The detection checks judge stray flags on one batch because every unchanged field of it is a
subset of the reference (no sampling noise), and the end-to-end checks judge a wired monitor's
silence on the training applications themselves: these properties are what makes that sound.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.worlds import credit
from tests.fuzz.conftest import check_module

hd = check_module("silent-drift", "hidden_data")
ROWS = 400


def source(seed: int) -> pd.DataFrame:
    """A small reference with a column that says which source row each output row came from."""
    return credit.sample(ROWS + 100, seed, id_prefix="ref-").assign(source_row=range(ROWS + 100))


@pytest.mark.parametrize("name", sorted(hd.DRIFTS))
@given(seed=st.integers(0, 2**31 - 1))
def test_a_requirement_batch_changes_only_its_fields(name, seed):
    batch = hd.DRIFTS[name]
    ref = source(seed % 1000)
    out = hd.counterfactual(ref, ROWS, seed, batch.change, "x-")
    assert len(out) == ROWS and out["source_row"].is_unique and out["id"].str.startswith("x-").all()
    before = ref.set_index("source_row").loc[out["source_row"]].reset_index()
    for field in hd.FIELDS:
        same = identical(out[field], before[field])
        assert same == (field not in batch.changed), f"{name}: {field} {'unchanged' if same else 'changed'}"


def identical(a: pd.Series, b: pd.Series) -> bool:
    if a.dtype == object or b.dtype == object:
        return bool((a.to_numpy() == b.to_numpy()).all())
    return bool(np.allclose(a, b, equal_nan=True))


@given(seed=st.integers(0, 2**31 - 1))
def test_each_change_is_the_one_described(seed):
    ref = source(seed % 1000)
    picked = lambda name: hd.counterfactual(ref, ROWS, seed, hd.DRIFTS[name].change, "x-")  # noqa: E731
    before = lambda out: ref.set_index("source_row").loc[out["source_row"]].reset_index()  # noqa: E731

    monthly = picked("monthly_income")
    assert np.allclose(monthly["annual_income"], before(monthly)["annual_income"] / 12, atol=0.006)
    inflated = picked("income_inflation")
    scale = inflated["annual_income"] / before(inflated)["annual_income"]
    assert np.allclose(scale, scale.iloc[0], rtol=1e-4)  # one factor for every application
    assert inflated["annual_income"].median() / ref["annual_income"].median() == pytest.approx(hd.INCOME_MOVE_RATIO,
                                                                                               rel=1e-4)
    grown = picked(hd.REGION_BATCH)
    share = (ref["region"] == "west").mean()
    assert (grown["region"] == "west").mean() == pytest.approx(hd.REGION_SHARE_FACTOR * share, abs=1 / ROWS)
    others = grown.loc[grown["region"] != "west", "region"].value_counts(normalize=True)
    assert np.allclose(others, ref.loc[ref["region"] != "west", "region"].value_counts(normalize=True)[others.index],
                       atol=2 / ROWS)
    util = picked("utilization_up")
    old = before(util)
    assert (util["credit_utilization"] >= old["credit_utilization"]).all()
    assert (util["num_late_payments"] >= old["num_late_payments"]).all()
    assert util["credit_utilization"].between(0, 1).all()
    nulls = picked("employment_nulls")
    old = before(nulls)
    known = nulls["employment_years"].notna()
    assert old["employment_years"].isna().le(~known).all(), "a missing value came back"
    assert np.allclose(nulls.loc[known, "employment_years"], old.loc[known, "employment_years"])


@pytest.mark.parametrize("late_payments", [True, False])
@given(seed=st.integers(0, 2**31 - 1), points=st.sampled_from([11, 16, 21]))
def test_a_utilization_move_in_points_is_exact_and_changes_only_its_fields(late_payments, points, seed):
    """The variants' utilization batches: the mean moves by exactly `points` against the data it
    is compared with, no value falls, and late payments move only in the detection batch."""
    ref = source(seed % 1000)
    out = hd.counterfactual(ref, ROWS, seed, hd.utilization_mean_moved(points, late_payments), "x-")
    before = ref.set_index("source_row").loc[out["source_row"]].reset_index()
    assert out["credit_utilization"].mean() - ref["credit_utilization"].mean() == pytest.approx(points / 100, abs=2e-4)
    assert (out["credit_utilization"] >= before["credit_utilization"]).all()
    assert out["credit_utilization"].between(0, 1).all()
    changed = {"credit_utilization", "num_late_payments"} if late_payments else {"credit_utilization"}
    for field in hd.FIELDS:
        if field not in changed:
            assert identical(out[field], before[field]), field
    assert (out["num_late_payments"] >= before["num_late_payments"]).all()


@pytest.mark.parametrize("variant", ["partner=monthly,utilization=points-10", "utilization=points-15",
                                     "partner=thousands,utilization=points-20"])
def test_each_variant_judges_its_own_brief(variant, monkeypatch):
    """The default variant grades as before (no ordinary batch; beta(2,5) -> beta(3.5,5)); every
    other one adds the ordinary move 1 point under the brief's bound and moves the detection
    batch 1 point past its threshold, on the full-size reference. The incident replayed end to
    end garbles the partner's incomes as the variant's story says."""
    from grader import catalog, variants

    spec = catalog.get_exercise("silent-drift").spec
    monkeypatch.setenv(variants.ENV, variants.to_env(spec, variants.parse(spec, variant)))
    module = check_module("silent-drift", "hidden_data")
    brief = module.UTILIZATION
    assert sorted(module.MONITOR_ORDER) == sorted(module.BATCHES)
    assert module.PARTNER["divisor"] == (1000 if "thousands" in variant else 12)
    garbled = garbled_share(module, module.training_set(), module.drifted_replay())
    assert garbled == pytest.approx(module.PARTNER_SHARE, abs=0.001)
    reference = module.monitor_reference()
    moved = module.DRIFTS["utilization_up"].frame(reference)["credit_utilization"].mean() \
        - reference["credit_utilization"].mean()
    if variant.endswith("points-10"):
        assert module.ORDINARY == {} and "utilization_ordinary" not in module.BATCHES
        assert 0.12 < moved < 0.13  # beta(3.5,5) against beta(2,5): +12.6 points, as before variants
        return
    assert moved == pytest.approx((brief["alert_points"] + 1) / 100, abs=2e-4)
    ordinary = module.ORDINARY["utilization_up"]
    frame = ordinary.frame(reference)
    assert frame["credit_utilization"].mean() - reference["credit_utilization"].mean() == pytest.approx(
        (brief["ordinary_points"] - 1) / 100, abs=2e-4)
    assert ordinary.changed == ("credit_utilization",) and ordinary.target is None
    assert brief["ordinary_points"] < brief["monitor_points"] < brief["alert_points"]


def test_the_changes_have_the_stated_size():
    """On the full-size default batches: the shares and means the descriptions give."""
    reference = hd.monitor_reference()
    west = hd.DRIFTS["region_west_heavy"].frame(reference)  # the default variant's campaign region
    assert (west["region"] == "west").mean() >= 3 * (reference["region"] == "west").mean() * 1.04
    inflated = hd.DRIFTS["income_inflation"].frame(reference)
    assert inflated["annual_income"].median() >= 1.25 * 1.005 * reference["annual_income"].median()
    util = hd.DRIFTS["utilization_up"].frame(reference)
    assert 0.39 < util["credit_utilization"].mean() < 0.43
    nulls = hd.DRIFTS["employment_nulls"].frame(reference)
    assert 0.27 < nulls["employment_years"].isna().mean() < 0.33
    control = hd.CONTROLS[0].frame(reference)
    assert not control["id"].isin(reference["id"]).any() and len(control) == hd.BATCH_ROWS


def test_the_replays_are_the_training_applications():
    training = hd.training_set()
    stationary = hd.stationary_replay()
    key = list(hd.FIELDS)
    assert len(stationary) == len(training) == hd.TRAIN_ROWS
    assert sorted(stationary["id"]) == sorted(training["id"])
    pd.testing.assert_frame_equal(stationary.set_index("id").loc[training["id"], key].reset_index(drop=True),
                                  training[key].reset_index(drop=True))
    drifted = hd.drifted_replay()
    assert len(drifted) == hd.DRIFTED_REPLAY_ROWS
    unchanged = [f for f in key if f not in hd.DRIFTED_REPLAY_CHANGED]
    rows = training[unchanged].apply(tuple, axis=1)
    assert drifted[unchanged].apply(tuple, axis=1).isin(set(rows)).all()
    west = (training["region"] == "west").mean()
    assert west < 0.12 and (drifted["region"] == "west").mean() == pytest.approx(hd.INCIDENT_REGION_FACTOR * west,
                                                                                abs=1 / len(drifted))
    assert garbled_share(hd, training, drifted) == pytest.approx(hd.PARTNER_SHARE, abs=0.001)


def garbled_share(module, training: pd.DataFrame, drifted: pd.DataFrame) -> float:
    """The share of the incident replay's applications whose income is the training
    application's divided by the variant's divisor; every other one's is unchanged."""
    unchanged = [f for f in module.FIELDS if f not in module.DRIFTED_REPLAY_CHANGED]
    rows = training[unchanged].apply(tuple, axis=1)
    source_income = training.set_index(rows.to_numpy())["annual_income"]  # unchanged fields identify a row
    original = source_income.loc[drifted[unchanged].apply(tuple, axis=1).to_numpy()].to_numpy()
    garbled = np.isclose(drifted["annual_income"], (original / module.PARTNER["divisor"]).round(2))
    assert np.isclose(drifted.loc[~garbled, "annual_income"], original[~garbled]).all()
    return float(garbled.mean())


class CountingResult:
    """A monitor step's outputs as `measures.batch_monitor_run` reads them, counting the reads."""

    def __init__(self, runs: dict, reports: dict):
        self.runs, self.reports, self.reads = runs, reports, 0

    def read_json(self, name: str, limit: int = 0):
        self.reads += 1
        if name == "runs.json":
            return self.runs
        return self.reports[name.removesuffix(".report.json")]

    def read_text(self, name: str, limit: int = 0) -> str:
        return ""

    def describe(self) -> str:
        return "exit 0"

    def log_tail(self, lines: int = 20) -> str:
        return ""


def test_every_run_of_the_monitor_is_read_once():
    """Each detection check reads every normal day (up to 200): a run's candidate-written files
    are parsed once per grading, and a run that cannot be judged fails the same way each time."""
    conftest = check_module("silent-drift", "conftest")
    quiet = {"alert": False, "drifted_columns": [], "reference_rows": 5000, "current_rows": 3000}
    runs = {"r001": {"exit_code": 0, "report_html_bytes": 10}, "r002": {"exit_code": 3}}
    result = CountingResult(runs, {"r001": quiet})
    monitor = conftest.MonitorRuns({"day-000": (result, "r001"), "day-001": (result, "r002")}, [], [result])
    for _ in range(5):
        assert monitor.run("day-000").alert is False and monitor.bad("day-000") == (False, "")
        assert monitor.bad("day-001")[0] and "exit code 3" in monitor.bad("day-001")[1]
    assert result.reads == 3  # runs.json and r001's report for day-000; runs.json for day-001


@pytest.mark.parametrize("campaign", ["west", "east", "north"])
def test_the_campaign_region_takes_the_wests_place_everywhere(campaign, monkeypatch):
    """`campaign=<region>`: every world the checks draw from has the campaign region where the
    default has the West (15% of applications; 10% in the training world), the region batch and
    the replayed incident triple it, and in the default variant every world is the one it was
    before the parameter existed (the West with itself is no swap)."""
    from grader import catalog, variants

    spec = catalog.get_exercise("silent-drift").spec
    monkeypatch.setenv(variants.ENV, variants.to_env(spec, variants.parse(spec, f"campaign={campaign}")))
    module = check_module("silent-drift", "hidden_data")
    assert module.CAMPAIGN_REGION == campaign and module.REGION_BATCH == f"region_{campaign}_heavy"
    assert sorted(module.MONITOR_ORDER) == sorted(module.BATCHES) and module.DRIFTS[module.REGION_BATCH].target == "region"
    if campaign == "west":
        assert module.STATIONARY == credit.Scenario()
        assert module.TRAINING_WORLD.region_probs == (0.38, 0.26, 0.26, 0.10)

    def share(frame: pd.DataFrame) -> float:
        return float((frame["region"] == campaign).mean())

    reference = module.monitor_reference()
    expected = dict(zip(credit.REGIONS, credit.Scenario().regions_swapped("west", campaign).region_probs))
    assert expected[campaign] == 0.15
    for frame in (reference, module.CONTROLS[0].frame(reference), module.Day(0, drifted=False).frame(),
                  module.Day(5, drifted=True).frame()):
        shares = frame["region"].value_counts(normalize=True)
        assert all(shares[r] == pytest.approx(p, abs=0.025) for r, p in expected.items()), shares
    grown = module.DRIFTS[module.REGION_BATCH].frame(reference)
    assert share(grown) == pytest.approx(module.REGION_SHARE_FACTOR * share(reference), abs=1 / module.BATCH_ROWS)
    training, drifted = module.training_set(), module.drifted_replay()
    assert share(training) == pytest.approx(0.10, abs=0.015)
    assert share(drifted) == pytest.approx(module.INCIDENT_REGION_FACTOR * share(training), abs=1 / len(drifted))
