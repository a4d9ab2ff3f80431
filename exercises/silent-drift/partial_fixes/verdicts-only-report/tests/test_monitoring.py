"""The monitor against Risk's requirements, on batches built from the committed extract.

Reference: the first 2,500 applications. Current: the other 2,500, unchanged or with one
change applied. Every requirement in the README has a test; so does the quiet case.
"""

import json

import numpy as np
import pandas as pd
import pytest

from credit_risk.monitoring.__main__ import main


@pytest.fixture(scope="module")
def halves(applications):
    return applications.iloc[:2500].reset_index(drop=True), applications.iloc[2500:].reset_index(drop=True)


def monitor(tmp_path, reference: pd.DataFrame, current: pd.DataFrame) -> tuple[int, dict]:
    reference.to_csv(tmp_path / "reference.csv", index=False)
    current.to_csv(tmp_path / "current.csv", index=False)
    code = main(["--reference", str(tmp_path / "reference.csv"), "--current", str(tmp_path / "current.csv"),
                 "--output", str(tmp_path / "report")])
    return code, json.loads((tmp_path / "report" / "report.json").read_text())


def west_heavy(frame: pd.DataFrame, share: float, seed: int = 0) -> pd.DataFrame:
    """Resample `frame` so that `share` of its rows are from the West."""
    rng = np.random.default_rng(seed)
    west, rest = frame[frame["region"] == "west"], frame[frame["region"] != "west"]
    n_west = int(len(frame) * share)
    picked = [west.iloc[rng.integers(0, len(west), n_west)], rest.iloc[rng.integers(0, len(rest), len(frame) - n_west)]]
    return pd.concat(picked, ignore_index=True)


def test_monitor_stays_quiet_when_nothing_changed(halves, tmp_path):
    code, report = monitor(tmp_path, *halves)
    assert code == 0
    assert report["alert"] is False
    assert report["drifted_columns"] == []
    assert (report["reference_rows"], report["current_rows"]) == (2500, 2500)
    assert set(report["columns"]) >= {"age", "annual_income", "region", "employment_years"}
    assert (tmp_path / "report" / "report.html").stat().st_size > 0


@pytest.mark.parametrize("factor", [1.25, 0.75, 1 / 12])
def test_income_shift_of_25_percent_alerts(halves, tmp_path, factor):
    reference, current = halves
    current = current.assign(annual_income=current["annual_income"] * factor)
    code, report = monitor(tmp_path, reference, current)
    assert code == 1 and report["alert"] is True
    assert report["drifted_columns"] == ["annual_income"]


def test_west_share_tripling_alerts(halves, tmp_path):
    reference, current = halves
    code, report = monitor(tmp_path, reference, west_heavy(current, 0.45))
    assert code == 1
    assert report["drifted_columns"] == ["region"]


def test_utilization_up_10_points_alerts(halves, tmp_path):
    reference, current = halves
    current = current.assign(credit_utilization=(current["credit_utilization"] + 0.10).clip(0, 1))
    code, report = monitor(tmp_path, reference, current)
    assert code == 1
    assert "credit_utilization" in report["drifted_columns"]


def test_missing_values_rising_to_10_percent_alerts(halves, tmp_path):
    reference, current = halves
    current = current.copy()
    rows = current.sample(frac=0.10, random_state=1).index
    current.loc[rows, "employment_years"] = np.nan
    code, report = monitor(tmp_path, reference, current)
    assert code == 1
    assert report["drifted_columns"] == ["employment_years"]
    assert report["columns"]["employment_years"]["missing_share_drifted"] is True


def test_a_field_missing_entirely_alerts_rather_than_crashing(halves, tmp_path):
    reference, current = halves
    code, report = monitor(tmp_path, reference, current.assign(employment_years=np.nan))
    assert code == 1
    assert "employment_years" in report["drifted_columns"]


def test_unusable_input_is_a_failure_not_a_quiet_night(halves, tmp_path):
    reference, current = halves
    code = main(["--reference", str(tmp_path / "nope.csv"), "--current", str(tmp_path / "nope.csv"),
                 "--output", str(tmp_path / "report")])
    assert code not in (0, 1)
    current.drop(columns="region").to_csv(tmp_path / "current.csv", index=False)
    reference.to_csv(tmp_path / "reference.csv", index=False)
    code = main(["--reference", str(tmp_path / "reference.csv"), "--current", str(tmp_path / "current.csv"),
                 "--output", str(tmp_path / "report")])
    assert code not in (0, 1)
