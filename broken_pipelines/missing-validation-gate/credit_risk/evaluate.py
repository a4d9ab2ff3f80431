"""Score a registered version on a labelled CSV (by default Risk's frozen evaluation set).

    python -m credit_risk.evaluate --version 7
    python -m credit_risk.evaluate --version 7 --data data/applications_2026-01-05.csv

Prints a JSON object with the number of rows and the AUC. Risk pastes it into the
sign-off report.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd
from sklearn.metrics import roc_auc_score

from credit_risk.config import EVAL_SET, FEATURES, LABEL
from credit_risk.registry import connect, load_version


def evaluate(model, frame: pd.DataFrame) -> dict:
    probabilities = model.predict_proba(frame[FEATURES])[:, 1]
    return {"rows": len(frame), "auc": round(float(roc_auc_score(frame[LABEL], probabilities)), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True)
    parser.add_argument("--data", default=str(EVAL_SET))
    args = parser.parse_args(argv)
    connect()
    report = {"version": args.version, "data": args.data, **evaluate(load_version(args.version), pd.read_csv(args.data))}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
