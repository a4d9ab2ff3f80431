"""The power of the skew exercise's calibration checks under reseeded hidden data.

Trains the starter's own pipeline (`credit_risk.features` + its logistic regression) on
fresh draws of the hidden training set and scores a fresh calibration set (10% without
employment history) two ways: with the training-time median for a missing
`employment_years` (a correct fix) and with the serving path's 0 (the planted bug, which a
"batch aligned to serving" fix copies into batch). For each it prints the distribution of:

- `observed`: mean prediction minus the observed default rate on the null rows (the old
  statistic, with the labels' sampling noise);
- `gap`: mean prediction minus the mean true probability on the null rows;
- `excess`: `gap` on the null rows minus `gap` on the rows with a known history (what
  `null_employment_served_calibration` bounds by hd.EXCESS_GAP_TOLERANCE).

    .venv/bin/python bench/skew_null_calibration_power.py [DRAWS]   # default 100, ~10 s
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "broken_pipelines" / "training-serving-skew"))
sys.path.insert(0, str(ROOT / "exercises" / "training-serving-skew" / "checks"))
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from credit_risk.features import build_features, fit_feature_config  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from grader.worlds import credit  # noqa: E402

import hidden_data as hd  # noqa: E402


def draw(index: int) -> list[dict]:
    raw = credit.sample(8_000, 1_000 + index, id_prefix="t")
    train, _ = train_test_split(raw, test_size=0.2, random_state=7, stratify=raw[credit.LABEL])
    config = fit_feature_config(train)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(build_features(train, config), train[credit.LABEL])
    calibration = credit.sample(30_000, 5_000 + index, credit.Scenario(employment_null_rate=0.10), id_prefix="c")
    null = calibration["employment_years"].isna().to_numpy()
    truth = calibration[credit.TRUE_PROBABILITY].to_numpy()
    labels = calibration[credit.LABEL].to_numpy()
    rows = []
    for fix, imputed in (("median (correct)", config["employment_years_median"]), ("zero (serving bug)", 0.0)):
        predicted = model.predict_proba(build_features(calibration, {**config, "employment_years_median": imputed}))[:, 1]
        gap = predicted[null].mean() - truth[null].mean()
        rows.append({"fix": fix, "observed": predicted[null].mean() - labels[null].mean(), "gap": gap,
                     "excess": gap - (predicted[~null].mean() - truth[~null].mean())})
    return rows


def main() -> None:
    draws = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    frame = pd.DataFrame([row for i in range(draws) for row in draw(i)])
    summary = frame.groupby("fix")[["observed", "gap", "excess"]].describe(percentiles=[0.01, 0.05, 0.5, 0.95, 0.99])
    print(summary.T.round(4).to_string())
    passes = frame.assign(old=frame["observed"].abs() <= hd.CALIBRATION_TOLERANCE,
                          new=(frame["gap"].abs() <= hd.CALIBRATION_TOLERANCE)
                          & (frame["excess"].abs() <= hd.EXCESS_GAP_TOLERANCE))
    print(f"\nshare of {draws} draws passing: old statistic (|observed| <= {hd.CALIBRATION_TOLERANCE}) and new "
          f"(|gap| <= {hd.CALIBRATION_TOLERANCE} and |excess| <= {hd.EXCESS_GAP_TOLERANCE})")
    print(passes.groupby("fix")[["old", "new"]].mean().to_string())


if __name__ == "__main__":
    main()
