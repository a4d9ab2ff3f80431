"""Drift monitoring: the weekly drift report over the prediction log.

    python -m credit_risk.monitoring --current scored.csv --output drift.html

Every scored application goes to the `credit_risk.predictions` logger as one JSON line
(`prediction_log.py`: the API imports only that module, never this one); the log shipper
loads those lines into the warehouse. Once a week the drift report compares a warehouse
export of them (`--current`, warehouse schema) with the reference sample kept in
`data/reference_sample.csv`, column by column, with Evidently.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

from credit_risk.features import RAW_COLUMNS
from credit_risk.prediction_log import record_prediction  # noqa: F401  (its old home; kept importable)

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference_sample.csv"
NUMERICAL = ["age", "annual_income", "employment_years", "debt", "credit_utilization", "num_late_payments",
             "loan_amount"]
CATEGORICAL = ["region", "home_ownership"]


def drift_report(current: pd.DataFrame, reference: pd.DataFrame):
    """Evidently's data drift preset on the model's input columns; returns the snapshot."""
    definition = DataDefinition(numerical_columns=NUMERICAL, categorical_columns=CATEGORICAL)
    report = Report([DataDriftPreset()])
    return report.run(Dataset.from_pandas(current[RAW_COLUMNS], data_definition=definition),
                      Dataset.from_pandas(reference[RAW_COLUMNS], data_definition=definition))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--current", required=True, help="scored applications, warehouse schema (CSV)")
    parser.add_argument("--reference", default=str(REFERENCE))
    parser.add_argument("--output", default="drift.html")
    args = parser.parse_args()
    snapshot = drift_report(pd.read_csv(args.current), pd.read_csv(args.reference))
    snapshot.save_html(args.output)
    print(f"drift report written to {args.output}")


if __name__ == "__main__":
    main()
