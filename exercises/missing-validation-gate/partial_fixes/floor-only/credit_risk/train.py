"""Weekly retraining: train on a warehouse snapshot, register the model, put it live.

    python -m credit_risk.train --data data/applications_2026-01-12.csv
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from credit_risk.config import FEATURES, LABEL, MODEL_NAME
from credit_risk.model import build_model
from credit_risk.promote import promote
from credit_risk.registry import connect, register


def train(data_path: str, seed: int = 7) -> str:
    """Fit on `data_path`, register the model; return the new version."""
    raw = pd.read_csv(data_path)
    fit, valid = train_test_split(raw, test_size=0.2, random_state=seed, stratify=raw[LABEL])
    model = build_model().fit(fit[FEATURES], fit[LABEL])
    auc = roc_auc_score(valid[LABEL], model.predict_proba(valid[FEATURES])[:, 1])

    connect()
    version = register(
        model,
        sample=fit[FEATURES].head(100),
        params={"data": data_path, "rows": len(raw), "seed": seed, "model": "logistic_interactions"},
        metrics={"valid_auc": auc},
    )
    print(f"trained {MODEL_NAME} v{version} on {data_path}: valid AUC {auc:.3f}")
    return version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/applications_2026-01-12.csv")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    return promote(train(args.data, args.seed))


if __name__ == "__main__":
    sys.exit(main())
