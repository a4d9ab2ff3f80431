"""Compare current applications with the reference: which fields changed, and whether to page.

Every application field gets two checks:

- **distribution**, with Evidently and an explicit data definition: the Population
  Stability Index for every field, drifted at 0.2 or more (the usual rule of thumb: below
  0.1 stable, 0.1-0.2 a moderate shift, above 0.2 a significant one: only significant
  shifts page);
- **missing values**: drifted when the share of missing values rises by more than 5 points.

The model's score is compared the same way when both sides have it (the stored reference
and the prediction log do); it is reported and alerts like a field.

For the on-call, each column also says what it looks like on both sides (mean, median and
10th/90th percentiles of a number; the share of each category) and, in one line, what moved
most: "median 55,012 -> 4,584", "west 15.1% -> 45.0%".
"""

from __future__ import annotations

import pandas as pd

from credit_risk.monitoring.data import CATEGORICAL, FIELDS, SCORE

NUMERIC_METHOD, NUMERIC_THRESHOLD = "psi", 0.2
CATEGORICAL_METHOD, CATEGORICAL_THRESHOLD = "psi", 0.2
MISSING_SHARE_TOLERANCE = 0.05
#: Methods whose score is a p-value (drift when below the threshold), not a distance.
P_VALUE_METHODS = {"ks", "chisquare", "z", "anderson", "cramer_von_mises", "mannw", "fisher_exact", "g_test", "t_test", "es"}
#: Below this many current rows the comparison is noisy; the report says so.
MIN_ROWS = 1_000


def describe(values: pd.Series, categorical: bool, categories: list[str]) -> dict:
    """One side of a column, for people: where a number sits, or how the categories split."""
    present = values.dropna()
    if categorical:
        shares = present.astype(str).value_counts(normalize=True)
        return {"shares": {c: round(float(shares.get(c, 0.0)), 4) for c in categories}}
    if present.empty:
        return {"mean": None, "median": None, "p10": None, "p90": None}
    return {"mean": _number(present.mean()), "median": _number(present.median()),
            "p10": _number(present.quantile(0.1)), "p90": _number(present.quantile(0.9))}


def _number(value: float) -> float:
    return round(float(value), 4)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def headline(reference: dict, current: dict, categorical: bool, ref_missing: float, cur_missing: float) -> str:
    """What moved most in a column, in one line: the category whose share moved most, or the median
    (and the share of missing values when that moved)."""
    parts = []
    if categorical:
        ref_shares, cur_shares = reference["shares"], current["shares"]
        if ref_shares:
            moved = max(ref_shares, key=lambda c: abs(cur_shares.get(c, 0.0) - ref_shares[c]))
            parts.append(f"{moved} {ref_shares[moved]:.1%} -> {cur_shares.get(moved, 0.0):.1%}")
    elif reference["median"] is not None and current["median"] is not None:
        parts.append(f"median {_fmt(reference['median'])} -> {_fmt(current['median'])}")
    if abs(cur_missing - ref_missing) >= 0.01:
        parts.append(f"missing {ref_missing:.1%} -> {cur_missing:.1%}")
    return ", ".join(parts)


def compare(reference: pd.DataFrame, current: pd.DataFrame):
    """Return (summary for report.json, Evidently snapshot for report.html)."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import MissingValueCount
    from evidently.presets import DataDriftPreset

    columns = FIELDS + ([SCORE] if SCORE in reference.columns and SCORE in current.columns else [])
    # Distances need values on both sides; a column that is empty on one side is all about nulls.
    testable = [c for c in columns if reference[c].notna().any() and current[c].notna().any()]
    definition = DataDefinition(
        numerical_columns=[c for c in testable if c not in CATEGORICAL],
        categorical_columns=[c for c in testable if c in CATEGORICAL],
    )
    report = Report(
        [
            DataDriftPreset(columns=testable, num_method=NUMERIC_METHOD, num_threshold=NUMERIC_THRESHOLD,
                            cat_method=CATEGORICAL_METHOD, cat_threshold=CATEGORICAL_THRESHOLD),
            *[MissingValueCount(column=c) for c in columns],
        ],
    )
    snapshot = report.run(
        Dataset.from_pandas(current[columns], data_definition=definition),
        Dataset.from_pandas(reference[columns], data_definition=definition),
    )
    scores = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            scores[config["column"]] = float(metric["value"])

    per_column = {}
    for column in columns:
        categorical = column in CATEGORICAL
        method = CATEGORICAL_METHOD if categorical else NUMERIC_METHOD
        threshold = CATEGORICAL_THRESHOLD if categorical else NUMERIC_THRESHOLD
        score = scores.get(column)
        ref_missing = float(reference[column].isna().mean())
        cur_missing = float(current[column].isna().mean())
        distribution_drifted = score is not None and (score < threshold if method in P_VALUE_METHODS else score >= threshold)
        missing_drifted = cur_missing - ref_missing > MISSING_SHARE_TOLERANCE
        categories = sorted(set(reference[column].dropna().astype(str)) | set(current[column].dropna().astype(str)))[:50] \
            if categorical else []
        ref_values = describe(reference[column], categorical, categories)
        cur_values = describe(current[column], categorical, categories)
        per_column[column] = {
            "drifted": bool(distribution_drifted or missing_drifted),
            "method": method,
            "threshold": threshold,
            "score": None if score is None else round(score, 4),
            "distribution_drifted": bool(distribution_drifted),
            "missing_share_reference": round(ref_missing, 4),
            "missing_share_current": round(cur_missing, 4),
            "missing_share_drifted": bool(missing_drifted),
            "reference": ref_values,
            "current": cur_values,
            "change": headline(ref_values, cur_values, categorical, ref_missing, cur_missing),
        }
    drifted = [c for c in columns if per_column[c]["drifted"]]
    warnings = []
    if len(current) < MIN_ROWS:
        warnings.append(f"only {len(current)} current rows: below {MIN_ROWS} the comparison is noisy")
    summary = {
        "alert": bool(drifted),
        "drifted_columns": drifted,
        "reference_rows": int(len(reference)),
        "current_rows": int(len(current)),
        "columns": per_column,
        "thresholds": {
            "numeric": {"method": NUMERIC_METHOD, "threshold": NUMERIC_THRESHOLD},
            "categorical": {"method": CATEGORICAL_METHOD, "threshold": CATEGORICAL_THRESHOLD},
            "missing_share_rise": MISSING_SHARE_TOLERANCE,
        },
        "warnings": warnings,
    }
    return summary, snapshot
