"""Drift monitoring: the prediction log the API writes, and the weekly drift report.

    python -m credit_risk.monitoring --current scored.csv --output drift.html

Every scored application goes to the `credit_risk.predictions` logger as one JSON line; the
log shipper loads those lines into the warehouse. Once a week the drift report compares a
warehouse export of them (`--current`, warehouse schema) with the reference sample kept in
`data/reference_sample.csv`, column by column, with Evidently.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

from credit_risk.features import RAW_COLUMNS

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference_sample.csv"
NUMERICAL = ["age", "annual_income", "employment_years", "debt", "credit_utilization", "num_late_payments",
             "loan_amount"]
CATEGORICAL = ["region", "home_ownership"]

predictions = logging.getLogger("credit_risk.predictions")


def record_prediction(application: dict, probability: float, model_version: str) -> None:
    """Log one scored application for the warehouse (and so for the weekly drift report)."""
    predictions.info(json.dumps({"ts": round(time.time(), 3), "model_version": model_version,
                                 "probability_default": probability, **application}))


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
