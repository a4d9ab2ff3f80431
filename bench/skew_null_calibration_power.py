"""The power of the skew exercise's calibration checks under reseeded hidden data.

Trains the starter's own pipeline (`credit_risk.features` of the variant's rendered starter +
its logistic regression) on fresh draws of the hidden training set and scores a fresh
calibration set (10% missing the variant's nullable field: `employment_years`, or
`num_late_payments` in nullable=late-payments) two ways: with the training-time median (a
correct fix) and with the serving path's 0 (the planted bug, which a "batch aligned to
serving" fix copies into batch). For each it prints the distribution of:

- `observed`: mean prediction minus the observed default rate on the null rows (the old
  statistic, with the labels' sampling noise);
- `gap`: mean prediction minus the mean true probability on the null rows;
- `excess`: `gap` on the null rows minus `gap` on the rows with the field known (what
  `null_employment_served_calibration` bounds by hd.EXCESS_GAP_TOLERANCE).

    .venv/bin/python bench/skew_null_calibration_power.py [DRAWS] [NULLABLE]   # default 100 employment, ~1 min
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "exercises" / "training-serving-skew" / "checks"))
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from grader import catalog, variants  # noqa: E402
from grader.publish import render_starter  # noqa: E402
from grader.worlds import credit  # noqa: E402


def draw(index: int, features, hd) -> list[dict]:
    field = hd.NULLABLE_FIELD
    raw = credit.sample(8_000, 1_000 + index, hd.with_nulls(0.01), id_prefix="t")
    train, _ = train_test_split(raw, test_size=0.2, random_state=7, stratify=raw[credit.LABEL])
    config = features.fit_feature_config(train)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(features.build_features(train, config), train[credit.LABEL])
    calibration = credit.sample(30_000, 5_000 + index, hd.with_nulls(0.10), id_prefix="c")
    null = calibration[field].isna().to_numpy()
    truth = calibration[credit.TRUE_PROBABILITY].to_numpy()
    labels = calibration[credit.LABEL].to_numpy()
    rows = []
    for fix, imputed in (("median (correct)", config[f"{field}_median"]), ("zero (serving bug)", 0.0)):
        built = features.build_features(calibration, {**config, f"{field}_median": imputed})
        predicted = model.predict_proba(built)[:, 1]
        gap = predicted[null].mean() - truth[null].mean()
        rows.append({"fix": fix, "observed": predicted[null].mean() - labels[null].mean(), "gap": gap,
                     "excess": gap - (predicted[~null].mean() - truth[~null].mean())})
    return rows


def main() -> None:
    draws = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    skew = catalog.get_exercise("training-serving-skew")
    variant = variants.parse(skew.spec, f"nullable={sys.argv[2] if len(sys.argv) > 2 else 'employment'}")
    os.environ[variants.ENV] = variants.to_env(skew.spec, variant)
    import hidden_data as hd

    with tempfile.TemporaryDirectory() as tmp:
        starter = render_starter(skew, variant, Path(tmp) / "starter")
        sys.path.insert(0, str(starter))
        features = importlib.import_module("credit_risk.features")
        frame = pd.DataFrame([row for i in range(draws) for row in draw(i, features, hd)])
    print(f"{variant.id}: {draws} draws, {hd.NULLABLE_FIELD} missing on 10% of the calibration set")
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
